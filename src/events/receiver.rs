//! The push receiver (RFC 8935 §2): an HTTPS (or, on loopback when asked,
//! plain HTTP) endpoint that a transmitter POSTs SETs to. Each SET goes to
//! the [`Inbox`], which validates and keeps it before the answer: 202, or
//! 400 with `{"err", "description"}` (§2.3). How the transmitter sends —
//! its method, Content-Type and Accept — is checked too (§2.1).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use axum_server::Handle;

use super::inbox::{Inbox, Problem, Via, NOTE};
use super::tls;
use crate::rfc::Level;
use crate::scim::set::{ErrorCode, MEDIA_TYPE};

/// The path SETs are pushed to.
pub const PATH: &str = "/events";

/// The largest SET accepted.
const MAX_BODY: usize = 1 << 20;

/// How to listen.
#[derive(Debug)]
pub struct ReceiverConfig {
    pub addr: SocketAddr,
    /// None: plain HTTP, allowed only on a loopback address.
    pub tls: Option<tls::Identity>,
    /// A bearer token the transmitter must send, when set.
    pub token: Option<String>,
}

/// A running receiver.
pub struct Receiver {
    /// Where to push: `https://127.0.0.1:PORT/events`.
    pub url: String,
    /// The certificate a transmitter must trust (PEM), when serving HTTPS.
    pub cert_pem: Option<String>,
    handle: Handle<SocketAddr>,
    server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Stops listening; requests in flight are given a second to finish,
    /// and are waited for (two seconds at most), so that what they bring
    /// is in the inbox when this returns.
    pub async fn stop(self) {
        self.handle
            .graceful_shutdown(Some(std::time::Duration::from_secs(1)));
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), self.server).await;
    }
}

#[derive(Clone)]
struct Shared {
    inbox: Arc<Inbox>,
    token: Option<Arc<str>>,
}

/// Starts the receiver.
pub async fn start(inbox: Arc<Inbox>, config: ReceiverConfig) -> Result<Receiver, String> {
    if config.tls.is_none() && !config.addr.ip().is_loopback() {
        return Err(format!(
            "plain HTTP is allowed only on a loopback address, not {} (RFC 8935 §5.3: SETs travel under TLS)",
            config.addr
        ));
    }
    let shared = Shared {
        inbox,
        token: config.token.map(Arc::from),
    };
    let app = Router::new()
        .route(PATH, post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared);
    let listener = std::net::TcpListener::bind(config.addr)
        .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
    let handle = Handle::new();
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let service = app.into_make_service();
    let server = match &config.tls {
        Some(identity) => {
            let rustls = tls::server_config(identity)?;
            let server = axum_server::from_tcp_rustls(listener, rustls)
                .map_err(|e| format!("cannot serve TLS on {local}: {e}"))?
                .handle(handle.clone());
            tokio::spawn(async move {
                let _ = server.serve(service).await;
            })
        }
        None => {
            let server = axum_server::from_tcp(listener)
                .map_err(|e| format!("cannot serve on {local}: {e}"))?
                .handle(handle.clone());
            tokio::spawn(async move {
                let _ = server.serve(service).await;
            })
        }
    };
    let host = match local.ip() {
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    Ok(Receiver {
        url: format!("{scheme}://{host}:{}{PATH}", local.port()),
        cert_pem: config.tls.map(|t| t.cert_pem),
        handle,
        server,
    })
}

fn media_type(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(|v| {
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    })
}

/// A 400 with the RFC 8935 §2.3 error body.
fn refuse(code: ErrorCode, description: &str) -> Response {
    let body = serde_json::json!({"err": code.as_str(), "description": description});
    (
        StatusCode::BAD_REQUEST,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CONTENT_LANGUAGE, "en"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// What is wrong with a push request's credentials, if anything: it must
/// carry `token` as a bearer token (RFC 6750 §2.1; the scheme name is
/// case-insensitive, RFC 7235 §2.1). The answer never holds a token.
fn unauthorized(headers: &HeaderMap, token: &str) -> Option<&'static str> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Some("no Authorization header");
    };
    let given = value.to_str().ok().and_then(|v| {
        let (scheme, credentials) = v.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("Bearer")
            .then(|| credentials.trim_start())
    });
    match given {
        None => Some("an Authorization header that is not a Bearer token"),
        Some(given) if !same(given.as_bytes(), token.as_bytes()) => {
            Some("a bearer token other than the one expected (--events-push-token-env)")
        }
        Some(_) => None,
    }
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let inbox = &shared.inbox;
    if let Some(token) = &shared.token {
        if let Some(why) = unauthorized(&headers, token) {
            // Noted, or a misconfigured transmitter would show only as
            // events that never come.
            inbox.delivery_problem(Problem {
                requirement: NOTE.into(),
                level: Level::May,
                message: format!("a push request came with {why}; it was answered 401"),
            });
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
            )
                .into_response();
        }
    }
    let content_type = media_type(&headers, header::CONTENT_TYPE);
    let accept = media_type(&headers, header::ACCEPT);
    if accept.as_deref() != Some("application/json") {
        inbox.delivery_problem(Problem {
            requirement: "R8935-2.1-01".into(),
            level: Level::Must,
            message: format!(
                "a push request's Accept is {}, not application/json",
                accept.map_or("absent".into(), |a| format!("{a:?}"))
            ),
        });
    }
    if content_type.as_deref() != Some(MEDIA_TYPE) {
        let message = format!(
            "a push request's Content-Type is {}, not {MEDIA_TYPE}",
            content_type.map_or("absent".into(), |c| format!("{c:?}"))
        );
        inbox.delivery_problem(Problem {
            requirement: "R8935-2.1-01".into(),
            level: Level::Must,
            message: message.clone(),
        });
        return refuse(ErrorCode::InvalidRequest, &message);
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        return refuse(ErrorCode::InvalidRequest, "the body is not UTF-8");
    };
    match inbox.accept(text, Via::Push) {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err((code, description)) => refuse(code, &description),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(authorization: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(a) = authorization {
            headers.insert(header::AUTHORIZATION, a.parse().unwrap());
        }
        headers
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_the_token_exact() {
        for ok in ["Bearer s3cret", "bearer s3cret", "BEARER  s3cret"] {
            assert_eq!(unauthorized(&with(Some(ok)), "s3cret"), None, "{ok}");
        }
        for bad in [
            None,
            Some("Bearer s3cre"),
            Some("Bearer s3cret2"),
            Some("Basic s3cret"),
            Some("Bearers3cret"),
        ] {
            let why = unauthorized(&with(bad), "s3cret").expect("refused");
            assert!(!why.contains("s3cret"), "{why}");
        }
    }
}
