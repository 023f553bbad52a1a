//! Sorting (RFC 7644 §3.4.2.3): the key of a resource for `sortBy`, and the
//! order of keys, with missing values last when ascending and first when
//! descending.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::ast::AttrPath;
use super::eval::{err, key, parse_time, EvalError, Evaluator};
use crate::scim::{AttrType, Attribute};

/// A comparable sort key.
#[derive(Clone, Debug, PartialEq)]
pub enum SortKey {
    Str(String),
    Num(f64),
    Time(DateTime<Utc>),
    Bool(bool),
}

fn key_of(attr: &Attribute, v: &Value) -> Option<SortKey> {
    match (attr.kind, v) {
        (AttrType::DateTime, Value::String(s)) => parse_time(s).map(SortKey::Time),
        (_, Value::String(s)) if attr.case_exact => Some(SortKey::Str(s.clone())),
        (_, Value::String(s)) => Some(SortKey::Str(s.to_lowercase())),
        (_, Value::Number(n)) => n.as_f64().map(SortKey::Num),
        (_, Value::Bool(b)) => Some(SortKey::Bool(*b)),
        _ => None,
    }
}

impl Evaluator<'_> {
    /// The sort key of a resource for `path`: the value, or for a multi-valued
    /// attribute the primary value, else the first.
    pub fn sort_key(
        &self,
        path: &AttrPath,
        resource: &Value,
    ) -> Result<Option<SortKey>, EvalError> {
        let r = self.resolve(path, None)?;
        let leaf = r.leaf();
        if leaf.kind == AttrType::Complex {
            return Err(err(
                path.span,
                format!("`{path}` is complex: sort by one of its sub-attributes"),
            ));
        }
        let elements = self.raw(&r, path, resource);
        let chosen = match r.sub {
            None => elements.first().copied(),
            Some(sub) => {
                let primary = elements
                    .iter()
                    .find(|e| key(e, "primary") == Some(&Value::Bool(true)))
                    .or(elements.first());
                primary.and_then(|e| key(e, &sub.name))
            }
        };
        Ok(chosen.and_then(|v| key_of(leaf, v)))
    }
}

/// The order of two keys; missing keys last when ascending, first when descending.
pub fn order(a: &Option<SortKey>, b: &Option<SortKey>, descending: bool) -> Ordering {
    let o = match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => compare(x, y),
    };
    if descending {
        match (a, b) {
            (Some(x), Some(y)) => compare(y, x),
            _ => o.reverse(),
        }
    } else {
        o
    }
}

/// A total order: keys of one kind by value; keys of different kinds (a
/// value of the wrong type, as a server may return) by kind, so that
/// sorting stays well defined.
fn compare(a: &SortKey, b: &SortKey) -> Ordering {
    fn rank(k: &SortKey) -> u8 {
        match k {
            SortKey::Bool(_) => 0,
            SortKey::Num(_) => 1,
            SortKey::Time(_) => 2,
            SortKey::Str(_) => 3,
        }
    }
    match (a, b) {
        (SortKey::Str(x), SortKey::Str(y)) => x.cmp(y),
        // JSON numbers are never NaN.
        (SortKey::Num(x), SortKey::Num(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (SortKey::Time(x), SortKey::Time(y)) => x.cmp(y),
        (SortKey::Bool(x), SortKey::Bool(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_attr_path;
    use super::*;
    use crate::scim::schema::core_schemas;
    use serde_json::json;

    #[test]
    fn keys_follow_type_case_and_primary() {
        let s = core_schemas();
        let ev = Evaluator::new(&s[0], vec![]);
        let u = json!({"userName": "Bob", "emails": [{"value": "z@x"}, {"value": "a@x", "primary": true}],
                        "meta": {"created": "2020-01-01T00:00:00Z"}});
        let k = |p: &str| ev.sort_key(&parse_attr_path(p, 0).unwrap(), &u).unwrap();
        assert_eq!(k("userName"), Some(SortKey::Str("bob".into())));
        assert_eq!(k("emails.value"), Some(SortKey::Str("a@x".into())));
        assert!(matches!(k("meta.created"), Some(SortKey::Time(_))));
        assert_eq!(k("title"), None);
        assert!(ev
            .sort_key(&parse_attr_path("name", 0).unwrap(), &u)
            .is_err());
        let (a, none) = (Some(SortKey::Str("a".into())), None);
        assert_eq!(order(&a, &none, false), Ordering::Less);
        assert_eq!(order(&a, &none, true), Ordering::Greater);
    }

    #[test]
    fn keys_of_mixed_kinds_are_totally_ordered() {
        // "mpushj" <= 5 <= "dzw" held, but not "mpushj" <= "dzw": userName
        // values of the wrong type made the order intransitive, and sorting
        // by it ill-defined (found by the resource_decode fuzz target).
        let keys = [
            Some(SortKey::Str("mpushj".into())),
            Some(SortKey::Num(5.0)),
            Some(SortKey::Str("dzw".into())),
            Some(SortKey::Bool(true)),
            None,
        ];
        for descending in [false, true] {
            for a in &keys {
                for b in &keys {
                    let ab = order(a, b, descending);
                    assert_eq!(ab, order(b, a, descending).reverse(), "{a:?} {b:?}");
                    for c in &keys {
                        if ab != Ordering::Greater && order(b, c, descending) != Ordering::Greater {
                            assert_ne!(
                                order(a, c, descending),
                                Ordering::Greater,
                                "{a:?} {b:?} {c:?}"
                            );
                        }
                    }
                }
            }
        }
        let u = |name: Value| json!({"userName": name});
        let s = core_schemas();
        let ev = Evaluator::new(&s[0], vec![]);
        let path = parse_attr_path("userName", 0).unwrap();
        let mut keyed: Vec<_> = [u(json!("mpushj")), u(json!(5)), u(json!("dzw"))]
            .iter()
            .map(|r| ev.sort_key(&path, r).unwrap())
            .collect();
        keyed.sort_by(|a, b| order(a, b, false));
        assert_eq!(
            keyed,
            [
                Some(SortKey::Num(5.0)),
                Some(SortKey::Str("dzw".into())),
                Some(SortKey::Str("mpushj".into()))
            ]
        );
    }
}
