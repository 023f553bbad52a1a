//! Snapshot tests of the console, JSON and JUnit reports for one fixed run.

use scimitar::http::{Exchange, RecordedRequest, RecordedResponse};
use scimitar::outcome::{CaseOutcome, Cleanup, Failure, RunReport, Status, Summary};
use scimitar::report;
use scimitar::rfc::Level;

fn case(id: &str, area: &str, level: Level, status: Status) -> CaseOutcome {
    CaseOutcome {
        id: id.into(),
        title: format!("Title of {id}"),
        area: area.into(),
        profile: None,
        level,
        requirements: vec!["R7644-3.3-07".into()],
        sections: vec!["RFC 7644 §3.3".into()],
        status,
        warning: false,
        duration_ms: 3,
        message: String::new(),
        failures: vec![],
        curl: None,
        notes: None,
        blocked_by: None,
        source: format!("suites/{area}/x.yaml:4"),
        exchanges: vec![],
    }
}

fn sample() -> RunReport {
    let mut failed = case(
        "crud.create.status-201",
        "crud",
        Level::Must,
        Status::Failed,
    );
    failed.failures = vec![Failure {
        step: "step 1 POST /Users".into(),
        subject: "status".into(),
        expected: "201".into(),
        actual: "200".into(),
    }];
    failed.message = failed.failures[0].to_string();
    failed.curl = Some("curl -sS -X POST 'http://127.0.0.1:1/scim/v2/Users' -H \"Authorization: Bearer $SCIMITAR_TOKEN\" --data-binary '{}'".into());
    failed.exchanges = vec![Exchange {
        request: RecordedRequest {
            method: "POST".into(),
            url: "http://127.0.0.1:1/scim/v2/Users".into(),
            headers: vec![("Authorization".into(), "Bearer [REDACTED]".into())],
            body: Some("{}".into()),
        },
        response: Some(RecordedResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/scim+json".into())],
            body: "{\"id\":\"1\"}".into(),
            body_truncated: false,
        }),
        error: None,
        duration_ms: 1,
        curl: failed.curl.clone().unwrap(),
        broken: false,
    }];
    let mut warned = case(
        "crud.uniqueness.case-variant-409",
        "crud",
        Level::Should,
        Status::Failed,
    );
    warned.warning = true;
    warned.notes = Some("Ambiguous RFC text, graded as a warning: example".into());
    warned.message = "step 1 POST /Users: status: expected 409, got 201".into();
    let mut skipped = case(
        "crud.read.etag-header",
        "crud",
        Level::Must,
        Status::Skipped,
    );
    skipped.message = "the server does not advertise `etag.supported`".into();
    let mut errored = case("errors.not-found", "errors", Level::Must, Status::Errored);
    errored.message = "GET /Users/x: no complete response within 30s".into();
    let mut blocked = case(
        "attributes.list",
        "attributes",
        Level::Must,
        Status::Errored,
    );
    blocked.blocked_by = Some("400 invalidValue: emails is required".into());
    blocked.message =
        "fixture `ann`: the server refused it: 400 invalidValue: emails is required".into();
    let mut interop = case(
        "patch.entra.capitalised-op",
        "patch",
        Level::May,
        Status::Failed,
    );
    interop.profile = Some("entra".into());
    interop.message = "step 1 PATCH /Users/1: status: expected 200 or 204, got 400".into();
    let cases = vec![
        case(
            "discovery.spc.schemas",
            "discovery",
            Level::Must,
            Status::Passed,
        ),
        failed,
        warned,
        skipped,
        errored,
        blocked,
        interop,
    ];
    RunReport {
        tool: "scimitar".into(),
        version: "0.0.0-test".into(),
        target: "http://127.0.0.1:1/scim/v2".into(),
        started_at: "2026-11-23T00:00:00Z".into(),
        duration_ms: 1234,
        fail_on: Level::Should,
        interrupted: false,
        aborted: None,
        notes: vec![],
        summary: Summary::of(&cases),
        baseline: None,
        reruns: vec![],
        cleanup: Cleanup {
            created: 3,
            deleted: 3,
            leftover: vec![],
            absent: 0,
        },
        cases,
    }
}

#[test]
fn console() {
    insta::assert_snapshot!(report::console::render(&sample(), true));
}

#[test]
fn junit() {
    insta::assert_snapshot!(report::junit::render(&sample()));
}

#[test]
fn json() {
    let text = report::json::render(&sample());
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let schema: serde_json::Value = serde_json::from_str(report::json::REPORT_SCHEMA).unwrap();
    assert!(jsonschema::validator_for(&schema).unwrap().is_valid(&value));
    insta::assert_snapshot!(text);
}

#[test]
fn warnings_and_skips_do_not_fail_the_run_but_errors_do() {
    let r = sample();
    let failing: Vec<&str> = r.failing().map(|c| c.id.as_str()).collect();
    // An interoperability failure fails the run whatever its level.
    assert_eq!(
        failing,
        [
            "crud.create.status-201",
            "errors.not-found",
            "attributes.list",
            "patch.entra.capitalised-op"
        ]
    );
}

#[test]
fn markdown() {
    insta::assert_snapshot!(report::markdown::render(&sample()));
}

#[test]
fn har() {
    let text = report::har::render(&sample());
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["log"]["entries"].as_array().unwrap().len(), 1);
    insta::assert_snapshot!(text);
}
