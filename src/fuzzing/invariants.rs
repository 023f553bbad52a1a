//! The invariants every response must satisfy, each a small named check
//! with an id, the requirement ids of `suites/requirements.tsv` it rests
//! on, and a level. A check sees one request and what came back, and says
//! what is wrong, if anything; it never panics on what a server sends.

use std::time::Duration;

use serde_json::Value;

use super::generate::Model;
use super::request::FuzzRequest;
use crate::http::{HttpError, Response};
use crate::rfc::Level;
use crate::scim::{urn, AttrType, Attribute, Schema};

/// One invariant.
#[derive(Debug, PartialEq, Eq)]
pub struct Invariant {
    pub id: &'static str,
    pub title: &'static str,
    pub requirements: &'static [&'static str],
    pub level: Level,
}

pub const NO_5XX: Invariant = Invariant {
    id: "no-5xx",
    title: "a request, however odd, is answered without a server error (5xx other than 501)",
    requirements: &["R7644-3.12-05"],
    level: Level::Should,
};
pub const ERROR_BODY: Invariant = Invariant {
    id: "error-body",
    title: "error responses carry a SCIM Error body whose status is the HTTP status as a string",
    requirements: &["R7644-3.12-01", "R7644-3.12-02"],
    level: Level::Must,
};
pub const SCHEMA_CONFORMANCE: Invariant = Invariant {
    id: "schema-conformance",
    title:
        "resources in successful responses have the declared types for the attributes they return",
    // What is checked with an RFC text of its own: integers without
    // fractional or exponent parts, dateTimes as xsd:dateTime strings.
    requirements: &["R7643-2.3.4-01", "R7643-2.3.5-01", "R7643-2.3.5-02"],
    level: Level::Must,
};
pub const AUTH_REQUIRED: Invariant = Invariant {
    id: "auth-required",
    title: "a request with bad credentials never succeeds on a protected endpoint",
    requirements: &["R7644-2-07"],
    level: Level::Must,
};
pub const ALIVE: Invariant = Invariant {
    id: "alive",
    title: "the service still answers a plain GET (/ServiceProviderConfig, or a one-item list when it has none) after the requests before it",
    // No RFC requirement says a service stays up. Reproducer cases must
    // cite one (suite.schema.json: requirements has minItems 1), so this
    // is the nearest fit, not an exact one: the probe is judged as no-5xx
    // judges any answer (a 5xx other than 501, or none, is the failure),
    // and that rests on the status code handling of RFC 7644 §3.12.
    requirements: &["R7644-3.12-05"],
    level: Level::Should,
};
pub const NO_INTERNALS: Invariant = Invariant {
    id: "no-internals",
    title: "error responses do not expose stack traces, file paths or database messages",
    requirements: &["R7644-3.12-04"],
    level: Level::May,
};
pub const READABLE: Invariant = Invariant {
    id: "readable",
    title: "a successful answer is a whole JSON body within the size cap (or empty, as for 204)",
    // A service provider must answer in application/scim+json; a body cut
    // off, over the cap, or not JSON is none.
    requirements: &["R7644-3.8-05"],
    level: Level::Must,
};
pub const LATENCY: Invariant = Invariant {
    id: "latency",
    title: "a request is answered within the latency bound",
    requirements: &[],
    level: Level::May,
};

/// Every invariant.
pub const ALL: &[&Invariant] = &[
    &NO_5XX,
    &ERROR_BODY,
    &SCHEMA_CONFORMANCE,
    &AUTH_REQUIRED,
    &ALIVE,
    &NO_INTERNALS,
    &READABLE,
    &LATENCY,
];

/// What suites/errors/errors.yaml (errors.no-internals-in-detail) looks for.
pub const INTERNALS: &str = r#"(?i)(traceback|stack ?(back)?trace|exception in thread|\bat [\w.$]+\([\w]+\.(java|kt|scala|cs):\d+\)|File "[^"]+", line \d+|SQLSTATE|ORA-\d{5}|syntax error at or near|/home/|/usr/(lib|local)/|node_modules/|\.rs:\d+:\d+)"#;

/// One broken invariant.
#[derive(Clone, Debug)]
pub struct Finding {
    pub invariant: &'static Invariant,
    pub message: String,
    /// For schema-conformance: (JSON pointer, JSON type expected there).
    pub types: Vec<(String, &'static str)>,
}

impl Finding {
    fn new(invariant: &'static Invariant, message: String) -> Self {
        Finding {
            invariant,
            message,
            types: vec![],
        }
    }
}

/// One request and what came back.
pub struct Observed<'a> {
    pub request: &'a FuzzRequest,
    pub result: Result<&'a Response, &'a HttpError>,
    pub elapsed: Duration,
}

/// Checks every per-response invariant (all but `alive`).
pub fn check(o: &Observed<'_>, model: &Model, latency_bound: Duration) -> Vec<Finding> {
    let mut out = vec![];
    let slow = match o.result {
        Err(HttpError::Timeout(t)) => Some(format!("no answer within {t:?}")),
        _ if o.elapsed > latency_bound => Some(format!(
            "answered after {:.1} s (bound {:.1} s)",
            o.elapsed.as_secs_f64(),
            latency_bound.as_secs_f64()
        )),
        _ => None,
    };
    if let Some(m) = slow {
        out.push(Finding::new(&LATENCY, m));
    }
    let resp = match o.result {
        Ok(r) => r,
        Err(HttpError::Transport(e)) => {
            let e = super::request::cut(e, 200);
            out.push(Finding::new(&NO_5XX, format!("no complete answer: {e}")));
            return out;
        }
        Err(e @ HttpError::TooLarge(..)) => {
            out.push(Finding::new(&READABLE, e.to_string()));
            return out;
        }
        Err(_) => return out,
    };
    let json = resp.json();
    if (200..300).contains(&resp.status) && !resp.body.is_empty() && json.is_none() {
        let why = resp.json_problem().unwrap_or_default();
        out.push(Finding::new(&READABLE, super::request::cut(&why, 300)));
    }
    let checks: [(&'static Invariant, Option<String>); 4] = [
        (&NO_5XX, no_5xx(resp)),
        (&ERROR_BODY, error_body(resp, json.as_ref())),
        (&AUTH_REQUIRED, auth_required(o.request, resp)),
        (&NO_INTERNALS, no_internals(o.request, resp, json.as_ref())),
    ];
    out.extend(
        checks
            .into_iter()
            .filter_map(|(inv, m)| m.map(|m| Finding::new(inv, m))),
    );
    if (200..300).contains(&resp.status) {
        let types = conformance(json.as_ref(), model);
        if !types.is_empty() {
            let shown: Vec<String> = types
                .iter()
                .take(3)
                .map(|(p, got, want)| format!("{p} is {got}, declared {want}"))
                .collect();
            let mut f = Finding::new(&SCHEMA_CONFORMANCE, shown.join("; "));
            f.types = types
                .into_iter()
                .map(|(p, _, w)| (p, json_type(w)))
                .collect();
            out.push(f);
        }
    }
    out
}

/// What is wrong with the answer to a liveness probe (`alive`), if anything.
pub fn alive(target: &str, result: Result<&Response, &HttpError>) -> Option<String> {
    match result {
        Ok(r) if r.status < 500 || r.status == 501 => None,
        Ok(r) => Some(format!("GET {target} answered {}", r.status)),
        Err(e) => Some(format!("GET {target}: {e}")),
    }
}

fn no_5xx(resp: &Response) -> Option<String> {
    (resp.status >= 500 && resp.status != 501).then(|| format!("answered {}", resp.status))
}

fn error_body(resp: &Response, json: Option<&Value>) -> Option<String> {
    if resp.status < 400 {
        return None;
    }
    let Some(body) = json else {
        let ct = resp.header("content-type").unwrap_or("no content type");
        return Some(format!(
            "answered {} with a body that is not JSON ({ct})",
            resp.status
        ));
    };
    let is_error = body["schemas"]
        .as_array()
        .is_some_and(|s| s.iter().any(|u| u == urn::ERROR));
    if !is_error {
        return Some(format!(
            "answered {} without the Error schema URN",
            resp.status
        ));
    }
    match &body["status"] {
        Value::String(s) if s == &resp.status.to_string() => None,
        Value::String(s) => Some(format!("answered {} with status \"{s}\"", resp.status)),
        other => Some(format!(
            "answered {} with status {other}, not a string",
            resp.status
        )),
    }
}

fn auth_required(req: &FuzzRequest, resp: &Response) -> Option<String> {
    (req.bad_credentials() && (200..300).contains(&resp.status))
        .then(|| format!("answered {} to bad credentials", resp.status))
}

fn no_internals(req: &FuzzRequest, resp: &Response, json: Option<&Value>) -> Option<String> {
    if resp.status < 400 {
        return None;
    }
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = RE
        .get_or_init(|| regex::Regex::new(INTERNALS).ok())
        .as_ref()?;
    let text = match json {
        Some(body) => body["detail"].as_str().unwrap_or_default().to_string(),
        None => String::from_utf8_lossy(&resp.body).into_owned(),
    };
    let found = re.find(&text)?.as_str();
    // Text the request itself carried is an echo, not a leak.
    let sent = serde_json::to_string(req).unwrap_or_default();
    (!sent.contains(found)).then(|| format!("the error exposes {found:?}"))
}

/// (pointer, JSON type found, type declared) for each attribute of the
/// resources in a body whose value does not have the declared type. The
/// declared type is a JSON type, or `dateTime` for a dateTime that is not
/// a valid xsd:dateTime string (its JSON type is [`json_type`]).
pub fn conformance(
    body: Option<&Value>,
    model: &Model,
) -> Vec<(String, &'static str, &'static str)> {
    let Some(body) = body else {
        return vec![];
    };
    let mut out = vec![];
    let is_list = body["schemas"]
        .as_array()
        .is_some_and(|s| s.iter().any(|u| u == urn::LIST_RESPONSE));
    if is_list {
        for (i, r) in body["Resources"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            resource(r, &format!("/Resources/{i}"), model, &mut out);
        }
    } else {
        resource(body, "", model, &mut out);
    }
    out
}

fn resource(
    r: &Value,
    at: &str,
    model: &Model,
    out: &mut Vec<(String, &'static str, &'static str)>,
) {
    let Some(obj) = r.as_object() else {
        return;
    };
    let schemas = obj.get("schemas").and_then(Value::as_array);
    let Some(t) = schemas
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .find_map(|u| model.by_schema(u))
    else {
        return;
    };
    for (k, v) in obj {
        let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
        if k == "id" && !v.is_string() {
            out.push((p, crate::run::expect::kind(v), "string"));
        } else if let Some(ext) = t.extensions.iter().find(|e| e.id == *k) {
            object(ext, v, &p, out);
        } else if let Some(a) = t
            .core
            .attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(k))
        {
            value(a, v, &p, out);
        }
    }
}

fn object(
    schema: &Schema,
    v: &Value,
    at: &str,
    out: &mut Vec<(String, &'static str, &'static str)>,
) {
    let Some(o) = v.as_object() else {
        if !v.is_null() {
            out.push((at.to_string(), crate::run::expect::kind(v), "object"));
        }
        return;
    };
    for (k, v) in o {
        if let Some(a) = schema
            .attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(k))
        {
            value(a, v, &format!("{at}/{k}"), out);
        }
    }
}

fn value(a: &Attribute, v: &Value, at: &str, out: &mut Vec<(String, &'static str, &'static str)>) {
    if v.is_null() {
        return;
    }
    if a.multi_valued {
        match v.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    single(a, item, &format!("{at}/{i}"), out);
                }
            }
            None => out.push((at.to_string(), crate::run::expect::kind(v), "array")),
        }
    } else {
        single(a, v, at, out);
    }
}

/// The type an attribute declares, as findings name it: its JSON type,
/// but `dateTime` for a dateTime (a string, of a format).
fn declared(kind: AttrType) -> &'static str {
    match kind {
        AttrType::String | AttrType::Reference | AttrType::Binary => "string",
        AttrType::DateTime => "dateTime",
        AttrType::Boolean => "boolean",
        AttrType::Integer => "integer",
        AttrType::Decimal => "number",
        AttrType::Complex => "object",
    }
}

/// The JSON type of a type [`conformance`] reports as declared.
pub fn json_type(declared: &'static str) -> &'static str {
    match declared {
        "dateTime" => "string",
        other => other,
    }
}

fn single(a: &Attribute, v: &Value, at: &str, out: &mut Vec<(String, &'static str, &'static str)>) {
    if v.is_null() {
        return;
    }
    if !a.accepts(v) {
        out.push((
            at.to_string(),
            crate::run::expect::kind(v),
            declared(a.kind),
        ));
        return;
    }
    if a.kind == AttrType::Complex {
        for (k, sv) in v.as_object().into_iter().flatten() {
            if let Some(s) = a.sub_attribute(k) {
                value(s, sv, &format!("{at}/{k}"), out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::generate::tests::model;
    use crate::fuzzing::request::{Credentials, Family, Target};
    use serde_json::json;

    fn resp(status: u16, body: Value) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), "application/scim+json".into())],
            body: body.to_string().into_bytes(),
        }
    }

    fn ids(req: &FuzzRequest, r: &Response) -> Vec<&'static str> {
        let o = Observed {
            request: req,
            result: Ok(r),
            elapsed: Duration::from_millis(5),
        };
        check(&o, &model(), Duration::from_secs(5))
            .iter()
            .map(|f| f.invariant.id)
            .collect()
    }

    fn get() -> FuzzRequest {
        FuzzRequest::new(Family::Query, "User", "GET", Target::Collection)
    }

    #[test]
    fn a_conforming_server_breaks_nothing() {
        let err = json!({"schemas": [urn::ERROR], "status": "400", "detail": "bad count"});
        assert!(ids(&get(), &resp(400, err)).is_empty());
        let user = json!({"schemas": [urn::USER], "id": "1", "userName": "a", "active": true,
            "emails": [{"value": "a@b", "primary": false}], "meta": {"created": "x"}});
        assert!(ids(&get(), &resp(201, user)).is_empty());
        assert!(ids(
            &get(),
            &resp(501, json!({"schemas": [urn::ERROR], "status": "501"}))
        )
        .is_empty());
    }

    #[test]
    fn each_invariant_has_a_violating_response() {
        let plain = Response {
            status: 500,
            headers: vec![],
            body: b"Internal Server Error".to_vec(),
        };
        assert_eq!(ids(&get(), &plain), ["no-5xx", "error-body"]);
        let number = json!({"schemas": [urn::ERROR], "status": 404});
        assert_eq!(ids(&get(), &resp(404, number)), ["error-body"]);
        let leak = json!({"schemas": [urn::ERROR], "status": "400",
            "detail": "Traceback (most recent call last):\n  File \"/srv/app.py\", line 3"});
        assert_eq!(ids(&get(), &resp(400, leak)), ["no-internals"]);
        let mut bad = get();
        bad.credentials = Credentials::Bad(Some("Bearer ".into()));
        assert_eq!(ids(&bad, &resp(200, json!({}))), ["auth-required"]);
        let wrong = json!({"schemas": [urn::LIST_RESPONSE], "Resources": [
            {"schemas": [urn::USER], "id": 1, "active": "yes", "emails": {"value": "x"},
             "name": {"givenName": 3}, urn::ENTERPRISE_USER: {"department": []}}]});
        let found = conformance(Some(&wrong), &model());
        let pointers: Vec<&str> = found.iter().map(|(p, _, _)| p.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/Resources/0/id",
                "/Resources/0/active",
                "/Resources/0/emails",
                "/Resources/0/name/givenName",
                &format!("/Resources/0/{}/department", urn::ENTERPRISE_USER)
            ]
        );
        let slow = Observed {
            request: &get(),
            result: Ok(&resp(200, json!({}))),
            elapsed: Duration::from_secs(9),
        };
        let f = check(&slow, &model(), Duration::from_secs(5));
        assert_eq!(f[0].invariant.id, "latency");
        let cut = HttpError::Transport("connection reset".into());
        let dropped = Observed {
            request: &get(),
            result: Err(&cut),
            elapsed: Duration::ZERO,
        };
        assert_eq!(
            check(&dropped, &model(), Duration::from_secs(5))[0]
                .invariant
                .id,
            "no-5xx"
        );
    }

    #[test]
    fn a_date_time_is_an_xsd_date_time_and_reported_as_one() {
        let user = |hired: &str| json!({"schemas": [urn::USER], "id": "1", "hired": hired});
        let mut m = model();
        m.types[0]
            .core
            .attributes
            .push(serde_json::from_value(json!({"name": "hired", "type": "dateTime"})).unwrap());
        // The time zone of xsd:dateTime is optional (RFC 7643 §2.3.5).
        for ok in ["2011-05-13T04:42:34Z", "2011-05-13T04:42:34"] {
            assert!(conformance(Some(&user(ok)), &m).is_empty(), "{ok}");
        }
        let f = check(
            &Observed {
                request: &get(),
                result: Ok(&resp(200, user("13 May 2011"))),
                elapsed: Duration::ZERO,
            },
            &m,
            Duration::from_secs(5),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].message, "/hired is string, declared dateTime");
        assert_eq!(f[0].types, [("/hired".to_string(), "string")]);
    }

    #[test]
    fn a_dead_or_failing_service_is_not_alive() {
        let ok = resp(200, json!({}));
        assert_eq!(alive("/ServiceProviderConfig", Ok(&ok)), None);
        let down = HttpError::Connect("refused".into());
        assert!(alive("/ServiceProviderConfig", Err(&down))
            .unwrap()
            .contains("refused"));
        let sick = resp(503, json!({}));
        assert!(alive("/ServiceProviderConfig", Ok(&sick))
            .unwrap()
            .contains("503"));
    }

    #[test]
    fn echoed_input_is_no_leak() {
        let mut req = get();
        req.query = vec![("filter".into(), "userName eq \"/home/x\"".into())];
        let echo = json!({"schemas": [urn::ERROR], "status": "400", "detail": "bad filter userName eq \"/home/x\""});
        assert!(ids(&req, &resp(400, echo)).is_empty());
    }
}
