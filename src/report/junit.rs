//! JUnit XML through quick-junit: one test suite per area (with its time
//! and timestamp), one test case per case, in step with the exit code: a
//! `<failure>` or `<error>` only where the case fails the run; a warning, a
//! failure below `--fail-on` or one the baseline knows is a skipped case
//! with its verdict as a property. The curl reproducer is the system-out.

use std::collections::BTreeMap;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::case_text;
use crate::outcome::{CaseOutcome, RunReport, Status};

pub fn render(report: &RunReport) -> String {
    let mut junit = Report::new("scimitar");
    junit.set_time(Duration::from_millis(report.duration_ms));
    let started = chrono::DateTime::parse_from_rfc3339(&report.started_at).ok();
    if let Some(t) = started {
        junit.set_timestamp(t);
    }
    let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
    let mut times: BTreeMap<&str, u64> = BTreeMap::new();
    for case in &report.cases {
        let status = status(report, case);
        let mut tc = TestCase::new(case.id.as_str(), status);
        tc.set_classname(format!("scimitar.{}", case.area));
        tc.set_time(Duration::from_millis(case.duration_ms));
        tc.add_property(("level", case.level.as_str()));
        tc.add_property(("requirements", case.requirements.join(" ").as_str()));
        tc.add_property(("sections", case.sections.join(", ").as_str()));
        if let Some(p) = &case.profile {
            tc.add_property(("profile", p.as_str()));
        }
        if let Some(why) = not_failing(report, case) {
            // The verdict stays readable although the case does not fail the run.
            tc.add_property(("verdict", case.status.as_str()));
            tc.add_property(("not-failing-because", why.as_str()));
        }
        if let Some(curl) = &case.curl {
            tc.set_system_out(format!("reproduce: {curl}\n"));
        }
        *times.entry(case.area.as_str()).or_default() += case.duration_ms;
        suites
            .entry(case.area.as_str())
            .or_insert_with(|| {
                let mut suite = TestSuite::new(case.area.as_str());
                if let Some(t) = started {
                    suite.set_timestamp(t);
                }
                suite
            })
            .add_test_case(tc);
    }
    for (area, suite) in &mut suites {
        suite.set_time(Duration::from_millis(times[area]));
    }
    junit.add_test_suites(suites.into_values());
    junit.add_test_suite(run_suite(report));
    junit.to_string().expect("a JUnit report always serializes")
}

/// Why a failed or errored case does not fail the run (and so is
/// reported as skipped, in step with the exit code): None when it does,
/// or when it passed or was skipped.
fn not_failing(report: &RunReport, case: &CaseOutcome) -> Option<String> {
    if !matches!(case.status, Status::Failed | Status::Errored) {
        return None;
    }
    if let Some(b) = &report.baseline {
        return (!b.new.contains(&case.id)).then(|| "known in the baseline".to_string());
    }
    if case.fails_run(report.fail_on) {
        return None;
    }
    Some(if case.warning {
        "a warning: the RFC is ambiguous here".to_string()
    } else {
        format!("{} is below --fail-on {}", case.level, report.fail_on)
    })
}

/// `<failure>`: the server broke a requirement; `<error>`: no verdict
/// could be reached; skipped: not run, or a verdict that does not fail the run.
fn status(report: &RunReport, case: &CaseOutcome) -> TestCaseStatus {
    if let Some(why) = not_failing(report, case) {
        let mut s = TestCaseStatus::skipped();
        s.set_message(format!(
            "{} ({why}): {}",
            case.status.as_str(),
            case.message
        ));
        s.set_description(case_text(case));
        return s;
    }
    match case.status {
        Status::Passed => TestCaseStatus::success(),
        Status::Skipped => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(case.message.as_str());
            s
        }
        Status::Failed | Status::Errored => {
            let kind = if case.status == Status::Failed {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let mut s = TestCaseStatus::non_success(kind);
            s.set_message(case.message.as_str());
            let grade = match &case.profile {
                Some(p) => format!(" (interoperability: {p})"),
                None => String::new(),
            };
            s.set_type(format!("{}{grade}", case.level));
            s.set_description(case_text(case));
            s
        }
    }
}

/// The run itself: its cleanup (a failure when anything may remain), a
/// target that stopped answering (an error), and the notes as properties,
/// so that a JUnit reader sees what the exit code says.
fn run_suite(report: &RunReport) -> TestSuite {
    let mut suite = TestSuite::new("run");
    for note in &report.notes {
        suite.add_property(("note", note.as_str()));
    }
    let c = &report.cleanup;
    let status = if c.leftover.is_empty() {
        TestCaseStatus::success()
    } else {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        s.set_message(format!("{} resource(s) may remain", c.leftover.len()));
        s.set_description(c.leftover.join("\n"));
        s
    };
    let mut tc = TestCase::new("run.cleanup", status);
    tc.set_classname("scimitar.run");
    tc.add_property(("created", c.created.to_string().as_str()));
    tc.add_property(("deleted", c.deleted.to_string().as_str()));
    suite.add_test_case(tc);
    if let Some(why) = &report.aborted {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
        s.set_message(why.as_str());
        let mut tc = TestCase::new("run.target", s);
        tc.set_classname("scimitar.run");
        suite.add_test_case(tc);
    }
    suite
}
