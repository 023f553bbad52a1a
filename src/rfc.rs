//! The catalog of normative RFC sentences (`suites/requirements.tsv`, a copy of
//! `shared/rfc/requirements.tsv`) and RFC 2119 requirement levels.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The strength of a requirement (RFC 2119), strongest first in `Ord`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    #[serde(rename = "MUST")]
    Must,
    #[serde(rename = "SHOULD")]
    Should,
    #[serde(rename = "MAY")]
    May,
}

impl Level {
    /// The level of an RFC 2119 keyword as the catalog spells it.
    pub fn of_keyword(keyword: &str) -> Option<Level> {
        match keyword {
            "MUST" | "MUST NOT" | "SHALL" | "SHALL NOT" | "REQUIRED" => Some(Level::Must),
            "SHOULD" | "SHOULD NOT" | "RECOMMENDED" | "NOT RECOMMENDED" => Some(Level::Should),
            "MAY" | "OPTIONAL" => Some(Level::May),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s.to_ascii_lowercase().as_str() {
            "must" => Some(Level::Must),
            "should" => Some(Level::Should),
            "may" => Some(Level::May),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One normative sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub id: String,
    pub rfc: String,
    pub section: String,
    pub keyword: String,
    pub text: String,
}

impl Requirement {
    pub fn level(&self) -> Option<Level> {
        Level::of_keyword(&self.keyword)
    }

    /// "RFC 7644 §3.3".
    pub fn citation(&self) -> String {
        format!("RFC {} §{}", self.rfc, self.section)
    }
}

const CATALOG: &str = include_str!("../suites/requirements.tsv");

/// The sections the catalog's requirements cite ("RFC 7644 §3.3"), each
/// once, in the order first cited; ids not in the catalog cite nothing.
pub fn sections<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let catalog = catalog();
    let mut sections: Vec<String> = Vec::new();
    for citation in ids
        .into_iter()
        .filter_map(|id| catalog.get(id).map(Requirement::citation))
    {
        if !sections.contains(&citation) {
            sections.push(citation);
        }
    }
    sections
}

/// Every requirement, by id.
pub fn catalog() -> &'static HashMap<String, Requirement> {
    static MAP: OnceLock<HashMap<String, Requirement>> = OnceLock::new();
    MAP.get_or_init(|| {
        CATALOG
            .lines()
            .skip(1)
            .filter_map(|line| {
                let cols: Vec<&str> = line.split('\t').collect();
                (cols.len() >= 7).then(|| Requirement {
                    id: cols[0].to_string(),
                    rfc: cols[1].to_string(),
                    section: cols[2].to_string(),
                    keyword: cols[4].to_string(),
                    text: cols[6].to_string(),
                })
            })
            .map(|r| (r.id.clone(), r))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_complete_and_levels_map() {
        let c = catalog();
        assert_eq!(c.len(), 593);
        let r = &c["R7644-3.3-07"];
        assert_eq!(r.citation(), "RFC 7644 §3.3");
        assert_eq!(r.level(), Some(Level::Must));
        assert_eq!(c["R7644-8.1-01"].level(), Some(Level::Should));
        assert!(Level::Must < Level::Should && Level::Should < Level::May);
    }

    #[test]
    fn the_copy_matches_the_shared_catalog() {
        let shared = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/rfc/requirements.tsv"
        );
        if let Ok(text) = std::fs::read_to_string(shared) {
            assert_eq!(
                text, CATALOG,
                "suites/requirements.tsv is stale: copy shared/rfc/requirements.tsv"
            );
        }
    }
}
