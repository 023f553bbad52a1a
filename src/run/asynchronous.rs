//! Async steps: a request sent with `Prefer: respond-async` (RFC 9967
//! §2.5.1.1). A server may answer it normally; a 202 must carry no body, a
//! Set-Txn (§3) and a Location, and be followed by a `misc:asyncresp` SET
//! whose txn is the Set-Txn and whose payload is the operation's bulk
//! response (§2.5.1.3). A resource it creates is recorded for cleanup.

use std::time::Instant;

use serde_json::Value;

use super::events::is_event;
use super::exec::{CaseRun, Stop};
use crate::events::Received;
use crate::http::Request;
use crate::outcome::Failure;
use crate::rfc::Level;
use crate::suite::AsyncStep;

impl CaseRun<'_, '_> {
    pub(super) async fn async_step(&mut self, n: usize, step: &AsyncStep) -> Result<(), Stop> {
        let label = format!("step {n} async {} {}", step.method, step.path);
        let errored = |m: String| Stop::Errored(format!("{label}: {m}"));
        let inbox = self
            .ctx
            .events
            .ok_or_else(|| Stop::Skipped("the run receives no events".into()))?;
        let path = self.vars.render_text(&step.path).map_err(&errored)?;
        let body = match &step.body {
            Some(b) => {
                let mut body = self.vars.render(b).map_err(&errored)?;
                if let Some(rt) = super::declared::written_type(&step.method, &step.path) {
                    body = self.filled(rt, body);
                }
                Some(body.to_string().into_bytes())
            }
            None => None,
        };
        let mut headers = vec![("Prefer".to_string(), "respond-async".to_string())];
        for (k, v) in &step.headers {
            headers.push((k.clone(), self.vars.render_text(v).map_err(&errored)?));
        }
        self.guard(&step.method, &self.relative(&path))?;
        let resp = self
            .send(Request {
                method: step.method.clone(),
                target: path.clone(),
                headers,
                body,
                authenticate: true,
                ..Default::default()
            })
            .await?;
        let curl = self.exchanges.last().map(|e| e.curl.clone());
        let completes = step.completes.codes();
        let mut failures = vec![];
        let mut fail = |subject: &str, expected: String, actual: String| {
            failures.push(Failure {
                step: label.clone(),
                subject: subject.into(),
                expected,
                actual,
            })
        };
        if resp.status != 202 {
            // A normal answer is the other choice §2.5.1.1 gives. Accept is
            // ignored only for an asynchronous response (R9967-2.5.1.1-02):
            // a normal answer may honour the step's own Accept header, even
            // with 406, and then shows nothing about asynchronous answers.
            if step
                .headers
                .keys()
                .any(|k| k.eq_ignore_ascii_case("accept"))
            {
                return Err(Stop::Skipped(format!(
                    "the server answered synchronously ({}), to which the step's Accept header \
                     applies as usual; nothing to check of an asynchronous response",
                    resp.status
                )));
            }
            let same_class = completes.iter().any(|c| c / 100 == resp.status / 100);
            if !same_class {
                fail(
                    "status",
                    format!("202, or the normal answer {}", show(&completes)),
                    resp.status.to_string(),
                );
            }
            if let Some(name) = &step.name {
                self.vars.set(name, resp.json().unwrap_or(Value::Null));
            }
            return finish(failures, curl);
        }
        if !resp.body.iter().all(u8::is_ascii_whitespace) {
            fail(
                "body",
                "no body (R9967-2.5.1.1-04)".into(),
                format!("{} bytes", resp.body.len()),
            );
        }
        let location = resp.header("location").map(str::to_string);
        if location.is_none() {
            fail(
                "Location",
                "a Location header (R9967-2.5.1.1-06)".into(),
                "none".into(),
            );
        }
        let Some(txn) = resp.header("set-txn").map(str::to_string) else {
            fail(
                "Set-Txn",
                "a Set-Txn header with the txn of the completion event (R9967-3-01)".into(),
                "none".into(),
            );
            return finish(failures, curl);
        };
        let completion = |r: &Received| {
            r.set.as_ref().is_some_and(|s| {
                s.txn.as_deref() == Some(txn.as_str())
                    && s.events.iter().any(|e| is_event(&e.uri, "misc:asyncresp"))
            })
        };
        let deadline = Instant::now() + inbox.patience();
        inbox
            .wait_until(deadline, |got| got.iter().any(completion))
            .await;
        let received = inbox.received();
        let Some(done) = received.iter().find(|r| completion(r)) else {
            let others: Vec<String> = received
                .iter()
                .filter_map(|r| r.set.as_ref())
                .filter(|s| s.events.iter().any(|e| is_event(&e.uri, "misc:asyncresp")))
                .filter_map(|s| s.txn.clone())
                .collect();
            fail(
                "completion event",
                format!("a misc:asyncresp SET with txn {txn:?} (R9967-2.5.1.1-05)"),
                format!(
                    "none within {} s (asyncresp txns seen: {others:?})",
                    inbox.patience().as_secs()
                ),
            );
            return finish(failures, curl);
        };
        for p in done.problems.iter().filter(|p| p.level == Level::Must) {
            fail(
                "completion SET",
                format!("{} ({})", p.requirement, p.level),
                p.message.clone(),
            );
        }
        let set = done.set.as_ref().expect("completion matched a typed SET");
        let event = set
            .events
            .iter()
            .find(|e| is_event(&e.uri, "misc:asyncresp"))
            .expect("completion has an asyncresp event");
        if !event
            .method()
            .is_some_and(|m| m.eq_ignore_ascii_case(&step.method))
        {
            fail(
                "asyncresp method",
                step.method.clone(),
                format!("{:?}", event.method()),
            );
        }
        if !event.status().is_some_and(|s| completes.contains(&s)) {
            fail(
                "asyncresp status",
                show(&completes),
                format!("{}", event.payload.get("status").unwrap_or(&Value::Null)),
            );
        }
        // A failed operation's missing or malformed "response" (R9967-2.5.1.3-02)
        // is among the SET's MUST problems, reported above.
        let failed = event.status().is_some_and(|s| s >= 300);
        // Location may name where the completion SET can be fetched instead
        // of the resource (§2.5.1.1 (a)): the resource's own address is the
        // request's for PUT and PATCH, the asyncresp location (a Bulk
        // response operation's, RFC 7644 §3.7.3) or the SET's sub_id for POST.
        let made = event
            .payload
            .get("location")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| set.sub_id.as_ref().map(|s| s.uri.clone()));
        // The resource an asynchronous create made is the run's to delete.
        if step.method == "POST" && event.status() == Some(201) {
            if let Some(made) = made.clone().or(location.clone()) {
                self.record_created(&made);
            }
        }
        let version = event.version().map(str::to_string);
        if let Some(name) = &step.name {
            self.vars.set(name, Value::Object(event.payload.clone()));
        }
        let resource = match step.method.as_str() {
            "PUT" | "PATCH" => Some(path),
            "POST" => made,
            _ => None,
        };
        // The version is the ETag of the result (RFC 9967 §2.2), compared
        // when the resource shows one.
        if let (Some(v), false, Some(resource)) = (&version, failed, &resource) {
            let now = self.send(Request::get(resource)).await?;
            let body = now.json().filter(is_resource);
            let etag = body
                .as_ref()
                .and_then(|b| b.pointer("/meta/version"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| now.header("etag").map(str::to_string));
            if let (200, Some(_), Some(etag)) = (now.status, &body, &etag) {
                if etag != v {
                    fail(
                        "asyncresp version",
                        format!("the resource's version afterwards, {etag:?}"),
                        format!("{v:?}"),
                    );
                }
            }
        }
        finish(failures, curl)
    }

    /// Records a resource the run created without an answer to track.
    fn record_created(&self, location: &str) {
        let target = self.relative(location);
        for rt in &self.ctx.caps.resource_types {
            if let Some(id) = target.strip_prefix(&format!("{}/", rt.endpoint)) {
                if !id.is_empty() && !id.contains('/') {
                    self.ctx.ledger.created(&rt.endpoint, id, &self.case.id);
                }
            }
        }
    }
}

/// Whether an answer is a SCIM resource (RFC 7643 §3: `schemas` and `id`),
/// not, say, a SET or an error.
fn is_resource(body: &Value) -> bool {
    body.get("schemas").is_some_and(Value::is_array) && body.get("id").is_some_and(Value::is_string)
}

/// Statuses as the suite would write them.
fn show(codes: &[u16]) -> String {
    codes
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

fn finish(failures: Vec<Failure>, curl: Option<String>) -> Result<(), Stop> {
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Stop::Failed(failures, curl))
    }
}
