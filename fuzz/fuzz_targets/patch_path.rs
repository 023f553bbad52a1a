//! The PATCH path parser never panics, and every path it accepts displays
//! to text that parses back to the same path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimitar::scim::path::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(path) = parse(text) {
        let shown = path.to_string();
        let again = parse(&shown).unwrap_or_else(|e| panic!("{text:?} displayed as {shown:?}, which does not parse: {e}"));
        assert_eq!(again, path, "{text:?} displayed as {shown:?}");
    }
});
