//! Answering queries in the reference server: GET on a resource endpoint and
//! POST {endpoint}/.search (RFC 7644 §3.4.2, §3.4.3), with filter, sort,
//! paging and attribute selection.

// Handlers answer with a ready `Response` in both arms; boxing it buys nothing here.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::bugs::Bug;
use super::project::{project, shape};
use super::query;
use super::resources::parse_body;
use super::respond::{error, scim};
use super::store::{render, Kind};
use super::{base_url, App};
use crate::scim::filter::Evaluator;
use crate::scim::urn;
use crate::scim::Schema;

type Params = Query<HashMap<String, String>>;

/// The most resources one response holds (advertised as filter.maxResults).
pub const MAX_RESULTS: usize = 200;

pub(super) async fn list(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Params,
    kind: Kind,
) -> Response {
    let number = |name: &str| -> Result<Option<i64>, Response> {
        match q.get(name) {
            None => Ok(None),
            Some(v) if app.bug(Bug::PagingNumbersUnchecked) => Ok(v.trim().parse::<i64>().ok()),
            Some(v) => v.trim().parse::<i64>().map(Some).map_err(|_| {
                error(
                    &app,
                    StatusCode::BAD_REQUEST,
                    Some("invalidValue"),
                    &format!("{name} must be an integer"),
                )
            }),
        }
    };
    let (start_index, count) = match (number("startIndex"), number("count")) {
        (Ok(s), Ok(c)) => (s, c),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let count = count.filter(|_| !app.bug(Bug::CountIgnored));
    if app.bug(Bug::StartIndexBelowOne400) && start_index.is_some_and(|s| s < 1) {
        return error(
            &app,
            StatusCode::BAD_REQUEST,
            Some("invalidValue"),
            "startIndex must be 1 or more",
        );
    }
    let query = query::Query {
        filter: q.get("filter").cloned(),
        sort_by: q.get("sortBy").cloned(),
        sort_order: q.get("sortOrder").cloned(),
        start_index,
        count,
        cursor: q.get("cursor").cloned(),
        attributes: q.get("attributes").cloned(),
        excluded_attributes: q.get("excludedAttributes").cloned(),
    };
    answer_query(&app, &headers, kind, &query)
}

/// POST {endpoint}/.search (RFC 7644 §3.4.3).
pub(super) async fn search(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
    kind: Kind,
) -> Response {
    let body = match parse_body(&app, &body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let req: crate::scim::SearchRequest = match serde_json::from_value(body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                &app,
                StatusCode::BAD_REQUEST,
                Some("invalidSyntax"),
                &format!("not a SearchRequest: {e}"),
            )
        }
    };
    if !req.schemas.iter().any(|s| s == urn::SEARCH_REQUEST) {
        let detail = format!("schemas must include {}", urn::SEARCH_REQUEST);
        return error(
            &app,
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            &detail,
        );
    }
    let urn_unknown = app.bug(Bug::SearchUrnNamesUnknown);
    if urn_unknown
        && req
            .sort_by
            .as_deref()
            .is_some_and(|s| s.starts_with("urn:"))
    {
        let detail = format!(
            "sortBy: unknown attribute {:?}",
            req.sort_by.unwrap_or_default()
        );
        return error(
            &app,
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            &detail,
        );
    }
    let join = |v: &Vec<String>| {
        let names: Vec<&str> = v
            .iter()
            .map(String::as_str)
            .filter(|n| !(urn_unknown && n.starts_with("urn:")))
            .collect();
        (!names.is_empty()).then(|| names.join(","))
    };
    let query = query::Query {
        filter: req.filter.filter(|_| !app.bug(Bug::SearchIgnoresFilter)),
        sort_by: req.sort_by.clone(),
        sort_order: req.sort_order.clone(),
        start_index: req.start_index,
        count: req.count,
        cursor: req.cursor.clone(),
        attributes: join(&req.attributes),
        excluded_attributes: join(&req.excluded_attributes),
    };
    answer_query(&app, &headers, kind, &query)
}

/// Evaluators for filtering and sorting, bent by the case-sensitivity bugs.
fn schemas_for(app: &App, bug: Bug) -> Vec<Schema> {
    let schemas = app.model().schemas().to_vec();
    if app.bug(bug) {
        schemas.iter().map(query::case_exact).collect()
    } else {
        schemas
    }
}

/// The filter evaluator of one resource type: its core schema and the
/// extensions the server declares for it.
pub(super) fn evaluator<'s>(app: &App, schemas: &'s [Schema], kind: Kind) -> Evaluator<'s> {
    let core = schemas
        .iter()
        .find(|s| s.id == kind.schema())
        .expect("core schema");
    let extensions = schemas
        .iter()
        .filter(|s| app.model().extensions(kind).contains(&s.id.as_str()))
        .collect();
    Evaluator::new(core, extensions)
}

fn answer_query(app: &App, headers: &HeaderMap, kind: Kind, q: &query::Query) -> Response {
    if app.bug(Bug::LongFilter500)
        && q.filter
            .as_deref()
            .is_some_and(super::robustness::has_long_value)
    {
        let body = "Internal Server Error";
        return (StatusCode::INTERNAL_SERVER_ERROR, body).into_response();
    }
    let bent;
    let q = if app.bug(Bug::CursorIgnoresFilter)
        && q.cursor.as_deref().is_some_and(|c| !c.is_empty())
    {
        bent = query::Query {
            filter: None,
            ..q.clone()
        };
        &bent
    } else {
        q
    };
    if !app.filters() && q.filter.is_some() {
        return error(
            app,
            StatusCode::NOT_IMPLEMENTED,
            None,
            "filtering is not supported",
        );
    }
    let base = base_url(headers);
    let (fs, ss) = (
        schemas_for(app, Bug::FilterCaseSensitive),
        schemas_for(app, Bug::SortCaseSensitive),
    );
    let (filter_ev, sort_ev) = (evaluator(app, &fs, kind), evaluator(app, &ss, kind));
    let all: Vec<Value> = {
        let store = app.store();
        store
            .entries
            .values()
            .filter(|e| e.kind == kind && (!e.deleted || app.bug(Bug::DeletedStillListed)))
            .map(|e| {
                render(
                    &store,
                    e,
                    &base,
                    super::meta_complete(app, kind),
                    app.bug(Bug::PasswordReturned),
                    app.etags(),
                )
            })
            .collect()
    };
    let selected = match query::select(app, &filter_ev, &sort_ev, q, all) {
        Ok(s) => s,
        Err((status, scim_type, detail)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            return error(
                app,
                status,
                (!scim_type.is_empty()).then_some(scim_type),
                &detail,
            );
        }
    };
    let total = selected.len();
    let declared = app.model().schemas_of(kind);
    let plan = match super::paging::plan(app, q, total) {
        Ok(p) => p,
        Err((status, scim_type, detail)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            return error(app, status, Some(scim_type), &detail);
        }
    };
    let count = plan.take;
    let page: Vec<Value> = selected
        .into_iter()
        .skip(plan.skip)
        .take(plan.take)
        .map(|r| shape(app, r, &declared, q.attributes.as_ref(), None))
        .map(|r| {
            project(
                app,
                r,
                q.attributes.as_ref(),
                q.excluded_attributes.as_ref(),
                kind.schema(),
            )
        })
        .collect();
    let mut body = json!({
        "schemas": [urn::LIST_RESPONSE],
        "totalResults": total,
        "itemsPerPage": if app.bug(Bug::ItemsPerPageIsCount) { count } else { page.len() },
        "Resources": page,
    });
    if let Some(o) = body.as_object_mut() {
        o.extend(plan.members);
    }
    if app.bug(Bug::ListWithoutSchemas) {
        body.as_object_mut().expect("object").remove("schemas");
    }
    scim(app, StatusCode::OK, &body)
}
