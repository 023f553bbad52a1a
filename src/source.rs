//! Positions in files users write (suites), and errors that point at them.
//!
//! An error renders like a compiler's: the message, `--> file:line:column`,
//! the offending line and a caret under the column.

use std::fmt;

/// A 1-based line and column in a text file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default, serde::Serialize)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// An error in a user-written file, with the place it points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceError {
    pub file: String,
    pub pos: Pos,
    pub message: String,
    /// The text of the offending line, if known.
    pub line_text: Option<String>,
}

impl SourceError {
    /// Builds an error at `pos` in `file`, taking the line's text from `source`.
    pub fn new(file: &str, source: &str, pos: Pos, message: impl Into<String>) -> Self {
        let line_text = source
            .lines()
            .nth(pos.line.saturating_sub(1))
            .map(|l| l.to_string());
        SourceError {
            file: file.to_string(),
            pos,
            message: message.into(),
            line_text,
        }
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        write!(f, "  --> {}:{}:{}", self.file, self.pos.line, self.pos.col)?;
        if let Some(text) = &self.line_text {
            let num = self.pos.line.to_string();
            let pad = " ".repeat(num.len());
            writeln!(f)?;
            writeln!(f, "{pad} |")?;
            writeln!(f, "{num} | {text}")?;
            let caret_pad = " ".repeat(self.pos.col.saturating_sub(1));
            write!(f, "{pad} | {caret_pad}^")?;
        }
        Ok(())
    }
}

impl std::error::Error for SourceError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_column_and_caret() {
        let src = "a: 1\nbb: oops\n";
        let e = SourceError::new("x.yaml", src, Pos { line: 2, col: 5 }, "bad value");
        let text = e.to_string();
        assert_eq!(
            text,
            "error: bad value\n  --> x.yaml:2:5\n  |\n2 | bb: oops\n  |     ^"
        );
    }
}
