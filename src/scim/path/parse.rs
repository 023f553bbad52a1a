//! The PATCH path parser. The attribute part is the filter's attribute
//! path; a value filter is the filter grammar between `[` and the last `]`
//! (only a sub-attribute name may follow it, so the last `]` closes it).

use super::PatchPath;
use crate::scim::filter::{self, FilterError, Span};

fn error(pos: usize, message: impl Into<String>) -> FilterError {
    FilterError {
        pos,
        message: message.into(),
    }
}

/// Parses a PATCH `path`.
pub fn parse(text: &str) -> Result<PatchPath, FilterError> {
    let span = Span {
        start: 0,
        end: text.len(),
    };
    let Some(open) = text.find('[') else {
        let attr = filter::parse_attr_path(text, 0)?;
        return Ok(PatchPath {
            attr,
            filter: None,
            sub: None,
            span,
        });
    };
    let close = text
        .rfind(']')
        .filter(|&c| c > open)
        .ok_or_else(|| error(open, "`[` is never closed by `]`"))?;
    let attr = filter::parse_attr_path(&text[..open], 0)?;
    if attr.sub.is_some() {
        return Err(error(
            0,
            "a value filter follows an attribute, not a sub-attribute",
        ));
    }
    let inner = &text[open + 1..close];
    let filter = filter::parse(inner).map_err(|e| error(open + 1 + e.pos, e.message))?;
    let tail = &text[close + 1..];
    let sub = match tail.strip_prefix('.') {
        None if tail.is_empty() => None,
        Some(name) if valid_name(name) => Some(name.to_string()),
        _ => {
            return Err(error(
                close + 1,
                format!("`{tail}` after `]` is not `.subAttribute`"),
            ))
        }
    };
    Ok(PatchPath {
        attr,
        filter: Some(filter),
        sub,
        span,
    })
}

/// `ATTRNAME = ALPHA *(nameChar)` (RFC 7643 §2.1), and `$ref`.
fn valid_name(name: &str) -> bool {
    filter::parse_attr_path(name, 0).is_ok_and(|p| p.urn.is_none() && p.sub.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_rfc_examples_and_round_trips() {
        for text in [
            "members",
            "name.familyName",
            "addresses[type eq \"work\"]",
            "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]",
            "emails[type eq \"work\" and value ew \"example.com\"]",
            "addresses[type eq \"work\"].streetAddress",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            "emails[value eq \"a]b\"].display",
        ] {
            let p = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(p.to_string(), text);
            assert_eq!(parse(&p.to_string()).unwrap(), p);
        }
        let p = parse("emails[type eq \"work\"].value").unwrap();
        assert_eq!(p.attr.name, "emails");
        assert_eq!(p.sub_attribute(), Some("value"));
        assert!(p.filter.is_some());
    }

    #[test]
    fn refuses_malformed_paths_with_a_position() {
        for (text, pos) in [
            ("", 0),
            ("emails[type eq \"work\"", 6),
            ("emails[type eq]", 14),
            ("emails[type eq \"w\"]value", 19),
            ("emails[type eq \"w\"].", 19),
            ("name.givenName[type eq \"x\"]", 0),
            ("1abc", 0),
            ("a.b.c", 0),
        ] {
            let e = parse(text).expect_err(text);
            assert_eq!(e.pos, pos, "{text}: {e}");
        }
    }
}
