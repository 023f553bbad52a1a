//! The checks of the RFC 9967 profile: the subject (`sub_id`, never
//! `sub`, §2.1), each event's URI and payload by the registry's kind and
//! mode (§2.2 – §2.5), which events may share a SET, and `txn`.

use serde_json::{Map, Value};

use super::event::{classify, is_scim, lookup, split_bulk_txn, EventKind, PayloadMode, PREFIX};
use super::jwt::json_type;
use super::model::status_code;
use super::rules::*;
use super::validate::{push, Ctx};
use crate::scim::urn;

const METHODS: [&str; 4] = ["POST", "PUT", "PATCH", "DELETE"];

/// The event objects of the claims set, when it has them.
fn event_payloads<'a>(c: &Ctx<'a>) -> impl Iterator<Item = (&'a String, &'a Map<String, Value>)> {
    c.claims
        .get("events")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(uri, p)| p.as_object().map(|p| (uri, p)))
}

// ---- §2.1: the subject ----------------------------------------------------

pub(crate) fn subject(c: &Ctx, out: &mut Vec<Violation>) {
    if c.claims.contains_key("sub") {
        push(
            out,
            &SUB_FORBIDDEN,
            "the sub claim is present; SCIM events use sub_id".into(),
        );
    }
    match c.claims.get("sub_id") {
        None => push(out, &SUB_ID_REQUIRED, "there is no sub_id claim".into()),
        Some(Value::Object(sub_id)) => sub_id_members(sub_id, out),
        Some(other) => push(
            out,
            &SUB_ID_FORMAT,
            format!("sub_id is {}, not an object", json_type(other)),
        ),
    }
}

fn sub_id_members(sub_id: &Map<String, Value>, out: &mut Vec<Violation>) {
    match sub_id.get("format") {
        Some(Value::String(f)) if f == "scim" => {}
        None => push(out, &SUB_ID_FORMAT, "sub_id has no format".into()),
        Some(other) => push(
            out,
            &SUB_ID_FORMAT,
            format!("sub_id format is {other}, not \"scim\""),
        ),
    }
    match sub_id.get("uri") {
        None => push(out, &SUB_ID_URI, "sub_id has no uri".into()),
        Some(Value::String(uri)) if !uri.starts_with('/') => push(
            out,
            &SUB_ID_URI_RELATIVE,
            format!(
                "sub_id uri {uri:?} is not a path relative to the base URI, like /Users/{{id}}"
            ),
        ),
        Some(Value::String(_)) => {}
        Some(other) => push(
            out,
            &SUB_ID_URI,
            format!("sub_id uri is {}, not a string", json_type(other)),
        ),
    }
    match sub_id.get("id") {
        None => {}
        Some(Value::String(id)) if !id.is_empty() => {}
        Some(other) => push(
            out,
            &SUB_ID_ID,
            format!("sub_id id is {other}, not a non-empty string"),
        ),
    }
    if let Some(other) = sub_id.get("externalId").filter(|v| !v.is_string()) {
        push(
            out,
            &SUB_ID_EXTERNAL_ID,
            format!("sub_id externalId is {}", json_type(other)),
        );
    }
}

// ---- §2.2 – §2.5: each event ---------------------------------------------

pub(crate) fn events(c: &Ctx, out: &mut Vec<Violation>) {
    for (uri, payload) in event_payloads(c) {
        registration(uri, out);
        if payload.contains_key("sub_id") {
            push(
                out,
                &SUB_ID_IN_PAYLOAD,
                format!("the payload of {uri} has a sub_id"),
            );
        }
        // Informational (TXN is MAY): §2.2 makes txn a SET claim, but no
        // keyword forbids a payload member of that name.
        if payload.contains_key("txn") {
            push(
                out,
                &TXN,
                format!("the payload of {uri} has a txn; txn is a top-level claim"),
            );
        }
        if let Some(version) = payload.get("version").filter(|v| !v.is_string()) {
            push(
                out,
                &VERSION_STRING,
                format!("version of {uri} is {}", json_type(version)),
            );
        }
        let (kind, mode) = classify(uri);
        match kind {
            EventKind::Create | EventKind::Patch | EventKind::Put => {
                provisioning(uri, mode, payload, out)
            }
            // §2.4.4: "A delete event has no payload attributes", so §2.2's
            // MUST ("depending on the event definition") applies.
            EventKind::Delete => no_data(uri, payload, &PAYLOAD_MEMBER, out),
            // Their definitions are silent on data and attributes; only the
            // figures show empty payloads: informational.
            EventKind::FeedAdd
            | EventKind::FeedRemove
            | EventKind::Activate
            | EventKind::Deactivate => no_data(uri, payload, &UNDEFINED_PAYLOAD, out),
            EventKind::AsyncResp => async_response(c, uri, payload, out),
            EventKind::Other => {}
        }
    }
}

/// A URI in the SCIM namespace that RFC 9967 §7.4 does not register: the
/// usual mistakes get the rule they break, any other is noted at MAY (the
/// registry takes new registrations).
fn registration(uri: &str, out: &mut Vec<Violation>) {
    if !is_scim(uri) || lookup(uri).is_some() {
        return;
    }
    let mut parts = uri[PREFIX.len()..].split(':');
    match (parts.next(), parts.next()) {
        (Some("prov"), Some("create" | "patch" | "put")) => push(
            out,
            &PROV_SUFFIX,
            format!("{uri} is not registered: create, patch and put end with :full or :notice"),
        ),
        (Some("prov"), Some("delete")) => push(
            out,
            &DELETE_SUFFIX,
            format!("{uri}: prov:delete takes no :full or :notice"),
        ),
        _ => push(
            out,
            &UNREGISTERED_EVENT,
            format!("{uri} is in the SCIM event namespace but RFC 9967 §7.4 does not register it"),
        ),
    }
}

/// §2.4: exactly one of `data` (`:full`) and `attributes` (`:notice`).
fn provisioning(
    uri: &str,
    mode: PayloadMode,
    payload: &Map<String, Value>,
    out: &mut Vec<Violation>,
) {
    let data = payload.get("data");
    let attributes = payload.get("attributes");
    match (data, attributes, mode) {
        (Some(_), Some(_), _) => push(
            out,
            &BOTH_PAYLOADS,
            format!("{uri} has both data and attributes"),
        ),
        (None, None, _) => push(
            out,
            &ONE_PAYLOAD,
            format!("{uri} has neither data nor attributes"),
        ),
        (Some(_), None, PayloadMode::Notice) => push(
            out,
            &PROV_SUFFIX,
            format!("{uri} carries data, so its URI must end with :full"),
        ),
        (None, Some(_), PayloadMode::Full) => push(
            out,
            &PAYLOAD_MEMBER,
            format!("{uri} is a full event: it carries data, not attributes"),
        ),
        _ => {}
    }
    if let Some(data) = data.filter(|d| !d.is_object()) {
        push(
            out,
            &PAYLOAD_MEMBER,
            format!("data of {uri} is {}, not an object", json_type(data)),
        );
    }
    if let Some(attributes) = attributes {
        attribute_paths(uri, attributes, out);
    }
}

fn attribute_paths(uri: &str, attributes: &Value, out: &mut Vec<Violation>) {
    let names: Option<Vec<&str>> = attributes
        .as_array()
        .and_then(|list| list.iter().map(Value::as_str).collect());
    let Some(names) = names else {
        push(
            out,
            &PAYLOAD_MEMBER,
            format!("attributes of {uri} is not an array of strings"),
        );
        return;
    };
    for name in names {
        if let Err(e) = crate::scim::path::parse(name) {
            push(
                out,
                &ATTRIBUTE_PATH,
                format!(
                    "attribute {name:?} of {uri} is not an RFC 7644 path: {}",
                    e.message
                ),
            );
        }
    }
}

/// Events whose definition has no `data` or `attributes`.
fn no_data(uri: &str, payload: &Map<String, Value>, rule: &'static Rule, out: &mut Vec<Violation>) {
    for member in ["data", "attributes"] {
        if payload.contains_key(member) {
            push(
                out,
                rule,
                format!("{uri} carries {member}, which its definition does not have"),
            );
        }
    }
}

/// §2.5.1.3: the payload is one Bulk response operation (RFC 7644 §3.7.3).
fn async_response(c: &Ctx, uri: &str, payload: &Map<String, Value>, out: &mut Vec<Violation>) {
    match payload.get("method") {
        Some(Value::String(m)) if METHODS.contains(&m.as_str()) => {}
        None => push(out, &ASYNC_METHOD, format!("{uri} has no method")),
        Some(other) => push(
            out,
            &ASYNC_METHOD,
            format!("method {other} is not POST, PUT, PATCH or DELETE"),
        ),
    }
    match payload.get("status") {
        None => push(out, &ASYNC_STATUS, format!("{uri} has no status")),
        Some(status) => match status_code(status) {
            None => push(
                out,
                &ASYNC_STATUS,
                format!("status {status} is not an HTTP status code"),
            ),
            Some(code) if !(200..300).contains(&code) => {
                error_response(code, payload.get("response"), out)
            }
            Some(_) => {}
        },
    }
    match payload.get("bulkId") {
        None => {}
        Some(Value::String(bulk_id)) => {
            let txn = c.claims.get("txn").and_then(Value::as_str).unwrap_or("");
            let suffix = txn.rsplit_once(':').map(|(_, s)| s);
            if suffix == Some(bulk_id.as_str()) && split_bulk_txn(txn).is_none() {
                push(
                    out,
                    &ASYNC_BULK_ID_AS_TXN,
                    format!("txn {txn:?} ends in the bulkId, not the operation index"),
                );
            }
        }
        Some(other) => push(
            out,
            &ASYNC_BULK_ID,
            format!("bulkId is {}, not a string", json_type(other)),
        ),
    }
}

/// A failed operation's `response` is an RFC 7644 §3.12 error.
fn error_response(code: u16, response: Option<&Value>, out: &mut Vec<Violation>) {
    let Some(response) = response else {
        push(
            out,
            &ASYNC_ERROR_RESPONSE,
            format!("status {code} is an error but there is no response"),
        );
        return;
    };
    let Some(error) = response.as_object() else {
        push(
            out,
            &ASYNC_ERROR_RESPONSE,
            format!("response is {}, not an object", json_type(response)),
        );
        return;
    };
    let lists_error = error
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|u| u == urn::ERROR));
    if !lists_error {
        push(
            out,
            &ASYNC_ERROR_RESPONSE,
            format!("response schemas does not list {}", urn::ERROR),
        );
    }
    if !error.get("status").is_some_and(Value::is_string) {
        push(
            out,
            &ASYNC_ERROR_RESPONSE,
            "response has no status string".into(),
        );
    }
}

// ---- which events may share a SET ------------------------------------------

/// One SET is one state change of one subject (RFC 9967 §2.1, RFC 8417
/// §2.2): two different operations, or opposite events, are not.
pub(crate) fn combination(c: &Ctx, out: &mut Vec<Violation>) {
    let kinds: Vec<EventKind> = event_payloads(c).map(|(uri, _)| classify(uri).0).collect();
    let has = |k| kinds.contains(&k);
    let mut operations: Vec<EventKind> = Vec::new();
    for k in &kinds {
        let is_operation = matches!(
            k,
            EventKind::Create | EventKind::Patch | EventKind::Put | EventKind::Delete
        );
        if is_operation && !operations.contains(k) {
            operations.push(*k);
        }
    }
    if operations.len() > 1 {
        push(
            out,
            &INDEPENDENT_EVENTS,
            format!("{operations:?} are separate operations, not one state change"),
        );
    }
    for (a, b) in [
        (EventKind::Activate, EventKind::Deactivate),
        (EventKind::FeedAdd, EventKind::FeedRemove),
    ] {
        if has(a) && has(b) {
            push(
                out,
                &INDEPENDENT_EVENTS,
                format!("{a:?} and {b:?} are opposite events"),
            );
        }
    }
    if has(EventKind::Delete) && has(EventKind::FeedRemove) {
        push(
            out,
            &DELETE_WITH_FEED_REMOVE,
            "a delete comes with a feed:remove".into(),
        );
    }
}

// ---- txn --------------------------------------------------------------------

/// `txn` is REQUIRED for asyncresp (§2.5.1.3) and equals the Set-Txn the
/// receiver waits for (§2.5.1.1). Elsewhere §2.2 requires it only for
/// async requests, co-ordinated provisioning and replication, which a SET
/// does not show, so its absence is informational (MAY).
pub(crate) fn transaction(c: &Ctx, out: &mut Vec<Violation>) {
    let txn = c.claims.get("txn");
    if txn.is_none() {
        let kinds: Vec<EventKind> = event_payloads(c).map(|(uri, _)| classify(uri).0).collect();
        if kinds.contains(&EventKind::AsyncResp) {
            push(out, &ASYNC_TXN, "an asyncresp SET has no txn".into());
        } else if kinds.iter().any(|k| *k != EventKind::Other) {
            push(out, &TXN, "there is no txn claim".into());
        }
    }
    let Some(expected) = &c.expect.txn else {
        return;
    };
    match txn.and_then(Value::as_str) {
        Some(t) if t == expected => {}
        Some(t) => push(
            out,
            &TXN_EXPECTED,
            format!("txn {t:?} is not the Set-Txn value {expected:?}"),
        ),
        None => push(
            out,
            &TXN_EXPECTED,
            format!("no txn string to match the Set-Txn value {expected:?}"),
        ),
    }
}
