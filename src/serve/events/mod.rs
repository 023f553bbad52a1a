//! SCIM events in the reference server (RFC 9967): when
//! [`ServerConfig::events`](super::ServerConfig::events) is set, every
//! successful create, replace, modify and delete of a User or Group
//! publishes signed SETs (RFC 8417) to one stream, which a receiver polls
//! (RFC 8936) or the server pushes (RFC 8935); requests may run
//! asynchronously; and the server receives pushed SETs itself.
//!
//! - [`config`]: the configuration structs (secrets never printed).
//! - `emit`: the SETs of one change; `asynchronous`: `Prefer:
//!   respond-async` and `misc:asyncresp`.
//! - `feed`: the stream: the poll queue, or the push task (a pushed SET
//!   is not also queued for polling).
//! - `poll`: `POST /events/poll`; `receiver`: `POST /events/receiver` and
//!   `GET /events/receiver/received`.
//!
//! These endpoints live at the server root, beside `/scim/v2`; all but the
//! receiver's POST need the server's credentials.

mod asynchronous;
pub mod config;
mod emit;
mod feed;
mod poll;
mod receiver;

use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;

pub(crate) use asynchronous::respond_async;
pub use config::{EventsConfig, PushTarget, ReceiverConfig};
pub(crate) use emit::{emit, Change};
pub use poll::LONG_POLL;

use super::bugs::{Bug, Bugs};
use super::App;
use crate::scim::set::event::{self, EventKind, PayloadMode};
use crate::scim::set::Signer;

/// The `kid` of the server's signing key.
pub const KEY_ID: &str = "scimitar-reference";

/// The events state of a running server.
pub struct Events {
    config: EventsConfig,
    signer: Signer,
    feed: feed::Feed,
    received: receiver::Received,
}

impl Events {
    /// Starts the push task when there is a push target (which needs a
    /// Tokio runtime).
    pub fn new(config: &EventsConfig, bugs: &Bugs) -> Events {
        let options = feed::PushOptions {
            json_content_type: bugs.has(Bug::PushWrongContentType),
            retransmit_delivered: bugs.has(Bug::PushRetransmits),
        };
        Events {
            config: config.clone(),
            signer: Signer::hs256(&config.secret).with_kid(KEY_ID),
            feed: feed::Feed::new(config.push.as_ref(), options),
            received: receiver::Received::default(),
        }
    }

    pub fn config(&self) -> &EventsConfig {
        &self.config
    }
}

/// The event URIs the server can emit (RFC 9967 §4 `eventUris`).
pub fn event_uris(full: bool) -> Vec<&'static str> {
    let mode = if full {
        PayloadMode::Full
    } else {
        PayloadMode::Notice
    };
    let mut uris: Vec<&'static str> = [EventKind::Create, EventKind::Put, EventKind::Patch]
        .into_iter()
        .filter_map(|kind| event::uri_for(kind, mode))
        .collect();
    uris.extend([
        event::DELETE,
        event::ACTIVATE,
        event::DEACTIVATE,
        event::ASYNC_RESPONSE,
    ]);
    uris
}

/// The routes at the server root.
pub fn routes(app: &App) -> Router<App> {
    let authenticated = Router::new()
        .route("/events/poll", post(poll::poll))
        .route("/events/receiver/received", get(receiver::received))
        .layer(middleware::from_fn_with_state(
            app.clone(),
            super::authenticate,
        ));
    Router::new()
        .route("/events/receiver", post(receiver::receive))
        .merge(authenticated)
}

/// A JSON answer of the delivery endpoints (RFC 8935, RFC 8936 use
/// `application/json`).
fn set_json(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// An RFC 8935 §2.3 error: `{"err", "description"}` in English.
fn set_error(status: StatusCode, err: &str, description: &str) -> Response {
    let body = serde_json::json!({"err": err, "description": description});
    let mut resp = set_json(status, &body);
    resp.headers_mut()
        .insert(header::CONTENT_LANGUAGE, HeaderValue::from_static("en"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_the_uris_of_the_mode() {
        let full = event_uris(true);
        assert!(full.contains(&event::PATCH_FULL) && !full.contains(&event::PATCH_NOTICE));
        let notice = event_uris(false);
        assert!(notice.contains(&event::CREATE_NOTICE) && notice.contains(&event::DELETE));
        assert_eq!(notice.len(), 7);
        assert!(notice.iter().all(|u| event::lookup(u).is_some()));
    }
}
