//! Schema-aware fuzzing of a live SCIM endpoint (`scimitar fuzz`):
//! requests generated from the discovered schemas ([`generate`], with
//! [`bodies`], [`queries`], [`headers`], [`values`]), invariants checked on
//! every response ([`invariants`]), violations shrunk ([`shrink`]) and
//! written as replayable suite files ([`reproduce`]), within a rate
//! ([`rate`]) and a time budget, cleaning up what it created ([`engine`],
//! which sends each request with the state it needs in `exec`).

pub mod bodies;
pub mod emit;
pub mod engine;
mod exec;
pub mod generate;
pub mod headers;
pub mod invariants;
pub mod queries;
pub mod rate;
pub mod report;
pub mod reproduce;
pub mod request;
pub mod shrink;
pub mod values;

pub use engine::{fuzz, fuzz_with_model, Options};
pub use generate::Model;
pub use report::{FuzzReport, Violation};
pub use request::{Family, FuzzRequest};
