//! RFC 7644 protocol messages: ListResponse (§3.4.2), Error (§3.12),
//! PatchOp (§3.5.2) and SearchRequest (§3.4.3).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::urn;

/// A query response (RFC 7644 §3.4.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ListResponse {
    pub schemas: Vec<String>,
    #[serde(rename = "totalResults")]
    pub total_results: u64,
    #[serde(
        rename = "startIndex",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub start_index: Option<u64>,
    #[serde(
        rename = "itemsPerPage",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub items_per_page: Option<u64>,
    #[serde(rename = "Resources", default)]
    pub resources: Vec<Value>,
}

impl ListResponse {
    /// A complete (unpaged) list of `resources`.
    pub fn complete(resources: Vec<Value>) -> Self {
        ListResponse {
            schemas: vec![urn::LIST_RESPONSE.to_string()],
            total_results: resources.len() as u64,
            start_index: Some(1),
            items_per_page: Some(resources.len() as u64),
            resources,
        }
    }
}

/// An error response body (RFC 7644 §3.12). `status` is a JSON string.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub schemas: Vec<String>,
    pub status: String,
    #[serde(rename = "scimType", default, skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ErrorBody {
    pub fn new(status: u16, scim_type: Option<&str>, detail: impl Into<String>) -> Self {
        ErrorBody {
            schemas: vec![urn::ERROR.to_string()],
            status: status.to_string(),
            scim_type: scim_type.map(str::to_string),
            detail: Some(detail.into()),
        }
    }
}

/// One PATCH operation (RFC 7644 §3.5.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PatchOperation {
    pub op: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// A PATCH request body (RFC 7644 §3.5.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PatchOp {
    pub schemas: Vec<String>,
    #[serde(rename = "Operations")]
    pub operations: Vec<PatchOperation>,
}

/// A POST /.search body (RFC 7644 §3.4.3).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    pub schemas: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_attributes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_index: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// RFC 9865 §3: a cursor in a SearchRequest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_status_is_a_json_string() {
        let body = serde_json::to_value(ErrorBody::new(409, Some("uniqueness"), "taken")).unwrap();
        assert_eq!(body["status"], json!("409"));
        assert_eq!(body["scimType"], json!("uniqueness"));
        assert_eq!(body["schemas"], json!([urn::ERROR]));
    }

    #[test]
    fn list_response_uses_rfc_member_names() {
        let body = serde_json::to_value(ListResponse::complete(vec![json!({"id": "1"})])).unwrap();
        assert_eq!(body["totalResults"], json!(1));
        assert_eq!(body["Resources"][0]["id"], json!("1"));
        let patch: PatchOp = serde_json::from_value(json!({
            "schemas": [urn::PATCH_OP],
            "Operations": [{"op": "add", "path": "title", "value": "x"}]
        }))
        .unwrap();
        assert_eq!(patch.operations[0].path.as_deref(), Some("title"));
    }
}
