//! Asynchronous SCIM requests (RFC 9967 §2.5.1.1, §3): a POST, PUT, PATCH
//! or DELETE on Users or Groups with `Prefer: respond-async` is performed,
//! then answered 202 with no body, `Set-Txn`, `Preference-Applied` and
//! `Location`; its events carry the Set-Txn value as `txn`, and a
//! `misc:asyncresp` SET (§2.5.1.3) reports the outcome as one Bulk
//! response operation (RFC 7644 §3.7.3).
//!
//! The handler learns the transaction from a task-local set around it, and
//! leaves there the subject and version of what it changed.

use std::sync::{Arc, Mutex};

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use super::super::bugs::Bug;
use super::super::{base_url, App, BASE_PATH};
use super::emit::{new_id, sign};
use crate::scim::set::event::ASYNC_RESPONSE;
use crate::scim::set::SubId;
use crate::scim::urn;

/// The RFC 9967 §3 response header.
pub const SET_TXN: HeaderName = HeaderName::from_static("set-txn");
/// RFC 7240 §3.
pub const PREFERENCE_APPLIED: HeaderName = HeaderName::from_static("preference-applied");
/// The largest handler response read back to report in an asyncresp.
const MAX_BODY: usize = 4 << 20;

/// What the handler of an asynchronous request shares with the middleware.
#[derive(Debug, Default)]
struct Pending {
    txn: String,
    subject: Option<SubId>,
    version: Option<String>,
    location: Option<String>,
}

tokio::task_local! {
    static PENDING: Arc<Mutex<Pending>>;
}

fn with_pending<T>(f: impl FnOnce(&mut Pending) -> T) -> Option<T> {
    PENDING
        .try_with(|p| f(&mut p.lock().unwrap_or_else(|e| e.into_inner())))
        .ok()
}

/// The Set-Txn value of the asynchronous request being handled, if any.
pub fn txn() -> Option<String> {
    with_pending(|p| p.txn.clone())
}

/// Notes what the asynchronous request being handled changed.
pub fn record(subject: &SubId, version: Option<String>, location: &str) {
    with_pending(|p| {
        p.subject = Some(subject.clone());
        p.version = version;
        p.location = Some(location.to_string());
    });
}

/// Whether a `Prefer` header asks for `respond-async` (RFC 7240 §4.1).
pub fn prefers_async(headers: &HeaderMap) -> bool {
    preferences(headers).any(|(name, _)| name.eq_ignore_ascii_case("respond-async"))
}

/// The preferences of every `Prefer` header: (name, value).
pub fn preferences(headers: &HeaderMap) -> impl Iterator<Item = (String, Option<String>)> + '_ {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|pref| {
            let token = pref.split(';').next().unwrap_or("");
            let (name, value) = match token.split_once('=') {
                Some((n, v)) => (n, Some(v.trim().trim_matches('"').to_string())),
                None => (token, None),
            };
            (name.trim().to_string(), value)
        })
}

/// The path, relative to the base URI, of a request that may run
/// asynchronously: POST to a collection, PUT/PATCH/DELETE of a resource.
fn async_target(method: &Method, path: &str) -> Option<String> {
    let path = path.strip_prefix(BASE_PATH).unwrap_or(path);
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let collection = matches!(segments.first(), Some(&("Users" | "Groups")));
    let ok = match segments.len() {
        1 => collection && method == Method::POST,
        2 => {
            collection
                && segments[1] != ".search"
                && [Method::PUT, Method::PATCH, Method::DELETE].contains(method)
        }
        _ => false,
    };
    ok.then(|| format!("/{}", segments.join("/")))
}

/// Middleware: performs an asynchronous request and answers 202.
pub async fn respond_async(State(app): State<App>, req: Request, next: Next) -> Response {
    let target = async_target(req.method(), req.uri().path());
    let (Some(events), Some(target), true) = (app.events(), target, prefers_async(req.headers()))
    else {
        return next.run(req).await;
    };
    let base = base_url(req.headers());
    let method = req.method().as_str().to_string();
    let txn = new_id();
    let pending = Arc::new(Mutex::new(Pending {
        txn: txn.clone(),
        ..Pending::default()
    }));
    let response = PENDING.scope(pending.clone(), next.run(req)).await;
    let pending = std::mem::take(&mut *pending.lock().unwrap_or_else(|e| e.into_inner()));

    let status = response.status();
    let (parts, body) = response.into_parts();
    let body = to_bytes(body, MAX_BODY).await.unwrap_or_default();
    let location = pending
        .location
        .clone()
        .unwrap_or_else(|| format!("{base}{target}"));
    let subject = pending
        .subject
        .clone()
        .unwrap_or_else(|| SubId::scim(&target));
    let payload = operation(&method, status, &pending, &location, &body);
    let set = sign(&app, events, &txn, &subject, ASYNC_RESPONSE, payload);
    events.feed.publish(vec![set]);

    let mut accepted = if app.bug(Bug::AsyncWithBody) {
        let mut r = (StatusCode::ACCEPTED, body).into_response();
        if let Some(ct) = parts.headers.get(header::CONTENT_TYPE) {
            r.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
        }
        r
    } else {
        StatusCode::ACCEPTED.into_response()
    };
    let header_txn = if app.bug(Bug::SetTxnMismatch) {
        new_id()
    } else {
        txn
    };
    let headers = accepted.headers_mut();
    for (name, value) in [
        (SET_TXN, header_txn.as_str()),
        (PREFERENCE_APPLIED, "respond-async"),
        (header::LOCATION, location.as_str()),
    ] {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    }
    accepted
}

/// The asyncresp payload: one Bulk response operation (RFC 7644 §3.7.3).
fn operation(
    method: &str,
    status: StatusCode,
    pending: &Pending,
    location: &str,
    body: &[u8],
) -> Value {
    let mut op = Map::new();
    op.insert("method".into(), json!(method));
    let success = status.is_success();
    if let (true, Some(version)) = (success, &pending.version) {
        op.insert("version".into(), json!(version));
    }
    // "location" is REQUIRED except when a POST failed.
    if success || method != "POST" {
        op.insert("location".into(), json!(location));
    }
    op.insert("status".into(), json!(status.as_u16().to_string()));
    if !success {
        op.insert("response".into(), error_response(status, body));
    }
    Value::Object(op)
}

/// The handler's SCIM error, or one made from its status when its body is
/// no JSON object (RFC 7644 §3.12).
fn error_response(status: StatusCode, body: &[u8]) -> Value {
    match serde_json::from_slice::<Value>(body) {
        Ok(error @ Value::Object(_)) => error,
        _ => json!({
            "schemas": [urn::ERROR],
            "status": status.as_u16().to_string(),
            "detail": status.canonical_reason().unwrap_or("the request failed"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_respond_async_among_other_preferences() {
        let mut h = HeaderMap::new();
        assert!(!prefers_async(&h));
        h.append("prefer", HeaderValue::from_static("return=minimal"));
        assert!(!prefers_async(&h));
        h.append("prefer", HeaderValue::from_static("wait=10, Respond-Async"));
        assert!(prefers_async(&h));
        let wait: Vec<_> = preferences(&h).filter(|(n, _)| n == "wait").collect();
        assert_eq!(wait, [("wait".to_string(), Some("10".to_string()))]);
    }

    #[test]
    fn only_writes_to_users_and_groups_may_run_asynchronously() {
        let t = |m: Method, p: &str| async_target(&m, p);
        assert_eq!(t(Method::POST, "/scim/v2/Users"), Some("/Users".into()));
        assert_eq!(t(Method::PUT, "/Groups/g1"), Some("/Groups/g1".into()));
        assert_eq!(
            t(Method::DELETE, "/scim/v2/Users/u1"),
            Some("/Users/u1".into())
        );
        assert_eq!(t(Method::GET, "/Users/u1"), None);
        assert_eq!(t(Method::POST, "/Users/.search"), None);
        assert_eq!(t(Method::PUT, "/Users"), None);
        assert_eq!(t(Method::POST, "/Schemas"), None);
        assert_eq!(t(Method::PATCH, "/Users/u1/x"), None);
    }

    #[test]
    fn a_failed_post_reports_its_error_without_location() {
        let pending = Pending::default();
        let body = br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","detail":"taken"}"#;
        let op = operation(
            "POST",
            StatusCode::CONFLICT,
            &pending,
            "http://h/Users",
            body,
        );
        assert_eq!(op["status"], json!("409"));
        assert_eq!(op["response"]["detail"], json!("taken"));
        assert!(op.get("location").is_none() && op.get("version").is_none());
        let op = operation(
            "DELETE",
            StatusCode::NOT_FOUND,
            &pending,
            "http://h/Users/x",
            b"<html>",
        );
        assert_eq!(op["location"], json!("http://h/Users/x"));
        assert_eq!(op["response"]["status"], json!("404"));
    }
}
