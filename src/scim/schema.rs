//! RFC 7643 §2 and §7: schemas, attributes and their characteristics, and the
//! core User, Group and EnterpriseUser schemas as published in RFC 7643 §8.7.1.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An attribute's data type (RFC 7643 §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Binary,
    Reference,
    Complex,
}

/// RFC 7643 §7 "mutability".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mutability {
    ReadOnly,
    #[default]
    ReadWrite,
    Immutable,
    WriteOnly,
}

/// RFC 7643 §7 "returned".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Returned {
    Always,
    Never,
    #[default]
    Default,
    Request,
}

/// RFC 7643 §7 "uniqueness".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Uniqueness {
    #[default]
    None,
    Server,
    Global,
}

/// One attribute definition with every characteristic of RFC 7643 §7.
/// Missing characteristics take the defaults of RFC 7643 §2.2.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attribute {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: AttrType,
    #[serde(default)]
    pub multi_valued: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canonical_values: Vec<Value>,
    #[serde(default)]
    pub case_exact: bool,
    #[serde(default)]
    pub mutability: Mutability,
    #[serde(default)]
    pub returned: Returned,
    #[serde(default)]
    pub uniqueness: Uniqueness,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_attributes: Vec<Attribute>,
}

impl Attribute {
    /// Whether one value has this attribute's JSON type (RFC 7643 §2.3),
    /// ignoring multiValued: a dateTime must also parse as xsd:dateTime
    /// (RFC 7643 §2.3.5), whose time zone is optional.
    pub fn accepts(&self, v: &Value) -> bool {
        match self.kind {
            AttrType::String | AttrType::Reference | AttrType::Binary => v.is_string(),
            AttrType::DateTime => v
                .as_str()
                .is_some_and(|s| crate::scim::filter::parse_time(s).is_some()),
            AttrType::Boolean => v.is_boolean(),
            AttrType::Integer => v.is_i64() || v.is_u64(),
            AttrType::Decimal => v.is_number(),
            AttrType::Complex => v.is_object(),
        }
    }

    /// The sub-attribute called `name`, compared case-insensitively (RFC 7643 §2.1).
    pub fn sub_attribute(&self, name: &str) -> Option<&Attribute> {
        self.sub_attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// Whether `s` is a URI reference (RFC 3986 §4.1), as reference values must
/// be (RFC 7643 §2.3.7): no spaces, controls or characters outside the URI
/// set, and `%` only before two hex digits. Non-ASCII letters pass (IRIs).
pub fn is_uri_reference(s: &str) -> bool {
    let b = s.as_bytes();
    !s.is_empty()
        && s.char_indices().all(|(i, c)| match c {
            '%' => b
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)),
            c if c.is_ascii_alphanumeric() => true,
            c if c.is_ascii() => "-._~:/?#[]@!$&'()*+,;=".contains(c),
            c => !c.is_control() && !c.is_whitespace(),
        })
}

/// A schema resource (RFC 7643 §7).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub attributes: Vec<Attribute>,
}

impl Schema {
    /// The attribute at `path` (`name` or `name.sub`), names compared case-insensitively.
    pub fn attribute(&self, path: &str) -> Option<&Attribute> {
        let mut parts = path.splitn(2, '.');
        let head = parts.next()?;
        let attr = self
            .attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(head))?;
        match parts.next() {
            None => Some(attr),
            Some(sub) => attr.sub_attribute(sub),
        }
    }

    /// Reads a schema from its JSON representation (RFC 7643 §7).
    pub fn from_json(value: &Value) -> Result<Schema, serde_json::Error> {
        Schema::deserialize(value)
    }
}

const USER_JSON: &str = include_str!("data/user.json");
const GROUP_JSON: &str = include_str!("data/group.json");
const ENTERPRISE_USER_JSON: &str = include_str!("data/enterprise_user.json");

/// The core schemas of RFC 7643 §8.7.1 as JSON, each with `schemas` and no `meta`.
pub fn core_schema_json() -> Vec<Value> {
    [USER_JSON, GROUP_JSON, ENTERPRISE_USER_JSON]
        .iter()
        .map(|s| serde_json::from_str(s).expect("embedded RFC 7643 schema is valid JSON"))
        .collect()
}

/// The core User, Group and EnterpriseUser schemas of RFC 7643 §8.7.1.
pub fn core_schemas() -> Vec<Schema> {
    core_schema_json()
        .iter()
        .map(|v| Schema::from_json(v).expect("embedded RFC 7643 schema matches the model"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_references() {
        for ok in [
            "https://example.com/a?b=c#d",
            "../Users/1",
            "urn:x:y",
            "mailto:a@b",
            "caf%C3%A9",
            "/ü",
        ] {
            assert!(is_uri_reference(ok), "{ok}");
        }
        for bad in [
            "",
            "not a uri",
            "http://exa mple.com",
            "a<b>",
            "100%",
            "%zz",
            "tab\there",
        ] {
            assert!(!is_uri_reference(bad), "{bad}");
        }
    }
    use crate::scim::urn;

    #[test]
    fn core_schemas_carry_the_rfc_characteristics() {
        let schemas = core_schemas();
        let ids: Vec<_> = schemas.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, [urn::USER, urn::GROUP, urn::ENTERPRISE_USER]);
        let user = &schemas[0];
        let user_name = user.attribute("USERNAME").unwrap();
        assert!(user_name.required);
        assert!(!user_name.case_exact);
        assert_eq!(user_name.uniqueness, Uniqueness::Server);
        let password = user.attribute("password").unwrap();
        assert_eq!(password.mutability, Mutability::WriteOnly);
        assert_eq!(password.returned, Returned::Never);
        let groups = user.attribute("groups").unwrap();
        assert_eq!(groups.mutability, Mutability::ReadOnly);
        assert!(groups.multi_valued);
        assert_eq!(
            user.attribute("emails.value").unwrap().kind,
            AttrType::String
        );
        assert_eq!(user.attribute("name.givenName").unwrap().name, "givenName");
        let members = schemas[1].attribute("members").unwrap();
        assert_eq!(members.kind, AttrType::Complex);
        assert!(members.sub_attribute("value").is_some());
    }

    #[test]
    fn date_times_are_xsd_date_times_with_or_without_a_time_zone() {
        let a: Attribute = serde_json::from_value(serde_json::json!({
            "name": "created", "type": "dateTime"
        }))
        .unwrap();
        for ok in [
            "2011-05-13T04:42:34Z",
            "2011-05-13T04:42:34.123+02:00",
            "2011-05-13T04:42:34",
            "2011-05-13T04:42:34.5",
        ] {
            assert!(a.accepts(&serde_json::json!(ok)), "{ok}");
        }
        for bad in [
            "2011-05-13",
            "2011-05-13T04:42",
            "2024-13-45T99:99:99Z",
            "yesterday",
            "",
        ] {
            assert!(!a.accepts(&serde_json::json!(bad)), "{bad}");
        }
        assert!(!a.accepts(&serde_json::json!(1305261754)));
    }

    #[test]
    fn missing_characteristics_take_rfc_defaults() {
        let a: Attribute = serde_json::from_value(serde_json::json!({
            "name": "x", "type": "string"
        }))
        .unwrap();
        assert!(!a.multi_valued && !a.required && !a.case_exact);
        assert_eq!(a.mutability, Mutability::ReadWrite);
        assert_eq!(a.returned, Returned::Default);
        assert_eq!(a.uniqueness, Uniqueness::None);
    }
}
