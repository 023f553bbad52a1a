//! Shapes of the reference server: legal ways a SCIM service provider can
//! differ from the full one (fewer attributes, other endpoint forms, stricter
//! rules, optional features off). Each shape is a valid server; the harness
//! must adapt to every one. Unlike a bug, a shape breaks no requirement.

use std::collections::BTreeSet;
use std::str::FromStr;

use serde_json::{json, Value};

use super::store::{Kind, Store, BADGE};
use super::App;
use crate::scim::{urn, Schema};

macro_rules! shapes {
    ($( $variant:ident = $name:literal, $desc:literal; )*) => {
        /// A legal shape the reference server can take.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Shape { $( $variant, )* }

        impl Shape {
            pub const ALL: &'static [Shape] = &[ $( Shape::$variant, )* ];

            pub fn name(self) -> &'static str {
                match self { $( Shape::$variant => $name, )* }
            }

            pub fn description(self) -> &'static str {
                match self { $( Shape::$variant => $desc, )* }
            }
        }
    };
}

shapes! {
    Minimal = "minimal", "the User schema declares only userName, name, emails (value and primary, no type), active and the common attributes; no displayName, no extension";
    PathAbsoluteEndpoints = "path-absolute-endpoints", "ResourceType endpoints are path-absolute (\"/scim/v2/Users\")";
    AbsoluteEndpoints = "absolute-endpoints", "ResourceType endpoints are absolute URLs (\"http://host/scim/v2/Users\")";
    EmailUserName = "email-username", "userName must be an e-mail address, and emails are required and unique";
    FilterRefused = "filter-refused", "filtering is not supported: filter.supported is false and a filter is refused with 501";
    FilterUnderAdvertised = "filter-under-advertised", "filter.supported is false, yet filters work";
    CursorOnly = "cursor-only", "lists are paged by cursor only (RFC 9865), never by startIndex";
    NoMe = "no-me", "no /Me endpoint: it answers 404";
    NoEtag = "no-etag", "no ETags: etag.supported is false, no ETag header, no meta.version";
    NoPatch = "no-patch", "PATCH is not supported: patch.supported is false and PATCH answers 501";
    NoBulk = "no-bulk", "bulk is not supported: bulk.supported is false and POST /Bulk answers 501";
}

impl FromStr for Shape {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Shape::ALL
            .iter()
            .copied()
            .find(|b| b.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Shape::ALL.iter().map(|b| b.name()).collect();
                format!("unknown shape {s:?}; shapes: {}", names.join(", "))
            })
    }
}

impl Shape {
    /// The cases a clean server of this shape fails by design: the shapes
    /// that model a legal but discouraged choice (a warning, or a SHOULD
    /// the shape exists to show the harness finds).
    pub fn expected_findings(self) -> &'static [&'static str] {
        match self {
            Shape::AbsoluteEndpoints => &["discovery.resource-types.endpoint-relative"],
            // Schemas unlike RFC 7643 §8.7.1's, which it calls an example: a warning.
            Shape::Minimal | Shape::EmailUserName => &["discovery.schemas.core-match-rfc"],
            Shape::FilterUnderAdvertised => &["discovery.service-provider-config.filter-claim"],
            // 404 on /Me is legal (the subject may have no resource) but
            // cannot be told from a missing /Me: a warning.
            Shape::NoMe => &["errors.me"],
            // A legal choice that RFC 7644 §3.5 advises against.
            Shape::NoPatch => &["discovery.service-provider-config.patch-supported"],
            _ => &[],
        }
    }
}

/// `NAME<TAB>description` lines, for `scimitar serve --list-shapes`.
pub fn listing() -> String {
    Shape::ALL
        .iter()
        .map(|s| format!("{}\t{}\n", s.name(), s.description()))
        .collect()
}

/// Shapes by name (an unknown name is an error that lists the known ones).
pub fn parse(names: &[String]) -> Result<Shapes, String> {
    let shapes: Result<Vec<Shape>, String> = names.iter().map(|n| n.parse()).collect();
    shapes.map(Shapes::of)
}

/// The shapes a server has.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shapes(BTreeSet<Shape>);

impl Shapes {
    pub fn of(shapes: impl IntoIterator<Item = Shape>) -> Self {
        Shapes(shapes.into_iter().collect())
    }

    pub fn has(&self, shape: Shape) -> bool {
        self.0.contains(&shape)
    }

    pub fn iter(&self) -> impl Iterator<Item = Shape> + '_ {
        self.0.iter().copied()
    }
}

/// What a server of some shapes declares and enforces: its schemas (as
/// served and parsed) and each resource type's extensions.
#[derive(Clone, Debug)]
pub struct Model {
    schema_json: Vec<Value>,
    schemas: Vec<Schema>,
    user_extensions: Vec<&'static str>,
}

/// The User attributes the minimal shape keeps, with the sub-attributes kept.
const MINIMAL_USER: &[(&str, &[&str])] = &[
    ("userName", &[]),
    ("name", &["formatted", "familyName", "givenName"]),
    ("emails", &["value", "primary"]),
    ("active", &[]),
];

impl Model {
    pub fn new(shapes: &Shapes) -> Model {
        let mut schema_json = super::store::schema_json();
        let mut user_extensions = vec![urn::ENTERPRISE_USER, BADGE];
        if shapes.has(Shape::Minimal) {
            user_extensions.clear();
            schema_json.retain(|s| s["id"] == json!(urn::USER) || s["id"] == json!(urn::GROUP));
            for s in schema_json
                .iter_mut()
                .filter(|s| s["id"] == json!(urn::USER))
            {
                keep_attributes(&mut s["attributes"], MINIMAL_USER);
            }
        }
        if shapes.has(Shape::EmailUserName) {
            for s in schema_json
                .iter_mut()
                .filter(|s| s["id"] == json!(urn::USER))
            {
                for a in s["attributes"].as_array_mut().into_iter().flatten() {
                    if a["name"] == json!("emails") {
                        a["required"] = json!(true);
                        for sub in a["subAttributes"].as_array_mut().into_iter().flatten() {
                            if sub["name"] == json!("value") {
                                sub["required"] = json!(true);
                                sub["uniqueness"] = json!("server");
                            }
                        }
                    }
                }
            }
        }
        let schemas = schema_json
            .iter()
            .map(|s| Schema::from_json(s).expect("shaped schemas follow RFC 7643 §7"))
            .collect();
        Model {
            schema_json,
            schemas,
            user_extensions,
        }
    }

    /// The schemas as /Schemas serves them (without meta).
    pub fn schema_json(&self) -> &[Value] {
        &self.schema_json
    }

    /// Every schema the server declares.
    pub fn schemas(&self) -> &[Schema] {
        &self.schemas
    }

    /// The extension schemas of a resource type.
    pub fn extensions(&self, kind: Kind) -> &[&'static str] {
        match kind {
            Kind::User => &self.user_extensions,
            Kind::Group => &[],
        }
    }

    /// The schemas of a resource type: its core schema and its extensions.
    pub fn schemas_of(&self, kind: Kind) -> Vec<Schema> {
        self.schemas
            .iter()
            .filter(|s| s.id == kind.schema() || self.extensions(kind).contains(&s.id.as_str()))
            .cloned()
            .collect()
    }
}

/// Keeps only the named attributes, and of each only the named sub-attributes.
fn keep_attributes(attrs: &mut Value, keep: &[(&str, &[&str])]) {
    let Some(list) = attrs.as_array_mut() else {
        return;
    };
    list.retain(|a| keep.iter().any(|(n, _)| a["name"] == json!(n)));
    for a in list.iter_mut() {
        let subs = keep
            .iter()
            .find(|(n, _)| a["name"] == json!(n))
            .map(|(_, s)| *s)
            .unwrap_or_default();
        if let Some(list) = a.get_mut("subAttributes").and_then(Value::as_array_mut) {
            list.retain(|s| subs.iter().any(|n| s["name"] == json!(n)));
        }
    }
}

/// Why a create or replace body breaks a rule of the server's shape, if it
/// does: the email-username shape wants an e-mail userName and an e-mail.
pub(super) fn refusal(app: &App, kind: Kind, attrs: &Value) -> Option<super::validate::Rejection> {
    if kind != Kind::User || !app.shape(Shape::EmailUserName) {
        return None;
    }
    let name = attrs["userName"].as_str().unwrap_or("");
    if !is_email(name) {
        return Some((
            400,
            "invalidValue",
            format!("userName must be an e-mail address, not {name:?}"),
        ));
    }
    if emails_of(attrs).next().is_none() {
        return Some((400, "invalidValue", "emails is required".into()));
    }
    None
}

fn emails_of(attrs: &Value) -> impl Iterator<Item = String> + '_ {
    attrs["emails"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["value"].as_str())
        .map(str::to_lowercase)
}

/// An e-mail address of `attrs` that another live User has, under the
/// email-username shape (emails.value is unique there).
pub(super) fn email_taken(
    app: &App,
    store: &Store,
    kind: Kind,
    attrs: &Value,
    except: Option<&str>,
) -> Option<String> {
    if kind != Kind::User || !app.shape(Shape::EmailUserName) {
        return None;
    }
    let mine: BTreeSet<String> = emails_of(attrs).collect();
    store
        .list(kind)
        .filter(|e| Some(e.id.as_str()) != except)
        .flat_map(|e| emails_of(&e.attrs).collect::<Vec<_>>())
        .find(|v| mine.contains(v))
}

/// Whether a userName is an e-mail address as the email-username shape
/// requires: a local part, `@`, and a domain with a dot.
pub fn is_email(s: &str) -> bool {
    s.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && domain
                .split('.')
                .all(|label| !label.is_empty() && !label.contains('@'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_describe() {
        for s in Shape::ALL {
            assert_eq!(s.name().parse::<Shape>().unwrap(), *s);
            assert!(!s.description().is_empty());
        }
        assert!("nope".parse::<Shape>().unwrap_err().contains("minimal"));
    }

    #[test]
    fn the_minimal_model_declares_only_its_attributes() {
        let m = Model::new(&Shapes::of([Shape::Minimal]));
        let user = m.schemas().iter().find(|s| s.id == urn::USER).unwrap();
        let names: Vec<&str> = user.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["userName", "name", "active", "emails"]);
        assert!(user.attribute("emails.type").is_none());
        assert!(user.attribute("emails.value").is_some());
        assert!(m.extensions(Kind::User).is_empty());
        assert_eq!(m.schemas_of(Kind::User).len(), 1);
        let full = Model::new(&Shapes::default());
        assert_eq!(full.schemas_of(Kind::User).len(), 3);
        assert!(full
            .schemas()
            .iter()
            .any(|s| s.attribute("displayName").is_some() && s.id == urn::USER));
    }

    #[test]
    fn the_email_model_requires_unique_emails() {
        let m = Model::new(&Shapes::of([Shape::EmailUserName, Shape::Minimal]));
        let user = m.schemas().iter().find(|s| s.id == urn::USER).unwrap();
        let emails = user.attribute("emails").unwrap();
        assert!(emails.required);
        let value = user.attribute("emails.value").unwrap();
        assert_eq!(value.uniqueness, crate::scim::Uniqueness::Server);
    }

    #[test]
    fn e_mail_addresses() {
        for ok in ["a@example.com", "scimitar-1a2b-3@example.invalid"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "a",
            "a@b",
            "@example.com",
            "a@@example.com",
            "a@example.",
            "a@.com",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }
}
