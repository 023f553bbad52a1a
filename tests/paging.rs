//! No case reads only the first page where the whole list matters: every
//! case reaches the same verdict against a reference server that puts at
//! most two resources on a page, whatever `count` asks for.

mod common;

use std::sync::atomic::AtomicBool;

use scimitar::outcome::RunReport;
use scimitar::run::{self, RunOptions};
use scimitar::serve::{Bugs, ServerConfig};
use scimitar::suite;

async fn run_with(page_size: Option<usize>) -> RunReport {
    let config = ServerConfig {
        bugs: Bugs::none(),
        token: Some("paging-token".into()),
        page_size,
        ..Default::default()
    };
    let (server, client, caps) = common::embedded_with(config, None).await;
    let mut cases = suite::load_default(&scimitar::check::known()).unwrap();
    cases.extend(run::derive::derive(&caps));
    let options = RunOptions {
        concurrency: 8,
        ..Default::default()
    };
    let report = run::run(
        &client,
        &caps,
        &cases,
        &options,
        &AtomicBool::new(false),
        &|_| {},
    )
    .await;
    server.stop().await;
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_pages_change_no_verdict() {
    let whole = run_with(None).await;
    let paged = run_with(Some(2)).await;
    assert_eq!(whole.cases.len(), paged.cases.len());
    let changed: Vec<String> = whole
        .cases
        .iter()
        .zip(&paged.cases)
        .filter(|(a, b)| a.status != b.status)
        .map(|(a, b)| format!("{}: {:?} -> {:?} {}", a.id, a.status, b.status, b.message))
        .collect();
    assert!(
        changed.is_empty(),
        "verdicts that depend on the page size:\n{}",
        changed.join("\n")
    );
    assert!(paged.cleanup.leftover.is_empty());
    // The small pages were really walked.
    let walked = paged
        .cases
        .iter()
        .flat_map(|c| &c.exchanges)
        .filter(|e| e.request.url.contains("startIndex=3"))
        .count();
    assert!(walked > 10, "only {walked} requests for a third page");
}
