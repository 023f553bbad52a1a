//! Queries in the reference server: filter (RFC 7644 §3.4.2.2), sort
//! (§3.4.2.3) and paging (§3.4.2.4) over rendered resources, with the bugs
//! of those areas.

use serde_json::Value;

use super::bugs::Bug;
use super::App;
use crate::scim::filter::{self, order, AttrPath, Evaluator, Filter};
use crate::scim::Schema;

/// A query's parameters, from the URL or a SearchRequest body.
#[derive(Clone, Debug, Default)]
pub struct Query {
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    /// RFC 9865: empty for the first page of a cursor walk.
    pub cursor: Option<String>,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

/// A refused query: (status, scimType, detail).
pub type Refusal = (u16, &'static str, String);

/// Rewrites a filter the way a buggy server understands it.
fn bend(app: &App, f: Filter) -> Filter {
    let rec = |x: Box<Filter>| Box::new(bend(app, *x));
    match f {
        Filter::Not(inner) if app.bug(Bug::FilterIgnoresNot) => bend(app, *inner),
        Filter::Not(inner) => Filter::Not(rec(inner)),
        // a or (b and c) read as (a or b) and c
        Filter::Or(a, b) if app.bug(Bug::FilterOrBindsTighter) => match *b {
            Filter::And(b1, b2) => Filter::And(Box::new(Filter::Or(rec(a), rec(b1))), rec(b2)),
            other => Filter::Or(rec(a), Box::new(bend(app, other))),
        },
        Filter::Or(a, b) => Filter::Or(rec(a), rec(b)),
        Filter::And(a, b) => Filter::And(rec(a), rec(b)),
        Filter::ValuePath(p, inner) if app.bug(Bug::FilterValuePathAcrossValues) => {
            qualify(&p, *inner)
        }
        // `pr` also matching empty strings
        Filter::Present(p) if app.bug(Bug::FilterPresentEmpty) => Filter::or(
            Filter::Present(p.clone()),
            Filter::Compare(
                p,
                crate::scim::filter::CompareOp::Eq,
                crate::scim::filter::CompValue::Str(String::new()),
            ),
        ),
        other => other,
    }
}

/// `emails[type eq "work" and value co "x"]` as `emails.type eq "work" and emails.value co "x"`.
fn qualify(parent: &AttrPath, f: Filter) -> Filter {
    let q = |p: AttrPath| AttrPath {
        urn: parent.urn.clone(),
        name: parent.name.clone(),
        sub: Some(p.name),
        span: p.span,
    };
    match f {
        Filter::Present(p) => Filter::Present(q(p)),
        Filter::Compare(p, op, v) => Filter::Compare(q(p), op, v),
        Filter::Not(a) => Filter::negate(qualify(parent, *a)),
        Filter::And(a, b) => Filter::and(qualify(parent, *a), qualify(parent, *b)),
        Filter::Or(a, b) => Filter::or(qualify(parent, *a), qualify(parent, *b)),
        vp @ Filter::ValuePath(..) => vp,
    }
}

/// Case-sensitive variants of the schemas, for the case-sensitivity bugs.
pub fn case_exact(schema: &Schema) -> Schema {
    let mut s = schema.clone();
    fn all(attrs: &mut [crate::scim::Attribute]) {
        for a in attrs {
            a.case_exact = true;
            all(&mut a.sub_attributes);
        }
    }
    all(&mut s.attributes);
    s
}

/// Applies filter and sort to rendered resources; `sorter` evaluates sort keys.
pub fn select(
    app: &App,
    ev: &Evaluator<'_>,
    sorter: &Evaluator<'_>,
    q: &Query,
    mut items: Vec<Value>,
) -> Result<Vec<Value>, Refusal> {
    let ignored = app.bug(Bug::FilterIgnored) || app.bug(Bug::SpcFilterFalseIgnored);
    let empty_ignored = app.bug(Bug::EmptyFilterIgnored)
        && q.filter.as_deref().is_some_and(|f| f.trim().is_empty());
    if let Some(text) = q.filter.as_deref().filter(|_| !ignored && !empty_ignored) {
        let parsed = match filter::parse(text) {
            Ok(f) => Some(bend(app, f)),
            Err(_) if app.bug(Bug::FilterMalformed200) => None,
            Err(e) => return Err((400, "invalidFilter", format!("invalid filter: {e}"))),
        };
        if let Some(f) = parsed {
            if let Err(e) = ev.check(&f, None) {
                let unknown = e.message.starts_with("unknown attribute");
                let ordering_on_bool = e.message.contains("not defined on booleans");
                if unknown && app.bug(Bug::FilterUnknownAttribute500) {
                    return Err((500, "", "internal error".into()));
                }
                if !(ordering_on_bool && app.bug(Bug::FilterBooleanOrdering)) {
                    return Err((400, "invalidFilter", e.to_string()));
                }
            }
            items.retain(|r| matches(ev, &f, r));
        }
    }
    if let Some(by) = &q.sort_by {
        let path = filter::parse_attr_path(by, 0)
            .map_err(|e| (400, "invalidSyntax", format!("sortBy: {e}")))?;
        let descending = match q
            .sort_order
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("ascending") => false,
            Some("descending") => !app.bug(Bug::SortIgnoresOrder),
            Some(other) => {
                return Err((
                    400,
                    "invalidSyntax",
                    format!("sortOrder must be ascending or descending, not {other}"),
                ))
            }
        };
        let mut keyed = vec![];
        for item in items {
            let sorted_by = if app.bug(Bug::SortIgnoresPrimary) {
                without_primary(&item)
            } else {
                item.clone()
            };
            let key = sorter
                .sort_key(&path, &sorted_by)
                .map_err(|e| (400, "invalidSyntax", format!("sortBy: {e}")))?;
            keyed.push((key, item));
        }
        keyed.sort_by(|(a, _), (b, _)| {
            let o = order(a, b, descending);
            if app.bug(Bug::SortMissingFirst) && (a.is_none() != b.is_none()) {
                o.reverse()
            } else {
                o
            }
        });
        items = keyed.into_iter().map(|(_, v)| v).collect();
    }
    Ok(items)
}

/// The sort-ignores-primary bug: the resource as if no value were primary,
/// so a multi-valued sortBy takes the first value.
fn without_primary(resource: &Value) -> Value {
    let mut r = resource.clone();
    for values in r.as_object_mut().into_iter().flat_map(|o| o.values_mut()) {
        for v in values.as_array_mut().into_iter().flatten() {
            if let Some(o) = v.as_object_mut() {
                o.remove("primary");
            }
        }
    }
    r
}

fn matches(ev: &Evaluator<'_>, f: &Filter, r: &Value) -> bool {
    ev.matches(f, r).unwrap_or(false)
}
