//! Discovery (RFC 7644 §4): reads /ServiceProviderConfig, /ResourceTypes and
//! /Schemas into a capability model that decides which cases can run.

use serde_json::Value;

use crate::http::{Client, Exchange, HttpError, Request};
use crate::scim::Schema;

/// Whether a SCIM event URI (RFC 9967 §2) is the event a short name such
/// as `prov:create` names: the short name matches the event in either
/// payload mode (`…:full`, `…:notice`), `prov:create:full` only that one.
pub fn is_event(uri: &str, short: &str) -> bool {
    let Some(name) = uri.strip_prefix(crate::scim::set::event::PREFIX) else {
        return false;
    };
    name == short
        || name
            .strip_prefix(short)
            .is_some_and(|mode| mode == ":full" || mode == ":notice")
}

/// A resource type as /ResourceTypes declares it (RFC 7643 §6).
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceType {
    pub name: String,
    /// The endpoint as a path under the base URL, starting with `/`
    /// (whatever form the server wrote it in; see [`resolve_endpoint`]).
    pub endpoint: String,
    /// The endpoint exactly as the server wrote it.
    pub declared_endpoint: String,
    pub schema: String,
    /// Extension schema URNs and whether each is required.
    pub extensions: Vec<(String, bool)>,
}

/// What a probe of a feature the SPC says is unsupported found.
#[derive(Clone, Debug, PartialEq)]
pub enum ProbeVerdict {
    /// The server refused it, as its SPC says (why).
    Refused(String),
    /// The server answered as if the request had not asked for it (how).
    Ignored(String),
    /// It works (an under-advertisement when the SPC says otherwise).
    Works,
    /// The SPC says it is supported, but the server refused it (how).
    Missing(String),
    /// The probe could not tell (why).
    Unknown(String),
}

/// One probe of an optional feature (see `run::probe`).
#[derive(Clone, Debug)]
pub struct Probe {
    pub feature: String,
    /// What the SPC said: `feature.supported`.
    pub claimed: bool,
    pub verdict: ProbeVerdict,
    pub exchanges: Vec<Exchange>,
}

/// What the target says it supports.
#[derive(Clone, Debug, Default)]
pub struct Capabilities {
    pub spc: Option<Value>,
    pub resource_types: Vec<ResourceType>,
    pub schemas: Vec<Schema>,
    /// The schema representations exactly as /Schemas returned them.
    pub schema_json: Vec<Value>,
    /// Whether the run sends credentials.
    pub credentials: bool,
    /// How the run receives SCIM events, when it does.
    pub events: Option<crate::events::Delivery>,
    /// Problems met while reading the declarations (reported by discovery cases).
    pub problems: Vec<String>,
    /// What probes of features the SPC says are unsupported found.
    pub probes: Vec<Probe>,
    pub exchanges: Vec<Exchange>,
    /// The error of the last discovery request, when it got no answer.
    pub(crate) unanswered: Option<String>,
}

/// An endpoint (or a Location, meta.location or `$ref`) resolved against
/// the base URL: `Users` and `/Users` are relative to it (RFC 7643 §6: the
/// endpoint is "relative to the Base URL"), a path-absolute `/scim/v2/Users`
/// that starts with the base path names the same place, and an absolute URL
/// must be on the base URL's origin, since credentials never go elsewhere.
/// Gives the path under the base URL, starting with `/`.
pub fn resolve_endpoint(base: &url::Url, endpoint: &str) -> Result<String, String> {
    let base_path = base.path().trim_end_matches('/');
    let path = if endpoint.contains("://") {
        let url =
            url::Url::parse(endpoint).map_err(|e| format!("{endpoint:?} is not a URL: {e}"))?;
        if url.origin() != base.origin() {
            return Err(format!(
                "{endpoint} is on another origin than the base URL {} (credentials are never sent there)",
                base.origin().ascii_serialization()
            ));
        }
        match url.path().strip_prefix(base_path) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => rest.to_string(),
            _ => {
                return Err(format!(
                    "{endpoint} is not under the base URL's path {base_path:?}"
                ))
            }
        }
    } else if endpoint.starts_with("//") {
        return Err(format!(
            "{endpoint:?} is a network-path reference, which names another origin"
        ));
    } else {
        let joined = crate::http::client::join_path(base_path, endpoint);
        joined[base_path.len()..].to_string()
    };
    Ok(format!("/{}", path.trim_matches('/')))
}

/// Why a run cannot start.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("target unreachable: {0}")]
    Unreachable(String),
    #[error("authentication refused: {0}")]
    AuthRefused(String),
    /// The run has no credentials and the server wants some.
    #[error("no credentials given, and the server requires them ({0})")]
    NoCredentials(String),
    /// None of the discovery endpoints answered as a SCIM service provider
    /// does: a wrong base URL, or no SCIM server at all.
    #[error("not a SCIM endpoint: {0}")]
    NotScim(String),
}

/// The items of a ListResponse, or of a bare JSON array (tolerated here,
/// reported by the discovery cases).
pub fn list_items(body: &Value) -> Option<&Vec<Value>> {
    match body {
        Value::Array(items) => Some(items),
        Value::Object(o) => o.get("Resources").and_then(Value::as_array),
        _ => None,
    }
}

impl Capabilities {
    /// Reads the discovery endpoints and probes authentication.
    pub async fn discover(client: &Client) -> Result<Capabilities, DiscoverError> {
        let mut caps = Capabilities {
            credentials: client.has_credentials(),
            ..Default::default()
        };
        caps.spc = caps.fetch(client, "/ServiceProviderConfig").await?;
        let spc_unanswered = caps.unanswered.clone();
        if let Some(body) = caps.fetch(client, "/ResourceTypes").await? {
            caps.read_resource_types(client.base_url(), &body);
        }
        // Two discovery requests without an answer: a dead or hanging
        // target, not one to run every case against (each would wait its
        // timeout).
        if let (Some(first), Some(_)) = (&spc_unanswered, &caps.unanswered) {
            return Err(DiscoverError::Unreachable(format!(
                "no answer to GET /ServiceProviderConfig ({first}) nor to GET /ResourceTypes"
            )));
        }
        if let Some(body) = caps.fetch(client, "/Schemas").await? {
            caps.read_schemas(&body);
        }
        if !caps.looks_like_scim() {
            let base = client.base_url().as_str().trim_end_matches('/');
            return Err(DiscoverError::NotScim(format!(
                "{} (is {base} the base URL, the one /Users and /ServiceProviderConfig are under?)",
                caps.problems.join("; ")
            )));
        }
        caps.probe_auth(client).await?;
        Ok(caps)
    }

    /// Whether discovery found a SCIM service provider: a
    /// ServiceProviderConfig-shaped object, or a resource type, or a
    /// schema. Each may be broken (the discovery cases say how); with none
    /// of them there is nothing to test, and a run would only skip.
    fn looks_like_scim(&self) -> bool {
        let spc = self
            .spc
            .as_ref()
            .and_then(Value::as_object)
            .is_some_and(|o| {
                [
                    "patch",
                    "filter",
                    "bulk",
                    "authenticationSchemes",
                    "schemas",
                ]
                .iter()
                .any(|k| o.contains_key(*k))
            });
        spc || !self.resource_types.is_empty() || !self.schemas.is_empty()
    }

    async fn fetch(&mut self, client: &Client, path: &str) -> Result<Option<Value>, DiscoverError> {
        let (exchange, result) = client.send(&Request::get(path)).await;
        self.exchanges.push(exchange);
        let resp = match result {
            Ok(resp) => resp,
            Err(e) if e.is_unreachable() => return Err(DiscoverError::Unreachable(e.to_string())),
            Err(HttpError::Token(e)) => return Err(DiscoverError::AuthRefused(e)),
            Err(e) => {
                if e.is_no_answer() {
                    self.unanswered = Some(e.to_string());
                }
                self.problems.push(format!("GET {path}: {e}"));
                return Ok(None);
            }
        };
        self.unanswered = None;
        if resp.status == 401 && !self.credentials && path == "/ServiceProviderConfig" {
            return Err(DiscoverError::NoCredentials(format!("401 on GET {path}")));
        }
        if matches!(resp.status, 401 | 403) && self.credentials {
            return Err(DiscoverError::AuthRefused(format!(
                "GET {path} answered {}",
                resp.status
            )));
        }
        if resp.status != 200 {
            self.problems
                .push(format!("GET {path} answered {}", resp.status));
            return Ok(None);
        }
        match resp.json() {
            Some(v) => Ok(Some(v)),
            None => {
                let media = resp.header("content-type").unwrap_or("no Content-Type");
                self.problems.push(format!(
                    "GET {path} answered 200 {media}, a body that is not JSON"
                ));
                Ok(None)
            }
        }
    }

    fn read_resource_types(&mut self, base: &url::Url, body: &Value) {
        let Some(items) = list_items(body) else {
            self.problems
                .push("GET /ResourceTypes: no list of resource types".into());
            return;
        };
        for item in items {
            let name = item["name"].as_str();
            let endpoint = item["endpoint"].as_str();
            let schema = item["schema"].as_str();
            let (Some(name), Some(endpoint), Some(schema)) = (name, endpoint, schema) else {
                self.problems.push(format!(
                    "a resource type lacks name, endpoint or schema: {item}"
                ));
                continue;
            };
            let extensions = item["schemaExtensions"]
                .as_array()
                .map(|exts| {
                    exts.iter()
                        .filter_map(|e| {
                            Some((
                                e["schema"].as_str()?.to_string(),
                                e["required"].as_bool().unwrap_or(false),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let resolved = match resolve_endpoint(base, endpoint) {
                Ok(path) => path,
                Err(e) => {
                    self.problems.push(format!(
                        "resource type {name}: endpoint {e}; its cases do not run"
                    ));
                    continue;
                }
            };
            self.resource_types.push(ResourceType {
                name: name.to_string(),
                endpoint: resolved,
                declared_endpoint: endpoint.to_string(),
                schema: schema.to_string(),
                extensions,
            });
        }
    }

    fn read_schemas(&mut self, body: &Value) {
        let Some(items) = list_items(body) else {
            self.problems
                .push("GET /Schemas: no list of schemas".into());
            return;
        };
        self.schema_json = items.clone();
        for item in items {
            match Schema::from_json(item) {
                Ok(s) => self.schemas.push(s),
                Err(e) => self.problems.push(format!(
                    "schema {} does not follow RFC 7643 §7: {e}",
                    item["id"].as_str().unwrap_or("(no id)")
                )),
            }
        }
    }

    /// An authenticated GET on the first resource endpoint must not be refused.
    async fn probe_auth(&mut self, client: &Client) -> Result<(), DiscoverError> {
        let Some(rt) = self.resource_types.first() else {
            return Ok(());
        };
        let mut req = Request::get(rt.endpoint.clone());
        req.query = vec![("count".into(), "1".into())];
        let (exchange, result) = client.send(&req).await;
        self.exchanges.push(exchange);
        match result {
            Ok(resp) if matches!(resp.status, 401 | 403) => {
                Err(DiscoverError::AuthRefused(format!(
                    "GET {}?count=1 answered {}{}",
                    rt.endpoint,
                    resp.status,
                    if self.credentials {
                        ""
                    } else {
                        " (no credentials were given)"
                    }
                )))
            }
            Err(e) if e.is_unreachable() => Err(DiscoverError::Unreachable(e.to_string())),
            _ => Ok(()),
        }
    }

    /// `Type.attr:characteristic=value` (caseExact, required, multiValued:
    /// a Boolean; type: an RFC 7643 §2.3 type name), checked against the
    /// declared schema.
    fn meets_attribute(&self, spec: &str) -> Result<(), String> {
        let bad = || format!("malformed requirement attribute:{spec}");
        let (path, rest) = spec.split_once(':').ok_or_else(bad)?;
        let (characteristic, want) = rest.split_once('=').ok_or_else(bad)?;
        let (type_name, attr_path) = path.split_once('.').ok_or_else(bad)?;
        let rt = self
            .resource_type(type_name)
            .ok_or_else(|| format!("the server declares no `{type_name}` resource type"))?;
        let schema = self
            .schemas
            .iter()
            .find(|s| s.id == rt.schema)
            .ok_or_else(|| format!("/Schemas does not describe {}", rt.schema))?;
        let attr = schema
            .attribute(attr_path)
            .ok_or_else(|| format!("{} declares no attribute {attr_path}", rt.schema))?;
        let actual = match characteristic {
            "caseExact" => attr.case_exact.to_string(),
            "required" => attr.required.to_string(),
            "multiValued" => attr.multi_valued.to_string(),
            "type" => serde_json::to_value(attr.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            _ => return Err(bad()),
        };
        if actual == want {
            Ok(())
        } else {
            Err(format!(
                "the server declares {type_name}.{attr_path} {characteristic}={actual}"
            ))
        }
    }

    /// `events` (the server advertises events and the run receives them),
    /// `events:push` or `events:poll` (and receives them that way).
    fn meets_events(&self, how: &str) -> Result<(), String> {
        use crate::events::Delivery;
        let advertised = self
            .spc
            .as_ref()
            .and_then(|s| s.get("securityEvents"))
            .is_some_and(Value::is_object);
        if !advertised {
            return Err(
                "/ServiceProviderConfig has no securityEvents (RFC 9967 §4: no events)".into(),
            );
        }
        if how == "advertised" {
            return Ok(());
        }
        if let Some(event) = how.strip_prefix("uri:") {
            // The provider says it can generate the event (RFC 9967 §4 eventUris).
            let listed = self
                .spc
                .as_ref()
                .and_then(|s| s.pointer("/securityEvents/eventUris"))
                .and_then(Value::as_array)
                .is_some_and(|uris| {
                    uris.iter()
                        .filter_map(Value::as_str)
                        .any(|u| is_event(u, event))
                });
            if !listed {
                return Err(format!("securityEvents.eventUris does not list {event}"));
            }
            return self.meets_events("");
        }
        let wanted = match how {
            "" => None,
            "push" => Some(Delivery::Push),
            "poll" => Some(Delivery::Poll),
            other => return Err(format!("unknown events requirement `events:{other}`")),
        };
        match (self.events, wanted) {
            (None, _) => Err("the run receives no events (give --events push or poll)".into()),
            (Some(d), Some(w)) if d != w => {
                Err(format!("the run receives events by {d:?}, not {w:?}"))
            }
            _ => Ok(()),
        }
    }

    /// Whether the SPC says `feature.supported` is true.
    pub fn feature(&self, name: &str) -> bool {
        self.spc
            .as_ref()
            .and_then(|spc| spc.get(name))
            .and_then(|f| f.get("supported"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    pub fn resource_type(&self, name: &str) -> Option<&ResourceType> {
        self.resource_types.iter().find(|rt| rt.name == name)
    }

    /// Ok when a `requires` entry of a case is met, else why not.
    pub fn meets(&self, requirement: &str) -> Result<(), String> {
        if let Some(absent) = requirement.strip_prefix('!') {
            return match self.meets(absent) {
                Ok(()) => Err(format!(
                    "the server has `{absent}`, and this case is for servers without it"
                )),
                Err(_) => Ok(()),
            };
        }
        if let Some(method) = requirement.strip_prefix("pagination:") {
            // RFC 9865 §4: the SPC `pagination` object says which methods
            // exist; without it, a server pages by index (RFC 7644 §3.4.2.4).
            let declared = self.spc.as_ref().and_then(|spc| spc.get("pagination"));
            let flag = |p: &Value, name: &str| p.get(name).and_then(Value::as_bool) == Some(true);
            let offered = match (declared, method) {
                (None, m) => m == "index",
                // The default: declared, or the only method offered (RFC 9865 §2.3, §2.4).
                (Some(p), "default-cursor") => {
                    p.get("defaultPaginationMethod").and_then(Value::as_str) == Some("cursor")
                        || flag(p, "cursor") && !flag(p, "index")
                }
                (Some(p), m) => flag(p, m),
            };
            return if offered {
                Ok(())
            } else {
                Err(format!("the server does not advertise pagination.{method}"))
            };
        }
        if let Some(what) = requirement
            .strip_prefix("events")
            .filter(|w| w.is_empty() || w.starts_with(':'))
        {
            return self.meets_events(what.trim_start_matches(':'));
        }
        if requirement == "async" {
            // RFC 9967 §4: "long" or "request" complete requests asynchronously.
            let mode = self
                .spc
                .as_ref()
                .and_then(|s| s.pointer("/securityEvents/asyncRequest"))
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase);
            return match mode.as_deref() {
                Some("long" | "request") => Ok(()),
                _ => Err(
                    "/ServiceProviderConfig securityEvents.asyncRequest is not long or request"
                        .into(),
                ),
            };
        }
        if let Some(feature) = requirement.strip_prefix("probe:") {
            return match self.probes.iter().find(|p| p.feature == feature) {
                Some(_) => Ok(()),
                None => Err(format!(
                    "`{feature}` was not probed (the SPC advertises it, or the server has no User type)"
                )),
            };
        }
        if requirement == "credentials" {
            return if self.credentials {
                Ok(())
            } else {
                Err("the run has no credentials configured".into())
            };
        }
        if let Some(spec) = requirement.strip_prefix("attribute:") {
            return self.meets_attribute(spec);
        }
        if let Some(urn) = requirement.strip_prefix("schema:") {
            let declared = self.schemas.iter().any(|s| s.id == urn)
                || self
                    .resource_types
                    .iter()
                    .any(|rt| rt.extensions.iter().any(|(e, _)| e == urn));
            return if declared {
                Ok(())
            } else {
                Err(format!("the server does not declare the schema {urn}"))
            };
        }
        if requirement.starts_with(|c: char| c.is_ascii_uppercase()) {
            return match self.resource_type(requirement) {
                Some(_) => Ok(()),
                None => Err(format!(
                    "the server declares no `{requirement}` resource type"
                )),
            };
        }
        if self.feature(requirement) {
            return Ok(());
        }
        let probed = self
            .probes
            .iter()
            .find(|p| p.feature == requirement)
            .map(|p| match &p.verdict {
                ProbeVerdict::Refused(why) => format!("; a probe confirmed it ({why})"),
                ProbeVerdict::Ignored(how) => format!("; a probe found it ignored ({how})"),
                ProbeVerdict::Unknown(why) => format!("; a probe could not tell ({why})"),
                ProbeVerdict::Missing(how) => {
                    format!("; it says it is, but a probe found it refused ({how})")
                }
                ProbeVerdict::Works => String::new(),
            })
            .unwrap_or_default();
        Err(format!(
            "the server does not advertise `{requirement}.supported`{probed}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requirements_are_met_by_declarations() {
        let mut caps = Capabilities {
            spc: Some(json!({"etag": {"supported": true}, "patch": {"supported": false}})),
            ..Default::default()
        };
        let base = url::Url::parse("http://h/scim/v2").unwrap();
        caps.read_resource_types(
            &base,
            &json!({"Resources": [
                {"name": "User", "endpoint": "Users", "schema": "urn:u",
                 "schemaExtensions": [{"schema": "urn:ext", "required": false}]}
            ]}),
        );
        assert_eq!(caps.resource_types[0].endpoint, "/Users");
        assert!(caps.meets("etag").is_ok());
        assert!(caps.meets("patch").unwrap_err().contains("patch.supported"));
        assert!(caps.meets("User").is_ok());
        assert!(caps.meets("Group").is_err());
        assert!(caps.meets("schema:urn:ext").is_ok());
        assert!(caps.meets("credentials").is_err());
        assert!(caps.meets("!credentials").is_ok());
        assert!(caps.meets("!etag").is_err());
        caps.resource_types[0].schema = crate::scim::urn::USER.into();
        caps.schemas = crate::scim::schema::core_schemas();
        assert!(caps
            .meets("attribute:User.userName:caseExact=false")
            .is_ok());
        assert!(caps
            .meets("attribute:User.userName:caseExact=true")
            .unwrap_err()
            .contains("caseExact=false"));
        assert!(caps.meets("attribute:User.nope:caseExact=true").is_err());
        assert!(caps
            .meets("attribute:User.x509Certificates.value:type=binary")
            .is_ok());
        assert!(caps.meets("attribute:User.userName:type=binary").is_err());
    }

    #[test]
    fn event_names_match_with_or_without_their_mode() {
        let full = "urn:ietf:params:scim:event:prov:create:full";
        assert!(is_event(full, "prov:create"));
        assert!(is_event(full, "prov:create:full"));
        assert!(!is_event(full, "prov:create:notice"));
        assert!(!is_event(full, "prov:c"));
        assert!(!is_event(
            "urn:ietf:params:scim:event:prov:create:other",
            "prov:create"
        ));
        assert!(is_event(
            "urn:ietf:params:scim:event:prov:delete",
            "prov:delete"
        ));
        assert!(!is_event(
            "urn:ietf:params:scim:event:prov:deactivate",
            "prov:delete"
        ));
        assert!(!is_event("prov:delete", "prov:delete"));
    }

    #[test]
    fn endpoints_resolve_in_every_legal_form() {
        let base = url::Url::parse("http://h:8/scim/v2/").unwrap();
        for form in [
            "Users",
            "/Users",
            "/Users/",
            "/scim/v2/Users",
            "http://h:8/scim/v2/Users",
        ] {
            assert_eq!(resolve_endpoint(&base, form).unwrap(), "/Users", "{form}");
        }
        // Other origins, and absolute URLs outside the base path, are refused.
        for bad in [
            "http://other:8/scim/v2/Users",
            "https://h:8/scim/v2/Users",
            "//other/Users",
            "http://h:8/elsewhere/Users",
        ] {
            assert!(resolve_endpoint(&base, bad).is_err(), "{bad}");
        }
        assert!(resolve_endpoint(&base, "http://other/Users")
            .unwrap_err()
            .contains("credentials are never sent there"));
        // At the root, every path is under the base.
        let root = url::Url::parse("http://h:8").unwrap();
        assert_eq!(resolve_endpoint(&root, "/Users").unwrap(), "/Users");
        let mut caps = Capabilities::default();
        caps.read_resource_types(
            &base,
            &json!({"Resources": [
                {"name": "User", "endpoint": "http://evil/Users", "schema": "urn:u"},
                {"name": "Group", "endpoint": "/scim/v2/Groups", "schema": "urn:g"}
            ]}),
        );
        assert_eq!(caps.resource_types.len(), 1);
        assert_eq!(caps.resource_types[0].endpoint, "/Groups");
        assert_eq!(caps.resource_types[0].declared_endpoint, "/scim/v2/Groups");
        assert!(caps.problems[0].contains("resource type User"));
    }

    #[test]
    fn an_event_requirement_needs_the_event_listed() {
        let caps = |uris: Value| Capabilities {
            spc: Some(json!({"securityEvents": {"eventUris": uris}})),
            ..Default::default()
        };
        let listed = caps(json!(["urn:ietf:params:scim:event:prov:deactivate"]));
        assert!(listed
            .meets_events("uri:prov:deactivate")
            .is_err_and(|e| e.contains("receives no events")));
        assert!(listed
            .meets_events("uri:prov:activate")
            .is_err_and(|e| e.contains("does not list")));
        // Without the SCIM event prefix, or with a suffix that is no payload mode.
        for other in [
            "prov:deactivate",
            "urn:ietf:params:scim:event:prov:deactivate:x",
        ] {
            let c = caps(json!([other]));
            assert!(c
                .meets_events("uri:prov:deactivate")
                .is_err_and(|e| e.contains("does not list")));
        }
    }
}
