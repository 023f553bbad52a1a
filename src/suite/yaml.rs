//! YAML text to a JSON value, remembering where each node starts, so that
//! errors found later (schema validation, resolution) point at `line:column`.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::source::Pos;

/// A parsed document and the position of every node, keyed by JSON pointer.
#[derive(Debug, Default)]
pub struct Positioned {
    pub value: Value,
    positions: HashMap<String, Pos>,
}

impl Positioned {
    /// The position of the node at `pointer`, or of its nearest ancestor.
    pub fn pos(&self, pointer: &str) -> Pos {
        let mut p = pointer.to_string();
        loop {
            if let Some(pos) = self.positions.get(&p) {
                return *pos;
            }
            match p.rfind('/') {
                Some(i) => p.truncate(i),
                None => return Pos { line: 1, col: 1 },
            }
        }
    }
}

/// A YAML syntax or structure error at a position.
#[derive(Debug)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

/// The most values a document may hold. Aliases copy what their anchor
/// holds, so a few hundred bytes of anchors and aliases can stand for
/// billions of values ("billion laughs"); real suite files hold thousands.
const MAX_VALUES: usize = 1_000_000;

enum Frame {
    Seq(Vec<Value>, String),
    Map(Map<String, Value>, String, Option<String>),
}

struct Builder {
    lines: Lines,
    stack: Vec<Frame>,
    /// Each anchor's value and how many values it holds.
    anchors: HashMap<usize, (Value, usize)>,
    /// The anchor of each open collection and the value count at its start.
    anchor_of: Vec<(usize, usize)>,
    /// Values in the document so far, aliases counted as what they copy.
    values: usize,
    root: Option<Value>,
    positions: HashMap<String, Pos>,
    error: Option<YamlError>,
    docs: usize,
}

/// Where each line starts (a char index), with lines split at `\n` as
/// `str::lines` splits them when an error shows its line: the scanner also
/// breaks lines at a lone `\r`, and its line numbers would then point past
/// the line shown.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Self {
        let breaks = text.chars().enumerate().filter(|&(_, c)| c == '\n');
        Lines(
            std::iter::once(0)
                .chain(breaks.map(|(i, _)| i + 1))
                .collect(),
        )
    }

    /// The line and column of a marker, from its char index.
    fn pos_of(&self, m: &Marker) -> Pos {
        let line = self.0.partition_point(|&start| start <= m.index());
        Pos {
            line,
            col: m.index() - self.0[line - 1] + 1,
        }
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

impl Builder {
    /// The pointer of the node about to be added, or None when it is a map key.
    fn next_pointer(&self) -> Option<String> {
        match self.stack.last() {
            None => Some(String::new()),
            Some(Frame::Seq(items, ptr)) => Some(format!("{ptr}/{}", items.len())),
            Some(Frame::Map(_, ptr, Some(key))) => Some(format!("{ptr}/{}", escape(key))),
            Some(Frame::Map(_, _, None)) => None,
        }
    }

    fn fail(&mut self, mark: &Marker, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(YamlError {
                pos: self.lines.pos_of(mark),
                message: message.into(),
            });
        }
    }

    /// Counts `n` more values; false (and an error) past [`MAX_VALUES`].
    fn grow(&mut self, n: usize, mark: &Marker) -> bool {
        self.values = self.values.saturating_add(n);
        if self.values > MAX_VALUES {
            self.fail(
                mark,
                format!(
                    "the document holds more than {MAX_VALUES} values (aliases repeat too much)"
                ),
            );
            return false;
        }
        true
    }

    fn add(&mut self, value: Value, mark: &Marker) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq(items, _)) => items.push(value),
            Some(Frame::Map(map, _, key)) => match key.take() {
                Some(k) => {
                    map.insert(k, value);
                }
                None => {
                    let k = match value {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Null => "null".into(),
                        _ => return self.fail(mark, "a mapping key must be a scalar"),
                    };
                    if map.contains_key(&k) {
                        return self.fail(mark, format!("duplicate key `{k}`"));
                    }
                    *key = Some(k);
                }
            },
        }
    }
}

fn scalar(text: String, style: TScalarStyle) -> Value {
    if style != TScalarStyle::Plain {
        return Value::String(text);
    }
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => {
            if let Ok(i) = text.parse::<i64>() {
                Value::Number(i.into())
            } else if let Some(n) = text
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && text.chars().any(|c| c.is_ascii_digit()))
                .and_then(Number::from_f64)
            {
                Value::Number(n)
            } else {
                Value::String(text)
            }
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let pointer = self.next_pointer();
        if let (None, Some(Frame::Map(map, map_ptr, _))) = (&pointer, self.stack.last()) {
            // A mapping starts where its first key does.
            if map.is_empty() {
                let pos = self.lines.pos_of(&mark);
                self.positions.insert(map_ptr.clone(), pos);
            }
        }
        if let Some(p) = &pointer {
            if !matches!(ev, Event::SequenceEnd | Event::MappingEnd) {
                let pos = self.lines.pos_of(&mark);
                self.positions.entry(p.clone()).or_insert(pos);
            }
        }
        match ev {
            Event::DocumentStart => {
                self.docs += 1;
                if self.docs > 1 {
                    self.fail(&mark, "a suite file holds one YAML document");
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let value = match tag {
                    Some(t) if t.suffix == "str" => Value::String(text),
                    _ => scalar(text, style),
                };
                if !self.grow(1, &mark) {
                    return;
                }
                if anchor > 0 {
                    self.anchors.insert(anchor, (value.clone(), 1));
                }
                self.add(value, &mark);
            }
            Event::Alias(id) => match self.anchors.get(&id).map(|(_, n)| *n) {
                Some(n) if !self.grow(n, &mark) => {}
                Some(_) => {
                    let v = self.anchors[&id].0.clone();
                    self.add(v, &mark)
                }
                None => self.fail(&mark, "unknown alias"),
            },
            Event::SequenceStart(anchor, _) => {
                self.anchor_of.push((anchor, self.values));
                if !self.grow(1, &mark) {
                    return;
                }
                self.stack
                    .push(Frame::Seq(vec![], pointer.unwrap_or_default()));
            }
            Event::MappingStart(anchor, _) => {
                if pointer.is_none() {
                    return self.fail(&mark, "a mapping key must be a scalar");
                }
                self.anchor_of.push((anchor, self.values));
                if !self.grow(1, &mark) {
                    return;
                }
                self.stack
                    .push(Frame::Map(Map::new(), pointer.unwrap_or_default(), None));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let value = match self.stack.pop() {
                    Some(Frame::Seq(items, _)) => Value::Array(items),
                    Some(Frame::Map(map, _, _)) => Value::Object(map),
                    None => return,
                };
                let (anchor, start) = self.anchor_of.pop().unwrap_or_default();
                if anchor > 0 {
                    self.anchors
                        .insert(anchor, (value.clone(), self.values - start));
                }
                self.add(value, &mark);
            }
            _ => {}
        }
    }
}

/// Parses one YAML document into JSON with positions.
pub fn parse(text: &str) -> Result<Positioned, YamlError> {
    let mut builder = Builder {
        lines: Lines::new(text),
        stack: vec![],
        anchors: HashMap::new(),
        anchor_of: vec![],
        values: 0,
        root: None,
        positions: HashMap::new(),
        error: None,
        docs: 0,
    };
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut builder, false) {
        return Err(YamlError {
            pos: builder.lines.pos_of(e.marker()),
            message: e.info().to_string(),
        });
    }
    if let Some(e) = builder.error {
        return Err(e);
    }
    Ok(Positioned {
        value: builder.root.unwrap_or(Value::Null),
        positions: builder.positions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_and_positions() {
        let doc =
            parse("area: crud\ncases:\n  - id: a\n    n: 3\n    s: '3'\n    b: true\n    x: ~\n")
                .unwrap();
        assert_eq!(
            doc.value,
            json!({"area": "crud", "cases": [{"id": "a", "n": 3, "s": "3", "b": true, "x": null}]})
        );
        assert_eq!(doc.pos("/area"), Pos { line: 1, col: 7 });
        assert_eq!(doc.pos("/cases/0/n"), Pos { line: 4, col: 8 });
        assert_eq!(doc.pos("/cases/0"), Pos { line: 3, col: 5 });
        // an unknown pointer falls back to its nearest known ancestor
        assert_eq!(doc.pos("/cases/0/n/deep"), Pos { line: 4, col: 8 });
    }

    #[test]
    fn syntax_errors_and_duplicate_keys_have_positions() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.pos.line >= 1, "{e:?}");
        let e = parse("a: 1\nb:\n  c: 1\n  c: 2\n").unwrap_err();
        assert_eq!(e.message, "duplicate key `c`");
        assert_eq!(e.pos, Pos { line: 4, col: 3 });
    }

    #[test]
    fn positions_count_lines_as_errors_show_them() {
        // A lone `\r` breaks a YAML line but not a line shown in an error
        // (found by the suite_load fuzz target: an error past the last line).
        let e = parse("a: 1\rb: [\rc").unwrap_err();
        assert_eq!(e.pos.line, 1, "{e:?}");
        assert!(e.pos.col > 10, "{e:?}");
        let doc = parse("a: 1\r\nb:\r\n  c: 2\r\n").unwrap();
        assert_eq!(doc.pos("/b/c"), Pos { line: 3, col: 6 });
        let doc = parse("x: é\ny: [é, 2]\n").unwrap();
        assert_eq!(doc.pos("/y/1"), Pos { line: 2, col: 8 });
    }

    #[test]
    fn aliases_cannot_blow_up_the_document() {
        // 511 bytes standing for 10^9 values took over 2 GB before the
        // limit (found by the suite_load fuzz target: out of memory).
        let mut text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n".to_string();
        for i in 1..9 {
            let aliases = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{aliases}]\n"));
        }
        let e = parse(&text).unwrap_err();
        assert!(e.message.contains("aliases repeat too much"), "{e:?}");
        assert_eq!(e.pos.line, 6, "{e:?}");
        // Up to the limit, aliases still copy.
        let lines: Vec<&str> = text.lines().take(5).collect();
        let doc = parse(&lines.join("\n")).unwrap();
        assert_eq!(doc.value["a4"][9][9][9][9][9], json!("x"));
    }

    #[test]
    fn anchors_and_aliases_copy_values() {
        let doc = parse("base: &b {x: 1}\ncopy: *b\n").unwrap();
        assert_eq!(doc.value["copy"], json!({"x": 1}));
    }
}
