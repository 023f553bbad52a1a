//! scimitar: a SCIM 2.0 conformance and fuzz test harness.
//!
//! Layers, each depending only on those above it in this list:
//! - [`source`], [`rfc`]: positions in user files; the RFC requirement catalog;
//!   [`coverage`]: the testable requirements the cases cite.
//! - [`scim`]: the RFC 7643/7644 model (no I/O).
//! - [`http`]: the transport (no SCIM or suite types).
//! - [`suite`]: the declarative test-suite format.
//! - [`outcome`]: results as plain data, read by [`report`]; [`baseline`]: known failures.
//! - [`run`]: discovery, planning, execution, cleanup; [`check`]: built-in checks.
//! - [`serve`]: the reference server with injectable bugs.
//! - [`cli`]: the command line.
//!
//! Without the default `net` feature only the pure model builds: [`source`],
//! [`rfc`], [`scim`], [`suite`] and the generators in [`gen`] (no tokio,
//! HTTP, server or terminal crates). The fuzz targets use that build.

#[cfg(feature = "net")]
pub mod baseline;
#[cfg(feature = "net")]
pub mod check;
#[cfg(feature = "net")]
pub mod cli;
pub mod coverage;
#[cfg(feature = "net")]
pub mod discover;
#[cfg(feature = "net")]
pub mod events;
#[cfg(feature = "net")]
pub mod fuzzing;
pub mod gen;
#[cfg(feature = "net")]
pub mod http;
#[cfg(feature = "net")]
pub mod outcome;
#[cfg(feature = "net")]
pub mod report;
pub mod rfc;
#[cfg(feature = "net")]
pub mod run;
pub mod scim;
#[cfg(feature = "net")]
pub mod serve;
pub mod source;
pub mod suite;
