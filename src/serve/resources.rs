//! The reference server's resource endpoints: create, read, replace, delete
//! and list Users and Groups (RFC 7644 §3.3–§3.6, §3.4.2), with ETags (§3.14).

// Handlers answer with a ready `Response` in both arms; boxing it buys nothing here.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use serde_json::{json, Value};

use super::bugs::Bug;
use super::events::{emit, Change};
use super::listing::{list, search};
use super::project::{project, shape};
use super::respond::{error, scim, with_header};
use super::rules::{check_immutable, conflict, fold_case_exact};
use super::store::{render, Entry, Kind, Store};
use super::validate::{self, Input};
use super::{base_url, App, BASE_PATH};
use crate::scim::urn;

type Params = Query<HashMap<String, String>>;

pub fn routes(kind: Kind) -> Router<App> {
    let ep = kind.endpoint();
    Router::new()
        .route(
            ep,
            get(move |s: State<App>, h: HeaderMap, q: Params| list(s, h, q, kind)).post(
                move |s: State<App>, h: HeaderMap, q: Params, b: Bytes| create(s, h, q, b, kind),
            ),
        )
        .route(
            &format!("{ep}/.search"),
            axum::routing::post(move |s: State<App>, h: HeaderMap, b: Bytes| search(s, h, b, kind)),
        )
        // An empty id (`/Users/`): no resource, unless a bug finds one.
        .route(
            &format!("{ep}/"),
            get(move |s: State<App>, h: HeaderMap, q: Params| {
                read(s, h, Path(String::new()), q, kind)
            }),
        )
        .route(
            &format!("{ep}/{{id}}"),
            get(
                move |s: State<App>, h: HeaderMap, p: Path<String>, q: Params| {
                    read(s, h, p, q, kind)
                },
            )
            .put(
                move |s: State<App>, h: HeaderMap, p: Path<String>, q: Params, b: Bytes| {
                    replace(s, h, p, q, b, kind)
                },
            )
            .delete(move |s: State<App>, h: HeaderMap, p: Path<String>| remove(s, h, p, kind))
            .patch(
                move |s: State<App>, h: HeaderMap, p: Path<String>, q: Params, b: Bytes| {
                    super::patch::patch(s, h, p, q, b, kind)
                },
            ),
        )
}

/// Endpoints of RFC 7644 this server does not implement (it says so in its SPC).
pub fn unsupported_routes() -> Router<App> {
    let unsupported = |what: &'static str| {
        any(move |s: State<App>| async move {
            if what == "/Me" && (s.0.bug(Bug::MeNotFound) || s.0.shape(super::Shape::NoMe)) {
                return error(&s.0, StatusCode::NOT_FOUND, None, "no such resource");
            }
            error(
                &s.0,
                StatusCode::NOT_IMPLEMENTED,
                None,
                &format!("{what} is not supported"),
            )
        })
    };
    Router::new().route("/Me", unsupported("/Me"))
}

pub async fn not_found(State(app): State<App>) -> Response {
    if app.bug(Bug::UnknownEndpointHtml200) {
        let page = "<html><body>Welcome to the admin console</body></html>";
        return (StatusCode::OK, [(header::CONTENT_TYPE, "text/html")], page).into_response();
    }
    error(&app, StatusCode::NOT_FOUND, None, "no such endpoint")
}

pub(super) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(super) fn parse_body(app: &App, body: &Bytes) -> Result<Value, Response> {
    if app.bug(Bug::DeepJson500)
        && super::robustness::nesting_depth(body) > super::robustness::DEEP_JSON
    {
        return Err((StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response());
    }
    serde_json::from_slice(body).map_err(|e| {
        if app.bug(Bug::InvalidJson500) {
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
        } else {
            {
            let mut detail = format!("the body is not valid JSON: {e}");
            if app.bug(Bug::ErrorStackTrace) {
                detail.push_str("\nstack backtrace:\n  0: serde_json::de::from_slice\n     at /home/build/.cargo/registry/src/serde_json-1.0/src/de.rs:2470:5\n  1: scim_server::handlers::create_user");
            }
            error(app, StatusCode::BAD_REQUEST, Some("invalidSyntax"), &detail)
        }
        }
    })
}

fn reject(app: &App, (status, scim_type, detail): validate::Rejection) -> Response {
    error(
        app,
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        Some(scim_type),
        &detail,
    )
}

/// Prepares validated input: member checks and the bugs that drop data.
pub(super) fn prepare(
    app: &App,
    store: &Store,
    kind: Kind,
    body: &Value,
) -> Result<Input, Response> {
    if app.bug(Bug::ErrorLeaksInternals) && super::robustness::has_control_char(body) {
        let detail = super::robustness::LEAKED_DETAIL;
        return Err(error(
            app,
            StatusCode::BAD_REQUEST,
            Some("invalidValue"),
            detail,
        ));
    }
    let strict = validate::Strictness {
        required: !(app.bug(Bug::RequiredNotEnforced)
            || kind == Kind::Group && app.bug(Bug::GroupDisplayNameOptional)),
        types: !app.bug(Bug::TypesNotValidated),
        schemas: !app.bug(Bug::SchemasNotRequired),
        read_only: !app.bug(Bug::ReadOnlyStored),
        references: !app.bug(Bug::ReferenceUnchecked),
        canonical_first_only: app.bug(Bug::CanonicalValuesStale),
    };
    let mut input = validate::input(kind, body, app.model(), strict).map_err(|r| reject(app, r))?;
    if let Some(r) = super::shape::refusal(app, kind, &input.attrs) {
        return Err(reject(app, r));
    }
    let attrs = input.attrs.as_object_mut().expect("object");
    if let Some(members) = attrs.get("members").and_then(Value::as_array) {
        for m in members {
            let id = m["value"].as_str().unwrap_or("");
            if store.any_live(id).is_none() {
                return Err(error(
                    app,
                    StatusCode::BAD_REQUEST,
                    Some("invalidValue"),
                    &format!("no member with id {id:?}"),
                ));
            }
        }
        if app.bug(Bug::GroupMembersDropped) {
            attrs.remove("members");
        }
    }
    if app.bug(Bug::CaseExactFolded) {
        fold_case_exact(app, attrs, kind);
    }
    if app.bug(Bug::NonAsciiMangled) {
        for value in attrs.values_mut() {
            mangle_non_ascii(value);
        }
    }
    if !app.bug(Bug::EmailNotCanonical) {
        canonical_emails(attrs);
    }
    if app.bug(Bug::BinaryBase64Url) {
        for cert in attrs
            .get_mut("x509Certificates")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(Value::String(v)) = cert.get_mut("value") {
                *v = v.replace('+', "-").replace('/', "_").replace('=', "");
            }
        }
    }
    if app.bug(Bug::AttributesDropped) {
        let keep = ["schemas", kind.name_attribute(), "members", "externalId"];
        attrs.retain(|k, _| keep.contains(&k.as_str()) || k.starts_with("urn:"));
        for ext in attrs.values_mut().filter_map(Value::as_object_mut) {
            ext.retain(|k, _| {
                k == "badgeId"
                    || k == "badgeNumber"
                    || k == "badgeCode"
                    || k == "clearance"
                    || k == "pinHash"
            });
        }
    }
    if app.bug(Bug::ExtensionDropped) && attrs.remove(urn::ENTERPRISE_USER).is_some() {
        if let Some(s) = attrs.get_mut("schemas").and_then(Value::as_array_mut) {
            s.retain(|u| u != urn::ENTERPRISE_USER);
        }
    }
    Ok(input)
}

/// A single resource response with its ETag and Content-Location.
pub(super) fn resource_response(
    app: &App,
    store: &Store,
    entry: &Entry,
    base: &str,
    status: StatusCode,
    q: Option<&HashMap<String, String>>,
    written: Option<&Value>,
) -> Response {
    let mut body = body_of(app, store, entry, base, q, written);
    if app.bug(Bug::DateTimeNotXsd) {
        for key in ["created", "lastModified"] {
            if let Some(Value::String(t)) = body.get_mut("meta").and_then(|m| m.get_mut(key)) {
                *t = t.replacen('T', " ", 1);
            }
        }
    }
    let etag = if app.bug(Bug::EtagNotMetaVersion) {
        format!("W/\"{}-x\"", entry.version)
    } else if app.bug(Bug::EtagChangesOnRead) {
        format!("W/\"{}-{}\"", entry.version, uuid::Uuid::new_v4().simple())
    } else if app.bug(Bug::EtagUnquoted) {
        entry.version.to_string()
    } else {
        entry.etag()
    };
    let mut resp = scim(app, status, &body);
    if !app.bug(Bug::NoEtagHeader) && app.etags() {
        resp = with_header(resp, header::ETAG, &etag);
    }
    with_header(
        resp,
        header::CONTENT_LOCATION,
        &entry.location(&header_base(app, base)),
    )
}

/// A resource as a GET without parameters returns it (the `data` of
/// `:full` events).
pub(super) fn representation(app: &App, store: &Store, entry: &Entry, base: &str) -> Value {
    body_of(app, store, entry, base, Some(&HashMap::new()), None)
}

/// The body of a resource response: rendered, shaped by what the request
/// asked for and wrote, and projected by `attributes` and
/// `excludedAttributes` when there are query parameters.
fn body_of(
    app: &App,
    store: &Store,
    entry: &Entry,
    base: &str,
    q: Option<&HashMap<String, String>>,
    written: Option<&Value>,
) -> Value {
    let body = render(
        store,
        entry,
        base,
        super::meta_complete(app, entry.kind),
        app.bug(Bug::PasswordReturned),
        app.etags(),
    );
    let mut body = body;
    if app.bug(Bug::MemberRefWrongPath) {
        for m in body
            .get_mut("members")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(Value::String(r)) = m.get_mut("$ref") {
                *r = r
                    .replacen("/Users/", "/User/", 1)
                    .replacen("/Groups/", "/Group/", 1);
            }
        }
    }
    if app.bug(Bug::UserGroupsByName) {
        for g in body
            .get_mut("groups")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(name) = g.get("display").cloned() {
                g["value"] = name;
            }
        }
    }
    if entry.kind == Kind::User && app.bug(Bug::SchemasForeignUrn) {
        if let Some(schemas) = body.get_mut("schemas").and_then(Value::as_array_mut) {
            schemas.push(json!("urn:scimitar:schemas:internal:2.0:Audit"));
        }
    }
    let asked = q.and_then(|q| q.get("attributes"));
    let body = shape(
        app,
        body,
        &app.model().schemas_of(entry.kind),
        asked,
        written,
    );
    match q {
        Some(q) => project(
            app,
            body,
            q.get("attributes"),
            q.get("excludedAttributes"),
            entry.kind.schema(),
        ),
        None => body,
    }
}

/// The base URL for Location and Content-Location headers.
fn header_base(app: &App, base: &str) -> String {
    if app.bug(Bug::LocationWithoutBasePath) {
        base.replace(BASE_PATH, "")
    } else {
        base.to_string()
    }
}

pub(super) async fn create(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Params,
    body: Bytes,
    kind: Kind,
) -> Response {
    let resp = create_now(&app, &headers, &q, &body, kind);
    if let Some(delay) = app.create_delay() {
        tokio::time::sleep(delay).await;
    }
    resp
}

fn create_now(
    app: &App,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    body: &Bytes,
    kind: Kind,
) -> Response {
    let base = base_url(headers);
    let body = match parse_body(app, body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Some(r) = order_refusal(app, kind, &body) {
        return r;
    }
    let body = deduped(app, body);
    let mut store = app.store();
    let input = match prepare(app, &store, kind, &body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    if let Some(r) = conflict(app, &store, kind, &input.attrs, None) {
        return r;
    }
    let id = match (&input.client_id, app.bug(Bug::ClientIdHonoured)) {
        (Some(id), true) if !store.holds_id(id) => id.clone(),
        _ if app.bug(Bug::IdsFromNames) => id_from_name(&input.attrs[kind.name_attribute()]),
        _ => uuid::Uuid::new_v4().to_string(),
    };
    let created = now();
    let modified = if app.bug(Bug::LastModifiedDrift) {
        (chrono::Utc::now() + chrono::Duration::seconds(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    } else {
        created.clone()
    };
    let entry = Entry {
        kind,
        id: id.clone(),
        attrs: input.attrs,
        password: input.password,
        created,
        modified,
        version: 1,
        deleted: false,
    };
    store.insert(entry);
    let entry = store.get(kind, &id).expect("just stored");
    emit(app, &store, &base, Change::create(entry));
    let status = if app.bug(Bug::CreateReturns200) {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let projection = (!app.bug(Bug::AttributesIgnoredOnWrite)).then_some(q);
    let resp = resource_response(app, &store, entry, &base, status, projection, Some(&body));
    if app.bug(Bug::CreateNoLocation) {
        return resp;
    }
    with_header(
        resp,
        header::LOCATION,
        &entry.location(&header_base(app, &base)),
    )
}

/// RFC 7643 §4.1.2: e-mail addresses canonical per RFC 5321, the domain
/// (case-insensitive) lower-cased and the local part (which may be
/// case-sensitive) kept as sent.
fn canonical_emails(attrs: &mut serde_json::Map<String, Value>) {
    let values = attrs.get_mut("emails").and_then(Value::as_array_mut);
    for email in values.into_iter().flatten() {
        if let Some(Value::String(v)) = email.get_mut("value") {
            if let Some(at) = v.rfind('@') {
                let domain = v[at..].to_lowercase();
                v.replace_range(at.., &domain);
            }
        }
    }
}

/// The ids-from-names bug: a UUID hashed from the name attribute alone, so a
/// User and a Group of the same name share an id.
fn id_from_name(name: &Value) -> String {
    use std::hash::{Hash, Hasher};
    let half = |salt: u8| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (salt, name.to_string()).hash(&mut h);
        h.finish()
    };
    uuid::Uuid::from_u64_pair(half(1), half(2)).to_string()
}

/// Finds a live resource (or a soft-deleted one under that bug).
pub(super) fn find<'s>(app: &App, store: &'s Store, kind: Kind, id: &str) -> Option<&'s Entry> {
    if id.is_empty() && app.bug(Bug::EmptyIdFirstResource) {
        return store.list(kind).next();
    }
    store
        .get(kind, id)
        .filter(|e| !e.deleted || app.bug(Bug::SoftDelete))
}

pub(super) fn missing(app: &App, kind: Kind, id: &str) -> Response {
    if app.bug(Bug::NonUuidId500) && uuid::Uuid::parse_str(id).is_err() {
        let body = "invalid input syntax for type uuid";
        return (StatusCode::INTERNAL_SERVER_ERROR, body).into_response();
    }
    error(
        app,
        StatusCode::NOT_FOUND,
        None,
        &format!("{} {id} not found", kind.name()),
    )
}

pub(super) fn precondition_failed(
    app: &App,
    headers: &HeaderMap,
    entry: &Entry,
) -> Option<Response> {
    if app.bug(Bug::IfMatchIgnored) || !app.etags() {
        return None;
    }
    let want = headers.get(header::IF_MATCH)?.to_str().ok()?;
    let ok = want.trim() == "*" || want.split(',').any(|t| t.trim() == entry.etag());
    (!ok).then(|| {
        error(
            app,
            StatusCode::PRECONDITION_FAILED,
            None,
            "the resource has changed (If-Match)",
        )
    })
}

async fn read(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Params,
    kind: Kind,
) -> Response {
    let base = base_url(&headers);
    if let Some(r) = read_refusal(&app, &headers, &q) {
        return r;
    }
    let store = app.store();
    let Some(entry) = find(&app, &store, kind, &id) else {
        return missing(&app, kind, &id);
    };
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == entry.etag()));
    let conditional = app.etags() && !app.bug(Bug::SpcEtagFalseButSent);
    if unchanged && !app.bug(Bug::IfNoneMatchIgnored) && conditional {
        return with_header(
            StatusCode::NOT_MODIFIED.into_response(),
            header::ETAG,
            &entry.etag(),
        );
    }
    if app.bug(Bug::ReadReturnsList) {
        let body = render(&store, entry, &base, true, false, app.etags());
        return scim(
            &app,
            StatusCode::OK,
            &json!({
                "schemas": [urn::LIST_RESPONSE], "totalResults": 1, "startIndex": 1, "itemsPerPage": 1, "Resources": [body]
            }),
        );
    }
    resource_response(&app, &store, entry, &base, StatusCode::OK, Some(&q), None)
}

/// The refusals of bodies the ordering and null bugs make: RFC 7643 §2.3.8
/// and §3 say member and schemas order mean nothing, and §2.5 that null and
/// `[]` mean unassigned.
fn order_refusal(app: &App, kind: Kind, body: &Value) -> Option<Response> {
    let obj = body.as_object()?;
    let refuse = |detail: &str| {
        Some(error(
            app,
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            detail,
        ))
    };
    if app.bug(Bug::SchemasMustBeFirst) && obj.keys().next().is_some_and(|k| k != "schemas") {
        return refuse("schemas must be the first member of the body");
    }
    let first_schema = obj
        .get("schemas")
        .and_then(|s| s.get(0))
        .and_then(Value::as_str);
    if app.bug(Bug::SchemasOrderMatters) && first_schema.is_some_and(|s| s != kind.schema()) {
        return refuse(&format!("schemas must list {} first", kind.schema()));
    }
    let unassigned = |v: &Value| v.is_null() || v.as_array().is_some_and(Vec::is_empty);
    if app.bug(Bug::NullRefused) && obj.values().any(unassigned) {
        return refuse("attribute values must not be null or empty");
    }
    None
}

/// A POST or PUT body with one of each (type, value) pair in every
/// multi-valued attribute (unless the bug keeps them). PATCH results are
/// left as the reference applier computes them.
fn deduped(app: &App, mut body: Value) -> Value {
    if !app.bug(Bug::DuplicateValuesKept) {
        if let Some(obj) = body.as_object_mut() {
            obj.values_mut().for_each(dedupe_values);
        }
    }
    body
}

/// Keeps one of each (type, value) pair of a multi-valued complex
/// attribute (RFC 7643 §2.4: the same pair SHOULD NOT come back twice).
fn dedupe_values(value: &mut Value) {
    let Some(items) = value.as_array_mut() else {
        return;
    };
    let mut seen: Vec<(Value, Value)> = vec![];
    items.retain(|item| {
        let Some(v) = item.get("value").filter(|_| item.is_object()) else {
            return true;
        };
        let key = (item.get("type").cloned().unwrap_or(Value::Null), v.clone());
        if seen.contains(&key) {
            return false;
        }
        seen.push(key);
        true
    });
}

/// Replaces every character outside ASCII in the strings of `value` by `?`
/// (the non-ascii-mangled bug: a Latin-1 or ASCII column behind the API).
fn mangle_non_ascii(value: &mut Value) {
    match value {
        Value::String(s) if !s.is_ascii() => {
            *s = s
                .chars()
                .map(|c| if c.is_ascii() { c } else { '?' })
                .collect();
        }
        Value::Array(items) => items.iter_mut().for_each(mangle_non_ascii),
        Value::Object(map) => map.values_mut().for_each(mangle_non_ascii),
        _ => {}
    }
}

/// The refusals of a GET that the negotiation bugs make: an unknown query
/// parameter, or `Accept: application/json`.
fn read_refusal(app: &App, headers: &HeaderMap, q: &HashMap<String, String>) -> Option<Response> {
    let known = ["attributes", "excludedAttributes"];
    if app.bug(Bug::UnknownParameter400) {
        if let Some(k) = q.keys().find(|k| !known.contains(&k.as_str())) {
            let detail = format!("unknown query parameter {k:?}");
            return Some(error(
                app,
                StatusCode::BAD_REQUEST,
                Some("invalidValue"),
                &detail,
            ));
        }
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    if app.bug(Bug::AcceptJson406) && accept.is_some_and(|a| a.trim() == "application/json") {
        return Some(error(
            app,
            StatusCode::NOT_ACCEPTABLE,
            None,
            "only application/scim+json is served",
        ));
    }
    None
}

pub(super) async fn replace(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Params,
    body: Bytes,
    kind: Kind,
) -> Response {
    let base = base_url(&headers);
    let body = match parse_body(&app, &body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Some(r) = order_refusal(&app, kind, &body) {
        return r;
    }
    let body = deduped(&app, body);
    let mut store = app.store();
    let existing = find(&app, &store, kind, &id).cloned();
    if existing.is_none() && !app.bug(Bug::PutCreates) {
        return missing(&app, kind, &id);
    }
    if let Some(r) = existing
        .as_ref()
        .and_then(|e| precondition_failed(&app, &headers, e))
    {
        return r;
    }
    let mut input = match prepare(&app, &store, kind, &body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    if let Some(old) = &existing {
        if let Some(r) = check_immutable(&app, kind, &old.attrs, &mut input.attrs) {
            return r;
        }
    }
    if let Some(r) = conflict(&app, &store, kind, &input.attrs, Some(&id)) {
        return r;
    }
    let ts = now();
    let before = existing.clone();
    let projection = (!app.bug(Bug::AttributesIgnoredOnWrite)).then_some(&q);
    let mut entry = existing.unwrap_or(Entry {
        kind,
        id: id.clone(),
        attrs: json!({}),
        password: None,
        created: ts.clone(),
        modified: ts.clone(),
        version: 0,
        deleted: false,
    });
    entry.attrs = if app.bug(Bug::PutKeepsOmitted) {
        let mut merged = entry.attrs.clone();
        if let (Some(m), Some(new)) = (merged.as_object_mut(), input.attrs.as_object()) {
            m.extend(new.clone());
        }
        merged
    } else {
        input.attrs
    };
    entry.password = input.password.or(entry.password);
    if !app.bug(Bug::LastModifiedFrozen) {
        entry.modified = ts;
    }
    if !app.bug(Bug::EtagUnchangedOnUpdate) {
        entry.version += 1;
    }
    let mut new_id = id.clone();
    if let (true, Some(client_id)) = (app.bug(Bug::PutHonoursId), &input.client_id) {
        if !store.holds_id(client_id) {
            store.remove(kind, &id);
            new_id = client_id.clone();
            entry.id = new_id.clone();
        }
    }
    store.insert(entry);
    emit(
        &app,
        &store,
        &base,
        Change::put(
            before.as_ref(),
            store.get(kind, &new_id).expect("just stored"),
        ),
    );
    if let (true, Some(old)) = (app.bug(Bug::PutReturnsStale), before) {
        return resource_response(
            &app,
            &store,
            &old,
            &base,
            StatusCode::OK,
            projection,
            Some(&body),
        );
    }
    resource_response(
        &app,
        &store,
        store.get(kind, &new_id).expect("just stored"),
        &base,
        StatusCode::OK,
        projection,
        Some(&body),
    )
}

pub(super) async fn remove(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    kind: Kind,
) -> Response {
    let mut store = app.store();
    let Some(entry) = find(&app, &store, kind, &id).cloned() else {
        return missing(&app, kind, &id);
    };
    if let Some(r) =
        precondition_failed(&app, &headers, &entry).filter(|_| !app.bug(Bug::DeleteIfMatchIgnored))
    {
        return r;
    }
    // Only the bug needs the names of the deleted: kept always, they would
    // grow without bound over a long run.
    if let (true, Some(name)) = (
        app.bug(Bug::DeletedNameReserved),
        entry.attrs["userName"].as_str(),
    ) {
        store.deleted_names.insert(name.to_string());
    }
    if app.bug(Bug::SoftDelete) || app.bug(Bug::DeletedStillListed) {
        store.get_mut(kind, &entry.id).expect("present").deleted = true;
    } else {
        store.remove(kind, &entry.id);
    }
    if !app.bug(Bug::DeletedMemberKept) {
        store.drop_member(&id);
    }
    emit(&app, &store, &base_url(&headers), Change::delete(&entry));
    if app.bug(Bug::DeleteReturns200) {
        return scim(&app, StatusCode::OK, &json!({"deleted": id}));
    }
    StatusCode::NO_CONTENT.into_response()
}
