//! Evaluating a step's expectations (status, headers, JSON-pointer matchers)
//! against a response. Unmet expectations are data, never panics.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

use crate::suite::Matcher;

const ERROR_SCHEMA: &str = include_str!("../scim/data/messages/error.schema.json");
const LIST_SCHEMA: &str = include_str!("../scim/data/messages/list_response.schema.json");
const RESOURCE_SCHEMA: &str = include_str!("../scim/data/messages/resource.schema.json");

fn builtin_validator(name: &str) -> Option<&'static jsonschema::Validator> {
    static V: OnceLock<HashMap<&'static str, jsonschema::Validator>> = OnceLock::new();
    let map = V.get_or_init(|| {
        [
            ("error", ERROR_SCHEMA),
            ("list_response", LIST_SCHEMA),
            ("resource", RESOURCE_SCHEMA),
        ]
        .into_iter()
        .map(|(n, text)| {
            let schema: Value = serde_json::from_str(text).expect("message schema is JSON");
            (
                n,
                jsonschema::validator_for(&schema).expect("message schema is valid"),
            )
        })
        .collect()
    });
    map.get(name)
}

/// One unmet condition: (what was expected, what was found).
pub type Miss = (String, String);

/// Whether a value counts as unassigned (RFC 7643 §2.5: missing, null, or `[]`).
fn unassigned(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

/// JSON equality with numbers compared by value (1 == 1.0).
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Whether `item` includes `part`: equal, or an object holding all of part's members.
fn includes(item: &Value, part: &Value) -> bool {
    match (item, part) {
        (Value::Object(o), Value::Object(p)) => p
            .iter()
            .all(|(k, v)| o.get(k).is_some_and(|w| includes(w, v))),
        _ => json_eq(item, part),
    }
}

/// A short rendering of a value for messages.
pub fn show(v: Option<&Value>) -> String {
    match v {
        None => "nothing (absent)".into(),
        Some(v) => {
            let s = v.to_string();
            if s.chars().count() > 160 {
                format!("{}…", s.chars().take(160).collect::<String>())
            } else {
                s
            }
        }
    }
}

/// Checks one (already rendered) matcher against a value.
pub fn check(actual: Option<&Value>, m: &Matcher) -> Vec<Miss> {
    let mut misses = vec![];
    if m.optional == Some(true) && unassigned(actual) {
        return misses;
    }
    let mut miss = |expected: String| misses.push((expected, show(actual)));
    if m.exists == Some(true) && unassigned(actual) {
        miss("a value".into());
    }
    if m.absent == Some(true) && !unassigned(actual) {
        miss("no value (absent)".into());
    }
    if let Some(want) = &m.equals {
        if !actual.is_some_and(|a| json_eq(a, want)) {
            miss(show(Some(want)));
        }
    }
    if let Some(other) = &m.not_equals {
        if actual.is_some_and(|a| json_eq(a, other)) {
            miss(format!("anything but {}", show(Some(other))));
        }
    }
    if let Some(want) = &m.equals_ignore_case {
        if actual
            .and_then(Value::as_str)
            .is_none_or(|a| a.to_lowercase() != want.to_lowercase())
        {
            miss(format!("\"{want}\" in any case"));
        }
    }
    if let Some(t) = &m.json_type {
        let ok = actual.is_some_and(|a| {
            let n = kind(a);
            n == t || (t == "number" && n == "integer")
        });
        if !ok {
            miss(format!("a JSON {t}"));
        }
    }
    if let Some(part) = &m.contains {
        let ok = match (actual, part) {
            (Some(Value::Array(items)), _) => items.iter().any(|i| includes(i, part)),
            (Some(Value::String(s)), Value::String(p)) => s.contains(p.as_str()),
            _ => false,
        };
        if !ok {
            miss(format!("something containing {}", show(Some(part))));
        }
    }
    if let Some(part) = &m.not_contains {
        let found = match (actual, part) {
            (Some(Value::Array(items)), _) => items.iter().any(|i| includes(i, part)),
            (Some(Value::String(s)), Value::String(p)) => s.contains(p.as_str()),
            (Some(v), _) => json_eq(v, part),
            _ => false,
        };
        if found {
            miss(format!("nothing containing {}", show(Some(part))));
        }
    }
    let len = match actual {
        Some(Value::Array(a)) => Some(a.len()),
        None | Some(Value::Null) => Some(0),
        _ => None,
    };
    if let Some(n) = m.count {
        if len != Some(n) {
            miss(format!("an array of {n} items"));
        }
    }
    if let Some(n) = m.min_count {
        if len.is_none_or(|l| l < n) {
            miss(format!("an array of at least {n} items"));
        }
    }
    if let Some(min) = m.minimum {
        if actual.and_then(Value::as_f64).is_none_or(|v| v < min) {
            miss(format!("a number of at least {min}"));
        }
    }
    if let Some(pattern) = &m.matches {
        match regex::Regex::new(pattern) {
            Ok(re) => {
                if !actual
                    .and_then(Value::as_str)
                    .is_some_and(|s| re.is_match(s))
                {
                    miss(format!("a string matching /{pattern}/"));
                }
            }
            Err(e) => miss(format!("(invalid regular expression /{pattern}/: {e})")),
        }
    }
    if let Some(before) = &m.after {
        let time = |v: &str| crate::scim::filter::parse_time(v);
        let later = match (actual.and_then(Value::as_str).and_then(time), time(before)) {
            (Some(a), Some(b)) => a > b,
            _ => false,
        };
        if !later {
            miss(format!("a dateTime after {before}"));
        }
    }
    if let Some(want) = &m.equals_url {
        if !actual
            .and_then(Value::as_str)
            .is_some_and(|a| same_url(a, want))
        {
            miss(format!("the URL {want}"));
        }
    }
    if let Some(options) = &m.one_of {
        if !actual.is_some_and(|a| options.iter().any(|o| json_eq(a, o))) {
            miss(format!(
                "one of {}",
                show(Some(&Value::Array(options.clone())))
            ));
        }
    }
    if let Some(pattern) = &m.not_matches {
        match regex::Regex::new(pattern) {
            Ok(re) => {
                if let Some(found) = actual.and_then(Value::as_str).and_then(|s| re.find(s)) {
                    misses.push((
                        format!("no text matching /{pattern}/"),
                        format!("{:?}", found.as_str()),
                    ));
                }
            }
            Err(e) => misses.push((
                format!("(invalid regular expression /{pattern}/: {e})"),
                String::new(),
            )),
        }
    }
    if let Some(schema) = &m.schema {
        match schema_errors(actual, schema) {
            Ok(()) => {}
            Err(e) => misses.push((format!("a value matching {}", schema_label(schema)), e)),
        }
    }
    misses
}

/// URL equality; when either side is a relative reference (RFC 3986 §4.2),
/// path and query are compared.
pub fn same_url(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(x), Ok(y)) => x == y,
        (x, y) => {
            let path = |s: &str, parsed: Result<url::Url, _>| match parsed {
                Ok(u) => format!(
                    "{}{}",
                    u.path(),
                    u.query().map(|q| format!("?{q}")).unwrap_or_default()
                ),
                Err(_) => s.to_string(),
            };
            path(a, x) == path(b, y)
        }
    }
}

fn schema_label(schema: &Value) -> String {
    match schema {
        Value::String(name) => format!("the SCIM {name} schema"),
        _ => "the given schema".into(),
    }
}

fn schema_errors(actual: Option<&Value>, schema: &Value) -> Result<(), String> {
    let Some(actual) = actual else {
        return Err("nothing (absent)".into());
    };
    let owned;
    let validator = match schema {
        Value::String(name) => {
            builtin_validator(name).ok_or_else(|| format!("(unknown schema `{name}`)"))?
        }
        other => {
            owned =
                jsonschema::validator_for(other).map_err(|e| format!("(invalid schema: {e})"))?;
            &owned
        }
    };
    let errors: Vec<String> = validator
        .iter_errors(actual)
        .take(3)
        .map(|e| {
            let at = e.instance_path().as_str().to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("{at}: {e}")
            }
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// The JSON type of a value, as suite matchers name it.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(v: Value) -> Matcher {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn matchers_hold_and_fail() {
        let v = json!({"id": "1", "n": 2, "emails": [{"value": "a@x", "type": "work"}], "s": "Hello", "e": []});
        let at = |p: &str| v.pointer(p);
        assert!(check(
            at("/id"),
            &m(json!({"exists": true, "type": "string", "equals": "1"}))
        )
        .is_empty());
        assert!(check(at("/n"), &m(json!({"equals": 2.0, "type": "number"}))).is_empty());
        assert!(check(at("/e"), &m(json!({"absent": true, "count": 0}))).is_empty());
        assert!(check(at("/missing"), &m(json!({"absent": true, "count": 0}))).is_empty());
        assert!(check(
            at("/emails"),
            &m(json!({"contains": {"type": "work"}, "min_count": 1}))
        )
        .is_empty());
        assert!(check(
            at("/s"),
            &m(json!({"equals_ignore_case": "hello", "contains": "ell", "matches": "^H"}))
        )
        .is_empty());
        assert!(check(at("/s"), &m(json!({"one_of": ["x", "Hello"]}))).is_empty());

        let misses = check(at("/id"), &m(json!({"equals": "2", "type": "integer"})));
        assert_eq!(misses.len(), 2);
        assert_eq!(misses[0], ("\"2\"".to_string(), "\"1\"".to_string()));
        assert_eq!(
            check(at("/missing"), &m(json!({"exists": true})))[0].1,
            "nothing (absent)"
        );
        assert_eq!(check(at("/s"), &m(json!({"not_equals": "Hello"}))).len(), 1);
    }

    #[test]
    fn urls_compare_absolute_or_by_path() {
        assert!(same_url(
            "http://h:1/scim/v2/Users/1",
            "http://h:1/scim/v2/Users/1"
        ));
        assert!(same_url("/scim/v2/Users/1", "http://h:1/scim/v2/Users/1"));
        assert!(!same_url(
            "http://h:1/Users/1",
            "http://h:1/scim/v2/Users/1"
        ));
        assert!(!same_url("/Users/1", "http://h:1/scim/v2/Users/1"));
        assert!(check(None, &m(json!({"optional": true, "equals_url": "/x"}))).is_empty());
        assert_eq!(
            check(
                Some(&json!("/y")),
                &m(json!({"optional": true, "equals_url": "/x"}))
            )
            .len(),
            1
        );
    }

    #[test]
    fn builtin_message_schemas() {
        let err =
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "404"});
        assert!(check(Some(&err), &m(json!({"schema": "error"}))).is_empty());
        let bad =
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": 404});
        let misses = check(Some(&bad), &m(json!({"schema": "error"})));
        assert!(misses[0].1.contains("/status"), "{misses:?}");
        let list = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 1});
        assert_eq!(
            check(Some(&list), &m(json!({"schema": "list_response"}))).len(),
            1
        );
    }
}
