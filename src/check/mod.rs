//! Built-in checks: verdicts that need code rather than a declarative step
//! (cross-endpoint consistency, set comparisons). Each is registered by id
//! and called from a suite step `check: <id>`.

pub mod auth;
pub mod discovery;

use std::sync::Mutex;

use futures::future::BoxFuture;

use crate::discover::Capabilities;
use crate::http::{Client, Exchange, Request, Response};

/// One unmet expectation of a check.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub subject: String,
    pub expected: String,
    pub actual: String,
}

impl Finding {
    pub fn new(
        subject: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Finding {
            subject: subject.into(),
            expected: expected.into(),
            actual: actual.into(),
        }
    }
}

/// What a check can use: the target and its declarations.
pub struct CheckCtx<'a> {
    pub client: &'a Client,
    pub caps: &'a Capabilities,
    exchanges: Mutex<Vec<Exchange>>,
}

impl<'a> CheckCtx<'a> {
    pub fn new(client: &'a Client, caps: &'a Capabilities) -> Self {
        CheckCtx {
            client,
            caps,
            exchanges: Mutex::new(vec![]),
        }
    }

    /// An authenticated GET, recorded for the report.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Response, String> {
        self.send_get(path, query, true).await
    }

    /// A GET without credentials, recorded for the report.
    pub async fn get_anonymous(&self, path: &str) -> Result<Response, String> {
        self.send_get(path, &[], false).await
    }

    async fn send_get(
        &self,
        path: &str,
        query: &[(&str, &str)],
        authenticate: bool,
    ) -> Result<Response, String> {
        let mut req = Request::get(path);
        req.authenticate = authenticate;
        req.query = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (exchange, result) = self.client.send(&req).await;
        self.exchanges
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(exchange);
        result.map_err(|e| format!("GET {path}: {e}"))
    }

    /// Adds exchanges made elsewhere (a probe's) to the report.
    pub fn record(&self, exchanges: impl IntoIterator<Item = Exchange>) {
        self.exchanges
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(exchanges);
    }

    pub fn into_exchanges(self) -> Vec<Exchange> {
        self.exchanges
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
    }
}

/// A check: findings, or an error when it could not reach a verdict.
pub type CheckFn = for<'a> fn(&'a CheckCtx<'a>) -> BoxFuture<'a, Result<Vec<Finding>, String>>;

/// Every built-in check by id.
pub fn registry() -> &'static [(&'static str, CheckFn)] {
    &[
        (
            "discovery.resource-types-reference-schemas",
            discovery::resource_types_reference_schemas,
        ),
        (
            "discovery.resource-type-endpoints-relative",
            discovery::resource_type_endpoints_relative,
        ),
        ("auth.challenge-matches-spc", auth::challenge_matches_spc),
        ("discovery.spc-filter-claim", discovery::spc_filter_claim),
        ("discovery.spc-patch-claim", discovery::spc_patch_claim),
        ("discovery.spc-sort-claim", discovery::spc_sort_claim),
        ("discovery.spc-etag-claim", discovery::spc_etag_claim),
        ("discovery.spc-bulk-claim", discovery::spc_bulk_claim),
        (
            "filter.unadvertised-not-ignored",
            discovery::unadvertised_filter_not_ignored,
        ),
        (
            "discovery.schemas-well-formed",
            discovery::schemas_well_formed,
        ),
        (
            "discovery.query-parameters-ignored",
            discovery::query_parameters_ignored,
        ),
        (
            "discovery.core-schemas-match-rfc",
            discovery::core_schemas_match_rfc,
        ),
        (
            "discovery.schema-characteristic-values",
            discovery::schema_characteristic_values,
        ),
    ]
}

pub fn lookup(id: &str) -> Option<CheckFn> {
    registry().iter().find(|(n, _)| *n == id).map(|(_, f)| *f)
}

/// The ids of all built-in checks.
pub fn known() -> Vec<&'static str> {
    registry().iter().map(|(n, _)| *n).collect()
}
