//! Finds duplicate member names in a JSON text. `serde_json` keeps the last
//! duplicate (which RFC 7519 §4 allows a parser to do), so the duplicates
//! that RFC 7519 §4 (claim names) and RFC 8417 §2.2 (event identifiers)
//! forbid a producer to send are found by a second walk over the same bytes.
//!
//! Only the two objects those rules are about are looked into: the claims
//! set and its `events` claim. Every other value is skipped unread, so the
//! walk is linear in the input and runs before any authentication safely.
//! Each repeated name is recorded once, so the output is never longer than
//! the input; nothing is capped, so no duplicate can hide another.

use std::collections::hash_map::{Entry, HashMap};
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::jwt::Duplicate;

/// The object of a repeated claim name (the claims set itself).
const CLAIMS: &str = "";
/// The object of a repeated event identifier.
const EVENTS: &str = "/events";

/// The repeated claim names of the claims set in `json` (object `""`) and
/// the repeated event identifiers of its `events` claim (object
/// `"/events"`), each name once, in the order its first repetition occurs.
/// Empty when the text is not a JSON object.
pub(crate) fn find(json: &[u8]) -> Vec<Duplicate> {
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(json);
    if de.deserialize_map(Members::new(CLAIMS, &mut out)).is_err() {
        out.clear();
    }
    out
}

/// The member names of one object, seen so far.
struct Members<'a> {
    object: &'static str,
    out: &'a mut Vec<Duplicate>,
}

impl<'a> Members<'a> {
    fn new(object: &'static str, out: &'a mut Vec<Duplicate>) -> Members<'a> {
        Members { object, out }
    }
}

/// The value of the `events` claim: an object is looked into, anything
/// else skipped (the validation reports its type).
impl<'de> DeserializeSeed<'de> for Members<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Members<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Each name and whether its repetition is recorded already.
        let mut seen: HashMap<String, bool> = HashMap::new();
        while let Some(name) = map.next_key::<String>()? {
            let is_events = self.object == CLAIMS && name == "events";
            match seen.entry(name) {
                Entry::Vacant(e) => {
                    e.insert(false);
                }
                Entry::Occupied(mut e) => {
                    if !e.get() {
                        e.insert(true);
                        self.out.push(Duplicate {
                            object: self.object.into(),
                            name: e.key().clone(),
                        });
                    }
                }
            }
            if is_events {
                // Every occurrence is looked into: serde_json keeps the
                // last, another parser may keep the first.
                map.next_value_seed(Members::new(EVENTS, &mut *self.out))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dup(object: &str, name: &str) -> Duplicate {
        Duplicate {
            object: object.into(),
            name: name.into(),
        }
    }

    #[test]
    fn finds_repeated_claims_and_events_each_once() {
        let json = br#"{"a":1,"events":{"x":{},"x":{"k":[{"z":1,"z":2}]},"x":3},"a":2,"a":3}"#;
        assert_eq!(find(json), vec![dup("/events", "x"), dup("", "a")]);
    }

    #[test]
    fn no_duplicates_and_non_json_give_nothing() {
        assert!(find(br#"{"a":{"a":1},"b":[{"a":1},{"a":2}]}"#).is_empty());
        assert!(find(b"{\"a\":1,\"a\"").is_empty());
        assert!(find(b"[1,1]").is_empty());
        assert_eq!(find(br#"{"a/b~":1,"a/b~":2}"#), vec![dup("", "a/b~")]);
        // Only the events claim is looked into.
        assert!(find(br#"{"o":{"a":1,"a":2},"events":{"e":{"b":1,"b":2}}}"#).is_empty());
        // An events claim of another type is skipped, not an error.
        for events in ["1", "\"s\"", "null", "[{\"a\":1,\"a\":1}]", "true"] {
            let json = format!(r#"{{"events":{events},"jti":"a","jti":"b"}}"#);
            assert_eq!(find(json.as_bytes()), vec![dup("", "jti")], "{events}");
        }
    }

    #[test]
    fn both_occurrences_of_a_repeated_events_claim_are_looked_into() {
        let json = br#"{"events":{"e":{},"e":{}},"events":{"f":{},"f":{}}}"#;
        assert_eq!(
            find(json),
            vec![dup("/events", "e"), dup("", "events"), dup("/events", "f")]
        );
    }

    /// Any number of duplicates elsewhere (there used to be a cap of 64,
    /// counted over the whole tree) does not hide a repeated `jti`.
    #[test]
    fn duplicates_elsewhere_do_not_hide_a_repeated_jti() {
        let noise: Vec<String> = (0..100).map(|_| r#""x":1"#.to_string()).collect();
        let events: Vec<String> = (0..100)
            .map(|i| format!(r#""e{i}":{{}},"e{i}":{{}}"#))
            .collect();
        let json = format!(
            r#"{{"nested":{{{}}},"events":{{{}}},"jti":"a","jti":"b"}}"#,
            noise.join(","),
            events.join(",")
        );
        let found = find(json.as_bytes());
        assert_eq!(found.len(), 101);
        assert_eq!(found.last(), Some(&dup("", "jti")));
        assert_eq!(found[99], dup("/events", "e99"));
    }
}
