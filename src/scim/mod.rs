//! The SCIM domain model of RFC 7643 and RFC 7644: schemas, messages, URNs. Pure data, no I/O.

pub mod bulk;
pub mod filter;
pub mod message;
pub mod patch;
pub mod path;
pub mod schema;
pub mod set;
pub mod urn;

pub use message::{ErrorBody, ListResponse, PatchOp, PatchOperation, SearchRequest};
pub use schema::{AttrType, Attribute, Mutability, Returned, Schema, Uniqueness};
