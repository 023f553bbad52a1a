//! Baselines for CI gates: the failures already known for a target. With a
//! baseline, only failures outside it fail the run; known ones are listed,
//! and known ones that now pass are reported as fixed.
//!
//! A baseline file is a list of case ids, one a line (`#` starts a comment,
//! and anything after the id on a line is ignored), or a JSON report of an
//! earlier run, whose failing cases are taken.

use std::collections::BTreeSet;

use serde_json::Value;

pub use crate::outcome::Comparison;
use crate::outcome::{RunReport, Status};

/// The known failures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    pub ids: BTreeSet<String>,
}

impl Baseline {
    /// Reads a baseline from the text of a file; `name` places errors.
    pub fn parse(name: &str, text: &str) -> Result<Baseline, String> {
        if text.trim_start().starts_with('{') {
            let report: Value = serde_json::from_str(text)
                .map_err(|e| format!("{name}: not a JSON report: {e}"))?;
            let cases = report["cases"]
                .as_array()
                .ok_or_else(|| format!("{name}: a JSON report needs a `cases` array"))?;
            let ids = cases
                .iter()
                .filter(|c| c["status"] == "failed" && c["warning"] != true)
                .filter_map(|c| c["id"].as_str().map(str::to_string))
                .collect();
            return Ok(Baseline { ids });
        }
        let mut ids = BTreeSet::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some(id) = line.split_whitespace().next() else {
                continue;
            };
            if id.chars().any(|c| c.is_control()) {
                return Err(format!("{name}:{}: `{id}` is not a case id", n + 1));
            }
            ids.insert(id.to_string());
        }
        Ok(Baseline { ids })
    }

    /// Which failures of the run are known, which are new, which known ones passed.
    pub fn compare(&self, report: &RunReport) -> Comparison {
        let mut c = Comparison::default();
        for case in &report.cases {
            let listed = self.ids.contains(&case.id);
            if case.fails_run(report.fail_on) {
                if listed {
                    c.known.push(case.id.clone());
                } else {
                    c.new.push(case.id.clone());
                }
            } else if listed && case.status == Status::Passed {
                c.fixed.push(case.id.clone());
            }
        }
        c
    }
}

/// The failing cases of a run as a baseline file.
pub fn render(report: &RunReport) -> String {
    let mut out = format!(
        "# scimitar baseline: the failures known for {}\n",
        report.target
    );
    for case in report.failing() {
        out.push_str(&format!("{}  # {}\n", case.id, case.title));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_id_lists_and_json_reports() {
        let b = Baseline::parse("b.txt", "# known\ncrud.a  # why\n\n  errors.b\n").unwrap();
        assert_eq!(b.ids.iter().collect::<Vec<_>>(), ["crud.a", "errors.b"]);
        let json = r#"{"cases": [{"id": "x", "status": "failed", "warning": false},
                                 {"id": "w", "status": "failed", "warning": true},
                                 {"id": "p", "status": "passed", "warning": false}]}"#;
        let b = Baseline::parse("r.json", json).unwrap();
        assert_eq!(b.ids.iter().collect::<Vec<_>>(), ["x"]);
        let e = Baseline::parse("r.json", "{ nope").unwrap_err();
        assert!(e.starts_with("r.json: not a JSON report"), "{e}");
    }
}
