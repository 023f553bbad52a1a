//! The reference server's OAuth 2.0 token endpoint (client credentials grant,
//! RFC 6749 §4.4), so that clients' OAuth support is tested for real.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;

use super::App;

/// Whether a base64 `user:password` matches.
pub fn basic_matches(b64: &str, user: &str, password: &str) -> bool {
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok())
        .is_some_and(|pair| pair == format!("{user}:{password}"))
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({"error": error}).to_string(),
    )
        .into_response()
}

/// `POST /oauth/token`: client authentication by HTTP basic (RFC 6749 §2.3.1).
pub async fn token(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let config = &app.inner.config;
    let (Some((id, secret)), Some(token)) = (&config.oauth_client, &config.token) else {
        return oauth_error(StatusCode::NOT_FOUND, "unsupported");
    };
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    if !form
        .iter()
        .any(|(k, v)| k == "grant_type" && v == "client_credentials")
    {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let authenticated = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .is_some_and(|b64| basic_matches(b64, id, secret));
    if !authenticated {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let body = json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600});
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
