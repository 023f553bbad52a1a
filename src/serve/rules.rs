//! Rules the reference server applies to writes: uniqueness (RFC 7644 §3.3,
//! RFC 7643 §7), immutability (RFC 7644 §3.5.1), and the bugs that bend them.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

use super::bugs::Bug;
use super::respond::error;
use super::store::{Kind, Store};
use super::App;
use crate::scim::Schema;

/// A uniqueness conflict (RFC 7644 §3.3, RFC 7643 §7), if any: for every
/// attribute the resource type's schemas declare unique, the value must not
/// be another live resource's; strings that are not caseExact compare
/// without case. The uniqueness bugs bend this one mechanism.
pub(super) fn conflict(
    app: &App,
    store: &Store,
    kind: Kind,
    attrs: &Value,
    except: Option<&str>,
) -> Option<Response> {
    if let Some(taken) = super::shape::email_taken(app, store, kind, attrs, except) {
        let detail = format!("the e-mail address {taken} is already in use");
        return Some(error(
            app,
            StatusCode::CONFLICT,
            Some("uniqueness"),
            &detail,
        ));
    }
    for schema in app.model().schemas_of(kind) {
        let core = schema.id == kind.schema();
        if (core && app.bug(Bug::UniquenessNotEnforced))
            || (!core && app.bug(Bug::CustomUniquenessIgnored))
        {
            continue;
        }
        for a in schema
            .attributes
            .iter()
            .filter(|a| a.uniqueness != crate::scim::Uniqueness::None)
        {
            let Some(mine) = attr_value(attrs, kind, &schema, &a.name) else {
                continue;
            };
            let fold = !a.case_exact && !app.bug(Bug::UniquenessCaseSensitive);
            // RFC 7644 §5: userName is prepared as PRECIS (RFC 7613) before
            // it is compared: here, Unicode normalization form C.
            let precis = core && a.name == "userName" && !app.bug(Bug::UserNameNotNormalized);
            let prepared = |s: &str| {
                let s: String = if precis {
                    s.nfc().collect()
                } else {
                    s.to_string()
                };
                if fold {
                    s.to_lowercase()
                } else {
                    s
                }
            };
            let same = |other: &Value| match (mine, other) {
                (Value::String(x), Value::String(y)) => prepared(x) == prepared(y),
                _ => mine == other,
            };
            let live = store
                .list(kind)
                .filter(|e| Some(e.id.as_str()) != except)
                .any(|e| attr_value(&e.attrs, kind, &schema, &a.name).is_some_and(same));
            let deleted = core
                && a.name == "userName"
                && app.bug(Bug::DeletedNameReserved)
                && store
                    .deleted_names
                    .iter()
                    .any(|n| same(&Value::String(n.clone())));
            if live || deleted {
                let scim_type = (!app.bug(Bug::ConflictWithoutScimType)).then_some("uniqueness");
                let detail = format!("{} {mine} is already in use", a.name);
                return Some(error(app, StatusCode::CONFLICT, scim_type, &detail));
            }
        }
    }
    None
}

/// Lower-cases caseExact strings (the case-exact-folded bug).
pub(super) fn fold_case_exact(app: &App, attrs: &mut serde_json::Map<String, Value>, kind: Kind) {
    for schema in app.model().schemas_of(kind) {
        let core = schema.id == kind.schema();
        let holder = if core {
            Some(&mut *attrs)
        } else {
            attrs.get_mut(&schema.id).and_then(Value::as_object_mut)
        };
        let Some(h) = holder else { continue };
        for a in schema
            .attributes
            .iter()
            .filter(|a| a.case_exact && a.kind == crate::scim::AttrType::String)
        {
            if let Some(Value::String(s)) = h.get_mut(&a.name) {
                *s = s.to_lowercase();
            }
        }
    }
}

/// Where an attribute of `schema` lives in a resource's attributes.
fn attr_value<'v>(attrs: &'v Value, kind: Kind, schema: &Schema, name: &str) -> Option<&'v Value> {
    let holder = if schema.id == kind.schema() {
        Some(attrs)
    } else {
        attrs.get(&schema.id)
    };
    holder.and_then(|h| h.get(name)).filter(|v| !v.is_null())
}

/// RFC 7644 §3.5.1: an immutable attribute that has a value must be sent
/// unchanged; left out, it keeps its value.
pub(super) fn check_immutable(
    app: &App,
    kind: Kind,
    old: &Value,
    new: &mut Value,
) -> Option<Response> {
    for schema in app.model().schemas_of(kind) {
        for a in schema
            .attributes
            .iter()
            .filter(|a| a.mutability == crate::scim::Mutability::Immutable)
        {
            let Some(before) = attr_value(old, kind, &schema, &a.name).cloned() else {
                if app.bug(Bug::ImmutableUnsetRefused)
                    && attr_value(new, kind, &schema, &a.name).is_some()
                {
                    return Some(immutable(app, &a.name));
                }
                continue;
            };
            match attr_value(new, kind, &schema, &a.name) {
                Some(after) if *after != before && !app.bug(Bug::ImmutableUpdatable) => {
                    return Some(immutable(app, &a.name));
                }
                Some(_) => {}
                None => {
                    let core = schema.id == kind.schema();
                    let obj = new.as_object_mut()?;
                    let holder = if core {
                        obj
                    } else {
                        obj.entry(schema.id.clone())
                            .or_insert_with(|| Value::Object(Default::default()))
                            .as_object_mut()?
                    };
                    holder.insert(a.name.clone(), before);
                }
            }
        }
    }
    None
}

/// 400 mutability: an immutable attribute's value cannot change.
fn immutable(app: &App, name: &str) -> Response {
    let detail = format!("{name} is immutable");
    error(app, StatusCode::BAD_REQUEST, Some("mutability"), &detail)
}
