//! Schema-driven cases (area `schema`): derived from the resource types and
//! schemas a server declares, for its core schemas, its extensions and its
//! custom attributes. Each attribute characteristic the declaration promises
//! (mutability, returned, uniqueness, required, caseExact) becomes a case with
//! a stable id `schema.<schema URN>.<attribute>.<check>`.

use serde_json::{json, Value};

use crate::discover::{Capabilities, ResourceType};
use crate::scim::{AttrType, Attribute, Mutability, Returned, Schema, Uniqueness};
use crate::suite::{Case, Origin};

/// Attributes no generated case touches: common ones (RFC 7643 §3.1), and
/// references whose targets would have to exist.
const SKIPPED: &[&str] = &["id", "externalId", "meta", "schemas", "members", "manager"];

/// A value that fits an attribute, by type and, for some names, by format.
fn sample(a: &Attribute, unique: bool) -> Value {
    if let Some(first) = a.canonical_values.first() {
        return first.clone();
    }
    let one = match a.kind {
        AttrType::String => Value::String(match a.name.as_str() {
            _ if unique => "{{unique}}".into(),
            "timezone" => "Europe/Berlin".into(),
            "locale" | "preferredLanguage" => "en-US".into(),
            // Unique to the case, the same in each of its steps (servers may
            // require unique e-mail addresses).
            "value" => "{{mark}}@example.com".into(),
            "country" => "DE".into(),
            _ if a.case_exact => "Scimitar-Sample-CaseExact".into(),
            _ => "Scimitar sample".into(),
        }),
        AttrType::Reference => json!("https://example.com/scimitar/sample"),
        AttrType::Binary => json!("c2NpbWl0YXI="),
        AttrType::Boolean => json!(true),
        AttrType::Integer if unique => json!("{{unique_int}}"),
        AttrType::Integer => json!(7),
        AttrType::Decimal => json!(2.5),
        AttrType::DateTime => json!("2024-05-06T07:08:09Z"),
        AttrType::Complex => {
            let mut o = serde_json::Map::new();
            for s in &a.sub_attributes {
                if s.mutability == Mutability::ReadOnly
                    || s.name == "$ref"
                    || s.name == "primary"
                    || s.name == "display"
                {
                    continue;
                }
                o.insert(s.name.clone(), sample(s, false));
            }
            Value::Object(o)
        }
    };
    if a.multi_valued {
        json!([one])
    } else {
        one
    }
}

/// One attribute of one resource type: what the cases derived from it share.
struct Subject<'a> {
    rt: &'a ResourceType,
    core: &'a Schema,
    /// The core attribute that names a resource (userName, displayName).
    name_attr: &'a Attribute,
    place: Place,
    /// The case-id prefix, `schema.<URN>.<attribute>`.
    base: String,
    attr: &'a Attribute,
}

impl<'a> Subject<'a> {
    #[allow(clippy::type_complexity)]
    fn parts(
        &self,
    ) -> (
        &'a ResourceType,
        &'a Schema,
        &'a Attribute,
        &Place,
        &str,
        &'a Attribute,
    ) {
        (
            self.rt,
            self.core,
            self.name_attr,
            &self.place,
            &self.base,
            self.attr,
        )
    }
}

/// Where an attribute sits: its attribute-notation path and its JSON pointer.
struct Place {
    path: String,
    pointer: String,
    /// The schema URN the attribute belongs to when it is an extension's.
    container: Option<String>,
}

fn place(rt: &ResourceType, schema: &Schema, a: &Attribute) -> Place {
    if schema.id == rt.schema {
        Place {
            path: a.name.clone(),
            pointer: format!("/{}", a.name),
            container: None,
        }
    } else {
        Place {
            path: format!("{}:{}", schema.id, a.name),
            pointer: format!("/{}/{}", schema.id, a.name),
            container: Some(schema.id.clone()),
        }
    }
}

/// Generates the cases for every resource type a server declares.
pub fn derive(caps: &Capabilities) -> Vec<Case> {
    let mut out = vec![];
    for rt in &caps.resource_types {
        let Some(core) = caps.schemas.iter().find(|s| s.id == rt.schema) else {
            continue;
        };
        let mut schemas = vec![core];
        schemas.extend(
            rt.extensions
                .iter()
                .filter_map(|(u, _)| caps.schemas.iter().find(|s| &s.id == u)),
        );
        let name_attr = core
            .attributes
            .iter()
            .find(|a| a.required && a.kind == AttrType::String && !a.multi_valued);
        let Some(name_attr) = name_attr else { continue };
        out.extend(schemas_declared(rt, name_attr));
        for schema in &schemas {
            for a in schema
                .attributes
                .iter()
                .filter(|a| !SKIPPED.contains(&a.name.as_str()))
            {
                out.extend(cases_for(rt, core, name_attr, schema, a));
            }
        }
    }
    out
}

/// The smallest body that creates a resource: schemas and the naming
/// attribute, plus `extra` at its place. The runner fills in the other
/// attributes the server declares required, with fresh values each time.
/// What a readOnly value ignored on create checks: the mutability rules
/// (RFC 7644 §3.3, RFC 7643 §7), and for a User's groups that membership
/// changes only through the Group (RFC 7643 §4.1.2).
fn read_only_requirements(rt: &ResourceType, p: &Place) -> Vec<&'static str> {
    let mut ids = vec!["R7644-3.3-02", "R7643-7-17", "R7644-3.3-01"];
    if rt.schema == crate::scim::urn::USER && p.path == "groups" {
        ids.push("R7643-4.1.2-22");
    }
    ids
}

/// A resource's `schemas` lists only its type's schema and schema
/// extensions, each once (RFC 7643 §3), as created and as read back.
fn schemas_declared(rt: &ResourceType, name_attr: &Attribute) -> Option<Case> {
    let mut allowed = vec![json!(rt.schema)];
    allowed.extend(rt.extensions.iter().map(|(urn, _)| json!(urn)));
    let only = json!({"schema": {"type": "array", "minItems": 1, "uniqueItems": true, "items": {"enum": allowed}}});
    let ep = format!("{{{{endpoint/{}}}}}", rt.name);
    case_with_vars(
        format!("schema.{}.schemas.declared", rt.schema),
        format!(
            "A {}'s schemas lists only its resource type's schema and extensions, once each",
            rt.name
        ),
        "MUST",
        &["R7643-3-04", "R7643-3-05", "R7643-3-03"],
        rt,
        json!([
            {"name": "created", "method": "POST", "path": ep, "body": body(rt, name_attr, None),
             "expect": {"status": [200, 201], "body": {"/schemas": only}}},
            {"method": "GET", "path": format!("{ep}/{{{{created/id}}}}"),
             "expect": {"status": 200, "body": {"/schemas": only}}},
        ]),
        json!({}),
        None,
        json!({}),
    )
}

fn body(rt: &ResourceType, name_attr: &Attribute, extra: Option<(&Place, Value)>) -> Value {
    let mut schemas = vec![json!(rt.schema)];
    let mut b = json!({});
    b[&name_attr.name] = if name_attr.name == "userName" {
        json!("{{unique}}@example.com")
    } else {
        json!("{{unique}}")
    };
    if let Some((p, v)) = extra {
        let name = p.path.rsplit(':').next().unwrap_or(&p.path).to_string();
        match &p.container {
            None => b[&name] = v,
            Some(urn) => {
                schemas.push(json!(urn));
                b[urn.as_str()] = json!({ name: v });
            }
        }
    }
    b["schemas"] = Value::Array(schemas);
    b
}

#[allow(clippy::too_many_arguments)]
fn case_with_vars(
    id: String,
    title: String,
    level: &str,
    requirements: &[&str],
    rt: &ResourceType,
    steps: Value,
    fixtures: Value,
    notes: Option<String>,
    vars: Value,
) -> Option<Case> {
    let mut requires = vec![json!(rt.name)];
    if id.contains(".uniqueness") {
        requires.push(json!(rt.name));
    }
    requires.dedup();
    let v = json!({
        "id": id, "title": title, "level": level, "requirements": requirements,
        "requires": requires, "fixtures": fixtures, "steps": steps, "notes": notes, "vars": vars,
    });
    let mut c: Case = serde_json::from_value(v).ok()?;
    c.area = "schema".into();
    c.origin = Origin {
        file: format!("(derived from /Schemas: {})", rt.schema),
        pos: Default::default(),
    };
    Some(c)
}

fn cases_for(
    rt: &ResourceType,
    core: &Schema,
    name_attr: &Attribute,
    schema: &Schema,
    a: &Attribute,
) -> Vec<Case> {
    let p = place(rt, schema, a);
    let base = format!("schema.{}.{}", schema.id, a.name);
    let ep = format!("{{{{endpoint/{}}}}}", rt.name);
    let mut out = vec![];
    let writable = matches!(a.mutability, Mutability::ReadWrite | Mutability::Immutable);
    let unique = a.uniqueness != Uniqueness::None;
    // A unique value is drawn once per case, then used where the case needs it.
    let (value, vars) = match sample(a, unique) {
        Value::String(s) if s.starts_with("{{") => (json!("{{sample}}"), json!({"sample": s})),
        v => (v, json!({})),
    };
    let post = |v: Value| json!({"name": "created", "method": "POST", "path": ep, "body": body(rt, name_attr, Some((&p, v))), "expect": {"status": [200, 201]}});
    let get = |query: Value, matchers: Value| json!({"method": "GET", "path": format!("{ep}/{{{{created/id}}}}"), "query": query, "expect": {"status": 200, "body": matchers}});
    let no_fixtures = json!({});

    if writable
        && matches!(a.returned, Returned::Default | Returned::Always)
        && a.name != name_attr.name
    {
        let matcher = match (&value, a.kind, a.case_exact) {
            (Value::String(s), _, false) if !unique => json!({"equals_ignore_case": s}),
            (Value::Array(items), _, _) => json!({"contains": items[0]}),
            (Value::Object(_), _, _) => json!({"contains": value.clone()}),
            _ => json!({"equals": value.clone()}),
        };
        let matcher = if value.is_object() {
            // A complex value: each sub-attribute sent must come back.
            let mut m = serde_json::Map::new();
            for (k, v) in value.as_object().into_iter().flatten() {
                m.insert(
                    format!("{}/{k}", p.pointer),
                    if v.is_string() && !a.case_exact {
                        json!({"equals_ignore_case": v})
                    } else {
                        json!({"equals": v})
                    },
                );
            }
            Value::Object(m)
        } else {
            json!({ p.pointer.clone(): matcher })
        };
        out.extend(case_with_vars(
            format!("{base}.round-trip"),
            format!("{} {} is stored and returned as sent", rt.name, p.path),
            "MAY",
            &["R7643-7-18"],
            rt,
            json!([post(value.clone()), get(json!({}), matcher)]),
            no_fixtures.clone(),
            Some("readWrite: the attribute MAY be updated and read at any time (RFC 7643 §7); a server that declares it but drops it fails here.".into()),
            vars.clone(),
        ));
    }
    if a.mutability == Mutability::ReadOnly {
        // Drawn once, so the check looks for the very value that was sent.
        let sent = if a.multi_valued {
            json!([ {"value": "{{sent}}"} ])
        } else {
            sample(a, false)
        };
        let check = if a.multi_valued {
            json!({"not_contains": sent[0].clone()})
        } else {
            json!({"not_equals": sent.clone()})
        };
        out.extend(case_with_vars(
            format!("{base}.read-only-ignored"),
            format!(
                "A readOnly {} {} sent on create is ignored",
                rt.name, p.path
            ),
            "MUST",
            &read_only_requirements(rt, &p),
            rt,
            json!([
                post(sent),
                get(json!({}), json!({ p.pointer.clone(): check }))
            ]),
            no_fixtures.clone(),
            None,
            json!({"sent": "{{uuid}}"}),
        ));
    }
    if a.returned == Returned::Never || a.mutability == Mutability::WriteOnly {
        out.extend(case_with_vars(
            format!("{base}.never-returned"),
            format!("{} {} is never returned", rt.name, p.path),
            "MUST",
            &["R7643-7-22"],
            rt,
            json!([
                post(value.clone()),
                get(json!({}), json!({ p.pointer.clone(): {"absent": true} })),
                get(
                    json!({"attributes": p.path}),
                    json!({ p.pointer.clone(): {"absent": true} })
                )
            ]),
            no_fixtures.clone(),
            None,
            vars.clone(),
        ));
    }
    if a.returned == Returned::Request && writable {
        out.extend(case_with_vars(
            format!("{base}.returned-on-request"),
            format!("{} {} is returned only when asked for with attributes", rt.name, p.path),
            "MUST",
            &["R7644-3.9-02", "R7644-3.4.2.5-01"],
            rt,
            json!([post(value.clone()),
                   get(json!({}), json!({ p.pointer.clone(): {"absent": true} })),
                   get(json!({"attributes": p.path}), json!({ p.pointer.clone(): {"exists": true} }))]),
            no_fixtures.clone(),
            Some("RFC 7643 §7: returned \"request\" attributes come back in a query only if named in attributes.".into()),
            vars.clone(),
        ));
    }
    if a.returned == Returned::Always {
        out.extend(case_with_vars(
            format!("{base}.returned-always"),
            format!("{} {} is returned even when excluded", rt.name, p.path),
            "MUST",
            &["R7644-3.4.2.5-04"],
            rt,
            json!([
                post(value.clone()),
                get(
                    json!({"excludedAttributes": p.path}),
                    json!({ p.pointer.clone(): {"exists": true} })
                )
            ]),
            no_fixtures.clone(),
            None,
            vars.clone(),
        ));
    }
    if a.mutability == Mutability::Immutable {
        let other = match &value {
            Value::String(s) => json!(format!("{s}-changed")),
            Value::Number(_) => json!(8),
            _ => return out,
        };
        let put = json!({"method": "PUT", "path": format!("{ep}/{{{{created/id}}}}"),
                         "body": body(rt, name_attr, Some((&p, other))), "expect": {"status": 400, "body": {"/scimType": {"equals": "mutability"}}}});
        let mut put_body = put["body"].clone();
        put_body[&name_attr.name] = json!(format!("{{{{created/{}}}}}", name_attr.name));
        let mut put = put;
        put["body"] = put_body;
        // A value where there was none is applied (RFC 7644 §3.5.1).
        let mut set = json!({"method": "PUT", "path": format!("{ep}/{{{{created/id}}}}"),
                             "body": body(rt, name_attr, Some((&p, value.clone()))), "expect": {"status": 200}});
        set["body"][&name_attr.name] = json!(format!("{{{{created/{}}}}}", name_attr.name));
        let bare = json!({"name": "created", "method": "POST", "path": ep, "body": body(rt, name_attr, None), "expect": {"status": [200, 201]}});
        out.extend(case_with_vars(
            format!("{base}.immutable-set-once"),
            format!("PUT sets an immutable {} {} that has no value yet", rt.name, p.path),
            "MUST",
            &["R7644-3.5.1-10", "R7643-7-20"],
            rt,
            json!([bare, set, get(json!({}), json!({ p.pointer.clone(): {"equals": value.clone()} }))]),
            no_fixtures.clone(),
            Some("RFC 7644 §3.5.1: for an immutable attribute, \"if the service provider has no existing values, the new value(s) SHALL be applied\".".into()),
            vars.clone(),
        ));
        out.extend(case_with_vars(
            format!("{base}.immutable"),
            format!("An immutable {} {} cannot be changed by PUT", rt.name, p.path),
            "MUST",
            &["R7644-3.5.1-09", "R7643-7-20"],
            rt,
            json!([post(value.clone()), put, get(json!({}), json!({ p.pointer.clone(): {"equals": value.clone()} }))]),
            no_fixtures.clone(),
            Some("RFC 7644 §3.5.1: the input value MUST match; 400 with scimType mutability is the answer it names.".into()),
            vars.clone(),
        ));
    }
    if unique && writable && a.name != name_attr.name && !a.multi_valued {
        let fixture = json!({"first": {"type": rt.name, "body": body(rt, name_attr, Some((&p, value.clone())))}});
        let again = format!("{{{{first{}}}}}", p.pointer);
        let dup = json!({"method": "POST", "path": ep, "body": body(rt, name_attr, Some((&p, json!(again)))),
                         "expect": {"status": 409, "body": {"/scimType": {"equals": "uniqueness"}}}});
        out.extend(case_with_vars(
            format!("{base}.uniqueness"),
            format!(
                "A second {} with the same {} answers 409 uniqueness",
                rt.name, p.path
            ),
            "SHOULD",
            &["R7643-7-27", "R7644-3.3-10"],
            rt,
            json!([dup]),
            fixture,
            None,
            vars.clone(),
        ));
    }
    if writable
        && !a.multi_valued
        && matches!(
            a.kind,
            AttrType::Boolean | AttrType::Integer | AttrType::Decimal | AttrType::DateTime
        )
    {
        let wrong = match a.kind {
            AttrType::DateTime => json!("not a date"),
            _ => json!("scimitar-not-a-number-or-boolean"),
        };
        out.extend(case_with_vars(
            format!("{base}.wrong-type"),
            format!("A {} with {} of the wrong type is refused with 400", rt.name, p.path),
            "SHOULD",
            &["R7644-3.12-05", "R7643-2.3.5-01"],
            rt,
            json!([{"method": "POST", "path": ep, "body": body(rt, name_attr, Some((&p, wrong))),
                    "expect": {"status": 400, "body": {"": {"schema": "error"}}}}]),
            no_fixtures.clone(),
            Some("RFC 7644 Table 8: 400 for a request that violates schema; RFC 7643 §2.3 defines the types.".into()),
            json!({}),
        ));
    }
    if a.required && schema.id == rt.schema {
        // Sent exactly as written: every other required attribute, this one left out.
        let mut b = body(rt, name_attr, None);
        for other in core.attributes.iter().filter(|o| {
            o.required && o.name != name_attr.name && !SKIPPED.contains(&o.name.as_str())
        }) {
            b[&other.name] = sample(other, other.uniqueness != Uniqueness::None);
        }
        if let Some(o) = b.as_object_mut() {
            o.remove(&a.name);
        }
        // The attributes RFC 7643 itself makes REQUIRED cite that sentence too.
        let mut requirements = vec!["R7644-3.12-05"];
        match (rt.schema.as_str(), p.path.as_str()) {
            (crate::scim::urn::USER, "userName") => requirements.push("R7643-4.1.1-01"),
            (crate::scim::urn::GROUP, "displayName") => requirements.push("R7643-4.2-01"),
            _ => {}
        }
        out.extend(case_with_vars(
            format!("{base}.required"),
            format!("A {} without the required {} is refused with 400", rt.name, p.path),
            "SHOULD",
            &requirements,
            rt,
            json!([{"method": "POST", "path": ep, "body": b, "expect": {"status": 400, "body": {"": {"schema": "error"}}}}]),
            no_fixtures.clone(),
            None,
            vars.clone(),
        )
        .map(|mut c| {
            // The body goes as written: the runner must not fill the attribute back in.
            c.exact_bodies = true;
            c
        }));
    }
    if unique
        && writable
        && a.kind == AttrType::String
        && !a.case_exact
        && !a.multi_valued
        && a.name != name_attr.name
    {
        // The same value in another case: one value when case does not matter.
        let fixture = json!({"first": {"type": rt.name, "body": body(rt, name_attr, Some((&p, json!("{{u}}-Mixed"))))}});
        let dup = json!({"method": "POST", "path": ep, "body": body(rt, name_attr, Some((&p, json!("{{u}}-mIXED")))),
                         "expect": {"status": 409, "body": {"/scimType": {"equals": "uniqueness"}}}});
        out.extend(case_with_vars(
            format!("{base}.uniqueness-case-variant"),
            format!(
                "A second {} whose {} differs only in case answers 409 uniqueness",
                rt.name, p.path
            ),
            "SHOULD",
            &["R7643-7-27", "R7644-3.3-10", "R7643-7-16"],
            rt,
            json!([dup]),
            fixture,
            Some("caseExact false: values that differ only in case are the same value (RFC 7643 §2.1, §7).".into()),
            json!({"u": "{{unique}}"}),
        ));
    }
    if writable && a.kind == AttrType::Reference && !a.multi_valued {
        out.extend(case_with_vars(
            format!("{base}.reference-format"),
            format!("A {} whose reference {} is not a URI is refused with 400", rt.name, p.path),
            "SHOULD",
            &["R7643-2.3.7-02", "R7644-3.12-05"],
            rt,
            json!([{"method": "POST", "path": ep, "body": body(rt, name_attr, Some((&p, json!("not a uri {{unique}}")))),
                    "expect": {"status": 400, "body": {"": {"schema": "error"}}}}]),
            no_fixtures.clone(),
            Some("RFC 7643 §2.3.7: the value MUST be an absolute or relative URI; a value with spaces is neither. RFC 7644 Table 8: 400 for a request that violates schema.".into()),
            json!({}),
        ));
    }
    let subject = Subject {
        rt,
        core,
        name_attr,
        place: place(rt, schema, a),
        base: base.clone(),
        attr: a,
    };
    if writable {
        out.extend(canonical_cases(&subject));
    }
    out.extend(patch_cases(&subject, &value, &vars));
    if a.case_exact
        && a.kind == AttrType::String
        && writable
        && !a.multi_valued
        && a.returned == Returned::Default
    {
        let mixed = json!("MiXeD-Case-{{unique}}");
        out.extend(case_with_vars(
            format!("{base}.case-preserved"),
            format!(
                "{} {} (caseExact) keeps the case it was sent in",
                rt.name, p.path
            ),
            "MUST",
            &["R7643-7-14"],
            rt,
            json!([
                post(mixed),
                get(
                    json!({}),
                    json!({ p.pointer.clone(): {"matches": "^MiXeD-Case-"} })
                )
            ]),
            no_fixtures.clone(),
            None,
            vars.clone(),
        ));
    }
    out
}

/// PATCH against the declaration (RFC 7644 §3.5.2), checked by the
/// reference applier: a readWrite attribute is replaced through its path
/// (URN-qualified for extensions), an immutable one with a value refuses a
/// new one, a required one refuses removal.
fn patch_cases(s: &Subject, value: &Value, vars: &Value) -> Vec<Case> {
    let (rt, _, name_attr, p, base, a) = s.parts();
    let ep = format!("{{{{endpoint/{}}}}}", rt.name);
    let create = |v: Option<Value>| json!({"name": "created", "method": "POST", "path": ep, "body": body(rt, name_attr, v.map(|v| (p, v))), "expect": {"status": [200, 201]}});
    let patch = |ops: Value, expect: &str| json!({"patch": rt.name, "target": "created", "operations": ops, "expect": expect});
    let with_patch = |c: Option<Case>| {
        c.map(|mut c| {
            c.requires.push("patch".into());
            c
        })
    };
    let mut out = vec![];
    let visible = matches!(a.returned, Returned::Default | Returned::Always);
    if a.mutability == Mutability::ReadWrite
        && visible
        && a.name != name_attr.name
        && a.kind != AttrType::Complex
    {
        out.extend(with_patch(case_with_vars(
            format!("{base}.patch-replace"),
            format!("PATCH replace sets {} {} through its path", rt.name, p.path),
            "MUST",
            &["R7644-3.5.2-17", "R7644-3.5.2.3-02"],
            rt,
            json!([create(None), patch(json!([{"op": "replace", "path": p.path, "value": value}]), "ok")]),
            json!({}),
            Some("The resource is created without the attribute, so replace acts as add (RFC 7644 §3.5.2.3); the reference applier computes the result.".into()),
            vars.clone(),
        )));
    }
    if a.mutability == Mutability::Immutable {
        let other = match value {
            Value::String(s) => json!(format!("{s}-changed")),
            Value::Number(_) => json!(8),
            _ => return out,
        };
        out.extend(with_patch(case_with_vars(
            format!("{base}.patch-immutable"),
            format!(
                "PATCH replace of an immutable {} {} that has a value answers 400 mutability",
                rt.name, p.path
            ),
            "MUST",
            &["R7644-3.5.2-07", "R7644-3.5.2-09"],
            rt,
            json!([
                create(Some(value.clone())),
                patch(
                    json!([{"op": "replace", "path": p.path, "value": other}]),
                    "mutability"
                )
            ]),
            json!({}),
            None,
            vars.clone(),
        )));
    }
    if a.required && p.container.is_none() {
        out.extend(with_patch(case_with_vars(
            format!("{base}.patch-remove-required"),
            format!(
                "PATCH remove of the required {} {} answers 400 mutability",
                rt.name, p.path
            ),
            "MUST",
            &["R7644-3.5.2.2-06"],
            rt,
            json!([
                create(None),
                patch(json!([{"op": "remove", "path": p.path}]), "mutability")
            ]),
            json!({}),
            None,
            vars.clone(),
        )));
    }
    out
}

/// Every declared canonical value is accepted and returned (RFC 7643 §7):
/// for a single-valued attribute one resource per value; for a sub-attribute
/// of a multi-valued complex attribute one resource with a value of each.
fn canonical_cases(s: &Subject) -> Vec<Case> {
    let (rt, _, name_attr, p, base, a) = s.parts();
    let ep = format!("{{{{endpoint/{}}}}}", rt.name);
    let get = |name: &str, matchers: Value| json!({"method": "GET", "path": format!("{ep}/{{{{{name}/id}}}}"), "expect": {"status": 200, "body": matchers}});
    let note = Some("RFC 7643 §7: canonicalValues are the values the service provider suggests; a declared value the server refuses or drops makes the declaration untrue.".into());
    let mut out = vec![];
    if a.canonical_values.len() > 1 && a.kind != AttrType::Complex && !a.multi_valued {
        let mut steps = vec![];
        for (i, v) in a.canonical_values.iter().enumerate() {
            let name = format!("created{i}");
            steps.push(json!({"name": name, "method": "POST", "path": ep, "body": body(rt, name_attr, Some((p, v.clone()))), "expect": {"status": [200, 201]}}));
            let m = match v {
                Value::String(s) if !a.case_exact => json!({"equals_ignore_case": s}),
                _ => json!({"equals": v}),
            };
            steps.push(get(&name, json!({ p.pointer.clone(): m })));
        }
        out.extend(case_with_vars(
            format!("{base}.canonical-values"),
            format!(
                "Each canonical value of {} {} is accepted and returned",
                rt.name, p.path
            ),
            "MAY",
            &["R7643-7-10"],
            rt,
            Value::Array(steps),
            json!({}),
            note.clone(),
            json!({}),
        ));
    }
    if a.kind == AttrType::Complex && a.multi_valued {
        for sub in a.sub_attributes.iter().filter(|s| {
            s.canonical_values.len() > 1
                && matches!(s.mutability, Mutability::ReadWrite | Mutability::Immutable)
        }) {
            let mut items = vec![];
            let mut steps = vec![];
            for (i, v) in sub.canonical_values.iter().enumerate() {
                let mut item = sample(a, false)[0].clone();
                let reference = a
                    .sub_attribute("value")
                    .is_some_and(|v| v.kind == AttrType::Reference);
                if let Some(Value::String(s)) = item.get_mut("value") {
                    // Distinct values, each still of the value's format.
                    *s = if reference {
                        format!("{s}?c={i}")
                    } else {
                        format!("c{i}.{s}")
                    };
                }
                item[&sub.name] = v.clone();
                items.push(item);
            }
            steps.push(json!({"name": "created", "method": "POST", "path": ep, "body": body(rt, name_attr, Some((p, Value::Array(items.clone())))), "expect": {"status": [200, 201]}}));
            for v in &sub.canonical_values {
                steps.push(get(
                    "created",
                    json!({ p.pointer.clone(): {"contains": { sub.name.clone(): v }} }),
                ));
            }
            out.extend(case_with_vars(
                format!("{base}.{}.canonical-values", sub.name),
                format!(
                    "Each canonical {}.{} of a {} is accepted and returned",
                    p.path, sub.name, rt.name
                ),
                "MAY",
                &["R7643-7-10", "R7643-2.4-09"],
                rt,
                Value::Array(steps),
                json!({}),
                note.clone(),
                json!({}),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::core_schemas;

    #[test]
    fn cases_follow_the_declarations_and_include_extensions() {
        let schemas = core_schemas();
        let caps = Capabilities {
            resource_types: vec![ResourceType {
                name: "User".into(),
                endpoint: "/Users".into(),
                declared_endpoint: "/Users".into(),
                schema: crate::scim::urn::USER.into(),
                extensions: vec![(crate::scim::urn::ENTERPRISE_USER.into(), false)],
            }],
            schemas,
            ..Default::default()
        };
        let cases = derive(&caps);
        let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        for want in [
            "schema.urn:ietf:params:scim:schemas:core:2.0:User.password.never-returned",
            "schema.urn:ietf:params:scim:schemas:core:2.0:User.groups.read-only-ignored",
            "schema.urn:ietf:params:scim:schemas:core:2.0:User.userName.required",
            "schema.urn:ietf:params:scim:schemas:core:2.0:User.title.round-trip",
            "schema.urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.employeeNumber.round-trip",
        ] {
            assert!(ids.contains(&want), "{want} missing from {ids:?}");
        }
        assert!(cases
            .iter()
            .all(|c| c.area == "schema" && !c.requirements.is_empty()));
    }
}
