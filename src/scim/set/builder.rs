//! Building SETs: setters for the usual claims over the raw header and
//! claims maps, which stay public so a caller (the reference server as a
//! transmitter, `scimitar events send`) can also break any rule on purpose.

use serde_json::{json, Map, Value};

use super::model::SubId;
use super::sign::Signer;
use super::TYP;

/// A SET under construction.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SetBuilder {
    /// The JOSE header; [`SetBuilder::sign`] sets `alg` (and `kid`).
    pub header: Map<String, Value>,
    /// The JWT claims set.
    pub claims: Map<String, Value>,
}

impl SetBuilder {
    /// `typ: secevent+jwt` and the claims every SET has: iss, iat, jti.
    pub fn new(issuer: &str, jti: &str, issued_at: i64) -> SetBuilder {
        SetBuilder::default()
            .header_param("typ", json!(TYP))
            .claim("iss", json!(issuer))
            .claim("iat", json!(issued_at))
            .claim("jti", json!(jti))
    }

    /// A builder over any header and claims, e.g. from a parsed token.
    pub fn from_parts(header: Map<String, Value>, claims: Map<String, Value>) -> SetBuilder {
        SetBuilder { header, claims }
    }

    /// Adds an audience; `aud` is kept as an array.
    pub fn audience(mut self, aud: &str) -> SetBuilder {
        match self.claims.get_mut("aud") {
            Some(Value::Array(list)) => list.push(json!(aud)),
            _ => {
                self.claims.insert("aud".into(), json!([aud]));
            }
        }
        self
    }

    /// The top-level `txn` claim (RFC 8417 §2.2, RFC 9967 §2.2).
    pub fn txn(self, txn: &str) -> SetBuilder {
        self.claim("txn", json!(txn))
    }

    /// The top-level `sub_id` claim (RFC 9967 §2.1).
    pub fn sub_id(self, sub_id: &SubId) -> SetBuilder {
        self.claim("sub_id", sub_id.to_json())
    }

    /// Adds an event to the `events` claim (made an object if it is not).
    pub fn event(mut self, uri: &str, payload: Value) -> SetBuilder {
        let events = self
            .claims
            .entry("events")
            .or_insert_with(|| Value::Object(Map::new()));
        if !events.is_object() {
            *events = Value::Object(Map::new());
        }
        if let Value::Object(events) = events {
            events.insert(uri.to_string(), payload);
        }
        self
    }

    /// Sets any claim.
    pub fn claim(mut self, name: &str, value: Value) -> SetBuilder {
        self.claims.insert(name.to_string(), value);
        self
    }

    /// Removes a claim.
    pub fn without_claim(mut self, name: &str) -> SetBuilder {
        self.claims.shift_remove(name);
        self
    }

    /// Sets any header parameter.
    pub fn header_param(mut self, name: &str, value: Value) -> SetBuilder {
        self.header.insert(name.to_string(), value);
        self
    }

    /// Removes a header parameter.
    pub fn without_header_param(mut self, name: &str) -> SetBuilder {
        self.header.shift_remove(name);
        self
    }

    /// The compact form: the header gets the signer's `alg`, and its `kid`
    /// when it has one, before signing.
    pub fn sign(&self, signer: &Signer) -> String {
        let mut header = self.header.clone();
        header.insert("alg".into(), json!(signer.alg()));
        if let Some(kid) = signer.kid() {
            header.insert("kid".into(), json!(kid));
        }
        signer.sign(&header, &self.claims)
    }

    /// The compact form with `alg: none` and an empty signature.
    pub fn unsigned(&self) -> String {
        self.sign(&Signer::unsigned())
    }
}

#[cfg(test)]
mod tests {
    use super::super::jwt::Token;
    use super::*;

    #[test]
    fn builds_the_claims_in_order_and_signs_with_alg_and_kid() {
        let b = SetBuilder::new("https://scim.example.com", "j1", 1458496404)
            .audience("a1")
            .audience("a2")
            .txn("t1")
            .sub_id(&SubId::scim("/Users/1"))
            .event("urn:x:one", json!({}))
            .event("urn:x:two", json!({"k": 1}));
        let names: Vec<&str> = b.claims.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["iss", "iat", "jti", "aud", "txn", "sub_id", "events"]
        );
        assert_eq!(b.claims["aud"], json!(["a1", "a2"]));
        assert_eq!(
            b.claims["sub_id"],
            json!({"format": "scim", "uri": "/Users/1"})
        );
        assert_eq!(b.claims["events"]["urn:x:two"], json!({"k": 1}));

        let t = Token::parse(&b.sign(&Signer::hs256(b"s").with_kid("k1"))).expect("parses");
        assert_eq!(t.header()["typ"], json!("secevent+jwt"));
        assert_eq!((t.alg(), t.kid()), (Some("HS256"), Some("k1")));
        assert_eq!(t.claims(), &b.claims);
        assert!(!t.signature().is_empty());
    }

    #[test]
    fn raw_edits_break_rules_on_purpose() {
        let b = SetBuilder::new("i", "j", 1)
            .claim("events", json!("not an object"))
            .event("urn:x", json!({}))
            .claim("aud", json!(5))
            .audience("a")
            .without_claim("iat")
            .without_header_param("typ")
            .header_param("typ", json!("JWT"));
        assert_eq!(b.claims["events"], json!({"urn:x": {}}));
        assert_eq!(b.claims["aud"], json!(["a"]));
        assert!(!b.claims.contains_key("iat"));
        let t = Token::parse(&b.unsigned()).expect("parses");
        assert_eq!(
            (t.alg(), t.typ(), t.signature()),
            (Some("none"), Some("JWT"), "")
        );
    }
}
