//! Probing an optional feature that /ServiceProviderConfig says is not
//! supported, instead of taking the claim on trust. For filtering, two
//! resources are created and one is asked for by a filter: the server
//! refuses the filter (the claim holds: filter cases are skipped), ignores
//! it and returns the other (a failure: RFC 7644 §3.4.2.2 "only those
//! resources matching the filter expression SHALL be returned"), or applies
//! it (the SPC under-advertises: the filter cases then run). The verdict is
//! kept in the capabilities, where the built-in checks
//! `discovery.spc-claims-probed` and `filter.unadvertised-not-ignored` read it.

use serde_json::{json, Value};

use super::exec::{fresh_token, Context};
use crate::discover::{list_items, Capabilities, Probe, ProbeVerdict, ResourceType};
use crate::http::{Exchange, Request};
use crate::scim::urn;

/// The capabilities after probing what the SPC says is unsupported.
pub async fn adjust(ctx: &Context<'_>) -> Capabilities {
    let mut caps = ctx.caps.clone();
    let user = caps.resource_type("User").cloned();
    if let (false, true, Some(rt)) = (caps.feature("filter"), caps.spc.is_some(), user) {
        let probe = filter(ctx, &rt).await;
        if probe.verdict == ProbeVerdict::Works {
            if let Some(f) = caps.spc.as_mut().and_then(|s| s.get_mut("filter")) {
                f["supported"] = json!(true);
            } else if let Some(spc) = caps.spc.as_mut() {
                spc["filter"] = json!({"supported": true});
            }
        }
        caps.probes.push(probe);
    }
    caps
}

async fn filter(ctx: &Context<'_>, rt: &ResourceType) -> Probe {
    let mut exchanges = vec![];
    let verdict = filter_verdict(ctx, rt, &mut exchanges).await;
    Probe {
        feature: "filter".into(),
        verdict,
        exchanges,
    }
}

async fn filter_verdict(
    ctx: &Context<'_>,
    rt: &ResourceType,
    exchanges: &mut Vec<Exchange>,
) -> ProbeVerdict {
    let mut made = vec![];
    for _ in 0..2 {
        let name = format!("{}@example.com", fresh_token(ctx));
        let body = json!({"schemas": [urn::USER], "userName": name});
        let mut fresh = || fresh_token(ctx);
        let body = super::declared::fill_required(ctx.caps, "User", &body, &mut fresh);
        let req = Request::post_json(rt.endpoint.clone(), &body);
        let (ex, result) = ctx.client.send(&req).await;
        exchanges.push(ex);
        let created = result.ok().and_then(|r| {
            let b = r.json().filter(|_| (200..300).contains(&r.status))?;
            let id = b["id"]
                .as_str()
                .filter(|i| super::ledger::is_safe_id(i))?
                .to_string();
            Some((id, b["userName"].as_str().unwrap_or(&name).to_string()))
        });
        match created {
            Some((id, user_name)) => {
                ctx.ledger.created(&rt.endpoint, &id, "(filter probe)");
                made.push((id, user_name));
            }
            None => break,
        }
    }
    let verdict = if made.len() < 2 {
        ProbeVerdict::Unknown("could not create two Users to filter".into())
    } else {
        let mut req = Request::get(rt.endpoint.clone());
        req.query = vec![(
            "filter".into(),
            format!("userName eq \"{}\"", made[0].1.replace('"', "\\\"")),
        )];
        let (ex, result) = ctx.client.send(&req).await;
        exchanges.push(ex);
        match result {
            Err(e) => ProbeVerdict::Unknown(format!("GET with a filter: {e}")),
            Ok(r) if r.status == 200 => {
                let body = r.json().unwrap_or(Value::Null);
                let ids: Vec<&str> = list_items(&body)
                    .into_iter()
                    .flatten()
                    .filter_map(|i| i["id"].as_str())
                    .collect();
                if ids.contains(&made[1].0.as_str()) {
                    ProbeVerdict::Ignored(format!(
                        "filter=userName eq \"{}\" answered 200 with another User ({})",
                        made[0].1, made[1].0
                    ))
                } else if ids.contains(&made[0].0.as_str()) {
                    ProbeVerdict::Works
                } else {
                    ProbeVerdict::Unknown("a filtered list held neither probe User".into())
                }
            }
            Ok(r) => {
                let detail = r
                    .json()
                    .and_then(|b| b["detail"].as_str().map(str::to_string))
                    .unwrap_or_default();
                ProbeVerdict::Refused(format!("GET with a filter answered {} {detail}", r.status))
            }
        }
    };
    super::exec::cleanup_targets(
        ctx,
        made.iter()
            .map(|(id, _)| format!("{}/{id}", rt.endpoint))
            .collect(),
    )
    .await;
    verdict
}
