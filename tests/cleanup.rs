//! An interrupted run stops sending new requests and still deletes every
//! resource it created.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};

use scimitar::http::Request;
use scimitar::run::{self, RunOptions};
use scimitar::serve::Bugs;

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupt_mid_run_cleans_up_everything() {
    let (server, client, caps) = common::embedded(Bugs::none(), "interrupt-test-token").await;
    let cases = scimitar::suite::load_default(&scimitar::check::known()).unwrap();
    let interrupted = AtomicBool::new(false);
    // Interrupt as soon as the third case finishes, while others are mid-flight.
    let done = std::sync::atomic::AtomicUsize::new(0);
    let on_done = |_: &scimitar::outcome::CaseOutcome| {
        if done.fetch_add(1, Ordering::SeqCst) == 2 {
            interrupted.store(true, Ordering::SeqCst);
        }
    };
    let options = RunOptions {
        concurrency: 4,
        ..Default::default()
    };
    let report = run::run(&client, &caps, &cases, &options, &interrupted, &on_done).await;
    assert!(report.interrupted);
    assert!(report
        .cases
        .iter()
        .any(|c| c.message.contains("interrupted")));
    assert!(report.cleanup.leftover.is_empty(), "{:?}", report.cleanup);
    assert_eq!(report.cleanup.created, report.cleanup.deleted);
    for endpoint in ["/Users", "/Groups"] {
        let (_, resp) = client.send(&Request::get(endpoint)).await;
        let body = resp.unwrap().json().unwrap();
        assert_eq!(body["totalResults"], 0, "{endpoint} still holds {body}");
    }
    server.stop().await;
}

/// A server that creates the user but answers after the client gave up: the
/// run never learns the id, and the sweep must find the user by its
/// run-scoped name and delete it.
#[tokio::test(flavor = "multi_thread")]
async fn a_create_whose_answer_was_lost_is_swept() {
    use scimitar::serve::ServerConfig;
    use std::time::Duration;

    let config = ServerConfig {
        token: Some("sweep-test-token".into()),
        create_delay: Some(Duration::from_millis(1500)),
        ..Default::default()
    };
    let (server, client, caps) =
        common::embedded_with(config, Some(Duration::from_millis(300))).await;
    let cases: Vec<_> = scimitar::suite::load_default(&scimitar::check::known())
        .unwrap()
        .into_iter()
        .filter(|c| c.id == "crud.create.status-201")
        .collect();
    let report = run::run(
        &client,
        &caps,
        &cases,
        &RunOptions::default(),
        &AtomicBool::new(false),
        &|_| {},
    )
    .await;
    assert_eq!(
        report.cases[0].status,
        scimitar::outcome::Status::Errored,
        "{:?}",
        report.cases[0].message
    );
    // The case's user, and the one the run's PATCH probe created, whose
    // answer was lost the same way: the sweep found and deleted both.
    assert_eq!(
        (report.cleanup.created, report.cleanup.deleted),
        (2, 2),
        "the sweep found the users: {:?}",
        report.cleanup
    );
    assert!(report.cleanup.leftover.is_empty(), "{:?}", report.cleanup);
    let (_, resp) = client.send(&Request::get("/Users")).await;
    assert_eq!(resp.unwrap().json().unwrap()["totalResults"], 0);
    server.stop().await;
}
