//! Executing one case: requirements, fixtures, steps (render, guard, send,
//! track, expect, capture), then deleting what the case created.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use serde_json::{Map, Value};

use super::expect::{self, show};
use super::ledger::Ledger;
use super::template::Vars;
use crate::check::{self, CheckCtx};
use crate::discover::Capabilities;
use crate::http::{Client, Exchange, Request, Response};
use crate::outcome::{CaseOutcome, Failure, Status};
use crate::suite::{Case, CheckStep, Expect, HttpStep, Matcher, Step};

/// What every case of a run shares.
pub struct Context<'a> {
    pub client: &'a Client,
    pub caps: &'a Capabilities,
    pub ledger: &'a Ledger,
    pub run_token: String,
    pub interrupted: &'a AtomicBool,
    pub counter: AtomicU64,
    /// The populations of the suite files, created before the cases run.
    pub populations: super::population::Populations,
    /// The SCIM events received, when the run receives any.
    pub events: Option<&'a crate::events::Inbox>,
}

/// Why a case stopped before its end.
pub(super) enum Stop {
    Failed(Vec<Failure>, Option<String>),
    Errored(String),
    /// The server refused what the case needs to start (a fixture): the
    /// message, and the server's own rule (`400 invalidValue: emails is required`).
    Refused(String, String),
    /// The server showed it lacks an optional feature the case needs.
    Skipped(String),
}

pub(super) struct CaseRun<'c, 'a> {
    pub(super) ctx: &'c Context<'a>,
    pub(super) case: &'c Case,
    pub(super) vars: Vars<'c>,
    pub(super) exchanges: Vec<Exchange>,
}

/// Runs one case to its outcome; never panics on server behaviour.
pub async fn run_case(ctx: &Context<'_>, case: &Case) -> CaseOutcome {
    let started = Instant::now();
    let mut outcome = blank_outcome(case);
    if let Some(reason) = unmet(ctx.caps, case) {
        outcome.status = Status::Skipped;
        outcome.message = reason;
        return outcome;
    }
    let mut run = CaseRun {
        ctx,
        case,
        vars: Vars::new(&ctx.run_token, &ctx.counter),
        exchanges: vec![],
    };
    let result = run.execute().await;
    let cleanup_problem = run.cleanup().await;
    outcome.exchanges = run.exchanges;
    match result {
        Ok(()) => outcome.status = Status::Passed,
        Err(Stop::Failed(failures, curl)) => {
            outcome.status = Status::Failed;
            outcome.warning = case.ambiguous.is_some();
            outcome.message = failures[0].to_string();
            if failures.len() > 1 {
                outcome
                    .message
                    .push_str(&format!(" (and {} more)", failures.len() - 1));
            }
            outcome.failures = failures;
            outcome.curl = curl;
        }
        Err(Stop::Errored(message)) => {
            outcome.status = Status::Errored;
            outcome.message = message;
        }
        Err(Stop::Refused(message, rule)) => {
            outcome.status = Status::Errored;
            outcome.message = message;
            outcome.blocked_by = Some(rule);
        }
        Err(Stop::Skipped(reason)) => {
            outcome.status = Status::Skipped;
            outcome.message = reason;
        }
    }
    if let Some(problem) = cleanup_problem {
        if outcome.message.is_empty() {
            outcome.message = problem;
        } else {
            outcome.message.push_str(&format!("; {problem}"));
        }
    }
    outcome.duration_ms = started.elapsed().as_millis() as u64;
    outcome
}

/// The outcome fields that come from the case itself.
pub fn blank_outcome(case: &Case) -> CaseOutcome {
    let notes = match &case.ambiguous {
        Some(a) => Some(format!("Ambiguous RFC text, graded as a warning: {a}")),
        None => case.notes.clone(),
    };
    CaseOutcome {
        profile: case.profile.clone(),
        notes,
        ..CaseOutcome::pending(
            case.id.clone(),
            case.title.clone(),
            case.area.clone(),
            case.level,
            case.requirements.clone(),
            format!("{}:{}", case.origin.file, case.origin.pos.line),
        )
    }
}

/// Why a case cannot run against these capabilities, if it cannot.
pub fn unmet(caps: &Capabilities, case: &Case) -> Option<String> {
    case.requires
        .iter()
        .map(String::as_str)
        .chain(case.fixture_types())
        .find_map(|r| caps.meets(r).err())
        .or_else(|| super::declared::undeclared(caps, case))
        .or_else(|| super::declared::filter_unsupported(caps, case))
}

impl CaseRun<'_, '_> {
    async fn execute(&mut self) -> Result<(), Stop> {
        let endpoints: Map<String, Value> = self
            .ctx
            .caps
            .resource_types
            .iter()
            .map(|rt| (rt.name.clone(), Value::String(rt.endpoint.clone())))
            .collect();
        self.vars.set("endpoint", Value::Object(endpoints));
        if !self.case.population.is_empty() {
            match self.ctx.populations.get(&self.case.origin.file) {
                Some(Ok(members)) => {
                    for (name, value) in members {
                        self.vars.set(name, value.clone());
                    }
                }
                Some(Err(e)) => {
                    let message = format!("the file's population: {}", e.message);
                    return Err(match &e.rule {
                        Some(rule) => Stop::Refused(message, rule.clone()),
                        None => Stop::Errored(message),
                    });
                }
                None => {
                    return Err(Stop::Errored(
                        "the file's population was not created".into(),
                    ))
                }
            }
        }
        for (name, value) in &self.case.vars {
            let v = self
                .vars
                .render(value)
                .map_err(|e| Stop::Errored(format!("vars.{name}: {e}")))?;
            self.vars.set(name, v);
        }
        for (name, fixture) in &self.case.fixtures {
            let rt = self.ctx.caps.resource_type(&fixture.resource_type).cloned();
            let endpoint = rt.map(|rt| rt.endpoint).unwrap_or_default();
            let body = self
                .vars
                .render(&fixture.body)
                .map_err(|e| Stop::Errored(format!("fixture `{name}`: {e}")))?;
            let body = self.filled(&fixture.resource_type, body);
            let resp = self
                .send(Request::post_json(endpoint.clone(), &body))
                .await?;
            let ok = (200..300).contains(&resp.status);
            let base = self.ctx.client.base_url();
            // The id the ledger read (body and Location agreeing), never a
            // parser's pick among duplicate members.
            let id = match super::cleanup::created_id(base, &endpoint, &resp) {
                Err(why) if ok => {
                    return Err(Stop::Errored(format!(
                        "fixture `{name}`: POST {endpoint} answered {}, but {why}",
                        resp.status
                    )))
                }
                id => id.ok(),
            };
            let created = resp.json().filter(|b| b.is_object() && ok).map(|mut b| {
                b["id"] = id.clone().map(Value::String).unwrap_or(Value::Null);
                b
            });
            let created = created.filter(|b| b["id"].is_string());
            match created {
                Some(body) if !super::ledger::is_safe_id(body["id"].as_str().unwrap_or("")) => {
                    return Err(Stop::Errored(format!(
                        "fixture `{name}`: the server gave the id {}, which cannot name one \
                         resource in a URL (nothing is sent to it)",
                        body["id"]
                    )))
                }
                Some(body) => self.vars.set(name, body),
                None => {
                    return Err(match refusal_rule(&resp) {
                        Some(rule) => Stop::Refused(
                            format!("fixture `{name}`: the server refused it: {rule}"),
                            rule,
                        ),
                        None => Stop::Errored(format!(
                            "fixture `{name}`: POST {endpoint} answered {}",
                            answer_text(self.ctx, &resp),
                        )),
                    })
                }
            }
        }
        for (i, step) in self.case.steps.iter().enumerate() {
            if self.ctx.interrupted.load(Ordering::SeqCst) {
                return Err(Stop::Errored("interrupted before the case ended".into()));
            }
            match step {
                Step::Http(h) => self.http_step(i + 1, h).await?,
                Step::Check(c) => self.check_step(i + 1, c).await?,
                Step::Query(q) => self.query_step(i + 1, q).await?,
                Step::Patch(p) => self.patch_step(i + 1, p).await?,
                Step::Wait(w) => self.wait_step(i + 1, w).await?,
                Step::Events(e) => self.events_step(i + 1, e).await?,
                Step::Async(a) => self.async_step(i + 1, a).await?,
                Step::Bulk(b) => self.bulk_step(i + 1, b).await?,
            }
        }
        Ok(())
    }

    /// A create or replace body with the attributes the server declares
    /// required filled in (unless the case sends its bodies exactly).
    pub(super) fn filled(&self, resource_type: &str, body: Value) -> Value {
        if self.case.exact_bodies {
            return body;
        }
        let mut fresh = || fresh_token(self.ctx);
        super::declared::fill_required(self.ctx.caps, resource_type, &body, &mut fresh)
    }

    /// Sends a request, records it, and keeps the ledger right.
    pub(super) async fn send(&mut self, req: Request) -> Result<Response, Stop> {
        if self.ctx.interrupted.load(Ordering::SeqCst) {
            return Err(Stop::Errored("interrupted before the case ended".into()));
        }
        if let Some(why) = self.ctx.client.stopped_answering() {
            return Err(Stop::Errored(format!("not finished: {why}")));
        }
        let creates_in = self.creates_in(&req);
        let creates_in = creates_in.as_deref();
        let flight = creates_in.map(|endpoint| {
            let what = super::cleanup::describe_create(endpoint, req.body.as_deref());
            self.ctx.ledger.in_flight(what)
        });
        let (exchange, result) = self.ctx.client.send(&req).await;
        drop(flight);
        self.exchanges.push(exchange);
        if let (Err(e), Some(endpoint)) = (&result, creates_in) {
            let sent = req.body.as_deref();
            let base = self.ctx.client.base_url();
            super::cleanup::record_lost_create(
                self.ctx.ledger,
                base,
                endpoint,
                sent,
                e,
                &self.case.id,
            );
        }
        let resp =
            result.map_err(|e| Stop::Errored(format!("{} {}: {e}", req.method, req.target)))?;
        self.track(&req, &resp);
        if resp.status == 429 {
            return Err(Stop::Errored(format!(
                "{} {} answered 429 Too Many Requests even after the pauses the server asked for: a rate limit, not a verdict",
                req.method, req.target
            )));
        }
        Ok(resp)
    }

    /// A request target as a path relative to the base URL, without a trailing slash.
    pub(super) fn relative(&self, target: &str) -> String {
        crate::discover::resolve_endpoint(self.ctx.client.base_url(), target)
            .unwrap_or_else(|_| target.to_string())
    }

    /// The resource type endpoint a request creates in: a POST to it.
    fn creates_in(&self, req: &Request) -> Option<String> {
        if req.method != "POST" {
            return None;
        }
        let target = self.relative(&req.target);
        self.ctx
            .caps
            .resource_types
            .iter()
            .find(|rt| rt.endpoint == target)
            .map(|rt| rt.endpoint.clone())
    }

    /// Notes creations and deletions of resources in the ledger.
    fn track(&self, req: &Request, resp: &Response) {
        let ok = (200..300).contains(&resp.status);
        let target = self.relative(&req.target);
        match req.method.as_str() {
            "POST" if ok => {
                if let Some(endpoint) = self.creates_in(req) {
                    super::cleanup::record_create(
                        self.ctx.ledger,
                        self.ctx.client.base_url(),
                        &endpoint,
                        req.body.as_deref(),
                        resp,
                        &self.case.id,
                    );
                }
            }
            // A PUT must never create (RFC 7644 §3.5.1), but one that did leaves a resource behind.
            "PUT" if ok => {
                for rt in &self.ctx.caps.resource_types {
                    if let Some(id) = target.strip_prefix(&format!("{}/", rt.endpoint)) {
                        if self.ctx.ledger.is_fresh(id) {
                            self.ctx.ledger.created(&rt.endpoint, id, &self.case.id);
                        }
                    }
                }
            }
            // A 404 is not taken on trust: the case's cleanup deletes
            // again and confirms with a GET.
            "DELETE" if ok => self.ctx.ledger.deleted(&target),
            _ => {}
        }
    }

    /// Refuses to modify a resource the run did not create.
    pub(super) fn guard(&self, method: &str, target: &str) -> Result<(), Stop> {
        if !matches!(method, "PUT" | "PATCH" | "DELETE") {
            return Ok(());
        }
        for rt in &self.ctx.caps.resource_types {
            // The collection itself, or an empty id, names no resource the
            // run created; on a lenient server it could name them all.
            let target = target.trim_end_matches('/');
            if target == rt.endpoint {
                return Err(Stop::Errored(format!(
                    "refusing {method} {target}: it names no single resource"
                )));
            }
            if let Some(rest) = target.strip_prefix(&format!("{}/", rt.endpoint)) {
                let id = rest.split('/').next().unwrap_or(rest);
                if !self.ctx.ledger.may_modify(id) {
                    return Err(Stop::Errored(format!(
                        "refusing {method} {target}: the run did not create that resource"
                    )));
                }
            }
        }
        Ok(())
    }

    async fn http_step(&mut self, n: usize, step: &HttpStep) -> Result<(), Stop> {
        if let Some(expr) = &step.skip_unless {
            if self.vars.lookup(expr).is_err() {
                return Err(Stop::Skipped(match &step.skip_reason {
                    Some(why) => format!("step {n}: {why} (`{expr}` is absent)"),
                    None => {
                        format!("step {n}: the server does not offer `{expr}`, an optional feature")
                    }
                }));
            }
        }
        let render_err = |what: &str, e: String| Stop::Errored(format!("step {n} {what}: {e}"));
        let path = self
            .vars
            .render_text(&step.path)
            .map_err(|e| render_err("path", e))?;
        let (target, mut query) = split_query(&path);
        for (k, v) in &step.query {
            let v = match self.vars.render(v).map_err(|e| render_err("query", e))? {
                Value::String(s) => s,
                other => other.to_string(),
            };
            query.push((k.clone(), v));
        }
        let mut headers = vec![];
        for (k, v) in &step.headers {
            headers.push((
                k.clone(),
                self.vars
                    .render_text(v)
                    .map_err(|e| render_err("headers", e))?,
            ));
        }
        let body = match (&step.body, &step.body_raw) {
            (Some(b), _) => {
                let mut body = self.vars.render(b).map_err(|e| render_err("body", e))?;
                if let Some(rt) = super::declared::written_type(&step.method, &step.path) {
                    body = self.filled(rt, body);
                }
                Some(body.to_string().into_bytes())
            }
            (None, Some(raw)) => Some(
                self.vars
                    .render_text(raw)
                    .map_err(|e| render_err("body_raw", e))?
                    .into_bytes(),
            ),
            (None, None) => None,
        };
        for id in std::mem::take(&mut self.vars.fresh_ids) {
            self.ctx.ledger.fresh(&id);
        }
        self.guard(&step.method, &self.relative(&target))?;
        let label = format!("step {n} {} {}", step.method, target);
        let req = Request {
            method: step.method.clone(),
            target,
            query,
            headers,
            body,
            authenticate: step.auth,
            timeout: None,
        };
        let resp = self.send(req).await?;
        if step.skip_on_status.contains(&resp.status) {
            let why = step
                .skip_reason
                .as_deref()
                .unwrap_or("so it lacks this optional feature");
            return Err(Stop::Skipped(format!(
                "{label}: the server answered {}, {why}",
                resp.status
            )));
        }
        let body_json = resp.json();
        self.vars
            .set("response", body_json.clone().unwrap_or(Value::Null));
        let header_map: Map<String, Value> = resp
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), Value::String(v.clone())))
            .collect();
        self.vars.set("headers", Value::Object(header_map));

        let failures = self.expectations(&label, &step.expect, &resp, body_json.as_ref());
        if !failures.is_empty() {
            let curl = self.exchanges.last().map(|e| e.curl.clone());
            return Err(Stop::Failed(failures, curl));
        }
        let keeps_body =
            step.name.is_some() || step.capture.iter().any(|(_, s)| !s.starts_with("header:"));
        if keeps_body && body_json.is_none() && !resp.body.is_empty() {
            return Err(Stop::Errored(format!(
                "{label}: answered {}: the case needs its body",
                answer_text(self.ctx, &resp)
            )));
        }
        for (var, source) in &step.capture {
            let value = match source.strip_prefix("header:") {
                Some(h) => resp.header(h).map(|v| Value::String(v.to_string())),
                None => body_json.as_ref().and_then(|b| b.pointer(source).cloned()),
            };
            let value = value.ok_or_else(|| {
                Stop::Errored(format!("{label}: capture `{var}`: {source} is absent"))
            })?;
            self.vars.set(var, value);
        }
        if let Some(name) = &step.name {
            self.vars.set(name, body_json.unwrap_or(Value::Null));
        }
        Ok(())
    }

    pub(super) fn expectations(
        &mut self,
        label: &str,
        expect: &Expect,
        resp: &Response,
        body: Option<&Value>,
    ) -> Vec<Failure> {
        let mut failures = vec![];
        let mut fail = |subject: String, expected: String, actual: String| {
            failures.push(Failure {
                step: label.to_string(),
                subject,
                expected,
                actual,
            })
        };
        if let Some(status) = &expect.status {
            let codes = status.codes();
            if !codes.contains(&resp.status) {
                let want: Vec<String> = codes.iter().map(u16::to_string).collect();
                let detail = body
                    .and_then(|b| b["detail"].as_str())
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default();
                fail(
                    "status".into(),
                    want.join(" or "),
                    format!("{}{detail}", resp.status),
                );
                return failures;
            }
        }
        for (name, matcher) in &expect.headers {
            let actual = resp.header(name).map(|v| Value::String(v.to_string()));
            for (expected, got) in self.apply(matcher, actual.as_ref()) {
                fail(format!("header {name}"), expected, got);
            }
        }
        let wants_json = expect.json.unwrap_or(!expect.body.is_empty());
        if wants_json && body.is_none() {
            let ct = resp.header("content-type").unwrap_or("no content type");
            let text = String::from_utf8_lossy(&resp.body);
            let excerpt: String = text.chars().take(80).collect();
            fail(
                "body".into(),
                "a JSON body".into(),
                format!("{ct}: {excerpt:?}"),
            );
            return failures;
        }
        for (pointer, matcher) in &expect.body {
            let actual = body.and_then(|b| b.pointer(pointer));
            let subject = if pointer.is_empty() {
                "body".to_string()
            } else {
                format!("body {pointer}")
            };
            for (expected, got) in self.apply(matcher, actual) {
                fail(subject.clone(), expected, got);
            }
        }
        failures
    }

    /// Renders a matcher's templates, then checks it.
    fn apply(&mut self, matcher: &Matcher, actual: Option<&Value>) -> Vec<(String, String)> {
        let raw = serde_json::to_value(matcher).unwrap_or(Value::Null);
        match self
            .vars
            .render(&raw)
            .and_then(|v| serde_json::from_value::<Matcher>(v).map_err(|e| e.to_string()))
        {
            Ok(m) => expect::check(actual, &m),
            Err(e) => vec![(
                format!("(a value computed from the response: {e})"),
                show(actual),
            )],
        }
    }

    async fn check_step(&mut self, n: usize, step: &CheckStep) -> Result<(), Stop> {
        let f = check::lookup(&step.check)
            .ok_or_else(|| Stop::Errored(format!("unknown check {}", step.check)))?;
        let cctx = CheckCtx::new(self.ctx.client, self.ctx.caps);
        let result = f(&cctx).await;
        let exchanges = cctx.into_exchanges();
        let curl = exchanges.last().map(|e| e.curl.clone());
        self.exchanges.extend(exchanges);
        let label = format!("step {n} check {}", step.check);
        let findings = result.map_err(|e| Stop::Errored(format!("{label}: {e}")))?;
        if findings.is_empty() {
            return Ok(());
        }
        let failures = findings
            .into_iter()
            .map(|f| Failure {
                step: label.clone(),
                subject: f.subject,
                expected: f.expected,
                actual: f.actual,
            })
            .collect();
        Err(Stop::Failed(failures, curl))
    }

    /// Deletes what this case created; returns a problem to report, if any.
    async fn cleanup(&mut self) -> Option<String> {
        if self.ctx.client.stopped_answering().is_some() {
            // Left live for the run's last cleanup, which tries once, briefly.
            return None;
        }
        super::cleanup::cleanup_targets(self.ctx, self.ctx.ledger.live_of(&self.case.id)).await
    }
}

/// The server's own reason for refusing a request (a 4xx with a SCIM
/// Error): `400 invalidValue: emails is required`. None for other answers.
pub(super) fn refusal_rule(resp: &Response) -> Option<String> {
    if !(400..500).contains(&resp.status) {
        return None;
    }
    let body = resp.json()?;
    let detail = body["detail"].as_str()?;
    let detail: String = detail.chars().take(200).collect();
    Some(match body["scimType"].as_str() {
        Some(t) => format!("{} {t}: {detail}", resp.status),
        None => format!("{}: {detail}", resp.status),
    })
}

/// A status and body as a message shows them: the JSON, shortened, or
/// why the body is not JSON (redacted).
pub(super) fn answer_text(ctx: &Context<'_>, resp: &Response) -> String {
    match resp.json() {
        Some(v) => format!("{} {}", resp.status, show(Some(&v))),
        None => {
            let why = resp.json_problem().unwrap_or_default();
            format!("{}, and {}", resp.status, ctx.client.redactor().text(&why))
        }
    }
}

/// A run-unique token for a value the harness makes up.
pub(super) fn fresh_token(ctx: &Context<'_>) -> String {
    let n = ctx.counter.fetch_add(1, Ordering::Relaxed);
    format!("{}-f{n}", ctx.run_token)
}

/// Splits `path?a=b&c` into the path and decoded query pairs.
fn split_query(path: &str) -> (String, Vec<(String, String)>) {
    match path.split_once('?') {
        None => (path.to_string(), vec![]),
        Some((p, q)) => (
            p.to_string(),
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect(),
        ),
    }
}
