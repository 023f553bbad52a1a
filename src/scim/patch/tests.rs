//! The applier against the RFC's own examples and its edge cases.

use serde_json::{json, Value};

use super::*;
use crate::scim::schema::core_schemas;
use crate::scim::{urn, Schema};

fn schemas() -> Vec<Schema> {
    core_schemas()
}

fn patch(resource: &Value, ops: Value) -> Result<Applied, PatchError> {
    let all = schemas();
    let core = all.iter().find(|s| s.id == urn::USER).unwrap();
    let ext = all.iter().find(|s| s.id == urn::ENTERPRISE_USER).unwrap();
    Applier::new(core, vec![ext]).apply(
        resource,
        &json!({"schemas": [urn::PATCH_OP], "Operations": ops}),
    )
}

fn group_patch(resource: &Value, ops: Value) -> Result<Applied, PatchError> {
    let all = schemas();
    let core = all.iter().find(|s| s.id == urn::GROUP).unwrap();
    Applier::new(core, vec![]).apply(
        resource,
        &json!({"schemas": [urn::PATCH_OP], "Operations": ops}),
    )
}

fn user() -> Value {
    json!({
        "schemas": [urn::USER], "id": "u1", "userName": "bjensen", "nickName": "Babs",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
                   {"value": "babs@jensen.org", "type": "home"}],
        "meta": {"resourceType": "User", "version": "W/\"1\""}
    })
}

fn fails(r: Result<Applied, PatchError>, scim_type: &str) {
    let e = r.expect_err("should fail");
    assert!(e.scim_types.contains(&scim_type), "{e}");
}

#[test]
fn add_follows_section_3_5_2_1() {
    // Without a path: emails gains a value, nickName is replaced.
    let r = patch(&user(), json!([{"op": "add", "value": {"emails": [{"value": "babs@jensen.org", "type": "home"}, {"value": "b@x.org"}], "nickName": "Bee"}}])).unwrap();
    assert_eq!(
        r.resource["emails"].as_array().unwrap().len(),
        3,
        "an existing value is not added twice"
    );
    assert_eq!(r.resource["nickName"], json!("Bee"));
    // The same value again changes nothing.
    let r = patch(&user(), json!([{"op": "add", "path": "emails", "value": [{"value": "bjensen@example.com", "type": "work"}]}])).unwrap();
    assert!(!r.changed);
    // A complex attribute keeps the sub-attributes not given.
    let r = patch(
        &user(),
        json!([{"op": "add", "path": "name", "value": {"middleName": "Jane"}}]),
    )
    .unwrap();
    assert_eq!(
        r.resource["name"],
        json!({"givenName": "Barbara", "familyName": "Jensen", "middleName": "Jane"})
    );
    // Extension attributes by URN path add the URN to schemas.
    let r = patch(&user(), json!([{"op": "add", "path": format!("{}:employeeNumber", urn::ENTERPRISE_USER), "value": "7"}])).unwrap();
    assert_eq!(
        r.resource[urn::ENTERPRISE_USER]["employeeNumber"],
        json!("7")
    );
    assert!(r.resource["schemas"]
        .as_array()
        .unwrap()
        .contains(&json!(urn::ENTERPRISE_USER)));
    // A new primary value takes primary from the others.
    let r = patch(
        &user(),
        json!([{"op": "add", "path": "emails", "value": [{"value": "n@x.org", "primary": true}]}]),
    )
    .unwrap();
    let primaries = r.resource["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["primary"] == json!(true))
        .count();
    assert_eq!(primaries, 1);
    assert_eq!(r.resource["emails"][2]["primary"], json!(true));
}

#[test]
fn replace_follows_section_3_5_2_3() {
    let r = patch(&user(), json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "new@example.com"}])).unwrap();
    assert_eq!(r.resource["emails"][0]["value"], json!("new@example.com"));
    assert_eq!(r.resource["emails"][1]["value"], json!("babs@jensen.org"));
    fails(
        patch(
            &user(),
            json!([{"op": "replace", "path": "emails[type eq \"other\"].value", "value": "x@y"}]),
        ),
        "noTarget",
    );
    // A missing attribute: replace acts as add.
    let r = patch(
        &user(),
        json!([{"op": "replace", "path": "title", "value": "Boss"}]),
    )
    .unwrap();
    assert_eq!(r.resource["title"], json!("Boss"));
    // Multi-valued without a filter: all values replaced.
    let r = patch(
        &user(),
        json!([{"op": "replace", "path": "emails", "value": [{"value": "only@x.org"}]}]),
    )
    .unwrap();
    assert_eq!(r.resource["emails"], json!([{"value": "only@x.org"}]));
    // A sub-attribute path leaves its siblings alone.
    let r = patch(
        &user(),
        json!([{"op": "replace", "path": "name.givenName", "value": "Babs"}]),
    )
    .unwrap();
    assert_eq!(
        r.resource["name"],
        json!({"givenName": "Babs", "familyName": "Jensen"})
    );
    // Dialects: capitalised op, boolean as a string, dotted and URN keys.
    let r = patch(
        &user(),
        json!([{"op": "Replace", "value": {"active": "False", "name.familyName": "J",
        format!("{}:department", urn::ENTERPRISE_USER): "R&D"}}]),
    )
    .unwrap();
    assert_eq!(r.resource["active"], json!(false));
    assert_eq!(r.resource["name"]["familyName"], json!("J"));
    assert_eq!(r.resource[urn::ENTERPRISE_USER]["department"], json!("R&D"));
}

#[test]
fn remove_follows_section_3_5_2_2() {
    let r = patch(
        &user(),
        json!([{"op": "remove", "path": "emails[type eq \"work\"]"}]),
    )
    .unwrap();
    assert_eq!(r.resource["emails"].as_array().unwrap().len(), 1);
    let r = patch(&user(), json!([{"op": "remove", "path": "emails"}])).unwrap();
    assert!(r.resource.get("emails").is_none());
    let r = patch(&user(), json!([{"op": "remove", "path": "emails[type eq \"work\"]"}, {"op": "remove", "path": "emails[type eq \"home\"]"}])).unwrap();
    assert!(
        r.resource.get("emails").is_none(),
        "no values left: unassigned"
    );
    // Nothing matched: success unchanged, or noTarget (Table 9).
    let r = patch(
        &user(),
        json!([{"op": "remove", "path": "emails[type eq \"other\"]"}]),
    )
    .unwrap();
    assert!(!r.changed);
    assert_eq!(r.tolerated, Some("noTarget"));
    fails(patch(&user(), json!([{"op": "remove"}])), "noTarget");
    fails(
        patch(&user(), json!([{"op": "remove", "path": "userName"}])),
        "mutability",
    );
    let g = json!({"schemas": [urn::GROUP], "id": "g", "displayName": "G", "members": [{"value": "a"}, {"value": "b"}]});
    let r = group_patch(&g, json!([{"op": "remove", "path": "members[value eq \"a\"]"}, {"op": "add", "path": "members", "value": [{"value": "c", "display": "C"}]}])).unwrap();
    assert_eq!(
        r.resource["members"],
        json!([{"value": "b"}, {"value": "c"}])
    );
}

#[test]
fn mutability_and_atomicity() {
    fails(
        patch(
            &user(),
            json!([{"op": "replace", "path": "id", "value": "other"}]),
        ),
        "mutability",
    );
    fails(
        patch(
            &user(),
            json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
        ),
        "mutability",
    );
    fails(
        patch(
            &user(),
            json!([{"op": "replace", "path": "meta.version", "value": "x"}]),
        ),
        "mutability",
    );
    // The same readOnly value again is no modification (Okta sends its id).
    let r = patch(
        &user(),
        json!([{"op": "replace", "value": {"id": "u1", "nickName": "B"}}]),
    )
    .unwrap();
    assert_eq!(r.tolerated, Some("mutability"));
    let g = json!({"schemas": [urn::GROUP], "id": "g", "displayName": "G", "members": [{"value": "a"}]});
    fails(
        group_patch(
            &g,
            json!([{"op": "replace", "path": "members[value eq \"a\"].value", "value": "b"}]),
        ),
        "mutability",
    );
    // One failing operation: the error, never a partial result.
    fails(
        patch(
            &user(),
            json!([{"op": "replace", "path": "nickName", "value": "X"}, {"op": "replace", "path": "active", "value": 3}]),
        ),
        "invalidValue",
    );
    fails(
        patch(
            &user(),
            json!([{"op": "add", "path": "nosuch", "value": 1}]),
        ),
        "invalidPath",
    );
    fails(
        patch(
            &user(),
            json!([{"op": "add", "path": "emails[nosuch eq 1]", "value": {"value": "x"}}]),
        ),
        "invalidFilter",
    );
    fails(
        patch(
            &user(),
            json!([{"op": "add", "path": "emails", "value": [{"value": "p@x", "primary": true}, {"value": "q@x", "primary": true}]}]),
        ),
        "invalidValue",
    );
}
