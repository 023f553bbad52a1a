//! Checking request bodies against the core schemas (RFC 7643 §2.3, §7;
//! RFC 7644 §3.3): required attributes, types, and readOnly attributes dropped.

use serde_json::{Map, Value};

use super::shape::Model;
use super::store::Kind;
use crate::scim::schema::is_uri_reference;
use crate::scim::{AttrType, Attribute, Mutability};

/// A rejected body: (status, scimType, detail).
pub type Rejection = (u16, &'static str, String);

/// Which checks apply (the bugs of the reference server turn some off).
#[derive(Clone, Copy, Debug)]
pub struct Strictness {
    pub required: bool,
    pub types: bool,
    pub schemas: bool,
    /// Drop readOnly values sent by the client (RFC 7644 §3.3).
    pub read_only: bool,
    /// Refuse reference values that are not URIs (RFC 7643 §2.3.7).
    pub references: bool,
    /// Accept only the first declared canonical value (a bug, never correct).
    pub canonical_first_only: bool,
}

#[cfg(test)]
impl Strictness {
    pub const FULL: Strictness = Strictness {
        required: true,
        types: true,
        schemas: true,
        read_only: true,
        references: true,
        canonical_first_only: false,
    };
}

/// A body accepted for create or replace.
#[derive(Debug)]
pub struct Input {
    pub attrs: Value,
    pub password: Option<String>,
    /// The id the client sent, which a conforming server ignores.
    pub client_id: Option<String>,
}

/// Checks one attribute value; drops readOnly and null values. Returns the kept value.
fn check_value(
    attr: &Attribute,
    path: &str,
    v: &Value,
    strict: Strictness,
) -> Result<Option<Value>, Rejection> {
    if v.is_null() || (attr.mutability == Mutability::ReadOnly && strict.read_only) {
        return Ok(None);
    }
    let items: Vec<&Value> = match (attr.multi_valued, v) {
        (true, Value::Array(items)) => items.iter().collect(),
        (true, _) => {
            return Err((
                400,
                "invalidValue",
                format!("{path} is multi-valued and must be an array"),
            ))
        }
        (false, _) => vec![v],
    };
    let mut kept = vec![];
    for item in items {
        if strict.types && !attr.accepts(item) {
            let t = serde_json::to_value(attr.kind).unwrap_or_default();
            return Err((
                400,
                "invalidValue",
                format!("{path} must be of type {}", t.as_str().unwrap_or("?")),
            ));
        }
        if strict.references
            && attr.kind == AttrType::Reference
            && !item.as_str().is_some_and(is_uri_reference)
        {
            return Err((
                400,
                "invalidValue",
                format!("{path} must be a URI (RFC 7643 §2.3.7)"),
            ));
        }
        if strict.canonical_first_only
            && attr.canonical_values.len() > 1
            && attr.canonical_values[1..].contains(item)
        {
            return Err((400, "invalidValue", format!("{path}: unsupported value")));
        }
        if attr.kind == AttrType::Complex {
            kept.push(Value::Object(check_object(
                &attr.sub_attributes,
                path,
                item,
                strict,
            )?));
        } else {
            kept.push(item.clone());
        }
    }
    Ok(Some(if attr.multi_valued {
        Value::Array(kept)
    } else {
        kept.remove(0)
    }))
}

/// Checks an object's attributes against definitions; unknown attributes are dropped.
fn check_object(
    defs: &[Attribute],
    prefix: &str,
    obj: &Value,
    strict: Strictness,
) -> Result<Map<String, Value>, Rejection> {
    let mut out = Map::new();
    for (k, v) in obj.as_object().into_iter().flatten() {
        let Some(attr) = defs.iter().find(|a| a.name.eq_ignore_ascii_case(k)) else {
            continue;
        };
        let path = if prefix.is_empty() {
            attr.name.clone()
        } else {
            format!("{prefix}.{}", attr.name)
        };
        if let Some(kept) = check_value(attr, &path, v, strict)? {
            out.insert(attr.name.clone(), kept);
        }
    }
    Ok(out)
}

/// Validates a create or replace body for `kind`.
pub fn input(
    kind: Kind,
    body: &Value,
    model: &Model,
    strict: Strictness,
) -> Result<Input, Rejection> {
    let schemas = model.schemas();
    let Some(obj) = body.as_object() else {
        return Err((
            400,
            "invalidSyntax",
            "the body must be a JSON object".into(),
        ));
    };
    let declared: Vec<&str> = obj
        .get("schemas")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if strict.schemas && !declared.contains(&kind.schema()) {
        return Err((
            400,
            "invalidValue",
            format!("schemas must include {}", kind.schema()),
        ));
    }
    let core = schemas
        .iter()
        .find(|s| s.id == kind.schema())
        .expect("core schema exists");
    let password = obj
        .get("password")
        .and_then(Value::as_str)
        .map(str::to_string);
    let without_password: Value = Value::Object(
        obj.iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("password"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    );
    let mut attrs = check_object(&core.attributes, "", &without_password, strict)?;
    if let Some(ext) = obj.get("externalId") {
        if !ext.is_string() {
            return Err((400, "invalidValue", "externalId must be a string".into()));
        }
        attrs.insert("externalId".into(), ext.clone());
    }
    let name = kind.name_attribute();
    if strict.required
        && attrs
            .get(name)
            .and_then(Value::as_str)
            .is_none_or(|s| s.is_empty())
    {
        return Err((400, "invalidValue", format!("{name} is required")));
    }
    let mut schemas_out = vec![Value::String(kind.schema().into())];
    for urn in model.extensions(kind) {
        if let Some(ext) = obj.get(*urn) {
            let schema = schemas
                .iter()
                .find(|s| s.id == *urn)
                .expect("extension schema exists");
            if !ext.is_object() {
                return Err((400, "invalidValue", format!("{urn} must be an object")));
            }
            let kept = check_object(&schema.attributes, urn, ext, strict)?;
            if !kept.is_empty() {
                attrs.insert(urn.to_string(), Value::Object(kept));
                schemas_out.push(Value::String(urn.to_string()));
            }
        }
    }
    attrs.insert("schemas".into(), Value::Array(schemas_out));
    Ok(Input {
        attrs: Value::Object(attrs),
        password,
        client_id: obj.get("id").and_then(Value::as_str).map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::urn;
    use crate::serve::shape::{Model, Shapes};
    use serde_json::json;

    #[test]
    fn accepts_valid_and_rejects_wrong_types() {
        let schemas = Model::new(&Shapes::default());
        let ok = input(Kind::User, &json!({
            "schemas": [urn::USER, urn::ENTERPRISE_USER],
            "id": "mine", "userName": "a", "active": true, "password": "pw", "groups": [{"value": "x"}],
            "emails": [{"value": "a@x", "primary": true}], "nope": 1,
            urn::ENTERPRISE_USER: {"employeeNumber": "7"}
        }), &schemas, Strictness::FULL).unwrap();
        assert_eq!(ok.client_id.as_deref(), Some("mine"));
        assert_eq!(ok.password.as_deref(), Some("pw"));
        let a = ok.attrs.as_object().unwrap();
        assert!(a.get("groups").is_none() && a.get("nope").is_none() && a.get("id").is_none());
        assert_eq!(a[urn::ENTERPRISE_USER]["employeeNumber"], json!("7"));

        let e = input(
            Kind::User,
            &json!({"schemas": [urn::USER], "userName": "a", "active": "yes"}),
            &schemas,
            Strictness::FULL,
        )
        .unwrap_err();
        assert_eq!((e.0, e.1), (400, "invalidValue"));
        let e = input(
            Kind::User,
            &json!({"schemas": [urn::USER]}),
            &schemas,
            Strictness::FULL,
        )
        .unwrap_err();
        assert!(e.2.contains("userName is required"));
        let e = input(
            Kind::Group,
            &json!({"displayName": "g"}),
            &schemas,
            Strictness::FULL,
        )
        .unwrap_err();
        assert!(e.2.contains("schemas must include"));
    }
}
