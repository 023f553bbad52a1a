//! How much of the standard the cases check: the testable requirements
//! (`suites/testable.tsv`, class T: server-side MUST/SHOULD sentences a
//! black-box test can check) against the requirement ids cases cite, per
//! RFC and section. Pure: cases in, a [`Coverage`] out.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Serialize;

use crate::rfc;

const TESTABLE: &str = include_str!("../suites/testable.tsv");

/// The ids of the testable (class T) requirements, in catalog order.
pub fn testable() -> &'static [String] {
    static IDS: OnceLock<Vec<String>> = OnceLock::new();
    IDS.get_or_init(|| {
        TESTABLE
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut cols = line.split('\t');
                let id = cols.next()?;
                (cols.next()? == "T").then(|| id.to_string())
            })
            .collect()
    })
}

/// One testable requirement and the cases that cite it.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub id: String,
    pub rfc: String,
    pub section: String,
    pub keyword: String,
    pub text: String,
    pub cases: Vec<String>,
}

/// One RFC's share.
#[derive(Clone, Debug, Serialize)]
pub struct RfcShare {
    pub rfc: String,
    pub testable: usize,
    pub checked: usize,
    pub percent: f64,
}

/// The whole picture.
#[derive(Clone, Debug, Serialize)]
pub struct Coverage {
    pub testable: usize,
    pub checked: usize,
    pub percent: f64,
    pub rfcs: Vec<RfcShare>,
    pub requirements: Vec<Row>,
}

fn percent(checked: usize, of: usize) -> f64 {
    if of == 0 {
        100.0
    } else {
        (checked as f64 * 1000.0 / of as f64).round() / 10.0
    }
}

/// The coverage of cases given as (case id, requirement ids it cites).
pub fn of<'a>(cases: impl IntoIterator<Item = (&'a str, &'a [String])>) -> Coverage {
    let mut citing: HashMap<&str, Vec<String>> = HashMap::new();
    for (case, ids) in cases {
        for id in ids {
            let list = citing.entry(id.as_str()).or_default();
            if !list.iter().any(|c| c == case) {
                list.push(case.to_string());
            }
        }
    }
    let catalog = rfc::catalog();
    let mut rows = vec![];
    for id in testable() {
        let Some(r) = catalog.get(id) else { continue };
        let mut cases = citing.get(id.as_str()).cloned().unwrap_or_default();
        cases.sort();
        rows.push(Row {
            id: id.clone(),
            rfc: r.rfc.clone(),
            section: r.section.clone(),
            keyword: r.keyword.clone(),
            text: r.text.clone(),
            cases,
        });
    }
    let mut by_rfc: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for row in &rows {
        let e = by_rfc.entry(row.rfc.as_str()).or_default();
        e.0 += 1;
        e.1 += usize::from(!row.cases.is_empty());
    }
    let rfcs = by_rfc
        .into_iter()
        .map(|(rfc, (testable, checked))| RfcShare {
            rfc: rfc.to_string(),
            testable,
            checked,
            percent: percent(checked, testable),
        })
        .collect();
    let checked = rows.iter().filter(|r| !r.cases.is_empty()).count();
    Coverage {
        testable: rows.len(),
        checked,
        percent: percent(checked, rows.len()),
        rfcs,
        requirements: rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_testable_rows_are_in_the_catalog() {
        let ids = testable();
        assert!(ids.len() > 200, "{}", ids.len());
        let catalog = rfc::catalog();
        assert!(ids.iter().all(|id| catalog.contains_key(id)));
    }

    #[test]
    fn cases_count_once_per_requirement_and_others_are_ignored() {
        let first = testable()[0].clone();
        let a = [first.clone(), "R-not-testable".to_string()];
        let b = [first.clone()];
        let c = of([("a", &a[..]), ("b", &b[..]), ("a", &a[..])]);
        assert_eq!(c.checked, 1);
        let row = c.requirements.iter().find(|r| r.id == first).unwrap();
        assert_eq!(row.cases, vec!["a", "b"]);
        assert_eq!(c.testable, testable().len());
        let none = of(std::iter::empty());
        assert_eq!(none.checked, 0);
        assert!(none.requirements.iter().all(|r| r.cases.is_empty()));
    }

    #[test]
    fn the_copy_matches_the_shared_table() {
        let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/rfc/testable.tsv");
        if let Ok(text) = std::fs::read_to_string(shared) {
            assert_eq!(
                text, TESTABLE,
                "suites/testable.tsv is stale: copy shared/rfc/testable.tsv"
            );
        }
    }
}
