//! Whether a server's resource equals the applier's result, attribute by
//! attribute, in the terms of RFC 7643: names without case (§2.1), strings
//! without case unless caseExact (§2.3.1, §7), multi-valued values in any
//! order (§2.4), unassigned, null and empty alike (§2.5).
//!
//! Only what the client controls is compared: `id`, and the attributes that
//! are neither readOnly nor returned "never" or "request". Inside values, a
//! sub-attribute the server adds is accepted when it is readOnly, immutable
//! (set by the server when the client sent none, like `members.type`),
//! `$ref`, or not declared.

use serde_json::Value;

use super::apply::{assigned_names, key, same, unassigned};
use crate::scim::{AttrType, Attribute, Mutability, Returned, Schema};

/// One attribute whose value differs.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    pub path: String,
    pub expected: Option<Value>,
    pub actual: Option<Value>,
}

fn compared(a: &Attribute) -> bool {
    a.mutability != Mutability::ReadOnly
        && a.mutability != Mutability::WriteOnly
        && !matches!(a.returned, Returned::Never | Returned::Request)
}

fn assigned(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !unassigned(v))
}

/// The differences between the expected and the actual resource.
pub fn differences(
    core: &Schema,
    extensions: &[&Schema],
    expected: &Value,
    actual: &Value,
) -> Vec<Difference> {
    let mut out = vec![];
    let (e, a) = (key(expected, "id"), key(actual, "id"));
    if e != a {
        out.push(Difference {
            path: "id".into(),
            expected: e.cloned(),
            actual: a.cloned(),
        });
    }
    compare_attrs(&core.attributes, "", expected, actual, &mut out);
    for ext in extensions {
        let (e, a) = (key(expected, &ext.id), key(actual, &ext.id));
        let null = Value::Null;
        compare_attrs(
            &ext.attributes,
            &format!("{}:", ext.id),
            e.unwrap_or(&null),
            a.unwrap_or(&null),
            &mut out,
        );
    }
    out
}

fn compare_attrs(
    defs: &[Attribute],
    prefix: &str,
    expected: &Value,
    actual: &Value,
    out: &mut Vec<Difference>,
) {
    for def in defs.iter().filter(|d| compared(d)) {
        let e = assigned(key(expected, &def.name));
        let a = assigned(key(actual, &def.name));
        let equal = match (e, a) {
            (None, None) => true,
            (Some(e), Some(a)) => equivalent(def, e, a),
            _ => false,
        };
        if !equal {
            out.push(Difference {
                path: format!("{prefix}{}", def.name),
                expected: e.cloned(),
                actual: a.cloned(),
            });
        }
    }
}

/// A sub-attribute the server may add on its own.
fn server_may_add(parent: &Attribute, name: &str) -> bool {
    match parent.sub_attribute(name) {
        None => true,
        Some(s) => {
            s.name == "$ref"
                || matches!(s.mutability, Mutability::ReadOnly | Mutability::Immutable)
                || s.returned == Returned::Never
        }
    }
}

fn equivalent(def: &Attribute, e: &Value, a: &Value) -> bool {
    if def.multi_valued {
        let es: Vec<&Value> = match e {
            Value::Array(x) => x.iter().collect(),
            other => vec![other],
        };
        let mut left: Vec<&Value> = match a {
            Value::Array(x) => x.iter().collect(),
            other => vec![other],
        };
        if es.len() != left.len() {
            return false;
        }
        for item in es {
            match left.iter().position(|x| one_value(def, item, x)) {
                Some(i) => {
                    left.remove(i);
                }
                None => return false,
            }
        }
        true
    } else {
        one_value(def, e, a)
    }
}

fn one_value(def: &Attribute, e: &Value, a: &Value) -> bool {
    if def.kind != AttrType::Complex {
        return match (def.kind, e, a) {
            (AttrType::DateTime, Value::String(x), Value::String(y)) => {
                let t = crate::scim::filter::parse_time;
                t(x).is_some() && t(x) == t(y)
            }
            _ => same(def, e, a),
        };
    }
    let (en, an) = (assigned_names(e), assigned_names(a));
    en.iter().all(|n| {
        let (x, y) = (key(e, n), key(a, n));
        match (def.sub_attribute(n), x, y) {
            (Some(_), Some(_), None) => false,
            (Some(s), Some(x), Some(y)) => one_value(s, x, y),
            (None, x, y) => x == y || y.is_some(),
            _ => true,
        }
    }) && an.iter().all(|n| en.contains(n) || server_may_add(def, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::core_schemas;
    use crate::scim::urn;
    use serde_json::json;

    #[test]
    fn equal_in_the_rfc_sense() {
        let schemas = core_schemas();
        let user = schemas.iter().find(|s| s.id == urn::USER).unwrap();
        let group = schemas.iter().find(|s| s.id == urn::GROUP).unwrap();
        let e = json!({"id": "1", "userName": "Bjensen", "emails": [{"value": "a@x", "type": "work", "primary": true}, {"value": "b@x"}],
                       "meta": {"version": "1"}, "password": "secret", "nickName": null});
        let a = json!({"id": "1", "USERNAME": "bjensen", "emails": [{"value": "b@x", "primary": false}, {"value": "A@x", "type": "work", "primary": true}],
                       "meta": {"version": "2"}, "groups": [{"value": "g"}], "nickName": []});
        assert_eq!(differences(user, &[], &e, &a), vec![]);
        let a2 = json!({"id": "1", "userName": "bjensen", "emails": [{"value": "a@x", "type": "home", "primary": true}, {"value": "b@x"}], "title": "x"});
        let d: Vec<String> = differences(user, &[], &e, &a2)
            .into_iter()
            .map(|d| d.path)
            .collect();
        assert_eq!(d, vec!["title", "emails"]);
        let ge = json!({"id": "g", "displayName": "G", "members": [{"value": "u1"}]});
        let ga = json!({"id": "g", "displayName": "G", "members": [{"value": "u1", "$ref": "https://x/Users/u1", "type": "User", "display": "U"}]});
        assert_eq!(differences(group, &[], &ge, &ga), vec![]);
        let ga2 =
            json!({"id": "g", "displayName": "G", "members": [{"value": "u1"}, {"value": "u1"}]});
        assert_eq!(differences(group, &[], &ge, &ga2).len(), 1);
    }
}
