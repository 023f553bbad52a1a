//! Finds duplicate member names in a JSON text. `serde_json` keeps the last
//! duplicate (which RFC 7519 §4 allows a parser to do), so the duplicates
//! that RFC 7519 §4 and RFC 8417 §2.2 forbid a producer to send are found
//! by a second walk over the same bytes.

use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::jwt::Duplicate;

/// At most this many duplicates are recorded.
const MAX: usize = 64;

/// The duplicate member names in `json`, each with the JSON pointer of the
/// object that repeats it. Empty when the text is not JSON.
pub(crate) fn find(json: &[u8]) -> Vec<Duplicate> {
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(json);
    let walk = Walk {
        pointer: String::new(),
        out: &mut out,
    };
    if walk.deserialize(&mut de).is_err() {
        out.clear();
    }
    out
}

struct Walk<'a> {
    pointer: String,
    out: &'a mut Vec<Duplicate>,
}

/// RFC 6901 escaping of one reference token.
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
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
        let mut index = 0usize;
        loop {
            let child = Walk {
                pointer: format!("{}/{index}", self.pointer),
                out: &mut *self.out,
            };
            if seq.next_element_seed(child)?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(name) = map.next_key::<String>()? {
            let pointer = format!("{}/{}", self.pointer, escape(&name));
            if !seen.insert(name.clone()) && self.out.len() < MAX {
                self.out.push(Duplicate {
                    object: self.pointer.clone(),
                    name,
                });
            }
            if self.out.len() >= MAX {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            map.next_value_seed(Walk {
                pointer,
                out: &mut *self.out,
            })?;
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
    fn finds_duplicates_at_every_depth_with_their_object() {
        let json = br#"{"a":1,"e":{"x":{},"x":{"k":[{"z":1,"z":2}]}},"a":2}"#;
        assert_eq!(
            find(json),
            vec![dup("/e", "x"), dup("/e/x/k/0", "z"), dup("", "a")]
        );
    }

    #[test]
    fn no_duplicates_and_non_json_give_nothing() {
        assert!(find(br#"{"a":{"a":1},"b":[{"a":1},{"a":2}]}"#).is_empty());
        assert!(find(b"{\"a\":1,\"a\"").is_empty());
        assert_eq!(find(br#"{"a/b~":1,"a/b~":2}"#), vec![dup("", "a/b~")]);
        assert_eq!(find(br#"{"o":{"a":1,"a":2}}"#)[0].object, "/o");
        assert_eq!(find(br#"{"a/b":{"c":1,"c":2}}"#)[0].object, "/a~1b");
    }
}
