//! The console report: details of each non-passing case, then a summary
//! table by area and level (comfy-table).

use std::collections::BTreeMap;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, Table};

use super::case_text;
use crate::outcome::{RunReport, Status};
use crate::rfc::Level;

/// Counts of one (area, level) row of the summary tables.
#[derive(Default)]
pub(super) struct Row {
    pub(super) passed: usize,
    pub(super) failed: usize,
    pub(super) warned: usize,
    pub(super) skipped: usize,
    pub(super) errored: usize,
}

/// Counts by area (dialect cases apart) and level.
pub(super) fn rows(report: &RunReport) -> BTreeMap<(String, Level), Row> {
    let mut rows: BTreeMap<(String, Level), Row> = BTreeMap::new();
    for c in &report.cases {
        // Interoperability cases count apart from RFC conformance.
        let area = match &c.profile {
            Some(p) => format!("{} ({p} dialect)", c.area),
            None => c.area.clone(),
        };
        let row = rows.entry((area, c.level)).or_default();
        match (c.status, c.warning) {
            (Status::Passed, _) => row.passed += 1,
            (Status::Failed, true) => row.warned += 1,
            (Status::Failed, false) => row.failed += 1,
            (Status::Skipped, _) => row.skipped += 1,
            (Status::Errored, _) => row.errored += 1,
        }
    }
    rows
}

/// The cleanup line: what was created, what was deleted and confirmed
/// gone, and every resource that may remain, one a line.
pub fn cleanup_line(c: &crate::outcome::Cleanup) -> String {
    let mut out = format!(
        "cleanup: created {}, deleted {} (each confirmed gone)",
        c.created, c.deleted
    );
    if c.absent > 0 {
        out.push_str(&format!(
            ", {} whose id could not be read found absent by name",
            c.absent
        ));
    }
    if c.leftover.is_empty() {
        out.push_str(", nothing left behind\n");
    } else {
        out.push_str(&format!(", {} MAY REMAIN:\n", c.leftover.len()));
        for l in &c.leftover {
            out.push_str(&format!("  {l}\n"));
        }
    }
    out
}

/// The full console text.
pub fn render(report: &RunReport, verbose_skips: bool) -> String {
    let mut out = String::new();
    for note in &report.notes {
        out.push_str(&format!("NOTE {note}\n"));
    }
    let not_run = |c: &&crate::outcome::CaseOutcome| {
        c.status == Status::Errored && c.message.starts_with("not run:")
    };
    for case in report.cases.iter().filter(|c| !not_run(c)) {
        let show = matches!(case.status, Status::Failed | Status::Errored)
            || (verbose_skips && case.status == Status::Skipped);
        if show {
            let tag = match (case.status, case.warning) {
                (Status::Failed, true) => "WARN",
                (Status::Failed, false) if case.profile.is_some() => "INTEROP FAIL",
                (Status::Failed, false) => "FAIL",
                (Status::Errored, _) => "ERROR",
                _ => "SKIP",
            };
            out.push_str(&format!("{tag} {}\n", case_text(case)));
        }
    }
    out.push_str(&summary_table(report));
    out.push('\n');
    let s = &report.summary;
    out.push_str(&format!(
        "{} cases: {} passed, {} failed ({} warnings), {} skipped, {} errored in {:.1}s against {}\n",
        s.total, s.passed, s.failed, s.warnings, s.skipped, s.errored,
        report.duration_ms as f64 / 1000.0, report.target
    ));
    out.push_str(&blocking_rules(report));
    out.push_str(&reruns(report));
    if let Some(b) = &report.baseline {
        out.push_str(&format!(
            "baseline: {} known failures, {} new, {} fixed\n",
            b.known.len(),
            b.new.len(),
            b.fixed.len()
        ));
        for (what, ids) in [("new", &b.new), ("fixed", &b.fixed)] {
            for id in ids {
                out.push_str(&format!("  {what}: {id}\n"));
            }
        }
    }
    if let Some(why) = &report.aborted {
        out.push_str(&format!("STOPPED: {why}\n"));
    }
    out.push_str(&cleanup_line(&report.cleanup));
    if report.interrupted {
        let skipped = report.cases.iter().filter(not_run).count();
        out.push_str(&format!(
            "the run was interrupted; {skipped} cases did not run\n"
        ));
    }
    out
}

/// The cases run again alone, and a hint when that changed verdicts.
fn reruns(report: &RunReport) -> String {
    if report.reruns.is_empty() {
        return String::new();
    }
    let changed: Vec<&crate::outcome::Rerun> = report
        .reruns
        .iter()
        .filter(|r| r.before != r.after)
        .collect();
    let mut out = format!(
        "{} cases met a 5xx or a broken connection beside others and were run again alone; {} verdicts changed\n",
        report.reruns.len(),
        changed.len()
    );
    for r in &changed {
        out.push_str(&format!(
            "  {}: {} -> {} (after {})\n",
            r.id,
            r.before.as_str(),
            r.after.as_str(),
            r.cause
        ));
    }
    if !changed.is_empty() {
        out.push_str("  the server answers differently under load: try --concurrency 1\n");
    }
    out
}

/// The server rules that refused the fixtures of errored cases, most
/// cases first: one line each, so a vendor sees what to relax or declare.
fn blocking_rules(report: &RunReport) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for rule in report.cases.iter().filter_map(|c| c.blocked_by.as_deref()) {
        *counts.entry(rule).or_default() += 1;
    }
    if counts.is_empty() {
        return String::new();
    }
    let mut rules: Vec<(&str, usize)> = counts.into_iter().collect();
    rules.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut out = String::from("server rules that refused the cases' fixtures:\n");
    for (rule, n) in rules {
        let cases = if n == 1 { "case" } else { "cases" };
        out.push_str(&format!("  {n} {cases}: {rule}\n"));
    }
    out
}

/// Counts by area and level.
pub fn summary_table(report: &RunReport) -> String {
    let rows = rows(report);
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header([
        "area", "level", "passed", "failed", "warnings", "skipped", "errored",
    ]);
    for ((area, level), r) in rows {
        table.add_row(vec![
            Cell::new(area),
            Cell::new(level),
            Cell::new(r.passed),
            Cell::new(r.failed),
            Cell::new(r.warned),
            Cell::new(r.skipped),
            Cell::new(r.errored),
        ]);
    }
    table.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Cleanup;

    #[test]
    fn the_cleanup_line_lists_every_doubt_one_a_line() {
        let clean = Cleanup {
            created: 2,
            deleted: 2,
            ..Default::default()
        };
        assert_eq!(
            cleanup_line(&clean),
            "cleanup: created 2, deleted 2 (each confirmed gone), nothing left behind\n"
        );
        let doubt = Cleanup {
            created: 4,
            deleted: 1,
            leftover: vec!["/Users/7".into(), "userName \"x\" at /Users (…)".into()],
            absent: 1,
        };
        assert_eq!(
            cleanup_line(&doubt),
            "cleanup: created 4, deleted 1 (each confirmed gone), 1 whose id could not be read \
             found absent by name, 2 MAY REMAIN:\n  /Users/7\n  userName \"x\" at /Users (…)\n"
        );
    }
}
