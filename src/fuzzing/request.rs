//! The fuzzer's unit of work, [`FuzzRequest`]: one generated request, small
//! plain data that can be shrunk, sent (as an [`http::Request`]), shown as
//! a curl line and written as a suite step. Names carry the placeholder
//! `{{unique}}`, filled with a run-scoped name when sent, exactly as the
//! suite runner fills it when a reproducer is replayed.

use serde::Serialize;
use serde_json::Value;

use crate::http::exchange::curl_line;
use crate::http::{Exchange, Request};

/// The placeholder for a fresh run-scoped name.
pub const UNIQUE: &str = "{{unique}}";

/// What a request exercises; violations are grouped by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    Create,
    Replace,
    Patch,
    Filter,
    Search,
    Query,
    Read,
    Delete,
    Headers,
    Auth,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::Create => "create",
            Family::Replace => "replace",
            Family::Patch => "patch",
            Family::Filter => "filter",
            Family::Search => "search",
            Family::Query => "query",
            Family::Read => "read",
            Family::Delete => "delete",
            Family::Headers => "headers",
            Family::Auth => "auth",
        }
    }
}

/// Where a request goes, relative to its resource type's endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The endpoint itself (`/Users`).
    Collection,
    /// `/Users/.search`.
    Search,
    /// A resource the fuzzer creates just before the request (the fixture).
    Fixture,
    /// An id no resource has (a fresh UUID).
    Fresh,
}

/// A request body: JSON, or text sent as is (malformed on purpose).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    Json(Value),
    Raw(String),
}

/// Which credentials a request carries.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Credentials {
    /// The run's own credentials.
    Configured,
    /// None of the run's credentials; this Authorization header instead
    /// (none at all when `None`). Never holds a secret.
    Bad(Option<String>),
}

/// One generated request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FuzzRequest {
    pub family: Family,
    /// The resource type's name (`User`).
    pub resource_type: String,
    pub method: String,
    pub target: Target,
    /// Unique names; values may be anything.
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub credentials: Credentials,
    pub body: Option<Body>,
}

impl FuzzRequest {
    /// A request with no query, headers or body, sent with the run's credentials.
    pub fn new(family: Family, resource_type: &str, method: &str, target: Target) -> Self {
        FuzzRequest {
            family,
            resource_type: resource_type.to_string(),
            method: method.to_string(),
            target,
            query: vec![],
            headers: vec![],
            credentials: Credentials::Configured,
            body: None,
        }
    }

    pub fn with_body(mut self, body: Body) -> Self {
        self.body = Some(body);
        self
    }

    pub fn needs_fixture(&self) -> bool {
        self.target == Target::Fixture
    }

    pub fn bad_credentials(&self) -> bool {
        matches!(self.credentials, Credentials::Bad(_))
    }

    /// The path relative to the base URL, given the endpoint and the id of
    /// the fixture or fresh resource.
    pub fn path(&self, endpoint: &str, id: Option<&str>) -> String {
        let endpoint = endpoint.trim_end_matches('/');
        match (self.target, id) {
            (Target::Collection, _) => endpoint.to_string(),
            (Target::Search, _) => format!("{endpoint}/.search"),
            (Target::Fixture | Target::Fresh, Some(id)) => format!("{endpoint}/{id}"),
            (Target::Fixture | Target::Fresh, None) => format!("{endpoint}/missing-id"),
        }
    }

    /// The HTTP request, with every `{{unique}}` replaced by `name()`.
    pub fn to_http(
        &self,
        endpoint: &str,
        id: Option<&str>,
        name: &mut dyn FnMut() -> String,
    ) -> Request {
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), fill(v, name)))
            .collect();
        if let Credentials::Bad(Some(value)) = &self.credentials {
            headers.push(("Authorization".into(), value.clone()));
        }
        Request {
            method: self.method.clone(),
            target: self.path(endpoint, id),
            query: self
                .query
                .iter()
                .map(|(k, v)| (k.clone(), fill(v, name)))
                .collect(),
            headers,
            body: self.body.as_ref().map(|b| match b {
                Body::Json(v) => fill_json(v, name).to_string().into_bytes(),
                Body::Raw(text) => fill(text, name).into_bytes(),
            }),
            authenticate: !self.bad_credentials(),
            timeout: None,
        }
    }

    /// A curl line for the exchange that sent this request. The client's
    /// own line names the run's credentials; a request with bad ones shows
    /// its (secret-free) Authorization header instead.
    pub fn curl(&self, exchange: &Exchange) -> String {
        match &self.credentials {
            Credentials::Configured => exchange.curl.clone(),
            Credentials::Bad(header) => {
                let mut line = curl_line(&exchange.request, None);
                if let Some(value) = header {
                    let h = format!("Authorization: {value}").replace('\'', "'\\''");
                    line.push_str(&format!(" -H '{h}'"));
                }
                line
            }
        }
    }

    /// One line saying what the request is, cut to `max` characters.
    pub fn summary(&self, max: usize) -> String {
        let endpoint = format!("{{{}}}", self.resource_type);
        let mut s = format!("{} {}", self.method, self.path(&endpoint, Some("{id}")));
        if !self.query.is_empty() {
            let q: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            s.push_str(&format!("?{}", q.join("&")));
        }
        for (k, v) in &self.headers {
            s.push_str(&format!(" [{k}: {v}]"));
        }
        if let Credentials::Bad(h) = &self.credentials {
            match h {
                Some(v) => s.push_str(&format!(" [Authorization: {v}]")),
                None => s.push_str(" [no credentials]"),
            }
        }
        match &self.body {
            Some(Body::Json(v)) => s.push_str(&format!(" {v}")),
            Some(Body::Raw(t)) => s.push_str(&format!(" {t:?}")),
            None => {}
        }
        let s = s.replace(['\n', '\r'], " ");
        cut(&s, max)
    }

    /// The same request with no `{{` left in it but the name placeholders,
    /// so that a reproducer's templates render it unchanged.
    pub fn sanitized(mut self) -> Self {
        for (_, v) in self.query.iter_mut().chain(self.headers.iter_mut()) {
            *v = sanitize(v);
        }
        for (k, _) in self.query.iter_mut() {
            *k = sanitize(k);
        }
        if let Credentials::Bad(Some(h)) = &mut self.credentials {
            *h = sanitize(h);
        }
        self.body = self.body.map(|b| match b {
            Body::Json(v) => Body::Json(map_strings(&v, &|s| sanitize(s))),
            Body::Raw(t) => Body::Raw(sanitize(&t)),
        });
        self
    }
}

/// Cuts a string to `max` characters, marking the cut.
pub fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let kept: String = s.chars().take(max.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// Replaces each `{{unique}}` with a fresh name.
pub fn fill(s: &str, name: &mut dyn FnMut() -> String) -> String {
    if !s.contains(UNIQUE) {
        return s.to_string();
    }
    let parts: Vec<&str> = s.split(UNIQUE).collect();
    let mut out = String::from(parts[0]);
    for p in &parts[1..] {
        out.push_str(&name());
        out.push_str(p);
    }
    out
}

fn fill_json(v: &Value, name: &mut dyn FnMut() -> String) -> Value {
    match v {
        Value::String(s) => Value::String(fill(s, name)),
        Value::Array(items) => Value::Array(items.iter().map(|i| fill_json(i, name)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (fill(k, name), fill_json(v, name)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Applies `f` to every string and key of a JSON value.
pub fn map_strings(v: &Value, f: &dyn Fn(&str) -> String) -> Value {
    match v {
        Value::String(s) => Value::String(f(s)),
        Value::Array(items) => Value::Array(items.iter().map(|i| map_strings(i, f)).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (f(k), map_strings(v, f))).collect())
        }
        other => other.clone(),
    }
}

/// Breaks every `{{` that is not a name placeholder.
pub fn sanitize(s: &str) -> String {
    if !s.contains("{{") {
        return s.to_string();
    }
    let parts: Vec<String> = s
        .split(UNIQUE)
        .map(|p| {
            let mut p = p.replace("{{", "{ {");
            while p.contains("{{") {
                p = p.replace("{{", "{ {");
            }
            if p.ends_with('{') {
                p.push(' ');
            }
            p
        })
        .collect();
    parts.join(UNIQUE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_filled_and_other_braces_broken() {
        let mut n = 0;
        let mut name = || {
            n += 1;
            format!("tok-{n}")
        };
        let r = FuzzRequest::new(Family::Create, "User", "POST", Target::Collection)
            .with_body(Body::Json(json!({"userName": "{{unique}}x", "a": "{{{{b"})))
            .sanitized();
        let req = r.to_http("/Users", None, &mut name);
        let body: Value = serde_json::from_slice(&req.body.unwrap()).unwrap();
        assert_eq!(body["userName"], "tok-1x");
        assert!(!body["a"].as_str().unwrap().contains("{{"));
        assert_eq!(sanitize("a{{{unique}}"), "a{ {{unique}}");
        assert_eq!(sanitize("x{{unique}}y"), "x{{unique}}y");
        assert_eq!(sanitize("x{{{{unique}}y"), "x{ { {{unique}}y");
        assert_eq!(sanitize("{{{"), "{ { { ");
        assert!(req.authenticate);
    }

    #[test]
    fn bad_credentials_replace_the_configured_ones() {
        let mut r = FuzzRequest::new(Family::Auth, "User", "GET", Target::Fixture);
        r.credentials = Credentials::Bad(Some("Bearer ".into()));
        let req = r.to_http("/Users/", Some("42"), &mut || "n".into());
        assert!(!req.authenticate);
        assert_eq!(req.target, "/Users/42");
        assert_eq!(
            req.headers,
            vec![("Authorization".into(), "Bearer ".into())]
        );
        assert_eq!(cut("abcdef", 4), "abc…");
    }
}
