//! What to fuzz, read from discovery ([`Model`]), and the top-level
//! strategy: every family of request for every resource type, weighted so
//! that boundary cases come early. The families live in [`super::bodies`],
//! [`super::queries`] and [`super::headers`]; shrinking comes from the
//! strategies' own value trees.

use proptest::prelude::*;
use proptest::strategy::Union;
use serde_json::{json, Map, Value};

use super::request::{FuzzRequest, UNIQUE};
use super::{bodies, headers, queries};
use crate::discover::Capabilities;
use crate::scim::{urn, AttrType, Attribute, Mutability, Schema};

/// One resource type as the fuzzer sees it.
#[derive(Clone, Debug)]
pub struct TypeModel {
    pub name: String,
    pub endpoint: String,
    pub core: Schema,
    pub extensions: Vec<Schema>,
    /// The attribute that carries the run-scoped name (`userName`).
    pub name_attr: Option<String>,
    /// A valid body with `{{unique}}` as its name: what fixtures are made of.
    pub fixture: Value,
}

/// The target as the fuzzer sees it.
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub types: Vec<TypeModel>,
    /// Whether the run has credentials (then bad ones are tried).
    pub credentials: bool,
}

impl Model {
    /// The resource types discovery found whose schemas it could read.
    pub fn from_caps(caps: &Capabilities) -> Model {
        let core_fallback = crate::scim::schema::core_schemas();
        let find = |id: &str| {
            caps.schemas
                .iter()
                .chain(core_fallback.iter())
                .find(|s| s.id == id)
                .cloned()
        };
        let types = caps
            .resource_types
            .iter()
            .filter_map(|rt| {
                let core = find(&rt.schema)?;
                let extensions: Vec<(Schema, bool)> = rt
                    .extensions
                    .iter()
                    .filter_map(|(e, required)| find(e).map(|s| (s, *required)))
                    .collect();
                let name_attr = match rt.schema.as_str() {
                    urn::USER => Some("userName".to_string()),
                    urn::GROUP => Some("displayName".to_string()),
                    _ => core
                        .attributes
                        .iter()
                        .find(|a| a.required && a.kind == AttrType::String && !a.multi_valued)
                        .map(|a| a.name.clone()),
                };
                let fixture = fixture_body(&core, &extensions, name_attr.as_deref());
                Some(TypeModel {
                    name: rt.name.clone(),
                    endpoint: rt.endpoint.clone(),
                    core,
                    extensions: extensions.into_iter().map(|(s, _)| s).collect(),
                    name_attr,
                    fixture,
                })
            })
            .collect();
        Model {
            types,
            credentials: caps.credentials,
        }
    }

    pub fn get(&self, name: &str) -> Option<&TypeModel> {
        self.types.iter().find(|t| t.name == name)
    }

    /// The type whose core schema is `urn`.
    pub fn by_schema(&self, urn: &str) -> Option<&TypeModel> {
        self.types.iter().find(|t| t.core.id == urn)
    }
}

/// A plausible value for a required attribute.
fn plausible(attr: &Attribute) -> Value {
    let one = match attr.kind {
        AttrType::String | AttrType::Binary => json!(UNIQUE),
        AttrType::Reference => json!("https://example.com/scimitar"),
        AttrType::DateTime => json!("2024-01-01T00:00:00Z"),
        AttrType::Boolean => json!(true),
        AttrType::Integer | AttrType::Decimal => json!(1),
        AttrType::Complex => Value::Object(
            attr.sub_attributes
                .iter()
                .filter(|s| s.required)
                .map(|s| (s.name.clone(), plausible(s)))
                .collect(),
        ),
    };
    if attr.multi_valued {
        json!([one])
    } else {
        one
    }
}

fn required_attrs(schema: &Schema, skip: Option<&str>) -> Map<String, Value> {
    schema
        .attributes
        .iter()
        .filter(|a| a.required && a.mutability != Mutability::ReadOnly)
        .filter(|a| Some(a.name.as_str()) != skip && a.name != "id")
        .map(|a| (a.name.clone(), plausible(a)))
        .collect()
}

fn fixture_body(core: &Schema, extensions: &[(Schema, bool)], name: Option<&str>) -> Value {
    let mut body = Map::new();
    let mut schemas = vec![json!(core.id)];
    if let Some(n) = name {
        body.insert(n.to_string(), json!(UNIQUE));
    }
    body.extend(required_attrs(core, name));
    for (ext, required) in extensions {
        if *required {
            schemas.push(json!(ext.id));
            body.insert(ext.id.clone(), Value::Object(required_attrs(ext, None)));
        }
    }
    let mut out = Map::new();
    out.insert("schemas".into(), Value::Array(schemas));
    out.extend(body);
    Value::Object(out)
}

/// Every request the fuzzer may send to one resource type.
fn for_type(t: &TypeModel, credentials: bool) -> BoxedStrategy<FuzzRequest> {
    let mut families: Vec<(u32, BoxedStrategy<FuzzRequest>)> = vec![
        (4, bodies::create(t)),
        (2, bodies::replace(t)),
        (3, bodies::patch(t)),
        (4, queries::filter(t)),
        (2, queries::search(t)),
        (2, queries::query(t)),
        (1, queries::read(t)),
        (1, queries::delete(t)),
        (1, headers::headers(t)),
    ];
    if credentials {
        families.push((3, headers::auth(t)));
    }
    Union::new_weighted(families).boxed()
}

/// The strategy of every request: each resource type, each family.
pub fn requests(model: &Model) -> Option<BoxedStrategy<FuzzRequest>> {
    let per_type: Vec<BoxedStrategy<FuzzRequest>> = model
        .types
        .iter()
        .map(|t| for_type(t, model.credentials))
        .collect();
    if per_type.is_empty() {
        return None;
    }
    Some(
        Union::new(per_type)
            .prop_map(FuzzRequest::sanitized)
            .boxed(),
    )
}

/// The leaves of a schema a filter or sortBy can name: `attr`, `attr.sub`
/// and `urn:attr` for extensions.
/// Never empty: a type without attributes gets `id`.
pub fn leaf_paths(t: &TypeModel) -> Vec<(String, Attribute)> {
    let mut out = vec![(
        "id".to_string(),
        serde_json::from_value::<Attribute>(json!({"name": "id", "type": "string"}))
            .expect("a valid attribute"),
    )];
    let schemas =
        std::iter::once((&t.core, None)).chain(t.extensions.iter().map(|e| (e, Some(&e.id))));
    for (schema, urn) in schemas {
        let prefix = urn.map(|u| format!("{u}:")).unwrap_or_default();
        for a in &schema.attributes {
            if a.kind == AttrType::Complex {
                for s in &a.sub_attributes {
                    out.push((format!("{prefix}{}.{}", a.name, s.name), s.clone()));
                }
            } else {
                out.push((format!("{prefix}{}", a.name), a.clone()));
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::discover::ResourceType;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRng, TestRunner};

    /// The reference server's model, without a network.
    pub fn model() -> Model {
        let caps = Capabilities {
            resource_types: vec![
                ResourceType {
                    name: "User".into(),
                    endpoint: "/Users".into(),
                    declared_endpoint: "/Users".into(),
                    schema: urn::USER.into(),
                    extensions: vec![(urn::ENTERPRISE_USER.into(), false)],
                },
                ResourceType {
                    name: "Group".into(),
                    endpoint: "/Groups".into(),
                    declared_endpoint: "/Groups".into(),
                    schema: urn::GROUP.into(),
                    extensions: vec![],
                },
            ],
            schemas: crate::scim::schema::core_schemas(),
            credentials: true,
            ..Default::default()
        };
        Model::from_caps(&caps)
    }

    fn sample(seed: u8, n: usize) -> Vec<FuzzRequest> {
        let strategy = requests(&model()).unwrap();
        let rng = TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &[seed; 32]);
        let mut runner = TestRunner::new_with_rng(Config::default(), rng);
        (0..n)
            .map(|_| strategy.new_tree(&mut runner).unwrap().current())
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_requests() {
        assert_eq!(sample(1, 200), sample(1, 200));
        assert_ne!(sample(1, 50), sample(2, 50));
    }

    #[test]
    fn fixtures_are_valid_and_named_by_the_run() {
        let m = model();
        let user = m.get("User").unwrap();
        assert_eq!(
            user.fixture,
            json!({"schemas": [urn::USER], "userName": UNIQUE})
        );
        assert_eq!(
            m.by_schema(urn::GROUP).unwrap().name_attr.as_deref(),
            Some("displayName")
        );
        assert!(leaf_paths(user).iter().any(|(p, _)| p == "name.givenName"));
    }

    #[test]
    fn every_family_is_generated_and_nothing_breaks_templates() {
        let all = sample(3, 1500);
        let families: std::collections::BTreeSet<_> = all.iter().map(|r| r.family).collect();
        assert_eq!(families.len(), 10, "{families:?}");
        for r in &all {
            let text = serde_json::to_string(r).unwrap();
            assert!(!text.replace(UNIQUE, "").contains("{{"), "{text}");
            for (_, v) in &r.headers {
                assert!(
                    v.chars().all(|c| c == '\t' || (' '..='~').contains(&c)),
                    "{v:?}"
                );
            }
        }
    }
}
