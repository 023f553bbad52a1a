//! PATCH steps: the reference applier computes the resource a PATCH must
//! leave (or the refusal it must meet) from the resource as the server
//! shows it just before; the server's answer, and the resource read back,
//! are compared with that, attribute by attribute.

use serde_json::{json, Value};

use super::exec::{CaseRun, Stop};
use super::expect::show;
use crate::http::{Request, Response};
use crate::outcome::Failure;
use crate::scim::patch::{differences, Applier, PatchError};
use crate::scim::{urn, Schema};
use crate::suite::PatchStep;

fn scim_type(resp: &Response) -> Option<String> {
    resp.json()
        .and_then(|b| b["scimType"].as_str().map(str::to_string))
}

impl CaseRun<'_, '_> {
    pub(super) async fn patch_step(&mut self, n: usize, step: &PatchStep) -> Result<(), Stop> {
        let caps = self.ctx.caps;
        let errored = |m: String| Stop::Errored(format!("step {n} patch {}: {m}", step.patch));
        let rt = caps
            .resource_type(&step.patch)
            .ok_or_else(|| errored("no such resource type".into()))?
            .clone();
        let core: &Schema = caps
            .schemas
            .iter()
            .find(|s| s.id == rt.schema)
            .ok_or_else(|| {
                errored(format!(
                    "/Schemas does not describe {}, so no expected result can be computed",
                    rt.schema
                ))
            })?;
        let exts: Vec<&Schema> = rt
            .extensions
            .iter()
            .filter_map(|(u, _)| caps.schemas.iter().find(|s| &s.id == u))
            .collect();
        let id = self
            .vars
            .lookup(&format!("{}/id", step.target))
            .map_err(&errored)?;
        let id = id.as_str().unwrap_or_default().to_string();
        let target = format!("{}/{id}", rt.endpoint);
        let label = format!("step {n} PATCH {target}");

        let before = self.read_back(&target, &label).await?;
        let operations = self.vars.render(&step.operations).map_err(&errored)?;
        let body = json!({"schemas": [urn::PATCH_OP], "Operations": operations});
        let applier = Applier::new(core, exts.clone());
        let mut oracle = applier.apply(&before, &body);
        if let Err(what) = agree(step, &oracle) {
            if super::declared::schema_is_not_rfc(self.ctx.caps, &step.patch) {
                return Err(Stop::Skipped(super::declared::premise_lost(
                    &step.patch,
                    &what,
                )));
            }
            return Err(errored(what));
        }
        if let Err(e) = &mut oracle {
            if !e.scim_types.is_empty() {
                for t in applier.possible_errors(&before, &body) {
                    if !e.scim_types.contains(&t) {
                        e.scim_types.push(t);
                    }
                }
            }
        }

        let mut query = vec![];
        for (k, v) in &step.query {
            let v = match self.vars.render(v).map_err(&errored)? {
                Value::String(s) => s,
                other => other.to_string(),
            };
            query.push((k.clone(), v));
        }
        let asked = query
            .iter()
            .any(|(k, _)| k == "attributes" || k == "excludedAttributes");
        self.guard("PATCH", &self.relative(&target))?;
        let resp = self
            .send(Request {
                method: "PATCH".into(),
                target: target.clone(),
                query,
                headers: vec![],
                body: Some(body.to_string().into_bytes()),
                authenticate: true,
                timeout: None,
            })
            .await?;
        let curl = self.exchanges.last().map(|e| e.curl.clone());
        let fail = |subject: &str, expected: String, actual: String| {
            Stop::Failed(
                vec![Failure {
                    step: label.clone(),
                    subject: subject.into(),
                    expected,
                    actual,
                }],
                curl.clone(),
            )
        };
        let detail = resp
            .json()
            .and_then(|b| b["detail"].as_str().map(|d| format!(" ({d})")))
            .unwrap_or_default();
        match oracle {
            Ok(applied) => {
                let tolerated = applied
                    .tolerated
                    .filter(|t| resp.status == 400 && scim_type(&resp).as_deref() == Some(*t));
                if tolerated.is_some() {
                    // The RFC also allows this refusal; nothing may have changed.
                    let after = self.read_back(&target, &label).await?;
                    return self.same_resource(
                        &label,
                        core,
                        &exts,
                        &before,
                        &after,
                        "unchanged after the refusal",
                    );
                }
                let ok: &[u16] = if asked { &[200] } else { &[200, 204] };
                if !ok.contains(&resp.status) {
                    let want = if asked {
                        "200 with the resource (attributes was given)".to_string()
                    } else {
                        "200 or 204".to_string()
                    };
                    return Err(fail("status", want, format!("{}{detail}", resp.status)));
                }
                let actual = match resp.json() {
                    Some(b) if resp.status == 200 && !asked && b.get("id").is_some() => b,
                    _ => self.read_back(&target, &label).await?,
                };
                let other_reading = Applier::new(core, exts.clone())
                    .with_partial_appends()
                    .apply(&before, &body)
                    .ok()
                    .filter(|alt| alt.resource != applied.resource);
                let alternative_holds = other_reading
                    .is_some_and(|alt| differences(core, &exts, &alt.resource, &actual).is_empty());
                if !alternative_holds {
                    self.same_resource(
                        &label,
                        core,
                        &exts,
                        &applied.resource,
                        &actual,
                        "as the reference applier computes",
                    )?;
                }
                if let Some(name) = &step.name {
                    self.vars.set(name, actual);
                }
                Ok(())
            }
            Err(e) => {
                let got = scim_type(&resp);
                let type_ok = e.scim_types.is_empty()
                    || got.as_deref().is_some_and(|t| e.scim_types.contains(&t));
                if resp.status != e.status || !type_ok {
                    let want = match e.scim_types.as_slice() {
                        [] => format!("{}", e.status),
                        types => format!("{} with scimType {}", e.status, types.join(" or ")),
                    };
                    let actual = format!(
                        "{}{}{detail}",
                        resp.status,
                        got.map(|t| format!(" scimType {t}")).unwrap_or_default()
                    );
                    return Err(fail("status", format!("{want}: {}", e.detail), actual));
                }
                let after = self.read_back(&target, &label).await?;
                self.same_resource(
                    &label,
                    core,
                    &exts,
                    &before,
                    &after,
                    "unchanged: a failed PATCH applies no operation",
                )
            }
        }
    }

    /// GETs the resource; anything but 200 with a JSON object ends the case as errored.
    async fn read_back(&mut self, target: &str, label: &str) -> Result<Value, Stop> {
        let resp = self
            .send(Request {
                method: "GET".into(),
                target: target.to_string(),
                authenticate: true,
                ..Default::default()
            })
            .await?;
        match resp.json().filter(|b| resp.status == 200 && b.is_object()) {
            Some(b) => Ok(b),
            None => Err(Stop::Errored(format!(
                "{label}: reading the resource back answered {}",
                resp.status
            ))),
        }
    }

    fn same_resource(
        &self,
        label: &str,
        core: &Schema,
        exts: &[&Schema],
        expected: &Value,
        actual: &Value,
        what: &str,
    ) -> Result<(), Stop> {
        let diffs = differences(core, exts, expected, actual);
        if diffs.is_empty() {
            return Ok(());
        }
        let failures = diffs
            .into_iter()
            .map(|d| Failure {
                step: label.to_string(),
                subject: format!("body {}", d.path),
                expected: format!("{} ({what})", show(d.expected.as_ref())),
                actual: show(d.actual.as_ref()),
            })
            .collect();
        let curl = self
            .exchanges
            .iter()
            .rev()
            .find(|e| e.curl.contains("PATCH"))
            .map(|e| e.curl.clone());
        Err(Stop::Failed(failures, curl))
    }
}

/// The suite author's expectation must match the applier's.
fn agree(
    step: &PatchStep,
    oracle: &Result<crate::scim::patch::Applied, PatchError>,
) -> Result<(), String> {
    match (step.expect.as_str(), oracle) {
        ("any", _) | ("ok", Ok(_)) => Ok(()),
        ("ok", Err(e)) => Err(format!(
            "the suite expects success, but the reference applier refuses: {e}"
        )),
        (t, Ok(_)) => Err(format!(
            "the suite expects a refusal with {t}, but the reference applier succeeds"
        )),
        (t, Err(e)) if e.scim_types.contains(&t) => Ok(()),
        (t, Err(e)) => Err(format!(
            "the suite expects {t}, but the reference applier refuses with: {e}"
        )),
    }
}
