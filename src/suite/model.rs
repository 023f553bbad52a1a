//! The suite file model, as `suites/suite.schema.json` defines it.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::rfc::Level;
use crate::source::Pos;

/// One suite file as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteFile {
    pub area: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub population: IndexMap<String, Fixture>,
    pub cases: Vec<Case>,
}

/// One test case.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub id: String,
    pub title: String,
    pub level: Level,
    pub requirements: Vec<String>,
    #[serde(default)]
    pub requires: Vec<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub ambiguous: Option<String>,
    /// The identity provider whose dialect the case checks (`entra`, `okta`);
    /// such cases run only when that profile is asked for, and a failure is
    /// an interoperability failure rather than an RFC one.
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub unreachable_by_bugs: Option<String>,
    /// The case's steps send attributes the server may not declare on
    /// purpose (it checks how they are refused or ignored), so it runs
    /// anyway; its fixtures must still use declared attributes only.
    #[serde(default)]
    pub sends_undeclared: bool,
    /// Bodies are sent exactly as written: required attributes the server
    /// declares are not filled in (for cases about a missing one).
    #[serde(default)]
    pub exact_bodies: bool,
    #[serde(default)]
    pub vars: IndexMap<String, Value>,
    #[serde(default)]
    pub fixtures: IndexMap<String, Fixture>,
    pub steps: Vec<Step>,
    /// Filled by the loader.
    #[serde(skip)]
    pub area: String,
    /// Filled by the loader: where the case starts.
    #[serde(skip)]
    pub origin: Origin,
    /// Filled by the loader: the population of the case's file.
    #[serde(skip)]
    pub population: IndexMap<String, Fixture>,
}

/// Where a case is written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub file: String,
    pub pos: Pos,
}

/// A resource the runner creates before the steps and deletes afterwards.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    #[serde(rename = "type")]
    pub resource_type: String,
    pub body: Value,
}

/// An HTTP exchange with expectations, or a built-in check.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Step {
    Check(CheckStep),
    Query(Box<QueryStep>),
    Patch(Box<PatchStep>),
    Wait(WaitStep),
    Events(Box<EventsStep>),
    Async(Box<AsyncStep>),
    Bulk(Box<BulkStep>),
    Http(Box<HttpStep>),
}

/// A bulk request (RFC 7644 §3.7) to `/Bulk`. The data of POST and PUT
/// operations gets the required attributes the server declares; PUT, PATCH
/// and DELETE operations may name only resources the run created or those
/// the same request creates (`bulkId:` paths). Matchers read a view of the
/// answer: `/body` (the response), `/ops/<bulkId or #index>` (the
/// operation's `code`, `id`, `method`, `location`, `version`, `status`,
/// `response`), `/processed` (how many operations the response holds).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkStep {
    /// The view is kept under this name for later steps.
    #[serde(default)]
    pub name: Option<String>,
    /// The BulkRequest body, templated.
    pub bulk: Value,
    /// Grow the request past a limit /ServiceProviderConfig declares:
    /// `operations` repeats the last operation to maxOperations + 1,
    /// `payload` pads the string at `pad` to one byte over maxPayloadSize.
    #[serde(default)]
    pub exceed: Option<Exceed>,
    /// A JSON pointer into the body to the string `exceed: payload` pads.
    #[serde(default)]
    pub pad: Option<String>,
    pub expect: Expect,
}

/// Which declared bulk limit a request exceeds.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Exceed {
    Operations,
    Payload,
}

/// Waits for the SCIM events (RFC 9967) about one resource that the case's
/// operations must have caused, and checks them.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsStep {
    /// The subject: the resource's path relative to the base URI
    /// (`sub_id.uri`, RFC 9967 §2.1), templated.
    pub events: String,
    /// Events that must arrive, each in some SET about the subject.
    #[serde(default)]
    pub expect: Vec<ExpectedEvent>,
    /// Events that must not arrive (checked after the expected ones and a
    /// short settling time).
    #[serde(default)]
    pub absent: Vec<String>,
    /// The SETs of the expected events share one `txn` (RFC 9967 §2.2).
    #[serde(default)]
    pub same_txn: bool,
    /// Also fail on the SHOULD-level problems of the subject's SETs.
    #[serde(default)]
    pub recommended: bool,
    /// Delivery problems with these requirement ids fail the step.
    #[serde(default)]
    pub delivery: Vec<String>,
    /// A delivery probe that must have established this (`poll.redelivery`).
    #[serde(default)]
    pub fact: Option<String>,
    /// Every event URI of the expected events is listed in
    /// /ServiceProviderConfig securityEvents.eventUris (RFC 9967 §4).
    #[serde(default)]
    pub listed: bool,
}

/// One event a step waits for.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedEvent {
    /// The event URI after `urn:ietf:params:scim:event:`, with or without
    /// its `:full`/`:notice` mode (`prov:create`).
    pub event: String,
    /// The payload `version` (the resource's ETag), templated.
    #[serde(default)]
    pub version: Option<String>,
    /// An attribute the payload must name: in `data` (full) or in
    /// `attributes` (notice).
    #[serde(default)]
    pub mentions: Option<String>,
    /// The payload must carry neither `data` nor `attributes`.
    #[serde(default)]
    pub no_payload: bool,
}

/// An asynchronous request (RFC 9967 §2.5.1.1): sent with
/// `Prefer: respond-async`; a 202 must have no body, a Set-Txn and a
/// Location, and be followed by a `misc:asyncresp` event with that txn.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsyncStep {
    #[serde(default)]
    pub name: Option<String>,
    /// The method: POST, PUT, PATCH or DELETE.
    #[serde(rename = "async")]
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub body: Option<Value>,
    /// Extra request headers (an Accept the server must ignore).
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    /// The statuses the operation may complete with (`200`, `[200, 204]`).
    pub completes: StatusSet,
}

/// A pause as long as a duration the server declares (RFC 9865 §4
/// `cursorTimeout`), scaled; the case is skipped when the server declares
/// none or the pause would exceed `at_most` seconds.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitStep {
    /// A JSON pointer into /ServiceProviderConfig giving seconds, or a
    /// fixed pause (`1.1s`).
    pub wait: String,
    /// Multiplies the declared seconds.
    #[serde(default = "one")]
    pub scale: f64,
    /// Seconds added after scaling.
    #[serde(default)]
    pub add: f64,
    /// The longest pause the case makes, in seconds.
    pub at_most: f64,
}

fn one() -> f64 {
    1.0
}

/// A PATCH whose result the reference applier computes: the server's
/// resource afterwards must equal the applier's, or both must refuse.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchStep {
    #[serde(default)]
    pub name: Option<String>,
    /// The resource type patched.
    pub patch: String,
    /// The variable holding the resource (created earlier in the case).
    pub target: String,
    /// The `Operations` array, templated.
    pub operations: Value,
    /// Query parameters (`attributes`, `excludedAttributes`).
    #[serde(default)]
    pub query: std::collections::BTreeMap<String, Value>,
    /// What the suite author expects: `ok`, or the scimType of the refusal.
    /// The applier must agree, so a suite mistake shows as an error. `any`
    /// takes whatever the applier computes (for generated sequences).
    pub expect: String,
}

/// A query whose expected answer the reference evaluator computes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryStep {
    #[serde(default)]
    pub name: Option<String>,
    /// The resource type queried.
    pub query: String,
    #[serde(default)]
    pub filter: Option<String>,
    #[serde(default)]
    pub search: bool,
    #[serde(default)]
    pub sort_by: Option<String>,
    #[serde(default)]
    pub sort_order: Option<String>,
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(default)]
    pub expect_members: Option<Vec<String>>,
    #[serde(default)]
    pub expect_invalid: bool,
    /// Also check every page (RFC 7644 §3.4.2, §3.4.2.4): no more resources
    /// than `count`, itemsPerPage equal to the resources on the page,
    /// startIndex equal to the one asked for, totalResults on every page.
    #[serde(default)]
    pub check_paging: bool,
    /// Walk with cursors (RFC 9865) instead of startIndex.
    #[serde(default)]
    pub cursor: bool,
    /// Change the list while walking it: after the first page, create this
    /// resource and delete that fixture (RFC 7644 §3.4.2.4: pages are not stable).
    #[serde(default)]
    pub change_after_first_page: Option<WalkChange>,
    /// Only check that every page answers (no membership verdict).
    #[serde(default)]
    pub pages_only: bool,
    /// Ask for one more resource per page than a limit the server declares:
    /// every page must stay within it, or the server refuses as stated.
    #[serde(default)]
    pub over_limit: Option<PageLimit>,
}

/// A page limit from /ServiceProviderConfig and the refusal allowed instead.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageLimit {
    /// A JSON pointer into /ServiceProviderConfig (`/filter/maxResults`).
    pub spc: String,
    /// The scimType of a 400 that may answer instead (`tooMany`).
    pub refusal: String,
}

/// The changes a walk makes to its own list.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalkChange {
    /// A resource to create, of the queried type, templated.
    pub create: Value,
    /// A fixture of the case to delete.
    pub delete: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckStep {
    #[serde(default)]
    pub name: Option<String>,
    pub check: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpStep {
    #[serde(default)]
    pub name: Option<String>,
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub query: IndexMap<String, Value>,
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    #[serde(default)]
    pub body: Option<Value>,
    #[serde(default)]
    pub body_raw: Option<String>,
    #[serde(default = "yes")]
    pub auth: bool,
    #[serde(default)]
    pub capture: IndexMap<String, String>,
    /// Statuses meaning the server lacks an optional feature: the case is skipped.
    #[serde(default)]
    pub skip_on_status: Vec<u16>,
    /// A value (`name/pointer`) an optional feature provides: when it is
    /// absent, the case is skipped before this step.
    #[serde(default)]
    pub skip_unless: Option<String>,
    /// Why a step that `skip_unless` or `skip_on_status` skips does not
    /// apply, for the report (default: the server lacks an optional feature).
    #[serde(default)]
    pub skip_reason: Option<String>,
    pub expect: Expect,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub status: Option<StatusSet>,
    #[serde(default)]
    pub headers: IndexMap<String, Matcher>,
    #[serde(default)]
    pub body: IndexMap<String, Matcher>,
    #[serde(default)]
    pub json: Option<bool>,
}

/// One status or a set of accepted statuses.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum StatusSet {
    One(u16),
    Any(Vec<u16>),
}

impl StatusSet {
    pub fn codes(&self) -> Vec<u16> {
        match self {
            StatusSet::One(c) => vec![*c],
            StatusSet::Any(cs) => cs.clone(),
        }
    }
}

/// Conditions on one value; all given conditions must hold.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Matcher {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_equals: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals_ignore_case: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absent: Option<bool>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub json_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_contains: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<usize>,
    /// A number no smaller than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_matches: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Value>,
    /// A dateTime (RFC 7643 §2.3.5) strictly later than this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// The same URL; a relative reference is compared by path and query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals_url: Option<String>,
    /// When the value is absent, the other conditions are not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional: Option<bool>,
}

impl Case {
    /// The resource types of its fixtures, its file's population and its queries.
    pub fn fixture_types(&self) -> impl Iterator<Item = &str> {
        let queried = self.steps.iter().filter_map(|s| match s {
            Step::Query(q) => Some(q.query.as_str()),
            Step::Patch(p) => Some(p.patch.as_str()),
            _ => None,
        });
        self.fixtures
            .values()
            .chain(self.population.values())
            .map(|f| f.resource_type.as_str())
            .chain(queried)
    }

    pub fn http_steps(&self) -> impl Iterator<Item = &HttpStep> {
        self.steps.iter().filter_map(|s| match s {
            Step::Http(h) => Some(h.as_ref()),
            _ => None,
        })
    }
}
