//! Any JSON document, read as each RFC 7644 message (ListResponse, Error,
//! SearchRequest, PatchOp) and as a schema resource (RFC 7643 §7): what
//! decodes re-encodes to JSON that decodes to the same message. Read as a
//! resource (itself, and each of its `Resources` if it is a list) against
//! the bundled core User (with EnterpriseUser) and Group schemas, nothing
//! panics: the comparison finds a resource equal to itself, filters
//! evaluate (`not` giving the opposite answer), and sort keys are totally
//! ordered, so sorting a list by them is well defined.
#![no_main]

use std::cmp::Ordering;
use std::fmt::Debug;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scimitar::scim::filter::{self, order, AttrPath, Evaluator, Filter, SortKey};
use scimitar::scim::patch::differences;
use scimitar::scim::schema::core_schemas;
use scimitar::scim::{urn, ErrorBody, ListResponse, PatchOp, Schema, SearchRequest};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// At most this many resources of a list are checked (the order checks
/// take cubic time).
const MAX_RESOURCES: usize = 8;

struct Fixed {
    schemas: Vec<Schema>,
    user_filters: Vec<Filter>,
    user_sorts: Vec<AttrPath>,
    group_filters: Vec<Filter>,
    group_sorts: Vec<AttrPath>,
}

fn fixed() -> &'static Fixed {
    static F: OnceLock<Fixed> = OnceLock::new();
    F.get_or_init(|| {
        let parse = |texts: &[&str]| -> Vec<Filter> {
            texts
                .iter()
                .map(|t| filter::parse(t).expect("a fixed filter parses"))
                .collect()
        };
        let paths = |texts: &[&str]| -> Vec<AttrPath> {
            texts
                .iter()
                .map(|t| filter::parse_attr_path(t, 0).expect("a fixed path parses"))
                .collect()
        };
        let enterprise = format!("{}:employeeNumber", urn::ENTERPRISE_USER);
        let manager = format!("{}:manager.value", urn::ENTERPRISE_USER);
        Fixed {
            schemas: core_schemas(),
            user_filters: parse(&[
                r#"userName eq "bjensen""#,
                r#"name.familyName co "O'Malley""#,
                r#"emails[type eq "work" and value ew "@example.com"]"#,
                r#"emails.value sw "b" or phoneNumbers pr"#,
                r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
                r#"active eq true and not (title pr)"#,
                r#"x509Certificates.value eq "TUlJRE9E""#,
                r#"addresses[postalCode lt "9" and type eq "work"] or addresses.locality pr"#,
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber ge "7""#,
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq null"#,
                r#"id ne "2819c223" and externalId le "z""#,
            ]),
            user_sorts: paths(&[
                "userName",
                "name.familyName",
                "emails.value",
                "meta.lastModified",
                "active",
                "id",
                &enterprise,
                &manager,
            ]),
            group_filters: parse(&[
                r#"displayName eq "Tour Guides""#,
                r#"members[value eq "2819c223" or type eq "User"]"#,
                r#"members.value co "a" and not (meta.created lt "2011-05-13T04:42:34Z")"#,
            ]),
            group_sorts: paths(&["displayName", "members.value", "meta.created", "externalId"]),
        }
    })
}

/// What decodes as `T` re-encodes to what decodes to the same `T`.
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &Value) {
    let Ok(decoded) = serde_json::from_value::<T>(value.clone()) else {
        return;
    };
    let encoded = serde_json::to_value(&decoded).expect("a decoded message encodes");
    let again = serde_json::from_value::<T>(encoded.clone())
        .unwrap_or_else(|e| panic!("{value} re-encoded as {encoded}, which does not decode: {e}"));
    assert_eq!(again, decoded, "{value} re-encoded as {encoded}");
}

/// Sort keys order totally: antisymmetric and transitive.
fn total_order(keys: &[Option<SortKey>], descending: bool) {
    let le = |a, b| order(a, b, descending) != Ordering::Greater;
    for a in keys {
        for b in keys {
            assert_eq!(
                order(a, b, descending),
                order(b, a, descending).reverse(),
                "{a:?} and {b:?} (descending: {descending})"
            );
            if !le(a, b) {
                continue;
            }
            for c in keys {
                if le(b, c) {
                    assert!(
                        le(a, c),
                        "{a:?} <= {b:?} <= {c:?} but not {a:?} <= {c:?} (descending: {descending})"
                    );
                }
            }
        }
    }
}

fn check(
    ev: &Evaluator<'_>,
    extensions: &[&Schema],
    filters: &[Filter],
    sorts: &[AttrPath],
    resources: &[&Value],
) {
    for r in resources {
        let diff = differences(ev.core(), extensions, r, r);
        assert!(diff.is_empty(), "{r} differs from itself: {diff:?}");
        for f in filters {
            let yes = ev.matches(f, r).expect("a fixed filter is valid");
            let no = ev
                .matches(&Filter::negate(f.clone()), r)
                .expect("a fixed filter is valid");
            assert_ne!(yes, no, "{r}: `{f}` and its negation agree");
        }
    }
    for p in sorts {
        let keys: Vec<Option<SortKey>> = resources
            .iter()
            .map(|r| ev.sort_key(p, r).expect("a fixed sort path is valid"))
            .collect();
        for descending in [false, true] {
            total_order(&keys, descending);
            let mut sorted = keys.clone();
            sorted.sort_by(|a, b| order(a, b, descending));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    round_trip::<ListResponse>(&value);
    round_trip::<ErrorBody>(&value);
    round_trip::<SearchRequest>(&value);
    round_trip::<PatchOp>(&value);
    round_trip::<Schema>(&value);

    let mut resources = vec![&value];
    if let Some(Value::Array(items)) = value.get("Resources") {
        resources.extend(items.iter().take(MAX_RESOURCES - 1));
    }
    let f = fixed();
    let (user, group, enterprise) = (&f.schemas[0], &f.schemas[1], &f.schemas[2]);
    let user_ev = Evaluator::new(user, vec![enterprise]);
    check(
        &user_ev,
        &[enterprise],
        &f.user_filters,
        &f.user_sorts,
        &resources,
    );
    let group_ev = Evaluator::new(group, vec![]);
    check(&group_ev, &[], &f.group_filters, &f.group_sorts, &resources);
});
