//! What a case sends, against what the server declares: a case whose
//! bodies, PATCH paths, filters or sort keys name an attribute, a
//! sub-attribute or an extension that /Schemas and /ResourceTypes do not
//! declare cannot judge the server (RFC 7644 §3.3 lets it ignore what it
//! does not know), so it is skipped with the reason. Population bodies are
//! narrowed to what is declared instead, since many cases share them.

use serde_json::{Map, Value};

use crate::discover::{Capabilities, ResourceType};
use crate::scim::filter::{self, AttrPath, Filter};
use crate::scim::{AttrType, Attribute, Schema};
use crate::suite::{Case, Step};

/// Attributes every resource has (RFC 7643 §3.1) or every body may carry.
const COMMON: &[&str] = &["schemas", "id", "externalId", "meta"];

/// Why the case needs what the server does not declare, if it does.
pub fn undeclared(caps: &Capabilities, case: &Case) -> Option<String> {
    let mut need = Need::default();
    // Fixtures are the setting, never the point of a case: always checked.
    for fixture in case.fixtures.values() {
        need.resource(caps, &fixture.resource_type, &fixture.body);
    }
    let steps = if case.sends_undeclared {
        &[][..]
    } else {
        &case.steps[..]
    };
    for step in steps {
        match step {
            Step::Http(h) => {
                let rt = endpoint_type(&h.path);
                if let (Some(rt), Some(body)) = (written_type(&h.method, &h.path), &h.body) {
                    need.resource(caps, rt, body);
                }
                if let (Some(rt), Some(body), "PATCH") = (rt, &h.body, h.method.as_str()) {
                    need.patch(caps, rt, &body["Operations"]);
                }
                if let Some(rt) = rt {
                    for (k, v) in &h.query {
                        if let Some(text) = v.as_str() {
                            need.query_parameter(caps, rt, k, text);
                        }
                    }
                }
            }
            Step::Patch(p) => need.patch(caps, &p.patch, &p.operations),
            Step::Query(q) => {
                if let Some(f) = &q.filter {
                    need.filter(caps, &q.query, f);
                }
                if let Some(s) = &q.sort_by {
                    need.paths(caps, &q.query, s);
                }
                if let Some(change) = &q.change_after_first_page {
                    need.resource(caps, &q.query, &change.create);
                }
            }
            Step::Bulk(b) => {
                let ops = b.bulk["Operations"].as_array().into_iter().flatten();
                for op in ops {
                    let (method, path) = (op["method"].as_str(), op["path"].as_str());
                    let (Some(method), Some(path)) = (method, path) else {
                        continue;
                    };
                    if let Some(rt) = written_type(method, path) {
                        need.resource(caps, rt, &op["data"]);
                    }
                    if let (Some(rt), "PATCH") = (endpoint_type(path), method) {
                        need.patch(caps, rt, &op["data"]["Operations"]);
                    }
                }
            }
            Step::Async(a) => {
                if let (Some(rt), Some(body)) = (written_type(&a.method, &a.path), &a.body) {
                    need.resource(caps, rt, body);
                }
                if let (Some(rt), Some(body), "PATCH") =
                    (endpoint_type(&a.path), &a.body, a.method.as_str())
                {
                    need.patch(caps, rt, &body["Operations"]);
                }
            }
            _ => {}
        }
    }
    need.missing.first().map(|m| {
        let more = match need.missing.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        format!("the case needs {m}, which the server does not declare{more}")
    })
}

/// Why a case that narrows resource queries with a filter cannot run on a
/// server without filtering (as its SPC says and the probe did not refute).
pub fn filter_unsupported(caps: &Capabilities, case: &Case) -> Option<String> {
    let filters = case.steps.iter().any(|s| match s {
        Step::Http(h) => endpoint_type(&h.path).is_some() && h.query.contains_key("filter"),
        Step::Query(q) => q.filter.is_some(),
        _ => false,
    });
    let why = caps.meets("filter").err()?;
    filters.then(|| format!("the case narrows its queries with a filter, and {why}"))
}

/// Keeps of a population body only what the server declares (values of
/// undeclared attributes, sub-attributes and extensions are dropped).
pub fn narrow(caps: &Capabilities, resource_type: &str, body: &Value) -> Value {
    let Some((rt, core)) = schemas_for(caps, resource_type) else {
        return body.clone();
    };
    let Some(obj) = body.as_object() else {
        return body.clone();
    };
    let mut out = Map::new();
    for (k, v) in obj {
        if k == "schemas" {
            let kept: Vec<Value> = v
                .as_array()
                .into_iter()
                .flatten()
                .filter(|u| u.as_str().is_some_and(|u| declares_schema(rt, u)))
                .cloned()
                .collect();
            out.insert(k.clone(), Value::Array(kept));
        } else if COMMON.contains(&k.as_str()) {
            out.insert(k.clone(), v.clone());
        } else if is_urn(k) {
            if !declares_schema(rt, k) {
                continue;
            }
            match caps.schemas.iter().find(|s| s.id.eq_ignore_ascii_case(k)) {
                Some(ext) => {
                    let kept = narrow_object(&ext.attributes, v);
                    out.insert(k.clone(), kept);
                }
                None => {
                    out.insert(k.clone(), v.clone());
                }
            }
        } else if let Some(attr) = core.attribute(k) {
            out.insert(k.clone(), narrow_value(attr, v));
        }
    }
    Value::Object(out)
}

fn narrow_object(defs: &[Attribute], v: &Value) -> Value {
    let Some(obj) = v.as_object() else {
        return v.clone();
    };
    Value::Object(
        obj.iter()
            .filter_map(|(k, v)| {
                let a = defs.iter().find(|a| a.name.eq_ignore_ascii_case(k))?;
                Some((k.clone(), narrow_value(a, v)))
            })
            .collect(),
    )
}

fn narrow_value(attr: &Attribute, v: &Value) -> Value {
    if attr.kind != AttrType::Complex {
        return v.clone();
    }
    match v {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| narrow_object(&attr.sub_attributes, i))
                .collect(),
        ),
        other => narrow_object(&attr.sub_attributes, other),
    }
}

/// A create or replace body with every attribute the server declares
/// required (RFC 7643 §2.2 `required`, §6 required extensions) that the
/// body leaves out filled in, so that a server with stricter rules than
/// RFC 7643's accepts the case's resources. `fresh` gives a run-unique
/// token for each value (required values are often unique ones too).
pub fn fill_required(
    caps: &Capabilities,
    resource_type: &str,
    body: &Value,
    fresh: &mut dyn FnMut() -> String,
) -> Value {
    let Some((rt, core)) = schemas_for(caps, resource_type) else {
        return body.clone();
    };
    let Some(obj) = body.as_object() else {
        return body.clone();
    };
    let mut out = obj.clone();
    fill_object(&core.attributes, &mut out, "", fresh);
    for (urn, required) in &rt.extensions {
        let Some(ext) = caps.schemas.iter().find(|s| s.id.eq_ignore_ascii_case(urn)) else {
            continue;
        };
        let present = out.keys().any(|k| k.eq_ignore_ascii_case(urn));
        if !present && !required {
            continue;
        }
        let key = out
            .keys()
            .find(|k| k.eq_ignore_ascii_case(urn))
            .cloned()
            .unwrap_or_else(|| urn.clone());
        let mut inner = out
            .get(&key)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        fill_object(&ext.attributes, &mut inner, "", fresh);
        out.insert(key, Value::Object(inner));
        if let Some(schemas) = out.get_mut("schemas").and_then(Value::as_array_mut) {
            if !schemas
                .iter()
                .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)))
            {
                schemas.push(Value::String(urn.clone()));
            }
        }
    }
    Value::Object(out)
}

/// Fills the required attributes of `defs` missing from `obj`, and the
/// required sub-attributes of the complex values it has; `owner` names the
/// complex attribute `obj` is a value of (empty at the top).
fn fill_object(
    defs: &[Attribute],
    obj: &mut Map<String, Value>,
    owner: &str,
    fresh: &mut dyn FnMut() -> String,
) {
    for a in defs {
        let fillable = a.required
            && a.mutability != crate::scim::Mutability::ReadOnly
            && !COMMON.contains(&a.name.as_str())
            && !a.name.eq_ignore_ascii_case("password");
        // Null and [] are unassigned (RFC 7643 §2.5), so they are filled too.
        let key = obj
            .keys()
            .find(|k| k.eq_ignore_ascii_case(&a.name))
            .cloned();
        let assigned = key.as_ref().is_some_and(|k| match &obj[k] {
            Value::Null => false,
            Value::Array(items) => !items.is_empty(),
            _ => true,
        });
        let named = if owner.is_empty() { &a.name } else { owner };
        match key {
            Some(k)
                if assigned
                    && a.kind == AttrType::Complex
                    && a.mutability != crate::scim::Mutability::ReadOnly =>
            {
                let items: Vec<&mut Value> = match obj.get_mut(&k) {
                    Some(Value::Array(items)) => items.iter_mut().collect(),
                    Some(v) => vec![v],
                    None => vec![],
                };
                for item in items {
                    if let Some(o) = item.as_object_mut() {
                        fill_object(&a.sub_attributes, o, &a.name, fresh);
                    }
                }
            }
            Some(_) if assigned => {}
            k if fillable => {
                obj.insert(
                    k.unwrap_or_else(|| a.name.clone()),
                    required_value(a, named, fresh),
                );
            }
            _ => {}
        }
    }
}

/// A value for a required attribute: e-mail shaped where the name says so.
fn required_value(a: &Attribute, owner: &str, fresh: &mut dyn FnMut() -> String) -> Value {
    let one = match a.kind {
        AttrType::Complex => {
            let mut o = Map::new();
            for s in &a.sub_attributes {
                if s.required
                    || (s.name == "value" && s.mutability != crate::scim::Mutability::ReadOnly)
                {
                    o.insert(s.name.clone(), required_value(s, &a.name, fresh));
                }
            }
            Value::Object(o)
        }
        _ if !a.canonical_values.is_empty() => a.canonical_values[0].clone(),
        AttrType::Boolean => Value::Bool(true),
        AttrType::Integer => Value::from(7),
        AttrType::Decimal => serde_json::json!(2.5),
        AttrType::DateTime => Value::String("2024-05-06T07:08:09Z".into()),
        AttrType::Binary => Value::String("c2NpbWl0YXI=".into()),
        AttrType::Reference => Value::String("https://example.com/scimitar".into()),
        AttrType::String => {
            let token = fresh();
            let mail = ["userName", "emails"]
                .iter()
                .any(|n| owner.eq_ignore_ascii_case(n))
                || a.name.to_ascii_lowercase().contains("mail");
            Value::String(if mail {
                format!("{token}@example.com")
            } else {
                token
            })
        }
    };
    if a.multi_valued {
        Value::Array(vec![one])
    } else {
        one
    }
}

/// Whether the server's schema of a resource type is not RFC 7643's own
/// (§8.7.1): then a suite written for RFC 7643's schema may expect what the
/// server's declarations rule out, and that case cannot judge the server.
pub fn schema_is_not_rfc(caps: &Capabilities, resource_type: &str) -> bool {
    let Some((_, core)) = schemas_for(caps, resource_type) else {
        return false;
    };
    match crate::scim::schema::core_schemas()
        .into_iter()
        .find(|s| s.id == core.id)
    {
        Some(rfc) => rfc.attributes != core.attributes,
        None => true,
    }
}

/// The reason a case is skipped when the server's declared schema makes
/// the oracle disagree with what the suite expects.
pub fn premise_lost(resource_type: &str, what: &str) -> String {
    format!(
        "the server's {resource_type} schema differs from RFC 7643's, and under its \
         declarations {what}, so the case's premise does not hold"
    )
}

/// The resource type a templated path addresses (`{{endpoint/User}}/...`).
fn endpoint_type(path: &str) -> Option<&str> {
    let rest = path.trim().strip_prefix("{{endpoint/")?;
    rest.split_once("}}").map(|(name, _)| name.trim())
}

/// The resource type whose resource a request creates or replaces: a POST
/// to `{{endpoint/X}}` itself (not to `/.search` below it), or a PUT below it.
pub(super) fn written_type<'p>(method: &str, path: &'p str) -> Option<&'p str> {
    let rt = endpoint_type(path)?;
    let below = path
        .trim()
        .split_once("}}")
        .is_some_and(|(_, rest)| rest.starts_with('/'));
    match method {
        "POST" if !below => Some(rt),
        "PUT" if below => Some(rt),
        _ => None,
    }
}

fn is_urn(key: &str) -> bool {
    key.len() > 4 && key[..4].eq_ignore_ascii_case("urn:")
}

fn declares_schema(rt: &ResourceType, urn: &str) -> bool {
    rt.schema.eq_ignore_ascii_case(urn)
        || rt
            .extensions
            .iter()
            .any(|(e, _)| e.eq_ignore_ascii_case(urn))
}

/// The resource type and its core schema, when /Schemas describes it
/// (without a description nothing can be judged, and nothing is refused).
fn schemas_for<'c>(caps: &'c Capabilities, name: &str) -> Option<(&'c ResourceType, &'c Schema)> {
    let rt = caps.resource_type(name)?;
    let core = caps.schemas.iter().find(|s| s.id == rt.schema)?;
    Some((rt, core))
}

/// Templates replaced by a plain word, so that a templated filter parses.
fn untemplated(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        match rest[start..].find("}}") {
            Some(end) => {
                out.push('x');
                rest = &rest[start + end + 2..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// What a case needs and the server lacks, in the order found.
#[derive(Default)]
struct Need {
    missing: Vec<String>,
}

impl Need {
    fn lack(&mut self, what: String) {
        if !self.missing.contains(&what) {
            self.missing.push(what);
        }
    }

    /// A resource body (create, replace, or PATCH value without a path).
    fn resource(&mut self, caps: &Capabilities, rt_name: &str, body: &Value) {
        let Some((rt, core)) = schemas_for(caps, rt_name) else {
            return;
        };
        let Some(obj) = body.as_object() else {
            return;
        };
        for (k, v) in obj {
            if k == "schemas" {
                for urn in v.as_array().into_iter().flatten().filter_map(Value::as_str) {
                    if !declares_schema(rt, urn) && !urn.contains("{{") {
                        self.lack(format!("the {rt_name} extension {urn}"));
                    }
                }
            } else if COMMON.contains(&k.as_str()) || k.contains("{{") {
            } else if is_urn(k) {
                self.extension(caps, rt, rt_name, k, v);
            } else {
                match core.attribute(k) {
                    Some(attr) => self.value(rt_name, k, attr, v),
                    None => self.lack(format!("the {rt_name} attribute `{k}`")),
                }
            }
        }
    }

    fn extension(
        &mut self,
        caps: &Capabilities,
        rt: &ResourceType,
        rt_name: &str,
        urn: &str,
        v: &Value,
    ) {
        if !declares_schema(rt, urn) {
            self.lack(format!("the {rt_name} extension {urn}"));
            return;
        }
        let Some(ext) = caps.schemas.iter().find(|s| s.id.eq_ignore_ascii_case(urn)) else {
            return;
        };
        for (k, v) in v.as_object().into_iter().flatten() {
            match ext.attribute(k) {
                Some(attr) => self.value(rt_name, &format!("{urn}:{k}"), attr, v),
                None => self.lack(format!("the {rt_name} attribute `{urn}:{k}`")),
            }
        }
    }

    /// Sub-attributes named in a complex value.
    fn value(&mut self, rt_name: &str, path: &str, attr: &Attribute, v: &Value) {
        if attr.kind != AttrType::Complex {
            return;
        }
        let items: Vec<&Value> = match v {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for item in items {
            for k in item.as_object().into_iter().flatten().map(|(k, _)| k) {
                if attr.sub_attribute(k).is_none() {
                    self.lack(format!("the {rt_name} attribute `{path}.{k}`"));
                }
            }
        }
    }

    /// An attribute path of a filter, PATCH path or sort key.
    fn attr_path(&mut self, caps: &Capabilities, rt_name: &str, p: &AttrPath) {
        let Some((rt, core)) = schemas_for(caps, rt_name) else {
            return;
        };
        let schema = match &p.urn {
            None => Some(core),
            Some(urn) if urn.eq_ignore_ascii_case(&rt.schema) => Some(core),
            Some(urn) => {
                if !declares_schema(rt, urn) {
                    self.lack(format!("the {rt_name} extension {urn}"));
                    return;
                }
                caps.schemas.iter().find(|s| s.id.eq_ignore_ascii_case(urn))
            }
        };
        let Some(schema) = schema else { return };
        if COMMON.contains(&p.name.as_str()) {
            return;
        }
        let full = match &p.sub {
            Some(sub) => format!("{}.{sub}", p.name),
            None => p.name.clone(),
        };
        if schema.attribute(&full).is_none() {
            let shown = match &p.urn {
                Some(urn) => format!("{urn}:{full}"),
                None => full,
            };
            self.lack(format!("the {rt_name} attribute `{shown}`"));
        }
    }

    fn filter(&mut self, caps: &Capabilities, rt_name: &str, text: &str) {
        if let Ok(f) = filter::parse(&untemplated(text)) {
            self.filter_ast(caps, rt_name, &f, None);
        }
    }

    fn filter_ast(
        &mut self,
        caps: &Capabilities,
        rt_name: &str,
        f: &Filter,
        within: Option<&AttrPath>,
    ) {
        let qualify = |p: &AttrPath| match within {
            // Inside `emails[type eq "work"]`, `type` is `emails.type`.
            Some(outer) => AttrPath::new(outer.urn.as_deref(), &outer.name, Some(&p.name)),
            None => p.clone(),
        };
        match f {
            Filter::Present(p) | Filter::Compare(p, _, _) => {
                self.attr_path(caps, rt_name, &qualify(p))
            }
            Filter::ValuePath(p, inner) => {
                self.attr_path(caps, rt_name, p);
                self.filter_ast(caps, rt_name, inner, Some(p));
            }
            Filter::Not(a) => self.filter_ast(caps, rt_name, a, within),
            Filter::And(a, b) | Filter::Or(a, b) => {
                self.filter_ast(caps, rt_name, a, within);
                self.filter_ast(caps, rt_name, b, within);
            }
        }
    }

    /// Comma-separated attribute paths (`attributes`, `sortBy`).
    fn paths(&mut self, caps: &Capabilities, rt_name: &str, text: &str) {
        for part in untemplated(text)
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            if let Ok(p) = filter::parse_attr_path(part, 0) {
                self.attr_path(caps, rt_name, &p);
            }
        }
    }

    fn query_parameter(&mut self, caps: &Capabilities, rt_name: &str, name: &str, text: &str) {
        match name {
            "filter" => self.filter(caps, rt_name, text),
            "attributes" | "excludedAttributes" | "sortBy" => self.paths(caps, rt_name, text),
            _ => {}
        }
    }

    /// The value of a path-less PATCH operation: attributes, whose keys may
    /// also be attribute paths (`name.givenName`, `urn:…:User:employeeNumber`).
    fn pathless_value(&mut self, caps: &Capabilities, rt_name: &str, value: &Value) {
        let Some((rt, _)) = schemas_for(caps, rt_name) else {
            return;
        };
        let mut plain = Map::new();
        for (k, v) in value.as_object().into_iter().flatten() {
            let qualified = is_urn(k) && !declares_schema(rt, k);
            if qualified || (k.contains('.') && !is_urn(k)) {
                if let Ok(p) = filter::parse_attr_path(k, 0) {
                    self.attr_path(caps, rt_name, &p);
                }
            } else {
                plain.insert(k.clone(), v.clone());
            }
        }
        self.resource(caps, rt_name, &Value::Object(plain));
    }

    /// A PatchOp's `Operations`: paths, and the attributes of values.
    fn patch(&mut self, caps: &Capabilities, rt_name: &str, ops: &Value) {
        let Some((_, core)) = schemas_for(caps, rt_name) else {
            return;
        };
        for op in ops.as_array().into_iter().flatten() {
            match op["path"].as_str() {
                None => self.pathless_value(caps, rt_name, &op["value"]),
                Some(path) => {
                    let Ok(p) = crate::scim::path::parse(&untemplated(path)) else {
                        continue;
                    };
                    self.attr_path(caps, rt_name, &p.attr);
                    if let Some(f) = &p.filter {
                        self.filter_ast(caps, rt_name, f, Some(&p.attr));
                    }
                    if let Some(sub) = &p.sub {
                        let a = AttrPath::new(p.attr.urn.as_deref(), &p.attr.name, Some(sub));
                        self.attr_path(caps, rt_name, &a);
                    }
                    if p.sub_attribute().is_none() && p.attr.urn.is_none() {
                        if let Some(attr) = core.attribute(&p.attr.name) {
                            self.value(rt_name, &p.attr.name, attr, &op["value"]);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::urn;
    use serde_json::json;

    fn caps(user_attrs: &[&str]) -> Capabilities {
        let mut user = crate::scim::schema::core_schemas()
            .into_iter()
            .find(|s| s.id == urn::USER)
            .unwrap();
        user.attributes
            .retain(|a| user_attrs.contains(&a.name.as_str()));
        for a in &mut user.attributes {
            a.sub_attributes.retain(|s| s.name != "type");
        }
        Capabilities {
            resource_types: vec![ResourceType {
                name: "User".into(),
                endpoint: "/Users".into(),
                declared_endpoint: "Users".into(),
                schema: urn::USER.into(),
                extensions: vec![],
            }],
            schemas: vec![user],
            ..Default::default()
        }
    }

    fn case(yaml: &str) -> Case {
        let text = format!(
            "area: x\ncases:\n  - id: x.y\n    title: a test case\n    level: MUST\n    requirements: [R7644-3.3-07]\n{yaml}"
        );
        let file = crate::suite::load::load_str("x.yaml", &text, &[]).unwrap();
        file.into_iter().next().unwrap()
    }

    #[test]
    fn undeclared_attributes_of_bodies_paths_and_filters_are_named() {
        let c = caps(&["userName", "name", "emails", "active"]);
        let ok = case("    steps:\n      - method: POST\n        path: \"{{endpoint/User}}\"\n        body: {schemas: [urn:ietf:params:scim:schemas:core:2.0:User], userName: \"{{unique}}\", emails: [{value: a@b.c}], name: {givenName: A}}\n        expect: {status: 201}\n");
        assert_eq!(undeclared(&c, &ok), None);
        let display = case("    fixtures:\n      ann: {type: User, body: {userName: a, displayName: Ann}}\n    steps:\n      - method: GET\n        path: /x\n        expect: {status: 200}\n");
        assert!(undeclared(&c, &display).unwrap().contains("`displayName`"));
        let email_type = case("    steps:\n      - method: POST\n        path: \"{{endpoint/User}}\"\n        body: {userName: a, emails: [{value: a@b.c, type: work}]}\n        expect: {status: 201}\n");
        assert!(undeclared(&c, &email_type)
            .unwrap()
            .contains("`emails.type`"));
        let ext = case("    steps:\n      - method: POST\n        path: \"{{endpoint/User}}\"\n        body: {schemas: [urn:ietf:params:scim:schemas:extension:enterprise:2.0:User], userName: a}\n        expect: {status: 201}\n");
        assert!(undeclared(&c, &ext)
            .unwrap()
            .contains("extension urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
        let filter = case("    steps:\n      - method: GET\n        path: \"{{endpoint/User}}\"\n        query: {filter: 'userName sw \"{{run}}\" and emails[type eq \"work\"]'}\n        expect: {status: 200}\n");
        assert!(undeclared(&c, &filter).unwrap().contains("`emails.type`"));
        let patch = case("    fixtures:\n      ann: {type: User, body: {userName: a}}\n    steps:\n      - patch: User\n        target: ann\n        operations: [{op: replace, path: nickName, value: x}]\n        expect: ok\n");
        assert!(undeclared(&c, &patch).unwrap().contains("`nickName`"));
        let sort = case(
            "    steps:\n      - query: User\n        sort_by: title\n        expect_members: []\n",
        );
        assert!(undeclared(&c, &sort).unwrap().contains("`title`"));
    }

    #[test]
    fn creates_and_replaces_are_told_from_other_writes() {
        assert_eq!(written_type("POST", "{{endpoint/User}}"), Some("User"));
        assert_eq!(
            written_type("POST", "{{endpoint/User}}?attributes=id"),
            Some("User")
        );
        assert_eq!(written_type("POST", "{{endpoint/User}}/.search"), None);
        assert_eq!(
            written_type("PUT", "{{endpoint/Group}}/{{g/id}}"),
            Some("Group")
        );
        assert_eq!(written_type("PUT", "{{endpoint/Group}}"), None);
        assert_eq!(written_type("PATCH", "{{endpoint/User}}/{{u/id}}"), None);
        assert_eq!(written_type("POST", "/Bulk"), None);
    }

    #[test]
    fn a_case_may_send_undeclared_attributes_on_purpose() {
        let c = caps(&["userName"]);
        let deliberate = case("    sends_undeclared: true\n    steps:\n      - method: POST\n        path: \"{{endpoint/User}}\"\n        body: {userName: a, nope: 1}\n        expect: {status: 201}\n");
        assert_eq!(undeclared(&c, &deliberate), None);
        // Its fixtures are still checked: they are not what the case is about.
        let fixture = case("    sends_undeclared: true\n    fixtures:\n      ann: {type: User, body: {userName: a, title: t}}\n    steps:\n      - method: GET\n        path: /x\n        expect: {status: 200}\n");
        assert!(undeclared(&c, &fixture).unwrap().contains("`title`"));
    }

    #[test]
    fn required_attributes_and_extensions_are_filled() {
        let mut c = caps(&["userName", "emails", "active"]);
        for a in &mut c.schemas[0].attributes {
            a.required = a.name != "active";
        }
        let mut ext = crate::scim::schema::core_schemas()
            .into_iter()
            .find(|s| s.id == urn::ENTERPRISE_USER)
            .unwrap();
        ext.attributes.retain(|a| a.name == "employeeNumber");
        ext.attributes[0].required = true;
        c.schemas.push(ext);
        c.resource_types[0].extensions = vec![(urn::ENTERPRISE_USER.into(), true)];
        let mut n = 0;
        let mut fresh = || {
            n += 1;
            format!("t{n}")
        };
        let body = json!({"schemas": [urn::USER], "userName": "u@example.com", "emails": []});
        let filled = fill_required(&c, "User", &body, &mut fresh);
        assert_eq!(filled["userName"], json!("u@example.com"));
        assert_eq!(filled["emails"], json!([{"value": "t1@example.com"}]));
        assert!(filled.get("active").is_none());
        assert_eq!(filled[urn::ENTERPRISE_USER]["employeeNumber"], json!("t2"));
        assert_eq!(filled["schemas"], json!([urn::USER, urn::ENTERPRISE_USER]));
        // Required sub-attributes of a value the body has are filled too.
        for a in &mut c.schemas[0].attributes {
            for s in &mut a.sub_attributes {
                s.required = s.name == "value";
            }
        }
        let body = json!({"userName": "u@example.com", "emails": [{"primary": true}]});
        let filled = fill_required(&c, "User", &body, &mut fresh);
        assert_eq!(
            filled["emails"],
            json!([{"primary": true, "value": "t3@example.com"}])
        );
    }

    #[test]
    fn populations_are_narrowed_to_the_declarations() {
        let c = caps(&["userName", "emails"]);
        let body = json!({
            "schemas": [urn::USER, urn::ENTERPRISE_USER],
            "userName": "a", "displayName": "A", "externalId": "e",
            "emails": [{"value": "a@b.c", "type": "work"}],
            urn::ENTERPRISE_USER: {"department": "x"}
        });
        assert_eq!(
            narrow(&c, "User", &body),
            json!({"schemas": [urn::USER], "userName": "a", "externalId": "e", "emails": [{"value": "a@b.c"}]})
        );
        // Without a description of the schema, the body goes as written.
        assert_eq!(narrow(&Capabilities::default(), "User", &body), body);
    }
}
