//! The reference evaluator: what a filter must match, per RFC 7644 §3.4.2.2
//! and the schema's characteristics (type, multiValued, caseExact).
//!
//! A filter is first checked against the schema, so that one the server must
//! refuse (an unknown attribute, `gt` on a boolean, a value of the wrong type)
//! is an error whatever the data; then matching cannot fail.

use std::cmp::Ordering;
use std::fmt;
use std::sync::OnceLock;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

use super::ast::{AttrPath, CompValue, CompareOp, Filter, Span};
use crate::scim::{AttrType, Attribute, Schema};

/// Why a filter cannot be evaluated: the server must answer 400 invalidFilter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    pub span: Span,
    pub message: String,
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at position {}", self.message, self.span.start + 1)
    }
}

/// The common attributes of RFC 7643 §3.1, and `schemas`.
fn common() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let json = serde_json::json!({
            "id": "common",
            "attributes": [
                {"name": "id", "type": "string", "caseExact": true, "mutability": "readOnly", "returned": "always"},
                {"name": "externalId", "type": "string", "caseExact": true},
                {"name": "schemas", "type": "reference", "multiValued": true, "caseExact": false},
                {"name": "meta", "type": "complex", "mutability": "readOnly", "subAttributes": [
                    {"name": "resourceType", "type": "string", "caseExact": true},
                    {"name": "created", "type": "dateTime"},
                    {"name": "lastModified", "type": "dateTime"},
                    {"name": "location", "type": "reference", "caseExact": true},
                    {"name": "version", "type": "string", "caseExact": true}
                ]}
            ]
        });
        Schema::from_json(&json).expect("common attributes are a valid schema")
    })
}

/// Evaluates filters for resources of one type.
pub struct Evaluator<'s> {
    core: &'s Schema,
    extensions: Vec<&'s Schema>,
}

/// Where an attribute lives and how it compares.
#[derive(Clone, Copy)]
pub(super) struct Resolved<'s> {
    /// The JSON key of the extension object holding the attribute, if any.
    container: Option<&'s str>,
    attr: &'s Attribute,
    pub(super) sub: Option<&'s Attribute>,
}

impl<'s> Resolved<'s> {
    /// The definition the compared values follow.
    pub(super) fn leaf(&self) -> &'s Attribute {
        self.sub.unwrap_or(self.attr)
    }
}

pub(super) fn key<'v>(obj: &'v Value, name: &str) -> Option<&'v Value> {
    obj.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

pub(super) fn err(span: Span, message: String) -> EvalError {
    EvalError { span, message }
}

impl<'s> Evaluator<'s> {
    pub fn new(core: &'s Schema, extensions: Vec<&'s Schema>) -> Self {
        Evaluator { core, extensions }
    }

    /// The schema of the resource type's core attributes.
    pub fn core(&self) -> &'s Schema {
        self.core
    }

    /// Whether `resource` matches; an error means the filter is invalid here.
    pub fn matches(&self, filter: &Filter, resource: &Value) -> Result<bool, EvalError> {
        self.check(filter, None)?;
        Ok(self.eval(filter, resource, None))
    }

    /// The definitions an attribute path names: the extension URN holding
    /// the attribute (None for the core schema and common attributes), the
    /// attribute, and the sub-attribute when the path names one.
    pub fn lookup(
        &self,
        p: &AttrPath,
    ) -> Result<(Option<&'s str>, &'s Attribute, Option<&'s Attribute>), EvalError> {
        let r = self.resolve(p, None)?;
        Ok((r.container, r.attr, p.sub.as_ref().and(r.sub)))
    }

    /// Whether one value of the multi-valued `parent` matches a value filter
    /// (`emails[type eq "work"]`); an error means the filter is invalid there.
    pub fn matches_element(
        &self,
        filter: &Filter,
        parent: &'s Attribute,
        element: &Value,
    ) -> Result<bool, EvalError> {
        self.check(filter, Some(parent))?;
        Ok(self.eval(filter, element, Some(parent)))
    }

    /// Checks a filter against the schema without data.
    pub fn check(&self, filter: &Filter, parent: Option<&'s Attribute>) -> Result<(), EvalError> {
        match filter {
            Filter::And(a, b) | Filter::Or(a, b) => {
                self.check(a, parent)?;
                self.check(b, parent)
            }
            Filter::Not(a) => self.check(a, parent),
            Filter::Present(p) => self.resolve(p, parent).map(|_| ()),
            Filter::ValuePath(p, inner) => {
                let r = self.resolve(p, parent)?;
                if r.attr.kind != AttrType::Complex || p.sub.is_some() {
                    return Err(err(
                        p.span,
                        format!("`{p}` is not a complex attribute, so it takes no value filter"),
                    ));
                }
                self.check(inner, Some(r.attr))
            }
            Filter::Compare(p, op, v) => {
                let r = self.resolve(p, parent)?;
                let leaf = r.leaf();
                if leaf.kind == AttrType::Complex {
                    return Err(err(
                        p.span,
                        format!("`{p}` is complex and has no value to compare"),
                    ));
                }
                check_operands(p, leaf, *op, v)
            }
        }
    }

    pub(super) fn resolve(
        &self,
        p: &AttrPath,
        parent: Option<&'s Attribute>,
    ) -> Result<Resolved<'s>, EvalError> {
        let unknown = || err(p.span, format!("unknown attribute `{p}`"));
        if let Some(parent) = parent {
            if p.urn.is_some() || p.sub.is_some() {
                return Err(err(
                    p.span,
                    format!("`{p}` must name a sub-attribute of `{}`", parent.name),
                ));
            }
            let sub = parent.sub_attribute(&p.name).ok_or_else(unknown)?;
            return Ok(Resolved {
                container: None,
                attr: sub,
                sub: None,
            });
        }
        let (container, schema) = match &p.urn {
            None => (None, self.core),
            Some(u) if u.eq_ignore_ascii_case(&self.core.id) => (None, self.core),
            Some(u) => {
                let ext = self
                    .extensions
                    .iter()
                    .find(|s| s.id.eq_ignore_ascii_case(u))
                    .ok_or_else(unknown)?;
                (Some(ext.id.as_str()), *ext)
            }
        };
        let attr = schema
            .attributes
            .iter()
            .chain(if container.is_none() {
                common().attributes.iter()
            } else {
                [].iter()
            })
            .find(|a| a.name.eq_ignore_ascii_case(&p.name))
            .ok_or_else(unknown)?;
        let sub = match &p.sub {
            None => match attr.kind {
                // RFC 7644 §3.4.2.2 compares a complex multi-valued attribute by its "value".
                AttrType::Complex => attr.sub_attribute("value"),
                _ => None,
            },
            Some(s) => Some(attr.sub_attribute(s).ok_or_else(unknown)?),
        };
        Ok(Resolved {
            container,
            attr,
            sub,
        })
    }

    fn eval(&self, filter: &Filter, ctx: &Value, parent: Option<&'s Attribute>) -> bool {
        match filter {
            Filter::And(a, b) => self.eval(a, ctx, parent) && self.eval(b, ctx, parent),
            Filter::Or(a, b) => self.eval(a, ctx, parent) || self.eval(b, ctx, parent),
            Filter::Not(a) => !self.eval(a, ctx, parent),
            Filter::Present(p) => {
                let Ok(r) = self.resolve(p, parent) else {
                    return false;
                };
                let whole = p.sub.is_none() && r.attr.kind == AttrType::Complex;
                let values = if whole {
                    self.raw(&r, p, ctx)
                } else {
                    self.values(&r, p, ctx)
                };
                values.into_iter().any(present)
            }
            Filter::ValuePath(p, inner) => {
                let Ok(r) = self.resolve(p, parent) else {
                    return false;
                };
                self.raw(&r, p, ctx)
                    .into_iter()
                    .any(|element| self.eval(inner, element, Some(r.attr)))
            }
            Filter::Compare(p, op, lit) => {
                let Ok(r) = self.resolve(p, parent) else {
                    return false;
                };
                let values = self.values(&r, p, ctx);
                let leaf = r.leaf();
                match op {
                    CompareOp::Ne => !values.iter().any(|v| compare(leaf, v, CompareOp::Eq, lit)),
                    _ => values.iter().any(|v| compare(leaf, v, *op, lit)),
                }
            }
        }
    }

    /// The attribute's own values (array elements flattened), without descending into sub-attributes.
    pub(super) fn raw<'v>(&self, r: &Resolved<'s>, p: &AttrPath, ctx: &'v Value) -> Vec<&'v Value> {
        let holder = match r.container {
            Some(c) => key(ctx, c),
            None => Some(ctx),
        };
        match holder.and_then(|h| key(h, &p.name)) {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(items)) => items.iter().collect(),
            Some(v) => vec![v],
        }
    }

    /// The values compared for a path: sub-attribute values of each element.
    pub(super) fn values<'v>(
        &self,
        r: &Resolved<'s>,
        p: &AttrPath,
        ctx: &'v Value,
    ) -> Vec<&'v Value> {
        let raw = self.raw(r, p, ctx);
        match r.sub {
            None => raw,
            Some(sub) => raw
                .into_iter()
                .filter_map(|element| key(element, &sub.name))
                .flat_map(|v| match v {
                    Value::Array(items) => items.iter().collect(),
                    other => vec![other],
                })
                .collect(),
        }
    }
}

/// RFC 7644 §3.4.2.2 `pr`: a non-empty value, or a complex value with one.
fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(present),
        Value::Object(o) => o.values().any(present),
        _ => true,
    }
}

fn check_operands(
    p: &AttrPath,
    attr: &Attribute,
    op: CompareOp,
    v: &CompValue,
) -> Result<(), EvalError> {
    use CompareOp::*;
    let bad = |why: &str| Err(err(p.span, format!("`{p} {op} {v}`: {why}")));
    let ordering = matches!(op, Gt | Ge | Lt | Le);
    let substring = matches!(op, Co | Sw | Ew);
    match (attr.kind, v) {
        (_, CompValue::Null) if matches!(op, Eq | Ne) => Ok(()),
        (_, CompValue::Null) => bad("null can only be compared with eq or ne"),
        (AttrType::Boolean, _) if ordering => {
            bad("gt, ge, lt and le are not defined on booleans (RFC 7644 §3.4.2.2)")
        }
        (AttrType::Binary, _) if ordering => {
            bad("gt, ge, lt and le are not defined on binary values (RFC 7644 §3.4.2.2)")
        }
        (AttrType::Boolean, CompValue::Bool(_)) if !substring => Ok(()),
        (AttrType::Integer | AttrType::Decimal, CompValue::Number(_)) if !substring => Ok(()),
        (AttrType::DateTime, CompValue::Str(s)) if !substring && parse_time(s).is_none() => {
            bad("not a dateTime value")
        }
        (
            AttrType::String | AttrType::Reference | AttrType::Binary | AttrType::DateTime,
            CompValue::Str(_),
        ) => Ok(()),
        (AttrType::Boolean, _) | (AttrType::Integer | AttrType::Decimal, _) if substring => {
            bad("co, sw and ew compare strings")
        }
        _ => bad(&format!(
            "the value does not fit the attribute's type {:?}",
            attr.kind
        )),
    }
}

/// xsd:dateTime as RFC 3339, or without an offset (taken as UTC).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        })
}

fn fold(attr: &Attribute, s: &str) -> String {
    if attr.case_exact {
        s.to_string()
    } else {
        s.to_lowercase()
    }
}

/// One value against one literal; values of the wrong type never match.
fn compare(attr: &Attribute, v: &Value, op: CompareOp, lit: &CompValue) -> bool {
    use CompareOp::*;
    let ord = match (v, lit) {
        (_, CompValue::Null) => return op == Eq && !present(v),
        (Value::Bool(a), CompValue::Bool(b)) => return op == Eq && a == b,
        (Value::Number(a), CompValue::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::String(a), CompValue::Str(b))
            if attr.kind == AttrType::DateTime && !matches!(op, Co | Sw | Ew) =>
        {
            match (parse_time(a), parse_time(b)) {
                (Some(x), Some(y)) => Some(x.cmp(&y)),
                _ => None,
            }
        }
        (Value::String(a), CompValue::Str(b)) => {
            let (a, b) = (fold(attr, a), fold(attr, b));
            match op {
                Co => return a.contains(&b),
                Sw => return a.starts_with(&b),
                Ew => return a.ends_with(&b),
                _ => Some(a.cmp(&b)),
            }
        }
        _ => None,
    };
    let Some(ord) = ord else { return false };
    match op {
        Eq => ord == Ordering::Equal,
        Gt => ord == Ordering::Greater,
        Ge => ord != Ordering::Less,
        Lt => ord == Ordering::Less,
        Le => ord != Ordering::Greater,
        Ne | Co | Sw | Ew => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;
    use crate::scim::schema::core_schemas;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "id": "2819c223", "userName": "BJensen", "active": true, "title": "Tour Guide",
            "name": {"familyName": "Jensen", "givenName": "Barbara"},
            "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}, {"value": "babs@jensen.org", "type": "home"}],
            "meta": {"created": "2011-08-01T18:29:49.793Z", "lastModified": "2011-08-01T18:29:49Z"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "701984", "manager": {"value": "26118915"}}
        })
    }

    fn check(filter: &str) -> Result<bool, String> {
        let schemas = core_schemas();
        let ev = Evaluator::new(&schemas[0], vec![&schemas[2]]);
        let f = parse(filter).map_err(|e| e.to_string())?;
        ev.matches(&f, &user()).map_err(|e| e.to_string())
    }

    #[test]
    fn matches_per_rfc_semantics() {
        for (f, want) in [
            (r#"userName eq "bjensen""#, true), // caseExact false
            (r#"id eq "2819C223""#, false),     // caseExact true
            (r#"name.familyName co "ens""#, true),
            (r#"userName sw "bj" and userName ew "SEN""#, true),
            (r#"title pr"#, true),
            (r#"nickName pr"#, false),
            (r#"name pr"#, true),
            (r#"active eq true"#, true),
            (r#"active eq false"#, false),
            (r#"active ne false"#, true),
            (r#"nickName ne "x""#, true),
            (r#"emails co "jensen.org""#, true),
            (r#"emails.type eq "home""#, true),
            (
                r#"emails[type eq "work" and value co "@example.com"]"#,
                true,
            ),
            (
                r#"emails[type eq "home" and value co "@example.com"]"#,
                false,
            ),
            (r#"meta.created gt "2011-08-01T18:29:49Z""#, true),
            (r#"meta.lastModified ge "2011-08-01T20:29:49+02:00""#, true),
            (r#"meta.lastModified lt "2011-08-01T18:29:49Z""#, false),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
                true,
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915""#,
                true,
            ),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "BJENSEN""#,
                true,
            ),
            (
                r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
                true,
            ),
            (r#"not (title pr) or userName gt "a""#, true),
            (r#"userName gt "c""#, false),
        ] {
            assert_eq!(check(f), Ok(want), "{f}");
        }
    }

    #[test]
    fn invalid_filters_are_errors_whatever_the_data() {
        for (f, msg) in [
            (r#"active gt true"#, "not defined on booleans"),
            (r#"x509Certificates.value gt "AA==""#, "binary"),
            (r#"nope eq "x""#, "unknown attribute"),
            (r#"name.nope eq "x""#, "unknown attribute"),
            (r#"name eq "x""#, "complex"),
            (r#"userName eq 5"#, "does not fit"),
            (r#"active co "t""#, "co, sw and ew"),
            (r#"meta.created gt "yesterday""#, "not a dateTime"),
            (r#"emails[nope eq "x"]"#, "unknown attribute"),
            (r#"userName[value eq "x"]"#, "not a complex attribute"),
            (r#"urn:example:unknown:Ext:foo eq "x""#, "unknown attribute"),
        ] {
            let e = check(f).unwrap_err();
            assert!(e.contains(msg), "{f}: {e}");
        }
    }
}
