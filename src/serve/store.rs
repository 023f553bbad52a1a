//! The reference server's in-memory resources and their representation.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::scim::urn;

/// The reference server's own extension schema (with writeOnly, immutable,
/// returned-request and server-unique attributes).
pub const BADGE: &str = "urn:scimitar:params:scim:schemas:extension:badge:2.0:User";
const BADGE_JSON: &str = include_str!("test_extension.json");

/// Every schema the full server declares, as JSON: RFC 7643's and its own
/// (a [`super::shape::Model`] narrows them).
pub fn schema_json() -> Vec<serde_json::Value> {
    let mut all = crate::scim::schema::core_schema_json();
    all.push(serde_json::from_str(BADGE_JSON).expect("the badge extension is JSON"));
    all
}

/// The resource types the reference server serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    User,
    Group,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Group => "Group",
        }
    }

    pub fn endpoint(self) -> &'static str {
        match self {
            Kind::User => "/Users",
            Kind::Group => "/Groups",
        }
    }

    pub fn schema(self) -> &'static str {
        match self {
            Kind::User => urn::USER,
            Kind::Group => urn::GROUP,
        }
    }

    /// The attribute that names the resource and must be present.
    pub fn name_attribute(self) -> &'static str {
        match self {
            Kind::User => "userName",
            Kind::Group => "displayName",
        }
    }
}

/// One stored resource: the client-controlled attributes plus bookkeeping.
#[derive(Clone, Debug)]
pub struct Entry {
    pub kind: Kind,
    pub id: String,
    /// Attributes without id, meta and computed ones.
    pub attrs: Value,
    pub password: Option<String>,
    pub created: String,
    pub modified: String,
    pub version: u64,
    /// Set by DELETE under the soft-delete bug.
    pub deleted: bool,
}

impl Entry {
    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.version)
    }

    pub fn location(&self, base: &str) -> String {
        format!("{base}{}/{}", self.kind.endpoint(), self.id)
    }
}

/// All resources of one server.
#[derive(Debug, Default)]
pub struct Store {
    /// Keyed by type and id: ids are unique across types (RFC 7643 §3.1)
    /// unless the ids-per-type bug makes them collide.
    pub entries: BTreeMap<(Kind, String), Entry>,
    /// userNames of deleted Users (kept only under the deleted-name-reserved bug).
    pub deleted_names: BTreeSet<String>,
}

impl Store {
    pub fn get(&self, kind: Kind, id: &str) -> Option<&Entry> {
        self.entries.get(&(kind, id.to_string()))
    }

    pub fn get_mut(&mut self, kind: Kind, id: &str) -> Option<&mut Entry> {
        self.entries.get_mut(&(kind, id.to_string()))
    }

    /// Stores an entry under its type and id, replacing any before it.
    pub fn insert(&mut self, entry: Entry) -> &Entry {
        let key = (entry.kind, entry.id.clone());
        self.entries.insert(key.clone(), entry);
        &self.entries[&key]
    }

    pub fn remove(&mut self, kind: Kind, id: &str) -> Option<Entry> {
        self.entries.remove(&(kind, id.to_string()))
    }

    /// Whether any resource, of any type, has this id.
    pub fn holds_id(&self, id: &str) -> bool {
        self.any(id).is_some()
    }

    /// The resource of any type with this id (a Group member may be a User
    /// or a Group); a User first should the ids-per-type bug make two share it.
    pub fn any(&self, id: &str) -> Option<&Entry> {
        [Kind::User, Kind::Group]
            .into_iter()
            .find_map(|kind| self.get(kind, id))
    }

    /// A live resource of any type with this id.
    pub fn any_live(&self, id: &str) -> Option<&Entry> {
        self.any(id).filter(|e| !e.deleted)
    }

    pub fn list(&self, kind: Kind) -> impl Iterator<Item = &Entry> {
        self.entries
            .values()
            .filter(move |e| e.kind == kind && !e.deleted)
    }

    /// Groups whose members include `id`.
    pub fn groups_of(&self, id: &str) -> Vec<&Entry> {
        self.list(Kind::Group)
            .filter(|g| {
                g.attrs["members"]
                    .as_array()
                    .is_some_and(|ms| ms.iter().any(|m| m["value"] == json!(id)))
            })
            .collect()
    }

    /// Removes a deleted resource from every group's members.
    pub fn drop_member(&mut self, id: &str) {
        for e in self.entries.values_mut() {
            if let Some(ms) = e.attrs.get_mut("members").and_then(Value::as_array_mut) {
                ms.retain(|m| m["value"] != json!(id));
            }
        }
    }
}

/// The full representation of an entry as the server returns it.
pub fn render(
    store: &Store,
    entry: &Entry,
    base: &str,
    meta_complete: bool,
    with_password: bool,
    versioned: bool,
) -> Value {
    let mut body = entry.attrs.clone();
    let obj = body
        .as_object_mut()
        .expect("stored attributes are an object");
    obj.insert("id".into(), json!(entry.id));
    if entry.kind == Kind::User {
        let groups: Vec<Value> = store
            .groups_of(&entry.id)
            .iter()
            .map(|g| {
                json!({
                    "value": g.id,
                    "$ref": g.location(base),
                    "display": g.attrs["displayName"],
                    "type": "direct"
                })
            })
            .collect();
        if !groups.is_empty() {
            obj.insert("groups".into(), Value::Array(groups));
        }
        if with_password {
            if let Some(p) = &entry.password {
                obj.insert("password".into(), json!(p));
            }
        }
    }
    if let Some(members) = obj.get_mut("members").and_then(Value::as_array_mut) {
        for m in members {
            if let Some(id) = m["value"].as_str().map(str::to_string) {
                if let Some(target) = store.any(&id) {
                    m["$ref"] = json!(target.location(base));
                    m["type"] = json!(target.kind.name());
                }
            }
        }
    }
    let mut meta = json!({
        "resourceType": entry.kind.name(),
        "created": entry.created,
        "lastModified": entry.modified,
        "location": entry.location(base),
        "version": entry.etag(),
    });
    let m = meta.as_object_mut().expect("meta is an object");
    if !meta_complete {
        m.remove("resourceType");
        m.remove("lastModified");
    }
    if !versioned {
        m.remove("version");
    }
    obj.insert("meta".into(), meta);
    body
}
