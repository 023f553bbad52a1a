//! Reproducers: each violation as a ready-to-run suite file (area
//! `robustness`, one case, the invariant's level and requirement ids) whose
//! expectation holds on a correct server and fails on the broken one, so
//! that `scimitar run --suite DIR` replays it. Before a file is written its
//! expectation is checked against the response that broke the invariant.

use std::path::Path;

use serde_json::{json, Value};

use super::emit::{flow, round_trips, string};
use super::generate::Model;
use super::invariants::{
    self, Invariant, ALIVE, AUTH_REQUIRED, ERROR_BODY, INTERNALS, LATENCY, NO_5XX, NO_INTERNALS,
    READABLE, SCHEMA_CONFORMANCE,
};
use super::report::Violation;
use super::request::{Body, Credentials, FuzzRequest, Target};
use crate::http::Response;
use crate::scim::urn;
use crate::suite::Expect;

/// Statuses a correct server may answer an odd request with.
pub const ACCEPTABLE: &[u16] = &[
    200, 201, 202, 204, 304, 400, 401, 403, 404, 405, 406, 409, 412, 413, 414, 415, 422, 429, 431,
    501,
];

/// The invariant with this id.
fn invariant(id: &str) -> Option<&'static Invariant> {
    invariants::ALL.iter().copied().find(|i| i.id == id)
}

/// The step's expectation, as the suite format writes it; `strict` also
/// demands a JSON body.
fn expectation(v: &Violation, strict: bool) -> Option<Value> {
    let error_schema = json!({
        "if": {"required": ["schemas"], "properties": {"schemas": {"type": "array", "contains": {"const": urn::ERROR}}}},
        "then": {"required": ["status"], "properties": {"status": {"type": "string", "pattern": "^[1-5][0-9][0-9]$"}}},
        "else": {"required": ["schemas"]}
    });
    Some(match *invariant(v.invariant)? {
        NO_5XX => json!({"status": ACCEPTABLE}),
        READABLE => json!({"json": true}),
        AUTH_REQUIRED => json!({"status": [401, 403]}),
        ERROR_BODY => json!({
            "json": strict,
            "headers": {"Content-Type": {"optional": true, "matches": "(?i)json"}},
            "body": {"": {"optional": true, "schema": error_schema}}
        }),
        NO_INTERNALS => json!({
            "json": strict,
            "body": {"/detail": {"optional": true, "not_matches": INTERNALS}}
        }),
        SCHEMA_CONFORMANCE => {
            let body: serde_json::Map<String, Value> = v
                .types
                .iter()
                .take(10)
                .map(|(p, t)| (p.clone(), json!({"optional": true, "type": t})))
                .collect();
            json!({"body": body})
        }
        _ => return None,
    })
}

/// Whether a response meets an expectation, as the suite runner judges it.
pub fn satisfied(expect: &Expect, resp: &Response) -> bool {
    use crate::run::expect::check;
    if let Some(s) = &expect.status {
        if !s.codes().contains(&resp.status) {
            return false;
        }
    }
    for (name, m) in &expect.headers {
        let actual = resp.header(name).map(|v| Value::String(v.to_string()));
        if !check(actual.as_ref(), m).is_empty() {
            return false;
        }
    }
    let body = resp.json();
    if expect.json.unwrap_or(!expect.body.is_empty()) && body.is_none() {
        return false;
    }
    expect
        .body
        .iter()
        .all(|(p, m)| check(body.as_ref().and_then(|b| b.pointer(p)), m).is_empty())
}

/// An expectation the broken response fails, preferring the lenient one.
fn failing_expectation(v: &Violation) -> Option<(Value, bool)> {
    let lenient = expectation(v, false)?;
    let Some(resp) = &v.response else {
        return Some((lenient, true));
    };
    let fails =
        |e: &Value| serde_json::from_value::<Expect>(e.clone()).is_ok_and(|x| !satisfied(&x, resp));
    if fails(&lenient) {
        return Some((lenient, true));
    }
    let strict = expectation(v, true)?;
    let ok = fails(&strict);
    Some((strict, ok))
}

/// One HTTP step, in the suite format, indented for a case's `steps`.
fn step(r: &FuzzRequest, type_name: &str, expect: &Value) -> String {
    let mut path = format!("{{{{endpoint/{type_name}}}}}");
    match r.target {
        Target::Collection => {}
        Target::Search => path.push_str("/.search"),
        Target::Fixture => path.push_str("/{{target/id}}"),
        Target::Fresh => path.push_str("/{{uuid}}"),
    }
    let mut s = format!(
        "      - method: {}\n        path: {}\n",
        r.method,
        string(&path)
    );
    if !r.query.is_empty() {
        let q: serde_json::Map<String, Value> =
            r.query.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        s.push_str(&format!("        query: {}\n", flow(&Value::Object(q))));
    }
    let mut headers: serde_json::Map<String, Value> = r
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    if let Credentials::Bad(h) = &r.credentials {
        if let Some(h) = h {
            headers.insert("Authorization".into(), json!(h));
        }
        s.push_str("        auth: false\n");
    }
    if !headers.is_empty() {
        s.push_str(&format!(
            "        headers: {}\n",
            flow(&Value::Object(headers))
        ));
    }
    match &r.body {
        Some(Body::Json(v)) if !v.is_null() && round_trips(v) => {
            s.push_str(&format!("        body: {}\n", flow(v)));
        }
        Some(Body::Json(v)) => {
            s.push_str(&format!("        body_raw: {}\n", string(&v.to_string())))
        }
        Some(Body::Raw(t)) => s.push_str(&format!("        body_raw: {}\n", string(t))),
        None => {}
    }
    s.push_str(&format!("        expect: {}\n", flow(expect)));
    s
}

/// The suite file for a violation, or why there is none.
pub fn render(
    v: &Violation,
    case_id: &str,
    model: &Model,
    seed: u64,
) -> Result<(String, Option<String>), String> {
    let t = model
        .get(&v.request.resource_type)
        .ok_or("the resource type is no longer known")?;
    let inv = invariant(v.invariant).ok_or("unknown invariant")?;
    let mut requires = vec![t.name.clone()];
    let steps = if *inv == ALIVE {
        // The probe the engine sent: the ServiceProviderConfig, or one item
        // of a type's list when discovery found none.
        let probe = json!({"status": 200});
        let mut s = step(&v.request, &t.name, &json!({}));
        match &v.probe {
            Some(name) => {
                let listed = model
                    .get(name)
                    .ok_or("the probed resource type is no longer known")?;
                let mut list =
                    FuzzRequest::new(v.request.family, &listed.name, "GET", Target::Collection);
                list.query = vec![("count".into(), "1".into())];
                s.push_str(&step(&list, &listed.name, &probe));
                if !requires.contains(&listed.name) {
                    requires.push(listed.name.clone());
                }
            }
            None => s.push_str(&format!(
                "      - method: GET\n        path: /ServiceProviderConfig\n        expect: {}\n",
                flow(&probe)
            )),
        }
        (s, None)
    } else {
        let (expect, fails) = failing_expectation(v).ok_or_else(|| {
            if *inv == LATENCY {
                "no suite file: no RFC requirement bounds response time, so suites have \
                 no time expectation; replay it with the curl line"
                    .to_string()
            } else {
                format!("the suite format cannot express the {} invariant", inv.id)
            }
        })?;
        let note = (!fails).then(|| {
            "its expectation does not fail on the response seen; check it by hand".to_string()
        });
        (step(&v.request, &t.name, &expect), note)
    };
    if v.request.bad_credentials() {
        requires.push("credentials".into());
    }
    let mut notes = format!(
        "Found by `scimitar fuzz --seed {seed}` ({} requests), shrunk in {} steps. Observed: {}",
        v.request.family.name(),
        v.shrink_steps,
        v.message
    );
    if let Some(o) = &v.original {
        notes.push_str(&format!(". First seen as: {o}"));
    }
    let fail_on = inv.level.as_str().to_ascii_lowercase();
    let mut text = format!(
        "# Written by `scimitar fuzz --seed {seed}`; replay with `scimitar run --suite DIR --fail-on {fail_on} [URL]`.\n\
         area: robustness\n\
         cases:\n  - id: {case_id}\n    title: {}\n    level: {}\n    requirements: {}\n    requires: {}\n    notes: {}\n",
        string(&format!("{} ({})", inv.title, v.request.summary(80))),
        inv.level.as_str(),
        flow(&json!(inv.requirements)),
        flow(&json!(requires)),
        string(&notes),
    );
    if v.request.target == Target::Fixture {
        text.push_str(&format!(
            "    fixtures:\n      target:\n        type: {}\n        body: {}\n",
            string(&t.name),
            flow(&t.fixture)
        ));
    }
    text.push_str("    steps:\n");
    text.push_str(&steps.0);
    Ok((text, steps.1))
}

/// The next free number for an invariant's reproducers in `dir`.
fn next_number(dir: &Path, invariant: &str) -> usize {
    let prefix = format!("robustness-{invariant}-");
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.strip_prefix(&prefix)?
                .strip_suffix(".yaml")?
                .parse::<usize>()
                .ok()
        })
        .max()
        .unwrap_or(0)
        + 1
}

/// Writes one file per violation that the suite format can express into
/// `dir` (created if needed), numbering after the files already there.
pub fn write_all(
    dir: &Path,
    violations: &mut [Violation],
    model: &Model,
    seed: u64,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for v in violations.iter_mut() {
        let n = next_number(dir, v.invariant);
        let case_id = format!("robustness.{}.{n}", v.invariant);
        match render(v, &case_id, model, seed) {
            Ok((text, note)) => {
                let path = dir.join(format!("robustness-{}-{n}.yaml", v.invariant));
                std::fs::write(&path, text)?;
                v.case_id = Some(case_id);
                v.file = Some(path.display().to_string());
                v.note = note;
            }
            Err(why) => v.note = Some(why),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::generate::tests::model;
    use crate::fuzzing::request::Family;
    use crate::http::{Exchange, RecordedRequest};

    fn violation(invariant: &'static str, request: FuzzRequest, response: Response) -> Violation {
        Violation {
            case_id: None,
            invariant,
            title: "t",
            level: crate::rfc::Level::Should,
            requirements: vec![],
            family: "filter",
            message: "answered 500".into(),
            request,
            original: Some("GET /Users?filter=…".into()),
            shrink_steps: 3,
            repeats: 0,
            curl: "curl".into(),
            exchange: Exchange {
                request: RecordedRequest {
                    method: "GET".into(),
                    url: "u".into(),
                    headers: vec![],
                    body: None,
                },
                response: None,
                error: None,
                duration_ms: 1,
                curl: "curl".into(),
                broken: false,
            },
            file: None,
            note: None,
            types: vec![("/active".into(), "boolean")],
            probe: None,
            response: Some(response),
        }
    }

    fn plain500() -> Response {
        Response {
            status: 500,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: b"oops".to_vec(),
        }
    }

    #[test]
    fn reproducers_load_as_suites() {
        let m = model();
        let dir = std::env::temp_dir().join(format!("scimitar-repro-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut filter = FuzzRequest::new(Family::Filter, "User", "GET", Target::Collection);
        filter.query = vec![(
            "filter".into(),
            format!("id eq \"{}\u{202e}\u{1}\"", "a".repeat(201)),
        )];
        let mut bad = FuzzRequest::new(Family::Auth, "User", "PATCH", Target::Fixture);
        bad.credentials = Credentials::Bad(Some("Bearer \t".into()));
        bad.body = Some(Body::Json(json!({"big": u64::MAX, "s": "{{unique}}"})));
        let mut raw = FuzzRequest::new(Family::Create, "Group", "POST", Target::Collection);
        raw.body = Some(Body::Raw(format!(
            "{{\"a\":{}1{}}}",
            "[".repeat(40),
            "]".repeat(40)
        )));
        raw.headers = vec![("Content-Type".into(), "text/plain".into())];
        let leak = Response {
            status: 400,
            headers: vec![],
            body: json!({"schemas": [urn::ERROR], "status": "400", "detail": "at /home/x"})
                .to_string()
                .into_bytes(),
        };
        let typed = Response {
            status: 201,
            headers: vec![],
            body: json!({"active": "yes"}).to_string().into_bytes(),
        };
        let mut vs = vec![
            violation("no-5xx", filter.clone(), plain500()),
            violation("error-body", raw, plain500()),
            violation(
                "auth-required",
                bad,
                Response {
                    status: 200,
                    headers: vec![],
                    body: vec![],
                },
            ),
            violation(
                "no-internals",
                FuzzRequest::new(Family::Read, "User", "GET", Target::Fresh),
                leak,
            ),
            violation("schema-conformance", filter.clone(), typed),
            violation("alive", filter.clone(), plain500()),
            violation("latency", filter, plain500()),
        ];
        write_all(&dir, &mut vs, &m, 1).unwrap();
        assert!(
            vs[..6].iter().all(|v| v.file.is_some() && v.note.is_none()),
            "{vs:#?}"
        );
        assert!(vs[6].file.is_none());
        assert!(vs[6].note.as_deref().unwrap().contains("curl line"));
        let cases = crate::suite::load_paths(&[&dir], &crate::check::known()).unwrap();
        assert_eq!(cases.len(), 6);
        assert!(cases.iter().all(|c| c.area == "robustness"));
        let q = &cases
            .iter()
            .find(|c| c.id == "robustness.no-5xx.1")
            .unwrap()
            .http_steps()
            .next()
            .unwrap()
            .query;
        assert_eq!(q["filter"], json!(filter_text()));
        let auth = cases
            .iter()
            .find(|c| c.id == "robustness.auth-required.1")
            .unwrap();
        assert_eq!(auth.requires, ["User", "credentials"]);
        let step = auth.http_steps().next().unwrap();
        assert!(!step.auth && step.headers["Authorization"] == "Bearer \t");
        assert!(step
            .body_raw
            .as_deref()
            .unwrap()
            .contains("18446744073709551615"));
        // Numbering continues after the files already there.
        let mut again = vec![violation(
            "no-5xx",
            FuzzRequest::new(Family::Query, "User", "GET", Target::Collection),
            plain500(),
        )];
        write_all(&dir, &mut again, &m, 1).unwrap();
        assert_eq!(again[0].case_id.as_deref(), Some("robustness.no-5xx.2"));
        assert!(crate::suite::load_paths(&[&dir], &crate::check::known()).is_ok());
        let _ = std::fs::remove_dir_all(&dir);

        fn filter_text() -> String {
            format!("id eq \"{}\u{202e}\u{1}\"", "a".repeat(201))
        }
    }

    #[test]
    fn an_alive_reproducer_probes_what_the_engine_probed() {
        let m = model();
        let req = FuzzRequest::new(Family::Create, "User", "POST", Target::Collection);
        let mut v = violation("alive", req, plain500());
        let (spc, _) = render(&v, "robustness.alive.1", &m, 1).unwrap();
        assert!(spc.contains("path: /ServiceProviderConfig"), "{spc}");
        v.probe = Some("Group".into());
        let (list, _) = render(&v, "robustness.alive.1", &m, 1).unwrap();
        assert!(!list.contains("path: /ServiceProviderConfig"), "{list}");
        assert!(list.contains("{{endpoint/Group}}"), "{list}");
        let dir = std::env::temp_dir().join(format!("scimitar-alive-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("robustness-alive-1.yaml"), &list).unwrap();
        let cases = crate::suite::load_paths(&[&dir], &crate::check::known()).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(cases[0].requires, ["User", "Group"]);
        let probe = cases[0].http_steps().nth(1).unwrap();
        assert_eq!(probe.method, "GET");
        assert_eq!(probe.query["count"], json!("1"));
    }

    #[test]
    fn expectations_hold_on_correct_answers_and_fail_on_broken_ones() {
        let r = FuzzRequest::new(Family::Create, "User", "POST", Target::Collection);
        let v = violation("error-body", r, plain500());
        let e: Expect = serde_json::from_value(expectation(&v, false).unwrap()).unwrap();
        let ok = |status: u16, body: Value| Response {
            status,
            headers: vec![("Content-Type".into(), "application/scim+json".into())],
            body: body.to_string().into_bytes(),
        };
        assert!(satisfied(
            &e,
            &ok(400, json!({"schemas": [urn::ERROR], "status": "400"}))
        ));
        assert!(satisfied(
            &e,
            &ok(201, json!({"schemas": [urn::USER], "id": "1"}))
        ));
        assert!(satisfied(
            &e,
            &Response {
                status: 204,
                headers: vec![],
                body: vec![]
            }
        ));
        assert!(!satisfied(&e, &plain500()));
        assert!(!satisfied(
            &e,
            &ok(400, json!({"schemas": [urn::ERROR], "status": 400}))
        ));
        assert!(!satisfied(&e, &ok(404, json!({"error": "nope"}))));
    }
}
