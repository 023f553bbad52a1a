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
        self.bucket.take().await;
        self.requests += 1;
        self.client.send(req).await
    }

    /// Creates the fixture of a type; its id, when the server made one.
    async fn create_fixture(&mut self, t: &TypeModel) -> Option<String> {
        let body = super::request::fill(&t.fixture.to_string(), &mut || self.name());
        let req = Request {
            method: "POST".into(),
            target: t.endpoint.clone(),
            body: Some(body.into_bytes()),
            authenticate: true,
            ..Default::default()
        };
        let (_, result) = self.send(&req).await;
        let resp = result.ok()?;
        let id = resp.json()?.get("id")?.as_str()?.to_string();
        if (200..300).contains(&resp.status) {
            self.ledger.created(&t.endpoint, &id, "fuzz");
            Some(id)
        } else {
            None
        }
    }

    /// Sends one generated request with the state it needs, judges the
    /// answer and deletes what was created. None when it could not be sent.
    pub(super) async fn execute(&mut self, r: &FuzzRequest) -> Option<Execution> {
        let t = self.model.get(&r.resource_type)?.clone();
        let id = match r.target {
            Target::Fixture => match self.create_fixture(&t).await {
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
        let started = Instant::now();
        let (exchange, result) = self.send(&http).await;
        let elapsed = started.elapsed();
        if let Ok(resp) = &result {
            self.track(&t, r, &http, id.as_deref(), resp);
        }
        let findings = invariants::check(
            &Observed {
                request: r,
                result: result.as_ref(),
                elapsed,
            },
            &self.model,
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

    /// Notes what a request created or deleted.
    fn track(
        &mut self,
        t: &TypeModel,
        r: &FuzzRequest,
        http: &Request,
        id: Option<&str>,
        resp: &Response,
    ) {
        let ok = (200..300).contains(&resp.status);
        match (r.method.as_str(), r.target) {
            ("POST", Target::Collection) if ok => {
                if let Some(new) = resp
                    .json()
                    .and_then(|b| b["id"].as_str().map(str::to_string))
                {
                    self.ledger.created(&t.endpoint, &new, "fuzz");
                }
            }
            ("PUT", Target::Fresh) if ok => {
                if let Some(id) = id {
                    self.ledger.created(&t.endpoint, id, "fuzz");
                }
            }
            ("DELETE", Target::Fixture | Target::Fresh) if ok || resp.status == 404 => {
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
            let req = Request {
                method: "DELETE".into(),
                target: target.clone(),
                authenticate: true,
                ..Default::default()
            };
            let (_, result) = self.send(&req).await;
            match result {
                Ok(r) if (200..300).contains(&r.status) || r.status == 404 => {
                    self.ledger.deleted(&target)
                }
                _ if last => self.ledger.leftover(&target),
                _ => {
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

    /// Whether the target still answers; the problem when it does not.
    pub(super) async fn probe(&mut self) -> Option<String> {
        let req = match (&self.caps.spc, self.model.types.first()) {
            (None, Some(t)) => {
                let mut r = Request::get(t.endpoint.clone());
                r.query = vec![("count".into(), "1".into())];
                r
            }
            _ => Request::get("/ServiceProviderConfig"),
        };
        let mut problem = None;
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            let (_, result) = self.send(&req).await;
            problem = Some(invariants::alive(&req.target, result.as_ref())?);
        }
        problem.map(|p| self.client.redactor().text(&p))
    }
}
