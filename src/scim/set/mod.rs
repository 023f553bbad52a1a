//! Security Event Tokens (SETs, RFC 8417) for SCIM events (RFC 9967): JWTs
//! (RFC 7519) in the JWS compact serialization (RFC 7515). Pure: no I/O.
//!
//! - [`jwt`]: the compact form: split, decode, keep the signing input.
//! - [`keys`], [`verify`]: verification keys (JWKS, HMAC secret, PEM) and
//!   the signature check, `alg: none` only when the caller allows it.
//! - [`sign`], [`builder`]: producing SETs, valid or broken on purpose.
//! - [`event`]: the RFC 9967 §7.4 event URI registry and payload modes.
//! - [`model`]: the typed view that callers compare with their operations.
//! - [`rules`], [`mod@validate`]: claim validation, one [`Violation`] (with its
//!   requirement id, level and RFC 8935 error code) per broken rule.
//!
//! A receiver's order: [`Token::parse`], [`Token::verify`], [`validate()`],
//! then [`Set::from_token`] for the typed view.

pub mod builder;
mod dups;
pub mod event;
pub mod jwt;
pub mod keys;
pub mod model;
pub mod rules;
pub mod sign;
pub mod validate;
mod validate_scim;
pub mod verify;

#[cfg(test)]
mod testkeys;
#[cfg(test)]
mod tests;

pub use builder::SetBuilder;
pub use event::{EventKind, PayloadMode};
pub use jsonwebtoken::Algorithm;
pub use jwt::{Duplicate, ParseError, Part, Token};
pub use keys::{KeyError, KeySet};
pub use model::{Event, Set, SubId, ViewError};
pub use rules::{ErrorCode, Rule, Violation};
pub use sign::{SignError, Signer};
pub use validate::{rejection, validate, Expectations};
pub use verify::{Unsigned, Verified, VerifyError};

/// The media type of a SET (RFC 8417 §2.3, §7.2), as RFC 8935 §2.1 sends it.
pub const MEDIA_TYPE: &str = "application/secevent+jwt";

/// The `typ` header value RFC 8417 §2.3 recommends: the media type without
/// its `application/` prefix.
pub const TYP: &str = "secevent+jwt";
