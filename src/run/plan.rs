//! Selecting the cases of a run: by area and by case-id substring.

use crate::suite::Case;

/// Which cases to run.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub areas: Vec<String>,
    /// Case-id substrings; a case matching any is kept.
    pub ids: Vec<String>,
}

impl Selection {
    pub fn keeps(&self, case: &Case) -> bool {
        (self.areas.is_empty() || self.areas.iter().any(|a| a == &case.area))
            && (self.ids.is_empty() || self.ids.iter().any(|s| case.id.contains(s.as_str())))
    }

    pub fn apply(&self, cases: Vec<Case>) -> Vec<Case> {
        cases.into_iter().filter(|c| self.keeps(c)).collect()
    }
}
