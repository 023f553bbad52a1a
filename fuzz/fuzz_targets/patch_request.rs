//! The PatchOp request reader never panics on any JSON body; it refuses
//! with a 400 that names a scimType, or gives operations whose paths each
//! display to text that parses back to the same path, and the request
//! rewritten canonically (`op` in lower case, each path displayed) reads
//! back to the same operations.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimitar::scim::patch::{parse_request, OpKind, Operation};
use scimitar::scim::{path, urn};
use serde_json::{json, Map, Value};

fn canonical(ops: &[Operation]) -> Value {
    let ops: Vec<Value> = ops
        .iter()
        .map(|o| {
            let mut m = Map::new();
            m.insert("op".into(), json!(o.op.as_str()));
            if let Some(p) = &o.path {
                m.insert("path".into(), json!(p.to_string()));
            }
            if let Some(v) = &o.value {
                m.insert("value".into(), v.clone());
            }
            Value::Object(m)
        })
        .collect();
    json!({"schemas": [urn::PATCH_OP], "Operations": ops})
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let ops = match parse_request(&body) {
        Ok(ops) => ops,
        Err(e) => {
            assert_eq!(e.status, 400, "{body}: {e}");
            assert!(!e.scim_types.is_empty(), "{body}: {e}");
            assert!(!e.detail.is_empty(), "{body}: {e}");
            return;
        }
    };
    assert!(!ops.is_empty(), "{body}");
    for op in &ops {
        match op.op {
            OpKind::Remove => assert!(op.path.is_some(), "{body}"),
            OpKind::Add | OpKind::Replace => assert!(op.value.is_some(), "{body}"),
        }
        if let Some(p) = &op.path {
            let shown = p.to_string();
            let again = path::parse(&shown).unwrap_or_else(|e| {
                panic!("{body}: path displayed as {shown:?}, which does not parse: {e}")
            });
            assert_eq!(&again, p, "{body}: path displayed as {shown:?}");
        }
    }
    let rewritten = canonical(&ops);
    let again = parse_request(&rewritten)
        .unwrap_or_else(|e| panic!("{body} rewritten as {rewritten}, which is refused: {e}"));
    assert_eq!(again, ops, "{body} rewritten as {rewritten}");
});
