//! `scimitar coverage`: which testable requirements the selected cases
//! check, per RFC and section; from the suites, or from a run's report
//! (then only the cases that reached a verdict count).

use std::path::PathBuf;

use clap::Args;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::Table;

use super::exit;
use super::run::SelectArgs;
use crate::coverage::{self, Coverage};

#[derive(Args, Debug)]
pub struct CoverageArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// Count the cases of this JSON report of `scimitar run` (or `events
    /// send`) that passed or failed; skipped and errored cases checked
    /// nothing (repeatable: the reports' cases are counted together).
    #[arg(long = "report", value_name = "FILE")]
    pub reports: Vec<PathBuf>,
    /// Also list every testable requirement no case checks, by section.
    #[arg(long)]
    pub unchecked: bool,
    /// Write the coverage as JSON here (`-` for standard output).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
}

/// (case id, requirement ids) of the cases that reached a verdict in a report.
fn from_report(path: &PathBuf) -> Result<Vec<(String, Vec<String>)>, String> {
    let name = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    let report: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{name}: not a JSON report: {e}"))?;
    let cases = report["cases"]
        .as_array()
        .ok_or_else(|| format!("{name}: no `cases` array: not a report of `scimitar run`"))?;
    Ok(cases
        .iter()
        .filter(|c| matches!(c["status"].as_str(), Some("passed" | "failed")))
        .filter_map(|c| {
            let ids = c["requirements"]
                .as_array()?
                .iter()
                .filter_map(|r| r.as_str().map(str::to_string))
                .collect();
            Some((c["id"].as_str()?.to_string(), ids))
        })
        .collect())
}

/// The table by RFC, then (when asked) the unchecked requirements.
pub fn render(c: &Coverage, unchecked: bool) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(["RFC", "testable", "checked", "%"]);
    for r in &c.rfcs {
        table.add_row([
            format!("RFC {}", r.rfc),
            r.testable.to_string(),
            r.checked.to_string(),
            format!("{:.1}", r.percent),
        ]);
    }
    table.add_row([
        "all".to_string(),
        c.testable.to_string(),
        c.checked.to_string(),
        format!("{:.1}", c.percent),
    ]);
    let mut out = format!("{table}\n");
    if unchecked {
        let mut section = String::new();
        for row in c.requirements.iter().filter(|r| r.cases.is_empty()) {
            let here = format!("RFC {} §{}", row.rfc, row.section);
            if here != section {
                out.push_str(&format!("{here}\n"));
                section = here;
            }
            let text: String = row.text.chars().take(110).collect();
            out.push_str(&format!("  {} {} {text}\n", row.id, row.keyword));
        }
    }
    out
}

pub fn coverage(args: CoverageArgs) -> i32 {
    let mut cases: Vec<(String, Vec<String>)> = vec![];
    for path in &args.reports {
        match from_report(path) {
            Ok(c) => cases.extend(c),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::USAGE;
            }
        }
    }
    if args.reports.is_empty() {
        match super::run::cases(&args.select) {
            Ok(c) => cases.extend(c.into_iter().map(|c| (c.id, c.requirements))),
            Err(code) => return code,
        }
    }
    let c = coverage::of(cases.iter().map(|(id, reqs)| (id.as_str(), &reqs[..])));
    match &args.json {
        Some(path) if path.as_os_str() == "-" => {
            println!("{}", serde_json::to_string_pretty(&c).unwrap_or_default());
        }
        Some(path) => {
            if let Err(e) =
                std::fs::write(path, serde_json::to_string_pretty(&c).unwrap_or_default())
            {
                eprintln!("error: cannot write {}: {e}", path.display());
                return exit::USAGE;
            }
            print!("{}", render(&c, args.unchecked));
        }
        None => print!("{}", render(&c, args.unchecked)),
    }
    exit::OK
}
