//! The receiver cases as one table, [`CHECKS`]: each [`Check`] is a case's
//! identity (name, title, level, requirements, notes) and its [`Flow`] —
//! what it sends and which grade function of [`super::grade`] judges the
//! answers. This file also builds the SETs the checks send: one fresh SET
//! (new `jti`) per check, built with [`SetBuilder`] and broken on purpose
//! where the check needs it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;

use super::grade::{
    grade_duplicate, grade_error_format, grade_processed, grade_refusal, grade_valid, Answer,
    Expect, Verdict, KEY_CODES, NOT_A_SET,
};
use super::{SendTarget, AREA};
use crate::outcome::{CaseOutcome, Status};
use crate::rfc::Level;
use crate::scim::set::{event, Algorithm, SetBuilder, Signer, SubId, MEDIA_TYPE};

/// One receiver case: what it is, and how it runs.
pub(super) struct Check {
    pub(super) name: &'static str,
    pub(super) title: &'static str,
    pub(super) level: Level,
    pub(super) requirements: &'static [&'static str],
    pub(super) notes: Option<&'static str>,
    pub(super) flow: Flow,
    /// Where the case is defined (file and line).
    pub(super) source: &'static str,
}

/// What a check sends and how its answers are graded; the runner
/// ([`super::check_receiver`]) does the sending and recording.
pub(super) enum Flow {
    /// POSTs `body` labelled `content_type` and grades the answer.
    Post {
        body: fn(&SendTarget) -> String,
        content_type: &'static str,
        grade: fn(&Answer) -> Verdict,
    },
    /// POSTs one fresh SET twice and grades both answers. The processed
    /// count is read before, for the [`Flow::Counted`] check after it.
    Twice {
        grade: fn(&Answer, &Answer) -> Verdict,
    },
    /// Grades how much the processed count grew around the SET the
    /// [`Flow::Twice`] check before it sent twice.
    Counted { grade: fn(i64) -> Verdict },
    /// Grades every 400 answer of the checks before it (case id, answer).
    Refusals {
        grade: fn(&[(String, Answer)]) -> Verdict,
    },
}

/// A SET POSTed with its media type.
const fn post(body: fn(&SendTarget) -> String, grade: fn(&Answer) -> Verdict) -> Flow {
    Flow::Post {
        body,
        content_type: MEDIA_TYPE,
        grade,
    }
}

macro_rules! here {
    () => {
        concat!(file!(), ":", line!())
    };
}

/// Every case, in the order they run. The first must be answered for the
/// others to be sent.
pub(super) static CHECKS: [Check; 13] = [
    Check {
        name: "valid-accepted",
        title: "a valid SET is acknowledged with 202 Accepted and an empty body",
        level: Level::Must,
        requirements: &["R8935-2.2-01", "R8935-2.2-02"],
        notes: None,
        flow: post(valid_set, grade_valid),
        source: here!(),
    },
    Check {
        name: "bad-signature",
        title: "a SET whose signature does not verify is refused with 400 invalid_key",
        level: Level::Must,
        requirements: &["R8935-2-01", "R8935-2.3-01", "R9967-5-04"],
        notes: Some(
            "RFC 8935 §2.4 registers invalid_key for a signing key that is invalid or \
             unacceptable and authentication_failed for a transmitter the recipient could not \
             authenticate; a signature that does not verify fits both, so both pass. Another \
             code is a warning: the table describes codes, it does not assign them. An HMAC \
             key's SET is signed with another secret; a private key's SET has its signature \
             altered.",
        ),
        flow: post(badly_signed, |a| {
            let expect = Expect {
                codes: &["invalid_key"],
                tolerated: &["authentication_failed"],
                ..NOT_A_SET
            };
            grade_refusal(&expect, "a SET whose signature does not verify", a)
        }),
        source: here!(),
    },
    Check {
        name: "unsigned",
        title: "an unsigned SET (alg none) is refused with 400",
        level: Level::Must,
        requirements: &["R8935-2-01", "R8935-2.3-01", "R9967-5-04"],
        notes: Some(
            "RFC 8935 §2 requires the recipient to validate that a SET is authentic, but the \
             mechanism is \"deployment specific and may vary depending on the authentication \
             mechanisms in use and whether the SET is signed\"; RFC 9967 §5 requires JWS \
             signatures only when the publisher does not communicate directly with the \
             receiver. A receiver may authenticate the transmitter by a bearer token, mutual \
             TLS or the network, which scimitar cannot see, so accepting the SET is a warning \
             (ambiguous), not a failure. invalid_key and authentication_failed pass.",
        ),
        flow: post(|t| fresh(t).unsigned(), |a| {
            let expect = Expect {
                codes: KEY_CODES,
                accepted_warning: true,
                ..NOT_A_SET
            };
            grade_refusal(&expect, "an unsigned SET (alg none)", a)
        }),
        source: here!(),
    },
    Check {
        name: "wrong-audience",
        title: "a SET whose aud does not name the receiver is refused with 400 invalid_audience",
        level: Level::Must,
        requirements: &["R8935-2-01", "R8935-2.3-01"],
        notes: None,
        flow: post(|t| {
            let aud = json!(["https://another-receiver.invalid/"]);
            fresh(t).claim("aud", aud).sign(&t.signer)
        }, |a| {
            let expect = Expect {
                codes: &["invalid_audience"],
                ..NOT_A_SET
            };
            grade_refusal(&expect, "a SET for another audience", a)
        }),
        source: here!(),
    },
    Check {
        name: "wrong-issuer",
        title: "a SET from an issuer the receiver does not accept is refused with 400 invalid_issuer",
        level: Level::Must,
        requirements: &["R8935-2-01", "R8935-2.3-01"],
        notes: Some(
            "RFC 8935 Figure 5 is captioned access_denied and answers invalid_issuer; both pass.",
        ),
        flow: post(|t| {
            let iss = json!("https://another-issuer.invalid/");
            fresh(t).claim("iss", iss).sign(&t.signer)
        }, |a| {
            let expect = Expect {
                codes: &["invalid_issuer"],
                tolerated: &["access_denied"],
                ..NOT_A_SET
            };
            grade_refusal(&expect, "a SET from another issuer", a)
        }),
        source: here!(),
    },
    Check {
        name: "sub-claim",
        title: "a SCIM event naming its subject with sub instead of sub_id is refused with 400 invalid_request",
        level: Level::May,
        requirements: &["R9967-2.1-01", "R9967-2.1-03", "R8935-2.3-01"],
        notes: Some(
            "RFC 9967 §2.1 binds the publisher; a receiver that validates the profile refuses \
             the SET with invalid_request (RFC 8935 §2.4: the payload does not conform). RFC \
             8935 §2 leaves how a recipient validates out of scope and no keyword requires a \
             receiver to refuse, hence MAY.",
        ),
        flow: post(|t| {
            let sub = json!(format!("/Users/{}", uuid::Uuid::new_v4()));
            let set = fresh(t).without_claim("sub_id").claim("sub", sub);
            set.sign(&t.signer)
        }, |a| {
            grade_refusal(&NOT_A_SET, "a SET with sub instead of sub_id", a)
        }),
        source: here!(),
    },
    Check {
        name: "data-and-attributes",
        title: "an event carrying both data and attributes is refused with 400 invalid_request",
        level: Level::May,
        requirements: &["R9967-2.4-03", "R8935-2.3-01"],
        notes: Some(
            "RFC 9967 §2.4 binds the publisher; a receiver that validates the profile refuses \
             the SET with invalid_request (RFC 8935 §2.4: the payload does not conform). RFC \
             8935 §2 leaves how a recipient validates out of scope and no keyword requires a \
             receiver to refuse, hence MAY.",
        ),
        flow: post(|t| {
            let both = json!({"attributes": ["userName"], "data": {"userName": "bjensen"}});
            fresh(t).event(event::CREATE_NOTICE, both).sign(&t.signer)
        }, |a| {
            grade_refusal(&NOT_A_SET, "an event with both data and attributes", a)
        }),
        source: here!(),
    },
    Check {
        name: "not-a-jwt",
        title: "a body that is not a JWT is refused with 400 invalid_request",
        level: Level::Must,
        requirements: &["R8935-2.1-02", "R8935-2-01", "R8935-2.3-01"],
        notes: None,
        flow: post(|_| "this is not a JWT".to_string(), |a| {
            grade_refusal(&NOT_A_SET, "a body that is not a JWT", a)
        }),
        source: here!(),
    },
    Check {
        name: "claims-not-json",
        title: "a JWT whose claims set is not JSON is refused with 400 invalid_request",
        level: Level::Must,
        requirements: &["R8935-2.1-02", "R8935-2-01", "R8935-2.3-01"],
        notes: Some(
            "The header and signature are those of a valid SET, so the signature does not \
             verify: a receiver that verifies before it parses answers invalid_key or \
             authentication_failed, which pass too.",
        ),
        flow: post(claims_not_json, |a| {
            let expect = Expect {
                tolerated: KEY_CODES,
                ..NOT_A_SET
            };
            grade_refusal(&expect, "a JWT whose claims are not JSON", a)
        }),
        source: here!(),
    },
    Check {
        name: "wrong-content-type",
        title: "a SET labelled application/json is refused (400 invalid_request or 415)",
        level: Level::May,
        requirements: &["R8935-2.1-01"],
        notes: Some(
            "RFC 8935 §2.1 puts the Content-Type MUST on the transmitter and says nothing of \
             how a recipient answers another media type: 400 (invalid_request) and 415 (a \
             general HTTP error, §2.3) pass, and accepting the SET is only a warning.",
        ),
        flow: Flow::Post {
            body: valid_set,
            content_type: "application/json",
            grade: |a| {
                let expect = Expect {
                    statuses: &[415],
                    accepted_warning: true,
                    ..NOT_A_SET
                };
                grade_refusal(&expect, "a valid SET labelled application/json", a)
            },
        },
        source: here!(),
    },
    Check {
        name: "duplicate-jti",
        title: "a SET sent twice (same jti) is answered 202 both times",
        level: Level::Must,
        requirements: &["R8935-2-06", "R8935-2-07"],
        notes: None,
        flow: Flow::Twice {
            grade: grade_duplicate,
        },
        source: here!(),
    },
    Check {
        name: "duplicate-processed-once",
        title: "a SET sent twice (same jti) is processed once",
        level: Level::May,
        requirements: &["R8935-2-06", "R8935-2-07"],
        notes: Some(
            "Needs --processed-url, answering {\"processed\": N}. RFC 8935 §2 lets transmitters \
             retransmit and RFC 8417 §2.2 makes jti the way to detect duplicates, but no keyword \
             requires processing once (RFC 8417 §2.2: jti \"MAY be used by clients to track \
             whether a particular SET has already been received\"), hence MAY. Other traffic \
             to the receiver during the run disturbs the count.",
        ),
        flow: Flow::Counted {
            grade: grade_processed,
        },
        source: here!(),
    },
    Check {
        name: "error-format",
        title: "every 400 answer is application/json {\"err\", \"description\"} with a registered err and a Content-Language",
        level: Level::Must,
        requirements: &["R8935-2.3-02", "R8935-2.3-03", "R8935-2.4-01"],
        notes: Some(
            "Every 400 answer of the run is checked. An err outside RFC 8935's initial \
             registry is only a warning, as the registry is extensible.",
        ),
        flow: Flow::Refusals {
            grade: grade_error_format,
        },
        source: here!(),
    },
];

impl Check {
    pub(super) fn id(&self) -> String {
        format!("events.{AREA}.{}", self.name)
    }

    /// A skipped outcome with this case's fields.
    pub(super) fn outcome(&self) -> CaseOutcome {
        CaseOutcome {
            notes: self.notes.map(str::to_string),
            ..CaseOutcome::pending(
                self.id(),
                self.title.to_string(),
                AREA.to_string(),
                self.level,
                self.requirements.iter().map(|r| r.to_string()).collect(),
                self.source.to_string(),
            )
        }
    }

    /// This case errored before it was sent.
    pub(super) fn errored(&self, message: &str) -> CaseOutcome {
        let mut o = self.outcome();
        o.status = Status::Errored;
        o.message = message.to_string();
        o
    }
}

// ---- the SETs ----------------------------------------------------------------------------

/// A fresh SET: new jti and txn, a new `/Users/<uuid>` subject, one
/// `prov:create:notice` event.
pub(super) fn fresh(target: &SendTarget) -> SetBuilder {
    let uuid = || uuid::Uuid::new_v4().to_string();
    SetBuilder::new(&target.issuer, &uuid(), chrono::Utc::now().timestamp())
        .audience(&target.audience)
        .txn(&uuid())
        .sub_id(&SubId::scim(&format!("/Users/{}", uuid())))
        .event(event::CREATE_NOTICE, json!({"attributes": ["userName"]}))
}

/// A signer with the same algorithm and key id but another HMAC secret,
/// or None for a private key.
fn other_hmac_signer(signer: &Signer) -> Option<Signer> {
    let alg: Algorithm = signer.alg().parse().ok()?;
    let secret = format!(
        "not-the-secret-{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let other = Signer::hmac(alg, secret.as_bytes()).ok()?;
    Some(match signer.kid() {
        Some(kid) => other.with_kid(kid),
        None => other,
    })
}

/// A SET whose signature does not verify with the receiver's key.
fn badly_signed(target: &SendTarget) -> String {
    let set = fresh(target);
    match other_hmac_signer(&target.signer) {
        Some(other) => set.sign(&other),
        None => tamper_signature(&set.sign(&target.signer)),
    }
}

/// The token with one bit of its signature flipped.
fn tamper_signature(token: &str) -> String {
    let Some((input, signature)) = token.rsplit_once('.') else {
        return token.to_string();
    };
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap_or_default();
    match bytes.first_mut() {
        Some(b) => *b ^= 0x01,
        None => bytes.push(0),
    }
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A valid SET's header and signature around a claims set that is not JSON.
fn claims_not_json(target: &SendTarget) -> String {
    let token = fresh(target).sign(&target.signer);
    let claims = URL_SAFE_NO_PAD.encode(b"{\"iss\": this is not JSON");
    let mut parts = token.split('.');
    let header = parts.next().unwrap_or_default();
    let signature = parts.nth(1).unwrap_or_default();
    format!("{header}.{claims}.{signature}")
}

/// A valid SET, signed with the receiver's key.
pub(super) fn valid_set(target: &SendTarget) -> String {
    fresh(target).sign(&target.signer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_sets_are_broken_as_intended() {
        use crate::scim::set::{KeySet, Token, Unsigned};
        let t = super::super::tests::target();
        let keys = KeySet::hmac(b"hmac-secret-2");
        let good = Token::parse(&fresh(&t).sign(&t.signer)).expect("parses");
        assert!(good.verify(&keys, Unsigned::Refuse).is_ok());
        assert_eq!(good.typ(), Some("secevent+jwt"));
        assert!(good.claims()["sub_id"]["uri"]
            .as_str()
            .is_some_and(|u| u.starts_with("/Users/")));
        let forged = Token::parse(&badly_signed(&t)).expect("parses");
        assert!(forged.verify(&keys, Unsigned::Refuse).is_err());
        let tampered = Token::parse(&tamper_signature(&fresh(&t).sign(&t.signer))).expect("parses");
        assert!(tampered.verify(&keys, Unsigned::Refuse).is_err());
        assert!(Token::parse(&claims_not_json(&t)).is_err());
        let jtis: Vec<String> = (0..2)
            .map(|_| fresh(&t).claims["jti"].to_string())
            .collect();
        assert_ne!(jtis[0], jtis[1]);
    }
}
