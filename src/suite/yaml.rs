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

enum Frame {
    Seq(Vec<Value>, String),
    Map(Map<String, Value>, String, Option<String>),
}

struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Value>,
    anchor_of: Vec<usize>,
    root: Option<Value>,
    positions: HashMap<String, Pos>,
    error: Option<YamlError>,
    docs: usize,
}

fn pos_of(m: &Marker) -> Pos {
    Pos {
        line: m.line(),
        col: m.col() + 1,
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
                pos: pos_of(mark),
                message: message.into(),
            });
        }
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
                self.positions.insert(map_ptr.clone(), pos_of(&mark));
            }
        }
        if let Some(p) = &pointer {
            if !matches!(ev, Event::SequenceEnd | Event::MappingEnd) {
                self.positions.entry(p.clone()).or_insert(pos_of(&mark));
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
                if anchor > 0 {
                    self.anchors.insert(anchor, value.clone());
                }
                self.add(value, &mark);
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(v) => self.add(v, &mark),
                None => self.fail(&mark, "unknown alias"),
            },
            Event::SequenceStart(anchor, _) => {
                self.anchor_of.push(anchor);
                self.stack
                    .push(Frame::Seq(vec![], pointer.unwrap_or_default()));
            }
            Event::MappingStart(anchor, _) => {
                if pointer.is_none() {
                    return self.fail(&mark, "a mapping key must be a scalar");
                }
                self.anchor_of.push(anchor);
                self.stack
                    .push(Frame::Map(Map::new(), pointer.unwrap_or_default(), None));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let value = match self.stack.pop() {
                    Some(Frame::Seq(items, _)) => Value::Array(items),
                    Some(Frame::Map(map, _, _)) => Value::Object(map),
                    None => return,
                };
                let anchor = self.anchor_of.pop().unwrap_or(0);
                if anchor > 0 {
                    self.anchors.insert(anchor, value.clone());
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
        stack: vec![],
        anchors: HashMap::new(),
        anchor_of: vec![],
        root: None,
        positions: HashMap::new(),
        error: None,
        docs: 0,
    };
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut builder, false) {
        return Err(YamlError {
            pos: pos_of(e.marker()),
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
    fn anchors_and_aliases_copy_values() {
        let doc = parse("base: &b {x: 1}\ncopy: *b\n").unwrap();
        assert_eq!(doc.value["copy"], json!({"x": 1}));
    }
}
