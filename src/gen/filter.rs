//! Strategies that generate only valid filters for a schema, and resources
//! to evaluate them on.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::scim::filter::{AttrPath, CompValue, CompareOp, Filter};
use crate::scim::{AttrType, Attribute, Schema};

/// A comparable leaf: its path and definition.
#[derive(Clone, Debug)]
struct Leaf {
    path: AttrPath,
    attr: Attribute,
}

/// Every simple attribute and sub-attribute of a schema, with URN-qualified
/// variants for some.
fn leaves(schema: &Schema, urn: Option<&str>) -> Vec<Leaf> {
    let mut out = vec![];
    for a in &schema.attributes {
        if a.kind == AttrType::Complex {
            for s in &a.sub_attributes {
                out.push(Leaf {
                    path: AttrPath::new(urn, &a.name, Some(&s.name)),
                    attr: s.clone(),
                });
            }
        } else {
            out.push(Leaf {
                path: AttrPath::new(urn, &a.name, None),
                attr: a.clone(),
            });
        }
    }
    out
}

/// Strings that stress quoting: quotes, backslashes, keywords, spaces, Unicode.
pub fn string_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9@._-]{0,12}",
        "[ -~]{0,16}",
        Just("a \"quoted\" and or not (x) [y]".to_string()),
        Just("back\\slash\ttab".to_string()),
        "\\PC{0,8}",
    ]
}

fn date_value() -> impl Strategy<Value = String> {
    (
        2000u32..2030,
        1u32..13,
        1u32..29,
        0u32..24,
        0u32..60,
        0u32..60,
    )
        .prop_map(|(y, mo, d, h, mi, s)| format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"))
}

fn number_value(integer: bool) -> BoxedStrategy<serde_json::Number> {
    if integer {
        (-1_000_000i64..1_000_000)
            .prop_map(serde_json::Number::from)
            .boxed()
    } else {
        (-1.0e6f64..1.0e6)
            .prop_filter_map("finite", serde_json::Number::from_f64)
            .boxed()
    }
}

/// An operator and a literal that fit the attribute.
fn comparison(attr: &Attribute) -> BoxedStrategy<(CompareOp, CompValue)> {
    use CompareOp::*;
    let all = CompareOp::ALL.to_vec();
    let ordered = vec![Eq, Ne, Gt, Ge, Lt, Le];
    match attr.kind {
        AttrType::Boolean => (prop::sample::select(vec![Eq, Ne]), any::<bool>())
            .prop_map(|(op, b)| (op, CompValue::Bool(b)))
            .boxed(),
        AttrType::Integer | AttrType::Decimal => {
            (prop::sample::select(ordered), number_value(attr.kind == AttrType::Integer))
                .prop_map(|(op, n)| (op, CompValue::Number(n)))
                .boxed()
        }
        AttrType::DateTime => (prop::sample::select(ordered), date_value())
            .prop_map(|(op, d)| (op, CompValue::Str(d)))
            .boxed(),
        AttrType::Binary => (prop::sample::select(vec![Eq, Ne, Co, Sw, Ew]), "[A-Za-z0-9+/]{0,8}={0,2}")
            .prop_map(|(op, s)| (op, CompValue::Str(s)))
            .boxed(),
        _ => prop_oneof![
            8 => (prop::sample::select(all), string_value()).prop_map(|(op, s)| (op, CompValue::Str(s))),
            1 => prop::sample::select(vec![Eq, Ne]).prop_map(|op| (op, CompValue::Null)),
        ]
        .boxed(),
    }
}

/// Changes the case of a name; attribute names are case-insensitive.
fn recase(name: String) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(name.clone()),
        1 => Just(name.to_uppercase()),
        1 => Just(name.to_lowercase()),
    ]
}

fn simple(leaf: Leaf) -> BoxedStrategy<Filter> {
    let path = leaf.path.clone();
    let present = recase(path.name.clone()).prop_map(move |n| {
        Filter::Present(AttrPath {
            name: n,
            ..path.clone()
        })
    });
    let path = leaf.path.clone();
    let compare =
        (recase(path.name.clone()), comparison(&leaf.attr)).prop_map(move |(n, (op, v))| {
            Filter::Compare(
                AttrPath {
                    name: n,
                    ..path.clone()
                },
                op,
                v,
            )
        });
    prop_oneof![1 => present, 4 => compare].boxed()
}

/// A value-path filter on a multi-valued complex attribute.
fn value_path(parent: Attribute, urn: Option<String>) -> BoxedStrategy<Filter> {
    let inner: Vec<BoxedStrategy<Filter>> = parent
        .sub_attributes
        .iter()
        .map(|s| {
            simple(Leaf {
                path: AttrPath::new(None, &s.name, None),
                attr: s.clone(),
            })
        })
        .collect();
    let inner = prop::strategy::Union::new(inner);
    let inner = inner.prop_recursive(2, 6, 2, |f| {
        prop_oneof![
            (f.clone(), f.clone()).prop_map(|(a, b)| Filter::and(a, b)),
            (f.clone(), f.clone()).prop_map(|(a, b)| Filter::or(a, b)),
            f.prop_map(Filter::negate),
        ]
    });
    let path = AttrPath::new(urn.as_deref(), &parent.name, None);
    inner
        .prop_map(move |f| Filter::ValuePath(path.clone(), Box::new(f)))
        .boxed()
}

/// Valid filters over a core schema and its extensions: every operator on
/// every attribute type, value paths, `not`, and nesting.
pub fn filter(core: &Schema, extensions: &[Schema]) -> BoxedStrategy<Filter> {
    let mut all = leaves(core, None);
    all.extend(leaves(core, Some(&core.id)).into_iter().take(3));
    for e in extensions {
        all.extend(leaves(e, Some(&e.id)));
    }
    let mut atoms: Vec<BoxedStrategy<Filter>> = all.iter().cloned().map(simple).collect();
    let parents: Vec<Attribute> = core
        .attributes
        .iter()
        .filter(|a| a.kind == AttrType::Complex && a.multi_valued)
        .cloned()
        .collect();
    atoms.extend(parents.into_iter().map(|p| value_path(p, None)));
    prop::strategy::Union::new(atoms)
        .prop_recursive(4, 24, 2, |f| {
            prop_oneof![
                (f.clone(), f.clone()).prop_map(|(a, b)| Filter::and(a, b)),
                (f.clone(), f.clone()).prop_map(|(a, b)| Filter::or(a, b)),
                f.prop_map(Filter::negate),
            ]
        })
        .boxed()
}

/// Users with designed value shapes: missing attributes, several emails,
/// case variants, dates.
pub fn user() -> impl Strategy<Value = Value> {
    let email = (
        prop::sample::select(vec!["work", "home", "other"]),
        "[a-zA-Z]{1,6}@(example|Example)\\.(com|org)",
        any::<bool>(),
    )
        .prop_map(|(t, v, p)| json!({"type": t, "value": v, "primary": p}));
    (
        "[a-zA-Z]{1,8}",
        prop::option::of(prop::sample::select(vec![
            "Tour Guide",
            "tour guide",
            "Engineer",
            "",
        ])),
        prop::option::of(any::<bool>()),
        prop::collection::vec(email, 0..3),
        prop::option::of(("[A-Z][a-z]{0,6}", "[A-Z][a-z]{0,6}")),
        date_value(),
    )
        .prop_map(|(user_name, title, active, emails, name, created)| {
            let mut u = json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": user_name.to_lowercase(),
                "userName": user_name,
                "emails": emails,
                "meta": {"resourceType": "User", "created": created, "lastModified": created}
            });
            if let Some(t) = title {
                u["title"] = json!(t);
            }
            if let Some(a) = active {
                u["active"] = json!(a);
            }
            if let Some((g, f)) = name {
                u["name"] = json!({"givenName": g, "familyName": f});
            }
            u
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::{parse, Evaluator};
    use crate::scim::schema::core_schemas;

    fn user_filter() -> BoxedStrategy<Filter> {
        let s = core_schemas();
        filter(&s[0], &s[2..])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        #[test]
        fn display_then_parse_gives_the_same_filter(f in user_filter()) {
            let text = f.to_string();
            let back = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            prop_assert_eq!(back, f);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn generated_filters_are_valid_and_evaluator_laws_hold(a in user_filter(), b in user_filter(), u in user()) {
            let s = core_schemas();
            let ev = Evaluator::new(&s[0], vec![&s[2]]);
            let m = |f: &Filter| ev.matches(f, &u).map_err(|e| TestCaseError::fail(format!("{f}: {e}")));
            let ra = m(&a)?;
            m(&b)?;
            prop_assert_eq!(m(&Filter::negate(a.clone()))?, !ra);
            prop_assert_eq!(m(&Filter::and(a.clone(), b.clone()))?, m(&Filter::and(b.clone(), a.clone()))?);
            prop_assert_eq!(m(&Filter::or(a.clone(), b.clone()))?, m(&Filter::or(b.clone(), a.clone()))?);
            // De Morgan
            prop_assert_eq!(
                m(&Filter::negate(Filter::and(a.clone(), b.clone())))?,
                m(&Filter::or(Filter::negate(a.clone()), Filter::negate(b.clone())))?
            );
            prop_assert_eq!(
                m(&Filter::negate(Filter::or(a.clone(), b.clone())))?,
                m(&Filter::and(Filter::negate(a), Filter::negate(b)))?
            );
        }

        #[test]
        fn ne_is_not_eq_and_ge_is_gt_or_eq(name in "[a-zA-Z]{1,5}", u in user()) {
            let s = core_schemas();
            let ev = Evaluator::new(&s[0], vec![&s[2]]);
            let m = |text: String| ev.matches(&parse(&text).unwrap(), &u).unwrap();
            prop_assert_eq!(m(format!("userName ne \"{name}\"")), m(format!("not (userName eq \"{name}\")")));
            prop_assert_eq!(m(format!("userName ge \"{name}\"")), m(format!("userName gt \"{name}\" or userName eq \"{name}\"")));
            prop_assert_eq!(m(format!("userName le \"{name}\"")), !m(format!("userName gt \"{name}\"")));
            prop_assert_eq!(m("title pr".into()), u.get("title").is_some_and(|t| t != "") );
        }
    }
}
