//! The JSON report, as `reports/report.schema.json` defines it.

use crate::outcome::RunReport;

pub const REPORT_SCHEMA: &str = include_str!("../../reports/report.schema.json");

pub fn render(report: &RunReport) -> String {
    serde_json::to_string_pretty(report).expect("a report always serializes")
}
