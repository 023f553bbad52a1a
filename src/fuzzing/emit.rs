//! Writing JSON values as YAML that the suite loader reads back unchanged:
//! flow style (JSON-like) with every string double-quoted and everything
//! YAML cannot hold raw (controls, bidi and zero-width characters,
//! non-characters) escaped, so a reproducer shows exactly what was sent.

use serde_json::Value;

/// Whether a character must be escaped in a double-quoted YAML scalar (or
/// is better escaped so that a reviewer sees it).
fn escaped(c: char) -> bool {
    let u = c as u32;
    c.is_control()
        || matches!(u, 0x85 | 0xad | 0x61c | 0x180e | 0xfeff | 0xfffe | 0xffff)
        || (0x200b..=0x200f).contains(&u)
        || (0x2028..=0x202e).contains(&u)
        || (0x2060..=0x206f).contains(&u)
        || (0xfff9..=0xfffb).contains(&u)
        || (0xe0000..=0xe007f).contains(&u)
        || (u & 0xfffe) == 0xfffe
}

/// A double-quoted YAML scalar.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if escaped(c) && (c as u32) <= 0xffff => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c if escaped(c) => out.push_str(&format!("\\U{:08X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON value in YAML flow style.
pub fn flow(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(o) => {
            let inner: Vec<String> = o
                .iter()
                .map(|(k, v)| format!("{}: {}", string(k), flow(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// Whether a value reads back from [`flow`] exactly (huge numbers do not).
pub fn round_trips(v: &Value) -> bool {
    let text = format!("v: {}\n", flow(v));
    crate::suite::yaml::parse(&text)
        .map(|doc| doc.value.get("v") == Some(v))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn odd_strings_and_values_read_back_unchanged() {
        let nasty = [
            "plain",
            "quote \" backslash \\ tab \t nl \n cr \r",
            "\u{1}\u{1f}\u{7f}\u{85}\u{9f}",
            "e\u{301}\u{302} \u{202e}rtl\u{202c} \u{5d0}\u{5d1}",
            "zero\u{200b}width\u{feff}\u{2028}\u{2029}",
            "😀𝔘\u{10ffff}\u{fffe}\u{ffff}\u{e0041}",
            "{{unique}}: - [a] # not a comment &anchor *alias !tag %x @y `z`",
            "",
            " leading",
            "ünïcødé ✓",
        ];
        for s in nasty {
            let v = json!({ s: [s, {"k": s}] });
            assert!(round_trips(&v), "{}", flow(&v));
        }
        for v in [
            json!(1),
            json!(-2.5),
            json!(null),
            json!(true),
            json!([]),
            json!({}),
        ] {
            assert!(round_trips(&json!({"x": v})), "{v}");
        }
        assert!(!round_trips(&json!(u64::MAX)));
    }
}
