//! Signing a header and claims set into the JWS compact form (RFC 7515
//! §5.1) with an HMAC secret or a PEM private key, or leaving it unsigned
//! (RFC 7519 §6: `alg: none` and an empty signature). The header is signed
//! as given, so callers can make it disagree with the key on purpose.

use jsonwebtoken::{crypto, Algorithm, EncodingKey};
use serde_json::{Map, Value};

use super::jwt::{compact, signing_input};
use super::keys::KeyFamily;

/// How to sign.
#[derive(Clone)]
pub struct Signer {
    key: Option<(Algorithm, EncodingKey)>,
    kid: Option<String>,
}

/// Why a signer could not be made or could not sign.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("{0:?} does not take an HMAC secret")]
    NotHmac(Algorithm),
    #[error("{0:?} does not take a PEM private key")]
    NotAsymmetric(Algorithm),
    #[error("not a PEM private key for {alg:?}: {detail}")]
    Pem { alg: Algorithm, detail: String },
}

impl Signer {
    /// `alg: none`, empty signature.
    pub fn unsigned() -> Signer {
        Signer {
            key: None,
            kid: None,
        }
    }

    /// HS256 with a shared secret.
    pub fn hs256(secret: &[u8]) -> Signer {
        Signer {
            key: Some((Algorithm::HS256, EncodingKey::from_secret(secret))),
            kid: None,
        }
    }

    /// HS256, HS384 or HS512 with a shared secret.
    pub fn hmac(alg: Algorithm, secret: &[u8]) -> Result<Signer, SignError> {
        if KeyFamily::of(alg) != KeyFamily::Hmac {
            return Err(SignError::NotHmac(alg));
        }
        Ok(Signer {
            key: Some((alg, EncodingKey::from_secret(secret))),
            kid: None,
        })
    }

    /// RS*/PS* with an RSA key, ES256/ES384 with an EC key (PKCS#8), EdDSA
    /// with an Ed25519 key. The key is tried once here, so a key that
    /// cannot sign is refused now rather than at [`Signer::sign`].
    pub fn private_pem(alg: Algorithm, pem: &[u8]) -> Result<Signer, SignError> {
        let key = match KeyFamily::of(alg) {
            KeyFamily::Hmac => return Err(SignError::NotAsymmetric(alg)),
            KeyFamily::Rsa => EncodingKey::from_rsa_pem(pem),
            KeyFamily::Ec => EncodingKey::from_ec_pem(pem),
            KeyFamily::Ed => EncodingKey::from_ed_pem(pem),
        };
        let pem_error = |e: jsonwebtoken::errors::Error| SignError::Pem {
            alg,
            detail: e.to_string(),
        };
        let key = key.map_err(pem_error)?;
        crypto::sign(b"probe", &key, alg).map_err(pem_error)?;
        Ok(Signer {
            key: Some((alg, key)),
            kid: None,
        })
    }

    /// Names the key in the header the builder makes.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Signer {
        self.kid = Some(kid.into());
        self
    }

    /// The `alg` header value: `"none"` or the JWA name.
    pub fn alg(&self) -> String {
        self.key
            .as_ref()
            .map_or_else(|| "none".to_string(), |(alg, _)| format!("{alg:?}"))
    }

    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Signs `header` and `claims` as they are (the header is not made to
    /// agree with the key) and returns the compact form.
    pub fn sign(&self, header: &Map<String, Value>, claims: &Map<String, Value>) -> String {
        let Some((alg, key)) = &self.key else {
            return compact(header, claims, "");
        };
        let input = signing_input(header, claims);
        // The key signed a probe when the signer was made, so this succeeds.
        let signature = crypto::sign(input.as_bytes(), key, *alg).unwrap_or_default();
        format!("{input}.{signature}")
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkeys::{EC_PRIVATE, RSA_PRIVATE};
    use super::*;

    #[test]
    fn refuses_keys_that_do_not_fit_the_algorithm() {
        assert_eq!(
            Signer::hmac(Algorithm::RS256, b"s").err(),
            Some(SignError::NotHmac(Algorithm::RS256))
        );
        assert_eq!(
            Signer::private_pem(Algorithm::HS256, RSA_PRIVATE.as_bytes()).err(),
            Some(SignError::NotAsymmetric(Algorithm::HS256))
        );
        assert!(matches!(
            Signer::private_pem(Algorithm::ES256, RSA_PRIVATE.as_bytes()),
            Err(SignError::Pem {
                alg: Algorithm::ES256,
                ..
            })
        ));
        assert!(matches!(
            Signer::private_pem(Algorithm::RS256, b"junk"),
            Err(SignError::Pem { .. })
        ));
    }

    #[test]
    fn names_its_algorithm_and_key() {
        assert_eq!(Signer::unsigned().alg(), "none");
        assert_eq!(Signer::hs256(b"s").with_kid("k").kid(), Some("k"));
        let es = Signer::private_pem(Algorithm::ES256, EC_PRIVATE.as_bytes()).expect("EC key");
        assert_eq!(es.alg(), "ES256");
        let rs = Signer::private_pem(Algorithm::PS256, RSA_PRIVATE.as_bytes()).expect("RSA key");
        assert_eq!(rs.alg(), "PS256");
    }

    #[test]
    fn unsigned_output_ends_in_an_empty_signature() {
        let token = Signer::unsigned().sign(&Map::new(), &Map::new());
        assert_eq!(token, "e30.e30.");
    }
}
