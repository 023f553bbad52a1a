//! The inputs that trigger the reference server's robustness bugs (area
//! `robustness`): deep bodies, long filter values, malformed bearer
//! credentials and control characters. Only `scimitar fuzz` finds these;
//! the declarative suites never send such input.

use serde_json::Value;

use crate::scim::filter::{self, CompValue, Filter};

/// How deep a body may nest before `deep-json-500` breaks.
pub const DEEP_JSON: usize = 32;
/// How long a filter comparison value may be before `long-filter-500` breaks.
pub const LONG_FILTER_VALUE: usize = 200;

/// The deepest nesting of arrays and objects in a JSON text (strings skipped).
pub fn nesting_depth(body: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Whether a filter compares with a string longer than [`LONG_FILTER_VALUE`] characters.
pub fn has_long_value(text: &str) -> bool {
    fn walk(f: &Filter) -> bool {
        match f {
            Filter::Compare(_, _, CompValue::Str(s)) => s.chars().count() > LONG_FILTER_VALUE,
            Filter::Compare(..) | Filter::Present(_) => false,
            Filter::Not(a) | Filter::ValuePath(_, a) => walk(a),
            Filter::And(a, b) | Filter::Or(a, b) => walk(a) || walk(b),
        }
    }
    filter::parse(text).is_ok_and(|f| walk(&f))
}

/// `Bearer` with nothing after it (clients' trailing whitespace is trimmed
/// in transit), or a bearer token with whitespace inside: what a check that
/// splits the header on spaces and compares "the rest" gets wrong.
pub fn malformed_bearer(given: Option<&str>) -> bool {
    let Some(value) = given else {
        return false;
    };
    let value = value.trim();
    let (scheme, rest) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
    let rest = rest.trim();
    scheme == "Bearer" && (rest.is_empty() || rest.contains(char::is_whitespace))
}

/// Whether any string (or key) of a JSON value holds a C0 control
/// character other than tab, line feed and carriage return.
pub fn has_control_char(v: &Value) -> bool {
    let odd = |s: &str| {
        s.chars()
            .any(|c| c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{7f}'))
    };
    match v {
        Value::String(s) => odd(s),
        Value::Array(items) => items.iter().any(has_control_char),
        Value::Object(o) => o.iter().any(|(k, v)| odd(k) || has_control_char(v)),
        _ => false,
    }
}

/// The detail `error-leaks-internals` answers with.
pub const LEAKED_DETAIL: &str = "invalid character in value\nTraceback (most recent call last):\n  File \"/usr/lib/python3/dist-packages/scim/validate.py\", line 212, in check_string\nValueError: control character";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn triggers() {
        assert_eq!(nesting_depth(br#"{"a": "[[[[", "b": [[1]]}"#), 3);
        assert_eq!(nesting_depth(br#""\"[""#), 0);
        let long = format!("userName eq \"{}\"", "a".repeat(201));
        assert!(has_long_value(&long));
        assert!(!has_long_value(&format!(
            "userName eq \"{}\"",
            "a".repeat(200)
        )));
        assert!(!has_long_value("userName eq"));
        for ok in ["Bearer", "Bearer   ", "Bearer a b"] {
            assert!(malformed_bearer(Some(ok)), "{ok}");
        }
        for no in ["Bearer abc", "bearer", "Basic x y", "", "Token"] {
            assert!(!malformed_bearer(Some(no)), "{no}");
        }
        assert!(has_control_char(&json!({"a": ["x\u{1}"]})));
        assert!(!has_control_char(&json!({"a": "tab\there\nü"})));
    }
}
