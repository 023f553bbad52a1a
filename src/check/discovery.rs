//! Checks of the discovery endpoints (RFC 7644 §4, RFC 7643 §6 and §7).

use std::collections::BTreeSet;

use futures::future::BoxFuture;
use futures::FutureExt;
use serde_json::Value;

use super::{CheckCtx, Finding};
use crate::discover::list_items;

/// RFC 7643 §6: each resource type's schema and extensions name schemas
/// that /Schemas serves.
pub fn resource_types_reference_schemas<'a>(
    ctx: &'a CheckCtx<'a>,
) -> BoxFuture<'a, Result<Vec<Finding>, String>> {
    async move {
        let caps = ctx.caps;
        if caps.resource_types.is_empty() {
            return Err("no resource types were discovered".into());
        }
        let served: BTreeSet<&str> = caps
            .schema_json
            .iter()
            .filter_map(|s| s["id"].as_str())
            .collect();
        let mut findings = vec![];
        for rt in &caps.resource_types {
            let mut named = vec![(rt.schema.as_str(), "schema")];
            named.extend(
                rt.extensions
                    .iter()
                    .map(|(e, _)| (e.as_str(), "schemaExtensions")),
            );
            for (urn, role) in named {
                if !served.contains(urn) {
                    findings.push(Finding::new(
                        format!("resource type {} {role}", rt.name),
                        format!("a schema id served by /Schemas ({urn})"),
                        format!(
                            "/Schemas serves only {}",
                            served.iter().copied().collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(findings)
    }
    .boxed()
}

/// RFC 7643 §6: each endpoint is "relative to the Base URL" (`Users`,
/// `/Users`, or a path-absolute `/scim/v2/Users`, which RFC 3986 §5 resolves
/// to the same place); an absolute URL is another form. Endpoints the
/// harness refused (another origin) are among the discovery problems.
pub fn resource_type_endpoints_relative<'a>(
    ctx: &'a CheckCtx<'a>,
) -> BoxFuture<'a, Result<Vec<Finding>, String>> {
    async move {
        let caps = ctx.caps;
        if caps.resource_types.is_empty() {
            return Err("no resource types were discovered".into());
        }
        let mut findings: Vec<Finding> = caps
            .resource_types
            .iter()
            .filter(|rt| rt.declared_endpoint.contains("://"))
            .map(|rt| {
                Finding::new(
                    format!("resource type {} endpoint", rt.name),
                    format!(
                        "a URI relative to the base URL (such as \"{}\")",
                        rt.endpoint.trim_start_matches('/')
                    ),
                    format!("the absolute URL {:?}", rt.declared_endpoint),
                )
            })
            .collect();
        findings.extend(
            caps.problems
                .iter()
                .filter(|p| p.starts_with("resource type ") && p.contains("endpoint"))
                .map(|p| Finding::new("a resource type endpoint", "one the harness can follow", p)),
        );
        Ok(findings)
    }
    .boxed()
}

/// The probe of a feature (`run::probe`), its exchanges recorded.
fn probe_of<'c>(
    ctx: &'c CheckCtx<'_>,
    feature: &str,
) -> Result<&'c crate::discover::Probe, String> {
    use crate::discover::ProbeVerdict;
    let probe = ctx
        .caps
        .probes
        .iter()
        .find(|p| p.feature == feature)
        .ok_or_else(|| format!("{feature} was not probed"))?;
    ctx.record(probe.exchanges.iter().cloned());
    match &probe.verdict {
        ProbeVerdict::Unknown(why) => Err(format!("the {feature} probe could not tell: {why}")),
        _ => Ok(probe),
    }
}

/// RFC 7643 §5: `feature.supported` says what the server does; a probe
/// found the feature working while it says false, or refused while it
/// says true.
fn claim_findings(ctx: &CheckCtx<'_>, feature: &str) -> Result<Vec<Finding>, String> {
    use crate::discover::ProbeVerdict;
    let probe = probe_of(ctx, feature)?;
    let subject = format!("/ServiceProviderConfig {feature}.supported");
    Ok(match &probe.verdict {
        ProbeVerdict::Works if !probe.claimed => vec![Finding::new(
            subject,
            format!("true, since the server supports {feature}"),
            "false",
        )],
        ProbeVerdict::Missing(how) => vec![Finding::new(
            subject,
            format!("false, since the server refuses {feature} ({how})"),
            "true",
        )],
        _ => vec![],
    })
}

/// RFC 7643 §5: `filter.supported` says whether filters work.
pub fn spc_filter_claim<'a>(ctx: &'a CheckCtx<'a>) -> BoxFuture<'a, Result<Vec<Finding>, String>> {
    async move { claim_findings(ctx, "filter") }.boxed()
}

/// RFC 7643 §5: `patch.supported` says whether PATCH works.
pub fn spc_patch_claim<'a>(ctx: &'a CheckCtx<'a>) -> BoxFuture<'a, Result<Vec<Finding>, String>> {
    async move { claim_findings(ctx, "patch") }.boxed()
}

/// RFC 7643 §5: `sort.supported` says whether sorting works.
pub fn spc_sort_claim<'a>(ctx: &'a CheckCtx<'a>) -> BoxFuture<'a, Result<Vec<Finding>, String>> {
    async move { claim_findings(ctx, "sort") }.boxed()
}

/// RFC 7643 §5: `etag.supported` says whether ETags work.
pub fn spc_etag_claim<'a>(ctx: &'a CheckCtx<'a>) -> BoxFuture<'a, Result<Vec<Finding>, String>> {
    async move { claim_findings(ctx, "etag") }.boxed()
}

/// RFC 7643 §5: `bulk.supported` says whether bulk requests work.
pub fn spc_bulk_claim<'a>(ctx: &'a CheckCtx<'a>) -> BoxFuture<'a, Result<Vec<Finding>, String>> {
    async move { claim_findings(ctx, "bulk") }.boxed()
}

/// RFC 7644 §3.4.2.2: a filter the server does not support is refused,
/// never ignored (ignoring it returns resources that do not match).
pub fn unadvertised_filter_not_ignored<'a>(
    ctx: &'a CheckCtx<'a>,
) -> BoxFuture<'a, Result<Vec<Finding>, String>> {
    async move {
        Ok(match &probe_of(ctx, "filter")?.verdict {
            crate::discover::ProbeVerdict::Ignored(how) => vec![Finding::new(
                "a filter the SPC says is unsupported",
                "refused, or applied",
                how.clone(),
            )],
            _ => vec![],
        })
    }
    .boxed()
}

/// RFC 7643 §2.1 attribute name ABNF, with `$ref` (used by RFC 7643 itself).
fn valid_attr_name(name: &str) -> bool {
    if name == "$ref" {
        return true;
    }
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// RFC 7643 §7: the values each characteristic may take.
const CHARACTERISTICS: &[(&str, &[&str])] = &[
    (
        "mutability",
        &["readOnly", "readWrite", "immutable", "writeOnly"],
    ),
    ("returned", &["always", "never", "default", "request"]),
    ("uniqueness", &["none", "server", "global"]),
];

const TYPES: &[&str] = &[
    "string",
    "boolean",
    "decimal",
    "integer",
    "dateTime",
    "binary",
    "reference",
    "complex",
];

fn check_attributes(
    schema: &str,
    prefix: &str,
    attrs: &Value,
    depth: usize,
    part: Part,
    out: &mut Vec<Finding>,
) {
    let Some(attrs) = attrs.as_array() else {
        out.push(Finding::new(
            format!("{schema} {prefix}attributes"),
            "an array",
            attrs.to_string(),
        ));
        return;
    };
    for a in attrs {
        let name = a["name"].as_str().unwrap_or("");
        let here = format!("{schema} attribute `{prefix}{name}`");
        if part == Part::Characteristics {
            characteristic_findings(&here, a, out);
        } else if !valid_attr_name(name) {
            out.push(Finding::new(
                &here,
                "a name matching RFC 7643 §2.1 ATTRNAME",
                format!("{:?}", a["name"]),
            ));
        }
        if part == Part::Structure {
            match a["type"].as_str() {
                Some(t) if TYPES.contains(&t) => {}
                other => out.push(Finding::new(
                    &here,
                    format!("a type among {}", TYPES.join(", ")),
                    format!("{other:?}"),
                )),
            }
        }
        // The Schema resource's own schema (RFC 7643 §8.7.2) has complex
        // sub-attributes (`subAttributes`), which §7 allows it alone:
        // "MAY contain a complex object within a sub-attribute".
        let meta_schema = schema == crate::scim::urn::SCHEMA;
        if let Some(subs) = a.get("subAttributes") {
            if depth > 0 && part == Part::Structure && !meta_schema {
                out.push(Finding::new(
                    &here,
                    "no sub-attributes (RFC 7643 §2.3.8: sub-attributes are not complex)",
                    "subAttributes",
                ));
            } else if depth == 0 || (meta_schema && depth < 4) {
                check_attributes(
                    schema,
                    &format!("{prefix}{name}."),
                    subs,
                    depth + 1,
                    part,
                    out,
                );
            }
        }
    }
}

/// Which rules an attribute walk applies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Names, types and nesting.
    Structure,
    /// mutability, returned, uniqueness values; boolean flags.
    Characteristics,
}

/// RFC 7643 §7 characteristic values of one attribute.
fn characteristic_findings(here: &str, a: &Value, out: &mut Vec<Finding>) {
    for (key, allowed) in CHARACTERISTICS {
        if let Some(v) = a.get(*key) {
            if !v.as_str().is_some_and(|s| allowed.contains(&s)) {
                out.push(Finding::new(
                    here,
                    format!("{key} among {}", allowed.join(", ")),
                    v.to_string(),
                ));
            }
        }
    }
    for key in ["multiValued", "required", "caseExact"] {
        if let Some(v) = a.get(key) {
            if !v.is_boolean() {
                out.push(Finding::new(
                    here,
                    format!("{key} as a boolean"),
                    v.to_string(),
                ));
            }
        }
    }
}

/// Walks every declared schema's attributes with one set of rules; `each`
/// adds findings about the schema itself.
fn walk_schemas(
    ctx: &CheckCtx<'_>,
    part: Part,
    each: impl Fn(&str, &mut Vec<Finding>),
) -> Result<Vec<Finding>, String> {
    if ctx.caps.schema_json.is_empty() {
        return Err("no schemas were discovered".into());
    }
    let mut out = vec![];
    for s in &ctx.caps.schema_json {
        let id = s["id"].as_str().unwrap_or("");
        each(id, &mut out);
        check_attributes(id, "", &s["attributes"], 0, part, &mut out);
    }
    Ok(out)
}

/// RFC 7643 §7: every schema has a URN id and well-formed attribute definitions.
pub fn schemas_well_formed<'a>(
    ctx: &'a CheckCtx<'a>,
) -> BoxFuture<'a, Result<Vec<Finding>, String>> {
    async move {
        walk_schemas(ctx, Part::Structure, |id, out| {
            if !id.starts_with("urn:") {
                out.push(Finding::new(
                    "schema id",
                    "a URN (RFC 7643 §7)",
                    format!("{id:?}"),
                ));
            }
        })
    }
    .boxed()
}

/// RFC 7643 §7: the characteristics take the values the RFC defines.
pub fn schema_characteristic_values<'a>(
    ctx: &'a CheckCtx<'a>,
) -> BoxFuture<'a, Result<Vec<Finding>, String>> {
    async move { walk_schemas(ctx, Part::Characteristics, |_, _| {}) }.boxed()
}

fn item_list(items: &BTreeSet<String>) -> String {
    if items.is_empty() {
        "no items".into()
    } else {
        format!(
            "{} items: {}",
            items.len(),
            items.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    }
}

fn ids(body: &Value, key: &str) -> Option<BTreeSet<String>> {
    Some(
        list_items(body)?
            .iter()
            .filter_map(|r| r[key].as_str().map(str::to_string))
            .collect(),
    )
}

/// RFC 7644 §4: query parameters on /Schemas and /ResourceTypes are ignored,
/// or a filter is refused with 403. Any other answer misleads clients.
pub fn query_parameters_ignored<'a>(
    ctx: &'a CheckCtx<'a>,
) -> BoxFuture<'a, Result<Vec<Finding>, String>> {
    async move {
        let mut out = vec![];
        for (path, key, filter) in [
            (
                "/Schemas",
                "id",
                "id eq \"urn:ietf:params:scim:schemas:core:2.0:Group\"",
            ),
            ("/ResourceTypes", "name", "name eq \"Group\""),
        ] {
            let all = ctx.get(path, &[]).await?;
            let Some(expected) = all.json().and_then(|b| ids(&b, key)) else {
                return Err(format!("GET {path} gave no list to compare with"));
            };
            let query = [
                ("filter", filter),
                ("startIndex", "2"),
                ("count", "1"),
                ("sortBy", key),
            ];
            let resp = ctx.get(path, &query).await?;
            match resp.status {
                403 => {}
                200 => {
                    let got = resp.json().and_then(|b| ids(&b, key)).unwrap_or_default();
                    if got != expected {
                        out.push(Finding::new(
                            format!("GET {path} with filter, startIndex, count and sortBy"),
                            format!(
                                "the full list ({} items) as without them, or 403",
                                expected.len()
                            ),
                            format!("200 with {}", item_list(&got)),
                        ));
                    }
                }
                other => out.push(Finding::new(
                    format!("GET {path} with filter, startIndex, count and sortBy"),
                    "200 with the parameters ignored, or 403",
                    other.to_string(),
                )),
            }
        }
        Ok(out)
    }
    .boxed()
}

/// RFC 7643 §8.7.1: the core schemas a server declares, compared with the
/// RFC's. The RFC calls its schemas an example whose values MAY change, so
/// suites grade differences as warnings.
pub fn core_schemas_match_rfc<'a>(
    ctx: &'a CheckCtx<'a>,
) -> BoxFuture<'a, Result<Vec<Finding>, String>> {
    async move {
        let mut out = vec![];
        let mut compared = 0;
        for rfc in crate::scim::schema::core_schemas() {
            let Some(declared) = ctx.caps.schemas.iter().find(|s| s.id == rfc.id) else {
                continue;
            };
            compared += 1;
            for a in &rfc.attributes {
                let Some(d) = declared.attribute(&a.name) else {
                    out.push(Finding::new(
                        format!("{} {}", rfc.id, a.name),
                        "the attribute RFC 7643 §8.7.1 defines",
                        "not declared",
                    ));
                    continue;
                };
                let pairs = [
                    ("type", format!("{:?}", a.kind), format!("{:?}", d.kind)),
                    (
                        "multiValued",
                        a.multi_valued.to_string(),
                        d.multi_valued.to_string(),
                    ),
                    ("required", a.required.to_string(), d.required.to_string()),
                    (
                        "caseExact",
                        a.case_exact.to_string(),
                        d.case_exact.to_string(),
                    ),
                    (
                        "mutability",
                        format!("{:?}", a.mutability),
                        format!("{:?}", d.mutability),
                    ),
                    (
                        "returned",
                        format!("{:?}", a.returned),
                        format!("{:?}", d.returned),
                    ),
                    (
                        "uniqueness",
                        format!("{:?}", a.uniqueness),
                        format!("{:?}", d.uniqueness),
                    ),
                ];
                for (what, want, got) in pairs {
                    if want != got {
                        out.push(Finding::new(
                            format!("{} {} {what}", rfc.id, a.name),
                            want,
                            got,
                        ));
                    }
                }
            }
        }
        if compared == 0 {
            // Nothing read, nothing judged: never a pass (RFC 7644 §4).
            return Err(format!(
                "/Schemas describes none of the core schemas{}",
                if ctx.caps.schemas.is_empty() {
                    " (it could not be read)"
                } else {
                    ""
                }
            ));
        }
        Ok(out)
    }
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_names_follow_the_abnf() {
        assert!(valid_attr_name("userName") && valid_attr_name("x-y_1") && valid_attr_name("$ref"));
        assert!(!valid_attr_name("1abc") && !valid_attr_name("a.b") && !valid_attr_name(""));
    }

    #[test]
    fn nested_complex_attributes_are_reported() {
        let attrs = serde_json::json!([
            {"name": "a", "type": "complex", "subAttributes": [
                {"name": "b", "type": "complex", "subAttributes": [{"name": "c", "type": "string"}]}
            ]},
            {"name": "bad name", "type": "text"}
        ]);
        let mut out = vec![];
        check_attributes("urn:x", "", &attrs, 0, Part::Structure, &mut out);
        assert_eq!(out.len(), 3, "{out:?}");
    }
}
