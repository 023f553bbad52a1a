//! proptest strategies for SCIM inputs. They drive property tests and seed
//! the fuzz corpora.

pub mod filter;
pub mod patch;
