//! The reference server's discovery endpoints (RFC 7644 §4).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::bugs::Bug;
use super::respond::{error, scim};
use super::shape::Shape;
use super::store::Kind;
use super::{base_url, App};
use crate::scim::urn;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/ServiceProviderConfig", get(service_provider_config))
        .route("/ResourceTypes", get(resource_types))
        .route("/ResourceTypes/{id}", get(resource_type))
        .route("/Schemas", get(schemas))
        .route("/Schemas/{id}", get(schema))
}

async fn service_provider_config(State(app): State<App>, headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    let schema = if app.bug(Bug::SpcWrongSchemas) {
        urn::RESOURCE_TYPE
    } else {
        urn::SERVICE_PROVIDER_CONFIG
    };
    let mut spc = json!({
        "schemas": [schema],
        "documentationUri": "https://example.invalid/scimitar",
        "patch": {"supported": !app.bug(Bug::UnsupportedPatch400)
            && !app.shape(Shape::NoPatch)
            && !app.bug(Bug::SpcPatchUnderAdvertised)},
        "bulk": super::bulk::spc(&app),
        "filter": {"supported": app.filters_advertised(), "maxResults": app.page_size()},
        "pagination": super::paging::spc(&app),
        "changePassword": {"supported": false},
        "sort": {"supported": !app.bug(Bug::SpcSortUnderAdvertised)},
        "etag": {"supported": app.etags()},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a bearer token (RFC 6750)",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")}
    });
    if let Some(events) = app.events() {
        // RFC 9967 §4: absent when events are off.
        let mut uris = super::events::event_uris(events.config().full);
        if app.bug(Bug::EventUrisIncomplete) {
            uris.retain(|u| !u.ends_with(":prov:delete"));
        }
        spc["securityEvents"] = json!({
            "asyncRequest": "request",
            "eventUris": uris,
        });
    }
    if app.bug(Bug::AuthSchemeUndescribed) {
        spc["authenticationSchemes"][0]
            .as_object_mut()
            .expect("object")
            .remove("description");
    }
    if app.bug(Bug::SpcEtagFalseButSent) || app.bug(Bug::SpcEtagUnderAdvertised) {
        spc["etag"]["supported"] = json!(false);
    }
    if app.bug(Bug::SpcMissingEtag) {
        spc.as_object_mut().expect("object").remove("etag");
    }
    scim(&app, StatusCode::OK, &spc)
}

fn resource_type_json(app: &App, kind: Kind, base: &str) -> Value {
    let mut extensions: Vec<Value> = app
        .model()
        .extensions(kind)
        .iter()
        .map(|u| json!({"schema": u, "required": false}))
        .collect();
    if kind == Kind::User && app.bug(Bug::DanglingExtension) {
        extensions.push(json!({"schema": "urn:example:params:scim:schemas:extension:acme:2.0:User", "required": false}));
    }
    let mut rt = json!({
        "schemas": [urn::RESOURCE_TYPE],
        "id": kind.name(),
        "name": kind.name(),
        "description": format!("{} resources", kind.name()),
        "endpoint": endpoint_form(app, kind, base),
        "schema": kind.schema(),
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{}", kind.name())}
    });
    if !extensions.is_empty() {
        rt["schemaExtensions"] = Value::Array(extensions);
    }
    if app.bug(Bug::ResourceTypeUndescribed) {
        rt.as_object_mut().expect("object").remove("description");
    }
    if kind == Kind::Group && app.bug(Bug::ResourceTypeIncomplete) {
        rt.as_object_mut().expect("object").remove("endpoint");
    }
    rt
}

/// A resource type's endpoint in the form the server's shape writes it:
/// relative to the base URL by default (RFC 7643 §6, "e.g., \"Users\""),
/// path-absolute, or an absolute URL.
fn endpoint_form(app: &App, kind: Kind, base: &str) -> String {
    if app.shape(Shape::AbsoluteEndpoints) || app.bug(Bug::EndpointAbsoluteUrl) {
        format!("{base}{}", kind.endpoint())
    } else if app.shape(Shape::PathAbsoluteEndpoints) {
        format!("{}{}", super::BASE_PATH, kind.endpoint())
    } else {
        kind.endpoint().to_string()
    }
}

fn schema_json(app: &App, base: &str) -> Vec<Value> {
    app.model()
        .schema_json()
        .iter()
        .cloned()
        .map(|mut s| {
            let id = s["id"].as_str().unwrap_or_default().to_string();
            s["meta"] =
                json!({"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")});
            if app.bug(Bug::SchemaTypeCapitalized) {
                capitalise_types(&mut s["attributes"]);
            }
            if id == urn::USER && app.bug(Bug::SchemaCharacteristicsDrift) {
                s["attributes"][0]["uniqueness"] = json!("none");
                s["attributes"][0]["returned"] = json!("always");
            }
            if id == urn::USER && app.bug(Bug::SchemaBadCharacteristic) {
                s["attributes"][2]["mutability"] = json!("readwrite");
            }
            if id == urn::USER && app.bug(Bug::SchemaUndescribed) {
                if let Some(o) = s.as_object_mut() {
                    o.remove("description");
                    o.remove("name");
                }
                for a in s["attributes"].as_array_mut().into_iter().flatten() {
                    if let Some(o) = a.as_object_mut() {
                        o.remove("description");
                    }
                }
            }
            if id == urn::USER && app.bug(Bug::SimpleWithSubAttributes) {
                let user_name = s["attributes"]
                    .as_array_mut()
                    .and_then(|attrs| attrs.iter_mut().find(|a| a["name"] == "userName"));
                if let Some(o) = user_name.and_then(Value::as_object_mut) {
                    let sub = json!([{"name": "normalized", "type": "string", "multiValued": false,
                        "required": false, "caseExact": false, "mutability": "readOnly",
                        "returned": "default", "uniqueness": "none", "description": "The PRECIS form"}]);
                    o.insert("subAttributes".into(), sub);
                }
            }
            if id == urn::USER && app.bug(Bug::ComplexWithoutSubAttributes) {
                let last_complex = s["attributes"]
                    .as_array_mut()
                    .and_then(|attrs| attrs.iter_mut().rev().find(|a| a["type"] == "complex"));
                if let Some(o) = last_complex.and_then(Value::as_object_mut) {
                    o.remove("subAttributes");
                }
            }
            s
        })
        .chain(
            app.bug(Bug::SchemasListApiMessages)
                .then(|| list_response_schema(base)),
        )
        .collect()
}

/// The ListResponse message schema, which RFC 7644 §3.1 keeps out of /Schemas.
fn list_response_schema(base: &str) -> Value {
    json!({
        "schemas": [urn::SCHEMA],
        "id": urn::LIST_RESPONSE,
        "name": "ListResponse",
        "description": "A list of resources",
        "attributes": [{"name": "totalResults", "type": "integer", "multiValued": false,
            "description": "The number of results", "required": true, "caseExact": false,
            "mutability": "readOnly", "returned": "always", "uniqueness": "none"}],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{}", urn::LIST_RESPONSE)},
    })
}

fn capitalise_types(attrs: &mut Value) {
    for a in attrs.as_array_mut().into_iter().flatten() {
        if let Some(t) = a["type"].as_str() {
            let mut c = t.chars();
            let cap: String = c
                .next()
                .map(|f| f.to_ascii_uppercase())
                .into_iter()
                .chain(c)
                .collect();
            a["type"] = json!(cap);
        }
        if let Some(subs) = a.get_mut("subAttributes") {
            capitalise_types(subs);
        }
    }
}

/// A list of discovery resources: query parameters ignored unless a bug applies them.
fn list(app: &App, mut items: Vec<Value>, key: &str, query: &HashMap<String, String>) -> Response {
    if app.bug(Bug::DiscoveryFilterApplied) {
        if let Some(f) = query.get("filter") {
            items.retain(|i| i[key].as_str().is_some_and(|v| f.contains(v)));
        }
        let start = query
            .get("startIndex")
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1);
        let count = query
            .get("count")
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(usize::MAX);
        items = items.into_iter().skip(start - 1).take(count).collect();
    } else if query.contains_key("filter") {
        // RFC 7644 §4: "If a filter is provided, the service provider SHOULD respond with 403".
        return error(
            app,
            StatusCode::FORBIDDEN,
            None,
            "filters are not supported on discovery endpoints",
        );
    }
    let body = if app.bug(Bug::DiscoveryBareArray) {
        Value::Array(items)
    } else {
        json!({
            "schemas": [urn::LIST_RESPONSE],
            "totalResults": items.len(),
            "startIndex": 1,
            "itemsPerPage": items.len(),
            "Resources": items
        })
    };
    scim(app, StatusCode::OK, &body)
}

async fn resource_types(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let base = base_url(&headers);
    let items = [Kind::User, Kind::Group]
        .iter()
        .map(|k| resource_type_json(&app, *k, &base))
        .collect();
    list(&app, items, "name", &q)
}

async fn resource_type(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let base = base_url(&headers);
    match [Kind::User, Kind::Group]
        .into_iter()
        .find(|k| k.name() == id)
    {
        Some(kind) if !app.bug(Bug::DiscoveryById404) => {
            scim(&app, StatusCode::OK, &resource_type_json(&app, kind, &base))
        }
        _ => error(
            &app,
            StatusCode::NOT_FOUND,
            None,
            &format!("no resource type {id}"),
        ),
    }
}

async fn schemas(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let items = schema_json(&app, &base_url(&headers));
    list(&app, items, "id", &q)
}

async fn schema(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let found = schema_json(&app, &base_url(&headers))
        .into_iter()
        .find(|s| s["id"] == json!(id));
    match found {
        Some(s) if !app.bug(Bug::DiscoveryById404) => scim(&app, StatusCode::OK, &s),
        _ => error(
            &app,
            StatusCode::NOT_FOUND,
            None,
            &format!("no schema {id}"),
        ),
    }
}
