//! Keys that verify JWS signatures: a JWK Set (RFC 7517 §5), an HMAC
//! secret or a PEM public key (RSA, EC or Ed25519), each with an optional
//! `kid`; and which of them may check a token with a given `kid` and `alg`.

use std::fmt;

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyOperations, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

/// The key type an algorithm needs (RFC 7518 §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFamily {
    Hmac,
    Rsa,
    Ec,
    Ed,
}

impl KeyFamily {
    pub fn of(alg: Algorithm) -> KeyFamily {
        match alg {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => KeyFamily::Hmac,
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => KeyFamily::Rsa,
            Algorithm::ES256 | Algorithm::ES384 => KeyFamily::Ec,
            Algorithm::EdDSA => KeyFamily::Ed,
        }
    }
}

/// One verification key.
#[derive(Clone)]
pub struct VerifyKey {
    kid: Option<String>,
    family: KeyFamily,
    /// The JWK's `alg`: the only algorithm the key may check.
    alg: Option<Algorithm>,
    key: DecodingKey,
}

impl VerifyKey {
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    pub fn family(&self) -> KeyFamily {
        self.family
    }

    pub fn alg(&self) -> Option<Algorithm> {
        self.alg
    }

    pub(crate) fn decoding_key(&self) -> &DecodingKey {
        &self.key
    }

    /// Whether this key may check a signature made with `alg`. The family
    /// check also keeps jsonwebtoken from misusing a key (an RSA JWK given
    /// to HMAC would panic there).
    pub(crate) fn fits(&self, alg: Algorithm) -> bool {
        self.family == KeyFamily::of(alg) && self.alg.is_none_or(|a| a == alg)
    }
}

impl fmt::Debug for VerifyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyKey")
            .field("kid", &self.kid)
            .field("family", &self.family)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// Why keys could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the JWKS is not JSON: {0}")]
    Json(String),
    #[error("a JWKS is a JSON object with a \"keys\" array (RFC 7517 §5)")]
    NotJwks,
    #[error("the JWKS has no usable signature key ({skipped} skipped)")]
    NoUsableKey { skipped: usize },
    #[error("not a PEM RSA, EC or Ed25519 public key: {0}")]
    Pem(String),
}

/// The keys a receiver accepts.
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    keys: Vec<VerifyKey>,
}

impl KeySet {
    /// No keys: only unsigned tokens, where allowed, pass.
    pub fn new() -> KeySet {
        KeySet::default()
    }

    /// The signature keys of a JWK Set. Keys that are malformed, marked for
    /// encryption (`use: enc`, `key_ops` without `verify`) or bound to a
    /// non-JWS `alg` are skipped; none left is an error.
    pub fn from_jwks(json: &str) -> Result<KeySet, KeyError> {
        let doc: Value = serde_json::from_str(json).map_err(|e| KeyError::Json(e.to_string()))?;
        let entries = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(KeyError::NotJwks)?;
        let keys: Vec<VerifyKey> = entries.iter().filter_map(jwk_key).collect();
        if keys.is_empty() {
            return Err(KeyError::NoUsableKey {
                skipped: entries.len(),
            });
        }
        Ok(KeySet { keys })
    }

    /// A shared HMAC secret (HS256, HS384, HS512).
    pub fn hmac(secret: &[u8]) -> KeySet {
        KeySet::one(KeyFamily::Hmac, DecodingKey::from_secret(secret))
    }

    /// A PEM public key (`PUBLIC KEY` or `RSA PUBLIC KEY`): RSA, EC (P-256,
    /// P-384) or Ed25519, told apart by its algorithm identifier.
    pub fn public_pem(pem: &[u8]) -> Result<KeySet, KeyError> {
        if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
            return Ok(KeySet::one(KeyFamily::Rsa, key));
        }
        if let Ok(key) = DecodingKey::from_ec_pem(pem) {
            return Ok(KeySet::one(KeyFamily::Ec, key));
        }
        DecodingKey::from_ed_pem(pem)
            .map(|key| KeySet::one(KeyFamily::Ed, key))
            .map_err(|e| KeyError::Pem(e.to_string()))
    }

    /// Gives `kid` to the keys that have none.
    pub fn with_kid(mut self, kid: &str) -> KeySet {
        for key in &mut self.keys {
            key.kid.get_or_insert_with(|| kid.to_string());
        }
        self
    }

    /// Both sets' keys.
    pub fn extend(mut self, other: KeySet) -> KeySet {
        self.keys.extend(other.keys);
        self
    }

    pub fn keys(&self) -> &[VerifyKey] {
        &self.keys
    }

    /// The keys a token with this `kid` may name: those with the same kid,
    /// and those without a kid (a bare secret or PEM key answers any kid).
    pub(crate) fn named<'a>(&'a self, kid: Option<&'a str>) -> impl Iterator<Item = &'a VerifyKey> {
        self.keys
            .iter()
            .filter(move |k| kid.is_none() || k.kid.is_none() || k.kid.as_deref() == kid)
    }

    fn one(family: KeyFamily, key: DecodingKey) -> KeySet {
        KeySet {
            keys: vec![VerifyKey {
                kid: None,
                family,
                alg: None,
                key,
            }],
        }
    }
}

fn jwk_key(entry: &Value) -> Option<VerifyKey> {
    let jwk: Jwk = serde_json::from_value(entry.clone()).ok()?;
    let common = &jwk.common;
    if matches!(common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    if let Some(ops) = &common.key_operations {
        if !ops.contains(&KeyOperations::Verify) {
            return None;
        }
    }
    let alg = match common.key_algorithm {
        // The JWK names an algorithm: it must be a JWS one.
        Some(a) => Some(a.to_string().parse::<Algorithm>().ok()?),
        None => None,
    };
    let family = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => KeyFamily::Rsa,
        AlgorithmParameters::EllipticCurve(_) => KeyFamily::Ec,
        AlgorithmParameters::OctetKey(_) => KeyFamily::Hmac,
        AlgorithmParameters::OctetKeyPair(_) => KeyFamily::Ed,
    };
    if alg.is_some_and(|a| KeyFamily::of(a) != family) {
        return None;
    }
    Some(VerifyKey {
        kid: common.key_id.clone(),
        family,
        alg,
        key: DecodingKey::from_jwk(&jwk).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkeys::{EC_PUBLIC, JWKS, RSA_PUBLIC};
    use super::*;

    #[test]
    fn reads_a_jwks_with_kids_families_and_algs() {
        let set = KeySet::from_jwks(JWKS).expect("the test JWKS reads");
        let summary: Vec<_> = set
            .keys()
            .iter()
            .map(|k| (k.kid().map(str::to_string), k.family(), k.alg()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (Some("rsa-1".into()), KeyFamily::Rsa, Some(Algorithm::RS256)),
                (Some("ec-1".into()), KeyFamily::Ec, None),
                (Some("hmac-1".into()), KeyFamily::Hmac, None),
            ]
        );
    }

    #[test]
    fn skips_encryption_and_malformed_keys_and_fails_when_none_is_left() {
        let jwks = r#"{"keys":[
            {"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"},
            {"kty":"oct","k":"c2VjcmV0","key_ops":["encrypt"]},
            {"kty":"oct","k":"c2VjcmV0","alg":"RSA-OAEP"},
            {"kty":"oct","k":"c2VjcmV0","alg":"RS256"},
            {"kty":"EC","crv":"P-256"},
            {"kty":"XYZ"},
            42
        ]}"#;
        assert_eq!(
            KeySet::from_jwks(jwks).unwrap_err(),
            KeyError::NoUsableKey { skipped: 7 }
        );
        assert_eq!(KeySet::from_jwks("[]").unwrap_err(), KeyError::NotJwks);
        assert!(matches!(KeySet::from_jwks("{"), Err(KeyError::Json(_))));
    }

    #[test]
    fn tells_pem_key_types_apart() {
        let rsa = KeySet::public_pem(RSA_PUBLIC.as_bytes()).expect("RSA PEM");
        assert_eq!(rsa.keys()[0].family(), KeyFamily::Rsa);
        let ec = KeySet::public_pem(EC_PUBLIC.as_bytes()).expect("EC PEM");
        assert_eq!(ec.keys()[0].family(), KeyFamily::Ec);
        assert!(matches!(
            KeySet::public_pem(b"not a key"),
            Err(KeyError::Pem(_))
        ));
    }

    #[test]
    fn kids_select_keys_and_bare_keys_answer_any_kid() {
        let set = KeySet::hmac(b"a")
            .with_kid("one")
            .extend(KeySet::hmac(b"b"))
            .extend(KeySet::hmac(b"c").with_kid("three"));
        let kids = |kid| {
            set.named(kid)
                .map(|k| k.kid().unwrap_or("-").to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(kids(Some("one")), ["one", "-"]);
        assert_eq!(kids(Some("nope")), ["-"]);
        assert_eq!(kids(None), ["one", "-", "three"]);
        let key = &set.keys()[0];
        assert!(key.fits(Algorithm::HS512) && !key.fits(Algorithm::RS256));
    }
}
