//! The reference applier never panics on any PatchOp body: it either
//! refuses with a 400 or gives a resource the comparison finds equal to
//! itself, and applying it leaves the input untouched.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scimitar::scim::patch::{differences, Applier};
use scimitar::scim::schema::core_schemas;
use scimitar::scim::{urn, Schema};
use serde_json::{json, Value};

fn schemas() -> &'static Vec<Schema> {
    static S: OnceLock<Vec<Schema>> = OnceLock::new();
    S.get_or_init(core_schemas)
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else { return };
    let all = schemas();
    let core = all.iter().find(|s| s.id == urn::USER).expect("User schema");
    let ext: Vec<&Schema> = all.iter().filter(|s| s.id == urn::ENTERPRISE_USER).collect();
    let user = json!({
        "schemas": [urn::USER], "id": "u1", "userName": "bjensen", "nickName": "Babs",
        "name": {"givenName": "Barbara"},
        "emails": [{"value": "a@example.com", "type": "work", "primary": true}, {"value": "b@example.com"}]
    });
    let before = user.clone();
    match Applier::new(core, ext.clone()).apply(&user, &body) {
        Ok(applied) => assert!(differences(core, &ext, &applied.resource, &applied.resource).is_empty()),
        Err(e) => assert_eq!(e.status, 400),
    }
    assert_eq!(user, before);
});
