//! The reference server's PATCH (RFC 7644 §3.5.2): the reference applier
//! computes the new resource, which then passes the same validation as a
//! PUT (types, members, uniqueness). The PATCH bugs bend the request or the
//! result around the applier.

#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::bugs::Bug;
use super::events::{emit, Change};
use super::resources::{
    find, missing, now, parse_body, precondition_failed, prepare, resource_response,
};
use super::respond::error;
use super::rules::conflict;
use super::store::Kind;
use super::{base_url, App};
use crate::scim::patch::{parse_request, Applier, OpKind, Operation, PatchError};
use crate::scim::path::PatchPath;
use crate::scim::{Mutability, Schema};

fn refuse(app: &App, status: StatusCode, e: &PatchError) -> Response {
    error(app, status, e.scim_type(), &e.detail)
}

/// PATCH /Users/{id} and /Groups/{id}.
pub async fn patch(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
    kind: Kind,
) -> Response {
    if app.shape(super::Shape::NoPatch) || app.bug(Bug::SpcPatchOverAdvertised) {
        return error(
            &app,
            StatusCode::NOT_IMPLEMENTED,
            None,
            "PATCH is not supported",
        );
    }
    if app.bug(Bug::UnsupportedPatch400) {
        return error(
            &app,
            StatusCode::BAD_REQUEST,
            None,
            "PATCH is not supported",
        );
    }
    let base = base_url(&headers);
    let body = match parse_body(&app, &body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut store = app.store();
    let Some(entry) = find(&app, &store, kind, &id).cloned() else {
        return missing(&app, kind, &id);
    };
    if let Some(r) = precondition_failed(&app, &headers, &entry) {
        return r;
    }
    if let Some(r) = refused_shapes(&app, &body) {
        return r;
    }
    let body = if app.bug(Bug::PatchBadOperationsSkipped) {
        readable_only(body)
    } else {
        body
    };
    let ops = match parse_request(&body) {
        Ok(ops) => ops,
        Err(e) if app.bug(Bug::PatchRemoveWithoutPathOk) && e.scim_types == ["noTarget"] => {
            return resource_response(&app, &store, &entry, &base, StatusCode::OK, Some(&q), None);
        }
        Err(e) => {
            if app.bug(Bug::EventOnFailedOperation) {
                emit(&app, &store, &base, Change::patch(&entry, &entry, &body));
            }
            return refuse(&app, StatusCode::BAD_REQUEST, &e);
        }
    };
    if app.bug(Bug::PatchPathUnsupported) && ops.iter().any(|o| o.path.is_some()) {
        return error(
            &app,
            StatusCode::NOT_IMPLEMENTED,
            None,
            "PATCH with a path is not implemented",
        );
    }
    let schemas = bent_schemas(&app, kind);
    let core = schemas
        .iter()
        .find(|s| s.id == kind.schema())
        .expect("core schema");
    let exts: Vec<&Schema> = schemas.iter().filter(|s| s.id != kind.schema()).collect();
    let applier = Applier::new(core, exts.clone());

    let mut resource = entry.attrs.clone();
    resource["id"] = json!(entry.id);
    if let Some(pw) = &entry.password {
        resource["password"] = json!(pw);
    }
    let ops = bend_operations(&app, &resource, ops, core, &exts);
    let mut current = resource.clone();
    let mut failure = None;
    for op in &ops {
        let before = current.clone();
        if app.bug(Bug::PatchSchemasStale) && outside_first_schemas(op, &resource) {
            failure = Some(PatchError::new(
                &["noTarget"],
                "the resource has no such extension",
            ));
            break;
        }
        match applier.apply_operations(&current, std::slice::from_ref(op)) {
            Ok(done)
                if app.bug(Bug::PatchFilteredAddRefused) && grew(op, &before, &done.resource) =>
            {
                failure = Some(PatchError::new(
                    &["noTarget"],
                    "the value filter matches no value",
                ));
                break;
            }
            Ok(done) => current = bend_result(&app, &before, op, done.resource),
            Err(e) if app.bug(Bug::PatchNoMatchAppends) && e.scim_types == ["noTarget"] => {
                match applier.apply_operations(&current, &[as_append(op)]) {
                    Ok(done) => current = done.resource,
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let partial = failure.is_some() && app.bug(Bug::PatchNotAtomic);
    if let (Some(e), false) = (&failure, partial) {
        if app.bug(Bug::EventOnFailedOperation) {
            emit(&app, &store, &base, Change::patch(&entry, &entry, &body));
        }
        return refuse(&app, StatusCode::BAD_REQUEST, e);
    }
    let changed = current != resource;
    let mut updated = entry.clone();
    if changed {
        let mut attrs = current.clone();
        if let Some(o) = attrs.as_object_mut() {
            o.remove("id");
        }
        let input = match prepare(&app, &store, kind, &attrs) {
            Ok(i) => i,
            Err(r) => return r,
        };
        if let Some(r) = conflict(&app, &store, kind, &input.attrs, Some(&id)) {
            return r;
        }
        updated.attrs = input.attrs;
        updated.password = input.password;
    }
    if changed || app.bug(Bug::PatchNoopTouches) {
        if !app.bug(Bug::LastModifiedFrozen) {
            updated.modified = now();
        }
        if !app.bug(Bug::PatchEtagUnchanged) {
            updated.version += 1;
        }
    }
    store.insert(updated.clone());
    if let Some(e) = failure {
        if app.bug(Bug::EventOnFailedOperation) {
            emit(&app, &store, &base, Change::patch(&entry, &updated, &body));
        }
        return refuse(&app, StatusCode::BAD_REQUEST, &e);
    }
    emit(&app, &store, &base, Change::patch(&entry, &updated, &body));
    if app.bug(Bug::Patch204WithAttributes) {
        return StatusCode::NO_CONTENT.into_response();
    }
    let shown = if app.bug(Bug::PatchResponseStale) {
        &entry
    } else {
        &updated
    };
    resource_response(&app, &store, shown, &base, StatusCode::OK, Some(&q), None)
}

/// Request shapes some bugs refuse outright.
fn refused_shapes(app: &App, body: &Value) -> Option<Response> {
    let ops = body.get("Operations").and_then(Value::as_array)?;
    let bad = |scim_type: &str, detail: &str| {
        Some(error(app, StatusCode::BAD_REQUEST, Some(scim_type), detail))
    };
    for o in ops {
        let op = o.get("op").and_then(Value::as_str).unwrap_or("");
        if app.bug(Bug::PatchOpCaseSensitive) && op != op.to_lowercase() {
            return bad("invalidSyntax", &format!("unknown op {op:?}"));
        }
        if app.bug(Bug::PatchStringBoolRefused) && has_bool_string(o.get("value")) {
            return bad("invalidValue", "a boolean must be true or false");
        }
        if app.bug(Bug::PatchNullRefRefused) && has_null(o.get("value")) {
            return bad("invalidValue", "null is not a value");
        }
        let pathless_id =
            o.get("path").is_none() && o.get("value").and_then(|v| v.get("id")).is_some();
        if app.bug(Bug::PatchSameReadOnlyRefused) && pathless_id {
            return bad("mutability", "id is readOnly");
        }
        let path = o.get("path").and_then(Value::as_str).unwrap_or("");
        if app.bug(Bug::PatchUrnPathRefused) && path.to_lowercase().starts_with("urn:") {
            return bad("invalidPath", &format!("unknown path {path:?}"));
        }
    }
    None
}

fn has_null(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Null) => true,
        Some(Value::Array(a)) => a.iter().any(|v| has_null(Some(v))),
        Some(Value::Object(o)) => o.values().any(|v| has_null(Some(v))),
        _ => false,
    }
}

/// The body with only the operations that can be read on their own.
fn readable_only(mut body: Value) -> Value {
    if let Some(ops) = body.get_mut("Operations").and_then(Value::as_array_mut) {
        ops.retain(|o| {
            parse_request(&json!({"schemas": [crate::scim::urn::PATCH_OP], "Operations": [o]}))
                .is_ok()
        });
        if ops.is_empty() {
            ops.push(json!({"op": "add", "value": {}}));
        }
    }
    body
}

/// Whether an add through a value filter created a new value.
fn grew(op: &Operation, before: &Value, after: &Value) -> bool {
    let Some(p) = op
        .path
        .as_ref()
        .filter(|p| op.op == OpKind::Add && p.filter.is_some())
    else {
        return false;
    };
    let len = |v: &Value| {
        v.get(&p.attr.name)
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    };
    len(after) > len(before)
}

fn has_bool_string(v: Option<&Value>) -> bool {
    match v {
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false"),
        Some(Value::Object(o)) => o.values().any(|v| has_bool_string(Some(v))),
        _ => false,
    }
}

/// The schemas the applier sees: the real ones, or ones with a
/// characteristic a bug ignores.
fn bent_schemas(app: &App, kind: Kind) -> Vec<Schema> {
    let mut schemas = app.model().schemas_of(kind);
    for s in &mut schemas {
        for a in &mut s.attributes {
            bend_attribute(app, a);
            for sub in &mut a.sub_attributes {
                bend_attribute(app, sub);
            }
        }
    }
    schemas
}

fn bend_attribute(app: &App, a: &mut crate::scim::Attribute) {
    if app.bug(Bug::PatchRemoveRequired) {
        a.required = false;
    }
    if app.bug(Bug::PatchImmutableReplace) && a.mutability == Mutability::Immutable {
        a.mutability = Mutability::ReadWrite;
    }
}

fn read_only(core: &Schema, exts: &[&Schema], path: &PatchPath) -> bool {
    let ev = crate::scim::filter::Evaluator::new(core, exts.to_vec());
    ev.lookup(&path.attr).is_ok_and(|(_, a, sub)| {
        a.mutability == Mutability::ReadOnly
            || sub
                .or_else(|| path.sub.as_deref().and_then(|s| a.sub_attribute(s)))
                .is_some_and(|s| s.mutability == Mutability::ReadOnly)
    })
}

/// The operations as the bugs misread them.
fn bend_operations(
    app: &App,
    resource: &Value,
    ops: Vec<Operation>,
    core: &Schema,
    exts: &[&Schema],
) -> Vec<Operation> {
    let mut out = vec![];
    for mut op in ops {
        let path = op.path.clone();
        match (&path, op.op) {
            (Some(p), _) if app.bug(Bug::PatchReadOnlyIgnored) && read_only(core, exts, p) => {
                continue
            }
            (Some(p), OpKind::Remove)
                if app.bug(Bug::PatchMemberFilterIgnored)
                    && p.attr.name.eq_ignore_ascii_case("members")
                    && p.filter.is_some() =>
            {
                continue
            }
            (Some(p), OpKind::Replace)
                if app.bug(Bug::PatchReplaceMissingIgnored)
                    && p.filter.is_none()
                    && p.attr.urn.is_none()
                    && resource.get(&p.attr.name).is_none() =>
            {
                continue
            }
            (Some(p), OpKind::Replace) if p.filter.is_none() && p.attr.urn.is_none() => {
                let complex = core
                    .attributes
                    .iter()
                    .find(|a| a.name.eq_ignore_ascii_case(&p.attr.name))
                    .is_some_and(|a| a.kind == crate::scim::AttrType::Complex && !a.multi_valued);
                let clear = complex
                    && ((app.bug(Bug::PatchSubReplacesWhole) && p.attr.sub.is_some())
                        || (app.bug(Bug::PatchComplexReplaceClears) && p.attr.sub.is_none()));
                if clear {
                    let mut whole = p.clone();
                    whole.attr.sub = None;
                    out.push(Operation {
                        op: OpKind::Remove,
                        path: Some(whole),
                        value: None,
                    });
                }
            }
            (None, _) if app.bug(Bug::PatchPathlessIgnored) => continue,
            (Some(p), OpKind::Remove)
                if app.bug(Bug::PatchRemoveValueRemovesAll) && p.filter.is_none() =>
            {
                op.value = None;
            }
            (None, _) => {
                if let Some(Value::Object(v)) = &mut op.value {
                    if app.bug(Bug::PatchReadOnlyIgnored) {
                        v.retain(|k, _| {
                            !["id", "meta", "groups"]
                                .iter()
                                .any(|r| r.eq_ignore_ascii_case(k))
                        });
                    }
                    if app.bug(Bug::PatchDottedKeysIgnored) {
                        let declared = |k: &str| {
                            exts.iter().any(|s| s.id.eq_ignore_ascii_case(k))
                                || core.id.eq_ignore_ascii_case(k)
                        };
                        v.retain(|k, _| {
                            declared(k)
                                || !(k.contains('.') || k.to_lowercase().starts_with("urn:"))
                        });
                    }
                }
            }
            _ => {}
        }
        out.push(op);
    }
    out
}

/// The result as the bugs leave it.
fn bend_result(app: &App, before: &Value, op: &Operation, mut after: Value) -> Value {
    let Some(p) = op
        .path
        .as_ref()
        .filter(|p| p.filter.is_none() && p.sub_attribute().is_none() && p.attr.urn.is_none())
    else {
        return after;
    };
    let name = p.attr.name.as_str();
    let old: Vec<Value> = before
        .get(name)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if app.bug(Bug::PatchAddDuplicates) && op.op == OpKind::Add {
        if let Some(Value::Array(new)) = &op.value {
            let mut all = old.clone();
            all.extend(new.iter().cloned());
            if after
                .get(name)
                .and_then(Value::as_array)
                .is_some_and(|a| a.len() < all.len())
            {
                after[name] = Value::Array(all);
            }
        }
    }
    if app.bug(Bug::PatchPrimaryNotExclusive) {
        if let Some(items) = after.get_mut(name).and_then(Value::as_array_mut) {
            for item in items.iter_mut() {
                let was_primary = old
                    .iter()
                    .any(|o| o["value"] == item["value"] && o["primary"] == json!(true));
                if was_primary {
                    item["primary"] = json!(true);
                }
            }
        }
    }
    after
}

/// A replace whose filter matched nothing, misread as an add of a new value.
fn as_append(op: &Operation) -> Operation {
    let p = op.path.as_ref().expect("a filtered path");
    let mut value = match (&p.sub, &op.value) {
        (Some(sub), Some(v)) => json!({ sub.as_str(): v }),
        (None, Some(v)) => v.clone(),
        _ => json!({}),
    };
    if let (
        Some(crate::scim::filter::Filter::Compare(
            a,
            crate::scim::filter::CompareOp::Eq,
            crate::scim::filter::CompValue::Str(s),
        )),
        Some(o),
    ) = (&p.filter, value.as_object_mut())
    {
        o.entry(a.name.clone()).or_insert(json!(s));
    }
    let mut path = p.clone();
    path.filter = None;
    path.sub = None;
    Operation {
        op: OpKind::Add,
        path: Some(path),
        value: Some(json!([value])),
    }
}

/// The patch-schemas-stale bug: a replace or remove in an extension that the
/// resource's schemas did not list before the request, even when an earlier
/// operation of the same request added it (RFC 7644 §3.5.2 says later
/// operations assume the modified schemas).
fn outside_first_schemas(op: &Operation, resource: &Value) -> bool {
    let Some(urn) = op.path.as_ref().and_then(|p| p.attr.urn.as_deref()) else {
        return false;
    };
    let listed = resource["schemas"].as_array().is_some_and(|s| {
        s.iter()
            .any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(urn)))
    });
    op.op != OpKind::Add && !listed
}
