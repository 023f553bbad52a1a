//! Reporters: each turns a [`RunReport`](crate::outcome::RunReport) into one
//! format. They read outcome data only.

pub mod console;
pub mod har;
pub mod json;
pub mod junit;
pub mod markdown;

use crate::outcome::CaseOutcome;

/// A plain-text account of a non-passing case: what, where in the RFC,
/// expected versus got, and how to reproduce it.
pub fn case_text(case: &CaseOutcome) -> String {
    let mut out = format!(
        "{} [{}{}] {} ({})\n  {}\n",
        case.id,
        case.level,
        if case.warning { ", warning" } else { "" },
        case.sections.join(", "),
        case.requirements.join(", "),
        case.title,
    );
    if case.failures.is_empty() {
        out.push_str(&format!("  {}: {}\n", case.status.as_str(), case.message));
    }
    for f in &case.failures {
        out.push_str(&format!("  {f}\n"));
    }
    if let Some(notes) = &case.notes {
        out.push_str(&format!("  note: {notes}\n"));
    }
    if let Some(curl) = &case.curl {
        out.push_str(&format!("  reproduce: {curl}\n"));
    }
    out.push_str(&format!("  defined at {}\n", case.source));
    out
}

/// A run report around `cases`, for the reporters' unit tests.
#[cfg(test)]
pub(crate) fn test_report(cases: Vec<CaseOutcome>) -> crate::outcome::RunReport {
    crate::outcome::RunReport {
        tool: "scimitar".into(),
        version: "0.1.0".into(),
        target: "http://127.0.0.1:1/scim/v2".into(),
        started_at: "2026-12-07T00:00:00Z".into(),
        duration_ms: 1500,
        fail_on: crate::rfc::Level::Must,
        interrupted: false,
        aborted: None,
        notes: vec![],
        summary: crate::outcome::Summary::of(&cases),
        cleanup: Default::default(),
        baseline: None,
        reruns: vec![],
        cases,
    }
}
