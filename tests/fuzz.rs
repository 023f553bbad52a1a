#![cfg(feature = "net")]
//! `scimitar fuzz` against the embedded reference server over real HTTP on
//! 127.0.0.1: every robustness bug is found with seed 1 and written as a
//! reproducer that fails with the bug and passes without it; the bug-free
//! server breaks no invariant and keeps nothing the fuzzer created.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use scimitar::fuzzing::{self, Options};
use scimitar::http::Request;
use scimitar::serve::{Bug, Bugs};

use common::bin::{free_port, run};

/// Generated requests every run below may send: seed 1 finds each
/// robustness bug within 100 and covers every request family within 150,
/// so runs are bounded by count, not by a clock (their outcome does not
/// depend on the machine's speed). The duration only guards against a hang.
const REQUESTS: u64 = 300;
const GUARD: Duration = Duration::from_secs(120);

fn text(o: &Output) -> String {
    common::bin::all_output(o)
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

/// Fuzzes with one bug, then replays the reproducers with and without it.
fn found_and_replayed(bug: Bug) -> Result<(), String> {
    let dir = common::bin::tmp("fuzz", bug.name());
    let suites = dir.join("suites");
    let report = dir.join("report.json");
    let (suites_s, report_s) = (suites.display().to_string(), report.display().to_string());
    let (requests, guard) = (REQUESTS.to_string(), GUARD.as_secs().to_string());
    let fuzz = run(&[
        "fuzz",
        "--bug",
        bug.name(),
        "--max-requests",
        &requests,
        "--duration",
        &guard,
        "--seed",
        "1",
        "--rate",
        "10000",
        "--out",
        &suites_s,
        "--json",
        &report_s,
    ]);
    if fuzz.status.code() != Some(1) {
        return Err(format!(
            "fuzz exited {:?}:\n{}",
            fuzz.status.code(),
            text(&fuzz)
        ));
    }
    let files = yaml_files(&suites);
    if files.is_empty() {
        return Err(format!("no reproducer written:\n{}", text(&fuzz)));
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    if json["cleanup"]["leftover"] != serde_json::json!([])
        || json["cleanup"]["created"] != json["cleanup"]["deleted"]
    {
        return Err(format!("left resources behind: {}", json["cleanup"]));
    }
    let with = run(&[
        "run",
        "--suite",
        &suites_s,
        "--bug",
        bug.name(),
        "--fail-on",
        "may",
        "--quiet",
    ]);
    if with.status.code() != Some(1) {
        return Err(format!(
            "replay with the bug exited {:?}:\n{}",
            with.status.code(),
            text(&with)
        ));
    }
    let without = run(&["run", "--suite", &suites_s, "--fail-on", "may", "--quiet"]);
    if without.status.code() != Some(0) {
        return Err(format!(
            "replay without the bug exited {:?}:\n{}",
            without.status.code(),
            text(&without)
        ));
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn every_robustness_bug_is_found_and_its_reproducer_replays() {
    let bugs: Vec<Bug> = Bug::ALL
        .iter()
        .copied()
        .filter(|b| b.area() == "robustness")
        .collect();
    assert!(bugs.len() >= 3, "{bugs:?}");
    let problems: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = bugs
            .iter()
            .map(|b| (b, s.spawn(move || found_and_replayed(*b))))
            .collect();
        handles
            .into_iter()
            .filter_map(|(b, h)| match h.join() {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(format!("{}: {e}", b.name())),
                Err(_) => Some(format!("{}: the check panicked", b.name())),
            })
            .collect()
    });
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn exit_codes_for_a_clean_run_usage_and_an_unreachable_target() {
    let clean = run(&[
        "fuzz",
        "--max-requests",
        "100",
        "--duration",
        "120",
        "--seed",
        "1",
        "--rate",
        "10000",
    ]);
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean));
    assert!(text(&clean).contains("0 violations"), "{}", text(&clean));
    assert!(text(&clean).contains("with --seed 1"), "{}", text(&clean));
    for args in [
        &["fuzz", "--rate", "0"][..],
        &["fuzz", "--bug", "no-such-bug"],
        &["fuzz", "http://127.0.0.1:9/scim", "--bug", "deep-json-500"],
    ] {
        assert_eq!(run(args).status.code(), Some(2), "{args:?}");
    }
    let port = free_port();
    let down = run(&[
        "fuzz",
        &format!("http://127.0.0.1:{port}/scim/v2"),
        "--duration",
        "1",
    ]);
    assert_eq!(down.status.code(), Some(3), "{}", text(&down));
}

/// Options for a run of at most [`REQUESTS`] generated requests.
fn bounded(seed: u64) -> Options {
    let mut options = Options::new(seed);
    options.max_requests = Some(REQUESTS);
    options.duration = GUARD;
    options.rate = 10_000.0;
    options
}

async fn count(client: &scimitar::http::Client, endpoint: &str) -> u64 {
    let (_, resp) = client.send(&Request::get(endpoint)).await;
    resp.unwrap().json().unwrap()["totalResults"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn the_bug_free_server_breaks_nothing_and_keeps_nothing() {
    let token = "fuzz-secret-token-0123456789";
    let (server, client, caps) = common::embedded(Bugs::none(), token).await;
    let options = bounded(1);
    let report = fuzzing::fuzz(&client, &caps, &options, &AtomicBool::new(false)).await;
    assert!(report.violations.is_empty(), "{}", report.console());
    assert_eq!(report.stopped, "max-requests");
    assert_eq!(report.generated.values().sum::<u64>(), REQUESTS);
    assert_eq!(report.generated.len(), 10, "{:?}", report.generated);
    assert!(report.cleanup.created > 0 && report.cleanup.leftover.is_empty());
    assert_eq!(report.cleanup.created, report.cleanup.deleted);
    assert_eq!(count(&client, "/Users").await, 0);
    assert_eq!(count(&client, "/Groups").await, 0);
    assert!(!report.json().contains(token) && !report.console().contains(token));
    server.stop().await;
}

#[tokio::test]
async fn a_violation_is_shrunk_to_a_minimal_request_without_secrets() {
    let token = "fuzz-secret-token-abcdefghij";
    let (server, client, caps) = common::embedded(Bugs::of([Bug::LongFilter500]), token).await;
    let options = bounded(1);
    let report = fuzzing::fuzz(&client, &caps, &options, &AtomicBool::new(false)).await;
    let v = report
        .violations
        .iter()
        .find(|v| v.invariant == "no-5xx" && v.request.method == "GET")
        .unwrap_or_else(|| panic!("{}", report.console()));
    // The shortest value that breaks the server: 201 characters.
    let (name, filter) = &v.request.query[0];
    assert_eq!(name, "filter");
    let value = filter.split('"').nth(1).unwrap();
    assert_eq!(value.chars().count(), 201, "{filter}");
    assert_eq!(v.request.query.len(), 1);
    assert!(v.request.headers.is_empty() && v.request.body.is_none());
    assert!(v.curl.contains("$SCIMITAR_TOKEN") && !v.curl.contains(token));
    assert!(!report.json().contains(token));
    assert!(report.cleanup.leftover.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn the_same_seed_sends_the_same_requests() {
    let (server, client, caps) = common::embedded(Bugs::none(), "fuzz-seed-token-0123").await;
    let mut options = Options::new(7);
    options.rate = 1000.0;
    options.max_requests = Some(60);
    let a = fuzzing::fuzz(&client, &caps, &options, &AtomicBool::new(false)).await;
    let b = fuzzing::fuzz(&client, &caps, &options, &AtomicBool::new(false)).await;
    assert_eq!(a.stopped, "max-requests");
    assert_eq!(a.generated, b.generated);
    assert_eq!(a.requests, b.requests);
    // And the seed matters: another one sends another mix.
    options.seed = 8;
    let c = fuzzing::fuzz(&client, &caps, &options, &AtomicBool::new(false)).await;
    assert_ne!(a.generated, c.generated);
    server.stop().await;
}
