//! Filter parsing and evaluation throughput on a fixed corpus, with the
//! `scim_v2` crate's parser as the baseline run in the same process.
//! Run with `cargo bench --bench filter`; it prints ratios, never asserts.

use std::hint::black_box;
use std::str::FromStr;
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use scimitar::gen::filter::{filter, user};
use scimitar::scim::filter::{parse, Evaluator};
use scimitar::scim::schema::core_schemas;

/// The best of `rounds` timings of `f`, each over the whole corpus.
fn best(rounds: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm up
    (0..rounds)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let schemas = core_schemas();
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[42; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let strategy = filter(&schemas[0], &schemas[2..]);
    let generated: Vec<String> = (0..2000)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .unwrap()
                .current()
                .to_string()
        })
        .collect();
    // Only filters both parsers accept, so both do the same work.
    let corpus: Vec<&str> = generated
        .iter()
        .map(String::as_str)
        .filter(|f| parse(f).is_ok() && scim_v2::filter::Filter::from_str(f).is_ok())
        .collect();
    let bytes: usize = corpus.iter().map(|f| f.len()).sum();
    let rounds = 30;

    let ours = best(rounds, || {
        for f in &corpus {
            black_box(parse(black_box(f)).ok());
        }
    });
    let theirs = best(rounds, || {
        for f in &corpus {
            black_box(scim_v2::filter::Filter::from_str(black_box(f)).ok());
        }
    });
    let mbps = |d: Duration| bytes as f64 / d.as_secs_f64() / 1e6;
    println!(
        "corpus: {} filters both parsers accept ({} of {} generated), {bytes} bytes",
        corpus.len(),
        corpus.len(),
        generated.len()
    );
    println!("parse  scimitar: {:>8.2?}  {:>7.1} MB/s", ours, mbps(ours));
    println!(
        "parse  scim_v2:  {:>8.2?}  {:>7.1} MB/s",
        theirs,
        mbps(theirs)
    );
    println!(
        "parse ratio (scim_v2 time / scimitar time): {:.2}x",
        theirs.as_secs_f64() / ours.as_secs_f64()
    );

    let users: Vec<serde_json::Value> = (0..50)
        .map(|_| user().new_tree(&mut runner).unwrap().current())
        .collect();
    let parsed: Vec<_> = corpus.iter().filter_map(|f| parse(f).ok()).collect();
    let ev = Evaluator::new(&schemas[0], vec![&schemas[2]]);
    let eval = best(5, || {
        for f in &parsed {
            for u in &users {
                black_box(ev.matches(black_box(f), black_box(u)).ok());
            }
        }
    });
    let evaluations = parsed.len() * users.len();
    println!(
        "evaluate scimitar: {evaluations} filter-resource pairs in {eval:.2?} ({:.0} per second; scim_v2 has no evaluator to compare with)",
        evaluations as f64 / eval.as_secs_f64()
    );
}
