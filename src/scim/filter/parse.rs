//! The filter parser: RFC 7644 §3.4.2.2 (Figure 1 ABNF) with `or` binding
//! loosest, then `and`, then `not` and grouping. Keywords, operators and
//! attribute names are case-insensitive; errors carry the byte position.

use std::fmt;

use super::ast::{AttrPath, CompValue, CompareOp, Filter, Span};

/// A filter that does not follow the grammar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    /// Byte offset into the filter text.
    pub pos: usize,
    pub message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at position {}", self.message, self.pos + 1)
    }
}

impl std::error::Error for FilterError {}

/// Deeper nesting than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 64;

/// Parses a filter.
pub fn parse(text: &str) -> Result<Filter, FilterError> {
    let mut p = Parser {
        s: text,
        pos: 0,
        depth: 0,
    };
    let f = p.or_expr(false)?;
    p.skip_ws();
    if p.pos < text.len() {
        return Err(p.error("unexpected text after the filter"));
    }
    Ok(f)
}

fn is_delim(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"')
}

fn valid_name(name: &str) -> bool {
    if name.eq_ignore_ascii_case("$ref") {
        return true;
    }
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Parses `[URI ":"] ATTRNAME ["." ATTRNAME]`; `offset` places errors.
pub fn parse_attr_path(text: &str, offset: usize) -> Result<AttrPath, FilterError> {
    let err = |message: String| FilterError {
        pos: offset,
        message,
    };
    let (urn, rest) = match text.rfind(':') {
        Some(i) => {
            let urn = &text[..i];
            if !urn.to_ascii_lowercase().starts_with("urn:") {
                return Err(err(format!("`{text}` is not an attribute path")));
            }
            (Some(urn.to_string()), &text[i + 1..])
        }
        None => (None, text),
    };
    let (name, sub) = match rest.split_once('.') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    if !valid_name(name) || sub.is_some_and(|s| !valid_name(s)) {
        return Err(err(format!("`{text}` is not an attribute path")));
    }
    Ok(AttrPath {
        urn,
        name: name.to_string(),
        sub: sub.map(str::to_string),
        span: Span {
            start: offset,
            end: offset + text.len(),
        },
    })
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn error(&self, message: &str) -> FilterError {
        FilterError {
            pos: self.pos,
            message: message.to_string(),
        }
    }

    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn skip_ws(&mut self) -> bool {
        let before = self.pos;
        let trimmed = self.rest().trim_start();
        self.pos = self.s.len() - trimmed.len();
        self.pos > before
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// The next word (up to whitespace or a delimiter), without consuming it.
    fn peek_word(&self) -> &'a str {
        let rest = self.rest();
        let end = rest.find(is_delim).unwrap_or(rest.len());
        &rest[..end]
    }

    fn take_word(&mut self) -> (usize, &'a str) {
        let start = self.pos;
        let w = self.peek_word();
        self.pos += w.len();
        (start, w)
    }

    /// A keyword (`and`, `or`) after whitespace, consumed with the whitespace after it.
    fn keyword(&mut self, kw: &str) -> bool {
        let save = self.pos;
        if self.skip_ws() && self.peek_word().eq_ignore_ascii_case(kw) {
            self.pos += kw.len();
            if self.skip_ws() || self.peek() == Some('(') {
                return true;
            }
        }
        self.pos = save;
        false
    }

    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("the filter is nested too deeply"));
        }
        Ok(())
    }

    fn or_expr(&mut self, in_vp: bool) -> Result<Filter, FilterError> {
        self.enter()?;
        let mut left = self.and_expr(in_vp)?;
        while self.keyword("or") {
            let right = self.and_expr(in_vp)?;
            left = Filter::or(left, right);
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and_expr(&mut self, in_vp: bool) -> Result<Filter, FilterError> {
        let mut left = self.unary(in_vp)?;
        while self.keyword("and") {
            let right = self.unary(in_vp)?;
            left = Filter::and(left, right);
        }
        Ok(left)
    }

    fn expect(&mut self, c: char, what: &str) -> Result<(), FilterError> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected `{c}` {what}")))
        }
    }

    fn unary(&mut self, in_vp: bool) -> Result<Filter, FilterError> {
        self.skip_ws();
        match self.peek() {
            None => return Err(self.error("expected an expression")),
            Some('(') => {
                self.pos += 1;
                let inner = self.or_expr(in_vp)?;
                self.expect(')', "to close the group")?;
                return Ok(inner);
            }
            _ => {}
        }
        if self.peek_word().eq_ignore_ascii_case("not") {
            let save = self.pos;
            self.pos += 3;
            self.skip_ws();
            if self.peek() == Some('(') {
                self.pos += 1;
                let inner = self.or_expr(in_vp)?;
                self.expect(')', "to close `not (`")?;
                return Ok(Filter::negate(inner));
            }
            self.pos = save;
        }
        let (start, word) = self.take_word();
        if word.is_empty() {
            return Err(self.error("expected an attribute path"));
        }
        let path = parse_attr_path(word, start)?;
        if self.peek() == Some('[') {
            if in_vp {
                return Err(self.error("a value path cannot be nested in another"));
            }
            if path.sub.is_some() {
                return Err(FilterError {
                    pos: start,
                    message: "a value path applies to an attribute, not a sub-attribute".into(),
                });
            }
            self.pos += 1;
            let inner = self.or_expr(true)?;
            self.expect(']', "to close the value path")?;
            if self.peek() == Some('.') {
                return Err(self.error(
                    "a sub-attribute after a value path is PATCH path syntax, not a filter",
                ));
            }
            return Ok(Filter::ValuePath(path, Box::new(inner)));
        }
        if !self.skip_ws() {
            return Err(self.error("expected a space and an operator after the attribute path"));
        }
        let (op_pos, op) = self.take_word();
        if op.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::parse(op) else {
            let shown = if op.is_empty() {
                self.peek().map(String::from).unwrap_or_default()
            } else {
                op.to_string()
            };
            return Err(FilterError {
                pos: op_pos,
                message: format!("unknown operator `{shown}`"),
            });
        };
        if !self.skip_ws() {
            return Err(self.error("expected a space and a value after the operator"));
        }
        let value = self.value()?;
        Ok(Filter::Compare(path, op, value))
    }

    fn value(&mut self) -> Result<CompValue, FilterError> {
        if self.peek() == Some('"') {
            return self.string();
        }
        let (start, word) = self.take_word();
        match word {
            "true" => Ok(CompValue::Bool(true)),
            "false" => Ok(CompValue::Bool(false)),
            "null" => Ok(CompValue::Null),
            "" => Err(self.error("expected a value")),
            w => {
                let json_number = w.starts_with(|c: char| c == '-' || c.is_ascii_digit());
                match serde_json::from_str::<serde_json::Number>(w) {
                    Ok(n) if json_number => Ok(CompValue::Number(n)),
                    _ => Err(FilterError {
                        pos: start,
                        message: format!("`{w}` is not a value (strings need double quotes)"),
                    }),
                }
            }
        }
    }

    fn string(&mut self) -> Result<CompValue, FilterError> {
        let start = self.pos;
        let mut escaped = false;
        for (i, c) in self.rest().char_indices().skip(1) {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                let literal = &self.s[start..start + i + 1];
                self.pos = start + i + 1;
                return serde_json::from_str::<String>(literal)
                    .map(CompValue::Str)
                    .map_err(|e| FilterError {
                        pos: start,
                        message: format!("invalid string: {e}"),
                    });
            }
        }
        Err(FilterError {
            pos: start,
            message: "unterminated string".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(name: &str, op: CompareOp, v: CompValue) -> Filter {
        Filter::Compare(AttrPath::new(None, name, None), op, v)
    }

    fn s(v: &str) -> CompValue {
        CompValue::Str(v.into())
    }

    #[test]
    fn the_rfc_examples_parse() {
        // RFC 7644 §3.4.2.2, Figure 2 and the examples around it.
        for f in [
            r#"userName Eq "john""#,
            r#"Username eq "john""#,
            r#"userName eq "bjensen""#,
            r#"name.familyName co "O'Malley""#,
            r#"userName sw "J""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            r#"title pr"#,
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
            r#"title pr and userType eq "Employee""#,
            r#"title pr or userType eq "Intern""#,
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType eq "Employee" and (emails.type eq "work")"#,
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        ] {
            let parsed = parse(f).unwrap_or_else(|e| panic!("{f}: {e}"));
            assert_eq!(parse(&parsed.to_string()).unwrap(), parsed, "{f}");
        }
    }

    #[test]
    fn precedence_is_or_then_and_then_not() {
        let a = cmp("a", CompareOp::Eq, s("1"));
        let b = cmp("b", CompareOp::Eq, s("2"));
        let c = cmp("c", CompareOp::Eq, s("3"));
        assert_eq!(
            parse(r#"a eq "1" or b eq "2" and c eq "3""#).unwrap(),
            Filter::or(a.clone(), Filter::and(b.clone(), c.clone()))
        );
        assert_eq!(
            parse(r#"(a eq "1" or b eq "2") and c eq "3""#).unwrap(),
            Filter::and(Filter::or(a.clone(), b.clone()), c.clone())
        );
        assert_eq!(
            parse(r#"not(a eq "1") AND b eq "2""#).unwrap(),
            Filter::and(Filter::negate(a.clone()), b.clone())
        );
        let right = Filter::and(a.clone(), Filter::and(b, c));
        assert_eq!(right.to_string(), r#"a eq "1" and (b eq "2" and c eq "3")"#);
        assert_eq!(parse(&right.to_string()).unwrap(), right);
    }

    #[test]
    fn values_and_paths() {
        let f = parse(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x\"y""#,
        )
        .unwrap();
        let Filter::Compare(p, CompareOp::Eq, CompValue::Str(v)) = &f else {
            panic!("{f:?}")
        };
        assert_eq!(
            p.urn.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        assert_eq!(
            (p.name.as_str(), p.sub.as_deref(), v.as_str()),
            ("manager", Some("value"), "x\"y")
        );
        assert_eq!(p.span.start, 0);
        assert!(matches!(
            parse("active eq true").unwrap(),
            Filter::Compare(_, _, CompValue::Bool(true))
        ));
        assert!(matches!(
            parse("x eq -1.5e3").unwrap(),
            Filter::Compare(_, _, CompValue::Number(_))
        ));
        assert!(matches!(
            parse("x eq null").unwrap(),
            Filter::Compare(_, _, CompValue::Null)
        ));
        assert_eq!(
            parse(r#"userName eq "a b and c""#).unwrap(),
            cmp("userName", CompareOp::Eq, s("a b and c"))
        );
    }

    #[test]
    fn errors_name_the_position() {
        let cases = [
            (r#"userName eq"#, 11, "expected a space and a value"),
            (r#"userName xx "a""#, 9, "unknown operator `xx`"),
            (r#"userName eq john"#, 12, "is not a value"),
            (r#"userName eq "john"#, 12, "unterminated string"),
            (r#"(userName eq "a""#, 16, "expected `)`"),
            (
                r#"emails[type eq "work"].value eq "x""#,
                22,
                "PATCH path syntax",
            ),
            (r#"emails[type eq "work"#, 15, "unterminated"),
            (r#"a eq "1" b"#, 9, "unexpected text"),
            (r#"1abc eq "x""#, 0, "not an attribute path"),
            (r#""#, 0, "expected an expression"),
            (r#"a eq "1" and"#, 9, "unexpected text"),
        ];
        for (text, pos, msg) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.message.contains(msg), "{text}: {e}");
            assert_eq!(e.pos, pos, "{text}: {e}");
        }
        let deep = format!("{}a pr{}", "(".repeat(200), ")".repeat(200));
        assert!(parse(&deep)
            .unwrap_err()
            .message
            .contains("nested too deeply"));
    }
}
