//! Selecting the cases of a run: by area, by case-id substring, and by
//! identity-provider profile.

use crate::suite::Case;

/// Which cases to run.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub areas: Vec<String>,
    /// Case-id substrings; a case matching any is kept.
    pub ids: Vec<String>,
    /// Identity-provider profiles whose dialect cases run (strict RFC cases always do).
    pub profiles: Vec<String>,
}

impl Selection {
    pub fn keeps(&self, case: &Case) -> bool {
        (self.areas.is_empty() || self.areas.iter().any(|a| a == &case.area))
            && (self.ids.is_empty() || self.ids.iter().any(|s| case.id.contains(s.as_str())))
            && case
                .profile
                .as_ref()
                .is_none_or(|p| self.profiles.contains(p))
    }

    pub fn apply(&self, cases: Vec<Case>) -> Vec<Case> {
        cases.into_iter().filter(|c| self.keeps(c)).collect()
    }
}
