//! The filter parser never panics, and every filter it accepts displays to
//! text that parses back to the same filter.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimitar::scim::filter::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(filter) = parse(text) {
        let shown = filter.to_string();
        let again = parse(&shown).unwrap_or_else(|e| panic!("{text:?} displayed as {shown:?}, which does not parse: {e}"));
        assert_eq!(again, filter, "{text:?} displayed as {shown:?}");
    }
});
