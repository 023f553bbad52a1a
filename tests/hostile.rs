//! Hostile and broken servers: the reference server's faults (`--fault`)
//! against the runner and the binary. Whatever the server does, the run
//! ends, says truly what it left behind, stays within its memory bound,
//! and keeps its reports; signals stop it in order.

mod common;

use std::process::Output;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use common::bin;
use scimitar::discover::Capabilities;
use scimitar::http::{Auth, Client, ClientConfig};
use scimitar::outcome::{RunReport, Status};
use scimitar::run::{self, RunOptions};
use scimitar::serve::faults::{self, Faults};
use scimitar::serve::{self, Bug, Bugs, Running, ServerConfig};
use scimitar::suite::Case;

const TOKEN: &str = "hostile-test-token";

async fn server(config: ServerConfig) -> Running {
    let config = ServerConfig {
        token: Some(TOKEN.into()),
        ..config
    };
    serve::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap()
}

async fn faulty(spec: &str) -> Running {
    let fault = faults::parse(spec).unwrap();
    server(ServerConfig {
        faults: Faults::of([fault]),
        ..Default::default()
    })
    .await
}

fn client(s: &Running, timeout: Duration) -> Client {
    let mut c = ClientConfig::new(s.base_url.parse().unwrap());
    c.auth = Auth::Bearer {
        token: TOKEN.into(),
        env: "SCIMITAR_TOKEN".into(),
    };
    c.timeout = timeout;
    c.breaker_time = timeout * 3;
    c.pace.max_wait = Duration::from_millis(200);
    c.pace.budget = Duration::from_secs(20);
    Client::new(c).unwrap()
}

/// A few cases that create Users and Groups, and one that only reads.
fn cases() -> Vec<Case> {
    let wanted = [
        "crud.create.status-201",
        "crud.delete.then-get-404",
        "crud.groups.create-with-members",
        "crud.read.by-id",
    ];
    let cases: Vec<Case> = scimitar::suite::load_default(&scimitar::check::known())
        .unwrap()
        .into_iter()
        .filter(|c| wanted.iter().any(|w| c.id.starts_with(w)))
        .collect();
    assert!(
        cases.len() >= 3,
        "{:?}",
        cases.iter().map(|c| &c.id).collect::<Vec<_>>()
    );
    cases
}

async fn run_against(client: &Client, caps: &Capabilities, cases: &[Case]) -> RunReport {
    let options = RunOptions {
        concurrency: 4,
        ..Default::default()
    };
    run::run(
        client,
        caps,
        cases,
        &options,
        &AtomicBool::new(false),
        &|_| {},
    )
    .await
}

/// A server whose create answers are broken, but that otherwise works:
/// every resource the run made is found (by Location or by name) and
/// deleted, and the cleanup line adds up.
#[tokio::test(flavor = "multi_thread")]
async fn unreadable_create_answers_are_cleaned_up_all_the_same() {
    let cases = cases();
    for fault in [
        "garbage",
        "garbage-unlocated",
        "truncated",
        "invalid-utf8",
        "html",
        "empty",
        "deep",
        "huge-number",
        "duplicate-keys",
        "huge",
        "endless",
        "reset",
        "header-bomb",
    ] {
        let s = faulty(&format!("{fault}@creates")).await;
        let c = client(&s, Duration::from_secs(5));
        let caps = Capabilities::discover(&c).await.unwrap();
        let report = run_against(&c, &caps, &cases).await;
        let cl = &report.cleanup;
        assert!(
            cl.created > 0,
            "{fault}: the run counted its creates: {cl:?}"
        );
        assert_eq!(
            s.resource_count(),
            0,
            "{fault}: the server still holds resources; {cl:?}"
        );
        assert!(cl.leftover.is_empty(), "{fault}: {cl:?}");
        assert_eq!(cl.created, cl.deleted + cl.absent, "{fault}: {cl:?}");
        s.stop().await;
    }
}

/// Faults at every resource endpoint: the run cannot always delete what it
/// made, but it never says nothing is left when something is.
#[tokio::test(flavor = "multi_thread")]
async fn the_cleanup_line_is_true_whatever_the_server_does() {
    let cases = cases();
    for fault in [
        "garbage",
        "garbage-unlocated",
        "truncated",
        "empty",
        "duplicate-keys",
        "huge",
        "reset",
        "hang",
        "drip",
        "redirect-away",
        "redirect-loop",
        "too-many",
        "unavailable",
    ] {
        let s = faulty(fault).await;
        let c = client(&s, Duration::from_millis(700));
        let caps = Capabilities::discover(&c).await.unwrap();
        let report = run_against(&c, &caps, &cases).await;
        let cl = &report.cleanup;
        let held = s.resource_count();
        assert_eq!(
            cl.leftover.is_empty(),
            held == 0,
            "{fault}: the server holds {held}, the report says {cl:?}"
        );
        assert!(cl.leftover.len() >= held, "{fault}: {held} held, {cl:?}");
        assert!(
            report
                .cases
                .iter()
                .all(|o| !o.message.is_empty() || o.status == Status::Passed),
            "{fault}: every case that did not pass says why"
        );
        s.stop().await;
    }
}

/// A target that stops answering trips the breaker: the cases left are
/// errored with the reason, and the run ends after a bounded number of
/// requests, not one timeout per case.
#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_target_trips_the_breaker() {
    let all = scimitar::suite::load_default(&scimitar::check::known()).unwrap();
    let s = faulty("hang").await;
    let c = client(&s, Duration::from_millis(300));
    let caps = Capabilities::discover(&c).await.unwrap();
    let report = run_against(&c, &caps, &all).await;
    let why = report.aborted.clone().expect("the run says it stopped");
    assert!(why.contains("stopped answering"), "{why}");
    let not_run = report
        .cases
        .iter()
        .filter(|o| o.message.contains("stopped answering"))
        .count();
    assert!(
        not_run > all.len() / 2,
        "{not_run} of {} not run",
        all.len()
    );
    let exchanges: usize = report.cases.iter().map(|o| o.exchanges.len()).sum();
    assert!(exchanges < 40, "{exchanges} requests sent to a dead target");
    // What the hung POSTs may have made is listed, by name.
    assert_eq!(report.cleanup.leftover.is_empty(), s.resource_count() == 0);
    s.stop().await;
}

/// 429 and 503 with Retry-After: the run pauses as asked (an absurd wait is
/// capped), every case still reaches its verdict, and the report says so.
#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_slow_the_run_and_verdicts_stand() {
    let cases = cases();
    for fault in ["too-many", "too-many-absurd", "unavailable"] {
        let s = faulty(&format!("{fault}@all")).await;
        let c = client(&s, Duration::from_secs(5));
        let caps = Capabilities::discover(&c).await.unwrap();
        let report = run_against(&c, &caps, &cases).await;
        let bad: Vec<String> = report
            .cases
            .iter()
            .filter(|o| o.status != Status::Passed)
            .map(|o| format!("{} {:?} {}", o.id, o.status, o.message))
            .collect();
        assert!(bad.is_empty(), "{fault}: {bad:?}");
        let notes = report.notes.join("\n");
        assert!(
            notes.contains("asked the run to slow down"),
            "{fault}: {notes}"
        );
        if fault == "too-many-absurd" {
            assert!(notes.contains("Retry-After 999999999 capped"), "{notes}");
        }
        assert_eq!(s.resource_count(), 0);
        s.stop().await;
    }
}

fn scimitar_output(args: Vec<String>, env: Vec<(&'static str, String)>) -> Output {
    let mut cmd = bin::scimitar();
    cmd.args(&args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("scimitar runs")
}

/// GNU timeout signals the run and then its process group: the same stop
/// twice within a moment. The run stops in order: reports written, exit
/// 130, nothing left on the server.
#[tokio::test(flavor = "multi_thread")]
async fn timeout_1_signalling_twice_stops_the_run_in_order() {
    let s = server(ServerConfig {
        create_delay: Some(Duration::from_millis(100)),
        ..Default::default()
    })
    .await;
    let dir = bin::tmp("hostile", "timeout");
    let json = dir.join("report.json");
    let args: Vec<String> = vec![
        "--preserve-status".into(),
        "-s".into(),
        "TERM".into(),
        "2".into(),
        env!("CARGO_BIN_EXE_scimitar").into(),
        "run".into(),
        s.base_url.clone(),
        "--json".into(),
        json.display().to_string(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("timeout")
            .args(&args)
            .env("SCIMITAR_TOKEN", TOKEN)
            .env("CI", "true")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = bin::all_output(&out);
    assert_eq!(out.status.code(), Some(130), "{text}");
    assert!(!text.contains("aborted"), "{text}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the report was written"))
            .unwrap();
    assert_eq!(report["interrupted"], true);
    assert_eq!(
        report["cleanup"]["leftover"],
        serde_json::json!([]),
        "{text}"
    );
    assert_eq!(s.resource_count(), 0, "{text}");
    s.stop().await;
}

/// A discovery that never answers ends with exit 3 after two timeouts,
/// and the reports are still written, every case errored with the reason.
#[tokio::test(flavor = "multi_thread")]
async fn a_dead_discovery_exits_3_with_reports() {
    let s = faulty("hang@all").await;
    let dir = bin::tmp("hostile", "dead");
    let (json, junit) = (dir.join("r.json"), dir.join("r.xml"));
    let args = vec![
        "run".into(),
        s.base_url.clone(),
        "--timeout".into(),
        "1".into(),
        "--json".into(),
        json.display().to_string(),
        "--junit".into(),
        junit.display().to_string(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        scimitar_output(args, vec![("SCIMITAR_TOKEN", TOKEN.into())])
    })
    .await
    .unwrap();
    let text = bin::all_output(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("no answer to GET /ServiceProviderConfig"),
        "{text}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(report["aborted"].as_str().unwrap().contains("no answer"));
    assert!(report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["status"] == "errored"));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("run.target") && xml.contains("<error"),
        "{xml}"
    );
    s.stop().await;
}

/// No credentials against a server whose discovery wants them: exit 3
/// with a sentence that says what to do.
#[tokio::test(flavor = "multi_thread")]
async fn missing_credentials_are_named() {
    let s = server(ServerConfig {
        bugs: Bugs::of([Bug::DiscoveryRequiresAuth]),
        ..Default::default()
    })
    .await;
    let url = s.base_url.clone();
    let out = tokio::task::spawn_blocking(move || scimitar_output(vec!["run".into(), url], vec![]))
        .await
        .unwrap();
    let text = bin::all_output(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("no credentials given, and the server requires them (401 on GET /ServiceProviderConfig)"),
        "{text}"
    );
    s.stop().await;
}

/// The highest resident set size of a child process, sampled until it ends.
fn peak_rss_kib(child: &mut std::process::Child) -> u64 {
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status) {
            if let Some(kib) = text
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<u64>().ok())
            {
                peak = peak.max(kib);
            }
        }
        if child.try_wait().unwrap().is_some() {
            return peak;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// 2 GiB and endless bodies at --concurrency 16: the harness holds one
/// large body at a time, so its memory stays under 100 MB.
#[tokio::test(flavor = "multi_thread")]
async fn memory_stays_bounded_against_huge_bodies() {
    for fault in ["huge", "endless"] {
        let s = faulty(fault).await;
        let url = s.base_url.clone();
        let peak = tokio::task::spawn_blocking(move || {
            let mut child = bin::scimitar()
                .args(["run", &url, "--concurrency", "16", "--quiet"])
                .env("SCIMITAR_TOKEN", TOKEN)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            peak_rss_kib(&mut child)
        })
        .await
        .unwrap();
        assert!(peak > 0, "{fault}: no sample");
        assert!(peak < 100 * 1024, "{fault}: peak RSS {} MiB", peak / 1024);
        s.stop().await;
    }
}

/// TLS: an unknown authority is a sentence naming --cacert; --cacert with
/// the server's certificate works, and --insecure works with a warning in
/// every report.
#[tokio::test(flavor = "multi_thread")]
async fn tls_options_as_curl_names_them() {
    let identity = scimitar::events::tls::self_signed(&[]).unwrap();
    let rustls = scimitar::events::tls::server_config(&identity).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let router = serve::router(ServerConfig {
        token: Some(TOKEN.into()),
        ..Default::default()
    });
    tokio::spawn(async move {
        let server = axum_server::from_tcp_rustls(listener, rustls).unwrap();
        let _ = server.serve(router.into_make_service()).await;
    });
    let url = format!("https://127.0.0.1:{}/scim/v2", addr.port());
    let dir = bin::tmp("hostile", "tls");
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &identity.cert_pem).unwrap();
    let json = dir.join("r.json");
    let go = |extra: Vec<String>| {
        let mut args = vec![
            "run".to_string(),
            url.clone(),
            "--area".into(),
            "discovery".into(),
        ];
        args.extend(extra);
        tokio::task::spawn_blocking(move || {
            scimitar_output(args, vec![("SCIMITAR_TOKEN", TOKEN.into())])
        })
    };
    let out = go(vec![]).await.unwrap();
    let text = bin::all_output(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("signed by an unknown authority; pass --cacert"),
        "{text}"
    );
    let out = go(vec!["--cacert".into(), ca.display().to_string()])
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", bin::all_output(&out));
    let out = go(vec![
        "--insecure".into(),
        "--json".into(),
        json.display().to_string(),
    ])
    .await
    .unwrap();
    let text = bin::all_output(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("NOTE --insecure"),
        "{text}"
    );
    let report = std::fs::read_to_string(&json).unwrap();
    assert!(report.contains("not verified"), "{report}");
}

/// `scimitar fuzz` against answers over the size cap, or not JSON: those
/// are findings (`readable`), never a clean run; everything it made is gone.
#[tokio::test(flavor = "multi_thread")]
async fn fuzz_counts_unreadable_answers_as_findings() {
    for fault in ["huge", "garbage"] {
        let s = faulty(fault).await;
        let dir = bin::tmp("hostile", &format!("fuzz-{fault}"));
        let json = dir.join("fuzz.json");
        let args = vec![
            "fuzz".into(),
            s.base_url.clone(),
            "--max-requests".into(),
            "40".into(),
            "--duration".into(),
            "60".into(),
            "--rate".into(),
            "10000".into(),
            "--seed".into(),
            "1".into(),
            "--json".into(),
            json.display().to_string(),
        ];
        let out = tokio::task::spawn_blocking(move || {
            scimitar_output(args, vec![("SCIMITAR_TOKEN", TOKEN.into())])
        })
        .await
        .unwrap();
        let text = bin::all_output(&out);
        assert_eq!(out.status.code(), Some(1), "{fault}: {text}");
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let found: Vec<&str> = report["violations"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v["invariant"].as_str())
            .collect();
        assert!(found.contains(&"readable"), "{fault}: {found:?}");
        assert_eq!(
            report["cleanup"]["leftover"],
            serde_json::json!([]),
            "{fault}"
        );
        assert_eq!(s.resource_count(), 0, "{fault}: {text}");
        s.stop().await;
    }
}

/// A target that resets every connection answers nothing: fuzz exits 3.
#[tokio::test(flavor = "multi_thread")]
async fn fuzz_against_a_target_that_answers_nothing_exits_3() {
    let s = faulty("reset@all").await;
    let args = vec![
        "fuzz".into(),
        s.base_url.clone(),
        "--max-requests".into(),
        "20".into(),
        "--duration".into(),
        "30".into(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        scimitar_output(args, vec![("SCIMITAR_TOKEN", TOKEN.into())])
    })
    .await
    .unwrap();
    let text = bin::all_output(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    s.stop().await;
}

/// A second signal a second or more after the first aborts, and says
/// which resources may remain.
#[tokio::test(flavor = "multi_thread")]
async fn a_later_second_signal_aborts_and_lists_what_may_remain() {
    let s = server(ServerConfig {
        create_delay: Some(Duration::from_secs(3)),
        ..Default::default()
    })
    .await;
    let url = s.base_url.clone();
    let out = tokio::task::spawn_blocking(move || {
        let child = bin::scimitar()
            .args(["run", &url, "--concurrency", "8"])
            .env("SCIMITAR_TOKEN", TOKEN)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id().to_string();
        let kill = || {
            std::process::Command::new("kill")
                .args(["-INT", &pid])
                .status()
                .unwrap()
        };
        std::thread::sleep(Duration::from_millis(1500));
        kill();
        std::thread::sleep(Duration::from_millis(1100));
        kill();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let text = bin::all_output(&out);
    assert_eq!(out.status.code(), Some(130), "{text}");
    assert!(text.contains("aborted: "), "{text}");
    // Whatever is still on the server was named: by URL, by name, or as
    // a create in flight.
    let after = text.split("aborted: ").nth(1).unwrap_or_default();
    let listed = after.lines().filter(|l| l.starts_with("  ")).count();
    let held = s.resource_count();
    assert!(
        held > 0,
        "the test means to abort with something made: {text}"
    );
    assert!(listed >= held, "{held} held, {listed} listed: {after}");
    s.stop().await;
}
