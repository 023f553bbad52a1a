//! Strategies for PATCH requests on a User: valid operations of every kind
//! (add, replace, remove; plain, sub-attribute, value-filtered, URN-qualified
//! and path-less) and invalid ones the RFC says how to refuse (wrong types,
//! readOnly and required attributes, filters that match nothing). Operations
//! whose outcome the RFC leaves open are not generated, so a disagreement
//! with the reference applier is a real one. (Setting primary through a
//! filter is left out: when the filter matches two values, RFC 7644 §3.5.2.3
//! sets both and RFC 7643 §2.4 forbids two.)

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::scim::filter::{AttrPath, Filter, Span};
use crate::scim::path::PatchPath;
use crate::scim::{urn, Schema};

/// The User every sequence starts from.
pub fn start_user(with_enterprise: bool) -> Value {
    let mut u = json!({
        "schemas": [urn::USER],
        "userName": "{{unique}}@example.com",
        "nickName": "Annie",
        "title": "Engineer",
        "active": true,
        "name": {"givenName": "Ann", "familyName": "Smith"},
        "emails": [
            {"value": "ann@work.example.com", "type": "work", "primary": true},
            {"value": "ann@home.example.com", "type": "home"}
        ]
    });
    if with_enterprise {
        u["schemas"] = json!([urn::USER, urn::ENTERPRISE_USER]);
        u[urn::ENTERPRISE_USER] = json!({"department": "Sales"});
    }
    u
}

fn text() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "Alpha",
        "beta",
        "Gamma Delta",
        "ünïcødé ✓",
        "O'Brien \"quoted\"",
        "x",
    ])
    .prop_map(str::to_string)
}

fn email() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "ann@work.example.com",
        "ann@home.example.com",
        "a1@example.org",
        "a2@example.org",
        "a3@example.net",
    ])
    .prop_map(str::to_string)
}

fn email_type() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["work", "home", "other"])
}

fn simple_attr() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "nickName",
        "title",
        "displayName",
        "locale",
        "userType",
    ])
}

fn name_part() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "givenName",
        "familyName",
        "middleName",
        "honorificPrefix",
    ])
}

fn op_word() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["add", "replace"])
}

/// One operation (a JSON object of the Operations array).
pub fn operation(with_enterprise: bool) -> BoxedStrategy<Value> {
    let mut choices: Vec<BoxedStrategy<Value>> = vec![
        (op_word(), simple_attr(), text())
            .prop_map(|(op, a, v)| json!({"op": op, "path": a, "value": v}))
            .boxed(),
        simple_attr()
            .prop_map(|a| json!({"op": "remove", "path": a}))
            .boxed(),
        any::<bool>()
            .prop_map(|b| json!({"op": "replace", "path": "active", "value": b}))
            .boxed(),
        (op_word(), name_part(), text())
            .prop_map(|(op, p, v)| json!({"op": op, "path": format!("name.{p}"), "value": v}))
            .boxed(),
        (op_word(), name_part(), text())
            .prop_map(|(op, p, v)| json!({"op": op, "path": "name", "value": {p: v}}))
            .boxed(),
        name_part()
            .prop_map(|p| json!({"op": "remove", "path": format!("name.{p}")}))
            .boxed(),
        (email(), email_type(), any::<bool>())
            .prop_map(|(e, t, primary)| {
                let mut v = json!({"value": e, "type": t});
                if primary {
                    v["primary"] = json!(true);
                }
                json!({"op": "add", "path": "emails", "value": [v]})
            })
            .boxed(),
        (email_type(), email())
            .prop_map(|(t, e)| {
                json!({"op": "replace", "path": format!("emails[type eq \"{t}\"].value"), "value": e})
            })
            .boxed(),
        email_type()
            .prop_map(|t| json!({"op": "remove", "path": format!("emails[type eq \"{t}\"]")}))
            .boxed(),
        (email(), email_type())
            .prop_map(|(e, t)| json!({"op": "replace", "path": "emails", "value": [{"value": e, "type": t}]}))
            .boxed(),
        Just(json!({"op": "remove", "path": "emails"})).boxed(),
        (op_word(), text(), text())
            .prop_map(|(op, a, b)| json!({"op": op, "value": {"nickName": a, "title": b}}))
            .boxed(),
        // Refusals the RFC names.
        Just(json!({"op": "replace", "path": "active", "value": "maybe"})).boxed(),
        Just(json!({"op": "remove", "path": "userName"})).boxed(),
        Just(json!({"op": "replace", "path": "id", "value": "scimitar-other-id"})).boxed(),
        Just(json!({"op": "replace", "path": "meta.resourceType", "value": "Group"})).boxed(),
        Just(json!({"op": "remove"})).boxed(),
    ];
    if with_enterprise {
        let path = |a: &str| format!("{}:{a}", urn::ENTERPRISE_USER);
        choices.push(
            (
                op_word(),
                prop::sample::select(vec!["department", "division", "costCenter"]),
                text(),
            )
                .prop_map(move |(op, a, v)| json!({"op": op, "path": path(a), "value": v}))
                .boxed(),
        );
        choices.push(
            prop::sample::select(vec!["department", "division"])
                .prop_map(
                    |a| json!({"op": "remove", "path": format!("{}:{a}", urn::ENTERPRISE_USER)}),
                )
                .boxed(),
        );
    }
    prop::strategy::Union::new(choices).boxed()
}

/// PATCH paths over a schema: attribute paths (URN-qualified, with
/// sub-attributes) and value paths with a generated filter and an optional
/// sub-attribute after it.
pub fn path(core: &Schema, extensions: &[Schema]) -> BoxedStrategy<PatchPath> {
    let subs: Vec<String> = core
        .attributes
        .iter()
        .flat_map(|a| a.sub_attributes.iter().map(|s| s.name.clone()))
        .collect();
    let sub = prop::option::of(prop::sample::select(subs));
    (crate::gen::filter::filter(core, extensions), sub)
        .prop_map(|(f, sub)| {
            let (attr, filter) = first_path(f);
            let sub = filter.as_ref().and(sub);
            PatchPath {
                attr,
                filter,
                sub,
                span: Span::default(),
            }
        })
        .boxed()
}

/// The left-most attribute path of a filter, with its value filter if it has one.
fn first_path(f: Filter) -> (AttrPath, Option<Filter>) {
    match f {
        Filter::ValuePath(attr, inner) => (attr, Some(*inner)),
        Filter::Compare(attr, ..) | Filter::Present(attr) => (attr, None),
        Filter::And(a, _) | Filter::Or(a, _) | Filter::Not(a) => first_path(*a),
    }
}

/// One PATCH request's operations: one to three.
pub fn request(with_enterprise: bool) -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(operation(with_enterprise), 1..=3)
}

/// A sequence of up to `max` requests applied one after the other.
pub fn sequence(with_enterprise: bool, max: usize) -> impl Strategy<Value = Vec<Vec<Value>>> {
    prop::collection::vec(request(with_enterprise), 1..=max.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::patch::parse_request;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn paths_round_trip_through_display() {
        let schemas = crate::scim::schema::core_schemas();
        let core = schemas.iter().find(|s| s.id == urn::USER).unwrap();
        let ext: Vec<Schema> = schemas
            .iter()
            .filter(|s| s.id == urn::ENTERPRISE_USER)
            .cloned()
            .collect();
        let strategy = path(core, &ext);
        let mut runner = TestRunner::deterministic();
        for _ in 0..3000 {
            let p = strategy.new_tree(&mut runner).unwrap().current();
            let text = p.to_string();
            let back = crate::scim::path::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(back, p, "{text}");
        }
    }

    #[test]
    fn generated_requests_are_well_formed_patch_ops() {
        let mut runner = TestRunner::deterministic();
        for _ in 0..500 {
            let ops = request(true).new_tree(&mut runner).unwrap().current();
            let body = json!({"schemas": [urn::PATCH_OP], "Operations": ops});
            // Remove without a path is the one malformed operation generated on purpose.
            let without_pathless_remove = ops
                .iter()
                .all(|o| !(o["op"] == "remove" && o.get("path").is_none()));
            assert_eq!(
                parse_request(&body).is_ok(),
                without_pathless_remove,
                "{body}"
            );
        }
    }
}
