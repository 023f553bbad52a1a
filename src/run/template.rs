//! `{{...}}` templates in suite values: `{{name}}` or `{{name/json/pointer}}`
//! for variables, `{{uuid}}` and `{{unique}}` for fresh values.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};

/// Variables of one case, and the sources of fresh values.
pub struct Vars<'a> {
    map: Map<String, Value>,
    run_token: &'a str,
    counter: &'a AtomicU64,
    /// Fresh ids handed out by `{{uuid}}` (no resource can have them yet).
    pub fresh_ids: Vec<String>,
}

impl<'a> Vars<'a> {
    pub fn new(run_token: &'a str, counter: &'a AtomicU64) -> Self {
        let mut map = Map::new();
        map.insert("run".into(), Value::String(run_token.to_string()));
        Vars {
            map,
            run_token,
            counter,
            fresh_ids: vec![],
        }
    }

    pub fn set(&mut self, name: &str, value: Value) {
        self.map.insert(name.to_string(), value);
    }

    pub fn remove(&mut self, name: &str) {
        self.map.remove(name);
    }

    /// The value of one expression (the text between the braces).
    pub fn lookup(&mut self, expr: &str) -> Result<Value, String> {
        let expr = expr.trim();
        let (name, pointer) = match expr.find('/') {
            Some(i) => (&expr[..i], &expr[i..]),
            None => (expr, ""),
        };
        let value = match name {
            "uuid" => {
                let id = uuid::Uuid::new_v4().to_string();
                self.fresh_ids.push(id.clone());
                Value::String(id)
            }
            "unique" => {
                let n = self.counter.fetch_add(1, Ordering::Relaxed);
                Value::String(format!("{}-{n}", self.run_token))
            }
            // One token for the whole case (or population), drawn on first
            // use: e-mail addresses that must be unique on the server but
            // the same in every step of the case.
            "mark" => match self.map.get("mark") {
                Some(v) => v.clone(),
                None => {
                    let n = self.counter.fetch_add(1, Ordering::Relaxed);
                    let v = Value::String(format!("{}-{n}", self.run_token));
                    self.map.insert("mark".into(), v.clone());
                    v
                }
            },
            "unique_int" => {
                // A number no other run is likely to use: from the run token, plus a counter.
                let base = self
                    .run_token
                    .bytes()
                    .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
                let n = self.counter.fetch_add(1, Ordering::Relaxed);
                Value::from((base % 1_000_000_000) * 1000 + n)
            }
            _ => self
                .map
                .get(name)
                .cloned()
                .ok_or_else(|| format!("unknown variable `{name}`"))?,
        };
        if pointer.is_empty() {
            return Ok(value);
        }
        value
            .pointer(pointer)
            .cloned()
            .ok_or_else(|| format!("`{expr}` is absent"))
    }

    /// Renders every string in a JSON value.
    pub fn render(&mut self, value: &Value) -> Result<Value, String> {
        Ok(match value {
            Value::String(s) => self.render_str(s)?,
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.render(v))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| Ok((self.render_text(k)?, self.render(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }

    /// Renders a string; a string that is exactly one `{{expr}}` becomes the
    /// expression's JSON value (so numbers and objects keep their type).
    pub fn render_str(&mut self, s: &str) -> Result<Value, String> {
        let t = s.trim();
        if t.starts_with("{{") && t.ends_with("}}") && t.matches("{{").count() == 1 {
            return self.lookup(&t[2..t.len() - 2]);
        }
        self.render_text(s).map(Value::String)
    }

    /// Renders a string to text; non-string values are inserted as JSON.
    pub fn render_text(&mut self, s: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| format!("unclosed `{{{{` in `{s}`"))?;
            match self.lookup(&after[..end])? {
                Value::String(v) => out.push_str(&v),
                other => out.push_str(&other.to_string()),
            }
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_variables_pointers_and_fresh_values() {
        let counter = AtomicU64::new(0);
        let mut vars = Vars::new("scimitar-ab12", &counter);
        vars.set(
            "alice",
            json!({"id": "42", "active": true, "meta": {"location": "/Users/42"}}),
        );
        assert_eq!(
            vars.render_str("/Users/{{alice/id}}").unwrap(),
            json!("/Users/42")
        );
        assert_eq!(vars.render_str("{{alice/active}}").unwrap(), json!(true));
        assert_eq!(
            vars.render_str("{{ unique }}").unwrap(),
            json!("scimitar-ab12-0")
        );
        assert_eq!(
            vars.render_str("{{unique}}").unwrap(),
            json!("scimitar-ab12-1")
        );
        let id = vars.render_str("{{uuid}}").unwrap();
        assert_eq!(vars.fresh_ids, vec![id.as_str().unwrap().to_string()]);
        assert_eq!(
            vars.render(&json!({"userName": "{{run}}-x", "n": [1, "{{alice/id}}"]}))
                .unwrap(),
            json!({"userName": "scimitar-ab12-x", "n": [1, "42"]})
        );
        assert!(vars
            .render_str("{{bob/id}}")
            .unwrap_err()
            .contains("unknown variable `bob`"));
        assert!(vars
            .render_str("{{alice/nope}}")
            .unwrap_err()
            .contains("absent"));
        assert!(vars
            .render_str("x {{alice")
            .unwrap_err()
            .contains("unclosed"));
    }
}
