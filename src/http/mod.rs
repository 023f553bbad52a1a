//! HTTP transport: requests, responses, recorded exchanges, authentication,
//! limits and redaction. Knows nothing of SCIM or suites.

pub mod auth;
pub mod client;
pub mod exchange;
pub mod pace;
pub mod redact;
pub mod tls;

pub use auth::Auth;
pub use client::{Client, ClientConfig, HttpError, Request, Response};
pub use exchange::{Exchange, RecordedRequest, RecordedResponse};
pub use redact::Redactor;
