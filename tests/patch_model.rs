//! The model-based property test of PATCH: proptest generates sequences of
//! valid and invalid PATCH requests (`gen::patch`); after every request the
//! embedded reference server's resource must equal the reference applier's,
//! or both must refuse it. A disagreement is shrunk to a minimal sequence.

mod common;

use std::sync::atomic::AtomicBool;

use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use scimitar::gen::patch::sequence;
use scimitar::outcome::Status;
use scimitar::run::sequences::sequence_case;
use scimitar::run::{self, RunOptions};
use scimitar::serve::{Bug, Bugs};
use serde_json::Value;

/// Runs `cases` generated sequences against a reference server with `bugs`;
/// the smallest failing sequence, if any.
fn check(bugs: Bugs, cases: u32, seeded: bool) -> Result<(), TestError<Vec<Vec<Value>>>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (_server, client, caps) = rt.block_on(common::embedded(bugs, "model-token"));
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    // Seeded, the sequences and so the shrunk result are the same on every
    // run: where shrinking ends (a local minimum) depends on the failure found.
    let mut runner = if seeded {
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
    } else {
        TestRunner::new(config)
    };
    let options = RunOptions {
        concurrency: 1,
        ..Default::default()
    };
    runner.run(&sequence(true, 5), |requests| {
        let case = sequence_case("patch.model.property", &requests, true);
        let report = rt.block_on(run::run(
            &client,
            &caps,
            &[case],
            &options,
            &AtomicBool::new(false),
            &|_| {},
        ));
        let outcome = &report.cases[0];
        if outcome.status != Status::Passed {
            return Err(TestCaseError::fail(format!(
                "{:?}: {}",
                outcome.status, outcome.message
            )));
        }
        if !report.cleanup.leftover.is_empty() {
            return Err(TestCaseError::fail("resources left behind"));
        }
        Ok(())
    })
}

#[test]
fn a_thousand_sequences_agree_with_the_applier() {
    if let Err(e) = check(Bugs::none(), 1000, false) {
        panic!("the reference server disagrees with the applier: {e}");
    }
}

#[test]
fn a_disagreement_shrinks_to_a_minimal_sequence() {
    let bugs = Bugs::of([Bug::PatchPrimaryNotExclusive]);
    match check(bugs, 500, true) {
        Err(TestError::Fail(why, minimal)) => {
            assert!(why.message().contains("primary"), "{why}");
            assert_eq!(minimal.len(), 1, "shrunk to one request: {minimal:?}");
            assert_eq!(minimal[0].len(), 1, "shrunk to one operation: {minimal:?}");
        }
        other => panic!("the bug went unnoticed: {other:?}"),
    }
}
