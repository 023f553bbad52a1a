//! The Markdown summary (`--markdown`, or appended to `$GITHUB_STEP_SUMMARY`):
//! the table by area and level, the failures one line each, then counts of
//! the rest; kept under [`MAX_BYTES`], as GitHub drops larger summaries.

use super::console::rows;
use crate::outcome::{CaseOutcome, RunReport, Status};

/// GitHub shows step summaries up to 1 MiB.
pub const MAX_BYTES: usize = 1024 * 1024;

/// The summary, at most `MAX_BYTES` long.
pub fn render(report: &RunReport) -> String {
    render_within(report, MAX_BYTES)
}

fn render_within(report: &RunReport, max: usize) -> String {
    let s = &report.summary;
    let mut out = format!(
        "## scimitar: {} failed, {} passed of {} cases against {}\n\n",
        s.failed - s.warnings,
        s.passed,
        s.total,
        cell(&report.target)
    );
    out.push_str("| area | level | passed | failed | warnings | skipped | errored |\n");
    out.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
    for ((area, level), r) in rows(report) {
        out.push_str(&format!(
            "| {} | {level} | {} | {} | {} | {} | {} |\n",
            cell(&area),
            r.passed,
            r.failed,
            r.warned,
            r.skipped,
            r.errored
        ));
    }
    let failing: Vec<&CaseOutcome> = report
        .cases
        .iter()
        .filter(|c| c.status == Status::Failed)
        .collect();
    if !failing.is_empty() {
        out.push_str(
            "\n### Failures\n\n| case | level | section | what |\n| --- | --- | --- | --- |\n",
        );
    }
    let tail = tail(report);
    for (i, c) in failing.iter().enumerate() {
        let line = failure_line(c);
        let note = format!(
            "\n{} more failures are not shown: the summary is kept under {} KiB. The JSON report has them all.\n",
            failing.len() - i,
            max / 1024
        );
        if out.len() + line.len() + note.len() + tail.len() > max {
            out.push_str(&note);
            break;
        }
        out.push_str(&line);
    }
    out.push_str(&tail);
    out
}

/// One failure: id, level (and warning), sections, the first unmet
/// expectation or the message.
fn failure_line(c: &CaseOutcome) -> String {
    let what = c
        .failures
        .first()
        .map(ToString::to_string)
        .unwrap_or_else(|| c.message.clone());
    let level = if c.warning {
        format!("{} (warning)", c.level)
    } else {
        c.level.to_string()
    };
    format!(
        "| `{}` | {level} | {} | {} |\n",
        c.id.replace('`', "'"),
        cell(&c.sections.join(", ")),
        cell(&clip(&what, 300))
    )
}

/// Counts of the rest, the cleanup and the baseline.
fn tail(report: &RunReport) -> String {
    let s = &report.summary;
    let mut out = format!(
        "\n{} passed, {} warnings, {} skipped, {} errored in {:.1} s (scimitar {}).\n",
        s.passed,
        s.warnings,
        s.skipped,
        s.errored,
        report.duration_ms as f64 / 1000.0,
        report.version
    );
    let c = &report.cleanup;
    out.push_str(&format!(
        "Cleanup: created {}, deleted {}{}.\n",
        c.created,
        c.deleted,
        if c.leftover.is_empty() {
            ", nothing left behind".to_string()
        } else {
            format!(", **{} may remain**", c.leftover.len())
        }
    ));
    if let Some(b) = &report.baseline {
        out.push_str(&format!(
            "Baseline: {} known failures, {} new, {} fixed.\n",
            b.known.len(),
            b.new.len(),
            b.fixed.len()
        ));
    }
    out
}

/// Text from the server made safe in a table cell: no line breaks, no
/// markup (GitHub renders HTML in Markdown), no column separators.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\n' | '\r' | '\t' => out.push(' '),
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' | '*' | '_' | '[' | ']' | '\\' | '#' | '!' => {
                out.push('\\');
                out.push(ch);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Failure;
    use crate::report::test_report as report;
    use crate::rfc::Level;

    fn case(id: &str, status: Status, actual: &str) -> CaseOutcome {
        let mut c = CaseOutcome::pending(
            id.into(),
            "a title".into(),
            "crud".into(),
            Level::Must,
            vec!["R7644-3.3-01".into()],
            "suites/crud/create.yaml:1".into(),
        );
        c.status = status;
        if status == Status::Failed {
            c.failures.push(Failure {
                step: "1 POST /Users".into(),
                subject: "status".into(),
                expected: "201".into(),
                actual: actual.into(),
            });
        }
        c
    }

    #[test]
    fn server_text_cannot_add_markup_or_columns() {
        let r = report(vec![case(
            "crud.x",
            Status::Failed,
            "<script>alert(1)</script> | ![x](http://evil)\nnext",
        )]);
        let md = render(&r);
        assert!(!md.contains("<script>"), "{md}");
        assert!(!md.contains("![x]"), "{md}");
        let row = md.lines().find(|l| l.starts_with("| `crud.x`")).unwrap();
        assert_eq!(row.matches(" | ").count(), 3, "four columns: {row}");
    }

    #[test]
    fn a_long_summary_is_cut_with_a_note_and_keeps_its_tail() {
        let cases: Vec<CaseOutcome> = (0..200)
            .map(|i| case(&format!("crud.c{i}"), Status::Failed, &"x".repeat(250)))
            .collect();
        let md = render_within(&report(cases), 8 * 1024);
        assert!(md.len() <= 8 * 1024, "{}", md.len());
        assert!(md.contains("more failures are not shown"), "{md}");
        assert!(md.contains("Cleanup: created 0"), "{md}");
    }
}
