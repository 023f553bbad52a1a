//! What a fuzzing run found, as data ([`FuzzReport`], serialised for
//! `--json`), and its console rendering: each violation with its invariant,
//! requirement ids, level, the shrunk request's curl line and reproducer.

use std::collections::BTreeMap;

use serde::Serialize;

use super::request::{cut, FuzzRequest};
use crate::http::{Exchange, Response};
use crate::outcome::Cleanup;
use crate::rfc::Level;

/// One broken invariant, shrunk.
#[derive(Clone, Debug, Serialize)]
pub struct Violation {
    /// The reproducer's case id (`robustness.no-5xx.1`), once written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    pub invariant: &'static str,
    pub title: &'static str,
    pub level: Level,
    pub requirements: Vec<&'static str>,
    /// The family of the request that first broke it.
    pub family: &'static str,
    pub message: String,
    /// The shrunk request.
    pub request: FuzzRequest,
    /// The request as first generated, when shrinking changed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original: Option<String>,
    pub shrink_steps: usize,
    /// Later requests of the same family that broke the same invariant.
    pub repeats: u64,
    pub curl: String,
    /// The shrunk request's exchange, secrets redacted.
    pub exchange: Exchange,
    /// The reproducer file, once written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Why no reproducer was written, or a doubt about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For schema-conformance reproducers: (pointer, JSON type declared).
    #[serde(skip)]
    pub types: Vec<(String, &'static str)>,
    /// For alive: the resource type whose list the liveness probe read
    /// (`{endpoint}?count=1`, when discovery found no ServiceProviderConfig);
    /// None when it read /ServiceProviderConfig.
    #[serde(skip)]
    pub probe: Option<String>,
    /// What came back, to check a reproducer against.
    #[serde(skip)]
    pub response: Option<Response>,
}

/// A whole run.
#[derive(Clone, Debug, Serialize)]
pub struct FuzzReport {
    pub tool: &'static str,
    pub version: &'static str,
    /// The base URL, secrets redacted.
    pub target: String,
    pub seed: u64,
    pub started_at: String,
    pub duration_ms: u64,
    /// Every request sent: generated, fixtures, shrinking, probes, cleanup.
    pub requests: u64,
    /// Generated requests sent, by family.
    pub generated: BTreeMap<&'static str, u64>,
    pub violations: Vec<Violation>,
    pub cleanup: Cleanup,
    /// Why the run ended: duration, max-requests, interrupted, target-down, no-resource-types.
    pub stopped: &'static str,
    /// Requests that got an answer, whatever its status: none means the
    /// target never answered, which is no clean run.
    pub answers: u64,
    pub interrupted: bool,
}

impl FuzzReport {
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The console report.
    pub fn console(&self) -> String {
        let mut out = String::new();
        let total: u64 = self.generated.values().sum();
        for v in &self.violations {
            let id = v
                .case_id
                .clone()
                .unwrap_or_else(|| format!("robustness.{}", v.invariant));
            out.push_str(&format!(
                "✗ {id}  [{} {}] {}\n",
                v.level.as_str(),
                v.requirements.join(", "),
                v.title
            ));
            out.push_str(&format!("    {}\n", v.message));
            out.push_str(&format!("    request: {}\n", v.request.summary(160)));
            if let Some(o) = &v.original {
                out.push_str(&format!(
                    "    shrunk in {} steps from: {o}\n",
                    v.shrink_steps
                ));
            }
            if v.repeats > 0 {
                out.push_str(&format!(
                    "    and {} more {} requests broke it\n",
                    v.repeats, v.family
                ));
            }
            out.push_str(&format!("    {}\n", cut(&v.curl, 600)));
            match (&v.file, &v.note) {
                (Some(f), Some(n)) => out.push_str(&format!("    reproducer: {f} ({n})\n")),
                (Some(f), None) => out.push_str(&format!("    reproducer: {f}\n")),
                (None, Some(n)) => out.push_str(&format!("    no reproducer: {n}\n")),
                (None, None) => {}
            }
            out.push('\n');
        }
        let families: Vec<String> = self
            .generated
            .iter()
            .map(|(f, n)| format!("{f} {n}"))
            .collect();
        out.push_str(&format!(
            "fuzzed {} with seed {}: {total} generated requests ({}) and {} in all in {:.1} s; stopped: {}\n",
            self.target,
            self.seed,
            families.join(", "),
            self.requests,
            self.duration_ms as f64 / 1000.0,
            self.stopped
        ));
        out.push_str(&format!(
            "{} violation{}; created {}, deleted {}, left over {}{}\n",
            self.violations.len(),
            if self.violations.len() == 1 { "" } else { "s" },
            self.cleanup.created,
            self.cleanup.deleted,
            self.cleanup.leftover.len(),
            if self.cleanup.leftover.is_empty() {
                String::new()
            } else {
                format!(": {}", self.cleanup.leftover.join(", "))
            }
        ));
        out
    }
}
