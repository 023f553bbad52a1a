//! The fuzzing loop: generate (seeded), create the fixture a request needs,
//! send within the rate, check every invariant, delete what was created,
//! probe liveness between batches, shrink each new kind of violation with
//! fresh state per candidate, and at the end (or on an interrupt) delete
//! everything the run created, sweeping by the run token for anything the
//! ledger missed. Like `scimitar run`, it never PUTs, PATCHes or DELETEs a
//! resource it did not create.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::exec::Execution;
use super::generate::{self, Model};
use super::invariants::{self, Finding, ALIVE};
use super::rate::TokenBucket;
use super::report::{FuzzReport, Violation};
use super::request::{Family, FuzzRequest};
use super::shrink::{self, Budget, Predicate};
use crate::discover::Capabilities;
use crate::http::{Client, Exchange};
use crate::outcome::Cleanup;
use crate::run::{self, Ledger};

/// How a run is bounded.
#[derive(Clone, Debug)]
pub struct Options {
    pub seed: u64,
    pub duration: Duration,
    /// Requests a second, every request counted.
    pub rate: f64,
    /// The most generated requests (shrinking and cleanup not counted).
    pub max_requests: Option<u64>,
    pub latency_bound: Duration,
    /// Generated requests between liveness probes.
    pub batch: usize,
    /// What shrinking one violation may cost.
    pub shrink: Budget,
    /// The ledger to record creations in, when the caller wants to see it
    /// while the run goes (to list what may remain on an abort).
    pub ledger: Option<std::sync::Arc<Ledger>>,
}

impl Options {
    pub fn new(seed: u64) -> Self {
        Options {
            seed,
            duration: Duration::from_secs(60),
            rate: 50.0,
            max_requests: None,
            latency_bound: Duration::from_secs(5),
            batch: 25,
            shrink: Budget {
                steps: 150,
                time: Duration::from_secs(30),
            },
            ledger: None,
        }
    }
}

/// The runner whose random numbers come from the seed alone.
pub fn seeded_runner(seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let x = seed
            .wrapping_add(i as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        chunk.copy_from_slice(&x.to_le_bytes());
    }
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// The state of one run.
pub(super) struct Engine<'a> {
    pub(super) client: &'a Client,
    pub(super) caps: &'a Capabilities,
    pub(super) model: &'a Model,
    pub(super) options: &'a Options,
    pub(super) interrupted: &'a AtomicBool,
    pub(super) ledger: std::sync::Arc<Ledger>,
    /// Requests that got an answer (any status).
    pub(super) answers: u64,
    pub(super) run_token: String,
    pub(super) names: u64,
    pub(super) bucket: TokenBucket,
    pub(super) requests: u64,
    pub(super) generated: BTreeMap<&'static str, u64>,
    pub(super) violations: Vec<Violation>,
    /// Created resources whose DELETE failed once; retried at the end.
    pub(super) stuck: HashSet<String>,
}

/// Fuzzes the target until the duration, the request limit or an interrupt.
pub async fn fuzz(
    client: &Client,
    caps: &Capabilities,
    options: &Options,
    interrupted: &AtomicBool,
) -> FuzzReport {
    fuzz_with_model(client, caps, &Model::from_caps(caps), options, interrupted).await
}

/// [`fuzz`] with the model already read from `caps` (by [`Model::from_caps`]).
pub async fn fuzz_with_model(
    client: &Client,
    caps: &Capabilities,
    model: &Model,
    options: &Options,
    interrupted: &AtomicBool,
) -> FuzzReport {
    let started = Instant::now();
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut e = Engine {
        client,
        caps,
        model,
        options,
        interrupted,
        ledger: options.ledger.clone().unwrap_or_default(),
        answers: 0,
        run_token: run::new_run_token(),
        names: 0,
        bucket: TokenBucket::new(options.rate, started),
        requests: 0,
        generated: BTreeMap::new(),
        violations: vec![],
        stuck: HashSet::new(),
    };
    let stopped = match generate::requests(e.model) {
        Some(strategy) => e.fuzz_loop(&strategy, started).await,
        None => "no-resource-types",
    };
    run::cleanup::revive(client).await;
    e.cleanup(true).await;
    let ctx = run::Context {
        client,
        caps,
        ledger: &e.ledger,
        run_token: e.run_token.clone(),
        interrupted: &AtomicBool::new(false),
        counter: AtomicU64::new(0),
        populations: Default::default(),
        events: None,
    };
    if stopped != "target-down" {
        let swept = run::sweep::find_unrecorded(&ctx).await;
        run::cleanup::settle_unread(&e.ledger, &ctx.run_token, &swept.listed);
        run::cleanup::find_unread(&ctx).await;
        if !e.ledger.all_live().is_empty() {
            e.cleanup(true).await;
        }
    }
    let (created, deleted, leftover) = e.ledger.totals();
    FuzzReport {
        tool: "scimitar",
        version: env!("CARGO_PKG_VERSION"),
        target: client.redactor().text(client.base_url().as_str()),
        seed: options.seed,
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        requests: e.requests,
        generated: e.generated,
        violations: e.violations,
        cleanup: Cleanup {
            created,
            deleted,
            leftover,
            absent: e.ledger.absent(),
        },
        stopped,
        answers: e.answers,
        interrupted: interrupted.load(Ordering::SeqCst),
    }
}

impl Engine<'_> {
    fn stop_reason(&self, started: Instant) -> Option<&'static str> {
        let generated: u64 = self.generated.values().sum();
        if self.interrupted.load(Ordering::SeqCst) {
            Some("interrupted")
        } else if started.elapsed() >= self.options.duration {
            Some("duration")
        } else if self.options.max_requests.is_some_and(|m| generated >= m) {
            Some("max-requests")
        } else if self.client.stopped_answering().is_some() {
            Some("target-down")
        } else {
            None
        }
    }

    async fn fuzz_loop(
        &mut self,
        strategy: &BoxedStrategy<FuzzRequest>,
        started: Instant,
    ) -> &'static str {
        let mut runner = seeded_runner(self.options.seed);
        let mut last: Option<FuzzRequest> = None;
        loop {
            for _ in 0..self.options.batch.max(1) {
                if let Some(why) = self.stop_reason(started) {
                    return why;
                }
                let snapshot = runner.clone();
                let Ok(tree) = strategy.new_tree(&mut runner) else {
                    continue;
                };
                let req = tree.current();
                let Some(ex) = self.execute(&req).await else {
                    continue;
                };
                *self.generated.entry(req.family.name()).or_default() += 1;
                for f in &ex.findings {
                    self.record(f, &req, &ex, strategy, &snapshot).await;
                }
                let unreachable = ex.unreachable;
                last = Some(req);
                if unreachable {
                    break;
                }
            }
            if let Some((problem, exchange)) = self.probe().await {
                if let Some(req) = last.take() {
                    self.record_alive(problem, exchange, req);
                }
                return "target-down";
            }
        }
    }

    fn known(&mut self, invariant: &str, family: Family) -> bool {
        match self
            .violations
            .iter_mut()
            .find(|v| v.invariant == invariant && v.family == family.name())
        {
            Some(v) => {
                v.repeats += 1;
                true
            }
            None => false,
        }
    }

    /// Records a violation, shrinking it first when it is a new kind.
    async fn record(
        &mut self,
        f: &Finding,
        req: &FuzzRequest,
        ex: &Execution,
        strategy: &BoxedStrategy<FuzzRequest>,
        snapshot: &TestRunner,
    ) {
        if self.known(f.invariant.id, req.family) {
            return;
        }
        let shrinkable = f.invariant.id != invariants::LATENCY.id;
        let mut oracle = Oracle {
            engine: self,
            invariant: f.invariant.id,
            best: None,
        };
        let mut steps = 0;
        if shrinkable {
            let mut runner = snapshot.clone();
            if let Ok(mut tree) = strategy.new_tree(&mut runner) {
                let budget = oracle.engine.options.shrink;
                steps = shrink::shrink(&mut *tree, &mut oracle, budget).await.steps;
            }
        }
        let best = oracle.best.take();
        let (request, finding, exchange, response) = match best {
            Some((r, f, ex)) => (r, f, ex.exchange, ex.response),
            None => (
                req.clone(),
                f.clone(),
                ex.exchange.clone(),
                ex.response.clone(),
            ),
        };
        let original = (request != *req).then(|| req.summary(200));
        let same = |v: &Violation| {
            v.invariant == finding.invariant.id
                && FuzzRequest {
                    family: req.family,
                    ..v.request.clone()
                } == FuzzRequest {
                    family: req.family,
                    ..request.clone()
                }
        };
        if let Some(v) = self.violations.iter_mut().find(|v| same(v)) {
            v.repeats += 1;
            return;
        }
        self.violations.push(Violation {
            case_id: None,
            invariant: finding.invariant.id,
            title: finding.invariant.title,
            level: finding.invariant.level,
            requirements: finding.invariant.requirements.to_vec(),
            family: req.family.name(),
            message: super::request::cut(&finding.message, 300),
            curl: request.curl(&exchange),
            request,
            original,
            shrink_steps: steps,
            repeats: 0,
            exchange,
            file: None,
            note: None,
            types: finding.types,
            probe: None,
            response,
        });
    }

    /// Records that the service stopped answering, with the probe's exchange.
    fn record_alive(&mut self, problem: String, exchange: Exchange, req: FuzzRequest) {
        let probe = self.probe_list().map(|t| t.name.clone());
        self.violations.push(Violation {
            case_id: None,
            invariant: ALIVE.id,
            title: ALIVE.title,
            level: ALIVE.level,
            requirements: ALIVE.requirements.to_vec(),
            family: req.family.name(),
            message: format!(
                "after {} requests, the last {}: {problem}",
                self.requests,
                req.summary(120)
            ),
            curl: String::new(),
            request: req,
            original: None,
            shrink_steps: 0,
            repeats: 0,
            exchange,
            file: None,
            note: None,
            types: vec![],
            probe,
            response: None,
        });
    }
}

/// Re-sends shrinking candidates with fresh state; a candidate fails when
/// the same invariant breaks again.
struct Oracle<'e, 'a> {
    engine: &'e mut Engine<'a>,
    invariant: &'static str,
    best: Option<(FuzzRequest, Finding, Execution)>,
}

impl Predicate<FuzzRequest> for Oracle<'_, '_> {
    async fn fails(&mut self, candidate: &FuzzRequest) -> bool {
        let Some(mut ex) = self.engine.execute(candidate).await else {
            return false;
        };
        let Some(i) = ex
            .findings
            .iter()
            .position(|f| f.invariant.id == self.invariant)
        else {
            return false;
        };
        let f = ex.findings.swap_remove(i);
        self.best = Some((candidate.clone(), f, ex));
        true
    }

    fn stop(&self) -> bool {
        self.engine.interrupted.load(Ordering::SeqCst)
    }
}
