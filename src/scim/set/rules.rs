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
    UNREGISTERED_EVENT = "R8417-2.2-13", Should, InvalidRequest,
        "SCIM event URIs SHOULD be ones RFC 9967 §7.4 registers";

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
        "the payload carries data or attributes as the event definition says";
    UNDEFINED_PAYLOAD = "R9967-2.2-01", Should, InvalidRequest,
        "feed, activate and deactivate events define no data or attributes";
    ATTRIBUTE_PATH = "R9967-2.2-03", Should, InvalidRequest,
        "attribute names SHOULD follow the RFC 7644 §3.5.2 path syntax";
    TXN = "R9967-2.2-02", Should, InvalidRequest,
        "txn, a top-level claim, is REQUIRED for async requests, co-ordinated provisioning and replication";
    VERSION_STRING = "R7644-3.14-02", Must, InvalidRequest,
        "version, when present, is the ETag: a string";
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

    /// Rules of the RFCs in the catalog cite a sentence that exists, in the
    /// section their id says. The level may be stricter than the sentence's
    /// keyword only where the sentence defines a type (see the file doc).
    #[test]
    fn catalogued_ids_exist_with_their_section() {
        let c = catalog();
        for rule in RULES {
            if matches!(rule.rfc(), "8417" | "7519" | "7515") {
                continue;
            }
            let r = c
                .get(rule.id)
                .unwrap_or_else(|| panic!("{} is not in requirements.tsv", rule.id));
            assert_eq!(r.section, rule.section(), "{}", rule.id);
            assert_eq!(r.rfc, rule.rfc(), "{}", rule.id);
        }
    }

    #[test]
    fn levels_match_the_catalog_keyword_unless_a_type_is_defined() {
        // Sentences whose keyword is about optionality, not the type.
        let typed = ["R7643-3.1-13"];
        // A second, gentler grading of a MUST sentence (see validate_scim).
        let graded_down = ["R9967-2.1-05", "R9967-2.2-01", "R9967-2.2-02"];
        for rule in RULES {
            let Some(r) = catalog().get(rule.id) else {
                continue;
            };
            if typed.contains(&rule.id) || graded_down.contains(&rule.id) {
                continue;
            }
            assert_eq!(r.level(), Some(rule.level), "{}", rule.id);
        }
    }
}
