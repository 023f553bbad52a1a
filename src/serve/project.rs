//! `attributes` and `excludedAttributes` (RFC 7644 §3.9, §3.4.2.5) in the
//! reference server: paths in attribute notation (§3.10), URN-qualified or
//! not; `id` and `schemas` are always returned.

use serde_json::{Map, Value};

use super::bugs::Bug;
use super::App;
use crate::scim::filter::{parse_attr_path, AttrPath};
use crate::scim::{Returned, Schema};

fn find_key(obj: &Map<String, Value>, name: &str) -> Option<String> {
    obj.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// The object holding the path's attribute: the resource, or an extension object.
fn holder<'v>(
    obj: &'v mut Map<String, Value>,
    p: &AttrPath,
    core: &str,
) -> Option<&'v mut Map<String, Value>> {
    match &p.urn {
        Some(u) if !u.eq_ignore_ascii_case(core) => {
            let k = find_key(obj, u)?;
            obj.get_mut(&k)?.as_object_mut()
        }
        _ => Some(obj),
    }
}

fn paths(list: Option<&String>) -> Vec<AttrPath> {
    list.map(|l| {
        l.split(',')
            .filter_map(|s| parse_attr_path(s.trim(), 0).ok())
            .collect()
    })
    .unwrap_or_default()
}

/// Copies the value at `p` from `src` into `dst`.
fn copy(
    src: &Map<String, Value>,
    dst: &mut Map<String, Value>,
    p: &AttrPath,
    core: &str,
    whole: bool,
) {
    let (src, dst) = match &p.urn {
        Some(u) if !u.eq_ignore_ascii_case(core) => {
            let Some(k) = find_key(src, u) else { return };
            let Some(inner) = src[&k].as_object() else {
                return;
            };
            let entry = dst.entry(k).or_insert_with(|| Value::Object(Map::new()));
            let Some(d) = entry.as_object_mut() else {
                return;
            };
            return copy(
                inner,
                d,
                &AttrPath {
                    urn: None,
                    ..p.clone()
                },
                core,
                whole,
            );
        }
        _ => (src, dst),
    };
    let Some(k) = find_key(src, &p.name) else {
        return;
    };
    match (&p.sub, &src[&k]) {
        (Some(sub), Value::Object(o)) if !whole => {
            if let Some(sk) = find_key(o, sub) {
                let e = dst.entry(k).or_insert_with(|| Value::Object(Map::new()));
                if let Some(d) = e.as_object_mut() {
                    d.insert(sk.clone(), o[&sk].clone());
                }
            }
        }
        (Some(sub), Value::Array(items)) if !whole => {
            let picked: Vec<Value> = items
                .iter()
                .filter_map(|i| i.as_object())
                .map(|o| {
                    Value::Object(
                        o.iter()
                            .filter(|(n, _)| n.eq_ignore_ascii_case(sub))
                            .map(|(n, v)| (n.clone(), v.clone()))
                            .collect(),
                    )
                })
                .collect();
            dst.insert(k, Value::Array(picked));
        }
        (_, v) => {
            dst.insert(k, v.clone());
        }
    }
}

/// Removes what the schemas say is never returned, and what is returned only
/// on request unless `attributes` or `written` (the request body of a POST or
/// PUT) names it (RFC 7643 §7 "returned").
pub fn shape(
    app: &App,
    mut body: Value,
    schemas: &[Schema],
    attributes: Option<&String>,
    written: Option<&Value>,
) -> Value {
    let asked = paths(attributes);
    let Some(obj) = body.as_object_mut() else {
        return body;
    };
    for schema in schemas {
        let core = schema.id == crate::scim::urn::USER || schema.id == crate::scim::urn::GROUP;
        for attr in &schema.attributes {
            let hide = match attr.returned {
                Returned::Never => !app.bug(Bug::WriteOnlyReturned) && attr.name != "password",
                Returned::Request => {
                    let named = asked.iter().any(|p| {
                        p.name.eq_ignore_ascii_case(&attr.name)
                            && p.urn
                                .as_deref()
                                .is_none_or(|u| u.eq_ignore_ascii_case(&schema.id))
                    });
                    let sent = written.is_some_and(|w| {
                        let holder = if core { Some(w) } else { w.get(&schema.id) };
                        holder.and_then(|h| h.get(&attr.name)).is_some()
                    });
                    !named && !sent && !app.bug(Bug::ReturnedRequestAlways)
                }
                _ => false,
            };
            if !hide {
                continue;
            }
            let holder = if core {
                Some(&mut *obj)
            } else {
                obj.get_mut(&schema.id).and_then(Value::as_object_mut)
            };
            if let Some(h) = holder {
                if let Some(k) = find_key(h, &attr.name) {
                    h.remove(&k);
                }
            }
        }
    }
    body
}

/// Applies the parameters to one resource of core schema `core`.
pub fn project(
    app: &App,
    body: Value,
    attributes: Option<&String>,
    excluded: Option<&String>,
    core: &str,
) -> Value {
    let Value::Object(obj) = body else {
        return body;
    };
    let wanted = paths(attributes);
    if !wanted.is_empty() && !app.bug(Bug::AttributesIgnored) {
        let mut out = Map::new();
        let always: &[&str] = if app.bug(Bug::AttributesDropSchemas) {
            &["id"]
        } else {
            &["schemas", "id"]
        };
        for always in always {
            if let Some(v) = obj.get(*always) {
                out.insert(always.to_string(), v.clone());
            }
        }
        for p in &wanted {
            copy(&obj, &mut out, p, core, app.bug(Bug::AttributesSubWhole));
        }
        return Value::Object(out);
    }
    let mut obj = obj;
    let excluded = if app.bug(Bug::ExcludedIgnored) {
        vec![]
    } else {
        paths(excluded)
    };
    for p in excluded {
        let is_id = p.urn.is_none() && p.sub.is_none() && p.name.eq_ignore_ascii_case("id");
        if (is_id && !app.bug(Bug::ExcludedRemovesId)) || p.name.eq_ignore_ascii_case("schemas") {
            continue;
        }
        let Some(h) = holder(&mut obj, &p, core) else {
            continue;
        };
        let Some(k) = find_key(h, &p.name) else {
            continue;
        };
        match &p.sub {
            None => {
                h.remove(&k);
            }
            Some(sub) => match h.get_mut(&k) {
                Some(Value::Object(o)) => {
                    if let Some(sk) = find_key(o, sub) {
                        o.remove(&sk);
                    }
                }
                Some(Value::Array(items)) => {
                    for i in items.iter_mut().filter_map(Value::as_object_mut) {
                        if let Some(sk) = find_key(i, sub) {
                            i.remove(&sk);
                        }
                    }
                }
                _ => {}
            },
        }
    }
    Value::Object(obj)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::urn;
    use crate::serve::{App, ServerConfig};
    use serde_json::json;

    #[test]
    fn attributes_keep_the_minimum_and_the_requested() {
        let app = App::new(ServerConfig::default());
        let r = json!({"schemas": ["s"], "id": "1", "userName": "a", "name": {"givenName": "g", "familyName": "f"}, "title": "t",
                       "emails": [{"value": "v", "type": "work"}],
                       urn::ENTERPRISE_USER: {"employeeNumber": "7", "department": "d"}});
        let a = format!(
            "userName,name.givenName,emails.type,{}:employeeNumber",
            urn::ENTERPRISE_USER
        );
        assert_eq!(
            project(&app, r.clone(), Some(&a), None, urn::USER),
            json!({"schemas": ["s"], "id": "1", "userName": "a", "name": {"givenName": "g"}, "emails": [{"type": "work"}],
                   urn::ENTERPRISE_USER: {"employeeNumber": "7"}})
        );
        let x = format!(
            "title,id,name.familyName,{}:department",
            urn::ENTERPRISE_USER
        );
        assert_eq!(
            project(&app, r, None, Some(&x), urn::USER),
            json!({"schemas": ["s"], "id": "1", "userName": "a", "name": {"givenName": "g"}, "emails": [{"value": "v", "type": "work"}],
                   urn::ENTERPRISE_USER: {"employeeNumber": "7"}})
        );
    }
}
