//! Shrinking a failing input to a minimal one, the way proptest does:
//! simplify the value tree while the candidate still fails, complicate it
//! when it passes, and keep the last failing candidate. Whether a candidate
//! fails is asked of a [`Predicate`] (for the fuzzer: re-send it with fresh
//! state and see whether the same invariant breaks), within a bounded
//! number of steps and time.

use std::future::Future;
use std::time::{Duration, Instant};

use proptest::strategy::ValueTree;

/// Decides whether a candidate still fails.
pub trait Predicate<T> {
    fn fails(&mut self, candidate: &T) -> impl Future<Output = bool>;
    /// Whether to give up early (an interrupt).
    fn stop(&self) -> bool {
        false
    }
}

/// How much shrinking may cost.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub steps: usize,
    pub time: Duration,
}

/// The smallest failing value found, and the candidates tried.
#[derive(Clone, Debug)]
pub struct Shrunk<T> {
    pub value: T,
    pub steps: usize,
}

/// Shrinks `tree`, whose current value fails, to a minimal failing value.
pub async fn shrink<T: Clone + std::fmt::Debug>(
    tree: &mut dyn ValueTree<Value = T>,
    predicate: &mut impl Predicate<T>,
    budget: Budget,
) -> Shrunk<T> {
    let deadline = Instant::now() + budget.time;
    let mut best = tree.current();
    let mut steps = 0;
    if !tree.simplify() {
        return Shrunk { value: best, steps };
    }
    while steps < budget.steps && Instant::now() < deadline && !predicate.stop() {
        steps += 1;
        let candidate = tree.current();
        if predicate.fails(&candidate).await {
            best = candidate;
            if !tree.simplify() {
                break;
            }
        } else if !tree.complicate() {
            break;
        }
    }
    Shrunk { value: best, steps }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::TestRunner;

    /// Fails when the list holds a number above 1000 and a string longer than 3.
    struct Synthetic(usize);

    impl Predicate<(Vec<u32>, String)> for Synthetic {
        async fn fails(&mut self, c: &(Vec<u32>, String)) -> bool {
            self.0 += 1;
            c.0.iter().any(|n| *n > 1000) && c.1.chars().count() > 3
        }
    }

    fn budget() -> Budget {
        Budget {
            steps: 10_000,
            time: Duration::from_secs(30),
        }
    }

    #[tokio::test]
    async fn a_synthetic_predicate_shrinks_to_a_minimal_input() {
        let strategy = (prop::collection::vec(0u32..100_000, 0..20), "[a-z]{0,40}");
        let mut runner = TestRunner::deterministic();
        let mut pred = Synthetic(0);
        let mut tree = loop {
            let t = strategy.new_tree(&mut runner).unwrap();
            if pred.fails(&t.current()).await {
                break t;
            }
        };
        let shrunk = shrink(&mut tree, &mut pred, budget()).await;
        assert_eq!(shrunk.value, (vec![1001], "aaaa".to_string()));
        assert!(
            shrunk.steps > 0 && shrunk.steps == pred.0 - 1,
            "{}",
            shrunk.steps
        );
    }

    #[tokio::test]
    async fn the_budget_bounds_the_steps() {
        let strategy = prop::collection::vec(0u32..100_000, 50..60);
        let mut runner = TestRunner::deterministic();
        let mut tree = strategy.new_tree(&mut runner).unwrap();
        struct Always;
        impl Predicate<Vec<u32>> for Always {
            async fn fails(&mut self, _: &Vec<u32>) -> bool {
                true
            }
        }
        let small = Budget {
            steps: 5,
            time: Duration::from_secs(30),
        };
        let shrunk = shrink(&mut tree, &mut Always, small).await;
        assert_eq!(shrunk.steps, 5);
    }
}
