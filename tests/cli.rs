//! The binary as users run it: exit codes, error positions, report files.

mod common;

use std::path::PathBuf;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::bin::{free_port, run, scimitar};

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn tmp(name: &str) -> PathBuf {
    common::bin::tmp("cli", name)
}

/// A `scimitar serve` child process, killed on drop.
struct Served(Child, String);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(token: &str) -> Served {
    let port = free_port();
    let child = scimitar()
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--token-env",
            "SERVE_TOKEN",
        ])
        .env("SERVE_TOKEN", token)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "serve did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Served(child, format!("http://127.0.0.1:{port}/scim/v2"))
}

#[test]
fn embedded_run_passes_and_writes_valid_reports_without_secrets() {
    let dir = tmp("reports");
    let json = dir.join("r.json");
    let junit = dir.join("r.xml");
    let o = run(&[
        "run",
        "--json",
        json.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(out.contains("nothing left behind"), "{out}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(scimitar::report::json::REPORT_SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(report["summary"]["passed"].as_u64().unwrap() >= 40);
    for case in report["cases"].as_array().unwrap() {
        assert!(!case["requirements"].as_array().unwrap().is_empty());
        assert!(["MUST", "SHOULD", "MAY"].contains(&case["level"].as_str().unwrap()));
    }
    let raw = std::fs::read_to_string(&json).unwrap();
    assert!(
        !raw.contains("Bearer emb-"),
        "the embedded token leaked into the report"
    );
    assert!(raw.contains("Bearer [REDACTED]"));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuites")
            // Every case, and the run's own cleanup.
            && xml.matches("<testcase").count() == report["cases"].as_array().unwrap().len() + 1
            && xml.contains("run.cleanup")
    );
}

#[test]
fn an_injected_bug_fails_the_run_with_exit_1_and_a_reproducer() {
    let o = run(&["run", "--bug", "create-returns-200", "--area", "crud"]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("FAIL crud.create.status-201 [MUST] RFC 7644 §3.3 (R7644-3.3-07)"),
        "{out}"
    );
    assert!(out.contains("status: expected 201, got 200"), "{out}");
    assert!(out.contains("reproduce: curl -sS -X POST"), "{out}");
    assert!(out.contains("$SCIMITAR_TOKEN"), "{out}");
}

#[test]
fn markdown_and_har_reports_and_the_github_step_summary() {
    let dir = tmp("markdown");
    let (md, har, summary) = (dir.join("s.md"), dir.join("r.har"), dir.join("step.md"));
    let o = scimitar()
        .args(["run", "--bug", "create-returns-200", "--area", "crud"])
        .arg("--markdown")
        .arg(&md)
        .arg("--har")
        .arg(&har)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.contains("| `crud.create.status-201` | MUST | RFC 7644 §3.3 |"),
        "{text}"
    );
    // --markdown given: the step summary is left alone.
    assert!(!summary.exists());
    let har: serde_json::Value = serde_json::from_slice(&std::fs::read(&har).unwrap()).unwrap();
    let entries = har["log"]["entries"].as_array().unwrap();
    assert!(entries
        .iter()
        .any(|e| e["comment"] == "case crud.create.status-201"));
    let all = serde_json::to_string(&har).unwrap();
    assert!(!all.contains("Bearer emb-"), "no token in the HAR");
    assert!(all.contains("Authorization"), "the header, redacted");
    let o = scimitar()
        .args(["run", "--bug", "create-returns-200", "--area", "crud"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let step = std::fs::read_to_string(&summary).unwrap();
    assert!(step.starts_with("## scimitar: "), "{step}");
}

#[test]
fn a_baseline_lets_known_failures_pass_and_names_new_ones() {
    let dir = tmp("baseline");
    let written = dir.join("known.txt");
    let w = written.to_str().unwrap();
    let crud_with = |bug: &str, flag: &str| {
        let o = run(&["run", "-q", "--bug", bug, "--area", "crud", flag, w]);
        let (out, _) = text(&o);
        (o.status.code(), out)
    };
    let (code, _) = crud_with("create-returns-200", "--write-baseline");
    assert_eq!(code, Some(1));
    let known = std::fs::read_to_string(&written).unwrap();
    assert!(known.contains("crud.create.status-201"), "{known}");
    // The same failures again: known, so the gate passes.
    let (code, out) = crud_with("create-returns-200", "--baseline");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(" 0 new, 0 fixed"), "{out}");
    // Another bug's failure is new; the known ones pass now and count as fixed.
    let (code, out) = crud_with("delete-returns-200", "--baseline");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("  new: crud.delete.status-204"), "{out}");
    assert!(out.contains("  fixed: crud.create.status-201"), "{out}");
    // A missing baseline file is a usage error, before any request.
    let o = run(&["run", "--baseline", dir.join("nope").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn max_time_skips_the_cases_left_and_still_cleans_up() {
    let dir = tmp("max-time");
    let json = dir.join("r.json");
    let o = run(&[
        "run",
        "-q",
        "--area",
        "patch",
        "--patch-sequences",
        "5",
        "--seed",
        "3",
        "--max-time",
        "0",
        "--json",
        json.to_str().unwrap(),
    ]);
    let (out, err) = text(&o);
    // Every case skipped: nothing was tested, which never passes.
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(err.contains("no case reached a verdict"), "{err}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let cases = report["cases"].as_array().unwrap();
    assert!(cases
        .iter()
        .any(|c| c["id"].as_str().unwrap().starts_with("patch.model.seed3.")));
    assert!(
        cases
            .iter()
            .all(|c| c["status"] == "skipped"
                && c["message"].as_str().unwrap().contains("--max-time"))
    );
    assert_eq!(report["cleanup"]["leftover"], serde_json::json!([]));
}

#[test]
fn fail_on_sets_the_threshold() {
    // json-content-type only breaks a SHOULD case.
    let o = run(&[
        "run",
        "--bug",
        "json-content-type",
        "--case",
        "crud.create.media-type",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let o = run(&[
        "run",
        "--bug",
        "json-content-type",
        "--case",
        "crud.create.media-type",
        "--fail-on",
        "must",
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
}

#[test]
fn a_malformed_suite_exits_2_naming_file_line_and_column() {
    let dir = tmp("bad-suite");
    let file = dir.join("bad.yaml");
    std::fs::write(
        &file,
        "area: crud\ncases:\n  - id: crud.x\n    title: A case with a wrong level\n    level: OFTEN\n    requirements: [R7644-3.3-07]\n    steps: []\n",
    )
    .unwrap();
    let o = run(&["run", "--suite", dir.to_str().unwrap()]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("{}:5:12", file.display())), "{err}");
    let o = run(&["list", "--suite", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn an_unreachable_target_exits_3() {
    let port = free_port();
    let o = run(&["run", &format!("http://127.0.0.1:{port}/scim/v2")]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("target unreachable"), "{err}");
}

#[test]
fn bad_credentials_exit_3_and_good_ones_leave_no_user_behind() {
    let server = serve("right-token-123");
    let o = scimitar()
        .args(["run", &server.1])
        .env("SCIMITAR_TOKEN", "wrong-token-456")
        .output()
        .unwrap();
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("authentication refused"), "{err}");
    assert!(!err.contains("wrong-token-456"));

    let o = scimitar()
        .args(["run", &server.1, "--quiet"])
        .env("SCIMITAR_TOKEN", "right-token-123")
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(out.contains("nothing left behind"), "{out}");
    assert!(!out.contains("right-token-123"));
}

#[test]
fn list_and_list_bugs() {
    let o = run(&["list", "--area", "discovery"]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        out.lines()
            .all(|l| l.split('\t').count() == 4 && l.contains("\tdiscovery\t")),
        "{out}"
    );
    let o = run(&["serve", "--list-bugs"]);
    let (out, _) = text(&o);
    assert!(out.lines().count() > 20 && out.lines().all(|l| l.split('\t').count() == 3));
    let o = run(&["run", "--bug", "no-such-bug"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["run", "http://127.0.0.1:1/", "--bug", "soft-delete"]);
    assert_eq!(o.status.code(), Some(2));
}

/// A server that answers 503 to requests that overlap: the cases that met
/// it beside others run again alone, their second verdicts stand, the
/// report lists what changed and the console suggests --concurrency 1.
#[test]
fn cases_broken_by_load_run_again_alone() {
    let json = tmp("busy").join("r.json");
    let o = run(&[
        "run",
        "--quiet",
        "--bug",
        "busy-503",
        "--area",
        "crud",
        "--concurrency",
        "4",
        "--json",
        json.to_str().unwrap(),
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(out.contains("try --concurrency 1"), "{out}");
    assert!(out.contains("nothing left behind"), "{out}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let reruns = report["reruns"].as_array().expect("reruns in the report");
    assert!(
        reruns.iter().any(|r| r["before"] != r["after"]),
        "{reruns:?}"
    );
    assert!(reruns
        .iter()
        .all(|r| r["cause"].as_str().unwrap().starts_with("503")));
    // Alone, nothing overlaps: no case is left errored.
    assert_eq!(report["summary"]["errored"], 0, "{out}");
}

#[test]
fn coverage_counts_the_testable_requirements_the_cases_cite() {
    let o = run(&["coverage", "--json", "-"]);
    assert_eq!(o.status.code(), Some(0));
    let c: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let testable = c["testable"].as_u64().unwrap();
    let checked = c["checked"].as_u64().unwrap();
    assert!(
        testable > 200 && checked > testable / 2,
        "{testable} {checked}"
    );
    let rows = c["requirements"].as_array().unwrap();
    assert_eq!(rows.len() as u64, testable);
    let cited = rows
        .iter()
        .filter(|r| !r["cases"].as_array().unwrap().is_empty())
        .count();
    assert_eq!(cited as u64, checked);
    // Only one area: fewer requirements checked.
    let o = run(&["coverage", "--area", "sort", "--json", "-"]);
    let sort: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(sort["checked"].as_u64().unwrap() < checked);
    let o = run(&["coverage", "--unchecked"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("│ all") && text.contains("RFC 7644 §"),
        "{text}"
    );
    // A report that is not one is a usage error naming the file.
    let dir = common::bin::tmp("cli", "coverage");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{}").unwrap();
    let o = run(&["coverage", "--report", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.json: no `cases` array"));
}

/// A plain web server that is not SCIM: every request gets an HTML page.
fn html_server() -> (u16, std::thread::JoinHandle<()>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        listener.set_nonblocking(false).unwrap();
        for stream in listener.incoming().take(64) {
            let Ok(mut s) = stream else { continue };
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let body = "<html><body>It works!</body></html>";
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, handle)
}

#[test]
fn a_server_that_is_not_scim_exits_3_before_any_case() {
    let (port, _server) = html_server();
    let url = format!("http://127.0.0.1:{port}/");
    let o = scimitar()
        .args(["run", &url, "--area", "crud", "--area", "filter"])
        .env("SCIMITAR_TOKEN", "t0ken-not-scim")
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}\n{err}");
    assert!(err.contains("not a SCIM endpoint"), "{err}");
    assert!(
        err.contains("/ServiceProviderConfig answered 200 text/html"),
        "{err}"
    );
    assert!(out.contains("0 passed, 0 failed"), "no case ran: {out}");
}

#[test]
fn a_run_without_a_verdict_or_below_the_gate_fails() {
    // Every bulk case skips on a server without bulk: nothing was tested.
    let o = run(&["run", "--shape", "no-bulk", "--area", "bulk"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}\n{err}");
    assert!(err.contains("no case reached a verdict"), "{err}");
    let o = run(&["run", "--area", "sort", "--min-run", "1000"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(err.contains("fewer than --min-run 1000"), "{err}");
    let o = run(&[
        "run",
        "--shape",
        "no-bulk",
        "--area",
        "bulk",
        "--area",
        "sort",
        "--max-skipped-share",
        "0.5",
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(err.contains("more than --max-skipped-share 0.5"), "{err}");
    let o = run(&["run", "--area", "sort", "--max-skipped-share", "2"]);
    assert_eq!(o.status.code(), Some(2), "a share above 1 is a usage error");
}
