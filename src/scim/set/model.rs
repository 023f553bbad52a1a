//! The typed view of a SCIM SET, for callers that compare the events they
//! receive with the operations they performed. Lenient where the view can
//! be lenient (an absent `sub_id` is `None`); [`super::validate()`] says
//! what is wrong with a token.

use serde_json::{json, Map, Value};

use super::event::{classify, EventKind, PayloadMode};
use super::jwt::Token;

/// A SET's claims (RFC 8417 §2.2, RFC 9967 §2).
#[derive(Clone, Debug, PartialEq)]
pub struct Set {
    pub issuer: String,
    /// `iat`, seconds since the epoch (a fraction is dropped).
    pub issued_at: i64,
    pub jti: String,
    /// `aud`, a single string given as one entry.
    pub audience: Vec<String>,
    /// The transaction id: a top-level claim, shared by every SET about one
    /// state change (RFC 9967 §2.2) and equal to the Set-Txn header of an
    /// asynchronous response (§2.5.1.1).
    pub txn: Option<String>,
    pub sub_id: Option<SubId>,
    /// The `events` claim, in the token's order.
    pub events: Vec<Event>,
}

/// The subject of a SCIM event (RFC 9967 §2.1).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SubId {
    /// `"scim"` for SCIM events.
    pub format: String,
    /// The resource's path relative to the base URI: `/Users/{id}`.
    pub uri: String,
    pub id: Option<String>,
    pub external_id: Option<String>,
    /// Other attributes, e.g. server-unique ones like `userName`.
    pub other: Map<String, Value>,
}

/// One event of the `events` claim.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub uri: String,
    pub kind: EventKind,
    pub payload: Map<String, Value>,
}

/// Why a claims set has no typed view.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    #[error("the {0} claim is missing")]
    Missing(&'static str),
    #[error("the {claim} claim is not {expected}")]
    WrongType {
        claim: &'static str,
        expected: &'static str,
    },
}

impl Set {
    /// The view of a parsed token's claims.
    pub fn from_token(token: &Token) -> Result<Set, ViewError> {
        Set::from_claims(token.claims())
    }

    /// Needs `iss` and `jti` strings, an `iat` number, an `aud` (if any)
    /// of strings and an `events` object of objects.
    pub fn from_claims(claims: &Map<String, Value>) -> Result<Set, ViewError> {
        let wrong = |claim, expected| ViewError::WrongType { claim, expected };
        let get = |name| claims.get(name).ok_or(ViewError::Missing(name));
        let issuer = get("iss")?.as_str().ok_or(wrong("iss", "a string"))?;
        let issued_at = get("iat")?.as_f64().ok_or(wrong("iat", "a number"))?;
        let jti = get("jti")?.as_str().ok_or(wrong("jti", "a string"))?;
        let audience = match claims.get("aud") {
            None => Vec::new(),
            Some(aud) => audiences(aud).ok_or(wrong("aud", "a string or an array of strings"))?,
        };
        let txn = match claims.get("txn") {
            None => None,
            Some(txn) => Some(txn.as_str().ok_or(wrong("txn", "a string"))?.to_string()),
        };
        let events = get("events")?
            .as_object()
            .ok_or(wrong("events", "an object"))?
            .iter()
            .map(|(uri, payload)| {
                let payload = payload
                    .as_object()
                    .ok_or(wrong("events", "an object of objects"))?;
                Ok(Event::new(uri, payload.clone()))
            })
            .collect::<Result<Vec<Event>, ViewError>>()?;
        Ok(Set {
            issuer: issuer.to_string(),
            // Saturates outside the i64 range; NumericDates are far inside.
            issued_at: issued_at as i64,
            jti: jti.to_string(),
            audience,
            txn,
            sub_id: claims.get("sub_id").and_then(SubId::from_json),
            events,
        })
    }

    /// The first event of a kind.
    pub fn event(&self, kind: EventKind) -> Option<&Event> {
        self.events.iter().find(|e| e.kind == kind)
    }
}

/// `aud` as a list: a string is one audience (RFC 7519 §4.1.3).
pub(crate) fn audiences(aud: &Value) -> Option<Vec<String>> {
    match aud {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

impl SubId {
    /// `{"format": "scim", "uri": uri}`.
    pub fn scim(uri: &str) -> SubId {
        SubId {
            format: "scim".into(),
            uri: uri.into(),
            ..SubId::default()
        }
    }

    /// Reads a `sub_id` object with string `format` and `uri`; `id` and
    /// `externalId` are kept when they are strings.
    pub fn from_json(value: &Value) -> Option<SubId> {
        let object = value.as_object()?;
        let text = |name: &str| object.get(name).and_then(Value::as_str).map(str::to_string);
        let other = object
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "format" | "uri" | "id" | "externalId"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Some(SubId {
            format: text("format")?,
            uri: text("uri")?,
            id: text("id"),
            external_id: text("externalId"),
            other,
        })
    }

    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("format".into(), json!(self.format));
        object.insert("uri".into(), json!(self.uri));
        if let Some(id) = &self.id {
            object.insert("id".into(), json!(id));
        }
        if let Some(external_id) = &self.external_id {
            object.insert("externalId".into(), json!(external_id));
        }
        object.extend(self.other.clone());
        Value::Object(object)
    }
}

impl Event {
    pub fn new(uri: &str, payload: Map<String, Value>) -> Event {
        Event {
            uri: uri.to_string(),
            kind: classify(uri).0,
            payload,
        }
    }

    pub fn kind(&self) -> EventKind {
        self.kind
    }

    /// Full (`data`), Notice (`attributes`) or None, by the URI.
    pub fn payload_mode(&self) -> PayloadMode {
        classify(&self.uri).1
    }

    /// `version`: the resource's ETag after the event.
    pub fn version(&self) -> Option<&str> {
        self.payload.get("version").and_then(Value::as_str)
    }

    /// `data` of a full event: the resource (or request body) as in Bulk.
    pub fn data(&self) -> Option<&Map<String, Value>> {
        self.payload.get("data").and_then(Value::as_object)
    }

    /// `attributes` of a notice event, the strings among them.
    pub fn attributes(&self) -> Option<Vec<&str>> {
        let list = self.payload.get("attributes")?.as_array()?;
        Some(list.iter().filter_map(Value::as_str).collect())
    }

    /// `method` of an asyncresp event.
    pub fn method(&self) -> Option<&str> {
        self.payload.get("method").and_then(Value::as_str)
    }

    /// `status` of an asyncresp event, given as `"201"` or `201`.
    pub fn status(&self) -> Option<u16> {
        status_code(self.payload.get("status")?)
    }
}

/// An HTTP status code (100–599) written as a string or a number.
pub(crate) fn status_code(value: &Value) -> Option<u16> {
    let code = match value {
        Value::String(s) if s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()?
        }
        Value::Number(n) => u16::try_from(n.as_u64()?).ok()?,
        _ => return None,
    };
    (100..=599).contains(&code).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::super::event::{ASYNC_RESPONSE, PATCH_NOTICE};
    use super::*;

    #[test]
    fn views_the_rfc_9967_patch_notice_example() {
        // RFC 9967 Figure 7.
        let claims = json!({
            "jti": "6164f3bbf6ff41a88dc94f18cb0620e8",
            "sub_id": {"format": "scim", "uri": "/Groups/176f397ec4c44b94b2cfcb759780b8c2",
                       "externalId": "crmUsers"},
            "events": {PATCH_NOTICE: {"attributes": ["members"], "version": "a330bc54f0671c9"}},
            "iat": 1458505044,
            "iss": "https://scim.example.com",
            "aud": ["https://scim.example.com/Feeds/98d52461fa5bbc879593b7754"]
        });
        let set = Set::from_claims(claims.as_object().expect("object")).expect("a view");
        assert_eq!(set.issuer, "https://scim.example.com");
        assert_eq!(set.issued_at, 1458505044);
        assert_eq!(set.audience.len(), 1);
        assert_eq!(set.txn, None);
        let sub = set.sub_id.as_ref().expect("sub_id");
        assert_eq!(sub.uri, "/Groups/176f397ec4c44b94b2cfcb759780b8c2");
        assert_eq!(sub.external_id.as_deref(), Some("crmUsers"));
        let e = set.event(EventKind::Patch).expect("the patch event");
        assert_eq!(e.payload_mode(), PayloadMode::Notice);
        assert_eq!(e.attributes(), Some(vec!["members"]));
        assert_eq!(e.version(), Some("a330bc54f0671c9"));
        assert_eq!(e.data(), None);
        assert!(set.event(EventKind::Delete).is_none());
    }

    #[test]
    fn reads_asyncresp_status_as_string_or_number() {
        let e = Event::new(
            ASYNC_RESPONSE,
            json!({"method": "PUT", "status": "200"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        assert_eq!(
            (e.kind(), e.method(), e.status()),
            (EventKind::AsyncResp, Some("PUT"), Some(200))
        );
        assert_eq!(status_code(&json!(404)), Some(404));
        assert_eq!(status_code(&json!("20")), None);
        assert_eq!(status_code(&json!("999")), None);
        assert_eq!(status_code(&json!(-1)), None);
    }

    #[test]
    fn names_the_claim_that_prevents_a_view() {
        let view = |v: Value| Set::from_claims(v.as_object().expect("object"));
        assert_eq!(
            view(json!({"iat": 1, "jti": "j", "events": {}})),
            Err(ViewError::Missing("iss"))
        );
        assert_eq!(
            view(json!({"iss": "i", "iat": "1", "jti": "j", "events": {}})),
            Err(ViewError::WrongType {
                claim: "iat",
                expected: "a number"
            })
        );
        assert!(matches!(
            view(json!({"iss": "i", "iat": 1, "jti": "j", "aud": [1], "events": {}})),
            Err(ViewError::WrongType { claim: "aud", .. })
        ));
        assert!(matches!(
            view(json!({"iss": "i", "iat": 1, "jti": "j", "events": {"u": 1}})),
            Err(ViewError::WrongType {
                claim: "events",
                ..
            })
        ));
        let set = view(
            json!({"iss": "i", "iat": 1.9, "jti": "j", "aud": "a", "sub_id": 3, "events": {}}),
        )
        .expect("a view");
        assert_eq!(
            (set.issued_at, set.audience, set.sub_id),
            (1, vec!["a".to_string()], None)
        );
    }

    #[test]
    fn sub_id_keeps_other_unique_attributes() {
        let v = json!({"format": "scim", "uri": "/Users/1", "id": "1", "userName": "bjensen"});
        let sub = SubId::from_json(&v).expect("sub_id");
        assert_eq!(sub.id.as_deref(), Some("1"));
        assert_eq!(sub.other["userName"], json!("bjensen"));
        assert_eq!(sub.to_json(), v);
        assert_eq!(SubId::from_json(&json!({"format": "scim"})), None);
    }
}
