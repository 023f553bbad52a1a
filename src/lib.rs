//! scimitar: a SCIM 2.0 conformance and fuzz test harness.
//!
//! Layers, each depending only on those above it in this list:
//! - [`source`], [`rfc`]: positions in user files; the RFC requirement catalog.
//! - [`scim`]: the RFC 7643/7644 model (no I/O).
//! - [`http`]: the transport (no SCIM or suite types).
//! - [`suite`]: the declarative test-suite format.
//! - [`outcome`]: results as plain data, read by [`report`]; [`baseline`]: known failures.
//! - [`run`]: discovery, planning, execution, cleanup; [`check`]: built-in checks.
//! - [`serve`]: the reference server with injectable bugs.
//! - [`cli`]: the command line.

pub mod baseline;
pub mod check;
pub mod cli;
pub mod discover;
pub mod events;
pub mod gen;
pub mod http;
pub mod outcome;
pub mod report;
pub mod rfc;
pub mod run;
pub mod scim;
pub mod serve;
pub mod source;
pub mod suite;
