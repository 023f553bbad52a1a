//! The sweep after cleanup: resources named with this run's token that the
//! ledger never saw (a create whose answer was lost), or saw without an id
//! it could read, are found by filter and deleted. Each name is checked
//! here, so a server whose filter is broken cannot lead the run to touch a
//! resource it did not create.

use super::exec::Context;
use crate::discover::list_items;
use crate::http::Request;
use crate::scim::urn;

/// The attribute that carries a resource's run-scoped name, by core schema.
fn name_attribute(schema: &str) -> Option<&'static str> {
    match schema {
        urn::USER => Some("userName"),
        urn::GROUP => Some("displayName"),
        _ => None,
    }
}

/// Pages read per resource type, at most.
const MAX_PAGES: usize = 20;
const PAGE: usize = 100;

/// What a sweep found.
#[derive(Debug, Default)]
pub struct Swept {
    /// Resources registered in the ledger (to delete).
    pub found: usize,
    /// Endpoints listed to the end: what the listing did not show is not there.
    pub listed: Vec<String>,
}

/// Registers in the ledger every resource the run created but did not know
/// of (or knew only by name). The caller deletes them.
pub async fn find_unrecorded(ctx: &Context<'_>) -> Swept {
    let mut swept = Swept::default();
    if !ctx.caps.feature("filter") || ctx.client.stopped_answering().is_some() {
        return swept;
    }
    let token = ctx.run_token.to_lowercase();
    for rt in &ctx.caps.resource_types {
        let Some(attr) = name_attribute(&rt.schema) else {
            continue;
        };
        let mut start = 1;
        for _ in 0..MAX_PAGES {
            let mut req = Request::get(rt.endpoint.clone());
            req.query = vec![
                ("filter".into(), format!("{attr} sw \"{}\"", ctx.run_token)),
                ("startIndex".into(), start.to_string()),
                ("count".into(), PAGE.to_string()),
            ];
            let (_, result) = ctx.client.send(&req).await;
            let Some(body) = result
                .ok()
                .filter(|r| r.status == 200)
                .and_then(|r| r.json())
            else {
                break;
            };
            let Some(items) = list_items(&body) else {
                break;
            };
            for item in items {
                let ours = item[attr]
                    .as_str()
                    .is_some_and(|n| n.to_lowercase().starts_with(&token));
                if let (true, Some(id)) = (ours, item["id"].as_str()) {
                    let name = item[attr].as_str().unwrap_or_default();
                    // An id unsafe in a URL is not recorded (the ledger
                    // reports it as left behind), so nothing is to delete.
                    if ctx.ledger.knows(&rt.endpoint, id) {
                        continue;
                    }
                    let known_by_name = super::ledger::is_safe_id(id)
                        && ctx.ledger.found_unread(&rt.endpoint, name, id);
                    if known_by_name || ctx.ledger.created(&rt.endpoint, id, "(sweep)") {
                        swept.found += 1;
                    }
                }
            }
            let total = body["totalResults"].as_u64().unwrap_or(0) as usize;
            if items.is_empty() || start + items.len() > total {
                swept.listed.push(rt.endpoint.clone());
                break;
            }
            start += items.len();
        }
    }
    swept
}
