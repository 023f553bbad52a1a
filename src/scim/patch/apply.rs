//! The reference applier: applies a PatchOp to a resource as RFC 7644
//! §3.5.2.1–3 specify, all operations or none (§3.5.2, atomicity).
//!
//! Beyond the RFC's text it follows RFC 7643: attribute names compare
//! without case (§2.1), `primary` is true at most once (§2.4), unassigned,
//! null and empty are the same state (§2.5), and mutability (§7) decides
//! which changes are refused with `mutability`.

use serde_json::{Map, Value};

use super::{parse_request, OpKind, Operation, PatchError};
use crate::scim::filter::{parse_attr_path, CompValue, CompareOp, EvalError, Evaluator, Filter};
use crate::scim::path::PatchPath;
use crate::scim::{AttrType, Attribute, Mutability, Schema};

/// A successful PATCH.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    pub resource: Value,
    /// Whether anything changed; if not, meta.lastModified must not
    /// (RFC 7644 §3.5.2.1).
    pub changed: bool,
    /// An error the RFC also allows instead of this result (for example
    /// `noTarget` for a remove whose filter matches nothing, which §3.5.2.2's
    /// text answers with success and Table 9 with noTarget).
    pub tolerated: Option<&'static str>,
}

/// Applies PATCH requests to resources of one type.
pub struct Applier<'s> {
    eval: Evaluator<'s>,
    extensions: Vec<&'s Schema>,
    /// Whether an added value that a present one merely includes (the same
    /// email and type, without primary) is added anyway.
    append_partial: bool,
}

/// Where an operation points, resolved against the schemas.
struct Target<'s> {
    container: Option<&'s str>,
    attr: &'s Attribute,
    sub: Option<&'s Attribute>,
}

fn err(types: &[&'static str], detail: impl Into<String>) -> PatchError {
    PatchError::new(types, detail)
}

fn filter_err(e: EvalError) -> PatchError {
    err(&["invalidFilter", "invalidPath"], e.to_string())
}

pub(super) fn key<'v>(obj: &'v Value, name: &str) -> Option<&'v Value> {
    obj.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Sets (or with `None` removes) `name` in an object, under the schema's spelling.
fn put(obj: &mut Map<String, Value>, name: &str, value: Option<Value>) {
    obj.retain(|k, _| !k.eq_ignore_ascii_case(name));
    if let Some(v) = value.filter(|v| !unassigned(v)) {
        obj.insert(name.to_string(), v);
    }
}

/// RFC 7643 §2.5: null, an empty array and an absent attribute are one state.
pub(super) fn unassigned(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(unassigned),
        _ => false,
    }
}

/// The lower-cased names of a complex value's assigned sub-attributes;
/// `primary: false` counts as unassigned (RFC 7643 §2.4).
pub(super) fn assigned_names(v: &Value) -> Vec<String> {
    let default_primary =
        |k: &str, v: &Value| k.eq_ignore_ascii_case("primary") && *v == Value::Bool(false);
    v.as_object()
        .into_iter()
        .flatten()
        .filter(|(k, v)| !(unassigned(v) || default_primary(k, v)))
        .map(|(k, _)| k.to_lowercase())
        .collect()
}

/// Two values of one attribute are the same value: strings without case
/// unless caseExact, numbers by value, complex values sub-attribute by
/// sub-attribute, `primary: false` as absent.
pub(super) fn same(attr: &Attribute, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) if !attr.case_exact => {
            x.to_lowercase() == y.to_lowercase()
        }
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().all(|i| y.iter().any(|j| same(attr, i, j)))
        }
        (Value::Object(_), Value::Object(_)) if attr.kind == AttrType::Complex => {
            let (na, nb) = (assigned_names(a), assigned_names(b));
            na.len() == nb.len()
                && na.iter().all(|n| {
                    let def = attr.sub_attribute(n);
                    match (key(a, n), key(b, n), def) {
                        (Some(x), Some(y), Some(d)) => same(d, x, y),
                        (Some(x), Some(y), None) => x == y,
                        _ => false,
                    }
                })
        }
        _ => a == b,
    }
}

/// Whether `item` holds every sub-attribute value of `part` (an add of a
/// value already present changes nothing, RFC 7644 §3.5.2.1).
fn holds(attr: &Attribute, item: &Value, part: &Value) -> bool {
    if attr.kind != AttrType::Complex {
        return same(attr, item, part);
    }
    part.as_object().into_iter().flatten().all(|(k, v)| {
        unassigned(v)
            || match (key(item, k), attr.sub_attribute(k)) {
                (Some(x), Some(d)) => same(d, x, v),
                (None, _) => k.eq_ignore_ascii_case("primary") && *v == Value::Bool(false),
                (Some(x), None) => x == v,
            }
    })
}

/// Checks a value against its definition and returns it in canonical form:
/// schema spelling of sub-attribute names, undeclared sub-attributes and
/// nulls dropped, `"True"`/`"False"` strings read as booleans (Entra).
fn conform(attr: &Attribute, v: &Value, path: &str) -> Result<Value, PatchError> {
    let wrong = || {
        let t = serde_json::to_value(attr.kind).unwrap_or_default();
        err(
            &["invalidValue", "invalidSyntax"],
            format!("{path} must be of type {}", t.as_str().unwrap_or("?")),
        )
    };
    Ok(match attr.kind {
        AttrType::String | AttrType::Reference | AttrType::Binary => {
            v.as_str().ok_or_else(wrong)?;
            v.clone()
        }
        AttrType::DateTime => {
            v.as_str()
                .and_then(crate::scim::filter::parse_time)
                .ok_or_else(wrong)?;
            v.clone()
        }
        AttrType::Boolean => match v {
            Value::Bool(_) => v.clone(),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => return Err(wrong()),
        },
        AttrType::Integer if v.is_i64() || v.is_u64() => v.clone(),
        AttrType::Decimal if v.is_number() => v.clone(),
        AttrType::Integer | AttrType::Decimal => return Err(wrong()),
        AttrType::Complex => {
            let obj = v.as_object().ok_or_else(wrong)?;
            let mut out = Map::new();
            for (k, sv) in obj {
                if let Some(def) = attr.sub_attribute(k) {
                    if !sv.is_null() {
                        let kept = conform_any(def, sv, &format!("{path}.{}", def.name))?;
                        out.insert(def.name.clone(), kept);
                    }
                }
            }
            Value::Object(out)
        }
    })
}

/// Like `conform`, for a whole (possibly multi-valued) attribute value.
fn conform_any(attr: &Attribute, v: &Value, path: &str) -> Result<Value, PatchError> {
    if attr.multi_valued {
        let items: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        let kept = items
            .into_iter()
            .filter(|i| !i.is_null())
            .map(|i| conform(attr, i, path))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Value::Array(kept))
    } else {
        conform(attr, v, path)
    }
}

fn is_primary(v: &Value) -> bool {
    key(v, "primary") == Some(&Value::Bool(true))
}

/// RFC 7644 §3.5.2: setting primary on values resets it on the others;
/// RFC 7643 §2.4: more than one primary is an invalid value.
fn settle_primary(items: &mut [Value], written: &[usize], path: &str) -> Result<(), PatchError> {
    let primaries: Vec<usize> = written
        .iter()
        .copied()
        .filter(|&i| is_primary(&items[i]))
        .collect();
    if primaries.len() > 1 {
        return Err(err(
            &["invalidValue"],
            format!("{path}: more than one value is primary"),
        ));
    }
    if let Some(&keep) = primaries.first() {
        for (i, item) in items.iter_mut().enumerate() {
            if i != keep {
                if let Some(o) = item.as_object_mut() {
                    o.retain(|k, _| !k.eq_ignore_ascii_case("primary"));
                }
            }
        }
    }
    Ok(())
}

impl<'s> Applier<'s> {
    pub fn new(core: &'s Schema, extensions: Vec<&'s Schema>) -> Self {
        Applier {
            eval: Evaluator::new(core, extensions.clone()),
            extensions,
            append_partial: false,
        }
    }

    /// The other reading of "already contains the value" (RFC 7644
    /// §3.5.2.1): only a value written identically is present, so one that a
    /// present value merely includes, or states with `primary: false`, is
    /// added. The RFC does not settle it, so a result of either reading is
    /// right (and the SHOULD of §3.5.2.1 has its own case).
    pub fn with_partial_appends(mut self) -> Self {
        self.append_partial = true;
        self
    }

    /// Applies a PatchOp body to `resource`; on any error nothing is applied.
    pub fn apply(&self, resource: &Value, body: &Value) -> Result<Applied, PatchError> {
        let ops = parse_request(body)?;
        self.apply_operations(resource, &ops)
    }

    /// Applies parsed operations, in order, all or none.
    pub fn apply_operations(
        &self,
        resource: &Value,
        ops: &[Operation],
    ) -> Result<Applied, PatchError> {
        let mut work = resource.clone();
        if !work.is_object() {
            return Err(err(&[], "the resource is not a JSON object"));
        }
        let mut tolerated = None;
        for (i, op) in ops.iter().enumerate() {
            self.operation(&mut work, op, &mut tolerated)
                .map_err(|e| e.in_operation(i))?;
        }
        self.settle_schemas(&mut work);
        let changed = work != *resource;
        Ok(Applied {
            resource: work,
            changed,
            tolerated,
        })
    }

    /// The scimTypes a server may answer a failing request with. RFC 7644
    /// §3.5.2 makes the request fail as a whole and does not say which of
    /// several failing operations it reports, so each operation's own
    /// refusal (in the state the operations before it leave) counts.
    pub fn possible_errors(&self, resource: &Value, body: &Value) -> Vec<&'static str> {
        let Ok(ops) = parse_request(body) else {
            return vec![];
        };
        let mut out: Vec<&'static str> = vec![];
        let mut state = resource.clone();
        for op in &ops {
            let one = std::slice::from_ref(op);
            // Alone on the original resource, and after the operations before it.
            if let Err(e) = self.apply_operations(resource, one) {
                out.extend(e.scim_types.iter().copied());
            }
            match self.apply_operations(&state, one) {
                Ok(done) => state = done.resource,
                Err(e) => out.extend(e.scim_types.iter().copied()),
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Lists an extension's URN in `schemas` while the resource holds any of
    /// its attributes, and only then.
    fn settle_schemas(&self, work: &mut Value) {
        let Some(obj) = work.as_object_mut() else {
            return;
        };
        for ext in &self.extensions {
            let holds = obj
                .iter()
                .any(|(k, v)| k.eq_ignore_ascii_case(&ext.id) && !unassigned(v));
            if !holds {
                obj.retain(|k, _| !k.eq_ignore_ascii_case(&ext.id));
            }
            if let Some(Value::Array(list)) = obj.get_mut("schemas") {
                let listed = list
                    .iter()
                    .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(&ext.id)));
                if holds && !listed {
                    list.push(Value::String(ext.id.clone()));
                } else if !holds && listed {
                    list.retain(|s| !s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(&ext.id)));
                }
            }
        }
    }

    fn operation(
        &self,
        work: &mut Value,
        op: &Operation,
        tolerated: &mut Option<&'static str>,
    ) -> Result<(), PatchError> {
        match &op.path {
            Some(path) => self.at_path(work, op.op, path, op.value.as_ref(), tolerated),
            None => {
                // add or replace without a path: the value holds attributes.
                let value = op
                    .value
                    .as_ref()
                    .and_then(Value::as_object)
                    .ok_or_else(|| {
                        err(
                            &["invalidValue", "invalidSyntax"],
                            format!(
                                "{} without a path needs an object of attributes",
                                op.op.as_str()
                            ),
                        )
                    })?;
                for (k, v) in value {
                    let ext = self
                        .extensions
                        .iter()
                        .find(|s| s.id.eq_ignore_ascii_case(k));
                    let core = self.core_id().eq_ignore_ascii_case(k);
                    if let (Some(inner), true) = (v.as_object(), ext.is_some() || core) {
                        let urn = ext.map_or(self.core_id(), |s| s.id.as_str());
                        for (ik, iv) in inner {
                            let path = self.key_path(&format!("{urn}:{ik}"))?;
                            self.at_path(work, op.op, &path, Some(iv), tolerated)?;
                        }
                    } else {
                        // Dotted and URN-qualified keys (Entra) are paths.
                        let path = self.key_path(k)?;
                        self.at_path(work, op.op, &path, Some(v), tolerated)?;
                    }
                }
                Ok(())
            }
        }
    }

    fn core_id(&self) -> &'s str {
        self.eval.core().id.as_str()
    }

    fn key_path(&self, k: &str) -> Result<PatchPath, PatchError> {
        let attr = parse_attr_path(k, 0)
            .map_err(|e| err(&["invalidPath", "invalidValue"], format!("`{k}`: {e}")))?;
        Ok(PatchPath {
            span: attr.span,
            attr,
            filter: None,
            sub: None,
        })
    }

    fn target(&self, path: &PatchPath) -> Result<Target<'s>, PatchError> {
        let (container, attr, sub) = self
            .eval
            .lookup(&path.attr)
            .map_err(|e| err(&["invalidPath", "noTarget"], e.to_string()))?;
        let sub = match (&path.sub, sub) {
            (Some(s), _) => Some(attr.sub_attribute(s).ok_or_else(|| {
                err(
                    &["invalidPath", "noTarget"],
                    format!("unknown attribute `{path}`"),
                )
            })?),
            (None, s) => s,
        };
        if path.filter.is_some() && !(attr.multi_valued && attr.kind == AttrType::Complex) {
            return Err(err(
                &["invalidPath", "invalidFilter"],
                format!(
                    "`{}` is not multi-valued complex and takes no value filter",
                    path.attr
                ),
            ));
        }
        if attr.name == "schemas" {
            return Err(err(
                &[],
                "PATCH on schemas is not supported by the reference applier",
            ));
        }
        Ok(Target {
            container,
            attr,
            sub,
        })
    }

    fn at_path(
        &self,
        work: &mut Value,
        kind: OpKind,
        path: &PatchPath,
        value: Option<&Value>,
        tolerated: &mut Option<&'static str>,
    ) -> Result<(), PatchError> {
        let t = self.target(path)?;
        let shown = path.to_string();
        let holder: &mut Map<String, Value> = {
            let root = work.as_object_mut().expect("object");
            match t.container {
                None => root,
                Some(urn) => {
                    let existing = root
                        .keys()
                        .find(|k| k.eq_ignore_ascii_case(urn))
                        .cloned()
                        .unwrap_or_else(|| urn.to_string());
                    root.entry(existing)
                        .or_insert_with(|| Value::Object(Map::new()))
                        .as_object_mut()
                        .ok_or_else(|| err(&[], format!("{urn} is not an object")))?
                }
            }
        };
        let before = key(&Value::Object(holder.clone()), &t.attr.name).cloned();
        let mut current = before.clone().filter(|v| !unassigned(v));
        let conformed = match (kind, value) {
            // A remove's value (Entra ID's member list) selects values to remove.
            (OpKind::Remove, Some(v))
                if t.attr.multi_valued && t.sub.is_none() && path.filter.is_none() =>
            {
                Some(conform_any(t.attr, v, &shown)?)
            }
            (OpKind::Remove, _) | (_, None) => None,
            (_, Some(v)) => Some(match t.sub {
                Some(sub) => conform_any(sub, v, &shown)?,
                None if path.filter.is_some() => conform(t.attr, v, &shown)?,
                None => conform_any(t.attr, v, &shown)?,
            }),
        };
        let outcome = self.change(kind, path, &t, &mut current, conformed, &shown)?;
        if outcome == Change::NoTarget {
            *tolerated = Some("noTarget");
        }
        let after = current.filter(|v| !unassigned(v));
        let was = before.filter(|v| !unassigned(v));
        let changed = match (&was, &after) {
            (Some(a), Some(b)) => !same(t.attr, a, b),
            (None, None) => false,
            _ => true,
        };
        if changed {
            check_mutability(&t, was.as_ref(), after.as_ref(), &shown)?;
            put(holder, &t.attr.name, after);
        } else if t.attr.mutability == Mutability::ReadOnly {
            // The same value again: no modification, though a server may refuse it.
            *tolerated = Some("mutability");
        }
        Ok(())
    }

    /// Computes the attribute's new value in `current`.
    fn change(
        &self,
        kind: OpKind,
        path: &PatchPath,
        t: &Target<'s>,
        current: &mut Option<Value>,
        value: Option<Value>,
        shown: &str,
    ) -> Result<Change, PatchError> {
        let attr = t.attr;
        if let Some(filter) = &path.filter {
            let items = match current.take() {
                Some(Value::Array(a)) => a,
                Some(other) => vec![other],
                None => vec![],
            };
            let mut hits = vec![];
            for (i, item) in items.iter().enumerate() {
                if self
                    .eval
                    .matches_element(filter, attr, item)
                    .map_err(filter_err)?
                {
                    hits.push(i);
                }
            }
            let mut items = items;
            if hits.is_empty() {
                if kind == OpKind::Add {
                    // RFC 7644 §3.5.2.1 is silent here; Entra ID expects a new
                    // value built from the filter's equalities (an upsert).
                    if let Some(mut new) = from_equalities(filter) {
                        match (t.sub, value) {
                            (Some(sub), v) => {
                                put(new.as_object_mut().expect("object"), &sub.name, v)
                            }
                            (None, v) => merge(&mut new, v),
                        }
                        let conformed = conform(attr, &new, shown)?;
                        items.push(conformed);
                        let last = items.len() - 1;
                        settle_primary(&mut items, &[last], shown)?;
                        *current = Some(Value::Array(items));
                        return Ok(Change::Done);
                    }
                }
                *current = Some(Value::Array(items));
                return match kind {
                    // RFC 7644 §3.5.2.3 (replace) names noTarget.
                    OpKind::Replace | OpKind::Add => {
                        Err(err(&["noTarget"], format!("`{shown}` matches no value")))
                    }
                    OpKind::Remove => Ok(Change::NoTarget),
                };
            }
            match (kind, t.sub) {
                (OpKind::Remove, None) => {
                    let mut i = 0;
                    items.retain(|_| {
                        let keep = !hits.contains(&i);
                        i += 1;
                        keep
                    });
                }
                (OpKind::Remove, Some(sub)) => {
                    for &i in &hits {
                        if let Some(o) = items[i].as_object_mut() {
                            put(o, &sub.name, None);
                        }
                    }
                }
                (_, Some(sub)) => {
                    for &i in &hits {
                        if let Some(o) = items[i].as_object_mut() {
                            put(o, &sub.name, value.clone());
                        }
                    }
                    settle_primary(&mut items, &hits, shown)?;
                }
                (OpKind::Add, None) => {
                    for &i in &hits {
                        merge(&mut items[i], value.clone());
                    }
                    settle_primary(&mut items, &hits, shown)?;
                }
                (OpKind::Replace, None) => {
                    for &i in &hits {
                        items[i] = value.clone().unwrap_or(Value::Null);
                    }
                    settle_primary(&mut items, &hits, shown)?;
                }
            }
            items.retain(|i| !unassigned(i));
            *current = Some(Value::Array(items));
            return Ok(Change::Done);
        }
        match (kind, t.sub) {
            (OpKind::Remove, None) if attr.multi_valued && value.is_some() => {
                // RFC 7644 gives remove no value; Entra ID (without
                // aadOptscim062020) sends the values to remove in it.
                let listed: Vec<Value> = match value {
                    Some(Value::Array(a)) => a,
                    Some(other) => vec![other],
                    None => vec![],
                };
                let Some(Value::Array(items)) = current.take() else {
                    return Ok(Change::NoTarget);
                };
                let before = items.len();
                let kept: Vec<Value> = items
                    .into_iter()
                    .filter(|i| !listed.iter().any(|l| holds(attr, i, l)))
                    .collect();
                let removed = kept.len() < before;
                *current = Some(Value::Array(kept));
                if !removed {
                    return Ok(Change::NoTarget);
                }
            }
            (OpKind::Remove, None) => {
                if current.is_none() {
                    return Ok(Change::NoTarget);
                }
                *current = None;
            }
            (OpKind::Remove, Some(sub)) => {
                let mut found = false;
                for_each_value(current, |item| {
                    if let Some(o) = item.as_object_mut() {
                        found |= key(&Value::Object(o.clone()), &sub.name).is_some();
                        put(o, &sub.name, None);
                    }
                });
                if !found {
                    return Ok(Change::NoTarget);
                }
            }
            (_, Some(sub)) => {
                if attr.multi_valued {
                    if current.is_none() {
                        return Err(err(
                            &["noTarget"],
                            format!("`{shown}`: {} has no values", attr.name),
                        ));
                    }
                    for_each_value(current, |item| {
                        if let Some(o) = item.as_object_mut() {
                            put(o, &sub.name, value.clone());
                        }
                    });
                } else {
                    let mut obj = current.take().unwrap_or_else(|| Value::Object(Map::new()));
                    if let Some(o) = obj.as_object_mut() {
                        put(o, &sub.name, value);
                    }
                    *current = Some(obj);
                }
            }
            (OpKind::Add, None) if attr.multi_valued => {
                let mut items = match current.take() {
                    Some(Value::Array(a)) => a,
                    Some(other) => vec![other],
                    None => vec![],
                };
                let mut written = vec![];
                for new in value.into_iter().flat_map(|v| match v {
                    Value::Array(a) => a,
                    other => vec![other],
                }) {
                    if unassigned(&new) {
                        continue;
                    }
                    let present = items.iter().position(|i| {
                        if self.append_partial {
                            *i == new
                        } else {
                            holds(attr, i, &new)
                        }
                    });
                    match present {
                        Some(i) => written.extend((is_primary(&new)).then_some(i)),
                        None => {
                            items.push(new);
                            written.push(items.len() - 1);
                        }
                    }
                }
                settle_primary(&mut items, &written, shown)?;
                *current = Some(Value::Array(items));
            }
            (OpKind::Replace, None) if attr.multi_valued => {
                let mut items = match value {
                    Some(Value::Array(a)) => a,
                    Some(other) => vec![other],
                    None => vec![],
                };
                let all: Vec<usize> = (0..items.len()).collect();
                settle_primary(&mut items, &all, shown)?;
                *current = Some(Value::Array(items));
            }
            (_, None) if attr.kind == AttrType::Complex => {
                // RFC 7644 §3.5.2.1, §3.5.2.3: the sub-attributes given replace
                // theirs; the others are left unchanged.
                let mut obj = current.take().unwrap_or_else(|| Value::Object(Map::new()));
                merge(&mut obj, value);
                *current = Some(obj);
            }
            (_, None) => *current = value,
        }
        Ok(Change::Done)
    }
}

/// The value a filter of `a eq "x" and b eq "y"` describes, if it is one.
fn from_equalities(filter: &Filter) -> Option<Value> {
    match filter {
        Filter::Compare(p, CompareOp::Eq, lit) if p.urn.is_none() && p.sub.is_none() => {
            let v = match lit {
                CompValue::Str(s) => Value::String(s.clone()),
                CompValue::Bool(b) => Value::Bool(*b),
                CompValue::Number(n) => Value::Number(n.clone()),
                CompValue::Null => return None,
            };
            Some(serde_json::json!({ p.name.clone(): v }))
        }
        Filter::And(a, b) => {
            let mut x = from_equalities(a)?;
            merge(&mut x, from_equalities(b));
            Some(x)
        }
        _ => None,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Change {
    Done,
    /// Nothing at the path; the operation changed nothing.
    NoTarget,
}

fn merge(into: &mut Value, value: Option<Value>) {
    if let (Some(o), Some(Value::Object(v))) = (into.as_object_mut(), value) {
        for (k, sv) in v {
            put(o, &k, Some(sv));
        }
    }
}

fn for_each_value(current: &mut Option<Value>, mut f: impl FnMut(&mut Value)) {
    match current {
        Some(Value::Array(items)) => items.iter_mut().for_each(f),
        Some(v) => f(v),
        None => {}
    }
}

/// RFC 7643 §7 and RFC 7644 §3.5.2.2: a change to a readOnly attribute, to
/// an immutable one that had a value, or one leaving a required attribute
/// unassigned is refused with `mutability`.
fn check_mutability(
    t: &Target,
    was: Option<&Value>,
    after: Option<&Value>,
    path: &str,
) -> Result<(), PatchError> {
    let refuse = |why: &str| Err(err(&["mutability"], format!("{path}: {why}")));
    if t.attr.mutability == Mutability::ReadOnly {
        return refuse("the attribute is readOnly");
    }
    if t.attr.mutability == Mutability::Immutable && was.is_some() {
        return refuse("the attribute is immutable and already has a value");
    }
    if t.attr.required && after.is_none() {
        return refuse("the attribute is required");
    }
    if let Some(sub) = t.sub {
        let subs = |v: Option<&Value>| -> Vec<Value> {
            match v {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(|i| key(i, &sub.name).cloned())
                    .collect(),
                Some(v) => key(v, &sub.name).cloned().into_iter().collect(),
                None => vec![],
            }
        };
        let (old, new) = (subs(was), subs(after));
        let sub_changed =
            old.len() != new.len() || old.iter().zip(&new).any(|(a, b)| !same(sub, a, b));
        if sub_changed {
            if sub.mutability == Mutability::ReadOnly {
                return refuse("the sub-attribute is readOnly");
            }
            if sub.mutability == Mutability::Immutable && !old.is_empty() {
                return refuse("the sub-attribute is immutable and already has a value");
            }
            if sub.required && new.len() < old.len() {
                return refuse("the sub-attribute is required");
            }
        }
    }
    Ok(())
}
