//! The rules a SET is validated against: each names the normative sentence
//! it enforces (an id of `requirements.tsv`, `R<rfc>-<section>-<nn>`), the
//! level of the obligation and the RFC 8935 §2.4 error code a receiver
//! answers when it rejects a SET for it. [`super::validate()`] applies them.
//!
//! Ids of RFC 8417, 7519 and 7515 sentences are made by the same extractor
//! (`shared/rfc/extract_requirements.py`) as the catalog's; those RFCs are
//! not in the catalog yet. The level is the obligation on the token: a
//! sentence that says a claim is OPTIONAL also defines its type, so a claim
//! of the wrong type breaks a MUST.

use std::fmt;

use serde::Serialize;

use crate::rfc::Level;

/// The Security Event Token Error Codes of RFC 8935 §2.4 (and RFC 8936).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not a SET, or an event payload does not conform.
    InvalidRequest,
    /// A key used to sign the SET is invalid or unacceptable.
    InvalidKey,
    /// The issuer is not one the recipient accepts.
    InvalidIssuer,
    /// The audience does not name the recipient.
    InvalidAudience,
    /// The recipient could not authenticate the transmitter.
    AuthenticationFailed,
    /// The transmitter may not send this SET to this recipient.
    AccessDenied,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidKey => "invalid_key",
            ErrorCode::InvalidIssuer => "invalid_issuer",
            ErrorCode::InvalidAudience => "invalid_audience",
            ErrorCode::AuthenticationFailed => "authentication_failed",
            ErrorCode::AccessDenied => "access_denied",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One checked requirement.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// The requirement id, `R<rfc>-<section>-<nn>`.
    pub id: &'static str,
    pub level: Level,
    pub code: ErrorCode,
    /// What the rule demands, in a line.
    pub summary: &'static str,
}

impl Rule {
    /// "9967" from "R9967-2.1-03".
    pub fn rfc(&self) -> &'static str {
        self.id
            .trim_start_matches('R')
            .split('-')
            .next()
            .unwrap_or("")
    }

    /// "2.1" from "R9967-2.1-03".
    pub fn section(&self) -> &'static str {
        self.id.split('-').nth(1).unwrap_or("")
    }

    /// "RFC 9967 §2.1".
    pub fn citation(&self) -> String {
        format!("RFC {} §{}", self.rfc(), self.section())
    }
}

/// A rule the token breaks, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub rule: &'static Rule,
    pub message: String,
}

impl Violation {
    pub fn new(rule: &'static Rule, message: impl Into<String>) -> Violation {
        Violation {
            rule,
            message: message.into(),
        }
    }

    pub fn id(&self) -> &'static str {
        self.rule.id
    }

    pub fn level(&self) -> Level {
        self.rule.level
    }

    pub fn code(&self) -> ErrorCode {
        self.rule.code
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, {}): {}",
            self.rule.id,
            self.rule.level,
            self.rule.citation(),
            self.message
        )
    }
}

/// Declares each rule as a `pub static` and lists them all in [`RULES`].
macro_rules! rules {
    ($($name:ident = $id:literal, $level:ident, $code:ident, $summary:literal;)*) => {
        $(
            #[doc = $summary]
            pub static $name: Rule = Rule {
                id: $id,
                level: Level::$level,
                code: ErrorCode::$code,
                summary: $summary,
            };
        )*
        /// Every rule, in table order.
        pub static RULES: &[&Rule] = &[$(&$name),*];
    };
}

rules! {
    // ---- JOSE header (RFC 8417 §2.3) ------------------------------------------------
    TYP_REQUIRED = "R8417-2.3-02", Must, InvalidRequest,
        "where a SET could be confused with other JWTs, typ MUST declare it a SET";
    TYP_PREFIX = "R8417-2.3-03", Should, InvalidRequest,
        "typ SHOULD omit the \"application/\" prefix";
    TYP_VALUE = "R8417-2.3-04", Should, InvalidRequest,
        "typ SHOULD be \"secevent+jwt\"";

    // ---- the envelope (RFC 8417 §2, §2.2; RFC 7519 §4; RFC 8935 §2) ----------------
    DUPLICATE_CLAIM = "R7519-4-01", Must, InvalidRequest,
        "claim names MUST be unique";
    ISS = "R8417-2.2-01", Must, InvalidRequest,
        "iss is REQUIRED, a string";
    IAT = "R8417-2.2-02", Must, InvalidRequest,
        "iat is REQUIRED";
    IAT_NUMBER = "R7519-4.1.6-01", Must, InvalidRequest,
        "iat MUST be a number (NumericDate)";
    JTI = "R8417-2.2-04", Must, InvalidRequest,
        "jti is REQUIRED, a string";
    AUD_RECOMMENDED = "R8417-2.2-05", Should, InvalidAudience,
        "aud is RECOMMENDED";
    AUD_SHAPE = "R7519-4.1.3-03", Must, InvalidRequest,
        "aud is a string or an array of strings";
    AUD_MISMATCH = "R7519-4.1.3-02", Must, InvalidAudience,
        "a recipient not named in aud MUST reject the JWT";
    AUD_EXPECTED = "R8935-2-01", Must, InvalidAudience,
        "the recipient MUST be identified as an intended audience";
    ISS_EXPECTED = "R8935-2-01", Must, InvalidIssuer,
        "the issuer MUST be one the recipient accepts SETs from";
    EXP_NOT_RECOMMENDED = "R8417-2.2-10", Should, InvalidRequest,
        "exp is NOT RECOMMENDED in a SET";
    EXP_NUMBER = "R7519-4.1.4-04", Must, InvalidRequest,
        "exp MUST be a number (NumericDate)";
    TXN_STRING = "R8417-2.2-16", Must, InvalidRequest,
        "txn is a string";
    EVENTS = "R8417-2-03", Must, InvalidRequest,
        "events MUST be a JSON object with at least one member";
    EVENT_PAYLOAD_OBJECT = "R8417-2.2-14", Must, InvalidRequest,
        "each event payload MUST be a JSON object";
    DUPLICATE_EVENT = "R8417-2.2-11", Must, InvalidRequest,
        "an event identifier MUST NOT occur twice";
    INDEPENDENT_EVENTS = "R8417-2.2-12", Must, InvalidRequest,
        "events MUST NOT express independent logical events (RFC 9967 §2.1: one state change)";
    UNREGISTERED_EVENT = "R8417-2.2-13", May, InvalidRequest,
        "informational: a URI in the SCIM event namespace that RFC 9967 §7.4 does not register (the registry takes new entries; often a misspelt event)";

    // ---- the subject (RFC 9967 §2.1) --------------------------------------------------
    SUB_ID_REQUIRED = "R9967-2.1-01", Must, InvalidRequest,
        "SCIM events MUST identify the subject with sub_id";
    SUB_ID_IN_PAYLOAD = "R9967-2.1-02", Must, InvalidRequest,
        "sub_id MUST be top-level, not in an event payload";
    SUB_FORBIDDEN = "R9967-2.1-03", Must, InvalidRequest,
        "the JWT sub claim MUST NOT be used";
    SUB_ID_FORMAT = "R9967-2.1-04", Must, InvalidRequest,
        "sub_id SHALL be an object with format \"scim\"";
    SUB_ID_URI = "R9967-2.1-05", Must, InvalidRequest,
        "sub_id MUST carry uri, a string";
    SUB_ID_URI_RELATIVE = "R9967-2.1-05", Should, InvalidRequest,
        "sub_id uri is the path relative to the base URI, e.g. /Users/{id}";
    SUB_ID_ID = "R7643-3.1-05", Must, InvalidRequest,
        "sub_id id, when present, is a non-empty string";
    SUB_ID_EXTERNAL_ID = "R7643-3.1-13", Must, InvalidRequest,
        "sub_id externalId, when present, is a string";

    // ---- event payloads (RFC 9967 §2.2 – §2.4) ----------------------------------------
    PAYLOAD_MEMBER = "R9967-2.2-01", Must, InvalidRequest,
        "the payload carries data or attributes as the event definition says (a delete has no payload attributes, §2.4.4)";
    UNDEFINED_PAYLOAD = "R9967-2.2-01", May, InvalidRequest,
        "informational: feed, activate and deactivate events carry no data or attributes in RFC 9967's figures (their definitions are silent)";
    ATTRIBUTE_PATH = "R9967-2.2-03", Should, InvalidRequest,
        "attribute names SHOULD follow the RFC 7644 §3.5.2 path syntax";
    TXN = "R9967-2.2-02", May, InvalidRequest,
        "informational: txn, a top-level claim, is REQUIRED only to support async requests, co-ordinated provisioning and replication";
    VERSION_STRING = "R7644-3.14-02", Should, InvalidRequest,
        "version, when present, is the resource's ETag (RFC 9967 §2.2, as in meta.version): a string";
    PROV_SUFFIX = "R9967-2.4-01", Must, InvalidRequest,
        "a provisioning event with data MUST end with :full, otherwise with :notice";
    ONE_PAYLOAD = "R9967-2.4-02", Must, InvalidRequest,
        "exactly one of data or attributes MUST be present";
    BOTH_PAYLOADS = "R9967-2.4-03", Must, InvalidRequest,
        "data and attributes MUST NOT both be present";
    DELETE_WITH_FEED_REMOVE = "R9967-2.4.4-01", Must, InvalidRequest,
        "with a delete, a feed:remove SHALL NOT be issued";
    DELETE_SUFFIX = "R9967-2.4.4-02", Must, InvalidRequest,
        "prov:delete SHALL NOT carry :full or :notice";

    // ---- asynchronous responses (RFC 9967 §2.5.1; RFC 7644 §3.7) ---------------------
    TXN_EXPECTED = "R9967-2.5.1.1-05", Must, InvalidRequest,
        "txn MUST match the Set-Txn header of the asynchronous response";
    ASYNC_BULK_ID_AS_TXN = "R9967-2.5.1.2-03", Must, InvalidRequest,
        "bulkId MUST NOT be used as the bulk txn suffix (the operation index is)";
    ASYNC_TXN = "R9967-2.5.1.3-01", Must, InvalidRequest,
        "an asyncresp SET MUST carry txn";
    ASYNC_ERROR_RESPONSE = "R9967-2.5.1.3-02", Must, InvalidRequest,
        "a failed asyncresp MUST carry response, an RFC 7644 §3.12 error";
    ASYNC_METHOD = "R7644-3.7-03", Must, InvalidRequest,
        "asyncresp method is REQUIRED: POST, PUT, PATCH or DELETE";
    ASYNC_BULK_ID = "R7644-3.7-04", Must, InvalidRequest,
        "asyncresp bulkId, when present, is a string";
    ASYNC_STATUS = "R7644-3.7.3-03", Must, InvalidRequest,
        "asyncresp status MUST hold the HTTP status code";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rfc::catalog;

    #[test]
    fn ids_name_their_rfc_and_section() {
        assert_eq!(SUB_FORBIDDEN.rfc(), "9967");
        assert_eq!(SUB_FORBIDDEN.section(), "2.1");
        assert_eq!(ASYNC_STATUS.citation(), "RFC 7644 §3.7.3");
        assert_eq!(DUPLICATE_CLAIM.citation(), "RFC 7519 §4");
        let v = Violation::new(&SUB_FORBIDDEN, "sub is present");
        assert_eq!(
            v.to_string(),
            "R9967-2.1-03 (MUST, RFC 9967 §2.1): sub is present"
        );
        assert_eq!(v.code().to_string(), "invalid_request");
        assert_eq!(
            serde_json::to_value(ErrorCode::AuthenticationFailed).ok(),
            Some(serde_json::json!("authentication_failed"))
        );
    }

    /// The keywords of the RFC 8417, 7519 and 7515 sentences the rules cite,
    /// which the catalog does not hold yet: the output of
    /// `shared/rfc/extract_requirements.py` with `SOURCES` set to those
    /// three RFCs (the tests cannot read the RFC texts, outside the crate).
    const UNCATALOGUED: &[(&str, &str)] = &[
        ("R7519-4-01", "MUST"),
        ("R7519-4.1.3-02", "MUST"),
        ("R7519-4.1.3-03", "MAY"),
        ("R7519-4.1.4-04", "MUST"),
        ("R7519-4.1.6-01", "MUST"),
        ("R8417-2-03", "MUST"),
        ("R8417-2.2-01", "REQUIRED"),
        ("R8417-2.2-02", "REQUIRED"),
        ("R8417-2.2-04", "REQUIRED"),
        ("R8417-2.2-05", "RECOMMENDED"),
        ("R8417-2.2-10", "NOT RECOMMENDED"),
        ("R8417-2.2-11", "MUST NOT"),
        ("R8417-2.2-12", "MUST NOT"),
        ("R8417-2.2-13", "SHOULD"),
        ("R8417-2.2-14", "MUST"),
        ("R8417-2.2-16", "OPTIONAL"),
        ("R8417-2.3-02", "MUST"),
        ("R8417-2.3-03", "RECOMMENDED"),
        ("R8417-2.3-04", "SHOULD"),
    ];

    fn uncatalogued(rfc: &str) -> bool {
        matches!(rfc, "8417" | "7519" | "7515")
    }

    /// The keyword of the sentence a rule cites.
    fn keyword(rule: &Rule) -> Option<&'static str> {
        if uncatalogued(rule.rfc()) {
            UNCATALOGUED
                .iter()
                .find(|(id, _)| *id == rule.id)
                .map(|(_, k)| *k)
        } else {
            catalog().get(rule.id).map(|r| r.keyword.as_str())
        }
    }

    /// Every rule cites a sentence that exists, in the section its id
    /// says: in the catalog, or for RFC 8417, 7519 and 7515 in
    /// [`UNCATALOGUED`].
    #[test]
    fn cited_ids_exist_with_their_section() {
        let c = catalog();
        for rule in RULES {
            assert!(keyword(rule).is_some(), "{} is not known", rule.id);
            if let Some(r) = c.get(rule.id) {
                assert_eq!(r.section, rule.section(), "{}", rule.id);
                assert_eq!(r.rfc, rule.rfc(), "{}", rule.id);
            } else {
                assert!(
                    uncatalogued(rule.rfc()),
                    "{} is not in requirements.tsv",
                    rule.id
                );
            }
        }
        for (id, _) in UNCATALOGUED {
            assert!(c.get(*id).is_none(), "{id} is catalogued now");
        }
    }

    /// Each rule (not each id: rules share ids) has the level of its
    /// sentence's keyword, but for the rules listed here, each with the
    /// level it has instead and why.
    #[test]
    fn levels_match_the_keyword_of_their_sentence() {
        let other: [(&Rule, Level); 8] = [
            // The sentence says the member is OPTIONAL and defines its
            // type: a member of another type breaks a MUST.
            (&SUB_ID_EXTERNAL_ID, Level::Must),
            (&TXN_STRING, Level::Must),
            (&AUD_SHAPE, Level::Must),
            // The MUST sentence demands uri; its form (a path relative to
            // the base URI) is described around it without a keyword.
            (&SUB_ID_URI_RELATIVE, Level::Should),
            // txn is REQUIRED only for async requests, co-ordinated
            // provisioning and replication (asyncresp: ASYNC_TXN); RFC
            // 9967's own figures have none. Also a txn inside a payload:
            // §2.2 calls txn a SET claim, but no keyword forbids it there.
            (&TXN, Level::May),
            // The MUST ties data and attributes to the event definition;
            // the feed, activate and deactivate definitions say nothing of
            // them (a delete's does: PAYLOAD_MEMBER, at MUST).
            (&UNDEFINED_PAYLOAD, Level::May),
            // The sentence's MUST is about the ETag header; its SHOULD puts
            // the ETag in `version`, and no keyword makes it a string.
            (&VERSION_STRING, Level::Should),
            // Stable identifiers; RFC 9967's registry takes new ones.
            (&UNREGISTERED_EVENT, Level::May),
        ];
        for (rule, level) in &other {
            let k = keyword(rule).unwrap_or_default();
            assert_ne!(
                Level::of_keyword(k),
                Some(*level),
                "{} needs no exception",
                rule.id
            );
        }
        for rule in RULES {
            let Some(k) = keyword(rule) else {
                panic!("{} is not known", rule.id);
            };
            let expected = match other.iter().find(|(r, _)| std::ptr::eq(*r, *rule)) {
                Some((_, level)) => *level,
                None => Level::of_keyword(k).unwrap_or_else(|| panic!("{} {k}", rule.id)),
            };
            assert_eq!(rule.level, expected, "{} ({})", rule.id, rule.summary);
        }
    }
}
