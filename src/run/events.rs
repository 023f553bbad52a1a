//! Events steps: wait for the SCIM events (RFC 9967) about one resource that
//! the case's operations must have caused, then check them: every SET about
//! the resource valid (its MUST problems, or SHOULD ones too when asked),
//! each expected event present with its version and payload, the absent
//! ones missing, one txn for one change, and what delivery probes found.

use std::time::{Duration, Instant};

use super::exec::{CaseRun, Stop};
use super::template::Vars;
pub(super) use crate::discover::is_event;
use crate::events::{Inbox, Received};
use crate::outcome::Failure;
use crate::rfc::Level;
use crate::scim::set::event::PREFIX;
use crate::scim::set::{Event, PayloadMode};
use crate::suite::{EventsStep, ExpectedEvent};

/// How long the step waits, after the expected events came, for events
/// that must not come.
const SETTLE: Duration = Duration::from_millis(700);

/// Whether an event's payload names an attribute, as `data` (full mode)
/// or in `attributes` (notice mode), without regard to case (RFC 7643 §2.1).
fn mentions(event: &Event, attr: &str) -> bool {
    let attr = attr.to_ascii_lowercase();
    let in_data = event
        .data()
        .is_some_and(|d| d.keys().any(|k| k.to_ascii_lowercase() == attr));
    let in_list = event.attributes().is_some_and(|list| {
        list.iter().any(|a| {
            let a = a.to_ascii_lowercase();
            a == attr || a.starts_with(&format!("{attr}.")) || a.starts_with(&format!("{attr}["))
        })
    });
    in_data || in_list
}

/// What is wrong with the first event named `want` in this SET, if any;
/// None when the SET has no such event.
fn judge(r: &Received, want: &ExpectedEvent, version: Option<&str>) -> Option<Result<(), String>> {
    let set = r.set.as_ref()?;
    let event = set.events.iter().find(|e| is_event(&e.uri, &want.event))?;
    let mut wrong = vec![];
    // version is not required of an event, but when given it is the ETag
    // of the result (RFC 9967 §2.2).
    if let (Some(v), Some(got)) = (version, event.version()) {
        if got != v {
            wrong.push(format!("version {got:?}, not the resource's ETag {v:?}"));
        }
    }
    if let Some(attr) = &want.mentions {
        if !mentions(event, attr) {
            wrong.push(format!(
                "a payload that names {attr} (in data or attributes), not {}",
                serde_json::Value::Object(event.payload.clone())
            ));
        }
    }
    if want.no_payload && event.payload_mode() != PayloadMode::None {
        wrong.push(format!(
            "no data or attributes, but {}",
            serde_json::Value::Object(event.payload.clone())
        ));
    }
    Some(if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; "))
    })
}

impl CaseRun<'_, '_> {
    pub(super) async fn events_step(&mut self, n: usize, step: &EventsStep) -> Result<(), Stop> {
        let inbox = self
            .ctx
            .events
            .ok_or_else(|| Stop::Skipped("the run receives no events".into()))?;
        let label = format!("step {n} events");
        let errored = |m: String| Stop::Errored(format!("{label}: {m}"));
        let subject = self.vars.render_text(&step.events).map_err(&errored)?;
        let mut versions = vec![];
        for want in &step.expect {
            let v = match &want.version {
                Some(v) => version(&mut self.vars, v).map_err(&errored)?,
                None => None,
            };
            versions.push(v);
        }
        let deadline = Instant::now() + inbox.patience();
        let fits = |r: &Received, i: usize| {
            r.about(&subject)
                && matches!(
                    judge(r, &step.expect[i], versions[i].as_deref()),
                    Some(Ok(()))
                )
        };
        let all_came = inbox
            .wait_until(deadline, |got| {
                (0..step.expect.len()).all(|i| got.iter().any(|r| fits(r, i)))
            })
            .await;
        let mut failures = vec![];
        let mut fail = |subject_: String, expected: String, actual: String| {
            failures.push(Failure {
                step: label.clone(),
                subject: subject_,
                expected,
                actual,
            })
        };
        let received = inbox.received();
        let about: Vec<&Received> = received.iter().filter(|r| r.about(&subject)).collect();
        if !all_came {
            for (i, want) in step.expect.iter().enumerate() {
                if about.iter().any(|r| fits(r, i)) {
                    continue;
                }
                let near = about
                    .iter()
                    .rev()
                    .find_map(|r| judge(r, want, versions[i].as_deref()));
                let actual = match near {
                    Some(Err(why)) => why,
                    _ => format!(
                        "none within {} s; the SETs about {subject}: [{}]",
                        inbox.patience().as_secs(),
                        summary(&about)
                    ),
                };
                fail(
                    format!("{} event", want.event),
                    format!("a {PREFIX}{} SET about {subject}", want.event),
                    actual,
                );
            }
        }
        // Level orders MUST first: the problems up to the weakest one wanted.
        let weakest = if step.recommended {
            Level::Should
        } else {
            Level::Must
        };
        for r in &about {
            for p in r.problems.iter().filter(|p| p.level <= weakest) {
                fail(
                    format!("SET {}", jti(r)),
                    format!("{} ({})", p.requirement, p.level),
                    p.message.clone(),
                );
            }
        }
        if step.same_txn && all_came {
            let txns: Vec<Option<String>> = (0..step.expect.len())
                .filter_map(|i| about.iter().find(|r| fits(r, i)))
                .map(|r| r.set.as_ref().and_then(|s| s.txn.clone()))
                .collect();
            let first = &txns[0];
            if txns.iter().any(|t| t != first) {
                fail(
                    "txn".into(),
                    "one txn for the SETs of one change (RFC 9967 §2.2)".into(),
                    format!("{txns:?}"),
                );
            }
        }
        if step.listed {
            let listed: Vec<String> = self
                .ctx
                .caps
                .spc
                .as_ref()
                .and_then(|s| s.pointer("/securityEvents/eventUris"))
                .and_then(serde_json::Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|u| u.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let mut unlisted: Vec<String> = about
                .iter()
                .filter_map(|r| r.set.as_ref())
                .flat_map(|s| s.events.iter().map(|e| e.uri.clone()))
                .filter(|u| step.expect.iter().any(|w| is_event(u, &w.event)))
                .filter(|u| !listed.contains(u))
                .collect();
            unlisted.sort();
            unlisted.dedup();
            if !unlisted.is_empty() {
                fail(
                    "eventUris".into(),
                    "every event URI delivered listed in securityEvents.eventUris (RFC 9967 §4)"
                        .into(),
                    format!("not listed: {}", unlisted.join(", ")),
                );
            }
        }
        if !step.absent.is_empty() {
            let unwanted = |r: &Received| {
                r.about(&subject)
                    && r.set.as_ref().is_some_and(|s| {
                        s.events
                            .iter()
                            .any(|e| step.absent.iter().any(|a| is_event(&e.uri, a)))
                    })
            };
            let settle = Instant::now() + SETTLE;
            if inbox
                .wait_until(settle, |got| got.iter().any(unwanted))
                .await
            {
                let got: Vec<Received> = inbox.received().into_iter().filter(unwanted).collect();
                fail(
                    "absent events".into(),
                    format!("no {} event about {subject}", step.absent.join(" or ")),
                    summary(&got.iter().collect::<Vec<_>>()),
                );
            }
        }
        let fact = match &step.fact {
            None => None,
            Some(name) => Some((name.as_str(), self.fact(inbox, name).await?)),
        };
        self.delivery_checks(inbox, step, fact, &mut fail).await;
        if failures.is_empty() {
            Ok(())
        } else {
            Err(Stop::Failed(failures, None))
        }
    }

    /// What the delivery probe established of `name`, waiting up to the
    /// inbox's patience; skipped when the probe recorded `<name>.untestable`
    /// (say, the run polls without credentials).
    async fn fact(&self, inbox: &Inbox, name: &str) -> Result<Option<bool>, Stop> {
        let marker = format!("{name}.untestable");
        let deadline = Instant::now() + inbox.patience();
        match inbox.wait_facts(&[name, marker.as_str()], deadline).await {
            Some((found, true)) if found == marker => Err(Stop::Skipped(format!(
                "the delivery probe could not establish {name} against this endpoint (it asks for credentials the run does not send, or none at all)"
            ))),
            Some((_, value)) => Ok(Some(value)),
            None => Ok(None),
        }
    }

    async fn delivery_checks(
        &self,
        inbox: &Inbox,
        step: &EventsStep,
        fact: Option<(&str, Option<bool>)>,
        fail: &mut impl FnMut(String, String, String),
    ) {
        if !step.delivery.is_empty() {
            // What follows the expected events, a retransmission say, has
            // the settle window to show.
            tokio::time::sleep(SETTLE).await;
        }
        for p in inbox
            .delivery_problems()
            .iter()
            .filter(|p| step.delivery.contains(&p.requirement))
        {
            fail(
                "delivery".into(),
                format!("{} ({})", p.requirement, p.level),
                p.message.clone(),
            );
        }
        if let Some((fact, established)) = fact {
            match established {
                Some(true) => {}
                other => fail(
                    fact.to_string(),
                    "established by the delivery probe".into(),
                    match other {
                        Some(_) => "the probe found the opposite".into(),
                        None => format!("not established within {} s", inbox.patience().as_secs()),
                    },
                ),
            }
        }
    }
}

/// The version an event must carry: None when a value the template reads
/// is absent or null, as `meta.version` may be (RFC 7643 §3.1 makes
/// versions optional), so that no version is expected; an unknown variable
/// is still an error.
fn version(vars: &mut Vars<'_>, template: &str) -> Result<Option<String>, String> {
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let expr = after[..end].trim();
        if let Some((name, pointer)) = expr.split_once('/') {
            let value = vars.lookup(name)?;
            if value
                .pointer(&format!("/{pointer}"))
                .is_none_or(serde_json::Value::is_null)
            {
                return Ok(None);
            }
        }
        rest = &after[end + 2..];
    }
    vars.render_text(template).map(Some)
}

fn jti(r: &Received) -> String {
    r.set
        .as_ref()
        .map_or_else(|| "(unreadable)".into(), |s| s.jti.clone())
}

/// The events of these SETs, for a message.
fn summary(sets: &[&Received]) -> String {
    sets.iter()
        .map(|r| match &r.set {
            Some(s) => s
                .events
                .iter()
                .map(|e| e.uri.trim_start_matches(PREFIX).to_string())
                .collect::<Vec<_>>()
                .join("+"),
            None => "(unreadable SET)".into(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_read_from_an_absent_value_expects_none() {
        let counter = std::sync::atomic::AtomicU64::new(0);
        let mut vars = Vars::new("run", &counter);
        vars.set(
            "alice",
            serde_json::json!({"id": "1", "meta": {"version": "W/\"2\""}}),
        );
        vars.set(
            "bob",
            serde_json::json!({"id": "2", "meta": {"version": null}}),
        );
        vars.set("carol", serde_json::json!({"id": "3"}));
        let got = |vars: &mut Vars<'_>, t: &str| version(vars, t);
        assert_eq!(
            got(&mut vars, "{{alice/meta/version}}"),
            Ok(Some("W/\"2\"".into()))
        );
        assert_eq!(got(&mut vars, "{{bob/meta/version}}"), Ok(None));
        assert_eq!(got(&mut vars, "{{carol/meta/version}}"), Ok(None));
        assert_eq!(
            got(&mut vars, "W/\"{{alice/id}}\""),
            Ok(Some("W/\"1\"".into()))
        );
        assert!(got(&mut vars, "{{dave/meta/version}}").is_err());
    }
}
