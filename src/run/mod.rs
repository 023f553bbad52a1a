//! Running cases against a target: discovery results in, a [`RunReport`] out.
//! Cases run concurrently up to a limit; every resource the run created is
//! deleted at the end, also after an interrupt.

mod asynchronous;
mod bulk;
pub mod cleanup;
pub mod declared;
pub mod derive;
mod events;
pub mod exec;
pub mod expect;
pub mod ledger;
mod patch;
pub mod plan;
mod population;
mod probe;
mod query;
mod rerun;
pub mod sequences;
pub mod sweep;
pub mod template;
mod wait;

use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::Instant;

use futures::StreamExt;

use crate::discover::Capabilities;
use crate::http::Client;
use crate::outcome::{CaseOutcome, Cleanup, RunReport, Status, Summary};
use crate::rfc::Level;
use crate::suite::Case;

pub use exec::{run_case, Context};
pub use ledger::Ledger;
pub use plan::Selection;

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub concurrency: usize,
    pub fail_on: Level,
    /// No case starts after this much time; those left are skipped, and
    /// cleanup still runs.
    pub max_time: Option<std::time::Duration>,
    /// Where the SCIM events the run receives arrive, when it receives any.
    pub events: Option<std::sync::Arc<crate::events::Inbox>>,
    /// The ledger to record creations in, when the caller wants to see it
    /// while the run goes (to list what may remain on an abort).
    pub ledger: Option<std::sync::Arc<Ledger>>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            concurrency: 4,
            fail_on: Level::Should,
            max_time: None,
            events: None,
            ledger: None,
        }
    }
}

/// The warning every report of an `--insecure` run starts with.
pub const INSECURE_NOTE: &str =
    "--insecure: the server's TLS certificate was not verified; anyone on the path could have answered";

/// A short token that makes every name the run creates unique to it.
pub fn new_run_token() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("scimitar-{}", &id[..10])
}

/// Runs the cases and cleans up. `on_done` sees each outcome as it arrives;
/// when `interrupted` becomes true, no new request is sent, the cases still
/// running stop at their next step, and cleanup runs.
pub async fn run(
    client: &Client,
    caps: &Capabilities,
    cases: &[Case],
    options: &RunOptions,
    interrupted: &AtomicBool,
    on_done: &(dyn Fn(&CaseOutcome) + Sync),
) -> RunReport {
    let started = Instant::now();
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let ledger = options.ledger.clone().unwrap_or_default();
    let ledger = &*ledger;
    let mut ctx = Context {
        client,
        caps,
        ledger,
        run_token: new_run_token(),
        interrupted,
        counter: AtomicU64::new(0),
        populations: Default::default(),
        events: options.events.as_deref(),
    };
    // Features the SPC says are unsupported are probed, not taken on trust.
    let adjusted = probe::adjust(&ctx).await;
    ctx.caps = &adjusted;
    let caps = &adjusted;
    let runnable: Vec<Case> = cases
        .iter()
        .filter(|c| exec::unmet(caps, c).is_none())
        .cloned()
        .collect();
    ctx.populations = population::create(&ctx, &runnable).await;
    let mut outcomes: Vec<(usize, CaseOutcome)> = futures::stream::iter(cases.iter().enumerate())
        .map(|(i, case)| {
            let ctx = &ctx;
            async move {
                let out_of_time = options.max_time.is_some_and(|t| started.elapsed() > t);
                let outcome = if ctx.interrupted.load(std::sync::atomic::Ordering::SeqCst) {
                    let mut o = exec::blank_outcome(case);
                    o.status = Status::Errored;
                    o.message = "not run: the run was interrupted".into();
                    o
                } else if let Some(why) = client.stopped_answering() {
                    let mut o = exec::blank_outcome(case);
                    o.status = Status::Errored;
                    o.message = format!("not run: {why}");
                    o
                } else if out_of_time {
                    let mut o = exec::blank_outcome(case);
                    o.message = "not started: the run's time budget (--max-time) was spent".into();
                    o
                } else {
                    run_case(ctx, case).await
                };
                on_done(&outcome);
                (i, outcome)
            }
        })
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    outcomes.sort_by_key(|(i, _)| *i);
    let mut outcomes: Vec<CaseOutcome> = outcomes.into_iter().map(|(_, o)| o).collect();
    let aborted = client.stopped_answering();
    let reruns = if aborted.is_some() {
        vec![]
    } else {
        rerun::alone(&ctx, cases, &mut outcomes, options.concurrency).await
    };
    // Anything still live (a case cut short), or created without the run
    // learning of it, is deleted now.
    // Deletions that failed during the run (a busy server) get one more try.
    cleanup::revive(client).await;
    let mut targets = ledger.all_live();
    targets.extend(ledger.leftovers());
    cleanup::cleanup_targets(&ctx, targets).await;
    let swept = sweep::find_unrecorded(&ctx).await;
    cleanup::settle_unread(ledger, &ctx.run_token, &swept.listed);
    cleanup::find_unread(&ctx).await;
    cleanup::cleanup_targets(&ctx, ledger.all_live()).await;
    let cases = outcomes;
    let (created, deleted, leftover) = ledger.totals();
    let mut notes = vec![];
    if client.insecure() {
        notes.push(INSECURE_NOTE.to_string());
    }
    notes.extend(client.pace_notes());
    RunReport {
        tool: "scimitar".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        target: client.redactor().text(client.base_url().as_str()),
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        fail_on: options.fail_on,
        interrupted: interrupted.load(std::sync::atomic::Ordering::SeqCst),
        aborted,
        notes,
        summary: Summary::of(&cases),
        baseline: None,
        reruns,
        cleanup: Cleanup {
            created,
            deleted,
            leftover,
            absent: ledger.absent(),
        },
        cases,
    }
}

/// The report of a run that could not start (discovery failed, or a
/// signal came first): every selected case errored with the reason, so
/// that JSON and JUnit readers see what did not run and why.
pub fn not_run(
    client: &Client,
    cases: &[Case],
    reason: &str,
    fail_on: Level,
    interrupted: bool,
) -> RunReport {
    let cases: Vec<CaseOutcome> = cases
        .iter()
        .map(|case| {
            let mut o = exec::blank_outcome(case);
            o.status = Status::Errored;
            o.message = format!("not run: {reason}");
            o
        })
        .collect();
    RunReport {
        tool: "scimitar".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        target: client.redactor().text(client.base_url().as_str()),
        started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        duration_ms: 0,
        fail_on,
        interrupted,
        aborted: (!interrupted).then(|| reason.to_string()),
        notes: if client.insecure() {
            vec![INSECURE_NOTE.to_string()]
        } else {
            vec![]
        },
        summary: Summary::of(&cases),
        baseline: None,
        reruns: vec![],
        cleanup: Cleanup::default(),
        cases,
    }
}
