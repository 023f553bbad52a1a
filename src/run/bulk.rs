//! The `bulk` step (RFC 7644 §3.7): renders a BulkRequest, fills the
//! required attributes of its POST and PUT data, refuses operations on
//! resources the run did not create, grows it past a declared limit when
//! asked, sends it to `/Bulk`, records in the cleanup ledger every
//! resource the answer says it created (and, by name, every POST the
//! answer does not account for), and checks the expectations against a
//! view of the answer keyed by bulkId.

use serde_json::{json, Map, Value};

use super::exec::{CaseRun, Stop};
use super::ledger::Unread;
use crate::http::{Request, Response};
use crate::scim::bulk::{self, reference};
use crate::suite::{BulkStep, Exceed};

/// The largest limit a case exceeds: beyond it the request would be too
/// costly to send, and the case is skipped.
const MAX_OPERATIONS_EXCEEDED: u64 = 10_000;
const MAX_PAYLOAD_EXCEEDED: u64 = 16 * 1024 * 1024;

/// One operation of the request as sent.
struct SentOp {
    method: String,
    bulk_id: Option<String>,
    /// The path relative to the base URL (`/Users/…`).
    path: String,
    /// The resource type endpoint a POST creates in.
    creates_in: Option<String>,
    data: Value,
}

impl CaseRun<'_, '_> {
    pub(super) async fn bulk_step(&mut self, n: usize, step: &BulkStep) -> Result<(), Stop> {
        let label = format!("step {n} POST /Bulk");
        let mut body = self
            .vars
            .render(&step.bulk)
            .map_err(|e| Stop::Errored(format!("{label}: {e}")))?;
        for id in std::mem::take(&mut self.vars.fresh_ids) {
            self.ctx.ledger.fresh(&id);
        }
        self.fill_operations(&mut body);
        match step.exceed {
            Some(Exceed::Operations) => self.exceed_operations(&mut body)?,
            Some(Exceed::Payload) => self.exceed_payload(&mut body, step.pad.as_deref())?,
            None => {}
        }
        let ops = self.sent_operations(&body);
        for op in &ops {
            self.guard_operation(op, &ops)?;
        }
        let flights: Vec<_> = ops
            .iter()
            .filter_map(|op| {
                let endpoint = op.creates_in.as_deref()?;
                let sent = op.data.to_string();
                let what = super::cleanup::describe_create(endpoint, Some(sent.as_bytes()));
                Some(self.ctx.ledger.in_flight(what))
            })
            .collect();
        let sent = self.send(Request::post_json("/Bulk", &body)).await;
        drop(flights);
        let resp = match sent {
            Ok(resp) => resp,
            Err(stop) => {
                self.unaccounted(
                    &ops,
                    |_| true,
                    "the bulk request got no answer; it may have created it",
                );
                return Err(stop);
            }
        };
        let answer = resp.json();
        let view = self.track_answer(&ops, &resp, answer.as_ref());
        self.vars
            .set("response", answer.clone().unwrap_or(Value::Null));
        let failures = self.expectations(&label, &step.expect, &resp, Some(&view));
        if !failures.is_empty() {
            let curl = self.exchanges.last().map(|e| e.curl.clone());
            return Err(Stop::Failed(failures, curl));
        }
        if let Some(name) = &step.name {
            self.vars.set(name, view);
        }
        Ok(())
    }

    /// The resource type name whose endpoint is `path`.
    fn type_at(&self, path: &str) -> Option<(String, String)> {
        let path = self.relative(path);
        self.ctx
            .caps
            .resource_types
            .iter()
            .find(|rt| rt.endpoint == path)
            .map(|rt| (rt.name.clone(), rt.endpoint.clone()))
    }

    /// Fills the required attributes of POST and PUT data.
    fn fill_operations(&self, body: &mut Value) {
        let Some(ops) = body.get_mut("Operations").and_then(Value::as_array_mut) else {
            return;
        };
        for op in ops {
            let method = op["method"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_uppercase();
            let path = op["path"].as_str().unwrap_or_default();
            let endpoint = match method.as_str() {
                "POST" => path.to_string(),
                "PUT" => path
                    .rsplit_once('/')
                    .map(|(e, _)| e.to_string())
                    .unwrap_or_default(),
                _ => continue,
            };
            if let (Some((rt, _)), true) = (self.type_at(&endpoint), op["data"].is_object()) {
                op["data"] = self.filled(&rt, op["data"].take());
            }
        }
    }

    /// Repeats the last operation until there is one more than the
    /// declared bulk.maxOperations.
    fn exceed_operations(&self, body: &mut Value) -> Result<(), Stop> {
        let max = self.declared_limit("maxOperations", MAX_OPERATIONS_EXCEEDED)?;
        let ops = body
            .get_mut("Operations")
            .and_then(Value::as_array_mut)
            .filter(|o| !o.is_empty())
            .ok_or_else(|| {
                Stop::Errored("exceed: operations needs one operation to repeat".into())
            })?;
        let last = ops.last().cloned().unwrap_or(Value::Null);
        while (ops.len() as u64) <= max {
            ops.push(last.clone());
        }
        // Over both limits, a 413 may rightly name either one.
        let size = body.to_string().len() as u64;
        match self.declared_limit("maxPayloadSize", u64::MAX) {
            Ok(payload) if size > payload => Err(Stop::Skipped(format!(
                "{} operations take {size} bytes, over bulk.maxPayloadSize ({payload}) too",
                max + 1
            ))),
            _ => Ok(()),
        }
    }

    /// Pads the string at `pad` until the body is one byte over the
    /// declared bulk.maxPayloadSize.
    fn exceed_payload(&self, body: &mut Value, pad: Option<&str>) -> Result<(), Stop> {
        let max = self.declared_limit("maxPayloadSize", MAX_PAYLOAD_EXCEEDED)?;
        let pad = pad.ok_or_else(|| Stop::Errored("exceed: payload needs pad".into()))?;
        let size = body.to_string().len() as u64;
        let slot = body
            .pointer_mut(pad)
            .filter(|v| v.is_string())
            .ok_or_else(|| Stop::Errored(format!("pad {pad} is not a string of the body")))?;
        let have = slot.as_str().map_or(0, str::len) as u64;
        let want = (max + 1).saturating_sub(size) + have;
        *slot = Value::String("x".repeat(want.max(1) as usize));
        Ok(())
    }

    /// A bulk limit /ServiceProviderConfig declares, or why the case cannot run.
    fn declared_limit(&self, name: &str, at_most: u64) -> Result<u64, Stop> {
        let declared = self
            .ctx
            .caps
            .spc
            .as_ref()
            .and_then(|s| s.pointer(&format!("/bulk/{name}")))
            .and_then(Value::as_u64)
            .filter(|n| *n > 0);
        match declared {
            None => Err(Stop::Skipped(format!(
                "/ServiceProviderConfig declares no bulk.{name}, so there is no limit to exceed"
            ))),
            Some(n) if n > at_most => Err(Stop::Skipped(format!(
                "bulk.{name} is {n}: too large to exceed at a reasonable cost (at most {at_most})"
            ))),
            Some(n) => Ok(n),
        }
    }

    fn sent_operations(&self, body: &Value) -> Vec<SentOp> {
        let ops = body["Operations"].as_array().cloned().unwrap_or_default();
        ops.into_iter()
            .map(|op| {
                let method = op["method"]
                    .as_str()
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                let path = self.relative(op["path"].as_str().unwrap_or_default());
                let creates_in = (method == "POST")
                    .then(|| self.type_at(&path).map(|(_, e)| e))
                    .flatten();
                SentOp {
                    method,
                    bulk_id: op["bulkId"].as_str().map(str::to_string),
                    path,
                    creates_in,
                    data: op["data"].clone(),
                }
            })
            .collect()
    }

    /// Refuses an operation that could change a resource the run did not
    /// create, or create one the run could not find.
    fn guard_operation(&self, op: &SentOp, ops: &[SentOp]) -> Result<(), Stop> {
        let refuse = |why: String| {
            Err(Stop::Errored(format!(
                "refusing to send the bulk request: {} {}: {why}",
                op.method, op.path
            )))
        };
        match op.method.as_str() {
            "POST" if op.creates_in.is_none() => {
                refuse("it names no resource type endpoint of the server".into())
            }
            "PUT" | "PATCH" | "DELETE" => {
                let (endpoint, id) = op.path.rsplit_once('/').unwrap_or((&op.path, ""));
                if !self
                    .ctx
                    .caps
                    .resource_types
                    .iter()
                    .any(|rt| rt.endpoint == endpoint)
                {
                    return refuse("it names no resource under a resource type endpoint".into());
                }
                match reference(id) {
                    Some(b)
                        if ops
                            .iter()
                            .any(|o| o.method == "POST" && o.bulk_id.as_deref() == Some(b)) =>
                    {
                        Ok(())
                    }
                    Some(b) => refuse(format!("no POST of this request has the bulkId {b}")),
                    None => self.guard(&op.method, &op.path),
                }
            }
            _ => Ok(()),
        }
    }

    /// Records what the answer says was created and deleted; the view
    /// the matchers read.
    fn track_answer(&mut self, ops: &[SentOp], resp: &Response, answer: Option<&Value>) -> Value {
        let results = answer
            .and_then(|a| a["Operations"].as_array())
            .cloned()
            .unwrap_or_default();
        let matched = match_results(ops, &results, |l| self.relative(l));
        let mut view_ops = Map::new();
        let mut accounted = vec![false; ops.len()];
        for (i, op) in ops.iter().enumerate() {
            let Some(result) = matched[i].map(|r| &results[r]) else {
                continue;
            };
            let code = bulk::status_code(&result["status"]);
            let ok = code.is_some_and(|c| (200..300).contains(&c));
            let location = result["location"].as_str().map(|l| self.relative(l));
            let id = location
                .as_deref()
                .and_then(|l| l.rsplit_once('/'))
                .map(|(_, id)| id.to_string())
                .filter(|id| !id.is_empty())
                .or_else(|| result["response"]["id"].as_str().map(str::to_string));
            match (op.method.as_str(), &op.creates_in, &id) {
                ("POST", Some(endpoint), Some(id)) if ok => {
                    self.ctx.ledger.created(endpoint, id, &self.case.id);
                    accounted[i] = true;
                }
                ("POST", _, _) => accounted[i] = !ok,
                ("DELETE", _, _) if ok => self.ctx.ledger.deleted(&op.path),
                _ => {}
            }
            let key = op.bulk_id.clone().unwrap_or_else(|| format!("#{i}"));
            // `code` and, for a success, `id` only when known, so that
            // `skip_unless` can ask whether the operation created anything.
            let mut entry = result.clone();
            if let (Some(obj), Some(code)) = (entry.as_object_mut(), code) {
                obj.insert("code".into(), Value::from(code));
            }
            if let (Some(obj), Some(id), true) = (entry.as_object_mut(), id, ok) {
                obj.insert("id".into(), Value::String(id));
            }
            view_ops.insert(key, entry);
        }
        // A 4xx refused the request as a whole. A 200 BulkResponse holds
        // "the result of all processed operations" (RFC 7644 §3.7.3), so an
        // operation it leaves out was not performed (failOnErrors); one it
        // lists as created without an id may exist. Any other answer may
        // have created anything.
        let refused = (400..500).contains(&resp.status);
        let listed = resp.status == 200 && answer.is_some_and(|a| a["Operations"].is_array());
        if !refused {
            self.unaccounted(
                ops,
                |i| !accounted[i] && (matched[i].is_some() || !listed),
                "the bulk response does not give its id",
            );
        }
        json!({
            "body": answer.cloned().unwrap_or(Value::Null),
            "ops": view_ops,
            "processed": results.len(),
        })
    }

    /// Keeps by name the POSTs `which` selects, for the run's last cleanup
    /// to find (or find absent).
    fn unaccounted(&self, ops: &[SentOp], which: impl Fn(usize) -> bool, why: &str) {
        for (i, op) in ops.iter().enumerate() {
            let Some(endpoint) = &op.creates_in else {
                continue;
            };
            if !which(i) {
                continue;
            }
            let name = ["userName", "displayName"].iter().find_map(|attr| {
                op.data[*attr]
                    .as_str()
                    .map(|v| (attr.to_string(), v.to_string()))
            });
            self.ctx.ledger.created_unread(Unread {
                endpoint: endpoint.clone(),
                name,
                case: self.case.id.clone(),
                why: why.to_string(),
            });
        }
    }
}

/// For each operation sent, the index of its result: by bulkId, else by
/// method and a location that ends in the operation's path, else by
/// position when every operation has a result and the methods agree.
fn match_results(
    ops: &[SentOp],
    results: &[Value],
    relative: impl Fn(&str) -> String,
) -> Vec<Option<usize>> {
    let mut taken = vec![false; results.len()];
    let mut matched = vec![None; ops.len()];
    let method_of = |r: &Value| r["method"].as_str().map(str::to_ascii_uppercase);
    for (i, op) in ops.iter().enumerate() {
        let found = results.iter().enumerate().position(|(r, result)| {
            !taken[r]
                && match &op.bulk_id {
                    Some(b) => result["bulkId"].as_str() == Some(b),
                    // The location names the resource of the path; it may
                    // be absolute, or under a longer base path.
                    None => {
                        method_of(result).is_none_or(|m| m == op.method)
                            && result["location"]
                                .as_str()
                                .map(&relative)
                                .is_some_and(|l| l == op.path || l.ends_with(&op.path))
                    }
                }
        });
        if let Some(r) = found {
            taken[r] = true;
            matched[i] = Some(r);
        }
    }
    for (i, op) in ops.iter().enumerate() {
        let positional = results.get(i).filter(|r| {
            !taken[i]
                && method_of(r).is_none_or(|m| m == op.method)
                && r.get("bulkId").is_none_or(|_| op.bulk_id.is_none())
        });
        if matched[i].is_none() && positional.is_some() && results.len() == ops.len() {
            taken[i] = true;
            matched[i] = Some(i);
        }
    }
    matched
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(method: &str, bulk_id: Option<&str>, path: &str) -> SentOp {
        SentOp {
            method: method.into(),
            bulk_id: bulk_id.map(str::to_string),
            path: path.into(),
            creates_in: (method == "POST").then(|| path.to_string()),
            data: Value::Null,
        }
    }

    #[test]
    fn results_match_by_bulk_id_location_then_position() {
        let ops = [
            op("POST", Some("a"), "/Users"),
            op("DELETE", None, "/Users/1"),
            op("PATCH", None, "/Users/2"),
        ];
        let results = vec![
            json!({"method": "DELETE", "location": "/Users/1", "status": "204"}),
            json!({"method": "POST", "bulkId": "a", "status": "201"}),
            json!({"status": "200"}),
        ];
        let m = match_results(&ops, &results, |l| l.to_string());
        assert_eq!(m, vec![Some(1), Some(0), Some(2)]);
        // Fewer results than operations: no positional guesses.
        let m = match_results(&ops, &results[..1], |l| l.to_string());
        assert_eq!(m, vec![None, Some(0), None]);
        // A location under a longer base path still names the resource.
        let longer = [json!({"method": "DELETE", "location": "/v2/Users/1", "status": "404"})];
        let m = match_results(&ops, &longer, |l| l.to_string());
        assert_eq!(m, vec![None, Some(0), None]);
    }
}
