//! Sending one generated request as the fuzzer does: the fixture it needs
//! first (created fresh, named with the run token), the request within the
//! rate, the invariants on its answer, then the deletion of everything it
//! created. Also the liveness probe and the final cleanup.

use std::time::{Duration, Instant};

use super::engine::Engine;
use super::generate::TypeModel;
use super::invariants::{self, Finding, Observed};
use super::request::{FuzzRequest, Target};
use crate::http::{Exchange, HttpError, Request, Response};

/// One request sent and judged.
pub(super) struct Execution {
    pub(super) findings: Vec<Finding>,
    pub(super) exchange: Exchange,
    pub(super) response: Option<Response>,
    pub(super) unreachable: bool,
}

impl Engine<'_> {
    pub(super) fn name(&mut self) -> String {
        self.names += 1;
        format!("{}-fz{}", self.run_token, self.names)
    }

    pub(super) async fn send(&mut self, req: &Request) -> (Exchange, Result<Response, HttpError>) {
        let (exchange, result, _) = self.send_timed(req).await;
        (exchange, result)
    }

    /// Sends a request within the rate; also how long the exchange took,
    /// from after the wait for a token (which at a low rate may be long)
    /// to the end of the answer.
    async fn send_timed(
        &mut self,
        req: &Request,
    ) -> (Exchange, Result<Response, HttpError>, Duration) {
        self.bucket.take(self.interrupted).await;
        self.requests += 1;
        let started = Instant::now();
        let (exchange, result) = self.client.send(req).await;
        if result.is_ok() {
            self.answers += 1;
        }
        (exchange, result, started.elapsed())
    }

    /// Creates the fixture of a type; its id, when the server made one
    /// that can be put in a URL (the ledger keeps, and reports as left
    /// behind, one that cannot: the fuzzer never sends it anything).
    async fn create_fixture(&mut self, t: &TypeModel) -> Option<String> {
        let body = super::request::fill(&t.fixture.to_string(), &mut || self.name());
        let req = Request {
            method: "POST".into(),
            target: t.endpoint.clone(),
            body: Some(body.into_bytes()),
            authenticate: true,
            ..Default::default()
        };
        let what = crate::run::cleanup::describe_create(&t.endpoint, req.body.as_deref());
        let ledger = self.ledger.clone();
        let flight = ledger.in_flight(what);
        let (_, result) = self.send(&req).await;
        drop(flight);
        if let Err(e) = &result {
            crate::run::cleanup::record_lost_create(
                &self.ledger,
                self.client.base_url(),
                &t.endpoint,
                req.body.as_deref(),
                e,
                "fuzz",
            );
        }
        let resp = result.ok()?;
        let base = self.client.base_url();
        crate::run::cleanup::record_create(
            &self.ledger,
            base,
            &t.endpoint,
            req.body.as_deref(),
            &resp,
            "fuzz",
        )
    }

    /// Sends one generated request with the state it needs, judges the
    /// answer and deletes what was created. None when it could not be sent.
    pub(super) async fn execute(&mut self, r: &FuzzRequest) -> Option<Execution> {
        let model = self.model;
        let t = model.get(&r.resource_type)?;
        let id = match r.target {
            Target::Fixture => match self.create_fixture(t).await {
                Some(id) => Some(id),
                None => {
                    self.cleanup(false).await;
                    return None;
                }
            },
            Target::Fresh => {
                let id = uuid::Uuid::new_v4().to_string();
                self.ledger.fresh(&id);
                Some(id)
            }
            Target::Collection | Target::Search => None,
        };
        let modifies = matches!(r.method.as_str(), "PUT" | "PATCH" | "DELETE");
        if modifies && !id.as_deref().is_some_and(|i| self.ledger.may_modify(i)) {
            return None;
        }
        let http = r.to_http(&t.endpoint, id.as_deref(), &mut || self.name());
        let (exchange, result, elapsed) = self.send_timed(&http).await;
        match &result {
            Ok(resp) => self.track(t, r, &http, resp),
            Err(e) if r.method == "POST" && r.target == Target::Collection => {
                let sent = http.body.as_deref();
                crate::run::cleanup::record_lost_create(
                    &self.ledger,
                    self.client.base_url(),
                    &t.endpoint,
                    sent,
                    e,
                    "fuzz",
                );
            }
            Err(_) => {}
        }
        let findings = invariants::check(
            &Observed {
                request: r,
                result: result.as_ref(),
                elapsed,
            },
            model,
            self.options.latency_bound,
        );
        let unreachable = result.as_ref().err().is_some_and(HttpError::is_unreachable);
        self.cleanup(false).await;
        Some(Execution {
            findings,
            exchange,
            response: result.ok(),
            unreachable,
        })
    }

    /// Notes what a request created or deleted. (No generator PUTs to a
    /// fresh id: PUT goes to fixtures only, so it never creates.)
    fn track(&mut self, t: &TypeModel, r: &FuzzRequest, http: &Request, resp: &Response) {
        let ok = (200..300).contains(&resp.status);
        match (r.method.as_str(), r.target) {
            ("POST", Target::Collection) if ok => {
                // An id unsafe in a URL is reported by the ledger, not kept;
                // one that cannot be read is kept by name.
                let base = self.client.base_url();
                crate::run::cleanup::record_create(
                    &self.ledger,
                    base,
                    &t.endpoint,
                    http.body.as_deref(),
                    resp,
                    "fuzz",
                );
            }
            // A 404 is not taken on trust: cleanup deletes again and confirms.
            ("DELETE", Target::Fixture | Target::Fresh) if ok => {
                self.ledger.deleted(&http.target);
            }
            _ => {}
        }
    }

    /// Deletes what the run created (all of it at the end; otherwise what
    /// has not failed to delete before).
    pub(super) async fn cleanup(&mut self, last: bool) {
        for target in self.ledger.all_live() {
            if !last && self.stuck.contains(&target) {
                continue;
            }
            self.bucket.take(self.interrupted).await;
            self.requests += 1;
            match crate::run::cleanup::delete_verified(self.client, &target).await {
                Ok(()) => self.ledger.deleted(&target),
                Err(_) if last => {
                    self.ledger.leftover(&target);
                    if self.client.stopped_answering().is_some() {
                        // Each try would wait out its timeout: what is left is listed.
                        for t in self.ledger.all_live() {
                            self.ledger.leftover(&t);
                        }
                        break;
                    }
                }
                Err(_) => {
                    self.stuck.insert(target);
                }
            }
        }
        if !last {
            // Every request brings its own fixture: what is gone need not
            // be remembered (a long run's memory stays flat).
            self.ledger.forget_settled();
        }
    }

    /// The type whose list the liveness probe reads (one item of it) when
    /// discovery found no ServiceProviderConfig; None: the probe reads that.
    pub(super) fn probe_list(&self) -> Option<&TypeModel> {
        match &self.caps.spc {
            None => self.model.types.first(),
            Some(_) => None,
        }
    }

    /// Whether the target still answers; the problem when it does not,
    /// with the exchange of the last probe.
    pub(super) async fn probe(&mut self) -> Option<(String, Exchange)> {
        let req = match self.probe_list() {
            Some(t) => {
                let mut r = Request::get(t.endpoint.clone());
                r.query = vec![("count".into(), "1".into())];
                r
            }
            None => Request::get("/ServiceProviderConfig"),
        };
        let mut down = None;
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            let (exchange, result) = self.send(&req).await;
            let problem = invariants::alive(&req.target, result.as_ref())?;
            down = Some((self.client.redactor().text(&problem), exchange));
        }
        down
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;
    use crate::discover::Capabilities;
    use crate::fuzzing::engine::Options;
    use crate::fuzzing::generate::Model;
    use crate::fuzzing::rate::TokenBucket;
    use crate::fuzzing::request::Family;
    use crate::http::{Client, ClientConfig};
    use crate::serve::{self, ServerConfig};

    #[tokio::test]
    async fn the_wait_for_a_token_is_not_latency() {
        let server = serve::start(ServerConfig::default(), ([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        let client = Client::new(ClientConfig::new(server.base_url.parse().unwrap())).unwrap();
        let caps = Capabilities::discover(&client).await.unwrap();
        let model = Model::from_caps(&caps);
        let mut options = Options::new(1);
        options.latency_bound = Duration::from_millis(600);
        let interrupted = AtomicBool::new(false);
        // One request a second: the second waits about a second for its token.
        let mut e = Engine {
            client: &client,
            caps: &caps,
            model: &model,
            options: &options,
            interrupted: &interrupted,
            ledger: Default::default(),
            answers: 0,
            run_token: "scimitar-test".into(),
            names: 0,
            bucket: TokenBucket::new(1.0, Instant::now()),
            requests: 0,
            generated: Default::default(),
            violations: vec![],
            stuck: Default::default(),
        };
        let list = FuzzRequest::new(Family::Query, "User", "GET", Target::Collection);
        let started = Instant::now();
        for _ in 0..2 {
            let ex = e.execute(&list).await.unwrap();
            assert!(ex.findings.is_empty(), "{:?}", ex.findings);
        }
        assert!(started.elapsed() >= Duration::from_millis(900));
        assert_eq!(e.requests, 2);
        server.stop().await;
    }
}
