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

use super::inbox::{Inbox, Problem, Via};
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
}

impl Receiver {
    /// Stops listening; requests in flight are given a second to finish.
    pub async fn stop(self) {
        self.handle
            .graceful_shutdown(Some(std::time::Duration::from_secs(1)));
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
    match &config.tls {
        Some(identity) => {
            let rustls = tls::server_config(identity)?;
            let server = axum_server::from_tcp_rustls(listener, rustls)
                .map_err(|e| format!("cannot serve TLS on {local}: {e}"))?
                .handle(handle.clone());
            tokio::spawn(async move {
                let _ = server.serve(service).await;
            });
        }
        None => {
            let server = axum_server::from_tcp(listener)
                .map_err(|e| format!("cannot serve on {local}: {e}"))?
                .handle(handle.clone());
            tokio::spawn(async move {
                let _ = server.serve(service).await;
            });
        }
    }
    let host = match local.ip() {
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    Ok(Receiver {
        url: format!("{scheme}://{host}:{}{PATH}", local.port()),
        cert_pem: config.tls.map(|t| t.cert_pem),
        handle,
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

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(token) = &shared.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(token.as_ref()) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
            )
                .into_response();
        }
    }
    let inbox = &shared.inbox;
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
