//! The canonical text of a filter: lower-case keywords, single spaces, JSON
//! string literals, and parentheses only where precedence needs them, so
//! that `parse(f.to_string()) == f`.

use std::fmt;

use super::ast::{AttrPath, CompValue, Filter};

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Null => f.write_str("null"),
            CompValue::Bool(b) => write!(f, "{b}"),
            CompValue::Number(n) => write!(f, "{n}"),
            CompValue::Str(s) => {
                let quoted = serde_json::to_string(s).map_err(|_| fmt::Error)?;
                f.write_str(&quoted)
            }
        }
    }
}

/// Binding strength: or < and < everything else.
fn rank(f: &Filter) -> u8 {
    match f {
        Filter::Or(..) => 0,
        Filter::And(..) => 1,
        _ => 2,
    }
}

fn operand(f: &mut fmt::Formatter<'_>, node: &Filter, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({node})")
    } else {
        write!(f, "{node}")
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Present(p) => write!(f, "{p} pr"),
            Filter::Compare(p, op, v) => write!(f, "{p} {op} {v}"),
            Filter::ValuePath(p, inner) => write!(f, "{p}[{inner}]"),
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::And(a, b) | Filter::Or(a, b) => {
                let me = rank(self);
                let word = if me == 0 { "or" } else { "and" };
                // Left-associative: a same-rank left operand needs no parentheses.
                operand(f, a, rank(a) < me)?;
                write!(f, " {word} ")?;
                operand(f, b, rank(b) <= me)
            }
        }
    }
}
