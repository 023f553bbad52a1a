//! Probing what /ServiceProviderConfig claims instead of taking it on
//! trust, with Users the probe creates and deletes:
//! - **filter**, when the SPC says it is unsupported: one of two Users is
//!   asked for by a filter. Refused: the claim holds and filter cases skip.
//!   Ignored (the other comes back): a failure, RFC 7644 §3.4.2.2 "only
//!   those resources matching the filter expression SHALL be returned".
//!   Applied: the SPC under-advertises, and the filter cases run.
//! - **patch**, always: one User is patched, with a path and, when that is
//!   not implemented, without one. Working while the SPC says unsupported,
//!   or refused both ways with 501/405 while it says supported, the SPC is
//!   wrong; the patch cases then follow what the server does.
//! - **sort**, when the SPC says it is unsupported and filters work: two
//!   Users asked for in descending order. Sorted: the SPC under-advertises.
//! - **etag**, when the SPC says it is unsupported: a User read twice, the
//!   second time with If-None-Match and the ETag of the first. 304: the SPC
//!   under-advertises, and the ETag cases run.
//! - **bulk**, when the SPC says it is unsupported: a bulk request without
//!   operations (nothing can be created). A BulkResponse: the SPC
//!   under-advertises.
//!
//! The verdicts are kept in the capabilities, where the built-in checks
//! `discovery.spc-*-claim` and `filter.unadvertised-not-ignored` read them.

use serde_json::{json, Value};

use super::exec::{fresh_token, refusal_rule, Context};
use crate::discover::{list_items, Capabilities, Probe, ProbeVerdict, ResourceType};
use crate::http::{Exchange, Request, Response};
use crate::scim::{urn, Mutability};

/// The capabilities after probing the SPC's claims.
pub async fn adjust(ctx: &Context<'_>) -> Capabilities {
    let mut caps = ctx.caps.clone();
    let Some(rt) = caps.resource_type("User").cloned() else {
        return caps;
    };
    if caps.spc.is_none() {
        return caps;
    }
    if !caps.feature("filter") {
        let probe = Probing::new(ctx, &rt, "filter", false).filter().await;
        record(&mut caps, probe);
    }
    let probe = Probing::new(ctx, &rt, "patch", caps.feature("patch"))
        .patch()
        .await;
    record(&mut caps, probe);
    if !caps.feature("sort") && caps.feature("filter") {
        let probe = Probing::new(ctx, &rt, "sort", false).sort().await;
        record(&mut caps, probe);
    }
    if !caps.feature("etag") {
        let probe = Probing::new(ctx, &rt, "etag", false).etag().await;
        record(&mut caps, probe);
    }
    if !caps.feature("bulk") {
        let probe = Probing::new(ctx, &rt, "bulk", false).bulk().await;
        record(&mut caps, probe);
    }
    caps
}

/// Keeps a probe, and makes the SPC say what the server does.
fn record(caps: &mut Capabilities, probe: Probe) {
    let supported = match probe.verdict {
        ProbeVerdict::Works => Some(true),
        ProbeVerdict::Missing(_) => Some(false),
        _ => None,
    };
    if let (Some(s), Some(spc)) = (supported, caps.spc.as_mut()) {
        match spc.get_mut(&probe.feature).filter(|f| f.is_object()) {
            Some(f) => f["supported"] = json!(s),
            None => spc[&probe.feature] = json!({ "supported": s }),
        }
    }
    caps.probes.push(probe);
}

/// One probe: the Users it made, the exchanges it recorded.
struct Probing<'c, 'a> {
    ctx: &'c Context<'a>,
    rt: &'c ResourceType,
    feature: &'static str,
    claimed: bool,
    made: Vec<(String, String)>,
    exchanges: Vec<Exchange>,
}

impl<'c, 'a> Probing<'c, 'a> {
    fn new(
        ctx: &'c Context<'a>,
        rt: &'c ResourceType,
        feature: &'static str,
        claimed: bool,
    ) -> Self {
        Probing {
            ctx,
            rt,
            feature,
            claimed,
            made: vec![],
            exchanges: vec![],
        }
    }

    async fn send(&mut self, req: Request) -> Result<Response, String> {
        if let Some(why) = self.ctx.client.stopped_answering() {
            return Err(why);
        }
        let creates = req.method == "POST"
            && crate::discover::resolve_endpoint(self.ctx.client.base_url(), &req.target).ok()
                == Some(self.rt.endpoint.clone());
        let flight = creates.then(|| {
            let what = super::cleanup::describe_create(&self.rt.endpoint, req.body.as_deref());
            self.ctx.ledger.in_flight(what)
        });
        let (ex, result) = self.ctx.client.send(&req).await;
        drop(flight);
        self.exchanges.push(ex);
        if let (Err(e), true) = (&result, creates) {
            let owner = format!("({} probe)", self.feature);
            let sent = req.body.as_deref();
            let base = self.ctx.client.base_url();
            super::cleanup::record_lost_create(
                self.ctx.ledger,
                base,
                &self.rt.endpoint,
                sent,
                e,
                &owner,
            );
        }
        result.map_err(|e| format!("{} {}: {e}", req.method, req.target))
    }

    /// Creates `n` Users named `<token>-<i>@example.com`, in that order.
    async fn users(&mut self, n: usize) -> Result<String, ProbeVerdict> {
        let token = fresh_token(self.ctx);
        for i in 0..n {
            let name = format!("{token}-{i}@example.com");
            let body = json!({"schemas": [urn::USER], "userName": name});
            let mut fresh = || fresh_token(self.ctx);
            let body = super::declared::fill_required(self.ctx.caps, "User", &body, &mut fresh);
            let req = Request::post_json(self.rt.endpoint.clone(), &body);
            let sent = req.body.clone();
            let resp = self.send(req).await.map_err(ProbeVerdict::Unknown)?;
            let owner = format!("({} probe)", self.feature);
            let id = super::cleanup::record_create(
                self.ctx.ledger,
                self.ctx.client.base_url(),
                &self.rt.endpoint,
                sent.as_deref(),
                &resp,
                &owner,
            );
            let Some(id) = id else {
                return Err(ProbeVerdict::Unknown(format!(
                    "could not create a User to probe with (POST answered {})",
                    resp.status
                )));
            };
            self.made.push((id, name));
        }
        Ok(token)
    }

    /// Deletes what the probe made and gives the probe.
    async fn finish(self, verdict: ProbeVerdict) -> Probe {
        let targets = self
            .made
            .iter()
            .map(|(id, _)| format!("{}/{id}", self.rt.endpoint))
            .collect();
        super::cleanup::cleanup_targets(self.ctx, targets).await;
        Probe {
            feature: self.feature.into(),
            claimed: self.claimed,
            verdict,
            exchanges: self.exchanges,
        }
    }

    async fn filter(mut self) -> Probe {
        let verdict = match self.users(2).await {
            Err(v) => v,
            Ok(_) => {
                let mut req = Request::get(self.rt.endpoint.clone());
                let wanted = self.made[0].1.clone();
                req.query = vec![("filter".into(), format!("userName eq \"{wanted}\""))];
                match self.send(req).await {
                    Err(e) => ProbeVerdict::Unknown(e),
                    Ok(r) if r.status == 200 => {
                        let ids = ids_of(&r);
                        if ids.contains(&self.made[1].0) {
                            ProbeVerdict::Ignored(format!(
                                "filter=userName eq \"{wanted}\" answered 200 with another User ({})",
                                self.made[1].0
                            ))
                        } else if ids.contains(&self.made[0].0) {
                            ProbeVerdict::Works
                        } else {
                            ProbeVerdict::Unknown("a filtered list held neither probe User".into())
                        }
                    }
                    Ok(r) => ProbeVerdict::Refused(answered("GET with a filter", &r)),
                }
            }
        };
        self.finish(verdict).await
    }

    async fn patch(mut self) -> Probe {
        // A writable attribute every User schema is likely to declare.
        let user = self
            .ctx
            .caps
            .schemas
            .iter()
            .find(|s| s.id == self.rt.schema);
        let writable = |name: &str| {
            user.and_then(|s| s.attribute(name))
                .is_some_and(|a| a.mutability == Mutability::ReadWrite)
        };
        let verdict = match self.users(1).await {
            Err(v) => v,
            Ok(token) => {
                let (path, value) = if writable("active") {
                    ("active", json!(false))
                } else {
                    ("userName", json!(format!("{token}-patched@example.com")))
                };
                // With a path, then (only if that is not implemented) without:
                // PATCH is missing only when neither form is.
                let with_path = json!([{"op": "replace", "path": path, "value": value}]);
                let without = json!([{"op": "replace", "value": {path: value}}]);
                let mut verdict = ProbeVerdict::Unknown("PATCH was not sent".into());
                for ops in [with_path, without] {
                    verdict = match self.patch_once(ops).await {
                        Err(e) => ProbeVerdict::Unknown(e),
                        Ok(r) if (200..300).contains(&r.status) => ProbeVerdict::Works,
                        // Only "not implemented" and "method not allowed" say
                        // PATCH itself is missing; another refusal may be of
                        // this one operation.
                        Ok(r) if self.claimed && matches!(r.status, 501 | 405) => {
                            ProbeVerdict::Missing(answered("PATCH", &r))
                        }
                        Ok(r) if self.claimed => ProbeVerdict::Unknown(answered("PATCH", &r)),
                        Ok(r) => ProbeVerdict::Refused(answered("PATCH", &r)),
                    };
                    if !matches!(verdict, ProbeVerdict::Missing(_)) {
                        break;
                    }
                }
                verdict
            }
        };
        self.finish(verdict).await
    }

    async fn patch_once(&mut self, operations: Value) -> Result<Response, String> {
        let body = json!({"schemas": [urn::PATCH_OP], "Operations": operations});
        let target = format!("{}/{}", self.rt.endpoint, self.made[0].0);
        let mut req = Request::post_json(target, &body);
        req.method = "PATCH".into();
        self.send(req).await
    }

    async fn sort(mut self) -> Probe {
        let verdict = match self.users(2).await {
            Err(v) => v,
            Ok(token) => {
                let mut req = Request::get(self.rt.endpoint.clone());
                req.query = vec![
                    ("filter".into(), format!("userName sw \"{token}-\"")),
                    ("sortBy".into(), "userName".into()),
                    ("sortOrder".into(), "descending".into()),
                ];
                match self.send(req).await {
                    Err(e) => ProbeVerdict::Unknown(e),
                    Ok(r) if r.status == 200 => {
                        let descending = vec![self.made[1].0.clone(), self.made[0].0.clone()];
                        if ids_of(&r) == descending {
                            ProbeVerdict::Works
                        } else {
                            ProbeVerdict::Refused(
                                "sortBy=userName&sortOrder=descending answered 200 unsorted".into(),
                            )
                        }
                    }
                    Ok(r) => ProbeVerdict::Refused(answered("GET with sortBy", &r)),
                }
            }
        };
        self.finish(verdict).await
    }
}

impl Probing<'_, '_> {
    async fn etag(mut self) -> Probe {
        let verdict = match self.users(1).await {
            Err(v) => v,
            Ok(_) => {
                let target = format!("{}/{}", self.rt.endpoint, self.made[0].0);
                match self.send(Request::get(target.clone())).await {
                    Err(e) => ProbeVerdict::Unknown(e),
                    Ok(r) => match r.header("etag").map(str::to_string) {
                        None => ProbeVerdict::Refused(format!("GET {target} carries no ETag")),
                        Some(tag) => {
                            let mut again = Request::get(target.clone());
                            again.headers = vec![("If-None-Match".into(), tag)];
                            match self.send(again).await {
                                Err(e) => ProbeVerdict::Unknown(e),
                                Ok(r) if r.status == 304 => ProbeVerdict::Works,
                                Ok(r) => ProbeVerdict::Refused(answered(
                                    "GET with If-None-Match and the current ETag",
                                    &r,
                                )),
                            }
                        }
                    },
                }
            }
        };
        self.finish(verdict).await
    }

    async fn bulk(mut self) -> Probe {
        let body = json!({"schemas": [urn::BULK_REQUEST], "Operations": []});
        let verdict = match self.send(Request::post_json("/Bulk", &body)).await {
            Err(e) => ProbeVerdict::Unknown(e),
            Ok(r) => {
                let answered_bulk = r.status == 200
                    && r.json().is_some_and(|b| {
                        b["schemas"]
                            .as_array()
                            .is_some_and(|s| s.iter().any(|u| u == urn::BULK_RESPONSE))
                    });
                if answered_bulk {
                    ProbeVerdict::Works
                } else {
                    ProbeVerdict::Refused(answered("POST /Bulk", &r))
                }
            }
        };
        self.finish(verdict).await
    }
}

fn ids_of(r: &Response) -> Vec<String> {
    let body = r.json().unwrap_or(Value::Null);
    list_items(&body)
        .into_iter()
        .flatten()
        .filter_map(|i| i["id"].as_str().map(str::to_string))
        .collect()
}

fn answered(what: &str, r: &Response) -> String {
    match refusal_rule(r) {
        Some(rule) => format!("{what} answered {rule}"),
        None => format!("{what} answered {}", r.status),
    }
}
