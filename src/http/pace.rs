//! Slowing down when the server asks: a 429 Too Many Requests (RFC 6585
//! §4), or a 503 with `Retry-After` (RFC 9110 §10.2.3), pauses every
//! request of the client, not only the one that was refused, for as long
//! as the server asked, up to a cap per wait and a budget per client. An
//! absurd `Retry-After` is capped, never slept.

use std::time::{Duration, Instant};

/// How long the client may pause.
#[derive(Clone, Copy, Debug)]
pub struct PaceLimits {
    /// The longest one wait, whatever `Retry-After` says.
    pub max_wait: Duration,
    /// All waits of the client together; once spent, refusals are returned as they come.
    pub budget: Duration,
    /// How often one request is sent again after a refusal.
    pub max_retries: usize,
}

impl Default for PaceLimits {
    fn default() -> Self {
        PaceLimits {
            max_wait: Duration::from_secs(10),
            budget: Duration::from_secs(120),
            max_retries: 4,
        }
    }
}

/// The shared state: until when every request waits, and what was asked.
#[derive(Debug, Default)]
pub struct Pace {
    not_before: Option<Instant>,
    /// Pause time granted so far (overlapping waits counted once).
    granted: Duration,
    asked: usize,
    capped: Vec<String>,
    spent: bool,
}

/// The wait a `Retry-After` value asks for: delay-seconds, or an HTTP-date
/// measured against `now` (a date in the past asks for none). None when
/// the value is neither.
pub fn retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = date.with_timezone(&chrono::Utc) - now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

impl Pace {
    /// The instant a new request must wait for, if any.
    pub fn wait_until(&self) -> Option<Instant> {
        self.not_before.filter(|t| *t > Instant::now())
    }

    /// Notes a refusal asking for `asked` (None: no usable `Retry-After`,
    /// a second is assumed); true when the request should be sent again
    /// after the shared pause, false when the budget is spent.
    pub fn refused(
        &mut self,
        asked: Option<Duration>,
        raw: Option<&str>,
        limits: &PaceLimits,
    ) -> bool {
        self.refused_at(Instant::now(), asked, raw, limits)
    }

    fn refused_at(
        &mut self,
        now: Instant,
        asked: Option<Duration>,
        raw: Option<&str>,
        limits: &PaceLimits,
    ) -> bool {
        self.asked += 1;
        let mut wait = asked.unwrap_or(Duration::from_secs(1));
        if wait > limits.max_wait {
            let note = raw.unwrap_or("?").chars().take(40).collect::<String>();
            if self.capped.len() < 5 && !self.capped.contains(&note) {
                self.capped.push(note);
            }
            wait = limits.max_wait;
        }
        let start = self.not_before.filter(|t| *t > now).unwrap_or(now);
        let until = (now + wait).max(start);
        let extra = until - start;
        if self.granted + extra > limits.budget {
            self.spent = true;
            return false;
        }
        self.granted += extra;
        self.not_before = Some(until);
        true
    }

    /// What happened, for the report: nothing when the server never asked.
    pub fn notes(&self, limits: &PaceLimits) -> Vec<String> {
        let mut notes = vec![];
        if self.asked == 0 {
            return notes;
        }
        notes.push(format!(
            "the server asked the run to slow down {} time(s) (429, or 503 with Retry-After); every request paused {:.1} s in all",
            self.asked,
            self.granted.as_secs_f64()
        ));
        if !self.capped.is_empty() {
            notes.push(format!(
                "Retry-After {} capped at {} s",
                self.capped.join(", "),
                limits.max_wait.as_secs()
            ));
        }
        if self.spent {
            notes.push(format!(
                "the pause budget of {} s was spent: later refusals were taken as they came",
                limits.budget.as_secs()
            ));
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_seconds_or_a_date() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            retry_after("Thu, 03 Dec 2026 10:00:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            retry_after("Thu, 03 Dec 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-1", now), None);
    }

    #[test]
    fn waits_are_capped_shared_and_budgeted() {
        let limits = PaceLimits {
            max_wait: Duration::from_secs(10),
            budget: Duration::from_secs(25),
            max_retries: 4,
        };
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut p = Pace::default();
        assert!(p.refused_at(t0, Some(s(999_999_999)), Some("999999999"), &limits));
        assert_eq!(p.not_before, Some(t0 + s(10)), "capped, never slept");
        // A refusal while the pause runs extends it, it does not add to it.
        assert!(p.refused_at(t0 + s(1), Some(s(2)), Some("2"), &limits));
        assert_eq!((p.not_before, p.granted), (Some(t0 + s(10)), s(10)));
        assert!(p.refused_at(t0 + s(5), Some(s(10)), Some("10"), &limits));
        assert_eq!((p.not_before, p.granted), (Some(t0 + s(15)), s(15)));
        // No Retry-After: a second.
        assert!(p.refused_at(t0 + s(20), None, None, &limits));
        assert_eq!(p.granted, s(16));
        // 25 s of budget: a full wait more would pass it.
        assert!(!p.refused_at(t0 + s(30), Some(s(10)), Some("10"), &limits));
        assert_eq!(p.granted, s(16));
        let notes = p.notes(&limits).join("\n");
        assert!(notes.contains("5 time(s)"), "{notes}");
        assert!(
            notes.contains("Retry-After 999999999 capped at 10 s"),
            "{notes}"
        );
        assert!(notes.contains("budget of 25 s was spent"), "{notes}");
        assert!(Pace::default().notes(&limits).is_empty());
    }
}
