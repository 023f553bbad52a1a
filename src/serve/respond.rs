//! Building the reference server's responses: SCIM JSON and SCIM errors,
//! bent by the bugs that concern their form.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::bugs::Bug;
use super::App;
use crate::scim::urn;

/// A JSON response with the SCIM media type.
pub fn scim(app: &App, status: StatusCode, body: &Value) -> Response {
    let media = if app.bug(Bug::JsonContentType) {
        "application/json"
    } else {
        urn::MEDIA_TYPE
    };
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    resp
}

/// A SCIM error (RFC 7644 §3.12).
pub fn error(app: &App, status: StatusCode, scim_type: Option<&str>, detail: &str) -> Response {
    if app.bug(Bug::ErrorBodyMissing) && matches!(status.as_u16(), 412 | 501) {
        return status.into_response();
    }
    if app.bug(Bug::ErrorAsHtml) && status == StatusCode::NOT_FOUND {
        let page = format!("<html><body><h1>{status}</h1><p>{detail}</p></body></html>");
        let mut resp = (status, page).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        return resp;
    }
    let status_value = if app.bug(Bug::ErrorStatusNumber) {
        json!(status.as_u16())
    } else {
        json!(status.as_u16().to_string())
    };
    let mut body = json!({"schemas": [urn::ERROR], "status": status_value, "detail": detail});
    if let Some(t) = scim_type {
        body["scimType"] = json!(t);
    }
    scim(app, status, &body)
}

/// Sets a header on a response.
pub fn with_header(mut resp: Response, name: header::HeaderName, value: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
    resp
}
