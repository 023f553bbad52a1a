//! `POST /events/receiver`: an RFC 8935 push receiver. It checks the media
//! type, parses the SET, verifies its HS256 signature and validates it
//! (issuer, audience, the RFC 9967 profile), then answers 202 with an empty
//! body, or 400 with `{"err", "description"}` (§2.3). A SET whose `jti` was
//! received before is answered the same way but processed once (§2).
//! `GET /events/receiver/received` shows what was processed.
//!
//! The POST needs no credentials: the signature authenticates the issuer
//! (RFC 8935 §3).

use std::collections::HashSet;
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::super::bugs::Bug;
use super::super::App;
use super::{set_error, set_json};
use crate::scim::set::rules::{SUB_FORBIDDEN, SUB_ID_REQUIRED};
use crate::scim::set::{rejection, validate, Expectations, KeySet, Token, Unsigned, MEDIA_TYPE};

/// jtis remembered for `received` at most (the count goes on).
const MAX_LISTED: usize = 10_000;

/// What the receiver has processed.
#[derive(Debug, Default)]
pub struct Received {
    inner: Mutex<ReceivedInner>,
}

#[derive(Debug, Default)]
struct ReceivedInner {
    seen: HashSet<String>,
    processed: usize,
    jtis: Vec<String>,
}

impl Received {
    /// Processes a valid SET's jti once (every time under the bug).
    fn process(&self, jti: &str, again: bool) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if !inner.seen.insert(jti.to_string()) && !again {
            return;
        }
        inner.processed += 1;
        if inner.jtis.len() < MAX_LISTED {
            inner.jtis.push(jti.to_string());
        }
    }

    fn report(&self) -> Value {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        json!({"processed": inner.processed, "jtis": inner.jtis})
    }
}

/// POST /events/receiver.
pub async fn receive(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(events) = app.events() else {
        return set_error(StatusCode::NOT_FOUND, "invalid_request", "events are off");
    };
    match check(&app, &headers, &body) {
        Ok(jti) => {
            let again = app.bug(Bug::ReceiverProcessesDuplicates);
            events.received.process(&jti, again);
            StatusCode::ACCEPTED.into_response()
        }
        Err((err, description)) => set_error(StatusCode::BAD_REQUEST, err, &description),
    }
}

/// GET /events/receiver/received.
pub async fn received(State(app): State<App>) -> Response {
    match app.events() {
        Some(events) => set_json(StatusCode::OK, &events.received.report()),
        None => set_error(StatusCode::NOT_FOUND, "invalid_request", "events are off"),
    }
}

/// The jti of a SET the receiver accepts, or the RFC 8935 error code and
/// description.
fn check(app: &App, headers: &HeaderMap, body: &[u8]) -> Result<String, (&'static str, String)> {
    let invalid = |d: String| ("invalid_request", d);
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .unwrap_or("");
    if !media.eq_ignore_ascii_case(MEDIA_TYPE) {
        return Err(invalid(format!(
            "the Content-Type must be {MEDIA_TYPE}, not {media:?}"
        )));
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| invalid("the body is not UTF-8 text".into()))?
        .trim();
    let token = Token::parse(text).map_err(|e| (e.error_code().as_str(), e.to_string()))?;
    let Some(events) = app.events() else {
        return Err(invalid("events are off".into()));
    };
    let config = &events.config.receiver;
    if !app.bug(Bug::ReceiverAcceptsBadSignature) {
        token
            .verify(&KeySet::hmac(&config.secret), Unsigned::Refuse)
            .map_err(|e| (e.error_code().as_str(), e.to_string()))?;
    }
    let expect = Expectations {
        issuer: Some(config.issuer.clone()),
        audience: (!app.bug(Bug::ReceiverAcceptsWrongAudience)).then(|| config.audience.clone()),
        txn: None,
        explicit_typing: false,
    };
    let mut violations = validate(&token, &expect);
    if app.bug(Bug::ReceiverAcceptsSubClaim) && token.claims().contains_key("sub") {
        violations.retain(|v| v.rule != &SUB_FORBIDDEN && v.rule != &SUB_ID_REQUIRED);
    }
    if let Some(v) = rejection(&violations) {
        return Err((v.code().as_str(), v.to_string()));
    }
    // A MUST rule makes jti a string, so it is there.
    let jti = token.claims().get("jti").and_then(Value::as_str);
    jti.map(str::to_string)
        .ok_or_else(|| invalid("there is no jti claim".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_a_jti_once_unless_told_otherwise() {
        let r = Received::default();
        r.process("a", false);
        r.process("a", false);
        r.process("b", false);
        assert_eq!(r.report(), json!({"processed": 2, "jtis": ["a", "b"]}));
        r.process("a", true);
        assert_eq!(r.report()["processed"], json!(3));
    }
}
