//! Populations: the resources a suite file creates once for all its cases
//! (the designed data that filter and sort cases query), read back as the
//! server represents them.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use serde_json::{Map, Value};

use super::exec::Context;
use super::template::Vars;
use crate::http::Request;
use crate::suite::Case;

/// Each file's population as variables, or why it could not be created.
pub type Populations = HashMap<String, Result<Map<String, Value>, Refusal>>;

/// Why a population could not be created; `rule` is the server's own
/// reason when it refused a member.
#[derive(Clone, Debug)]
pub struct Refusal {
    pub message: String,
    pub rule: Option<String>,
}

impl From<String> for Refusal {
    fn from(message: String) -> Self {
        Refusal {
            message,
            rule: None,
        }
    }
}

/// Creates the population of every file among `cases`.
pub async fn create(ctx: &Context<'_>, cases: &[Case]) -> Populations {
    let mut out = Populations::new();
    for case in cases {
        let file = &case.origin.file;
        if case.population.is_empty() || out.contains_key(file) {
            continue;
        }
        let result = create_one(ctx, case).await;
        out.insert(file.clone(), result);
    }
    out
}

async fn create_one(ctx: &Context<'_>, case: &Case) -> Result<Map<String, Value>, Refusal> {
    let owner = format!("(population of {})", case.origin.file);
    let mut vars = Vars::new(&ctx.run_token, &ctx.counter);
    let mut members = Map::new();
    for (name, fixture) in &case.population {
        if ctx.interrupted.load(Ordering::SeqCst) {
            return Err("interrupted".to_string().into());
        }
        if let Some(why) = ctx.client.stopped_answering() {
            return Err(why.into());
        }
        let rt = ctx
            .caps
            .resource_type(&fixture.resource_type)
            .ok_or_else(|| {
                format!(
                    "`{name}`: the server declares no {} resource type",
                    fixture.resource_type
                )
            })?;
        let body = vars
            .render(&fixture.body)
            .map_err(|e| format!("`{name}`: {e}"))?;
        let body = super::declared::narrow(ctx.caps, &fixture.resource_type, &body);
        let mut fresh = || super::exec::fresh_token(ctx);
        let body =
            super::declared::fill_required(ctx.caps, &fixture.resource_type, &body, &mut fresh);
        let req = Request::post_json(rt.endpoint.clone(), &body);
        let flight = ctx.ledger.in_flight(super::cleanup::describe_create(
            &rt.endpoint,
            req.body.as_deref(),
        ));
        let (_, result) = ctx.client.send(&req).await;
        drop(flight);
        if let Err(e) = &result {
            let sent = req.body.as_deref();
            super::cleanup::record_lost_create(
                ctx.ledger,
                ctx.client.base_url(),
                &rt.endpoint,
                sent,
                e,
                &owner,
            );
        }
        let resp = result.map_err(|e| format!("`{name}`: POST {}: {e}", rt.endpoint))?;
        let base = ctx.client.base_url();
        let sent = req.body.as_deref();
        let made =
            super::cleanup::record_create(ctx.ledger, base, &rt.endpoint, sent, &resp, &owner);
        if (200..300).contains(&resp.status) && made.is_none() {
            let why = super::cleanup::created_id(base, &rt.endpoint, &resp)
                .err()
                .unwrap_or_else(|| "its id cannot name one resource in a URL".into());
            return Err(format!(
                "`{name}`: POST {} answered {}, but {why}",
                rt.endpoint, resp.status
            )
            .into());
        }
        let created = resp
            .json()
            .filter(|b| (200..300).contains(&resp.status) && b.is_object())
            .map(|mut b| {
                if let Some(id) = &made {
                    b["id"] = Value::String(id.clone());
                }
                b
            });
        let Some(created) = created else {
            let rule = super::exec::refusal_rule(&resp);
            return Err(Refusal {
                message: match &rule {
                    Some(r) => format!("`{name}`: the server refused it: {r}"),
                    None => format!(
                        "`{name}`: POST {} answered {}",
                        rt.endpoint,
                        super::exec::answer_text(ctx, &resp)
                    ),
                },
                rule,
            });
        };
        let id = made.unwrap_or_default();
        // The server's own representation is what filters run against.
        let (_, read) = ctx
            .client
            .send(&Request::get(format!("{}/{id}", rt.endpoint)))
            .await;
        let repr = read
            .ok()
            .filter(|r| r.status == 200)
            .and_then(|r| r.json())
            .filter(|v| v["id"] == created["id"])
            .unwrap_or(created);
        vars.set(name, repr.clone());
        members.insert(name.clone(), repr);
    }
    Ok(members)
}
