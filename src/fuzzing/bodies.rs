//! Request bodies from the discovered schemas: resources for POST and PUT
//! (a valid fixture bent by edge values, wrong types, nulls, unknown
//! attributes and schemas) and PatchOps (from [`crate::gen::patch`], then
//! bent), each optionally made malformed as text: duplicate keys, deep
//! nesting, huge numbers, truncation, trailing garbage.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::generate::TypeModel;
use super::request::{Body, Family, FuzzRequest, Target, UNIQUE};
use super::values;
use crate::scim::{urn, Attribute};

/// One change to a valid resource.
#[derive(Clone, Debug)]
enum Change {
    /// Sets the attribute at a path (`[name]`, `[name, sub]`, `[urn, name]`).
    Set(Vec<String>, Value),
    /// The name attribute: the run's name followed by an edge string, or a wrong value.
    Name(Value),
    Unknown(String, Value),
    UnknownSchema(String),
    Schemas(Value),
}

/// Every attribute a body can set, with its path.
fn settable(t: &TypeModel) -> Vec<(Vec<String>, Attribute)> {
    let extra = json!({"name": "externalId", "type": "string"});
    let extra = serde_json::from_value::<Attribute>(extra).expect("a valid attribute");
    let mut out = vec![(vec!["externalId".to_string()], extra)];
    for a in &t.core.attributes {
        if Some(&a.name) == t.name_attr.as_ref() {
            continue;
        }
        out.push((vec![a.name.clone()], a.clone()));
        if !a.multi_valued {
            for s in &a.sub_attributes {
                out.push((vec![a.name.clone(), s.name.clone()], s.clone()));
            }
        }
    }
    for e in &t.extensions {
        for a in &e.attributes {
            out.push((vec![e.id.clone(), a.name.clone()], a.clone()));
        }
    }
    out
}

fn change(t: &TypeModel) -> BoxedStrategy<Change> {
    let set = prop::sample::select(settable(t))
        .prop_flat_map(|(path, attr)| {
            values::for_attribute(&attr).prop_map(move |v| Change::Set(path.clone(), v))
        })
        .boxed();
    let name = prop_oneof![
        3 => values::edge_string().prop_map(|s| json!(format!("{UNIQUE}{s}"))),
        1 => prop::sample::select(vec![Value::Null, json!(""), json!(42), json!([UNIQUE]), json!({"value": UNIQUE})]),
    ]
    .prop_map(Change::Name);
    let unknown = (
        prop::sample::select(vec![
            "scimitarUnknown",
            "UNKNOWN",
            "$ref",
            "__proto__",
            "constructor",
        ]),
        prop_oneof![
            values::edge_string().prop_map(Value::String),
            values::edge_number()
        ],
    )
        .prop_map(|(k, v)| Change::Unknown(k.to_string(), v));
    let schema = prop::sample::select(vec![
        "urn:scimitar:unknown:2.0:Thing",
        "urn:ietf:params:scim:schemas:core:2.0:Nothing",
        "not a urn",
        "",
    ])
    .prop_map(|s| Change::UnknownSchema(s.to_string()));
    let schemas = prop::sample::select(vec![
        json!([]),
        json!("urn:ietf:params:scim:schemas:core:2.0:User"),
        Value::Null,
        json!([42]),
        json!([[urn::USER]]),
    ])
    .prop_map(Change::Schemas);
    prop_oneof![5 => set, 2 => name, 1 => unknown, 1 => schema, 1 => schemas].boxed()
}

fn apply(t: &TypeModel, changes: &[Change]) -> Value {
    let mut body = t.fixture.clone();
    for c in changes {
        let Some(obj) = body.as_object_mut() else {
            break;
        };
        match c {
            Change::Set(path, v) => match path.as_slice() {
                [name] => {
                    obj.insert(name.clone(), v.clone());
                }
                [outer, inner] => {
                    if outer.starts_with("urn:") {
                        if let Some(s) = obj.get_mut("schemas").and_then(Value::as_array_mut) {
                            if !s.contains(&json!(outer)) {
                                s.push(json!(outer));
                            }
                        }
                    }
                    let slot = obj.entry(outer.clone()).or_insert_with(|| json!({}));
                    if !slot.is_object() {
                        *slot = json!({});
                    }
                    if let Some(o) = slot.as_object_mut() {
                        o.insert(inner.clone(), v.clone());
                    }
                }
                _ => {}
            },
            Change::Name(v) => {
                if let Some(n) = &t.name_attr {
                    obj.insert(n.clone(), v.clone());
                }
            }
            Change::Unknown(k, v) => {
                obj.insert(k.clone(), v.clone());
            }
            Change::UnknownSchema(s) => {
                if let Some(list) = obj.get_mut("schemas").and_then(Value::as_array_mut) {
                    list.push(json!(s));
                }
                obj.insert(s.clone(), json!({"scimitar": UNIQUE}));
            }
            Change::Schemas(v) => {
                obj.insert("schemas".into(), v.clone());
            }
        }
    }
    body
}

/// A way to make a JSON text malformed, or odd.
#[derive(Clone, Debug)]
enum Raw {
    Deep(usize),
    Duplicate(&'static str),
    Huge(&'static str),
    Truncate(u8),
    Garbage(&'static str),
    Bom,
    Whole(&'static str),
}

fn raw() -> BoxedStrategy<Raw> {
    let depth = prop_oneof![
        3 => prop::sample::select(vec![31usize, 32, 33, 34, 48, 64, 100, 127, 128, 129, 400]),
        1 => 1usize..300,
    ];
    prop_oneof![
        4 => depth.prop_map(Raw::Deep),
        2 => prop::sample::select(vec!["name", "schemas", "id"]).prop_map(Raw::Duplicate),
        1 => prop::sample::select(values::HUGE_LITERALS.to_vec()).prop_map(Raw::Huge),
        1 => (0u8..100).prop_map(Raw::Truncate),
        1 => prop::sample::select(vec!["}", "]", "garbage", ",", "{}", "\n\n", "\u{1}"]).prop_map(Raw::Garbage),
        1 => Just(Raw::Bom),
        1 => prop::sample::select(vec!["", "null", "[]", "\"text\"", "{}", "true", "{\"schemas\":", "[{}]"]).prop_map(Raw::Whole),
    ]
    .boxed()
}

/// Inserts `member` (`"key":value`) as the last member of the JSON object text.
fn insert_last(text: &str, member: &str) -> String {
    match text.strip_suffix('}') {
        Some(head) if head.trim_end().ends_with('{') => format!("{head}{member}}}"),
        Some(head) => format!("{head},{member}}}"),
        None => format!("{text}{member}"),
    }
}

fn bend(text: String, how: &Raw, name_attr: Option<&str>) -> String {
    match how {
        Raw::Deep(d) => {
            let nested = format!("{}{}", "[".repeat(*d), "]".repeat(*d));
            insert_last(&text, &format!("\"scimitarDeep\":{nested}"))
        }
        Raw::Duplicate(which) => {
            let member = match *which {
                "name" => format!(
                    "\"{}\":\"{UNIQUE}-dup\"",
                    name_attr.unwrap_or("displayName")
                ),
                "schemas" => "\"schemas\":\"dup\"".to_string(),
                _ => "\"id\":\"scimitar-dup\"".to_string(),
            };
            match text.strip_prefix('{') {
                Some(rest) if !rest.trim_start().starts_with('}') => format!("{{{member},{rest}"),
                _ => insert_last(&text, &member),
            }
        }
        Raw::Huge(lit) => insert_last(&text, &format!("\"scimitarNumber\":{lit}")),
        Raw::Truncate(pct) => {
            let keep = text.chars().count() * (*pct as usize) / 100;
            text.chars().take(keep).collect()
        }
        Raw::Garbage(g) => format!("{text}{g}"),
        Raw::Bom => format!("\u{feff}{text}"),
        Raw::Whole(w) => w.to_string(),
    }
}

/// A JSON body, or (one time in three) the same made malformed as text.
fn body_from(value: BoxedStrategy<Value>, name_attr: Option<String>) -> BoxedStrategy<Body> {
    prop_oneof![
        2 => value.clone().prop_map(Body::Json),
        1 => (value, raw()).prop_map(move |(v, how)| Body::Raw(bend(v.to_string(), &how, name_attr.as_deref()))),
    ]
    .boxed()
}

/// Resource bodies for a type.
pub fn resource(t: &TypeModel) -> BoxedStrategy<Body> {
    let model = t.clone();
    let value = prop::collection::vec(change(t), 0..=3)
        .prop_map(move |cs| apply(&model, &cs))
        .boxed();
    body_from(value, t.name_attr.clone())
}

/// POST a resource.
pub fn create(t: &TypeModel) -> BoxedStrategy<FuzzRequest> {
    let name = t.name.clone();
    resource(t)
        .prop_map(move |b| {
            FuzzRequest::new(Family::Create, &name, "POST", Target::Collection).with_body(b)
        })
        .boxed()
}

/// PUT a resource over a fixture.
pub fn replace(t: &TypeModel) -> BoxedStrategy<FuzzRequest> {
    let name = t.name.clone();
    resource(t)
        .prop_map(move |b| {
            FuzzRequest::new(Family::Replace, &name, "PUT", Target::Fixture).with_body(b)
        })
        .boxed()
}

/// One change to a PatchOp's operations.
fn bend_ops(ops: &mut [Value], how: (u8, usize, &Value)) {
    let (kind, i, v) = how;
    let Some(op) = ops
        .get_mut(i % ops.len().max(1))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    match kind {
        0 => {
            op.insert("value".into(), v.clone());
        }
        1 => {
            let word = ["Add", "REPLACE", "delete", "", "move", "add "][i % 6];
            op.insert("op".into(), json!(word));
        }
        2 => {
            let path = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            op.insert("path".into(), json!(path));
        }
        _ => {
            op.remove(["op", "path", "value"][i % 3]);
        }
    }
}

/// PatchOp bodies for a type: the PATCH generators of [`crate::gen::patch`]
/// (the User ones, or operations on generated paths), then bent.
fn patch_body(t: &TypeModel) -> BoxedStrategy<Body> {
    let ops: BoxedStrategy<Vec<Value>> = if t.core.id == urn::USER {
        let ent = t.extensions.iter().any(|e| e.id == urn::ENTERPRISE_USER);
        crate::gen::patch::request(ent).boxed()
    } else {
        let paths = crate::gen::patch::path(&t.core, &t.extensions);
        let op = (
            prop::sample::select(vec!["add", "replace", "remove"]),
            paths,
            values::edge_string(),
        )
            .prop_map(|(op, p, v)| json!({"op": op, "path": p.to_string(), "value": v}));
        prop::collection::vec(op, 1..=3).boxed()
    };
    let odd_value = prop_oneof![
        values::edge_string().prop_map(Value::String),
        values::edge_number(),
        values::long_string().prop_map(|s| json!(format!("name.{s}"))),
        Just(Value::Null),
        Just(json!({"value": [[[[]]]]})),
    ];
    let bends = prop::collection::vec((0u8..4, 0usize..6, odd_value), 0..=2);
    let envelope = prop::sample::select(vec![0u8, 0, 0, 0, 1, 2, 3]);
    let value = (ops, bends, envelope)
        .prop_map(|(mut ops, bends, envelope)| {
            for (k, i, v) in &bends {
                bend_ops(&mut ops, (*k, *i, v));
            }
            match envelope {
                1 => json!({"Operations": ops}),
                2 => json!({"schemas": [urn::PATCH_OP], "Operations": ops.first().cloned()}),
                3 => json!({"schemas": [urn::PATCH_OP], "Operations": []}),
                _ => json!({"schemas": [urn::PATCH_OP], "Operations": ops}),
            }
        })
        .boxed();
    body_from(value, t.name_attr.clone())
}

/// PATCH a fixture.
pub fn patch(t: &TypeModel) -> BoxedStrategy<FuzzRequest> {
    let name = t.name.clone();
    patch_body(t)
        .prop_map(move |b| {
            FuzzRequest::new(Family::Patch, &name, "PATCH", Target::Fixture).with_body(b)
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_bends_keep_or_break_json_as_meant() {
        let text = json!({"schemas": [urn::USER], "userName": UNIQUE}).to_string();
        let deep = bend(text.clone(), &Raw::Deep(40), Some("userName"));
        assert!(serde_json::from_str::<Value>(&deep).is_ok());
        assert!(deep.contains(&format!(":{}{}}}", "[".repeat(40), "]".repeat(40))));
        let dup = bend(text.clone(), &Raw::Duplicate("name"), Some("userName"));
        assert!(
            dup.starts_with("{\"userName\":\"{{unique}}-dup\",\"schemas\""),
            "{dup}"
        );
        assert!(serde_json::from_str::<Value>(&dup).is_ok());
        assert_eq!(insert_last("{}", "\"a\":1"), "{\"a\":1}");
        let huge = bend(text, &Raw::Huge("1e999999"), None);
        assert!(huge.ends_with(",\"scimitarNumber\":1e999999}"));
    }

    #[test]
    fn changes_reach_extensions_and_keep_the_name() {
        let m = super::super::generate::tests::model();
        let user = m.get("User").unwrap();
        let ext = urn::ENTERPRISE_USER.to_string();
        let body = apply(
            user,
            &[Change::Set(
                vec![ext.clone(), "department".into()],
                json!(7),
            )],
        );
        assert_eq!(body[&ext]["department"], json!(7));
        assert!(body["schemas"].as_array().unwrap().contains(&json!(ext)));
        assert_eq!(body["userName"], UNIQUE);
    }
}
