//! Queries: filters from the grammar of [`crate::gen::filter`] then bent
//! (truncated, odd operators, junk, deep parentheses, long values),
//! `/.search` bodies, the paging and projection parameters (count,
//! startIndex, attributes, excludedAttributes, sortBy, sortOrder) with
//! negative, huge, non-numeric and long values, and reads and deletes of
//! single resources.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::generate::{leaf_paths, TypeModel};
use super::request::{Body, Family, FuzzRequest, Target};
use super::values;
use crate::scim::urn;

/// A change to a filter's text.
#[derive(Clone, Debug)]
enum Bend {
    None,
    Truncate(u8),
    OddOperator(&'static str),
    Junk(&'static str),
    Parens(usize),
    Upper,
}

fn bend() -> BoxedStrategy<Bend> {
    prop_oneof![
        3 => Just(Bend::None),
        1 => (1u8..100).prop_map(Bend::Truncate),
        1 => prop::sample::select(vec!["EQ", "eqq", "==", "~=", "like", "", "eq eq", "in"]).prop_map(Bend::OddOperator),
        1 => prop::sample::select(vec![")", "(", " and", " or ", "\"", "[", "]", " not", " pr pr", "\u{1}", " and (userName pr"]).prop_map(Bend::Junk),
        1 => prop_oneof![prop::sample::select(vec![63usize, 64, 65, 100, 1000]), 1usize..200].prop_map(Bend::Parens),
        1 => Just(Bend::Upper),
    ]
    .boxed()
}

const OPERATORS: &[&str] = &[
    " eq ", " ne ", " co ", " sw ", " ew ", " gt ", " ge ", " lt ", " le ",
];

fn apply(text: String, how: &Bend) -> String {
    match how {
        Bend::None => text,
        Bend::Truncate(pct) => {
            let keep = text.chars().count() * (*pct as usize) / 100;
            text.chars().take(keep).collect()
        }
        Bend::OddOperator(op) => {
            let found = OPERATORS
                .iter()
                .filter_map(|o| text.find(o).map(|i| (i, o)))
                .min();
            match found {
                Some((i, o)) => format!("{} {op} {}", &text[..i], &text[i + o.len()..]),
                None => format!("{text} {op}"),
            }
        }
        Bend::Junk(j) => format!("{text}{j}"),
        Bend::Parens(n) => format!("{}{text}{}", "(".repeat(*n), ")".repeat(*n)),
        Bend::Upper => text.to_uppercase(),
    }
}

/// A comparison whose value is long (around 200 characters and beyond).
fn long_value(t: &TypeModel) -> BoxedStrategy<String> {
    let paths: Vec<String> = leaf_paths(t).into_iter().map(|(p, _)| p).collect();
    let len = prop_oneof![
        3 => prop::sample::select(vec![199usize, 200, 201, 202, 255, 256, 257, 1024]),
        1 => 0usize..1100,
    ];
    (
        prop::sample::select(paths),
        prop::sample::select(vec!["eq", "co", "sw", "ew", "ne", "gt"]),
        prop::sample::select(vec!["a", "é", "😀", "Z"]),
        len,
    )
        .prop_map(|(p, op, c, n)| format!("{p} {op} \"{}\"", c.repeat(n)))
        .boxed()
}

/// Filters that are malformed on purpose.
fn nasty() -> BoxedStrategy<String> {
    prop::sample::select(vec![
        "",
        " ",
        "(",
        ")",
        "userName eq",
        "eq \"x\"",
        "userName eq \"unterminated",
        "userName[",
        "emails[type eq \"work\"",
        "emails[type eq \"work\"]]",
        "not",
        "userName pr and",
        "userName eq \"a\" and or userName pr",
        "userName eq \"\\\"",
        "userName eq \"\\u00zz\"",
        "meta.created gt \"not a date\"",
        "urn:ietf:params:scim:schemas:core:2.0:User:",
        "userName eq 1e999999",
        "userName eq tru",
        "a.b.c.d.e pr",
        "scimitarUnknown eq \"x\"",
        "name.scimitarUnknown pr",
        "urn:scimitar:unknown:2.0:Thing:attr pr",
        "emails[scimitarUnknown eq \"x\"]",
    ])
    .prop_map(str::to_string)
    .boxed()
}

/// Filter text for a type.
pub fn filter_text(t: &TypeModel) -> BoxedStrategy<String> {
    let valid = crate::gen::filter::filter(&t.core, &t.extensions)
        .prop_map(|f| f.to_string())
        .boxed();
    prop_oneof![
        3 => (valid, bend()).prop_map(|(f, b)| apply(f, &b)),
        3 => long_value(t),
        1 => nasty(),
    ]
    .boxed()
}

/// GET the endpoint with a filter.
pub fn filter(t: &TypeModel) -> BoxedStrategy<FuzzRequest> {
    let name = t.name.clone();
    filter_text(t)
        .prop_map(move |f| {
            let mut r = FuzzRequest::new(Family::Filter, &name, "GET", Target::Collection);
            r.query = vec![("filter".into(), f)];
            r
        })
        .boxed()
}

/// Lists of attribute names: valid, unknown, qualified, long, malformed.
fn attribute_list(t: &TypeModel) -> BoxedStrategy<String> {
    let paths: Vec<String> = leaf_paths(t).into_iter().map(|(p, _)| p).collect();
    prop_oneof![
        3 => prop::sample::subsequence(paths.clone(), 1..=paths.len().min(5)).prop_map(|p| p.join(",")),
        1 => (prop::sample::select(paths), prop_oneof![Just(1usize), Just(2), 10usize..500])
            .prop_map(|(p, n)| vec![p; n].join(",")),
        1 => prop::sample::select(vec![
            ",", ",,,", " ", "nope", "emails[type eq \"work\"]", "name.givenName.extra",
            "urn:ietf:params:scim:schemas:core:2.0:User", "urn:x:y:z", "*", "meta,id,schemas",
        ]).prop_map(str::to_string),
        1 => values::long_query_string(),
    ]
    .boxed()
}

fn sort_by(t: &TypeModel) -> BoxedStrategy<String> {
    let paths: Vec<String> = leaf_paths(t).into_iter().map(|(p, _)| p).collect();
    prop_oneof![
        2 => prop::sample::select(paths),
        1 => prop::sample::select(vec!["", "nope", "emails[type eq \"work\"].value", "meta.created", "emails", "name", "a.b.c"])
            .prop_map(str::to_string),
        1 => values::long_query_string(),
    ]
    .boxed()
}

/// One query parameter.
fn parameter(t: &TypeModel) -> BoxedStrategy<(String, String)> {
    let order = prop::sample::select(vec![
        "ascending",
        "descending",
        "DESCENDING",
        "sideways",
        "",
    ]);
    prop_oneof![
        3 => values::numeric_text().prop_map(|v| ("count".to_string(), v)),
        3 => values::numeric_text().prop_map(|v| ("startIndex".to_string(), v)),
        2 => attribute_list(t).prop_map(|v| ("attributes".to_string(), v)),
        2 => attribute_list(t).prop_map(|v| ("excludedAttributes".to_string(), v)),
        2 => sort_by(t).prop_map(|v| ("sortBy".to_string(), v)),
        1 => order.prop_map(|v| ("sortOrder".to_string(), v.to_string())),
        1 => prop::sample::select(vec!["", "garbage", "o1-n1-t1-qzz", "-1"]).prop_map(|v| ("cursor".to_string(), v.to_string())),
        1 => values::unicode_string().prop_map(|v| ("scimitarUnknown".to_string(), v)),
    ]
    .boxed()
}

/// Distinct parameters, the last of a name winning.
fn parameters(t: &TypeModel) -> BoxedStrategy<Vec<(String, String)>> {
    prop::collection::vec(parameter(t), 1..4)
        .prop_map(|ps| {
            let mut out: Vec<(String, String)> = vec![];
            for (k, v) in ps {
                out.retain(|(o, _)| o != &k);
                out.push((k, v));
            }
            out
        })
        .boxed()
}

/// GET the endpoint with paging, sorting and projection parameters.
pub fn query(t: &TypeModel) -> BoxedStrategy<FuzzRequest> {
    let name = t.name.clone();
    parameters(t)
        .prop_map(move |q| {
            let mut r = FuzzRequest::new(Family::Query, &name, "GET", Target::Collection);
            r.query = q;
            r
        })
        .boxed()
}

/// POST `/.search` with a SearchRequest, its members odd or of the wrong type.
pub fn search(t: &TypeModel) -> BoxedStrategy<FuzzRequest> {
    let name = t.name.clone();
    let member = prop_oneof![
        2 => values::numeric_text().prop_map(|v| ("count".to_string(), v.parse::<i64>().map(Value::from).unwrap_or(json!(v)))),
        2 => values::numeric_text().prop_map(|v| ("startIndex".to_string(), v.parse::<i64>().map(Value::from).unwrap_or(json!(v)))),
        1 => attribute_list(t).prop_map(|v| ("attributes".to_string(), json!(v.split(',').collect::<Vec<_>>()))),
        1 => attribute_list(t).prop_map(|v| ("excludedAttributes".to_string(), json!(v))),
        1 => sort_by(t).prop_map(|v| ("sortBy".to_string(), json!(v))),
        1 => prop::sample::select(vec![json!(42), json!(["x"]), Value::Null, json!({"a": 1})]).prop_map(|v| ("filter".to_string(), v)),
        1 => prop::sample::select(vec![json!([]), json!("x"), json!([urn::LIST_RESPONSE])]).prop_map(|v| ("schemas".to_string(), v)),
    ];
    (filter_text(t), prop::collection::vec(member, 0..3))
        .prop_map(move |(f, members)| {
            let mut body = Map::new();
            body.insert("schemas".into(), json!([urn::SEARCH_REQUEST]));
            body.insert("filter".into(), json!(f));
            for (k, v) in members {
                body.insert(k, v);
            }
            FuzzRequest::new(Family::Search, &name, "POST", Target::Search)
                .with_body(Body::Json(Value::Object(body)))
        })
        .boxed()
}

/// An id no resource has, or a fixture; the former first, as it needs no state.
fn single() -> BoxedStrategy<Target> {
    prop::sample::select(vec![Target::Fresh, Target::Fixture]).boxed()
}

/// GET one resource with projection parameters and odd conditional headers.
pub fn read(t: &TypeModel) -> BoxedStrategy<FuzzRequest> {
    let name = t.name.clone();
    let header = prop::option::of(prop::sample::select(vec![
        ("If-None-Match", "*"),
        ("If-None-Match", "garbage"),
        ("If-None-Match", "W/\"\""),
        ("If-Match", "\"x\", W/\"y\""),
    ]));
    (single(), prop::option::of(parameters(t)), header)
        .prop_map(move |(target, q, h)| {
            let mut r = FuzzRequest::new(Family::Read, &name, "GET", target);
            r.query = q.unwrap_or_default();
            r.headers = h
                .map(|(k, v)| vec![(k.to_string(), v.to_string())])
                .unwrap_or_default();
            r
        })
        .boxed()
}

/// DELETE a fixture or an id no resource has, with odd If-Match headers.
pub fn delete(t: &TypeModel) -> BoxedStrategy<FuzzRequest> {
    let name = t.name.clone();
    let header = prop::option::of(prop::sample::select(vec![
        "*", "garbage", "W/\"\"", "\"1\"",
    ]));
    (single(), header)
        .prop_map(move |(target, h)| {
            let mut r = FuzzRequest::new(Family::Delete, &name, "DELETE", target);
            r.headers = h
                .map(|v| vec![("If-Match".to_string(), v.to_string())])
                .unwrap_or_default();
            r
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bends_change_filters_as_named() {
        let f = "userName eq \"a\"".to_string();
        assert_eq!(
            apply(f.clone(), &Bend::OddOperator("==")),
            "userName == \"a\""
        );
        assert_eq!(apply(f.clone(), &Bend::Truncate(50)), "userNam");
        assert_eq!(apply(f.clone(), &Bend::Parens(2)), "((userName eq \"a\"))");
        assert_eq!(
            apply("title pr".into(), &Bend::OddOperator("EQ")),
            "title pr EQ"
        );
    }
}
