//! `POST /events/poll`: poll-based SET delivery (RFC 8936 §2.2 – §2.5)
//! from the server's one SET stream. Acknowledged SETs (`ack`, and those
//! reported in `setErrs`) are removed; SETs returned before and not
//! acknowledged are returned again by later polls, oldest first. A long
//! poll (`returnImmediately` absent or false) on an empty stream waits
//! until a SET is queued or its bound passes: 10 s, or less when the
//! request says `Prefer: wait=N` (RFC 7240 §4.3).

use std::collections::HashSet;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::super::bugs::Bug;
use super::super::App;
use super::asynchronous::preferences;
use super::{set_error, set_json};

/// The longest a long poll waits.
pub const LONG_POLL: Duration = Duration::from_secs(10);

/// A poll request (RFC 8936 §2.2); absent members take their defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PollRequest {
    /// None: no limit.
    pub max_events: Option<usize>,
    pub return_immediately: bool,
    pub ack: Vec<String>,
    /// jti → (err, description).
    pub set_errs: Vec<(String, String, Option<String>)>,
}

impl PollRequest {
    /// Reads the JSON body; the message says what is malformed. Members
    /// the RFC does not define are ignored.
    pub fn parse(body: &[u8]) -> Result<PollRequest, String> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
        let Value::Object(request) = value else {
            return Err("the poll request is not a JSON object".into());
        };
        let mut out = PollRequest::default();
        match request.get("maxEvents") {
            None => {}
            Some(v) => {
                let n = v
                    .as_u64()
                    .ok_or("maxEvents is not a non-negative integer")?;
                out.max_events = Some(usize::try_from(n).unwrap_or(usize::MAX));
            }
        }
        match request.get("returnImmediately") {
            None => {}
            Some(Value::Bool(b)) => out.return_immediately = *b,
            Some(_) => return Err("returnImmediately is not a boolean".into()),
        }
        match request.get("ack") {
            None => {}
            Some(Value::Array(items)) => {
                for item in items {
                    let jti = item
                        .as_str()
                        .ok_or("ack holds a value that is not a string")?;
                    out.ack.push(jti.to_string());
                }
            }
            Some(_) => return Err("ack is not an array of jti strings".into()),
        }
        match request.get("setErrs") {
            None => {}
            Some(Value::Object(errs)) => {
                for (jti, error) in errs {
                    let err = error
                        .get("err")
                        .and_then(Value::as_str)
                        .ok_or_else(|| format!("setErrs of {jti:?} has no err string"))?;
                    let description = match error.get("description") {
                        None => None,
                        Some(Value::String(d)) => Some(d.clone()),
                        Some(_) => {
                            return Err(format!("setErrs of {jti:?}: description is not a string"))
                        }
                    };
                    out.set_errs
                        .push((jti.clone(), err.to_string(), description));
                }
            }
            Some(_) => return Err("setErrs is not an object".into()),
        }
        Ok(out)
    }
}

/// POST /events/poll.
pub async fn poll(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(events) = app.events() else {
        return set_error(StatusCode::NOT_FOUND, "invalid_request", "events are off");
    };
    let request = match PollRequest::parse(&body) {
        Ok(r) => r,
        Err(_) if app.bug(Bug::PollInvalid200) => {
            return set_json(StatusCode::OK, &json!({"sets": {}}))
        }
        Err(description) => {
            return set_error(StatusCode::BAD_REQUEST, "invalid_request", &description)
        }
    };
    acknowledge(&app, &request);
    if !request.return_immediately {
        events.feed.wait_for_sets(bound(&headers)).await;
    } else if app.bug(Bug::PollReturnImmediatelyIgnored) && request.max_events == Some(0) {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let (sets, more) = take(&app, &request);
    let mut answer = if sets.is_empty() && app.bug(Bug::PollEmptySetsArray) {
        json!({ "sets": [] })
    } else {
        json!({ "sets": sets })
    };
    if more {
        answer["moreAvailable"] = json!(true);
    }
    set_json(StatusCode::OK, &answer)
}

/// Removes the SETs acknowledged or reported as errors.
fn acknowledge(app: &App, request: &PollRequest) {
    let Some(events) = app.events() else {
        return;
    };
    for (jti, err, _) in &request.set_errs {
        tracing::debug!(%jti, %err, "the poller reported a SET error");
    }
    let done: HashSet<&str> = request
        .ack
        .iter()
        .map(String::as_str)
        .chain(request.set_errs.iter().map(|(jti, _, _)| jti.as_str()))
        .collect();
    if !done.is_empty() {
        events
            .feed
            .lock()
            .retain(|q| !done.contains(q.jti.as_str()));
    }
}

/// The SETs to return, oldest first, and whether more remain.
fn take(app: &App, request: &PollRequest) -> (Map<String, Value>, bool) {
    let mut sets = Map::new();
    let Some(events) = app.events() else {
        return (sets, false);
    };
    let limit = match request.max_events {
        Some(n) if !app.bug(Bug::PollMaxEventsIgnored) => n,
        _ => usize::MAX,
    };
    let mut queue = events.feed.lock();
    for queued in queue.iter_mut().take(limit) {
        queued.delivered = true;
        sets.insert(queued.jti.clone(), json!(queued.token));
    }
    let returned = queue.len().min(limit);
    let mut remaining = queue.len() - returned;
    if app.bug(Bug::PollNoRedelivery) {
        queue.retain(|q| !q.delivered);
        remaining = queue.len();
    }
    (sets, remaining > 0)
}

/// How long a long poll may wait: `Prefer: wait=N` seconds, at most
/// [`LONG_POLL`].
fn bound(headers: &HeaderMap) -> Duration {
    preferences(headers)
        .find(|(name, _)| name.eq_ignore_ascii_case("wait"))
        .and_then(|(_, v)| v?.parse::<u64>().ok())
        .map_or(LONG_POLL, |s| Duration::from_secs(s).min(LONG_POLL))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn parses_the_rfc_8936_examples_and_defaults() {
        assert_eq!(PollRequest::parse(b"{}"), Ok(PollRequest::default()));
        let r = PollRequest::parse(
            br#"{"ack": ["a"], "setErrs": {"b": {"err": "authentication_failed",
                "description": "x"}}, "maxEvents": 0, "returnImmediately": true, "other": 1}"#,
        )
        .expect("valid");
        assert_eq!(r.max_events, Some(0));
        assert!(r.return_immediately);
        assert_eq!(r.ack, ["a"]);
        assert_eq!(
            r.set_errs,
            [("b".into(), "authentication_failed".into(), Some("x".into()))]
        );
    }

    #[test]
    fn refuses_malformed_members() {
        for body in [
            &b""[..],
            b"[]",
            b"{\"maxEvents\": -1}",
            b"{\"maxEvents\": 1.5}",
            b"{\"maxEvents\": \"3\"}",
            b"{\"returnImmediately\": \"true\"}",
            b"{\"ack\": \"a\"}",
            b"{\"ack\": [1]}",
            b"{\"setErrs\": []}",
            b"{\"setErrs\": {\"a\": {}}}",
            b"{\"setErrs\": {\"a\": {\"err\": \"x\", \"description\": 5}}}",
        ] {
            assert!(
                PollRequest::parse(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn prefer_wait_shortens_the_long_poll() {
        let mut h = HeaderMap::new();
        assert_eq!(bound(&h), LONG_POLL);
        h.insert("prefer", HeaderValue::from_static("wait=2"));
        assert_eq!(bound(&h), Duration::from_secs(2));
        h.insert("prefer", HeaderValue::from_static("wait=600"));
        assert_eq!(bound(&h), LONG_POLL);
    }
}
