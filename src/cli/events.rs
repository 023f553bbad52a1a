//! The `run` options for SCIM events (RFC 9967): how SETs reach the run
//! (push to scimitar's receiver, or polling the transmitter), which keys,
//! issuer and audience they must have, and starting and stopping the
//! receiver or poller around the run.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::target::env;

pub use crate::events::Session as Running;
use crate::events::{poll, receiver, tls, Delivery, Inbox, Trust};
use crate::scim::set::{Expectations, KeySet, Unsigned};

#[derive(Args, Debug, Clone)]
pub struct EventArgs {
    /// Receive the target's SCIM events (RFC 9967) and run the events cases:
    /// `push` (the transmitter POSTs SETs to scimitar, RFC 8935) or `poll`
    /// (scimitar polls the transmitter, RFC 8936).
    #[arg(long = "events", value_enum, value_name = "HOW")]
    pub delivery: Option<Delivery>,
    /// Push: the address the receiver listens on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub events_listen: SocketAddr,
    /// Push: serve plain HTTP instead of HTTPS (loopback addresses only).
    #[arg(long)]
    pub events_http: bool,
    /// Push: the receiver's certificate (PEM) instead of a self-signed one.
    #[arg(long, value_name = "FILE", requires = "events_key")]
    pub events_cert: Option<PathBuf>,
    /// Push: the private key (PEM) of --events-cert.
    #[arg(long, value_name = "FILE", requires = "events_cert")]
    pub events_key: Option<PathBuf>,
    /// Push: environment variable holding a bearer token the transmitter must send.
    #[arg(long, value_name = "VAR")]
    pub events_push_token_env: Option<String>,
    /// Poll: the transmitter's RFC 8936 endpoint.
    #[arg(long, value_name = "URL")]
    pub events_poll_url: Option<url::Url>,
    /// Poll: environment variable holding the bearer token for the poll
    /// endpoint (default: the SCIM token's variable, when the poll URL has
    /// the SCIM base URL's scheme, host and port).
    #[arg(long, value_name = "VAR")]
    pub events_poll_token_env: Option<String>,
    /// Poll: maxEvents of each poll request.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub events_max_events: u32,
    /// The `iss` every SET must carry.
    #[arg(long, value_name = "ISS")]
    pub events_issuer: Option<String>,
    /// The audience every SET must name in `aud`.
    #[arg(long, value_name = "AUD")]
    pub events_audience: Option<String>,
    /// A JWKS file (RFC 7517) with the transmitter's public keys.
    #[arg(long, value_name = "FILE")]
    pub events_jwks: Option<PathBuf>,
    /// A PEM file with the transmitter's public key.
    #[arg(long, value_name = "FILE")]
    pub events_public_key: Option<PathBuf>,
    /// Environment variable holding an HMAC secret the SETs are signed with.
    #[arg(long, value_name = "VAR")]
    pub events_secret_env: Option<String>,
    /// Accept unsigned SETs (`alg: none`); RFC 9967 §5 wants signatures
    /// unless the transmitter is a direct peer.
    #[arg(long)]
    pub events_allow_unsigned: bool,
    /// Write every SET received, with its problems, to this JSON file.
    #[arg(long, value_name = "FILE")]
    pub events_out: Option<PathBuf>,
    /// Seconds a case waits for an event.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub events_wait: u64,
}

/// Where the embedded server sends, and what it signs with.
pub struct Embedded {
    pub secret: Vec<u8>,
    pub issuer: String,
    pub audience: String,
}

impl Embedded {
    pub fn new() -> Embedded {
        let secret = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        Embedded {
            secret: secret.into_bytes(),
            issuer: "scimitar-reference".into(),
            audience: "scimitar".into(),
        }
    }
}

fn read(path: &PathBuf) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

impl EventArgs {
    /// The keys, issuer and audience SETs are checked against.
    pub fn trust(&self, embedded: Option<&Embedded>) -> Result<Trust, String> {
        let mut keys = KeySet::new();
        if let Some(e) = embedded {
            keys = keys.extend(KeySet::hmac(&e.secret));
        }
        if let Some(path) = &self.events_jwks {
            let text = String::from_utf8(read(path)?)
                .map_err(|_| format!("{}: not UTF-8", path.display()))?;
            keys = keys
                .extend(KeySet::from_jwks(&text).map_err(|e| format!("{}: {e}", path.display()))?);
        }
        if let Some(path) = &self.events_public_key {
            keys = keys.extend(
                KeySet::public_pem(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))?,
            );
        }
        if let Some(var) = &self.events_secret_env {
            let secret =
                env(var).ok_or_else(|| format!("--events-secret-env: ${var} is not set"))?;
            keys = keys.extend(KeySet::hmac(secret.as_bytes()));
        }
        if keys.keys().is_empty() && !self.events_allow_unsigned {
            return Err("--events needs the transmitter's keys: --events-jwks, --events-public-key or --events-secret-env (or --events-allow-unsigned)".into());
        }
        Ok(Trust {
            keys,
            unsigned: if self.events_allow_unsigned {
                Unsigned::Allow
            } else {
                Unsigned::Refuse
            },
            expect: Expectations {
                issuer: self
                    .events_issuer
                    .clone()
                    .or_else(|| embedded.map(|e| e.issuer.clone())),
                audience: self
                    .events_audience
                    .clone()
                    .or_else(|| embedded.map(|e| e.audience.clone())),
                ..Default::default()
            },
        })
    }

    /// Starts the push receiver, when the run receives by push.
    pub async fn start_receiver(
        &self,
        inbox: &Arc<Inbox>,
    ) -> Result<Option<receiver::Receiver>, String> {
        if self.delivery != Some(Delivery::Push) {
            return Ok(None);
        }
        let identity = match (&self.events_cert, &self.events_key, self.events_http) {
            (_, _, true) => None,
            (Some(cert), Some(key), false) => Some(tls::Identity {
                cert_pem: String::from_utf8(read(cert)?)
                    .map_err(|_| format!("{}: not PEM", cert.display()))?,
                key_pem: String::from_utf8(read(key)?)
                    .map_err(|_| format!("{}: not PEM", key.display()))?,
            }),
            _ => Some(tls::self_signed(&[self.events_listen.ip().to_string()])?),
        };
        let token = match &self.events_push_token_env {
            Some(var) => Some(
                env(var).ok_or_else(|| format!("--events-push-token-env: ${var} is not set"))?,
            ),
            None => None,
        };
        let r = receiver::start(
            inbox.clone(),
            receiver::ReceiverConfig {
                addr: self.events_listen,
                tls: identity,
                token,
            },
        )
        .await?;
        Ok(Some(r))
    }

    /// Starts polling (`url` and `token` default to the embedded server's).
    /// An --events-poll-url gets the token of --events-poll-token-env or,
    /// when it has the origin of `scim_base`, the SCIM token of
    /// `scim_token_env`.
    pub fn start_poller(
        &self,
        inbox: &Arc<Inbox>,
        default: Option<(String, Option<String>)>,
        scim_base: Option<&url::Url>,
        scim_token_env: &str,
    ) -> Result<Option<poll::Poller>, String> {
        if self.delivery != Some(Delivery::Poll) {
            return Ok(None);
        }
        let (url, token) = match (&self.events_poll_url, default) {
            (Some(url), _) => {
                let token = poll_token(
                    url,
                    self.events_poll_token_env.as_deref(),
                    scim_base,
                    scim_token_env,
                    env,
                )?;
                (url.to_string(), token)
            }
            (None, Some((url, token))) => {
                let parsed =
                    url::Url::parse(&url).map_err(|e| format!("the poll URL {url:?}: {e}"))?;
                if token.is_some() {
                    plain_http_check(&parsed)?;
                }
                (url, token)
            }
            (None, None) => return Err("--events poll needs --events-poll-url".into()),
        };
        let poller = poll::start(
            poll::PollConfig {
                url,
                token,
                max_events: self.events_max_events,
                hold: Duration::from_secs(15),
                root_cert_pem: None,
            },
            inbox.clone(),
        )?;
        Ok(Some(poller))
    }

    pub fn inbox(&self, trust: Trust) -> Arc<Inbox> {
        Arc::new(Inbox::new(trust).with_patience(Duration::from_secs(self.events_wait.max(1))))
    }
}

/// The bearer token for `poll_url`: that of `poll_env` when given;
/// otherwise the SCIM token of `scim_env`, but only for the SCIM base URL's
/// origin (scheme, host and port), so that it goes to no other host. No
/// token is sent over plain HTTP off loopback (RFC 8936 §4.3).
fn poll_token(
    poll_url: &url::Url,
    poll_env: Option<&str>,
    scim_base: Option<&url::Url>,
    scim_env: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Option<String>, String> {
    if !matches!(poll_url.scheme(), "http" | "https") {
        return Err(format!(
            "--events-poll-url {poll_url}: not an http or https URL"
        ));
    }
    let token = match poll_env {
        Some(var) => lookup(var),
        None => match lookup(scim_env) {
            None => None,
            Some(_) if scim_base.is_none() => {
                return Err(format!(
                    "--events-poll-url: the SCIM token (${scim_env}) is sent only to the SCIM \
                     target's own scheme, host and port; give the poll endpoint's token with \
                     --events-poll-token-env"
                ))
            }
            Some(token) => {
                let base = scim_base.expect("checked above");
                if base.origin() != poll_url.origin() {
                    return Err(format!(
                        "--events-poll-url {} is not on the SCIM target's origin {}: the SCIM \
                         token (${scim_env}) is not sent there; give the poll endpoint's token \
                         with --events-poll-token-env",
                        poll_url.origin().ascii_serialization(),
                        base.origin().ascii_serialization(),
                    ));
                }
                Some(token)
            }
        },
    };
    if token.is_some() {
        plain_http_check(poll_url)?;
    }
    Ok(token)
}

/// Refuses to send a token over plain HTTP to a host other than loopback.
fn plain_http_check(url: &url::Url) -> Result<(), String> {
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() == "http" && !loopback {
        return Err(format!(
            "the poll URL {} is plain HTTP to a host other than loopback: no bearer token is \
             sent over it (RFC 8936 §4.3: SETs travel under TLS); use https",
            url.origin().ascii_serialization()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use url::Url;

    fn token(
        poll: &str,
        poll_env: Option<&str>,
        base: Option<&str>,
    ) -> Result<Option<String>, String> {
        let lookup = |var: &str| match var {
            "SCIM" => Some("scim-token".to_string()),
            "POLL" => Some("poll-token".to_string()),
            _ => None,
        };
        let base = base.map(|b| Url::parse(b).unwrap());
        poll_token(
            &Url::parse(poll).unwrap(),
            poll_env,
            base.as_ref(),
            "SCIM",
            lookup,
        )
    }

    #[test]
    fn the_scim_token_goes_only_to_the_scim_origin() {
        let base = Some("https://scim.example/scim/v2");
        assert_eq!(
            token("https://scim.example/events/poll", None, base),
            Ok(Some("scim-token".into()))
        );
        assert_eq!(
            token("https://SCIM.example:443/poll", None, base),
            Ok(Some("scim-token".into()))
        );
        for other in [
            "https://events.example/poll",
            "https://scim.example:8443/poll",
            "http://scim.example/poll",
        ] {
            let err = token(other, None, base).unwrap_err();
            assert!(err.contains("--events-poll-token-env"), "{err}");
            assert!(!err.contains("scim-token"), "{err}");
        }
        // The SCIM base URL unknown: no fallback.
        assert!(token("https://scim.example/poll", None, None).is_err());
        // The poll endpoint's own token goes anywhere over TLS.
        assert_eq!(
            token("https://events.example/poll", Some("POLL"), base),
            Ok(Some("poll-token".into()))
        );
        // No token to send: nothing to refuse.
        assert_eq!(
            token("https://events.example/poll", Some("UNSET"), base),
            Ok(None)
        );
    }

    #[test]
    fn no_token_travels_over_plain_http_off_loopback() {
        let err = token("http://events.example/poll", Some("POLL"), None).unwrap_err();
        assert!(err.contains("plain HTTP"), "{err}");
        assert!(!err.contains("poll-token"), "{err}");
        for local in [
            "http://127.0.0.1:8080/poll",
            "http://localhost:8080/poll",
            "http://[::1]:8080/poll",
        ] {
            assert_eq!(
                token(local, Some("POLL"), None),
                Ok(Some("poll-token".into())),
                "{local}"
            );
        }
        let base = Some("http://127.0.0.1:8080/scim");
        assert_eq!(
            token("http://127.0.0.1:8080/events/poll", None, base),
            Ok(Some("scim-token".into()))
        );
        assert!(token("ftp://127.0.0.1/poll", Some("POLL"), None).is_err());
    }
}
