//! Checking the JWS signature of a parsed [`Token`] (RFC 7515 §5.2) with a
//! [`KeySet`]. An unsecured JWT (`alg: none`, empty signature, RFC 7519 §6)
//! passes only when the caller allows unsigned tokens: RFC 9967 §5 makes
//! receivers verify signatures when the publisher is not a direct peer.

use jsonwebtoken::{crypto, Algorithm};
use serde_json::Value;

use super::jwt::Token;
use super::keys::KeySet;
use super::rules::ErrorCode;

/// Whether `alg: none` is acceptable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Unsigned {
    #[default]
    Refuse,
    Allow,
}

/// What verification established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verified {
    /// `alg: none`, allowed by the caller.
    Unsigned,
    /// Signed with `alg` by the key with this `kid` (the key's, which may
    /// be none for a bare secret or PEM key).
    Signed { alg: Algorithm, kid: Option<String> },
}

/// Why a token's signature is not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the JOSE header has no \"alg\" string (RFC 7515 §4.1.1)")]
    MissingAlgorithm,
    #[error("the JOSE header parameter \"{0}\" is not a string")]
    BadHeaderParameter(&'static str),
    #[error("the JOSE header lists critical extensions {0:?}, which are not understood (RFC 7515 §4.1.11)")]
    CriticalExtension(Vec<String>),
    #[error("alg \"{0}\" is not a supported JWS algorithm")]
    UnsupportedAlgorithm(String),
    #[error("the token is unsigned (alg \"none\") and unsigned tokens are not allowed")]
    UnsignedNotAllowed,
    #[error("the token says alg \"none\" but has a signature")]
    UnsignedWithSignature,
    #[error("no {alg:?} key{}", kid.as_ref().map(|k| format!(" with kid \"{k}\"")).unwrap_or_default())]
    UnknownKey { kid: Option<String>, alg: Algorithm },
    #[error("the {alg:?} signature does not verify with any matching key")]
    BadSignature { alg: Algorithm },
}

impl VerifyError {
    /// What a receiver answers (RFC 8935 §2.4). A token that is not a
    /// well-formed JWS is an invalid request; one whose signing is
    /// unacceptable (no signature, unknown key or algorithm, a signature
    /// that does not verify) has an invalid key.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            VerifyError::MissingAlgorithm
            | VerifyError::BadHeaderParameter(_)
            | VerifyError::CriticalExtension(_)
            | VerifyError::UnsignedWithSignature => ErrorCode::InvalidRequest,
            VerifyError::UnsupportedAlgorithm(_)
            | VerifyError::UnsignedNotAllowed
            | VerifyError::UnknownKey { .. }
            | VerifyError::BadSignature { .. } => ErrorCode::InvalidKey,
        }
    }

    /// The requirement the token fails.
    pub fn requirement(&self) -> &'static str {
        match self {
            VerifyError::MissingAlgorithm => "R7515-4.1.1-01",
            VerifyError::BadHeaderParameter(_) => "R7515-4.1.4-01",
            VerifyError::CriticalExtension(_) => "R7515-4.1.11-01",
            VerifyError::UnsupportedAlgorithm(_) => "R7519-7.2-02",
            VerifyError::UnsignedNotAllowed => "R9967-5-04",
            VerifyError::UnsignedWithSignature => "R7519-7.2-01",
            VerifyError::UnknownKey { .. } => "R8935-2-01",
            VerifyError::BadSignature { .. } => "R7515-5.2-04",
        }
    }
}

impl Token {
    /// Checks the signature with `keys`: those whose `kid` matches the
    /// header's (keys without a kid match any), whose type fits `alg`, and
    /// whose JWK `alg`, if any, is `alg`. One that verifies is enough.
    pub fn verify(&self, keys: &KeySet, unsigned: Unsigned) -> Result<Verified, VerifyError> {
        if let Some(crit) = self.header().get("crit") {
            return Err(VerifyError::CriticalExtension(names(crit)));
        }
        let alg = match self.header().get("alg") {
            Some(Value::String(alg)) => alg.as_str(),
            _ => return Err(VerifyError::MissingAlgorithm),
        };
        let kid = match self.header().get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.as_str()),
            Some(_) => return Err(VerifyError::BadHeaderParameter("kid")),
        };
        if alg == "none" {
            return match (self.signature().is_empty(), unsigned) {
                (false, _) => Err(VerifyError::UnsignedWithSignature),
                (true, Unsigned::Refuse) => Err(VerifyError::UnsignedNotAllowed),
                (true, Unsigned::Allow) => Ok(Verified::Unsigned),
            };
        }
        let algorithm: Algorithm = alg
            .parse()
            .map_err(|_| VerifyError::UnsupportedAlgorithm(alg.to_string()))?;
        let mut candidates = keys.named(kid).filter(|k| k.fits(algorithm)).peekable();
        if candidates.peek().is_none() {
            return Err(VerifyError::UnknownKey {
                kid: kid.map(str::to_string),
                alg: algorithm,
            });
        }
        let message = self.signing_input().as_bytes();
        candidates
            .find(|k| {
                crypto::verify(self.signature(), message, k.decoding_key(), algorithm)
                    .unwrap_or(false)
            })
            .map(|k| Verified::Signed {
                alg: algorithm,
                kid: k.kid().map(str::to_string),
            })
            .ok_or(VerifyError::BadSignature { alg: algorithm })
    }
}

/// The names in a `crit` value, or the value itself when it is no list.
fn names(crit: &Value) -> Vec<String> {
    match crit {
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect(),
        other => vec![other.to_string()],
    }
}
