//! How the reference server publishes and receives SCIM events: the
//! configuration structs of [`super::super::ServerConfig::events`]. Their
//! `Debug` never prints a secret, a token or a password in a URL.

use std::fmt;

/// SCIM events (RFC 9967): what the server signs, where it delivers, what
/// its receiver endpoint accepts.
#[derive(Clone)]
pub struct EventsConfig {
    /// `iss` of every SET.
    pub issuer: String,
    /// `aud` of every SET.
    pub audience: String,
    /// The HS256 signing secret (the key id is `scimitar-reference`).
    pub secret: Vec<u8>,
    /// `true`: `…:full` events carrying `data`; `false`: `…:notice` events
    /// carrying `attributes`.
    pub full: bool,
    /// RFC 8935 push delivery. A SET pushed here is not also queued for the
    /// RFC 8936 poll endpoint: one SET stream, delivered one way.
    pub push: Option<PushTarget>,
    /// What `POST /events/receiver` accepts.
    pub receiver: ReceiverConfig,
}

/// The RFC 8935 receiver the server pushes its SETs to.
#[derive(Clone)]
pub struct PushTarget {
    pub url: String,
    /// PEM certificates trusted besides the built-in roots (for a receiver
    /// with a private CA or a self-signed certificate).
    pub root_cert_pem: Option<Vec<u8>>,
    /// Sent as `Authorization: Bearer <token>`.
    pub token: Option<String>,
}

/// The SETs the server's own RFC 8935 receiver endpoint accepts.
#[derive(Clone)]
pub struct ReceiverConfig {
    /// The only `iss` accepted.
    pub issuer: String,
    /// The audience that must be named in `aud`.
    pub audience: String,
    /// The HS256 secret the signature must verify with.
    pub secret: Vec<u8>,
}

const REDACTED: &str = "<redacted>";

impl fmt::Debug for EventsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventsConfig")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("secret", &REDACTED)
            .field("full", &self.full)
            .field("push", &self.push)
            .field("receiver", &self.receiver)
            .finish()
    }
}

impl fmt::Debug for PushTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushTarget")
            .field("url", &redact_url(&self.url))
            .field(
                "root_cert_pem",
                &self.root_cert_pem.as_ref().map(|_| "<PEM>"),
            )
            .field("token", &self.token.as_ref().map(|_| REDACTED))
            .finish()
    }
}

impl fmt::Debug for ReceiverConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiverConfig")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("secret", &REDACTED)
            .finish()
    }
}

/// A URL fit for logs: without user information and query (either may
/// carry a credential).
pub(crate) fn redact_url(text: &str) -> String {
    crate::http::redact::redact_url(text, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_secrets_or_tokens() {
        let config = EventsConfig {
            issuer: "iss-1".into(),
            audience: "aud-1".into(),
            secret: b"top-secret-1".to_vec(),
            full: true,
            push: Some(PushTarget {
                url: "https://user:pw-secret-2@example.com/events?key=secret-3".into(),
                root_cert_pem: Some(b"-----BEGIN CERTIFICATE-----".to_vec()),
                token: Some("token-secret-4".into()),
            }),
            receiver: ReceiverConfig {
                issuer: "iss-2".into(),
                audience: "aud-2".into(),
                secret: b"receiver-secret-5".to_vec(),
            },
        };
        let text = format!("{config:?} {config:#?}");
        for secret in [
            "secret-1", "secret-2", "secret-3", "secret-4", "secret-5", "user",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("https://example.com/events"));
        assert!(text.contains("iss-1") && text.contains("aud-2"));
        assert_eq!(redact_url("not a url"), "<not a URL>");
    }
}
