//! No case reads only the first page where the whole list matters: every
//! case reaches the same verdict against a reference server that puts at
//! most two resources on a page, whatever `count` asks for, and none fails
//! against one that pages only with cursors.

mod common;

use scimitar::outcome::{RunReport, Status};
use scimitar::run;
use scimitar::serve::{Bugs, Pagination, ServerConfig};
use scimitar::suite;

async fn run_with(page_size: Option<usize>, pagination: Pagination) -> RunReport {
    let config = ServerConfig {
        bugs: Bugs::none(),
        token: Some("paging-token".into()),
        page_size,
        pagination,
        ..Default::default()
    };
    let (server, client, caps) = common::embedded_with(config, None).await;
    let mut cases = suite::load_default(&scimitar::check::known()).unwrap();
    cases.extend(run::derive::derive(&caps));
    let report = common::run_cases(&client, &caps, &cases).await;
    server.stop().await;
    report
}

/// Fails the test with every case that failed or errored.
fn assert_nothing_failed(report: &RunReport) {
    let bad: Vec<String> = report
        .cases
        .iter()
        .filter(|c| matches!(c.status, Status::Failed | Status::Errored))
        .map(|c| format!("{}: {}", c.id, c.message))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_pages_change_no_verdict() {
    let (whole, paged) = tokio::join!(
        run_with(None, Pagination::Both),
        run_with(Some(2), Pagination::Both)
    );
    assert_eq!(whole.cases.len(), paged.cases.len());
    let changed: Vec<String> = whole
        .cases
        .iter()
        .zip(&paged.cases)
        // Cases over a page limit apply only once the limit is below their population.
        .filter(|(a, b)| {
            a.status != b.status
                && !(a.status == Status::Skipped
                    && a.message.contains("not below")
                    && b.status == Status::Passed)
        })
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

/// A server that pages only with cursors (RFC 9865 §2.3): every walk follows
/// nextCursor, the index cases are skipped, and nothing fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_only_server_is_walked_with_cursors() {
    let report = run_with(Some(2), Pagination::Cursor).await;
    assert_nothing_failed(&report);
    let skipped_index = report
        .cases
        .iter()
        .filter(|c| c.area == "pagination" && c.status == Status::Skipped)
        .count();
    assert!(skipped_index >= 10);
    assert!(report
        .cases
        .iter()
        .any(|c| c.area == "cursor" && c.status == Status::Passed));
}

/// A server that pages only by index: the index cases run and pass, and the
/// cursor cases that page with cursors are skipped because it does not
/// advertise cursors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_only_server_passes_the_index_cases() {
    let report = run_with(Some(2), Pagination::Index).await;
    assert_nothing_failed(&report);
    let passed = |area: &str| {
        report
            .cases
            .iter()
            .filter(|c| c.area == area && c.status == Status::Passed)
            .count()
    };
    assert!(passed("pagination") >= 10);
    // Cursor cases that page with cursors are skipped; only the ones about
    // the SPC's pagination object (which hold whatever paging is offered) run.
    let walked_with_cursors: Vec<&str> = report
        .cases
        .iter()
        .filter(|c| c.area == "cursor" && c.status == Status::Passed)
        .filter(|c| c.exchanges.iter().any(|e| e.request.url.contains("cursor")))
        .map(|c| c.id.as_str())
        .collect();
    assert!(walked_with_cursors.is_empty(), "{walked_with_cursors:?}");
    assert!(report
        .cases
        .iter()
        .any(|c| c.area == "cursor" && c.status == Status::Skipped));
}
