//! Queries at the server root (RFC 7644 §3.4.2.1): `GET /?filter=` and
//! `POST /.search` search every resource type at once. Attributes a type
//! does not have are treated as having no value there; a query without a
//! filter would return everything and is refused with 400 tooMany.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::bugs::Bug;
use super::respond::{error, scim};
use super::store::{render, Kind};
use super::{base_url, App};
use crate::scim::filter::{self, Evaluator, Filter};
use crate::scim::urn;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(root_get))
        .route("/.search", post(root_search))
}

async fn root_get(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    answer(&app, &headers, q.get("filter").map(String::as_str))
}

async fn root_search(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let body = match super::resources::parse_body(&app, &body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    answer(&app, &headers, body.get("filter").and_then(Value::as_str))
}

fn answer(app: &App, headers: &HeaderMap, filter: Option<&str>) -> Response {
    if !app.filters() {
        return error(
            app,
            StatusCode::NOT_IMPLEMENTED,
            None,
            "filtering is not supported",
        );
    }
    let Some(text) = filter else {
        let scim_type = (!app.bug(Bug::RootTooManyUntyped)).then_some("tooMany");
        return error(
            app,
            StatusCode::BAD_REQUEST,
            scim_type,
            "a query at the server root needs a filter",
        );
    };
    let parsed = match filter::parse(text) {
        Ok(f) => f,
        Err(e) => {
            return error(
                app,
                StatusCode::BAD_REQUEST,
                Some("invalidFilter"),
                &format!("invalid filter: {e}"),
            )
        }
    };
    let kinds: &[Kind] = if app.bug(Bug::RootQueryUsersOnly) {
        &[Kind::User]
    } else {
        &[Kind::User, Kind::Group]
    };
    let base = base_url(headers);
    let schemas = app.model().schemas().to_vec();
    let store = app.store();
    let mut found = vec![];
    for kind in kinds {
        let ev = super::listing::evaluator(app, &schemas, *kind);
        let parsed = for_kind(&ev, &parsed);
        for entry in store
            .entries
            .values()
            .filter(|e| e.kind == *kind && !e.deleted)
        {
            let r = render(
                &store,
                entry,
                &base,
                super::meta_complete(app, *kind),
                false,
                app.etags(),
            );
            if ev.matches(&parsed, &r).unwrap_or(false) {
                found.push(r);
            }
        }
    }
    if found.len() > super::listing::MAX_RESULTS {
        return error(
            app,
            StatusCode::BAD_REQUEST,
            Some("tooMany"),
            "the filter matches more resources than one response holds",
        );
    }
    let body = json!({
        "schemas": [urn::LIST_RESPONSE],
        "totalResults": found.len(),
        "startIndex": 1,
        "itemsPerPage": found.len(),
        "Resources": found,
    });
    scim(app, StatusCode::OK, &body)
}

/// The filter as it applies to one resource type: a comparison or
/// presence test on an attribute the type does not have is false
/// (RFC 7644 §3.4.2.1), written as `not (id pr)`.
fn for_kind(ev: &Evaluator<'_>, f: &Filter) -> Filter {
    let rec = |x: &Filter| Box::new(for_kind(ev, x));
    match f {
        Filter::Not(x) => Filter::Not(rec(x)),
        Filter::And(a, b) => Filter::And(rec(a), rec(b)),
        Filter::Or(a, b) => Filter::Or(rec(a), rec(b)),
        leaf => match ev.check(leaf, None) {
            Err(e) if e.message.starts_with("unknown attribute") => {
                let id = filter::parse_attr_path("id", 0).expect("id is an attribute path");
                Filter::negate(Filter::Present(id))
            }
            _ => leaf.clone(),
        },
    }
}
