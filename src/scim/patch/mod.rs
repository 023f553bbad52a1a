//! PATCH (RFC 7644 §3.5.2): the request's operations, the reference applier
//! that computes what a resource must look like afterwards (the oracle), and
//! the comparison of a server's resource with that result.
//!
//! Where the big identity providers' dialects go beyond the RFC in ways a
//! strict server may also accept (capitalised `op` values, booleans sent as
//! `"False"`, dotted or URN-qualified keys in a path-less value), the applier
//! accepts the dialect; cases of the strict profile never send those shapes.

mod apply;
mod compare;

use std::fmt;

use serde_json::Value;

pub use apply::{Applied, Applier};
pub use compare::{differences, Difference};

use super::path::{self, PatchPath};
use super::urn;

/// The three operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Remove,
    Replace,
}

impl OpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Add => "add",
            OpKind::Remove => "remove",
            OpKind::Replace => "replace",
        }
    }
}

/// One parsed operation.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    pub op: OpKind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// Why a PATCH must fail: the status and the `scimType` values (RFC 7644
/// Table 9) a server may answer with. An empty list accepts any scimType,
/// for failures the RFC gives no particular one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchError {
    pub status: u16,
    pub scim_types: Vec<&'static str>,
    pub detail: String,
}

impl PatchError {
    pub fn new(scim_types: &[&'static str], detail: impl Into<String>) -> Self {
        PatchError {
            status: 400,
            scim_types: scim_types.to_vec(),
            detail: detail.into(),
        }
    }

    /// The scimType a server of our own answers with.
    pub fn scim_type(&self) -> Option<&'static str> {
        self.scim_types.first().copied()
    }

    fn in_operation(mut self, index: usize) -> Self {
        self.detail = format!("Operations[{index}]: {}", self.detail);
        self
    }
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.detail)?;
        if !self.scim_types.is_empty() {
            write!(f, " (scimType {})", self.scim_types.join(" or "))?;
        }
        Ok(())
    }
}

const SYNTAX: &[&str] = &["invalidSyntax", "invalidValue"];

/// Reads a PatchOp body (RFC 7644 §3.5.2): the PatchOp schema, a non-empty
/// `Operations` array, and for each an `op` (case-insensitive), a `path`
/// that follows the grammar, and a `value` where the operation needs one.
pub fn parse_request(body: &Value) -> Result<Vec<Operation>, PatchError> {
    let obj = body
        .as_object()
        .ok_or_else(|| PatchError::new(SYNTAX, "the body is not a JSON object"))?;
    let schemas_ok = obj
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|s| s.as_str() == Some(urn::PATCH_OP)));
    if !schemas_ok {
        return Err(PatchError::new(
            SYNTAX,
            format!("schemas must contain {}", urn::PATCH_OP),
        ));
    }
    let ops = obj
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Operations"))
        .and_then(|(_, v)| v.as_array())
        .filter(|a| !a.is_empty())
        .ok_or_else(|| PatchError::new(SYNTAX, "Operations must be a non-empty array"))?;
    ops.iter()
        .enumerate()
        .map(|(i, o)| operation(o).map_err(|e| e.in_operation(i)))
        .collect()
}

fn member<'v>(o: &'v Value, name: &str) -> Option<&'v Value> {
    o.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn operation(o: &Value) -> Result<Operation, PatchError> {
    if !o.is_object() {
        return Err(PatchError::new(SYNTAX, "an operation must be an object"));
    }
    let op = match member(o, "op")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
    {
        Some(s) if s == "add" => OpKind::Add,
        Some(s) if s == "remove" => OpKind::Remove,
        Some(s) if s == "replace" => OpKind::Replace,
        Some(s) => return Err(PatchError::new(SYNTAX, format!("unknown op `{s}`"))),
        None => return Err(PatchError::new(SYNTAX, "op is missing")),
    };
    let path = match member(o, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) => Some(path::parse(p).map_err(|e| {
            PatchError::new(
                &["invalidPath", "invalidFilter"],
                format!("path `{p}`: {e}"),
            )
        })?),
        Some(_) => return Err(PatchError::new(&["invalidPath"], "path must be a string")),
    };
    let value = member(o, "value").filter(|v| !v.is_null()).cloned();
    if op == OpKind::Remove && path.is_none() {
        return Err(PatchError::new(&["noTarget"], "remove needs a path"));
    }
    if op != OpKind::Remove && value.is_none() {
        return Err(PatchError::new(
            &["invalidValue", "invalidSyntax"],
            format!("{} needs a value", op.as_str()),
        ));
    }
    Ok(Operation { op, path, value })
}

#[cfg(test)]
mod request_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_operations_and_refuses_malformed_requests() {
        let ops = parse_request(&json!({"schemas": [urn::PATCH_OP], "Operations": [
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "a@b"},
            {"op": "remove", "path": "nickName"}
        ]}))
        .unwrap();
        assert_eq!(ops[0].op, OpKind::Replace);
        assert_eq!(ops[1].path.as_ref().unwrap().to_string(), "nickName");
        for (body, scim_type) in [
            (
                json!({"Operations": [{"op": "add", "value": {}}]}),
                "invalidSyntax",
            ),
            (
                json!({"schemas": [urn::PATCH_OP], "Operations": []}),
                "invalidSyntax",
            ),
            (
                json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "move", "path": "a"}]}),
                "invalidSyntax",
            ),
            (
                json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "remove"}]}),
                "noTarget",
            ),
            (
                json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "add", "path": "a"}]}),
                "invalidValue",
            ),
            (
                json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "add", "path": "a[", "value": 1}]}),
                "invalidPath",
            ),
        ] {
            let e = parse_request(&body).unwrap_err();
            assert!(e.scim_types.contains(&scim_type), "{body}: {e}");
        }
    }
}

#[cfg(test)]
mod tests;
