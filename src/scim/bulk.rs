//! Bulk messages (RFC 7644 §3.7): the `bulkId:` references of a request
//! (§3.7.2) and the status of a response operation (§3.7.3), which servers
//! write as `"201"` (the RFC's examples), `201`, or `{"code": "201"}` (the
//! RFC's prose). Pure: no I/O.

use serde_json::Value;

/// What a value that references a resource created in the same request
/// starts with (`bulkId:qwerty`, RFC 7644 §3.7.2).
pub const PREFIX: &str = "bulkId:";

/// The bulkId a string references, if it is a `bulkId:` reference.
pub fn reference(s: &str) -> Option<&str> {
    s.strip_prefix(PREFIX).filter(|id| !id.is_empty())
}

/// Every bulkId referenced anywhere in `value`, in document order, once each.
pub fn references(value: &Value) -> Vec<String> {
    let mut found = vec![];
    walk(value, &mut |s| {
        if let Some(id) = reference(s) {
            if !found.iter().any(|f| f == id) {
                found.push(id.to_string());
            }
        }
    });
    found
}

fn walk(value: &Value, f: &mut impl FnMut(&str)) {
    match value {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|v| walk(v, f)),
        Value::Object(map) => map.values().for_each(|v| walk(v, f)),
        _ => {}
    }
}

/// Replaces every `bulkId:X` string in `value` by `resolve(X)`, where it
/// gives one; returns the bulkIds it could not resolve.
pub fn resolve(value: &mut Value, resolve: &impl Fn(&str) -> Option<String>) -> Vec<String> {
    let mut missing = vec![];
    resolve_in(value, resolve, &mut missing);
    missing
}

fn resolve_in(value: &mut Value, f: &impl Fn(&str) -> Option<String>, missing: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = reference(s) {
                match f(id) {
                    Some(real) => *s = real,
                    None => missing.push(id.to_string()),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| resolve_in(v, f, missing)),
        Value::Object(map) => map.values_mut().for_each(|v| resolve_in(v, f, missing)),
        _ => {}
    }
}

/// Resolves `bulkId:X` segments of an operation path (`/Users/bulkId:X`).
pub fn resolve_path(
    path: &str,
    resolve: &impl Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = vec![];
    for segment in path.split('/') {
        match reference(segment) {
            Some(id) => out.push(resolve(id).ok_or_else(|| id.to_string())?),
            None => out.push(segment.to_string()),
        }
    }
    Ok(out.join("/"))
}

/// The HTTP status code of a response operation's `status`: `"201"`,
/// `201`, or an object whose `code` is either.
pub fn status_code(status: &Value) -> Option<u16> {
    match status {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Value::Object(map) => map.get("code").and_then(|c| match c {
            Value::Object(_) => None,
            other => status_code(other),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_are_found_once_in_order() {
        let data = json!({"members": [{"value": "bulkId:b"}, {"value": "bulkId:a"}, {"value": "bulkId:b"}],
            "x": {"manager": {"value": "bulkId:c"}}, "y": "bulkId:", "z": "nobulkId:d"});
        assert_eq!(references(&data), vec!["b", "a", "c"]);
    }

    #[test]
    fn resolve_replaces_known_and_reports_unknown() {
        let mut data = json!({"members": [{"value": "bulkId:a"}, {"value": "bulkId:zz"}]});
        let missing = resolve(&mut data, &|id| (id == "a").then(|| "id-a".to_string()));
        assert_eq!(data["members"][0]["value"], "id-a");
        assert_eq!(data["members"][1]["value"], "bulkId:zz");
        assert_eq!(missing, vec!["zz"]);
    }

    #[test]
    fn paths_resolve_by_segment() {
        let f = |id: &str| (id == "u").then(|| "42".to_string());
        assert_eq!(resolve_path("/Users/bulkId:u", &f).unwrap(), "/Users/42");
        assert_eq!(resolve_path("/Users/bulkId:v", &f).unwrap_err(), "v");
        assert_eq!(resolve_path("/Users", &f).unwrap(), "/Users");
    }

    #[test]
    fn status_codes_in_every_written_form() {
        assert_eq!(status_code(&json!("201")), Some(201));
        assert_eq!(status_code(&json!(409)), Some(409));
        assert_eq!(status_code(&json!({"code": "400"})), Some(400));
        assert_eq!(status_code(&json!({"code": 204})), Some(204));
        assert_eq!(status_code(&json!("OK")), None);
        assert_eq!(status_code(&json!(70000)), None);
        assert_eq!(status_code(&json!({"code": {"code": 1}})), None);
        assert_eq!(status_code(&Value::Null), None);
    }
}
