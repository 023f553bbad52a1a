//! Loading suite files: YAML with positions, validation against
//! `suites/suite.schema.json`, then the checks no schema can make (known
//! requirement ids, levels, unique case ids, known built-in checks).

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use include_dir::{include_dir, Dir};
use serde_json::Value;

use super::model::{Case, Origin, Step, SuiteFile};
use super::yaml::{self, Positioned};
use crate::rfc::{self, Level};
use crate::source::SourceError;

/// The suites shipped in the binary.
static DEFAULT_SUITES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/suites");

/// The suite file format.
pub const SUITE_SCHEMA: &str = include_str!("../../suites/suite.schema.json");

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let schema: Value = serde_json::from_str(SUITE_SCHEMA).expect("suite schema is JSON");
        jsonschema::validator_for(&schema).expect("suite schema is a valid JSON Schema")
    })
}

/// A validator for one definition of the suite schema, for precise errors
/// inside `oneOf` alternatives.
fn http_step_validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let mut schema: Value = serde_json::from_str(SUITE_SCHEMA).expect("suite schema is JSON");
        let defs = schema["$defs"].take();
        let sub = serde_json::json!({"$ref": "#/$defs/http_step", "$defs": defs});
        jsonschema::validator_for(&sub).expect("http_step is a valid JSON Schema")
    })
}

/// Loads the suites built into the binary.
pub fn load_default(known_checks: &[&str]) -> Result<Vec<Case>, SourceError> {
    let mut files = vec![];
    collect_embedded(&DEFAULT_SUITES, &mut files);
    files.sort();
    let mut loader = Loader::new(known_checks);
    for (name, text) in files {
        loader.add(&format!("suites/{name}"), &text)?;
    }
    Ok(loader.cases)
}

fn collect_embedded(dir: &Dir<'_>, out: &mut Vec<(String, String)>) {
    for file in dir.files() {
        let path = file.path().to_string_lossy().to_string();
        if is_suite_file(&path) {
            out.push((path, file.contents_utf8().unwrap_or_default().to_string()));
        }
    }
    for sub in dir.dirs() {
        collect_embedded(sub, out);
    }
}

fn is_suite_file(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

/// Loads one suite file's text (for tests and tools).
pub fn load_str(name: &str, text: &str, known_checks: &[&str]) -> Result<Vec<Case>, SourceError> {
    let mut loader = Loader::new(known_checks);
    loader.add(name, text)?;
    Ok(loader.cases)
}

/// Loads every `*.yaml` file below each directory (or the files themselves).
pub fn load_paths(
    paths: &[impl AsRef<Path>],
    known_checks: &[&str],
) -> Result<Vec<Case>, SourceError> {
    let mut files = vec![];
    for p in paths {
        let p = p.as_ref();
        if p.is_file() {
            files.push(p.to_path_buf());
        } else if p.is_dir() {
            walk(p, &mut files).map_err(|e| plain_error(p, &e.to_string()))?;
        } else {
            return Err(plain_error(p, "no such file or directory"));
        }
    }
    files.sort();
    let mut loader = Loader::new(known_checks);
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| plain_error(&f, &e.to_string()))?;
        loader.add(&f.display().to_string(), &text)?;
    }
    if loader.cases.is_empty() {
        let shown: Vec<String> = paths
            .iter()
            .map(|p| p.as_ref().display().to_string())
            .collect();
        return Err(plain_error(
            Path::new(&shown.join(", ")),
            "no suite files (*.yaml) found",
        ));
    }
    Ok(loader.cases)
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if is_suite_file(&path.to_string_lossy()) {
            out.push(path);
        }
    }
    Ok(())
}

fn plain_error(path: &Path, message: &str) -> SourceError {
    SourceError {
        file: path.display().to_string(),
        pos: Default::default(),
        message: message.to_string(),
        line_text: None,
    }
}

/// Accumulates cases from several files, checking ids across them.
pub struct Loader<'a> {
    known_checks: &'a [&'a str],
    pub cases: Vec<Case>,
    ids: HashMap<String, Origin>,
}

impl<'a> Loader<'a> {
    pub fn new(known_checks: &'a [&'a str]) -> Self {
        Loader {
            known_checks,
            cases: vec![],
            ids: HashMap::new(),
        }
    }

    /// Parses, validates and resolves one file's text.
    pub fn add(&mut self, file: &str, text: &str) -> Result<(), SourceError> {
        let doc = yaml::parse(text).map_err(|e| {
            SourceError::new(file, text, e.pos, format!("invalid YAML: {}", e.message))
        })?;
        let at = |pointer: &str, message: String| {
            SourceError::new(file, text, doc.pos(pointer), message)
        };
        if let Some((pointer, message)) = schema_error(&doc) {
            return Err(at(&pointer, message));
        }
        let suite: SuiteFile = serde_json::from_value(doc.value.clone())
            .map_err(|e| at("", format!("invalid suite: {e}")))?;
        for (i, mut case) in suite.cases.into_iter().enumerate() {
            let pointer = format!("/cases/{i}");
            case.area = suite.area.clone();
            case.population = suite.population.clone();
            case.origin = Origin {
                file: file.to_string(),
                pos: doc.pos(&pointer),
            };
            self.resolve(&case, &pointer).map_err(|(p, m)| at(&p, m))?;
            if let Some(first) = self.ids.get(&case.id) {
                return Err(at(
                    &format!("{pointer}/id"),
                    format!(
                        "duplicate case id `{}` (first at {}:{})",
                        case.id, first.file, first.pos.line
                    ),
                ));
            }
            self.ids.insert(case.id.clone(), case.origin.clone());
            self.cases.push(case);
        }
        Ok(())
    }

    fn resolve(&self, case: &Case, pointer: &str) -> Result<(), (String, String)> {
        if !case.id.starts_with(&format!("{}.", case.area)) {
            return Err((
                format!("{pointer}/id"),
                format!(
                    "case id `{}` must start with its area `{}.`",
                    case.id, case.area
                ),
            ));
        }
        let catalog = rfc::catalog();
        let mut strongest: Option<Level> = None;
        for (i, id) in case.requirements.iter().enumerate() {
            let Some(req) = catalog.get(id) else {
                return Err((
                    format!("{pointer}/requirements/{i}"),
                    format!("unknown requirement id `{id}` (see suites/requirements.tsv)"),
                ));
            };
            strongest = match (strongest, req.level()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        if let Some(strongest) = strongest {
            if case.level < strongest {
                return Err((
                    format!("{pointer}/level"),
                    format!(
                        "level {} is stronger than any cited requirement (strongest: {strongest})",
                        case.level
                    ),
                ));
            }
        }
        for (i, step) in case.steps.iter().enumerate() {
            if let Step::Query(q) = step {
                for (j, m) in q.expect_members.iter().flatten().enumerate() {
                    if !case.population.contains_key(m) {
                        return Err((
                            format!("{pointer}/steps/{i}/expect_members/{j}"),
                            format!("`{m}` is not in this file's population"),
                        ));
                    }
                }
            }
            if let Step::Check(c) = step {
                if !self.known_checks.contains(&c.check.as_str()) {
                    return Err((
                        format!("{pointer}/steps/{i}/check"),
                        format!(
                            "unknown check `{}`; known: {}",
                            c.check,
                            self.known_checks.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The most specific schema violation, as (pointer, message).
fn schema_error(doc: &Positioned) -> Option<(String, String)> {
    // Every violation, made precise, then the first one in the file.
    let found: Vec<(String, String)> = validator()
        .iter_errors(&doc.value)
        .map(|e| refine(doc, located(&e)))
        .collect();
    let (pointer, message) = found
        .into_iter()
        .min_by_key(|(p, _)| (doc.pos(p), std::cmp::Reverse(p.len())))?;
    let shown = if pointer.is_empty() {
        "the file".to_string()
    } else {
        format!("`{pointer}`")
    };
    Some((pointer, format!("{shown}: {message}")))
}

/// A step matching neither step form gets the HTTP-step form's own error.
fn refine(doc: &Positioned, (pointer, message): (String, String)) -> (String, String) {
    let step = doc
        .value
        .pointer(&pointer)
        .filter(|v| v.get("check").is_none());
    if let (Some(step), true) = (step, is_step_pointer(&pointer)) {
        let inner: Vec<_> = http_step_validator()
            .iter_errors(step)
            .map(|e| located(&e))
            .collect();
        if let Some((inner_pointer, inner_message)) = inner.into_iter().next() {
            return (format!("{pointer}{inner_pointer}"), inner_message);
        }
    }
    (pointer, message)
}

/// The pointer an error is about: an unexpected key rather than its object.
fn located(e: &jsonschema::ValidationError<'_>) -> (String, String) {
    let pointer = e.instance_path().as_str().to_string();
    match e.kind() {
        jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected }
            if !unexpected.is_empty() =>
        {
            (
                format!(
                    "{pointer}/{}",
                    unexpected[0].replace('~', "~0").replace('/', "~1")
                ),
                format!("unknown key `{}` here", unexpected[0]),
            )
        }
        _ => (pointer, e.to_string()),
    }
}

fn is_step_pointer(pointer: &str) -> bool {
    let parts: Vec<&str> = pointer.split('/').collect();
    parts.len() == 5 && parts[1] == "cases" && parts[3] == "steps"
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "area: crud
cases:
  - id: crud.example
    title: An example case that passes validation
    level: MUST
    requirements: [R7644-3.3-07]
    steps:
      - method: GET
        path: /Users
        expect: {status: 200}
";

    fn load(text: &str) -> Result<Vec<Case>, SourceError> {
        let mut l = Loader::new(&["discovery.example"]);
        l.add("t.yaml", text)?;
        Ok(l.cases)
    }

    #[test]
    fn a_valid_file_loads() {
        let cases = load(GOOD).unwrap();
        assert_eq!(cases[0].area, "crud");
        assert_eq!(cases[0].origin.pos.line, 3);
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = load(&GOOD.replace("level: MUST", "level: MOST")).unwrap_err();
        assert_eq!((e.pos.line, e.pos.col), (5, 12), "{e}");
        assert!(e.message.contains("/cases/0/level"), "{e}");

        let e = load(&GOOD.replace("R7644-3.3-07", "R7644-3.3-99")).unwrap_err();
        assert_eq!(e.pos.line, 6);
        assert!(e.message.contains("unknown requirement id"), "{e}");

        let e = load(&GOOD.replace("path: /Users", "path: /Users\n        bogus: 1")).unwrap_err();
        assert_eq!((e.pos.line, e.pos.col), (10, 16), "{e}");

        let e = load(&GOOD.replace("[R7644-3.3-07]", "[R7644-3.3-08]")).unwrap_err();
        assert!(
            e.message.contains("stronger than any cited requirement"),
            "{e}"
        );

        let e = load("area: crud\ncases: [\n").unwrap_err();
        assert!(e.message.starts_with("invalid YAML"), "{e}");
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let mut l = Loader::new(&[]);
        l.add("a.yaml", GOOD).unwrap();
        let e = l.add("b.yaml", GOOD).unwrap_err();
        assert!(e.message.contains("duplicate case id"), "{e}");
        assert_eq!(e.file, "b.yaml");
    }
}
