//! Query steps: the expected answer of a filter (and sort) over the file's
//! population comes from the reference evaluator; the server's answer,
//! walked page by page and restricted to the population, must equal it.

use std::cmp::Ordering;

use serde_json::{json, Value};

use super::exec::{CaseRun, Stop};
use crate::discover::list_items;
use crate::http::Request;
use crate::outcome::Failure;
use crate::scim::filter::{self, order, Evaluator, SortKey};
use crate::scim::urn;
use crate::suite::QueryStep;

/// Pages read at most per query.
const MAX_PAGES: usize = 20;

/// What the evaluator says the server must answer.
enum Expected {
    /// 400 invalidFilter, and why.
    Invalid(String),
    /// These population members, in this order when sorted.
    Members(Vec<String>),
}

impl CaseRun<'_, '_> {
    pub(super) async fn query_step(&mut self, n: usize, step: &QueryStep) -> Result<(), Stop> {
        let label = format!("step {n} query {}", step.query);
        let errored = |m: String| Stop::Errored(format!("{label}: {m}"));
        let caps = self.ctx.caps;
        let rt = caps
            .resource_type(&step.query)
            .ok_or_else(|| errored("no such resource type".into()))?;
        let core = caps
            .schemas
            .iter()
            .find(|s| s.id == rt.schema)
            .ok_or_else(|| {
                errored(format!(
                    "/Schemas does not describe {}, so no expected answer can be computed",
                    rt.schema
                ))
            })?;
        let extensions = rt
            .extensions
            .iter()
            .filter_map(|(u, _)| caps.schemas.iter().find(|s| &s.id == u))
            .collect();
        let ev = Evaluator::new(core, extensions);
        let filter_text = match &step.filter {
            Some(f) => Some(self.vars.render_text(f).map_err(&errored)?),
            None => None,
        };
        let members: Vec<(String, Value)> = self
            .case
            .population
            .iter()
            .filter(|(_, f)| f.resource_type == step.query)
            .filter_map(|(name, _)| self.vars.lookup(name).ok().map(|v| (name.clone(), v)))
            .collect();
        let expected = oracle(&ev, filter_text.as_deref(), step, &members).map_err(&errored)?;
        match (&expected, step.expect_invalid) {
            (Expected::Invalid(why), false) => {
                return Err(errored(format!(
                    "the evaluator refuses this filter ({why}) but the suite expects results"
                )))
            }
            (Expected::Members(_), true) => {
                return Err(errored(
                    "the suite expects 400 invalidFilter but the evaluator accepts the filter"
                        .into(),
                ))
            }
            (Expected::Members(got), false) => {
                if let Some(want) = &step.expect_members {
                    let mut a = want.clone();
                    let mut b = got.clone();
                    a.sort();
                    b.sort();
                    if a != b {
                        let what = format!(
                            "the suite expects [{}] but the evaluator computes [{}]",
                            want.join(", "),
                            got.join(", ")
                        );
                        if super::declared::schema_is_not_rfc(caps, &step.query) {
                            return Err(Stop::Skipped(super::declared::premise_lost(
                                &step.query,
                                &what,
                            )));
                        }
                        return Err(errored(what));
                    }
                }
            }
            _ => {}
        }
        let describe = match &filter_text {
            Some(f) => format!("{label} filter `{f}`"),
            None => label.clone(),
        };
        let ids: Vec<(String, String)> = members
            .iter()
            .filter_map(|(name, v)| Some((name.clone(), v["id"].as_str()?.to_string())))
            .collect();
        let name_of = |id: &str| ids.iter().find(|(_, i)| i == id).map(|(n, _)| n.clone());
        let mut returned: Vec<String> = vec![];
        let limit = match (&step.over_limit, &expected) {
            (Some(l), Expected::Members(want)) => Some(
                page_limit(caps.spc.as_ref(), &l.spc, want.len())
                    .map_err(|why| Stop::Skipped(format!("{label}: {why}")))?,
            ),
            _ => None,
        };
        // Over a limit, ask for one resource more than it allows.
        let count = limit.map_or(step.count.unwrap_or(50) as usize, |l| l + 1);
        // RFC 9865: cursors when asked for, or when the server pages no other way.
        let cursor_walk = step.cursor
            || caps.meets("pagination:index").is_err() && caps.meets("pagination:cursor").is_ok();
        let mut position = if cursor_walk {
            Position::Cursor(String::new())
        } else {
            Position::Index(1)
        };
        let mut seen_cursors = std::collections::HashSet::new();
        // Whether last-page verdicts hold: the list is checked and the walk does not change it.
        let stable_list = step.check_paging && step.change_after_first_page.is_none();
        for page in 0..MAX_PAGES {
            let at = position.to_string();
            let req = self.query_request(
                rt.endpoint.as_str(),
                step,
                filter_text.as_deref(),
                &position,
                count,
            );
            let resp = self.send(req).await?;
            if step.search && matches!(resp.status, 404 | 405 | 501) {
                // POST /.search is optional (RFC 7644 §3.4.3: "Clients MAY").
                return Err(Stop::Skipped(format!(
                    "the server does not offer POST {}/.search (it answered {})",
                    rt.endpoint, resp.status
                )));
            }
            let body = resp.json();
            if let Expected::Invalid(why) = &expected {
                let scim_type = body
                    .as_ref()
                    .and_then(|b| b["scimType"].as_str().map(str::to_string));
                if resp.status != 400 || scim_type.as_deref() != Some("invalidFilter") {
                    let detail = body
                        .as_ref()
                        .and_then(|b| b["detail"].as_str())
                        .unwrap_or("");
                    return self.fail(
                        &describe,
                        "answer",
                        format!("400 with scimType invalidFilter ({why})"),
                        format!("{} {} {detail}", resp.status, scim_type.unwrap_or_default()),
                    );
                }
                return Ok(());
            }
            if let (Some(f), 0) = (&filter_text, page) {
                // A clean refusal of a filter the server does not support
                // (RFC 7644 Table 9 invalidFilter: "the specified attribute and
                // filter comparison combination is not supported"; Table 8
                // 501) leaves the case nothing to judge.
                let scim_type = body.as_ref().and_then(|b| b["scimType"].as_str());
                let detail = body
                    .as_ref()
                    .and_then(|b| b["detail"].as_str())
                    .unwrap_or_default();
                if resp.status == 501 || (resp.status == 400 && scim_type == Some("invalidFilter"))
                {
                    return Err(Stop::Skipped(format!(
                        "the server does not support the filter `{f}` (it answered {} {}{detail}): \
                         an optional capability, so the case is not judged",
                        resp.status,
                        scim_type.map(|t| format!("{t} ")).unwrap_or_default(),
                    )));
                }
            }
            if let (Some(over), 0) = (&step.over_limit, page) {
                let scim_type = body.as_ref().and_then(|b| b["scimType"].as_str());
                if resp.status == 400 && scim_type == Some(over.refusal.as_str()) {
                    // Refusing a count over the limit is the other allowed answer.
                    return Ok(());
                }
            }
            let Some(body) = body.filter(|_| resp.status == 200) else {
                let detail = resp
                    .json()
                    .and_then(|b| b["detail"].as_str().map(str::to_string))
                    .unwrap_or_default();
                return self.fail(
                    &describe,
                    "status",
                    "200 with a ListResponse".into(),
                    format!("{} {detail}", resp.status),
                );
            };
            let Some(items) = list_items(&body).filter(|_| body.is_object()) else {
                return self.fail(
                    &describe,
                    "body",
                    "a ListResponse with Resources".into(),
                    crate::run::expect::show(Some(&body)),
                );
            };
            if step.check_paging {
                if let Some(problem) = page_problem(&body, items.len(), &position, page, count) {
                    return self.fail(
                        &describe,
                        &format!("page {}", page + 1),
                        problem.0,
                        problem.1,
                    );
                }
            }
            if let (Some(l), Some(over)) = (limit, &step.over_limit) {
                let per_page = body["itemsPerPage"].as_u64().unwrap_or(0) as usize;
                if items.len() > l || per_page > l {
                    return self.fail(
                        &describe,
                        &format!("page {} asked with count={count}", page + 1),
                        format!(
                            "at most {l} resources ({} of /ServiceProviderConfig), or 400 {}",
                            over.spc, over.refusal
                        ),
                        format!("{} resources, itemsPerPage {per_page}", items.len()),
                    );
                }
            }
            let page_ids: Vec<String> = items
                .iter()
                .filter_map(|r| r["id"].as_str().map(str::to_string))
                .collect();
            if page > 0 && !page_ids.is_empty() && page_ids.iter().all(|id| returned.contains(id)) {
                // A page of nothing new: the walk would loop.
                return self.fail(
                    &describe,
                    &format!("page at {at}"),
                    "the resources after those already returned (RFC 7644 §3.4.2.4, RFC 9865 §2)"
                        .into(),
                    format!("only resources already returned: {}", page_ids.join(", ")),
                );
            }
            returned.extend(page_ids);
            if let (0, Some(change)) = (page, &step.change_after_first_page) {
                self.change_list(&rt.endpoint, &step.query, change).await?;
            }
            let total = body["totalResults"].as_u64().map(|t| t as usize);
            position = match position {
                Position::Index(start) => {
                    let total = total.unwrap_or(0);
                    if items.is_empty() || start - 1 + items.len() >= total {
                        break;
                    }
                    Position::Index(start + items.len())
                }
                Position::Cursor(_) => match body["nextCursor"].as_str() {
                    None => {
                        // After the run changed the list, resources may come
                        // or go (RFC 7644 §3.4.2.4), so the count says nothing.
                        if let (true, Some(t)) = (stable_list, total) {
                            if returned.len() < t {
                                return self.fail(
                                    &describe,
                                    &format!("page {}", page + 1),
                                    format!("nextCursor, since {} of {t} resources have come (RFC 9865 §2)", returned.len()),
                                    "no nextCursor".into(),
                                );
                            }
                        }
                        break;
                    }
                    Some(next) => {
                        if stable_list && page > 0 && items.is_empty() {
                            return self.fail(
                                &describe,
                                &format!("page {}", page + 1),
                                "resources, since the page before offered a nextCursor (RFC 9865 §2: nextCursor only before the last page)".into(),
                                "an empty page".into(),
                            );
                        }
                        if !seen_cursors.insert(next.to_string()) {
                            return self.fail(
                                &describe,
                                &format!("page {}", page + 1),
                                "a nextCursor not offered before".into(),
                                format!("{next:?} again: the walk would loop"),
                            );
                        }
                        Position::Cursor(next.to_string())
                    }
                },
            };
            if page + 1 == MAX_PAGES {
                return Err(errored(format!(
                    "more than {} pages; narrow the filter",
                    MAX_PAGES
                )));
            }
        }
        let Expected::Members(want) = expected else {
            unreachable!("handled above")
        };
        if step.pages_only {
            return Ok(());
        }
        let got: Vec<String> = returned.iter().filter_map(|id| name_of(id)).collect();
        let mut failures = vec![];
        let extra: Vec<String> = got
            .iter()
            .filter(|g| !want.contains(g))
            .map(|g| with_id(g, &ids))
            .collect();
        let missing: Vec<String> = want
            .iter()
            .filter(|w| !got.contains(w))
            .map(|w| with_id(w, &ids))
            .collect();
        if !extra.is_empty() || !missing.is_empty() {
            let mut actual = format!("[{}]", got.join(", "));
            if !extra.is_empty() {
                actual.push_str(&format!("; should not be there: {}", extra.join(", ")));
            }
            if !missing.is_empty() {
                actual.push_str(&format!("; missing: {}", missing.join(", ")));
            }
            failures.push(self.failure(
                &describe,
                "matching population members",
                format!("[{}]", want.join(", ")),
                actual,
            ));
        }
        let mut seen = std::collections::HashSet::new();
        let duplicates: Vec<&String> = got.iter().filter(|g| !seen.insert(*g)).collect();
        if !duplicates.is_empty() {
            failures.push(self.failure(
                &describe,
                "results",
                "each resource once".into(),
                format!("repeated: {duplicates:?}"),
            ));
        }
        if let (Some(by), true) = (&step.sort_by, failures.is_empty()) {
            let descending = step.sort_order.as_deref() == Some("descending");
            let path = filter::parse_attr_path(by, 0).map_err(|e| errored(e.to_string()))?;
            let key = |name: &String| -> Option<SortKey> {
                members
                    .iter()
                    .find(|(n, _)| n == name)
                    .and_then(|(_, v)| ev.sort_key(&path, v).ok().flatten())
            };
            for pair in got.windows(2) {
                if order(&key(&pair[0]), &key(&pair[1]), descending) == Ordering::Greater {
                    failures.push(self.failure(
                        &describe,
                        &format!(
                            "order by {by} {}",
                            if descending {
                                "descending"
                            } else {
                                "ascending"
                            }
                        ),
                        format!("[{}]", want.join(", ")),
                        format!("[{}]: {} before {}", got.join(", "), pair[0], pair[1]),
                    ));
                    break;
                }
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            let curl = self.exchanges.last().map(|e| e.curl.clone());
            Err(Stop::Failed(failures, curl))
        }
    }

    /// Creates a resource and deletes a fixture in the middle of a walk.
    async fn change_list(
        &mut self,
        endpoint: &str,
        resource_type: &str,
        change: &crate::suite::WalkChange,
    ) -> Result<(), Stop> {
        let errored = |m: String| Stop::Errored(format!("changing the list during the walk: {m}"));
        let body = self.vars.render(&change.create).map_err(&errored)?;
        let body = self.filled(resource_type, body);
        let created = self.send(Request::post_json(endpoint, &body)).await?;
        if !(200..300).contains(&created.status) {
            return Err(errored(format!(
                "POST {endpoint} answered {}",
                created.status
            )));
        }
        let id = self
            .vars
            .lookup(&format!("{}/id", change.delete))
            .map_err(&errored)?;
        let target = format!("{endpoint}/{}", id.as_str().unwrap_or_default());
        self.guard("DELETE", &self.relative(&target))?;
        let deleted = self
            .send(Request {
                method: "DELETE".into(),
                target: target.clone(),
                authenticate: true,
                ..Default::default()
            })
            .await?;
        if !(200..300).contains(&deleted.status) {
            return Err(errored(format!(
                "DELETE {target} answered {}",
                deleted.status
            )));
        }
        Ok(())
    }

    fn query_request(
        &self,
        endpoint: &str,
        step: &QueryStep,
        filter: Option<&str>,
        position: &Position,
        count: usize,
    ) -> Request {
        if step.search {
            let mut body = json!({"schemas": [urn::SEARCH_REQUEST], "count": count});
            match position {
                Position::Index(start) => body["startIndex"] = json!(start),
                Position::Cursor(c) => body["cursor"] = json!(c),
            }
            if let Some(f) = filter {
                body["filter"] = json!(f);
            }
            if let Some(s) = &step.sort_by {
                body["sortBy"] = json!(s);
            }
            if let Some(o) = &step.sort_order {
                body["sortOrder"] = json!(o);
            }
            return Request::post_json(format!("{endpoint}/.search"), &body);
        }
        let mut query = vec![];
        if let Some(f) = filter {
            query.push(("filter".to_string(), f.to_string()));
        }
        if let Some(s) = &step.sort_by {
            query.push(("sortBy".to_string(), s.clone()));
        }
        if let Some(o) = &step.sort_order {
            query.push(("sortOrder".to_string(), o.clone()));
        }
        match position {
            Position::Index(start) => query.push(("startIndex".to_string(), start.to_string())),
            Position::Cursor(c) => query.push(("cursor".to_string(), c.clone())),
        }
        query.push(("count".to_string(), count.to_string()));
        Request {
            method: "GET".into(),
            target: endpoint.to_string(),
            query,
            authenticate: true,
            ..Default::default()
        }
    }

    fn failure(&self, step: &str, subject: &str, expected: String, actual: String) -> Failure {
        Failure {
            step: step.to_string(),
            subject: subject.to_string(),
            expected,
            actual,
        }
    }

    fn fail(
        &self,
        step: &str,
        subject: &str,
        expected: String,
        actual: String,
    ) -> Result<(), Stop> {
        let curl = self.exchanges.last().map(|e| e.curl.clone());
        Err(Stop::Failed(
            vec![self.failure(step, subject, expected, actual)],
            curl,
        ))
    }
}

/// The limit at `pointer` of the SPC, when it is below the `members` the
/// filter matches (else a case over it shows nothing); or why not.
fn page_limit(spc: Option<&Value>, pointer: &str, members: usize) -> Result<usize, String> {
    let limit = spc
        .and_then(|s| s.pointer(pointer))
        .ok_or_else(|| format!("/ServiceProviderConfig declares no {pointer}"))?;
    let limit = limit
        .as_u64()
        .filter(|l| *l > 0)
        .ok_or_else(|| format!("{pointer} is {limit}, not a positive integer"))?
        as usize;
    if limit >= members {
        return Err(format!(
            "{pointer} is {limit}, not below the {members} resources this case lists"
        ));
    }
    Ok(limit)
}

fn with_id(name: &str, ids: &[(String, String)]) -> String {
    match ids.iter().find(|(n, _)| n == name) {
        Some((_, id)) => format!("{name} (id {id})"),
        None => name.to_string(),
    }
}

/// The evaluator's answer over the population (sorted when asked).
fn oracle(
    ev: &Evaluator<'_>,
    filter_text: Option<&str>,
    step: &QueryStep,
    members: &[(String, Value)],
) -> Result<Expected, String> {
    let parsed = match filter_text.map(filter::parse) {
        None => None,
        Some(Err(e)) => return Ok(Expected::Invalid(e.to_string())),
        Some(Ok(f)) => {
            if let Err(e) = ev.check(&f, None) {
                return Ok(Expected::Invalid(e.to_string()));
            }
            Some(f)
        }
    };
    let mut matching: Vec<&(String, Value)> = members
        .iter()
        .filter(|(_, v)| {
            parsed
                .as_ref()
                .is_none_or(|f| ev.matches(f, v).unwrap_or(false))
        })
        .collect();
    if let Some(by) = &step.sort_by {
        let path = filter::parse_attr_path(by, 0).map_err(|e| format!("sort_by: {e}"))?;
        let descending = step.sort_order.as_deref() == Some("descending");
        let mut keyed = vec![];
        for m in matching {
            keyed.push((
                ev.sort_key(&path, &m.1)
                    .map_err(|e| format!("sort_by: {e}"))?,
                m,
            ));
        }
        keyed.sort_by(|(a, _), (b, _)| order(a, b, descending));
        matching = keyed.into_iter().map(|(_, m)| m).collect();
    }
    Ok(Expected::Members(
        matching.into_iter().map(|(n, _)| n.clone()).collect(),
    ))
}

/// Where a walk stands: an index (RFC 7644 §3.4.2.4) or a cursor (RFC 9865).
enum Position {
    Index(usize),
    Cursor(String),
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Position::Index(s) => write!(f, "startIndex {s}"),
            Position::Cursor(c) if c.is_empty() => f.write_str("the first cursor page"),
            Position::Cursor(c) => write!(f, "cursor {c:?}"),
        }
    }
}

/// RFC 9865 §2: cursors hold only unreserved characters (RFC 3986 §2.3).
fn url_safe(cursor: &str) -> bool {
    !cursor.is_empty()
        && cursor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
}

/// What is wrong with one page of a walk, as (expected, actual): RFC 7644
/// §3.4.2 (totalResults REQUIRED; startIndex and itemsPerPage REQUIRED on a
/// partial page), §3.4.2.4 and RFC 9865 §2 (no more than count resources;
/// no previousCursor on the first page; URL-safe cursors).
fn page_problem(
    body: &Value,
    len: usize,
    position: &Position,
    page: usize,
    count: usize,
) -> Option<(String, String)> {
    let number = |name: &str| body.get(name).and_then(Value::as_u64);
    let total = number("totalResults");
    let cursor = matches!(position, Position::Cursor(_));
    // RFC 9865 §2 lets a cursor server that cannot estimate it omit totalResults.
    if total.is_none() && !cursor {
        return Some((
            "totalResults".into(),
            crate::run::expect::show(body.get("totalResults")),
        ));
    }
    if len > count {
        return Some((
            format!("at most {count} resources (count={count})"),
            format!("{len} resources"),
        ));
    }
    let partial = total.is_some_and(|t| (len as u64) < t);
    match (number("itemsPerPage"), partial) {
        (Some(n), _) if n as usize != len => {
            return Some((
                format!("itemsPerPage {len}, the resources on the page"),
                format!("itemsPerPage {n}"),
            ));
        }
        (None, true) => return Some(("itemsPerPage on a partial page".into(), "none".into())),
        _ => {}
    }
    match position {
        Position::Cursor(_) => {
            if page == 0 && body.get("previousCursor").is_some() {
                return Some((
                    "no previousCursor on the first page (RFC 9865 §2)".into(),
                    crate::run::expect::show(body.get("previousCursor")),
                ));
            }
            for name in ["nextCursor", "previousCursor"] {
                if let Some(c) = body.get(name).and_then(Value::as_str) {
                    if !url_safe(c) {
                        return Some((
                            format!("{name} of unreserved characters only (RFC 9865 §2)"),
                            format!("{c:?}"),
                        ));
                    }
                }
            }
            None
        }
        Position::Index(start) => match (number("startIndex"), partial) {
            (Some(s), _) if s as usize != *start => Some((
                format!("startIndex {start}, as asked for"),
                format!("startIndex {s}"),
            )),
            (None, true) => Some(("startIndex on a partial page".into(), "none".into())),
            _ => None,
        },
    }
}
