//! The reference server's `/Bulk` (RFC 7644 §3.7): each operation is
//! answered by the same handler a single request would reach; `bulkId:`
//! references are resolved in any order (§3.7.2), circular Group
//! memberships by creating first and adding the members afterwards
//! (§3.7.1); `failOnErrors` stops processing; the limits advertised in
//! /ServiceProviderConfig are enforced with 413 (§3.7.4). The bulk bugs
//! bend each of these.

use std::collections::{HashMap, HashSet};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use serde_json::{json, Map, Value};

use super::bugs::Bug;
use super::respond::{error, scim};
use super::store::Kind;
use super::App;
use crate::scim::bulk::{self, reference};
use crate::scim::urn;

/// `bulk.maxOperations` in /ServiceProviderConfig.
pub const MAX_OPERATIONS: usize = 10;
/// `bulk.maxPayloadSize` in /ServiceProviderConfig, in bytes.
pub const MAX_PAYLOAD: usize = 64 * 1024;

pub fn routes() -> Router<App> {
    Router::new().route("/Bulk", any(handle))
}

/// Whether the server processes bulk requests (whatever its SPC says).
pub fn supported(app: &App) -> bool {
    !app.shape(super::Shape::NoBulk) && !app.bug(Bug::UnsupportedBulk404)
}

/// The SPC's `bulk` object.
pub fn spc(app: &App) -> Value {
    if !supported(app) || app.bug(Bug::SpcBulkUnderAdvertised) {
        return json!({"supported": false, "maxOperations": 0, "maxPayloadSize": 0});
    }
    if app.bug(Bug::SpcBulkLimitsMissing) {
        return json!({"supported": true});
    }
    json!({"supported": true, "maxOperations": MAX_OPERATIONS, "maxPayloadSize": MAX_PAYLOAD})
}

async fn handle(
    State(app): State<App>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !supported(&app) {
        if app.bug(Bug::UnsupportedBulk404) {
            return error(&app, StatusCode::NOT_FOUND, None, "no such endpoint");
        }
        return error(
            &app,
            StatusCode::NOT_IMPLEMENTED,
            None,
            "bulk is not supported",
        );
    }
    if method != Method::POST {
        return error(
            &app,
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            "/Bulk takes POST only",
        );
    }
    if body.len() > MAX_PAYLOAD && !app.bug(Bug::BulkPayloadUnchecked) {
        return too_large(
            &app,
            &format!(
                "the request's {} bytes exceed maxPayloadSize ({MAX_PAYLOAD})",
                body.len()
            ),
        );
    }
    let request = match super::resources::parse_body(&app, &body) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return invalid(&app, "a BulkRequest is a JSON object"),
        Err(r) => return r,
    };
    let named = request
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|u| u == urn::BULK_REQUEST));
    if !named && !app.bug(Bug::BulkSchemasUnchecked) {
        return invalid(&app, &format!("schemas must list {}", urn::BULK_REQUEST));
    }
    let operations = match request.get("Operations") {
        Some(Value::Array(ops)) => ops.clone(),
        None if app.bug(Bug::BulkOperationsOptional) => vec![],
        _ => {
            return invalid(
                &app,
                "Operations is REQUIRED and must be an array (RFC 7644 §3.7)",
            )
        }
    };
    if operations.len() > MAX_OPERATIONS && !app.bug(Bug::BulkMaxOperationsUnchecked) {
        return too_large(
            &app,
            &format!(
                "{} operations exceed maxOperations ({MAX_OPERATIONS})",
                operations.len()
            ),
        );
    }
    let fail_on_errors = match request.get("failOnErrors") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => Some(n as usize),
            _ => {
                return error(
                    &app,
                    StatusCode::BAD_REQUEST,
                    Some("invalidValue"),
                    "failOnErrors must be an integer of at least 1",
                )
            }
        },
    };
    let results = Job::new(&app, &headers, operations)
        .run(fail_on_errors)
        .await;
    scim(
        &app,
        StatusCode::OK,
        &json!({"schemas": [urn::BULK_RESPONSE], "Operations": results}),
    )
}

fn too_large(app: &App, detail: &str) -> Response {
    let detail = if app.bug(Bug::BulkLimitUnnamed) {
        "request too large"
    } else {
        detail
    };
    error(app, StatusCode::PAYLOAD_TOO_LARGE, None, detail)
}

fn invalid(app: &App, detail: &str) -> Response {
    error(app, StatusCode::BAD_REQUEST, Some("invalidSyntax"), detail)
}

/// One operation as read from the request.
struct Op {
    method: String,
    bulk_id: Option<String>,
    path: String,
    data: Option<Value>,
    version: Option<String>,
    /// The bulkIds of POSTs in this request that it references.
    needs: Vec<String>,
}

/// The outcome of one operation.
struct Outcome {
    status: u16,
    location: Option<String>,
    version: Option<String>,
    /// The SCIM Error of a failed operation.
    error: Option<Value>,
}

/// A bulk job in progress.
struct Job<'a> {
    app: &'a App,
    headers: &'a HeaderMap,
    ops: Vec<Op>,
    /// bulkId -> the id of the resource its POST created.
    created: HashMap<String, String>,
    /// Members taken out of a Group POST to break a cycle, added afterwards.
    deferred: Vec<(usize, Vec<Value>)>,
    results: Vec<Option<Outcome>>,
}

impl<'a> Job<'a> {
    fn new(app: &'a App, headers: &'a HeaderMap, operations: Vec<Value>) -> Self {
        let posted: HashSet<String> = operations
            .iter()
            .filter(|o| o["method"] == "POST")
            .filter_map(|o| o["bulkId"].as_str().map(str::to_string))
            .collect();
        let ops: Vec<Op> = operations
            .iter()
            .map(|o| {
                let path = o["path"].as_str().unwrap_or_default().to_string();
                let data = o.get("data").cloned();
                let mut needs: Vec<String> = path
                    .split('/')
                    .filter_map(reference)
                    .map(str::to_string)
                    .collect();
                if let Some(d) = &data {
                    needs.extend(bulk::references(d));
                }
                needs.retain(|id| posted.contains(id));
                needs.dedup();
                Op {
                    method: o["method"].as_str().unwrap_or_default().to_string(),
                    bulk_id: o["bulkId"].as_str().map(str::to_string),
                    path,
                    data,
                    version: o["version"].as_str().map(str::to_string),
                    needs,
                }
            })
            .collect();
        let results = ops.iter().map(|_| None).collect();
        Job {
            app,
            headers,
            ops,
            created: HashMap::new(),
            deferred: vec![],
            results,
        }
    }

    fn bug(&self, bug: Bug) -> bool {
        self.app.bug(bug)
    }

    /// Runs the operations (dependencies first), stopping once
    /// `fail_on_errors` operations failed; the results of those processed,
    /// in request order.
    async fn run(mut self, fail_on_errors: Option<usize>) -> Vec<Value> {
        let limit = if self.bug(Bug::BulkStopsOnError) {
            Some(1)
        } else if self.bug(Bug::BulkFailOnErrorsIgnored) {
            None
        } else {
            fail_on_errors
        };
        let mut errors = 0;
        while let Some(i) = self.next() {
            let outcome = self.perform(i).await;
            if outcome.status >= 400 {
                errors += 1;
            }
            self.results[i] = Some(outcome);
            if limit.is_some_and(|n| errors >= n) {
                break;
            }
        }
        self.add_deferred().await;
        let results = std::mem::take(&mut self.results);
        results
            .into_iter()
            .enumerate()
            .filter_map(|(i, r)| r.map(|r| self.render(i, r)))
            .collect()
    }

    /// The next operation to perform: the first pending one in request
    /// order, after the pending POSTs it references (so reordering never
    /// changes what `failOnErrors` stops); in a cycle, a Group POST of it
    /// whose pending member references are added afterwards.
    fn next(&mut self) -> Option<usize> {
        let first = (0..self.ops.len()).find(|i| self.results[*i].is_none())?;
        if self.bug(Bug::BulkInRequestOrder) {
            return Some(first);
        }
        if self.bug(Bug::BulkPostsFirst) {
            let post = (0..self.ops.len())
                .find(|i| self.results[*i].is_none() && self.ops[*i].method == "POST");
            if post.is_some() {
                return post;
            }
        }
        let mut chain = vec![first];
        loop {
            let current = *chain.last().expect("never empty");
            let Some(dep) = self.ops[current]
                .needs
                .iter()
                .find_map(|id| self.pending_post(id))
            else {
                return Some(current);
            };
            match chain.iter().position(|c| *c == dep) {
                None => chain.push(dep),
                Some(start) => return Some(self.break_cycle(&chain[start..]).unwrap_or(current)),
            }
        }
    }

    /// The pending POST that creates `bulk_id`.
    fn pending_post(&self, bulk_id: &str) -> Option<usize> {
        (0..self.ops.len()).find(|i| {
            let op = &self.ops[*i];
            self.results[*i].is_none()
                && op.method == "POST"
                && op.bulk_id.as_deref() == Some(bulk_id)
        })
    }

    /// Takes the member references to pending POSTs out of the first Group
    /// POST of `cycle`, to add them once everything is created.
    fn break_cycle(&mut self, cycle: &[usize]) -> Option<usize> {
        let i = *cycle.iter().find(|i| {
            let op = &self.ops[**i];
            op.method == "POST" && op.path.trim_matches('/') == "Groups"
        })?;
        let pending: Vec<String> = self.ops[i]
            .needs
            .iter()
            .filter(|id| self.pending_post(id).is_some_and(|p| p != i))
            .cloned()
            .collect();
        let op = &mut self.ops[i];
        let members = op.data.as_mut()?.get_mut("members")?.as_array_mut()?;
        let (later, now): (Vec<Value>, Vec<Value>) = members.drain(..).partition(|m| {
            m["value"]
                .as_str()
                .and_then(reference)
                .is_some_and(|id| pending.iter().any(|p| p == id))
        });
        *members = now;
        op.needs.retain(|id| !pending.contains(id));
        if !self.app.bug(Bug::BulkCircularDropped) {
            self.deferred.push((i, later));
        }
        Some(i)
    }

    async fn perform(&mut self, i: usize) -> Outcome {
        let op = &self.ops[i];
        let fail = |status: u16, scim_type: Option<&str>, detail: String| Outcome {
            status,
            location: None,
            version: None,
            error: Some(error_body(status, scim_type, &detail)),
        };
        let method = op.method.as_str();
        if method == "GET" && self.bug(Bug::BulkMethodUnchecked) {
            let location = self.location(Kind::User, "");
            return Outcome {
                status: 200,
                location: Some(location),
                version: None,
                error: None,
            };
        }
        if !matches!(method, "POST" | "PUT" | "PATCH" | "DELETE") {
            return fail(
                400,
                Some("invalidValue"),
                format!("method {method:?} is not POST, PUT, PATCH or DELETE"),
            );
        }
        if method == "POST" && op.bulk_id.is_none() {
            return fail(
                400,
                Some("invalidValue"),
                "bulkId is REQUIRED when method is POST (RFC 7644 §3.7)".into(),
            );
        }
        if method == "POST"
            && self.ops[..i]
                .iter()
                .any(|o| o.method == "POST" && o.bulk_id == op.bulk_id)
        {
            return fail(
                400,
                Some("invalidValue"),
                "the bulkId is not unique in the request".into(),
            );
        }
        if method != "DELETE" && op.data.is_none() {
            return fail(
                400,
                Some("invalidSyntax"),
                format!("data is REQUIRED when method is {method}"),
            );
        }
        let created = &self.created;
        let lookup = |id: &str| created.get(id).cloned();
        let path = match bulk::resolve_path(&op.path, &lookup) {
            Ok(p) => p,
            Err(id) => {
                return fail(
                    409,
                    None,
                    format!("no resource was created with the bulkId {id}"),
                )
            }
        };
        let mut segments = path.trim_matches('/').split('/');
        let kind = match segments.next() {
            Some("Users") => Kind::User,
            Some("Groups") => Kind::Group,
            _ => return fail(404, None, format!("no resource type at {:?}", op.path)),
        };
        let id = segments.next().map(str::to_string);
        if segments.next().is_some() || (method == "POST") == id.is_some() {
            return fail(
                405,
                None,
                format!("{method} does not apply to {:?}", op.path),
            );
        }
        let mut data = op.data.clone().unwrap_or(Value::Null);
        let missing = self.resolve_data(&mut data, kind);
        if let Some(id) = missing.first() {
            if !self.bug(Bug::BulkUnknownReferenceDropped) {
                return fail(
                    409,
                    None,
                    format!("no resource was created with the bulkId {id}"),
                );
            }
            drop_references(&mut data, &missing);
        }
        let mut headers = self.headers.clone();
        headers.remove(header::IF_MATCH);
        headers.remove(header::CONTENT_LENGTH);
        if let (Some(v), false) = (&op.version, self.bug(Bug::BulkVersionIgnored)) {
            if let Ok(v) = HeaderValue::from_str(v) {
                headers.insert(header::IF_MATCH, v);
            }
        }
        let state = State(self.app.clone());
        let query = Query(HashMap::new());
        let body = Bytes::from(data.to_string());
        let resp = match (method, id.clone()) {
            ("POST", _) => super::resources::create(state, headers, query, body, kind).await,
            ("PUT", Some(id)) => {
                super::resources::replace(state, headers, Path(id), query, body, kind).await
            }
            ("PATCH", Some(id)) => {
                super::patch::patch(state, headers, Path(id), query, body, kind).await
            }
            (_, Some(id)) if self.bug(Bug::BulkDeleteNotApplied) => {
                let _ = id;
                StatusCode::NO_CONTENT.into_response()
            }
            (_, Some(id)) => super::resources::remove(state, headers, Path(id), kind).await,
            _ => unreachable!("checked above"),
        };
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let etag = resp
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status >= 400 {
            let error = if answer.is_object() {
                answer
            } else {
                error_body(status, None, "the operation failed")
            };
            let location =
                (method != "POST").then(|| self.location(kind, id.as_deref().unwrap_or_default()));
            return Outcome {
                status,
                location,
                version: None,
                error: Some(error),
            };
        }
        let mut new_id = answer["id"].as_str().map(str::to_string).or(id);
        let mut location = location;
        if let (Some(bulk_id), Some(created), "POST") = (&self.ops[i].bulk_id, &new_id, method) {
            if self.bug(Bug::BulkIdInId) {
                let renamed = self.rename(kind, created, bulk_id);
                location = Some(self.location(kind, &renamed));
                new_id = Some(renamed);
            }
            let created = new_id.clone().unwrap_or_default();
            self.created.insert(bulk_id.clone(), created);
        }
        let location = location.or_else(|| new_id.as_deref().map(|id| self.location(kind, id)));
        Outcome {
            status,
            location,
            version: etag,
            error: None,
        }
    }

    /// The bulk-id-in-id bug: the created resource's id is rebuilt from the
    /// bulkId the client gave it.
    fn rename(&self, kind: Kind, id: &str, bulk_id: &str) -> String {
        let renamed = format!("bulkId-{bulk_id}-{}", &id[..id.len().min(8)]);
        let mut store = self.app.store();
        if let Some(mut entry) = store.remove(kind, id) {
            entry.id = renamed.clone();
            store.insert(entry);
        }
        renamed
    }

    /// Replaces the `bulkId:` references of `data` by the ids created;
    /// returns those it could not (the bulk bugs leave some as written).
    fn resolve_data(&self, data: &mut Value, kind: Kind) -> Vec<String> {
        let lookup = |id: &str| self.created.get(id).cloned();
        let Some(obj) = data.as_object_mut() else {
            return bulk::resolve(data, &lookup);
        };
        let mut missing = vec![];
        for (key, value) in obj.iter_mut() {
            let skip =
                (key == "members" && kind == Kind::Group && self.bug(Bug::BulkMembersUnresolved))
                    || (key.starts_with("urn:") && self.bug(Bug::BulkExtensionUnresolved));
            if !skip {
                missing.extend(bulk::resolve(value, &lookup));
            }
        }
        missing
    }

    fn location(&self, kind: Kind, id: &str) -> String {
        format!("{}{}/{id}", super::base_url(self.headers), kind.endpoint())
    }

    /// Adds the members deferred to break a cycle, as a PATCH would.
    async fn add_deferred(&mut self) {
        for (i, members) in std::mem::take(&mut self.deferred) {
            let Some(group) = self.ops[i]
                .bulk_id
                .as_ref()
                .and_then(|b| self.created.get(b))
                .cloned()
            else {
                continue;
            };
            let mut value = Value::Array(members);
            let missing = bulk::resolve(&mut value, &|id: &str| self.created.get(id).cloned());
            let detail = if missing.is_empty() {
                let patch = json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": value}]});
                let resp = super::patch::patch(
                    State(self.app.clone()),
                    self.headers.clone(),
                    Path(group.clone()),
                    Query(HashMap::new()),
                    Bytes::from(patch.to_string()),
                    Kind::Group,
                )
                .await;
                if resp.status().is_success() {
                    continue;
                }
                format!(
                    "the circular members could not be added ({})",
                    resp.status()
                )
            } else {
                format!("no resource was created with the bulkId {}", missing[0])
            };
            self.results[i] = Some(Outcome {
                status: 409,
                location: Some(self.location(Kind::Group, &group)),
                version: None,
                error: Some(error_body(409, None, &detail)),
            });
        }
    }

    /// One response operation (RFC 7644 §3.7.3).
    fn render(&self, i: usize, outcome: Outcome) -> Value {
        let op = &self.ops[i];
        let mut out = Map::new();
        out.insert("method".into(), json!(op.method));
        if let (Some(b), false) = (&op.bulk_id, self.bug(Bug::BulkNoBulkId)) {
            out.insert("bulkId".into(), json!(b));
        }
        if let (Some(l), false) = (outcome.location, self.bug(Bug::BulkNoLocation)) {
            out.insert("location".into(), json!(l));
        }
        if let Some(v) = outcome.version.filter(|_| self.app.etags()) {
            out.insert("version".into(), json!(v));
        }
        let status = match (outcome.status, op.method.as_str()) {
            (201, "POST") if self.bug(Bug::BulkCreateStatus200) => 200,
            (s, _) => s,
        };
        let status = if self.bug(Bug::BulkStatusNumber) {
            json!(status)
        } else {
            json!(status.to_string())
        };
        out.insert("status".into(), status);
        if let (Some(e), false) = (outcome.error, self.bug(Bug::BulkErrorWithoutResponse)) {
            out.insert("response".into(), e);
        }
        Value::Object(out)
    }
}

/// Removes the values that reference these bulkIds (whole multi-valued
/// entries, or the string itself).
fn drop_references(data: &mut Value, ids: &[String]) {
    let named = |v: &Value| {
        v.as_str()
            .or_else(|| v["value"].as_str())
            .and_then(reference)
            .is_some_and(|id| ids.iter().any(|i| i == id))
    };
    match data {
        Value::Array(items) => {
            items.retain(|v| !named(v));
            items.iter_mut().for_each(|v| drop_references(v, ids));
        }
        Value::Object(map) => {
            map.retain(|_, v| !named(v));
            map.values_mut().for_each(|v| drop_references(v, ids));
        }
        _ => {}
    }
}

/// A SCIM Error body (RFC 7644 §3.12) for an operation's `response`.
fn error_body(status: u16, scim_type: Option<&str>, detail: &str) -> Value {
    let mut body = json!({"schemas": [urn::ERROR], "status": status.to_string(), "detail": detail});
    if let Some(t) = scim_type {
        body["scimType"] = json!(t);
    }
    body
}
