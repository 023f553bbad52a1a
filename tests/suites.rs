//! Every suite case against the embedded reference server, one test each,
//! and the bug matrix: each injectable bug makes at least one case fail, and
//! each case fails under at least one bug (or its suite says why none can).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;

mod common;

use libtest_mimic::{Arguments, Failed, Trial};
use scimitar::outcome::{RunReport, Status};
use scimitar::rfc::Level;
use scimitar::run::{self, RunOptions};
use scimitar::serve::{Bug, Bugs};
use scimitar::suite::{self, Case};

const TOKEN: &str = "suite-test-token-0123456789";

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap()
    })
}

fn cases() -> &'static Vec<Case> {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        suite::load_default(&scimitar::check::known()).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// Runs every case against a fresh reference server with these bugs.
async fn run_all(bugs: Bugs) -> RunReport {
    let (server, client, caps) = common::embedded(bugs, TOKEN).await;
    let options = RunOptions {
        concurrency: 8,
        ..Default::default()
    };
    let report = run::run(
        &client,
        &caps,
        cases(),
        &options,
        &AtomicBool::new(false),
        &|_| {},
    )
    .await;
    server.stop().await;
    report
}

fn clean_report() -> &'static RunReport {
    static R: OnceLock<RunReport> = OnceLock::new();
    R.get_or_init(|| runtime().block_on(run_all(Bugs::none())))
}

/// Bug name -> ids of the cases that failed with it.
fn matrix() -> &'static BTreeMap<&'static str, BTreeSet<String>> {
    static M: OnceLock<BTreeMap<&'static str, BTreeSet<String>>> = OnceLock::new();
    M.get_or_init(|| {
        runtime().block_on(async {
            let runs = Bug::ALL.iter().map(|bug| async move {
                let report = run_all(Bugs::of([*bug])).await;
                assert!(
                    report.cleanup.leftover.is_empty(),
                    "bug {}: left {:?}",
                    bug.name(),
                    report.cleanup.leftover
                );
                assert!(
                    report.cases.iter().any(|c| c.fails_run(Level::May)),
                    "bug {}: a run with --fail-on may would exit 0",
                    bug.name()
                );
                let failed = report
                    .cases
                    .iter()
                    .filter(|c| c.status == Status::Failed)
                    .map(|c| c.id.clone())
                    .collect();
                (bug.name(), failed)
            });
            futures::future::join_all(runs).await.into_iter().collect()
        })
    })
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![];
    for case in cases() {
        let id = case.id.clone();
        trials.push(Trial::test(format!("case::{id}"), move || {
            let outcome = clean_report()
                .cases
                .iter()
                .find(|o| o.id == id)
                .expect("outcome");
            match outcome.status {
                Status::Passed => Ok(()),
                _ => Err(Failed::from(scimitar::report::case_text(outcome))),
            }
        }));
        let id = case.id.clone();
        let excuse = case.unreachable_by_bugs.clone();
        trials.push(Trial::test(format!("reachable::{id}"), move || {
            let by: Vec<&str> = matrix()
                .iter()
                .filter(|(_, ids)| ids.contains(&id))
                .map(|(b, _)| *b)
                .collect();
            match (by.is_empty(), &excuse) {
                (false, Some(_)) => {
                    Err(format!("bugs {by:?} fail {id}: remove its unreachable_by_bugs").into())
                }
                (true, None) => Err(format!(
                    "no bug makes {id} fail: add a bug or say why in unreachable_by_bugs"
                )
                .into()),
                _ => Ok(()),
            }
        }));
    }
    for bug in Bug::ALL {
        let name = bug.name();
        trials.push(Trial::test(format!("bug::{name}"), move || {
            if matrix()[name].is_empty() {
                Err(format!("bug {name} makes no case fail").into())
            } else {
                Ok(())
            }
        }));
    }
    trials.push(Trial::test("clean-run-leaves-nothing", || {
        let c = &clean_report().cleanup;
        if c.leftover.is_empty() && c.created == c.deleted && c.created > 0 {
            Ok(())
        } else {
            Err(format!("{c:?}").into())
        }
    }));
    libtest_mimic::run(&args, trials).exit();
}
