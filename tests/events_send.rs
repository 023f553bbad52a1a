//! `scimitar events send` (the receiver checks of `scimitar::events::send`)
//! against the reference server's RFC 8935 receiver over loopback HTTP:
//! every case passes against the clean server, every bug of area
//! `receiver` fails at least one case, and the binary's exit codes.

mod common;

use std::process::{Command, Output};

use scimitar::events::send::{self, SendTarget};
use scimitar::outcome::{CaseOutcome, Status};
use scimitar::scim::set::Signer;
use scimitar::serve::{self, Bug, Bugs, EventsConfig, ReceiverConfig, Running, ServerConfig};

const TOKEN: &str = "send-test-token-0123";
const SECRET: &str = "send-test-secret-0123456789abcdef";
const ISS: &str = "https://transmitter.test/";
const AUD: &str = "https://receiver.test/";

async fn server(bugs: &[Bug]) -> (Running, String) {
    let events = EventsConfig {
        issuer: ISS.into(),
        audience: AUD.into(),
        secret: SECRET.as_bytes().to_vec(),
        full: false,
        push: None,
        receiver: ReceiverConfig {
            issuer: ISS.into(),
            audience: AUD.into(),
            secret: SECRET.as_bytes().to_vec(),
        },
    };
    let config = ServerConfig {
        bugs: Bugs::of(bugs.iter().copied()),
        token: Some(TOKEN.into()),
        events: Some(events),
        ..Default::default()
    };
    let running = serve::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .expect("the reference server starts");
    let origin = format!("http://{}", running.addr);
    (running, origin)
}

fn target(origin: &str) -> SendTarget {
    SendTarget {
        url: format!("{origin}/events/receiver"),
        issuer: ISS.into(),
        audience: AUD.into(),
        signer: Signer::hs256(SECRET.as_bytes()),
        bearer: None,
        extra_root_cert_pem: None,
        processed_url: Some((
            format!("{origin}/events/receiver/received"),
            Some(TOKEN.into()),
        )),
    }
}

fn summary(cases: &[CaseOutcome]) -> String {
    cases
        .iter()
        .map(|c| format!("{} {:?} {}", c.id, c.status, c.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn every_case_passes_against_the_reference_receiver() {
    let (running, origin) = server(&[]).await;
    let cases = send::check_receiver(&target(&origin)).await;
    assert_eq!(
        cases.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        send::case_ids()
    );
    assert!(
        cases.iter().all(|c| c.status == Status::Passed),
        "{}",
        summary(&cases)
    );
    assert!(cases.iter().all(|c| c.area == "receiver"));
    let json = serde_json::to_string(&cases).expect("serializes");
    assert!(!json.contains(SECRET) && !json.contains(TOKEN));
    running.stop().await;
}

#[tokio::test]
async fn without_a_processed_url_the_count_is_skipped() {
    let (running, origin) = server(&[]).await;
    let t = SendTarget {
        processed_url: None,
        ..target(&origin)
    };
    let cases = send::check_receiver(&t).await;
    let skipped: Vec<&CaseOutcome> = cases
        .iter()
        .filter(|c| c.status == Status::Skipped)
        .collect();
    assert_eq!(skipped.len(), 1, "{}", summary(&cases));
    assert_eq!(skipped[0].id, "events.receiver.duplicate-processed-once");
    assert!(skipped[0].message.contains("--processed-url"));
    assert!(cases
        .iter()
        .all(|c| matches!(c.status, Status::Passed | Status::Skipped)));
    running.stop().await;
}

#[tokio::test]
async fn a_wrong_key_fails_the_valid_set_with_a_curl_line() {
    let (running, origin) = server(&[]).await;
    let t = SendTarget {
        signer: Signer::hs256(b"not the receiver's secret"),
        bearer: Some("a-bearer-token-5678".into()),
        ..target(&origin)
    };
    let cases = send::check_receiver(&t).await;
    let valid = &cases[0];
    assert_eq!(valid.status, Status::Failed, "{}", summary(&cases));
    let curl = valid.curl.as_deref().expect("a curl line");
    assert!(curl.contains("$TOKEN") && !curl.contains("a-bearer-token-5678"));
    assert!(curl.contains("application/secevent+jwt"), "{curl}");
    running.stop().await;
}

#[tokio::test]
async fn every_receiver_bug_fails_a_case() {
    let bugs: Vec<Bug> = Bug::ALL
        .iter()
        .copied()
        .filter(|b| b.area() == "receiver")
        .collect();
    assert!(!bugs.is_empty());
    for bug in bugs {
        let (running, origin) = server(&[bug]).await;
        let cases = send::check_receiver(&target(&origin)).await;
        assert!(
            cases.iter().any(|c| c.status == Status::Failed),
            "{}: no case failed\n{}",
            bug.name(),
            summary(&cases)
        );
        assert!(
            cases.iter().all(|c| c.status != Status::Errored),
            "{}: {}",
            bug.name(),
            summary(&cases)
        );
        running.stop().await;
    }
}

// ---- the binary --------------------------------------------------------------------------

/// Runs `scimitar events send` with the server's secret and token in the
/// environment.
async fn cli(url: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "events".to_string(),
        "send".to_string(),
        url.to_string(),
        "--issuer".into(),
        ISS.into(),
        "--audience".into(),
        AUD.into(),
        "--secret-env".into(),
        "SEND_TEST_SECRET".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scimitar"));
    cmd.args(&args)
        .env("SEND_TEST_SECRET", SECRET)
        .env("SEND_TEST_TOKEN", TOKEN);
    tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("joins")
        .expect("the binary runs")
}

fn text(out: &Output) -> String {
    common::bin::all_output(out)
}

#[tokio::test]
async fn the_cli_exits_0_against_the_reference_receiver_and_writes_reports() {
    let (running, origin) = server(&[]).await;
    let dir = std::env::temp_dir().join(format!("scimitar-send-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (json, junit) = (dir.join("report.json"), dir.join("junit.xml"));
    let processed = format!("{origin}/events/receiver/received");
    let out = cli(
        &format!("{origin}/events/receiver"),
        &[
            "--processed-url",
            &processed,
            "--processed-token-env",
            "SEND_TEST_TOKEN",
            "--json",
            json.to_str().expect("utf-8 path"),
            "--junit",
            junit.to_str().expect("utf-8 path"),
        ],
    )
    .await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("13 cases: 13 passed"), "{all}");
    assert!(!all.contains(SECRET) && !all.contains(TOKEN), "{all}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json report")).expect("JSON");
    assert_eq!(report["summary"]["passed"], 13);
    assert!(std::fs::read_to_string(&junit)
        .expect("junit report")
        .contains("events.receiver.valid-accepted"));
    let _ = std::fs::remove_dir_all(&dir);
    running.stop().await;
}

#[tokio::test]
async fn the_cli_exits_1_against_a_buggy_receiver() {
    let (running, origin) = server(&[Bug::ReceiverAcceptsWrongAudience]).await;
    let out = cli(&format!("{origin}/events/receiver"), &[]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("FAIL events.receiver.wrong-audience"), "{all}");
    assert!(all.contains("reproduce: curl"), "{all}");
    running.stop().await;
}

#[tokio::test]
async fn the_cli_exits_3_when_the_receiver_is_unreachable() {
    let port = common::bin::free_port();
    let url = format!("http://127.0.0.1:{port}/events/receiver");
    let out = cli(&url, &[]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(all.contains(&url), "{all}");
}

#[tokio::test]
async fn the_cli_exits_2_on_usage_errors() {
    let out = cli("http://127.0.0.1:9/events", &["--secret-env", "ALSO"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scimitar"));
    cmd.args([
        "events",
        "send",
        "http://127.0.0.1:9/events",
        "--issuer",
        ISS,
        "--audience",
        AUD,
        "--secret-env",
        "SEND_TEST_UNSET_VARIABLE",
    ])
    .env_remove("SEND_TEST_UNSET_VARIABLE");
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("joins")
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("SEND_TEST_UNSET_VARIABLE"), "{all}");
}

// ---- HTTPS -------------------------------------------------------------------------------

/// scimitar's own push receiver (HTTPS with a self-signed certificate),
/// trusting the test's issuer, audience and secret.
async fn tls_receiver() -> scimitar::events::receiver::Receiver {
    let inbox = common::hmac_inbox(SECRET.as_bytes(), ISS, AUD);
    common::tls_receiver(std::sync::Arc::new(inbox)).await
}

#[tokio::test]
async fn https_needs_the_receivers_certificate_trusted() {
    let r = tls_receiver().await;
    assert!(r.url.starts_with("https://"), "{}", r.url);
    let untrusted = SendTarget {
        url: r.url.clone(),
        processed_url: None,
        ..target("unused")
    };
    let cases = send::check_receiver(&untrusted).await;
    let reason = send::unreachable(&cases).expect("TLS fails");
    assert!(
        reason.contains("--cacert") && reason.contains(&r.url),
        "{reason}"
    );

    let trusted = SendTarget {
        extra_root_cert_pem: r.cert_pem.clone(),
        ..untrusted
    };
    let cases = send::check_receiver(&trusted).await;
    assert_eq!(send::unreachable(&cases), None);
    // scimitar's own receiver answers every check as RFC 8935 wants, too.
    assert!(
        cases
            .iter()
            .all(|c| matches!(c.status, Status::Passed | Status::Skipped)),
        "{}",
        summary(&cases)
    );
    r.stop().await;
}
