//! The SETs a run has received, each parsed, verified and validated once
//! on arrival, and the problems seen in how they were delivered. Cases wait
//! on it for the events their operations must cause.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;
use tokio::sync::Notify;

use super::Trust;
use crate::rfc::Level;
use crate::scim::set::{rejection, validate, ErrorCode, ParseError, Set, Token, VerifyError};

/// SETs kept at most in one run; beyond it further SETs are refused, so a
/// transmitter cannot make the run hold more.
pub const MAX_KEPT: usize = 10_000;

/// The requirement of a delivery problem that is no requirement's failure
/// but something the run should mention (a poll answered 503, a full
/// inbox, a push with the wrong token). No case lists it, so it fails none.
pub const NOTE: &str = "note";

/// How a SET arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    Push,
    Poll,
}

/// A broken rule: of a SET, or of its delivery.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Problem {
    /// The requirement id (`R9967-2.1-03`).
    pub requirement: String,
    pub level: Level,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.requirement, self.level, self.message)
    }
}

/// One SET as received.
#[derive(Clone, Debug)]
pub struct Received {
    pub via: Via,
    pub at: Instant,
    /// The compact token as it came.
    pub raw: String,
    /// The typed view, when the claims have one.
    pub set: Option<Set>,
    /// What is wrong with it.
    pub problems: Vec<Problem>,
}

impl Received {
    /// Whether the SET is about this subject: its `sub_id.uri` is the
    /// relative path (RFC 9967 §2.1), or ends with it.
    pub fn about(&self, uri: &str) -> bool {
        self.set
            .as_ref()
            .and_then(|s| s.sub_id.as_ref())
            .is_some_and(|sub| sub.uri == uri || sub.uri.ends_with(uri) && !uri.is_empty())
    }
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    /// jti -> the index in `received` of the SET first received with it.
    jtis: HashMap<String, usize>,
    /// Retransmissions of a SET already received (RFC 8935 §2 allows them).
    repeats: usize,
    delivery: Vec<Problem>,
    /// What delivery probes established (`poll.redelivery` -> true).
    facts: HashMap<String, bool>,
}

/// Everything received during a run.
pub struct Inbox {
    trust: Trust,
    patience: std::time::Duration,
    state: Mutex<State>,
    arrived: Notify,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox")
            .field("received", &self.state().received.len())
            .finish()
    }
}

impl Inbox {
    pub fn new(trust: Trust) -> Inbox {
        Inbox {
            trust,
            patience: std::time::Duration::from_secs(10),
            state: Mutex::default(),
            arrived: Notify::new(),
        }
    }

    /// How long cases wait for an event: `--events-wait`.
    pub fn with_patience(mut self, patience: std::time::Duration) -> Inbox {
        self.patience = patience;
        self
    }

    pub fn patience(&self) -> std::time::Duration {
        self.patience
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Parses, verifies and validates a SET and keeps it (invalid ones too,
    /// so cases can report them). The error is the RFC 8935 §2.3 answer
    /// when the SET must be refused.
    pub fn accept(&self, raw: &str, via: Via) -> Result<(), (ErrorCode, String)> {
        let raw = raw.trim();
        self.accept_parsed(raw, Token::parse(raw), via)
    }

    /// [`Inbox::accept`] of a token already parsed from `raw` (trimmed),
    /// for a caller that looked into it first.
    pub fn accept_parsed(
        &self,
        raw: &str,
        parsed: Result<Token, ParseError>,
        via: Via,
    ) -> Result<(), (ErrorCode, String)> {
        if self.state().received.len() >= MAX_KEPT {
            return self.refuse_full();
        }
        let mut problems = vec![];
        let mut refusal = None;
        let mut set = None;
        match parsed {
            Err(e) => {
                problems.push(Problem {
                    requirement: "R8935-2.1-02".into(),
                    level: Level::Must,
                    message: format!("not a JWT: {e}"),
                });
                refusal = Some((ErrorCode::InvalidRequest, e.to_string()));
            }
            Ok(token) => {
                if let Err(e) = token.verify(&self.trust.keys, self.trust.unsigned) {
                    problems.push(Problem {
                        requirement: e.requirement().into(),
                        level: verify_level(&e),
                        message: e.to_string(),
                    });
                    refusal = Some((e.error_code(), e.to_string()));
                }
                let violations = validate(&token, &self.trust.expect);
                if refusal.is_none() {
                    refusal = rejection(&violations).map(|v| (v.code(), v.to_string()));
                }
                problems.extend(violations.iter().map(|v| Problem {
                    requirement: v.id().into(),
                    level: v.level(),
                    message: v.message.clone(),
                }));
                set = Set::from_token(&token).ok();
            }
        }
        let mut state = self.state();
        if state.received.len() >= MAX_KEPT {
            // Filled up by another request in the meantime.
            drop(state);
            return self.refuse_full();
        }
        if let Some(jti) = set.as_ref().map(|s| s.jti.clone()) {
            match state.jtis.get(&jti).copied() {
                // A retransmission: answered as if new (RFC 8935 §2), kept once.
                Some(first) if state.received[first].raw == raw => {
                    state.repeats += 1;
                    let acknowledged = refusal.is_none() && state.received[first].via == Via::Push;
                    if acknowledged && via == Via::Push {
                        let problem = Problem {
                            requirement: "R8935-2-09".into(),
                            level: Level::Should,
                            message: format!(
                                "jti {jti:?} was pushed again after the receiver acknowledged it with 202"
                            ),
                        };
                        if !state.delivery.contains(&problem) {
                            state.delivery.push(problem);
                        }
                    }
                    return refusal.map_or(Ok(()), Err);
                }
                Some(_) => problems.push(Problem {
                    requirement: "R9967-2.2-02".into(),
                    level: Level::Must,
                    message: format!(
                        "jti {jti:?} was already used by another SET (a jti identifies one token)"
                    ),
                }),
                None => {
                    let at = state.received.len();
                    state.jtis.insert(jti, at);
                }
            }
        }
        state.received.push(Received {
            via,
            at: Instant::now(),
            raw: raw.to_string(),
            set,
            problems,
        });
        drop(state);
        self.arrived.notify_waiters();
        refusal.map_or(Ok(()), Err)
    }

    /// The answer to a SET beyond [`MAX_KEPT`] (retransmissions too: a
    /// SET not received before would be refused alike, RFC 8935 §2); the
    /// note about it is kept once.
    fn refuse_full(&self) -> Result<(), (ErrorCode, String)> {
        self.delivery_problem(Problem {
            requirement: NOTE.into(),
            level: Level::May,
            message: format!(
                "more than {MAX_KEPT} SETs came; scimitar keeps no more and refuses the rest"
            ),
        });
        Err((
            ErrorCode::AccessDenied,
            format!("scimitar keeps at most {MAX_KEPT} SETs in a run"),
        ))
    }

    /// Notes a problem with how SETs are delivered (a push request's
    /// headers, a poll response's shape).
    pub fn delivery_problem(&self, problem: Problem) {
        let mut state = self.state();
        if !state.delivery.contains(&problem) {
            state.delivery.push(problem);
        }
        drop(state);
        self.arrived.notify_waiters();
    }

    /// Records what a delivery probe established.
    pub fn set_fact(&self, name: &str, value: bool) {
        self.state().facts.insert(name.to_string(), value);
        self.arrived.notify_waiters();
    }

    pub fn fact(&self, name: &str) -> Option<bool> {
        self.state().facts.get(name).copied()
    }

    /// Waits until a probe has established `name`, or `deadline` passes.
    pub async fn wait_fact(&self, name: &str, deadline: Instant) -> Option<bool> {
        self.wait_facts(&[name], deadline).await.map(|(_, v)| v)
    }

    /// Waits until a probe has established one of `names` (the first of
    /// them that is), or `deadline` passes.
    pub async fn wait_facts<'n>(
        &self,
        names: &[&'n str],
        deadline: Instant,
    ) -> Option<(&'n str, bool)> {
        loop {
            let notified = self.arrived.notified();
            if let Some(found) = names.iter().find_map(|n| self.fact(n).map(|v| (*n, v))) {
                return Some(found);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            let tick = (deadline - now).min(std::time::Duration::from_millis(200));
            let _ = tokio::time::timeout(tick, notified).await;
        }
    }

    pub fn delivery_problems(&self) -> Vec<Problem> {
        self.state().delivery.clone()
    }

    /// Every SET received so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.state().received.clone()
    }

    /// What was received, as JSON for `--events-out`: each SET with how it
    /// came, its jti, txn, subject and events, its problems, and the token.
    pub fn export(&self) -> serde_json::Value {
        let state = self.state();
        let sets: Vec<serde_json::Value> = state
            .received
            .iter()
            .map(|r| {
                let set = r.set.as_ref();
                serde_json::json!({
                    "via": r.via,
                    "jti": set.map(|s| s.jti.clone()),
                    "txn": set.and_then(|s| s.txn.clone()),
                    "subject": set.and_then(|s| s.sub_id.as_ref()).map(|s| s.uri.clone()),
                    "events": set.map(|s| s.events.iter().map(|e| e.uri.clone()).collect::<Vec<_>>()),
                    "problems": r.problems,
                    "token": r.raw,
                })
            })
            .collect();
        serde_json::json!({
            "sets": sets,
            "retransmissions": state.repeats,
            "delivery_problems": state.delivery,
            "facts": state.facts,
        })
    }

    /// How many retransmissions of already received SETs came.
    pub fn repeats(&self) -> usize {
        self.state().repeats
    }

    /// Waits until `done` holds for the SETs received, or `deadline`
    /// passes; returns whether it held. `done` runs under the inbox's lock,
    /// so it must not call the inbox.
    pub async fn wait_until(&self, deadline: Instant, done: impl Fn(&[Received]) -> bool) -> bool {
        loop {
            let notified = self.arrived.notified();
            if done(&self.state().received) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            // Woken by an arrival, or every so often in case one was missed.
            let tick = (deadline - now).min(std::time::Duration::from_millis(200));
            let _ = tokio::time::timeout(tick, notified).await;
        }
    }
}

/// The level of the sentence a signature problem cites: an algorithm the
/// recipient does not accept is R7519-7.2-02, "it SHOULD reject the JWT";
/// the others are MUSTs.
fn verify_level(e: &VerifyError) -> Level {
    match e {
        VerifyError::UnsupportedAlgorithm(_) => Level::Should,
        _ => Level::Must,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::set::{Expectations, KeySet, SetBuilder, Signer, SubId, Unsigned};
    use serde_json::json;

    fn inbox() -> Inbox {
        Inbox::new(Trust {
            keys: KeySet::hmac(b"inbox-test-secret"),
            unsigned: Unsigned::Refuse,
            expect: Expectations {
                issuer: Some("https://issuer.example".into()),
                audience: Some("scimitar".into()),
                ..Default::default()
            },
        })
    }

    fn token(jti: &str, secret: &[u8]) -> String {
        SetBuilder::new("https://issuer.example", jti, 1_700_000_000)
            .audience("scimitar")
            .txn("t-1")
            .sub_id(&SubId::scim("/Users/42"))
            .event(
                "urn:ietf:params:scim:event:prov:create:notice",
                json!({"attributes": ["userName"]}),
            )
            .header_param("typ", json!("secevent+jwt"))
            .sign(&Signer::hs256(secret))
    }

    #[test]
    fn a_valid_set_is_kept_and_found_by_subject() {
        let inbox = inbox();
        inbox
            .accept(&token("a1", b"inbox-test-secret"), Via::Push)
            .unwrap();
        let got = inbox.received();
        assert_eq!(got.len(), 1);
        assert!(got[0].about("/Users/42"));
        assert!(!got[0].about("/Users/4"));
        assert!(got[0].problems.is_empty(), "{:?}", got[0].problems);
    }

    #[test]
    fn a_bad_signature_is_refused_with_invalid_key_and_kept() {
        let inbox = inbox();
        let (code, _) = inbox
            .accept(&token("a1", b"another-secret"), Via::Push)
            .unwrap_err();
        assert_eq!(code, ErrorCode::InvalidKey);
        assert_eq!(inbox.received()[0].problems[0].level, Level::Must);
        let (code, _) = inbox.accept("not a token", Via::Push).unwrap_err();
        assert_eq!(code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn retransmissions_count_once_and_reused_jtis_are_problems() {
        let inbox = inbox();
        let t = token("same", b"inbox-test-secret");
        inbox.accept(&t, Via::Poll).unwrap();
        inbox.accept(&t, Via::Poll).unwrap();
        assert_eq!((inbox.received().len(), inbox.repeats()), (1, 1));
        // Another token under the same jti.
        let other = SetBuilder::new("https://issuer.example", "same", 1_700_000_001)
            .audience("scimitar")
            .sub_id(&SubId::scim("/Users/43"))
            .event("urn:ietf:params:scim:event:prov:delete", json!({}))
            .sign(&Signer::hs256(b"inbox-test-secret"));
        let _ = inbox.accept(&other, Via::Poll);
        let got = inbox.received();
        assert_eq!(got.len(), 2);
        assert!(got[1]
            .problems
            .iter()
            .any(|p| p.message.contains("already used")));
    }

    #[test]
    fn an_unacceptable_algorithm_is_a_should_problem() {
        let inbox = inbox();
        let b = SetBuilder::new("https://issuer.example", "alg1", 1_700_000_000)
            .audience("scimitar")
            .sub_id(&SubId::scim("/Users/42"))
            .event("urn:ietf:params:scim:event:prov:delete", json!({}))
            .header_param("alg", json!("ES512"));
        let raw = Signer::hs256(b"inbox-test-secret").sign(&b.header, &b.claims);
        let (code, _) = inbox.accept(&raw, Via::Push).unwrap_err();
        assert_eq!(code, ErrorCode::InvalidKey);
        let p = &inbox.received()[0].problems[0];
        assert_eq!(
            (p.requirement.as_str(), p.level),
            ("R7519-7.2-02", Level::Should)
        );
    }

    #[test]
    fn a_full_inbox_refuses_further_sets_and_notes_it_once() {
        let inbox = inbox();
        let kept = Received {
            via: Via::Push,
            at: Instant::now(),
            raw: String::new(),
            set: None,
            problems: vec![],
        };
        inbox.state().received = vec![kept; MAX_KEPT];
        for jti in ["f1", "f2"] {
            let (code, _) = inbox
                .accept(&token(jti, b"inbox-test-secret"), Via::Push)
                .unwrap_err();
            assert_eq!(code, ErrorCode::AccessDenied);
        }
        assert_eq!(inbox.received().len(), MAX_KEPT);
        let notes = inbox.delivery_problems();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(notes[0].requirement, NOTE);
    }

    #[tokio::test]
    async fn waiting_ends_on_arrival_or_deadline() {
        let inbox = std::sync::Arc::new(inbox());
        let waiter = {
            let inbox = inbox.clone();
            tokio::spawn(async move {
                let deadline = Instant::now() + std::time::Duration::from_secs(5);
                inbox
                    .wait_until(deadline, |r| r.iter().any(|x| x.about("/Users/42")))
                    .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        inbox
            .accept(&token("w1", b"inbox-test-secret"), Via::Push)
            .unwrap();
        assert!(waiter.await.unwrap());
        let deadline = Instant::now() + std::time::Duration::from_millis(100);
        assert!(!inbox.wait_until(deadline, |r| r.len() > 5).await);
    }
}
