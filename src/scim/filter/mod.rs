//! SCIM filters (RFC 7644 §3.4.2.2, attribute notation §3.10): the AST, a
//! parser with positions, a canonical `Display`, and the reference evaluator.

mod ast;
mod display;
mod eval;
mod parse;
mod sort;

pub use ast::{AttrPath, CompValue, CompareOp, Filter, Span};
pub use eval::{parse_time, EvalError, Evaluator};
pub use parse::{parse, parse_attr_path, FilterError};
pub use sort::{order, SortKey};
