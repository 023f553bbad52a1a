//! `scimitar run` and `scimitar list`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use url::Url;

use super::embedded;
use super::events::{Embedded, EventArgs, Running};
use super::exit;
use super::signals::Watch;
use super::target::TargetArgs;
use crate::baseline::Baseline;
use crate::check;
use crate::discover::{Capabilities, DiscoverError};
use crate::http::{Client, ClientConfig};
use crate::outcome::RunReport;
use crate::report;
use crate::rfc::Level;
use crate::run::{self, Ledger, RunOptions, Selection};
use crate::serve::{self, ServerConfig};
use crate::suite::{self, Case};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Base URL of the SCIM endpoint; without it, an embedded reference server is started.
    pub url: Option<Url>,
    /// Inject a bug into the embedded server (repeatable; see `scimitar serve --list-bugs`).
    #[arg(long = "bug", value_name = "NAME")]
    pub bugs: Vec<String>,
    /// Give the embedded server a legal shape (repeatable; see `scimitar serve --list-shapes`).
    #[arg(long = "shape", value_name = "NAME")]
    pub shapes: Vec<String>,
    /// Give the embedded server a hostile fault (repeatable; see `scimitar serve --list-faults`).
    #[arg(long = "fault", value_name = "NAME[@SCOPE]")]
    pub faults: Vec<String>,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub events: EventArgs,
    /// Write the JSON report here.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Fail the run (exit 1) when fewer cases than this reach a verdict
    /// (passed or failed). A run where none does always fails (exit 3).
    #[arg(long, value_name = "N")]
    pub min_run: Option<usize>,
    /// Fail the run (exit 1) when more than this share (0 to 1) of the
    /// selected cases were skipped.
    #[arg(long, value_name = "SHARE", value_parser = parse_share)]
    pub max_skipped_share: Option<f64>,
    /// Write a Markdown summary here (without it, the summary is appended
    /// to $GITHUB_STEP_SUMMARY when that is set).
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<PathBuf>,
    /// Write every recorded exchange here as HAR 1.2 (secrets redacted).
    #[arg(long, value_name = "PATH")]
    pub har: Option<PathBuf>,
    /// Lowest level whose failures fail the run (exit 1).
    #[arg(long, default_value = "should", value_parser = parse_level)]
    pub fail_on: Level,
    /// Known failures (case ids, one a line, or an earlier JSON report): only
    /// failures outside the baseline fail the run.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the run's failing case ids here, as a baseline for later runs.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// How many cases run at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Also run this many generated PATCH sequences (area patch), each checked
    /// request by request against the reference applier.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub patch_sequences: usize,
    /// The most requests in one generated sequence.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub patch_requests: usize,
    /// Seed of the generated sequences (the same seed gives the same requests).
    #[arg(long, value_name = "SEED")]
    pub seed: Option<u64>,
    /// Start no case after this many seconds; the cases left are skipped
    /// and everything created is still deleted.
    #[arg(long, value_name = "SECS")]
    pub max_time: Option<u64>,
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
    /// Also list skipped cases with their reasons.
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Args, Debug)]
pub struct SelectArgs {
    /// Load suites from this directory or file instead of the built-in ones (repeatable).
    #[arg(long = "suite", value_name = "DIR")]
    pub suites: Vec<PathBuf>,
    /// Only cases of this area (repeatable).
    #[arg(long = "area", value_name = "AREA")]
    pub areas: Vec<String>,
    /// Only cases whose id contains this text (repeatable).
    #[arg(long = "case", value_name = "TEXT")]
    pub cases: Vec<String>,
    /// Also run the cases of an identity provider's dialect (repeatable):
    /// entra or okta. Strict RFC cases always run.
    #[arg(long = "profile", value_name = "PROFILE", value_parser = ["rfc", "entra", "okta"])]
    pub profiles: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub select: SelectArgs,
}

/// A `--fail-on` level.
pub(super) fn parse_level(s: &str) -> Result<Level, String> {
    Level::parse(s).ok_or_else(|| format!("expected must, should or may, got {s:?}"))
}

/// A seed for generated requests when none was given.
pub(super) fn rand_seed() -> u64 {
    let id = uuid::Uuid::new_v4();
    u64::from_le_bytes(id.as_bytes()[..8].try_into().unwrap_or_default()) % 1_000_000
}

/// Loads and selects cases, or prints the error and gives the exit code.
pub(super) fn cases(select: &SelectArgs) -> Result<Vec<Case>, i32> {
    let known = check::known();
    let loaded = if select.suites.is_empty() {
        suite::load_default(&known)
    } else {
        suite::load_paths(&select.suites, &known)
    };
    let all = loaded.map_err(|e| {
        eprintln!("{e}");
        exit::USAGE
    })?;
    let selection = Selection {
        areas: select.areas.clone(),
        ids: select.cases.clone(),
        profiles: select.profiles.clone(),
    };
    let chosen = selection.apply(all);
    let derived_only = select.areas.iter().all(|a| a == "schema") && !select.areas.is_empty();
    if chosen.is_empty() && !derived_only {
        eprintln!("error: no case matches the selection");
        return Err(exit::USAGE);
    }
    Ok(chosen)
}

pub fn list(args: ListArgs) -> i32 {
    let cases = match cases(&args.select) {
        Ok(c) => c,
        Err(code) => return code,
    };
    for c in &cases {
        println!(
            "{}\t{}\t{}\t{}",
            c.id,
            c.area,
            c.level,
            c.requirements.join(",")
        );
    }
    exit::OK
}

fn progress(total: usize, quiet: bool) -> Option<ProgressBar> {
    let ci = std::env::var_os("CI").is_some();
    if quiet || ci || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}") {
        bar.set_style(style);
    }
    Some(bar)
}

pub async fn run(args: RunArgs) -> i32 {
    // First, so that a signal during start-up stops the run in order too.
    let watch = Watch::start("the run");
    let cases = match cases(&args.select) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let baseline = match &args.baseline {
        None => None,
        Some(path) => {
            let name = path.display().to_string();
            let read = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"));
            match read.and_then(|text| Baseline::parse(&name, &text)) {
                Ok(b) => Some(b),
                Err(e) => {
                    eprintln!("error: baseline {e}");
                    return exit::USAGE;
                }
            }
        }
    };
    let bugs = match embedded::bugs(&args.bugs) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let shapes = match serve::shape::parse(&args.shapes) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    // Events: the receiver starts first, so that the embedded server can push to it.
    // The embedded server's events are received by polling unless asked otherwise.
    let mut ev = args.events.clone();
    if args.url.is_none() && ev.delivery.is_none() {
        ev.delivery = Some(crate::events::Delivery::Poll);
    }
    let emb = (args.url.is_none() && ev.delivery.is_some()).then(Embedded::new);
    let inbox = match ev.delivery {
        None => None,
        Some(_) => match ev.trust(emb.as_ref()) {
            Ok(trust) => Some(ev.inbox(trust)),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::USAGE;
            }
        },
    };
    let receiver = match &inbox {
        Some(inbox) => match ev.start_receiver(inbox).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: events receiver: {e}");
                return exit::USAGE;
            }
        },
        None => None,
    };
    if let (Some(r), Some(_)) = (&receiver, &args.url) {
        eprintln!("events: the transmitter must push SETs to {}", r.url);
        if let Some(pem) = &r.cert_pem {
            eprintln!("events: trusting this certificate (made for this run):\n{pem}");
        }
    }
    let mut local_server = None;
    let mut poll_default = None;
    let config = match &args.url {
        Some(url) => match embedded::remote(
            url,
            &args.target,
            !args.bugs.is_empty() || !args.shapes.is_empty() || !args.faults.is_empty(),
            "run",
        ) {
            Ok(c) => c,
            Err(code) => return code,
        },
        None => {
            let events = emb.as_ref().map(|e| serve::EventsConfig {
                issuer: e.issuer.clone(),
                audience: e.audience.clone(),
                secret: e.secret.clone(),
                full: true,
                push: receiver.as_ref().map(|r| serve::PushTarget {
                    url: r.url.clone(),
                    root_cert_pem: r.cert_pem.clone().map(String::into_bytes),
                    token: None,
                }),
                receiver: serve::ReceiverConfig {
                    issuer: e.issuer.clone(),
                    audience: e.audience.clone(),
                    secret: e.secret.clone(),
                },
            });
            let faults = match embedded::faults(&args.faults) {
                Ok(f) => f,
                Err(code) => return code,
            };
            let server = ServerConfig {
                bugs,
                shapes,
                events,
                faults,
                ..Default::default()
            };
            let started = match embedded::start(server, &args.target).await {
                Ok(s) => s,
                Err(code) => return code,
            };
            poll_default = started
                .base
                .join("/events/poll")
                .ok()
                .map(|u| (u.to_string(), Some(started.token.clone())));
            local_server = Some(started.server);
            started.config
        }
    };
    let running = match (inbox, ev.delivery) {
        (Some(inbox), Some(delivery)) => {
            match ev.start_poller(
                &inbox,
                poll_default,
                args.url.as_ref(),
                &args.target.bearer_env,
            ) {
                Ok(poller) => Some(Running::new(inbox, delivery, receiver, poller)),
                Err(e) => {
                    eprintln!("error: events: {e}");
                    return exit::USAGE;
                }
            }
        }
        _ => None,
    };
    let code = run_against(
        &args,
        config,
        &cases,
        baseline.as_ref(),
        running.as_ref(),
        &watch,
    )
    .await;
    if let Some(running) = running {
        let inbox = running.inbox.clone();
        let line = running.stop().await;
        // Quiet about the embedded server's events when none were asked for or came.
        if args.events.delivery.is_some() || !inbox.received().is_empty() {
            eprintln!("{line}");
        }
        if let Some(path) = &args.events.events_out {
            let text = serde_json::to_string_pretty(&inbox.export()).unwrap_or_default();
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return exit::USAGE;
            }
        }
    }
    if let Some(server) = local_server {
        server.stop().await;
    }
    code
}

/// Discovery, bounded by `--max-time` and stopped by a signal.
pub(super) async fn discover(
    client: &Client,
    max_time: Option<Duration>,
    watch: &Watch,
) -> Result<Capabilities, (String, i32)> {
    let bounded = async {
        // At least a second, so that `--max-time 0` (start no case) still
        // learns what the server declares.
        match max_time.map(|t| t.max(Duration::from_secs(1))) {
            Some(t) => tokio::time::timeout(t, Capabilities::discover(client))
                .await
                .unwrap_or_else(|_| {
                    Err(DiscoverError::Unreachable(format!(
                        "discovery did not finish within {} s (--max-time)",
                        t.as_secs()
                    )))
                }),
            None => Capabilities::discover(client).await,
        }
    };
    let target = client.redactor().text(client.base_url().as_str());
    tokio::select! {
        found = bounded => found.map_err(|e| {
            let hint = match e {
                DiscoverError::NoCredentials(_) => {
                    "; set $SCIMITAR_TOKEN, or pass --basic-user or --oauth-token-url"
                }
                _ => "",
            };
            (client.redactor().text(&format!("{e} ({target}){hint}")), exit::UNREACHABLE)
        }),
        _ = watch.stopped() => Err(("interrupted during discovery".into(), exit::INTERRUPTED)),
    }
}

/// Writes the JSON, JUnit and baseline files asked for; false when one
/// could not be written (the error is printed).
fn write_reports(args: &RunArgs, report: &RunReport) -> bool {
    let mut ok = true;
    for (path, text) in [
        (
            &args.json,
            args.json.as_ref().map(|_| report::json::render(report)),
        ),
        (
            &args.junit,
            args.junit.as_ref().map(|_| report::junit::render(report)),
        ),
        (
            &args.markdown,
            args.markdown
                .as_ref()
                .map(|_| report::markdown::render(report)),
        ),
        (
            &args.har,
            args.har.as_ref().map(|_| report::har::render(report)),
        ),
        (
            &args.write_baseline,
            args.write_baseline
                .as_ref()
                .map(|_| crate::baseline::render(report)),
        ),
    ] {
        if let (Some(path), Some(text)) = (path, text) {
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("error: cannot write {}: {e}", path.display());
                ok = false;
            }
        }
    }
    if args.markdown.is_none() {
        ok &= append_step_summary(report);
    }
    ok
}

/// Appends the Markdown summary to `$GITHUB_STEP_SUMMARY`, where GitHub
/// Actions shows it on the job's page; nothing when it is unset.
fn append_step_summary(report: &RunReport) -> bool {
    use std::io::Write;
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return true;
    };
    let written = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .and_then(|mut f| f.write_all(report::markdown::render(report).as_bytes()));
    if let Err(e) = written {
        let path = PathBuf::from(path);
        eprintln!(
            "error: cannot append to $GITHUB_STEP_SUMMARY ({}): {e}",
            path.display()
        );
        return false;
    }
    true
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "{s:?} is not a share between 0 and 1 (0.5 is half)"
        )),
    }
}

/// Why a finished run must not pass although nothing failed: no case
/// reached a verdict (exit 3: nothing was tested), or fewer than
/// `--min-run`, or more skipped than `--max-skipped-share` (exit 1).
fn vacuous(args: &RunArgs, report: &RunReport) -> Option<(String, i32)> {
    let s = &report.summary;
    let verdicts = s.passed + s.failed;
    if report.interrupted || report.aborted.is_some() || s.total == 0 {
        return None;
    }
    if verdicts == 0 {
        return Some((
            format!(
                "no case reached a verdict ({} skipped, {} errored): nothing was tested",
                s.skipped, s.errored
            ),
            exit::UNREACHABLE,
        ));
    }
    if let Some(n) = args.min_run.filter(|n| verdicts < *n) {
        return Some((
            format!("only {verdicts} cases reached a verdict, fewer than --min-run {n}"),
            exit::FAILURES,
        ));
    }
    let share = s.skipped as f64 / s.total as f64;
    if let Some(max) = args.max_skipped_share.filter(|m| share > *m) {
        return Some((
            format!(
                "{} of {} selected cases were skipped ({:.0}%), more than --max-skipped-share {max}",
                s.skipped,
                s.total,
                share * 100.0
            ),
            exit::FAILURES,
        ));
    }
    None
}

/// The exit code of a finished run: an interrupt, then a target that
/// stopped answering, then anything left behind, then failures.
fn exit_code(report: &RunReport) -> i32 {
    let failing = match &report.baseline {
        Some(c) => !c.new.is_empty(),
        None => report.failing().next().is_some(),
    };
    if report.interrupted {
        exit::INTERRUPTED
    } else if report.aborted.is_some() {
        exit::UNREACHABLE
    } else if !report.cleanup.leftover.is_empty() {
        exit::LEFT_BEHIND
    } else if failing {
        exit::FAILURES
    } else {
        exit::OK
    }
}

async fn run_against(
    args: &RunArgs,
    config: ClientConfig,
    cases: &[Case],
    baseline: Option<&Baseline>,
    events: Option<&Running>,
    watch: &Watch,
) -> i32 {
    let started = Instant::now();
    let client = match Client::new(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    if client.insecure() {
        eprintln!("warning: {}", run::INSECURE_NOTE);
    }
    let max_time = args.max_time.map(Duration::from_secs);
    let mut caps = match discover(&client, max_time, watch).await {
        Ok(c) => c,
        Err((why, code)) => {
            eprintln!("error: {why}");
            let report = run::not_run(
                &client,
                cases,
                &why,
                args.fail_on,
                code == exit::INTERRUPTED,
            );
            let written = write_reports(args, &report);
            print!("{}", report::console::render(&report, args.verbose));
            return if written || code == exit::INTERRUPTED {
                code
            } else {
                exit::USAGE
            };
        }
    };
    caps.events = events.map(|e| e.delivery);
    // Schema-driven cases come from what this server declares.
    let selection = Selection {
        areas: args.select.areas.clone(),
        ids: args.select.cases.clone(),
        profiles: args.select.profiles.clone(),
    };
    let mut cases = cases.to_vec();
    if args.select.suites.is_empty() {
        cases.extend(selection.apply(run::derive::derive(&caps)));
    }
    if args.patch_sequences > 0 {
        let seed = args.seed.unwrap_or_else(rand_seed);
        eprintln!(
            "generated PATCH sequences: {} from --seed {seed}",
            args.patch_sequences
        );
        let generated = run::sequences::generate(
            &caps,
            seed,
            args.patch_sequences,
            args.patch_requests.clamp(1, 50),
        );
        cases.extend(selection.apply(generated));
    }
    let cases = &cases[..];
    let bar = progress(cases.len(), args.quiet);
    let on_done = |o: &crate::outcome::CaseOutcome| {
        if let Some(bar) = &bar {
            bar.set_message(o.id.clone());
            bar.inc(1);
        }
    };
    let ledger = Arc::new(Ledger::default());
    watch.track(ledger.clone());
    let options = RunOptions {
        concurrency: args.concurrency,
        fail_on: args.fail_on,
        // Discovery spent part of the budget.
        max_time: max_time.map(|t| t.saturating_sub(started.elapsed())),
        events: events.map(|e| e.inbox.clone()),
        ledger: Some(ledger),
    };
    let mut report = run::run(&client, &caps, cases, &options, &watch.flag, &on_done).await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    report.baseline = baseline.map(|b| b.compare(&report));
    let written = write_reports(args, &report);
    print!("{}", report::console::render(&report, args.verbose));
    if let Some(why) = &report.aborted {
        eprintln!("error: {why}");
    }
    let code = match (exit_code(&report), vacuous(args, &report)) {
        (code @ (exit::INTERRUPTED | exit::UNREACHABLE | exit::LEFT_BEHIND), _) => code,
        (code, Some((why, gate))) => {
            eprintln!("error: {why}");
            if code == exit::FAILURES {
                code
            } else {
                gate
            }
        }
        (code, None) => code,
    };
    match code {
        exit::INTERRUPTED | exit::UNREACHABLE => code,
        _ if !written => exit::USAGE,
        code => code,
    }
}
