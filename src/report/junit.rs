//! JUnit XML through quick-junit: one test suite per area, one test case per case.

use std::collections::BTreeMap;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::case_text;
use crate::outcome::{RunReport, Status};

pub fn render(report: &RunReport) -> String {
    let mut junit = Report::new("scimitar");
    junit.set_time(Duration::from_millis(report.duration_ms));
    let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
    for case in &report.cases {
        let mut status = match case.status {
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
                let grade = match (&case.profile, case.warning) {
                    (_, true) => " (warning)".to_string(),
                    (Some(p), false) => format!(" (interoperability: {p})"),
                    (None, false) => String::new(),
                };
                s.set_type(format!("{}{grade}", case.level));
                s.set_description(case_text(case));
                s
            }
        };
        let _ = &mut status;
        let mut tc = TestCase::new(case.id.as_str(), status);
        tc.set_classname(format!("scimitar.{}", case.area));
        tc.set_time(Duration::from_millis(case.duration_ms));
        tc.add_property(("level", case.level.as_str()));
        tc.add_property(("requirements", case.requirements.join(" ").as_str()));
        tc.add_property(("sections", case.sections.join(", ").as_str()));
        if let Some(p) = &case.profile {
            tc.add_property(("profile", p.as_str()));
        }
        suites
            .entry(case.area.as_str())
            .or_insert_with(|| TestSuite::new(case.area.as_str()))
            .add_test_case(tc);
    }
    junit.add_test_suites(suites.into_values());
    junit.add_test_suite(run_suite(report));
    junit.to_string().expect("a JUnit report always serializes")
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
