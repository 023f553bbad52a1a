//! The suite loader never panics on any text: YAML with positions, schema
//! validation and resolution either refuse the file with an error at a
//! line and column inside it, or give cases that start inside it, carry
//! ids in their file's area, and load the same again; the same file added
//! twice is refused for its duplicate ids.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimitar::suite::Loader;

/// The built-in check ids (`scimitar::check::known()`, which needs the
/// `net` feature). A stale list only turns check steps into load errors.
const KNOWN_CHECKS: &[&str] = &[
    "discovery.core-schemas-match-rfc",
    "discovery.query-parameters-ignored",
    "discovery.resource-types-reference-schemas",
    "discovery.schema-characteristic-values",
    "discovery.schemas-well-formed",
];

const FILE: &str = "suites/fuzz.yaml";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A position may be just past the last line (an unexpected end of file).
    let lines = text.lines().count() + 1;
    let mut loader = Loader::new(KNOWN_CHECKS);
    if let Err(e) = loader.add(FILE, text) {
        assert_eq!(e.file, FILE, "{text:?}: {e}");
        assert!(!e.message.is_empty(), "{text:?}");
        assert!(
            (1..=lines).contains(&e.pos.line) && e.pos.col >= 1,
            "{text:?}: error at {}:{} outside the file: {e}",
            e.pos.line,
            e.pos.col
        );
        let shown = e.to_string();
        assert!(
            shown.contains(&format!("{FILE}:{}:{}", e.pos.line, e.pos.col)),
            "{text:?}: {shown}"
        );
        return;
    }
    for case in &loader.cases {
        assert_eq!(case.origin.file, FILE, "{text:?}");
        assert!(
            (1..=lines).contains(&case.origin.pos.line) && case.origin.pos.col >= 1,
            "{text:?}: case `{}` at {:?}",
            case.id,
            case.origin.pos
        );
        assert!(case.id.starts_with(&format!("{}.", case.area)), "{text:?}");
    }
    let mut again = Loader::new(KNOWN_CHECKS);
    again
        .add(FILE, text)
        .unwrap_or_else(|e| panic!("{text:?} loaded once, then not: {e}"));
    assert_eq!(
        format!("{:?}", again.cases),
        format!("{:?}", loader.cases),
        "{text:?}"
    );
    if !loader.cases.is_empty() {
        let e = loader
            .add(FILE, text)
            .expect_err("the same cases added twice are refused");
        assert!(e.message.contains("duplicate case id"), "{text:?}: {e}");
    }
});
