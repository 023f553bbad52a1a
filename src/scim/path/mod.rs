//! PATCH paths (RFC 7644 §3.5.2, ABNF in §3.10 Figure 1):
//! `PATH = attrPath / valuePath [subAttr]`. The AST reuses the filter's
//! attribute path and filter; the parser keeps positions for errors and the
//! `Display` is canonical, so `parse(p.to_string()) == p`.

mod parse;

use std::fmt;

pub use parse::parse;

use super::filter::{AttrPath, Filter, Span};

/// A PATCH operation's target.
#[derive(Clone, Debug, PartialEq)]
pub struct PatchPath {
    /// The attribute: `[URN ":"] name ["." sub]`. With a value filter it has
    /// no sub-attribute here; the one after `]` is in `sub`.
    pub attr: AttrPath,
    /// `attr[filter]`: selects values of a multi-valued attribute.
    pub filter: Option<Filter>,
    /// The sub-attribute after a value filter: `emails[type eq "work"].value`.
    pub sub: Option<String>,
    pub span: Span,
}

impl PatchPath {
    /// The sub-attribute the path ends in, wherever it was written.
    pub fn sub_attribute(&self) -> Option<&str> {
        self.sub.as_deref().or(self.attr.sub.as_deref())
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}
