//! Every suite case against the embedded reference server, one test each,
//! and the bug matrix: each injectable bug makes at least one case fail, and
//! each case fails under at least one bug (or its suite says why none can).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

mod common;

use libtest_mimic::{Arguments, Failed, Trial};
use scimitar::events::Delivery;
use scimitar::outcome::{RunReport, Status};
use scimitar::rfc::Level;
use scimitar::serve::{Bug, Bugs, Method, ServerConfig, Shape, Shapes};
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
        let mut all =
            suite::load_default(&scimitar::check::known()).unwrap_or_else(|e| panic!("{e}"));
        // Schema-driven cases, derived from what the clean reference server declares.
        let derived = runtime().block_on(async {
            let (server, _, caps) = common::embedded(Bugs::none(), TOKEN).await;
            server.stop().await;
            scimitar::run::derive::derive(&caps)
        });
        all.extend(derived);
        all
    })
}

/// Runs every case against a fresh reference server with these bugs. The
/// server pages five resources at a time and pages with cursors by default,
/// so every walk crosses pages and the cases over page limits and the
/// default method apply (`tests/paging.rs` shows other configurations reach
/// the same verdicts). It publishes SCIM events, received by `delivery`.
async fn run_all(bugs: Bugs, cases: &[Case], delivery: Delivery, full: bool) -> RunReport {
    run_shaped(bugs, Shapes::default(), cases, delivery, full).await
}

async fn run_shaped(
    bugs: Bugs,
    shapes: Shapes,
    cases: &[Case],
    delivery: Delivery,
    full: bool,
) -> RunReport {
    let config = ServerConfig {
        bugs,
        shapes,
        token: Some(TOKEN.into()),
        page_size: Some(5),
        default_pagination: Method::Cursor,
        ..Default::default()
    };
    let (server, client, caps, session) =
        common::embedded_with_events(config, delivery, full).await;
    let report = common::run_cases_with_events(&client, &caps, cases, &session).await;
    session.stop().await;
    server.stop().await;
    report
}

/// How a bug's run receives events: push for the bugs of pushing, notice
/// mode for the bug of notice events, else polling and full events.
fn setup(bug: Bug) -> (Delivery, bool) {
    match bug {
        Bug::PushWrongContentType | Bug::PushRetransmits => (Delivery::Push, true),
        Bug::NoticeWithData => (Delivery::Poll, false),
        _ => (Delivery::Poll, true),
    }
}

/// The clean server, with events received by polling and by push.
fn clean_reports() -> &'static [RunReport; 2] {
    static R: OnceLock<[RunReport; 2]> = OnceLock::new();
    R.get_or_init(|| {
        runtime().block_on(async {
            [
                run_all(Bugs::none(), cases(), Delivery::Poll, true).await,
                run_all(Bugs::none(), cases(), Delivery::Push, true).await,
            ]
        })
    })
}

/// The bugs the suites are run against: those of the receiver role are
/// caught by `scimitar events send` (tests/events_send.rs) instead,
/// robustness bugs by `scimitar fuzz` (tests/fuzz.rs), and load bugs by the
/// run's re-run of cases alone (tests/cli.rs).
fn matrix_bugs() -> impl Iterator<Item = Bug> {
    Bug::ALL
        .iter()
        .copied()
        .filter(|b| !matches!(b.area(), "receiver" | "robustness" | "load"))
}

/// Whether the matrix runs every case under every bug
/// (`SCIMITAR_FULL_MATRIX=1`, for a nightly job), not only the cases of the
/// areas the bug reaches.
fn full_matrix() -> bool {
    std::env::var_os("SCIMITAR_FULL_MATRIX").is_some_and(|v| v != "0")
}

/// The cases a bug's run holds: those of its own area and of the areas it
/// declares it reaches ([`Bug::reaches`]), or every case in the full matrix.
/// The matrix so grows with the sum of bugs and cases per area, not their
/// product.
fn cases_for(bug: Bug) -> Vec<Case> {
    cases()
        .iter()
        .filter(|c| {
            full_matrix() || c.area == bug.area() || bug.reaches().contains(&c.area.as_str())
        })
        .cloned()
        .collect()
}

/// What one bug did to a run.
#[derive(Default)]
struct BugResult {
    /// Ids of the cases that failed (warnings included).
    failed: BTreeSet<String>,
    /// Broken guarantees: leftovers, or no failure that could fail a run.
    problems: Vec<String>,
}

/// Bug name -> what it did. Never panics: problems are data the trials report,
/// so a broken guarantee cannot make every trial recompute the matrix.
fn matrix() -> &'static BTreeMap<&'static str, BugResult> {
    &loaded().matrix
}

/// Everything run under load, at once: the bug matrix, the same bugs under
/// the minimal shape, and each shape clean. The clean runs come first,
/// alone: their verdicts must not depend on the load of hundreds of servers.
struct Loaded {
    matrix: BTreeMap<&'static str, BugResult>,
    minimal: BTreeMap<&'static str, MinimalResult>,
    shapes: BTreeMap<&'static str, RunReport>,
}

fn loaded() -> &'static Loaded {
    static L: OnceLock<Loaded> = OnceLock::new();
    L.get_or_init(|| {
        clean_reports();
        runtime().block_on(async {
            // The full matrix is ten times the load: its three parts one
            // after another, so that event deadlines hold.
            let (matrix, minimal, shapes) = if full_matrix() {
                (
                    compute_matrix().await,
                    compute_minimal().await,
                    compute_shapes().await,
                )
            } else {
                futures::join!(compute_matrix(), compute_minimal(), compute_shapes())
            };
            Loaded {
                matrix,
                minimal,
                shapes,
            }
        })
    })
}

async fn compute_matrix() -> BTreeMap<&'static str, BugResult> {
    let runs = matrix_bugs().map(|bug| async move {
        let (delivery, full) = setup(bug);
        let report = run_all(Bugs::of([bug]), &cases_for(bug), delivery, full).await;
        let mut result = BugResult::default();
        if !report.cleanup.leftover.is_empty() {
            result
                .problems
                .push(format!("left behind {:?}", report.cleanup.leftover));
        }
        result.failed = report
            .cases
            .iter()
            .filter(|c| c.status == Status::Failed)
            .map(|c| c.id.clone())
            .collect();
        // The run exits 1 at --fail-on may, unless every case the bug
        // breaks is one the RFC leaves ambiguous (a warning).
        let fails_run = report.cases.iter().any(|c| c.fails_run(Level::May));
        let only_warnings = report.cases.iter().any(|c| c.warning);
        if !fails_run && !only_warnings {
            result
                .problems
                .push("a run with --fail-on may would exit 0".into());
        }
        (bug.name(), result)
    });
    let m: BTreeMap<&'static str, BugResult> =
        futures::future::join_all(runs).await.into_iter().collect();
    if let Some(path) = std::env::var_os("SCIMITAR_MATRIX_OUT") {
        let failed: BTreeMap<&str, &BTreeSet<String>> =
            m.iter().map(|(b, r)| (*b, &r.failed)).collect();
        let json = serde_json::to_string_pretty(&failed).expect("JSON");
        std::fs::write(path, json).expect("SCIMITAR_MATRIX_OUT is writable");
    }
    m
}

/// Under the minimal shape, for each bug: whether a case fails (the
/// shape's own findings aside), the skip reason of each skipped case, and
/// problems (leftovers).
struct MinimalResult {
    caught: bool,
    skipped: BTreeMap<String, String>,
    problems: Vec<String>,
}

fn minimal_matrix() -> &'static BTreeMap<&'static str, MinimalResult> {
    &loaded().minimal
}

async fn compute_minimal() -> BTreeMap<&'static str, MinimalResult> {
    let runs = matrix_bugs().map(|bug| async move {
        let (delivery, full) = setup(bug);
        let shapes = Shapes::of([Shape::Minimal]);
        let report = run_shaped(Bugs::of([bug]), shapes, &cases_for(bug), delivery, full).await;
        // The shape's own findings fail under every bug: they do not count.
        let expected = Shape::Minimal.expected_findings();
        let result = MinimalResult {
            caught: report
                .cases
                .iter()
                .any(|c| c.status == Status::Failed && !expected.contains(&c.id.as_str())),
            skipped: report
                .cases
                .iter()
                .filter(|c| c.status == Status::Skipped)
                .map(|c| (c.id.clone(), c.message.clone()))
                .collect(),
            problems: if report.cleanup.leftover.is_empty() {
                vec![]
            } else {
                vec![format!("left behind {:?}", report.cleanup.leftover)]
            },
        };
        (bug.name(), result)
    });
    futures::future::join_all(runs).await.into_iter().collect()
}

/// A bug the minimal shape hides must be hidden for a stated reason: every
/// case that catches it on the full server is skipped under the shape
/// because it needs what the shape does not declare (or is the shape's own
/// finding). A case that ran there and passed would mean the shape blinds it.
fn minimal_problems(bug: Bug) -> Result<(), Failed> {
    let name = bug.name();
    let result = &minimal_matrix()[name];
    if !result.problems.is_empty() {
        return Err(result.problems.join("; ").into());
    }
    if result.caught {
        return Ok(());
    }
    let expected = Shape::Minimal.expected_findings();
    // Events verdicts hang on delivery timing, which a hundred-odd servers
    // at once can upset, and the shape changes nothing about delivery: they
    // count only for events bugs.
    let events_case = |id: &str| id.starts_with("events.") && bug.area() != "events";
    let blinded: Vec<String> = matrix()[name]
        .failed
        .iter()
        .filter(|id| !expected.contains(&id.as_str()) && !events_case(id))
        .filter(|id| {
            !result.skipped.get(*id).is_some_and(|why| {
                why.contains("does not declare") || why.contains("declares no attribute")
            })
        })
        .map(|id| match result.skipped.get(id) {
            Some(why) => format!("{id} (skipped: {why})"),
            None => format!("{id} (ran and passed)"),
        })
        .collect();
    if blinded.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{name} makes no case fail under the minimal shape, and these cases that catch it on the full server are not skipped for an undeclared attribute: {}",
            blinded.join(", ")
        )
        .into())
    }
}

/// Every shape is a valid server: a clean run against it has no failure
/// but those the shape exists to show, no errored case, and leaves nothing.
fn shape_reports() -> &'static BTreeMap<&'static str, RunReport> {
    &loaded().shapes
}

async fn compute_shapes() -> BTreeMap<&'static str, RunReport> {
    let runs = Shape::ALL.iter().map(|s| async move {
        let shapes = Shapes::of([*s]);
        let report = run_shaped(Bugs::none(), shapes, cases(), Delivery::Poll, true).await;
        (s.name(), report)
    });
    futures::future::join_all(runs).await.into_iter().collect()
}

fn shape_problems(shape: Shape) -> Result<(), Failed> {
    let report = &shape_reports()[shape.name()];
    let expected = shape.expected_findings();
    let mut problems: Vec<String> = report
        .cases
        .iter()
        .filter(|c| matches!(c.status, Status::Failed | Status::Errored))
        .filter(|c| !expected.contains(&c.id.as_str()))
        .map(scimitar::report::case_text)
        .collect();
    for id in expected {
        if !report
            .cases
            .iter()
            .any(|c| c.id == *id && c.status == Status::Failed)
        {
            problems.push(format!("{id} was expected to fail under the shape"));
        }
    }
    if !report.cleanup.leftover.is_empty() {
        problems.push(format!("left behind {:?}", report.cleanup.leftover));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![];
    for case in cases() {
        let id = case.id.clone();
        // Cases for servers without a feature (or whose SPC denies one) skip here.
        let negated = case
            .requires
            .iter()
            .any(|r| r.starts_with('!') || r.starts_with("probe:"));
        trials.push(Trial::test(format!("case::{id}"), move || {
            // Passed with one delivery (the other may not apply), and
            // neither failed nor errored with the other.
            let outcomes: Vec<_> = clean_reports()
                .iter()
                .map(|r| r.cases.iter().find(|o| o.id == id).expect("outcome"))
                .collect();
            let bad = outcomes
                .iter()
                .find(|o| matches!(o.status, Status::Failed | Status::Errored));
            let passed = outcomes.iter().any(|o| o.status == Status::Passed);
            match (bad, passed) {
                (Some(o), _) => Err(Failed::from(scimitar::report::case_text(o))),
                (None, true) => Ok(()),
                // A case for servers without a feature the reference server has.
                (None, false) if negated => Ok(()),
                (None, false) => Err(Failed::from(scimitar::report::case_text(outcomes[0]))),
            }
        }));
        let id = case.id.clone();
        let excuse = case.unreachable_by_bugs.clone();
        trials.push(Trial::test(format!("reachable::{id}"), move || {
            let by: Vec<&str> = matrix()
                .iter()
                .filter(|(_, r)| r.failed.contains(&id))
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
    for bug in matrix_bugs() {
        let name = bug.name();
        trials.push(Trial::test(format!("bug::{name}"), move || {
            let result = &matrix()[name];
            if result.failed.is_empty() {
                Err(format!("bug {name} makes no case fail").into())
            } else if !result.problems.is_empty() {
                Err(format!("bug {name}: {}", result.problems.join("; ")).into())
            } else {
                Ok(())
            }
        }));
    }
    for shape in Shape::ALL.iter().copied() {
        trials.push(Trial::test(format!("shape::{}", shape.name()), move || {
            shape_problems(shape)
        }));
    }
    for bug in matrix_bugs() {
        trials.push(Trial::test(format!("minimal::{}", bug.name()), move || {
            minimal_problems(bug)
        }));
    }
    trials.push(Trial::test("clean-run-leaves-nothing", || {
        for r in clean_reports() {
            let c = &r.cleanup;
            if !(c.leftover.is_empty() && c.created == c.deleted && c.created > 0) {
                return Err(format!("{c:?}").into());
            }
        }
        Ok(())
    }));
    libtest_mimic::run(&args, trials).exit();
}
