//! Building the SETs of one resource change (RFC 9967 §2.1 – §2.4): the
//! `prov:*` event of the operation, `prov:activate` / `prov:deactivate`
//! when a User's `active` flips, all in one fresh transaction (`txn`) and
//! each with its own `jti`, signed HS256 and published to the feed (one
//! SET per jti).

use serde_json::{json, Map, Value};

use super::super::bugs::Bug;
use super::super::resources::representation;
use super::super::store::{Entry, Kind, Store};
use super::super::App;
use super::asynchronous;
use super::feed::Queued;
use super::Events;
use crate::scim::set::event::{self, EventKind, PayloadMode};
use crate::scim::set::{SetBuilder, SubId};

/// The SCIM operation that changed a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Create,
    Put,
    Patch,
    Delete,
}

/// One successful change, as the handler saw it.
#[derive(Clone, Copy, Debug)]
pub struct Change<'a> {
    pub op: Op,
    /// The resource before (none for a create).
    pub before: Option<&'a Entry>,
    /// The resource after (none for a delete).
    pub after: Option<&'a Entry>,
    /// The PATCH request body, whose operation paths a notice lists.
    pub patch: Option<&'a Value>,
}

impl<'a> Change<'a> {
    pub fn create(after: &'a Entry) -> Change<'a> {
        Change {
            op: Op::Create,
            before: None,
            after: Some(after),
            patch: None,
        }
    }

    pub fn put(before: Option<&'a Entry>, after: &'a Entry) -> Change<'a> {
        Change {
            op: Op::Put,
            before,
            after: Some(after),
            patch: None,
        }
    }

    pub fn patch(before: &'a Entry, after: &'a Entry, body: &'a Value) -> Change<'a> {
        Change {
            op: Op::Patch,
            before: Some(before),
            after: Some(after),
            patch: Some(body),
        }
    }

    pub fn delete(before: &'a Entry) -> Change<'a> {
        Change {
            op: Op::Delete,
            before: Some(before),
            after: None,
            patch: None,
        }
    }
}

/// Publishes the SETs of a change; nothing when events are off. `base` is
/// the absolute base URL, for `data` (meta.location, $ref).
pub fn emit(app: &App, store: &Store, base: &str, change: Change<'_>) {
    let Some(events) = app.events() else {
        return;
    };
    let Some(entry) = change.after.or(change.before) else {
        return;
    };
    let txn = asynchronous::txn().unwrap_or_else(new_id);
    let subject = subject(app, entry, base);
    let version = change.after.map(Entry::etag);
    asynchronous::record(&subject, version.clone(), &entry.location(base));

    let (uri, payload) = operation_event(app, events, store, base, &change);
    let mut sets = vec![sign(app, events, &txn, &subject, uri, payload)];
    if let Some(uri) = activation(app, &change) {
        sets.push(sign(app, events, &txn, &subject, uri, json!({})));
    }
    events.feed.publish(one_per_jti(sets));
}

/// The SETs as an outbox keyed by jti holds them: the last of those that
/// share a jti replaces the others. Every jti is fresh, so this changes
/// nothing unless bug `duplicate-jti` gives the SETs of a change one jti;
/// then the operation's event is lost to a `prov:activate` or
/// `prov:deactivate` after it, whether the SETs are polled or pushed.
fn one_per_jti(mut sets: Vec<Queued>) -> Vec<Queued> {
    let mut seen = std::collections::HashSet::new();
    sets.reverse();
    sets.retain(|s| seen.insert(s.jti.clone()));
    sets.reverse();
    sets
}

/// A fresh identifier for a `jti` or `txn`.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// One signed SET about `subject`, in transaction `txn`.
pub fn sign(
    app: &App,
    events: &Events,
    txn: &str,
    subject: &SubId,
    uri: &str,
    payload: Value,
) -> Queued {
    let jti = if app.bug(Bug::DuplicateJti) {
        txn.to_string()
    } else {
        new_id()
    };
    let config = &events.config;
    let now = chrono::Utc::now().timestamp();
    let mut set = SetBuilder::new(&config.issuer, &jti, now)
        .audience(&config.audience)
        .txn(txn);
    set = if app.bug(Bug::SetSubClaim) {
        set.claim("sub", json!(subject.uri))
    } else {
        set.sub_id(subject)
    };
    let set = set.event(uri, payload);
    let token = if app.bug(Bug::EventsUnsigned) {
        set.unsigned()
    } else {
        set.sign(&events.signer)
    };
    Queued::new(jti, token)
}

/// `sub_id` (RFC 9967 §2.1): the path relative to the base URI, the id and
/// the externalId when the resource has one.
fn subject(app: &App, entry: &Entry, base: &str) -> SubId {
    let uri = if app.bug(Bug::SubIdAbsoluteUri) {
        entry.location(base)
    } else {
        format!("{}/{}", entry.kind.endpoint(), entry.id)
    };
    let mut subject = SubId::scim(&uri);
    subject.id = Some(entry.id.clone());
    subject.external_id = entry
        .attrs
        .get("externalId")
        .and_then(Value::as_str)
        .map(str::to_string);
    subject
}

/// The `prov:*` event URI and payload of the operation.
fn operation_event(
    app: &App,
    events: &Events,
    store: &Store,
    base: &str,
    change: &Change<'_>,
) -> (&'static str, Value) {
    let data = |entry: &Entry| representation(app, store, entry, base);
    let kind = match change.op {
        Op::Create => EventKind::Create,
        Op::Put => EventKind::Put,
        Op::Patch => EventKind::Patch,
        Op::Delete => EventKind::Delete,
    };
    let Some(entry) = change.after.filter(|_| kind != EventKind::Delete) else {
        let mut payload = Map::new();
        if let (true, Some(before)) = (app.bug(Bug::DeleteWithPayload), change.before) {
            payload.insert("data".into(), data(before));
        }
        return (event::DELETE, Value::Object(payload));
    };
    let mode = if events.config.full {
        PayloadMode::Full
    } else {
        PayloadMode::Notice
    };
    let version = if app.bug(Bug::EventVersionStale) {
        change
            .before
            .map_or_else(|| "W/\"0\"".to_string(), Entry::etag)
    } else {
        entry.etag()
    };
    let mut payload = Map::new();
    payload.insert("version".into(), json!(version));
    if mode == PayloadMode::Full || app.bug(Bug::NoticeWithData) {
        payload.insert("data".into(), data(entry));
    }
    if mode == PayloadMode::Notice {
        payload.insert("attributes".into(), json!(notice_attributes(change)));
    }
    let uri = event::uri_for(kind, mode).unwrap_or(event::CREATE_FULL);
    (uri, Value::Object(payload))
}

/// `prov:activate` when a User's `active` goes from false to true,
/// `prov:deactivate` when it goes to false from true or absent. Only
/// replacements and modifications change it: a create has no "from".
fn activation(app: &App, change: &Change<'_>) -> Option<&'static str> {
    if !matches!(change.op, Op::Put | Op::Patch) {
        return None;
    }
    let (before, after) = (change.before?, change.after?);
    if after.kind != Kind::User {
        return None;
    }
    let active = |e: &Entry| e.attrs.get("active").and_then(Value::as_bool);
    match (active(before), active(after)) {
        (Some(false), Some(true)) => Some(event::ACTIVATE),
        (was, Some(false)) if was != Some(false) && !app.bug(Bug::NoDeactivateEvent) => {
            Some(event::DEACTIVATE)
        }
        _ => None,
    }
}

/// `attributes` of a notice (RFC 9967 §2.2, §2.4): every attribute of a
/// new resource; those a PUT added, changed or removed; the paths a PATCH
/// named (the value's attribute names for an operation without a path).
pub fn notice_attributes(change: &Change<'_>) -> Vec<String> {
    let mut names = match (change.op, change.before, change.after) {
        (Op::Patch, _, _) => change.patch.map(patch_paths).unwrap_or_default(),
        (_, Some(before), Some(after)) => changed(before, after),
        (_, None, Some(after)) => {
            let mut names = vec!["id".to_string()];
            names.extend(flatten(&after.attrs).into_iter().map(|(n, _)| n));
            if after.password.is_some() {
                names.push("password".into());
            }
            names
        }
        _ => Vec::new(),
    };
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.to_ascii_lowercase()));
    names
}

/// Attribute names and values, extension attributes as `urn:…:name`
/// (RFC 7644 §3.10); `schemas` is no attribute that changes.
fn flatten(attrs: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (name, value) in attrs.as_object().into_iter().flatten() {
        match value {
            _ if name == "schemas" => {}
            Value::Object(ext) if name.to_ascii_lowercase().starts_with("urn:") => {
                out.extend(ext.iter().map(|(sub, v)| (format!("{name}:{sub}"), v)));
            }
            _ => out.push((name.clone(), value)),
        }
    }
    out
}

/// Names whose values differ between two versions of a resource.
fn changed(before: &Entry, after: &Entry) -> Vec<String> {
    let old = flatten(&before.attrs);
    let new = flatten(&after.attrs);
    let value_in = |list: &[(String, &Value)], name: &str| {
        list.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| (*v).clone())
    };
    let mut names: Vec<String> = new
        .iter()
        .filter(|(n, v)| value_in(&old, n).as_ref() != Some(*v))
        .map(|(n, _)| n.clone())
        .collect();
    names.extend(
        old.iter()
            .filter(|(n, _)| value_in(&new, n).is_none())
            .map(|(n, _)| n.clone()),
    );
    if before.password != after.password {
        names.push("password".into());
    }
    names
}

/// The paths a PATCH request names.
fn patch_paths(body: &Value) -> Vec<String> {
    let mut names = Vec::new();
    let ops = body.get("Operations").and_then(Value::as_array);
    for op in ops.into_iter().flatten() {
        match (op.get("path").and_then(Value::as_str), op.get("value")) {
            (Some(path), _) => names.push(path.trim().to_string()),
            (None, Some(value)) => names.extend(flatten(value).into_iter().map(|(n, _)| n)),
            (None, None) => {}
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(attrs: Value, password: Option<&str>) -> Entry {
        Entry {
            kind: Kind::User,
            id: "u1".into(),
            attrs,
            password: password.map(str::to_string),
            created: String::new(),
            modified: String::new(),
            version: 1,
            deleted: false,
        }
    }

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    #[test]
    fn an_outbox_keeps_the_last_set_of_a_jti() {
        let q = |jti: &str, token: &str| Queued::new(jti.into(), token.into());
        let kept = one_per_jti(vec![q("a", "1"), q("b", "2"), q("a", "3")]);
        assert_eq!(kept, [q("b", "2"), q("a", "3")]);
    }

    #[test]
    fn a_create_notice_lists_every_attribute_with_extension_paths() {
        let e = entry(
            json!({"schemas": ["x"], "userName": "a", "name": {"givenName": "A"},
                   ENTERPRISE: {"employeeNumber": "7"}}),
            Some("pw"),
        );
        let names = notice_attributes(&Change::create(&e));
        let expected = [
            "id".to_string(),
            "userName".into(),
            "name".into(),
            format!("{ENTERPRISE}:employeeNumber"),
            "password".into(),
        ];
        assert_eq!(names, expected);
        for n in &names {
            assert!(crate::scim::path::parse(n).is_ok(), "{n}");
        }
    }

    #[test]
    fn a_put_notice_lists_added_changed_and_removed_attributes() {
        let before = entry(
            json!({"userName": "a", "title": "t", "nickName": "n"}),
            None,
        );
        let after = entry(
            json!({"userName": "a", "title": "T", "displayName": "d"}),
            None,
        );
        let names = notice_attributes(&Change::put(Some(&before), &after));
        assert_eq!(names, ["title", "displayName", "nickName"]);
    }

    #[test]
    fn a_patch_notice_lists_the_operation_paths_once() {
        let e = entry(json!({}), None);
        let body = json!({"Operations": [
            {"op": "replace", "path": "active", "value": false},
            {"op": "add", "value": {"title": "x", "name.givenName": "y", ENTERPRISE: {"department": "d"}}},
            {"op": "remove", "path": "Active"},
            {"op": "remove", "path": "emails[type eq \"work\"]"}
        ]});
        let names = notice_attributes(&Change::patch(&e, &e, &body));
        let expected = [
            "active".to_string(),
            "title".into(),
            "name.givenName".into(),
            format!("{ENTERPRISE}:department"),
            "emails[type eq \"work\"]".into(),
        ];
        assert_eq!(names, expected);
    }
}
