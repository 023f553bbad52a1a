//! Validating a parsed SET: every check adds a [`Violation`] per broken
//! rule of [`super::rules`]. This file holds the entry point and the checks
//! of the JOSE header and the SET envelope (RFC 8417 §2 – §2.3, RFC 7519
//! §4, RFC 8935 §2); `validate_scim` holds the RFC 9967 profile's.

use serde_json::{Map, Value};

use super::jwt::{json_type, Token};
use super::model::audiences;
use super::rules::*;
use super::validate_scim;
use super::{MEDIA_TYPE, TYP};
use crate::rfc::Level;

/// What the receiver knows: its own audience, the issuers it accepts, the
/// Set-Txn it waits for. `None` leaves a claim's value unchecked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expectations {
    /// `iss` must equal this (RFC 8935 §2: an issuer the recipient accepts).
    pub issuer: Option<String>,
    /// `aud` must name this (RFC 7519 §4.1.3, RFC 8935 §2).
    pub audience: Option<String>,
    /// `txn` must equal this: the Set-Txn header of an asynchronous response
    /// (RFC 9967 §2.5.1.1), or [`bulk_txn`](super::event::bulk_txn) of it
    /// for one operation of an asynchronous bulk request.
    pub txn: Option<String>,
    /// The SET could be confused with other JWTs where it is used, so `typ`
    /// MUST declare it (RFC 8417 §2.3).
    pub explicit_typing: bool,
}

/// What every check sees.
pub(crate) struct Ctx<'a> {
    pub token: &'a Token,
    pub claims: &'a Map<String, Value>,
    pub expect: &'a Expectations,
}

type Check = fn(&Ctx, &mut Vec<Violation>);

/// The checks, in the order of RFC 8935 §2: the SET parses (header and
/// envelope), names the recipient, comes from an accepted issuer; then the
/// RFC 9967 profile. So [`rejection`] answers with the most basic error.
const CHECKS: &[Check] = &[
    typ,
    duplicates,
    events,
    issuer,
    issued_at,
    jwt_id,
    expiry,
    txn_type,
    audience,
    expected_issuer,
    validate_scim::subject,
    validate_scim::events,
    validate_scim::combination,
    validate_scim::transaction,
];

/// Every rule the token breaks, in check order. Signatures are checked
/// apart, by [`Token::verify`].
pub fn validate(token: &Token, expect: &Expectations) -> Vec<Violation> {
    let ctx = Ctx {
        token,
        claims: token.claims(),
        expect,
    };
    let mut out = Vec::new();
    for check in CHECKS {
        check(&ctx, &mut out);
    }
    out
}

/// The violation a receiver rejects the SET for: the first MUST one. Its
/// [`Violation::code`] is the RFC 8935 `err` to answer.
pub fn rejection(violations: &[Violation]) -> Option<&Violation> {
    violations.iter().find(|v| v.level() == Level::Must)
}

impl Token {
    /// [`validate`] this token.
    pub fn validate(&self, expect: &Expectations) -> Vec<Violation> {
        validate(self, expect)
    }
}

/// Adds a violation of `rule`; the one helper of every check.
pub(super) fn push(out: &mut Vec<Violation>, rule: &'static Rule, message: String) {
    out.push(Violation::new(rule, message));
}

/// Media type values are case-insensitive (RFC 7515 §4.1.9, RFC 2045), so
/// "SECEVENT+JWT" is the recommended value; with the `application/` prefix
/// it declares a SET too, but RFC 8417 §2.3 recommends omitting it.
fn typ(c: &Ctx, out: &mut Vec<Violation>) {
    let required = c.expect.explicit_typing;
    match c.token.header().get("typ") {
        None if required => push(
            out,
            &TYP_REQUIRED,
            format!("no typ header; expected \"{TYP}\""),
        ),
        None => {}
        Some(Value::String(t)) if t.eq_ignore_ascii_case(TYP) => {}
        Some(Value::String(t)) if t.eq_ignore_ascii_case(MEDIA_TYPE) => push(
            out,
            &TYP_PREFIX,
            format!("typ {t:?} should be written \"{TYP}\""),
        ),
        Some(other) => push(
            out,
            if required { &TYP_REQUIRED } else { &TYP_VALUE },
            format!("typ {other} does not declare a SET (\"{TYP}\")"),
        ),
    }
}

fn duplicates(c: &Ctx, out: &mut Vec<Violation>) {
    for d in c.token.duplicates() {
        match d.object.as_str() {
            "" => push(
                out,
                &DUPLICATE_CLAIM,
                format!("claim {:?} occurs more than once", d.name),
            ),
            "/events" => push(
                out,
                &DUPLICATE_EVENT,
                format!("event {:?} occurs more than once", d.name),
            ),
            _ => {}
        }
    }
}

fn events(c: &Ctx, out: &mut Vec<Violation>) {
    match c.claims.get("events") {
        None => push(out, &EVENTS, "there is no events claim".into()),
        Some(Value::Object(events)) if events.is_empty() => {
            push(out, &EVENTS, "the events claim is an empty object".into())
        }
        Some(Value::Object(events)) => {
            for (uri, payload) in events.iter().filter(|(_, p)| !p.is_object()) {
                let found = json_type(payload);
                push(
                    out,
                    &EVENT_PAYLOAD_OBJECT,
                    format!("the payload of {uri} is {found}"),
                );
            }
        }
        Some(other) => push(
            out,
            &EVENTS,
            format!("events is {}, not an object", json_type(other)),
        ),
    }
}

fn issuer(c: &Ctx, out: &mut Vec<Violation>) {
    match c.claims.get("iss") {
        None => push(out, &ISS, "there is no iss claim".into()),
        Some(Value::String(_)) => {}
        Some(other) => push(
            out,
            &ISS,
            format!("iss is {}, not a string", json_type(other)),
        ),
    }
}

fn expected_issuer(c: &Ctx, out: &mut Vec<Violation>) {
    let Some(expected) = &c.expect.issuer else {
        return;
    };
    match c.claims.get("iss").and_then(Value::as_str) {
        Some(iss) if iss == expected => {}
        Some(iss) => push(
            out,
            &ISS_EXPECTED,
            format!("iss {iss:?} is not the expected {expected:?}"),
        ),
        // A missing or malformed iss is reported by `issuer`.
        None => {}
    }
}

fn issued_at(c: &Ctx, out: &mut Vec<Violation>) {
    match c.claims.get("iat") {
        None => push(out, &IAT, "there is no iat claim".into()),
        Some(Value::Number(_)) => {}
        Some(other) => push(
            out,
            &IAT_NUMBER,
            format!("iat is {}, not a number", json_type(other)),
        ),
    }
}

fn jwt_id(c: &Ctx, out: &mut Vec<Violation>) {
    match c.claims.get("jti") {
        None => push(out, &JTI, "there is no jti claim".into()),
        Some(Value::String(_)) => {}
        Some(other) => push(
            out,
            &JTI,
            format!("jti is {}, not a string", json_type(other)),
        ),
    }
}

fn expiry(c: &Ctx, out: &mut Vec<Violation>) {
    match c.claims.get("exp") {
        None => {}
        Some(Value::Number(_)) => {
            push(out, &EXP_NOT_RECOMMENDED, "the SET has an exp claim".into())
        }
        Some(other) => push(
            out,
            &EXP_NUMBER,
            format!("exp is {}, not a number", json_type(other)),
        ),
    }
}

fn txn_type(c: &Ctx, out: &mut Vec<Violation>) {
    if let Some(txn) = c.claims.get("txn").filter(|t| !t.is_string()) {
        push(
            out,
            &TXN_STRING,
            format!("txn is {}, not a string", json_type(txn)),
        );
    }
}

fn audience(c: &Ctx, out: &mut Vec<Violation>) {
    let expected = c.expect.audience.as_deref();
    match (c.claims.get("aud"), expected) {
        (None, Some(expected)) => push(
            out,
            &AUD_EXPECTED,
            format!("there is no aud claim naming {expected:?}"),
        ),
        (None, None) => push(out, &AUD_RECOMMENDED, "there is no aud claim".into()),
        (Some(aud), _) => match audiences(aud) {
            None => push(
                out,
                &AUD_SHAPE,
                format!("aud is {aud}, not a string or an array of strings"),
            ),
            Some(list) => {
                if let Some(expected) = expected.filter(|e| !list.iter().any(|a| a == e)) {
                    push(
                        out,
                        &AUD_MISMATCH,
                        format!("aud {list:?} does not name {expected:?}"),
                    );
                }
            }
        },
    }
}
