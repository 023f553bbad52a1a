//! Results of a run as plain data: what reporters read and the JSON report
//! serializes (`reports/report.schema.json`).

use serde::{Deserialize, Serialize};

use crate::http::Exchange;
use crate::rfc::Level;

/// A case's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    Failed,
    Skipped,
    Errored,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::Errored => "errored",
        }
    }
}

/// One unmet expectation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// Which step: `2 POST /Users` or a check id.
    pub step: String,
    /// What was looked at: `status`, `header Location`, `body /id`.
    pub subject: String,
    pub expected: String,
    pub actual: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}: expected {}, got {}",
            self.step, self.subject, self.expected, self.actual
        )
    }
}

/// The outcome of one case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseOutcome {
    pub id: String,
    pub title: String,
    pub area: String,
    /// The identity-provider dialect a case checks; its failures are
    /// interoperability failures and fail the run whatever its level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub level: Level,
    pub requirements: Vec<String>,
    /// RFC sections of the requirements, e.g. `RFC 7644 §3.3`.
    pub sections: Vec<String>,
    pub status: Status,
    /// A failure the RFC's ambiguity makes a warning: it never fails the run.
    #[serde(default)]
    pub warning: bool,
    pub duration_ms: u64,
    /// One line: why it failed, errored or was skipped; empty when passed.
    pub message: String,
    #[serde(default)]
    pub failures: Vec<Failure>,
    /// A curl line reproducing the exchange that failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curl: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The server's rule that refused what the case needed to start (an
    /// errored case), as the server stated it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_by: Option<String>,
    /// Suite file and line of the case.
    pub source: String,
    #[serde(default)]
    pub exchanges: Vec<Exchange>,
}

impl CaseOutcome {
    /// A case not yet run (skipped until graded): its identity, the
    /// requirements it checks with their sections, and where it is defined.
    pub fn pending(
        id: String,
        title: String,
        area: String,
        level: Level,
        requirements: Vec<String>,
        source: String,
    ) -> CaseOutcome {
        CaseOutcome {
            sections: crate::rfc::sections(requirements.iter().map(String::as_str)),
            id,
            title,
            area,
            profile: None,
            level,
            requirements,
            status: Status::Skipped,
            warning: false,
            duration_ms: 0,
            message: String::new(),
            failures: vec![],
            curl: None,
            notes: None,
            blocked_by: None,
            source,
            exchanges: vec![],
        }
    }

    /// Whether this outcome fails a run whose threshold is `fail_on`.
    /// Errored cases count: a gate cannot pass on cases that did not run.
    pub fn fails_run(&self, fail_on: Level) -> bool {
        match self.status {
            Status::Failed => !self.warning && (self.level <= fail_on || self.profile.is_some()),
            Status::Errored => true,
            Status::Passed | Status::Skipped => false,
        }
    }
}

/// Counts by status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub errored: usize,
    /// Failed cases graded as warnings (included in `failed`).
    pub warnings: usize,
}

impl Summary {
    pub fn of(cases: &[CaseOutcome]) -> Summary {
        let mut s = Summary {
            total: cases.len(),
            ..Default::default()
        };
        for c in cases {
            match c.status {
                Status::Passed => s.passed += 1,
                Status::Failed => s.failed += 1,
                Status::Skipped => s.skipped += 1,
                Status::Errored => s.errored += 1,
            }
            if c.status == Status::Failed && c.warning {
                s.warnings += 1;
            }
        }
        s
    }
}

/// What the run created and whether it removed it all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cleanup {
    pub created: usize,
    pub deleted: usize,
    /// Resources the run created and could not delete (relative URLs, or
    /// by name when their id could not be read).
    pub leftover: Vec<String>,
    /// Creations whose id could not be read that a listing by name showed
    /// are not on the server.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub absent: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A run measured against a baseline of known failures (see `baseline`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    /// Failing cases the baseline lists.
    pub known: Vec<String>,
    /// Failing cases the baseline does not list: these fail the run.
    pub new: Vec<String>,
    /// Baseline cases that ran and passed.
    pub fixed: Vec<String>,
}

/// A whole run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub tool: String,
    pub version: String,
    /// The target's base URL (credentials are never part of it).
    pub target: String,
    pub started_at: String,
    pub duration_ms: u64,
    pub fail_on: Level,
    /// The run was stopped by a signal before every case ran.
    pub interrupted: bool,
    /// Why the run stopped early without a signal (the target stopped
    /// answering, or it could not start); the cases not run are errored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aborted: Option<String>,
    /// What the reader should know about how the run went (`--insecure`,
    /// pauses the server asked for).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub summary: Summary,
    pub cleanup: Cleanup,
    /// The run against the baseline of known failures, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Comparison>,
    /// Cases run again alone; their outcomes in `cases` are the second ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reruns: Vec<Rerun>,
    pub cases: Vec<CaseOutcome>,
}

/// A case run again alone at the end of the run, after it met a 5xx or a
/// broken connection while other cases ran beside it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rerun {
    pub id: String,
    /// What the case met (`503 to GET …`, `a broken connection on …`).
    pub cause: String,
    pub before: Status,
    pub after: Status,
}

impl RunReport {
    /// The cases that fail the run at its threshold.
    pub fn failing(&self) -> impl Iterator<Item = &CaseOutcome> {
        self.cases.iter().filter(|c| c.fails_run(self.fail_on))
    }
}
