//! Edge values for generated input: strings at boundary lengths, Unicode
//! that trips normalisation and display (combining marks, right-to-left
//! text, control characters other than NUL, astral-plane characters), huge
//! and odd numbers, and values of the wrong JSON type for an attribute.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::scim::{AttrType, Attribute};

/// Lengths around common column and buffer sizes.
pub const BOUNDARY_LENGTHS: &[usize] = &[
    0, 1, 2, 31, 32, 33, 63, 64, 65, 127, 128, 129, 200, 201, 255, 256, 257, 1023, 1024, 1025,
    4096, 8192,
];

/// One character repeated: plain, wide, combining or astral.
fn filler() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["a", "é", "e\u{301}", "😀", "𝔘", "中", "\u{5d0}", "Z"])
}

/// A string of a boundary (or any) length.
pub fn long_string() -> BoxedStrategy<String> {
    let len = prop_oneof![
        3 => prop::sample::select(BOUNDARY_LENGTHS.to_vec()),
        1 => 0usize..8192,
    ];
    (filler(), len).prop_map(|(c, n)| c.repeat(n)).boxed()
}

/// A string of a boundary length up to 1024, short enough for a URL.
pub fn long_query_string() -> BoxedStrategy<String> {
    let len = prop_oneof![
        3 => prop::sample::select(BOUNDARY_LENGTHS.iter().copied().filter(|n| *n <= 1025).collect::<Vec<_>>()),
        1 => 0usize..1025,
    ];
    (filler(), len).prop_map(|(c, n)| c.repeat(n)).boxed()
}

/// Unicode that strains storage, comparison and display.
pub fn unicode_string() -> BoxedStrategy<String> {
    let samples = vec![
        "e\u{301}\u{302}\u{303}\u{304}\u{305}", // stacked combining marks
        "\u{202e}nimda\u{202c}",                // right-to-left override
        "\u{5e9}\u{5dc}\u{5d5}\u{5dd} abc",     // Hebrew mixed with Latin
        "\u{627}\u{644}\u{639}\u{631}\u{628}\u{64a}\u{629}", // Arabic
        "tab\tnew\nline\rcr",
        "bell\u{7}esc\u{1b}[31m",
        "\u{1}\u{2}\u{1f}",
        "del\u{7f}c1\u{85}\u{9f}",
        "😀👍🏽👨\u{200d}👩\u{200d}👧",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u{10ffff}",
        "zero\u{200b}width\u{feff}bom",
        "\u{fffd}\u{fffe}\u{ffff}",
        "Ⅻ ﬁ ß ǅ İ ı",
        "'; DROP TABLE users; --",
        "\\\"quoted\\\" \\u0000 %00 %s %n",
        "<script>alert(1)</script>",
        "../../../../etc/passwd",
        " leading and trailing ",
        "",
    ];
    prop_oneof![
        4 => prop::sample::select(samples).prop_map(str::to_string),
        1 => "\\PC{0,24}",
        1 => prop::collection::vec(prop::char::range('\u{1}', '\u{1f}'), 1..8)
            .prop_map(|cs| cs.into_iter().collect::<String>()),
    ]
    .boxed()
}

/// Any edge string.
pub fn edge_string() -> BoxedStrategy<String> {
    prop_oneof![1 => long_string(), 2 => unicode_string()].boxed()
}

/// Numbers JSON can hold that programs often cannot.
pub fn edge_number() -> BoxedStrategy<Value> {
    prop::sample::select(vec![
        json!(0),
        json!(-1),
        json!(2147483647),
        json!(2147483648u64),
        json!(-2147483649i64),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(9007199254740993u64),
        json!(1.5),
        json!(-0.0),
        json!(1e308),
        json!(-1e308),
        json!(5e-324),
    ])
    .boxed()
}

/// Number literals no double holds, for raw bodies.
pub const HUGE_LITERALS: &[&str] = &[
    "1e999999",
    "-1e999999",
    "18446744073709551616",
    "123456789012345678901234567890123456789012345678901234567890",
    "0.00000000000000000000000000000000000000000000000000001e-400",
    "1E+2147483648",
];

/// A value of a JSON type the attribute does not have.
pub fn wrong_type(attr: &Attribute) -> BoxedStrategy<Value> {
    let mut options: Vec<Value> = vec![
        Value::Null,
        json!({"value": "x"}),
        json!(["x"]),
        json!(true),
        json!(42),
        json!("x"),
        json!("2024-13-45T99:99:99Z"),
        json!(""),
        json!([]),
        json!({}),
    ];
    options.retain(|v| !attr.accepts(v) || v.is_null());
    prop::sample::select(options).boxed()
}

/// A value of the right type that is odd for it.
pub fn edge_of_type(attr: &Attribute) -> BoxedStrategy<Value> {
    let one: BoxedStrategy<Value> = match attr.kind {
        AttrType::String | AttrType::Reference | AttrType::Binary => {
            edge_string().prop_map(Value::String).boxed()
        }
        AttrType::DateTime => prop::sample::select(vec![
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
            "2024-02-29T12:00:00+14:00",
            "1970-01-01T00:00:00-12:00",
        ])
        .prop_map(|s| json!(s))
        .boxed(),
        AttrType::Boolean => any::<bool>().prop_map(Value::Bool).boxed(),
        AttrType::Integer => edge_number()
            .prop_filter("integer", |v| v.is_i64() || v.is_u64())
            .boxed(),
        AttrType::Decimal => edge_number(),
        AttrType::Complex => {
            let subs: Vec<Attribute> = attr.sub_attributes.clone();
            if subs.is_empty() {
                Just(json!({})).boxed()
            } else {
                prop::sample::select(subs)
                    .prop_flat_map(|s| {
                        let name = s.name.clone();
                        prop_oneof![edge_of_type(&s), wrong_type(&s)]
                            .prop_map(move |v| json!({ name.clone(): v }))
                    })
                    .boxed()
            }
        }
    };
    if attr.multi_valued {
        prop_oneof![
            3 => prop::collection::vec(one.clone(), 1..3).prop_map(Value::Array),
            1 => one,
        ]
        .boxed()
    } else {
        one
    }
}

/// An edge value for the attribute: odd, of the wrong type, or null.
pub fn for_attribute(attr: &Attribute) -> BoxedStrategy<Value> {
    prop_oneof![
        3 => edge_of_type(attr),
        2 => wrong_type(attr),
        1 => Just(Value::Null),
    ]
    .boxed()
}

/// Numbers as query-string text: negative, huge, not numbers at all.
pub fn numeric_text() -> BoxedStrategy<String> {
    prop::sample::select(vec![
        "-1",
        "0",
        "1",
        "-2147483649",
        "2147483648",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "99999999999999999999999999",
        "1e3",
        "1.5",
        "abc",
        "",
        " 1",
        "0x10",
        "+5",
        "-0",
        "NaN",
        "١٢",
    ])
    .prop_map(str::to_string)
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::core_schemas;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn wrong_types_never_fit_and_edges_keep_their_type() {
        let user = &core_schemas()[0];
        let mut runner = TestRunner::deterministic();
        for attr in &user.attributes {
            for _ in 0..20 {
                let v = wrong_type(attr).new_tree(&mut runner).unwrap().current();
                assert!(v.is_null() || !attr.accepts(&v), "{} {v}", attr.name);
                let e = edge_of_type(attr).new_tree(&mut runner).unwrap().current();
                let items = match (&e, attr.multi_valued) {
                    (Value::Array(items), true) => items.clone(),
                    _ => vec![e.clone()],
                };
                for i in items {
                    assert!(attr.accepts(&i), "{} {i}", attr.name);
                }
            }
        }
    }
}
