//! `attributes` and `excludedAttributes` (RFC 7644 §3.9) in the reference server.

use serde_json::Value;

use crate::scim::urn;

/// Applies `attributes` / `excludedAttributes` (RFC 7644 §3.9) to top-level
/// attributes and sub-attributes; `id` and `schemas` are always returned.
pub fn project(body: Value, attributes: Option<&String>, excluded: Option<&String>) -> Value {
    let Value::Object(mut obj) = body else {
        return body;
    };
    let names = |list: &String| -> Vec<String> {
        list.split(',')
            .map(|s| {
                let s = s.trim();
                let s = s.strip_prefix(&format!("{}:", urn::USER)).unwrap_or(s);
                s.strip_prefix(&format!("{}:", urn::GROUP))
                    .unwrap_or(s)
                    .to_string()
            })
            .filter(|s| !s.is_empty())
            .collect()
    };
    let always = |k: &str| k == "id" || k == "schemas";
    if let Some(list) = attributes {
        let wanted = names(list);
        let keep_top = |k: &str| {
            wanted.iter().any(|w| {
                w.split('.')
                    .next()
                    .is_some_and(|t| t.eq_ignore_ascii_case(k))
                    || w.eq_ignore_ascii_case(k)
            })
        };
        obj.retain(|k, _| always(k) || keep_top(k));
        for w in &wanted {
            if let Some((top, sub)) = w.split_once('.') {
                let key = obj.keys().find(|k| k.eq_ignore_ascii_case(top)).cloned();
                if let Some(Value::Object(inner)) = key.and_then(|k| obj.get_mut(&k)) {
                    let subs: Vec<&String> = wanted
                        .iter()
                        .filter_map(|x| {
                            x.split_once('.')
                                .filter(|(t, _)| t.eq_ignore_ascii_case(top))
                                .map(|_| x)
                        })
                        .collect();
                    if !subs.iter().any(|x| !x.contains('.')) {
                        inner.retain(|k, _| {
                            k.eq_ignore_ascii_case(sub)
                                || subs.iter().any(|x| {
                                    x.split_once('.')
                                        .is_some_and(|(_, s)| s.eq_ignore_ascii_case(k))
                                })
                        });
                    }
                }
            }
        }
    } else if let Some(list) = excluded {
        for name in names(list) {
            if !always(&name) {
                obj.retain(|k, _| !k.eq_ignore_ascii_case(&name));
            }
        }
    }
    Value::Object(obj)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attributes_keep_the_minimum_and_the_requested() {
        let r = json!({"schemas": ["s"], "id": "1", "userName": "a", "name": {"givenName": "g", "familyName": "f"}, "title": "t"});
        let a = "userName,name.givenName".to_string();
        assert_eq!(
            project(r.clone(), Some(&a), None),
            json!({"schemas": ["s"], "id": "1", "userName": "a", "name": {"givenName": "g"}})
        );
        let x = "title,id".to_string();
        assert_eq!(
            project(r, None, Some(&x)),
            json!({"schemas": ["s"], "id": "1", "userName": "a", "name": {"givenName": "g", "familyName": "f"}})
        );
    }
}
