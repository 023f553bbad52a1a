//! The JWS compact serialization of a JWT (RFC 7515 §7.1, RFC 7519 §7.2):
//! `BASE64URL(header) "." BASE64URL(claims) "." BASE64URL(signature)`, the
//! header and the claims each a JSON object. This file splits and decodes a
//! token and encodes one back; [`super::verify`] checks signatures.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

use super::rules::ErrorCode;

/// Tokens longer than this are refused before any decoding.
pub const MAX_TOKEN_LEN: usize = 1 << 20;

/// A part of the compact serialization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Header,
    Claims,
    Signature,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Header => "JOSE header",
            Part::Claims => "claims set",
            Part::Signature => "signature",
        })
    }
}

/// Why a text is not a compact JWS whose header and claims are JSON objects.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the token is {len} bytes, over the limit of {max}")]
    TooLarge { len: usize, max: usize },
    #[error("the token has 5 parts: an encrypted JWT (JWE), which is not supported")]
    Encrypted,
    #[error("a compact JWS has 3 parts separated by '.', this token has {0}")]
    PartCount(usize),
    #[error("the {part} is not base64url without padding: {detail}")]
    Base64 { part: Part, detail: String },
    #[error("the {part} is not JSON: {detail}")]
    Json { part: Part, detail: String },
    #[error("the {part} is {found}, not a JSON object")]
    NotObject { part: Part, found: &'static str },
}

impl ParseError {
    /// The part at fault, when it is one part.
    pub fn part(&self) -> Option<Part> {
        match self {
            ParseError::Base64 { part, .. }
            | ParseError::Json { part, .. }
            | ParseError::NotObject { part, .. } => Some(*part),
            _ => None,
        }
    }

    /// What a receiver answers (RFC 8935 §2.4): the body is not a SET.
    pub fn error_code(&self) -> ErrorCode {
        ErrorCode::InvalidRequest
    }
}

/// A member name that occurs more than once in the claims set (a claim
/// name) or in its `events` claim (an event identifier); other objects are
/// not looked into. Each repeated name is recorded once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duplicate {
    /// The JSON pointer (RFC 6901) of the object: `""` for the claims set,
    /// `"/events"` for the events claim; never anything else.
    pub object: String,
    pub name: String,
}

/// A decoded compact JWS. Parsing checks the structure only; see
/// [`Token::verify`](super::verify) and [`validate`](super::validate()).
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    header: Map<String, Value>,
    claims: Map<String, Value>,
    signing_input: String,
    signature: String,
    duplicates: Vec<Duplicate>,
}

impl Token {
    /// Splits and decodes a compact JWS. Never panics; refuses texts over
    /// [`MAX_TOKEN_LEN`] bytes.
    pub fn parse(text: &str) -> Result<Token, ParseError> {
        if text.len() > MAX_TOKEN_LEN {
            return Err(ParseError::TooLarge {
                len: text.len(),
                max: MAX_TOKEN_LEN,
            });
        }
        let parts = text.bytes().filter(|b| *b == b'.').count() + 1;
        let mut split = text.split('.');
        let (Some(header_b64), Some(claims_b64), Some(signature), None) =
            (split.next(), split.next(), split.next(), split.next())
        else {
            return Err(match parts {
                5 => ParseError::Encrypted,
                n => ParseError::PartCount(n),
            });
        };
        let header = object(Part::Header, header_b64)?;
        let claims_json = decode(Part::Claims, claims_b64)?;
        let claims = object_of(Part::Claims, &claims_json)?;
        decode(Part::Signature, signature)?;
        Ok(Token {
            header,
            claims,
            signing_input: format!("{header_b64}.{claims_b64}"),
            signature: signature.to_string(),
            duplicates: super::dups::find(&claims_json),
        })
    }

    /// The JOSE header.
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }

    /// The JWT claims set.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// A header parameter, when it is a string.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    /// The `alg` header parameter, when it is a string.
    pub fn alg(&self) -> Option<&str> {
        self.header_str("alg")
    }

    /// The `kid` header parameter, when it is a string.
    pub fn kid(&self) -> Option<&str> {
        self.header_str("kid")
    }

    /// The `typ` header parameter, when it is a string.
    pub fn typ(&self) -> Option<&str> {
        self.header_str("typ")
    }

    /// `ASCII(BASE64URL(header) "." BASE64URL(claims))` as received: what
    /// the signature covers (RFC 7515 §5.2).
    pub fn signing_input(&self) -> &str {
        &self.signing_input
    }

    /// The signature part as received (base64url, empty when unsigned).
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// Member names repeated in the claims set (which `claims()` holds once,
    /// with the last value).
    pub fn duplicates(&self) -> &[Duplicate] {
        &self.duplicates
    }

    /// The header and claims encoded again with an empty signature. Parsing
    /// the result gives the same header and claims.
    pub fn to_unsigned(&self) -> String {
        compact(&self.header, &self.claims, "")
    }
}

/// `BASE64URL(header) "." BASE64URL(claims) "." signature`.
pub fn compact(
    header: &Map<String, Value>,
    claims: &Map<String, Value>,
    signature: &str,
) -> String {
    format!("{}.{signature}", signing_input(header, claims))
}

/// `BASE64URL(header) "." BASE64URL(claims)`: what a signer signs.
pub(crate) fn signing_input(header: &Map<String, Value>, claims: &Map<String, Value>) -> String {
    format!("{}.{}", encode_json(header), encode_json(claims))
}

fn encode_json(map: &Map<String, Value>) -> String {
    // A map with string keys and serde_json values always serializes.
    let json = serde_json::to_vec(map).expect("a JSON object serializes");
    URL_SAFE_NO_PAD.encode(json)
}

fn decode(part: Part, text: &str) -> Result<Vec<u8>, ParseError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|e| ParseError::Base64 {
            part,
            detail: e.to_string(),
        })
}

fn object(part: Part, text: &str) -> Result<Map<String, Value>, ParseError> {
    object_of(part, &decode(part, text)?)
}

fn object_of(part: Part, json: &[u8]) -> Result<Map<String, Value>, ParseError> {
    let value: Value = serde_json::from_slice(json).map_err(|e| ParseError::Json {
        part,
        detail: e.to_string(),
    })?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(ParseError::NotObject {
            part,
            found: json_type(&other),
        }),
    }
}

/// "a string", "an array", … for messages.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn token(header: &str, claims: &str, sig: &str) -> String {
        format!("{}.{}.{sig}", b64(header), b64(claims))
    }

    /// RFC 8417 §2.4 Figure 6, the unsecured example SET, verbatim.
    const RFC8417_FIGURE_6: &str = concat!(
        "eyJ0eXAiOiJzZWNldmVudCtqd3QiLCJhbGciOiJub25lIn0",
        ".",
        "eyJpc3MiOiJodHRwczovL3NjaW0uZXhhbXBsZS5jb20iLCJpYXQiOjE0NTg0OTY0M",
        "DQsImp0aSI6IjRkMzU1OWVjNjc1MDRhYWJhNjVkNDBiMDM2M2ZhYWQ4IiwiYXVkIj",
        "pbImh0dHBzOi8vc2NpbS5leGFtcGxlLmNvbS9GZWVkcy85OGQ1MjQ2MWZhNWJiYzg",
        "3OTU5M2I3NzU0IiwiaHR0cHM6Ly9zY2ltLmV4YW1wbGUuY29tL0ZlZWRzLzVkNzYw",
        "NDUxNmIxZDA4NjQxZDc2NzZlZTciXSwiZXZlbnRzIjp7InVybjppZXRmOnBhcmFtc",
        "zpzY2ltOmV2ZW50OmNyZWF0ZSI6eyJyZWYiOiJodHRwczovL3NjaW0uZXhhbXBsZS",
        "5jb20vVXNlcnMvNDRmNjE0MmRmOTZiZDZhYjYxZTc1MjFkOSIsImF0dHJpYnV0ZXM",
        "iOlsiaWQiLCJuYW1lIiwidXNlck5hbWUiLCJwYXNzd29yZCIsImVtYWlscyJdfX19",
        "."
    );

    #[test]
    fn parses_the_rfc_8417_example() {
        let t = Token::parse(RFC8417_FIGURE_6).expect("the RFC example parses");
        assert_eq!(t.alg(), Some("none"));
        assert_eq!(t.typ(), Some("secevent+jwt"));
        assert_eq!(t.signature(), "");
        assert_eq!(t.claims()["iss"], json!("https://scim.example.com"));
        assert_eq!(t.claims()["iat"], json!(1458496404));
        assert_eq!(
            t.claims()["events"]["urn:ietf:params:scim:event:create"]["attributes"][2],
            json!("userName")
        );
        assert_eq!(
            t.signing_input(),
            RFC8417_FIGURE_6.trim_end_matches('.'),
            "the signing input is the first two parts as received"
        );
        assert!(t.duplicates().is_empty());
    }

    #[test]
    fn counts_parts_and_names_jwe() {
        assert_eq!(Token::parse("a.b"), Err(ParseError::PartCount(2)));
        assert_eq!(Token::parse(""), Err(ParseError::PartCount(1)));
        assert_eq!(Token::parse("a.b.c.d"), Err(ParseError::PartCount(4)));
        assert_eq!(Token::parse("a.b.c.d.e"), Err(ParseError::Encrypted));
    }

    #[test]
    fn says_which_part_is_not_base64url() {
        let e = Token::parse(&format!("{}.{}.", b64("{}"), "e30=")).unwrap_err();
        assert!(
            matches!(
                e,
                ParseError::Base64 {
                    part: Part::Claims,
                    ..
                }
            ),
            "{e}"
        );
        let e = Token::parse(&format!("{}.{}.a+b", b64("{}"), b64("{}"))).unwrap_err();
        assert_eq!(e.part(), Some(Part::Signature));
        let e = Token::parse(&format!("ab!.{}.", b64("{}"))).unwrap_err();
        assert_eq!(e.part(), Some(Part::Header));
        assert!(e.to_string().contains("JOSE header"), "{e}");
        assert_eq!(e.error_code(), ErrorCode::InvalidRequest);
    }

    #[test]
    fn says_which_part_is_not_a_json_object() {
        let e = Token::parse(&token("{\"alg\":", "{}", "")).unwrap_err();
        assert!(
            matches!(
                e,
                ParseError::Json {
                    part: Part::Header,
                    ..
                }
            ),
            "{e}"
        );
        let e = Token::parse(&token("{}", "[1]", "")).unwrap_err();
        assert_eq!(
            e,
            ParseError::NotObject {
                part: Part::Claims,
                found: "an array"
            }
        );
        let e = Token::parse(&token("\"x\"", "{}", "")).unwrap_err();
        assert_eq!(e.part(), Some(Part::Header));
        let bad_utf8 = format!(
            "{}.{}.",
            b64("{}"),
            URL_SAFE_NO_PAD.encode([b'"', 0xff, b'"'])
        );
        assert!(matches!(
            Token::parse(&bad_utf8),
            Err(ParseError::Json {
                part: Part::Claims,
                ..
            })
        ));
    }

    #[test]
    fn refuses_oversized_tokens_before_decoding() {
        let big = "a".repeat(MAX_TOKEN_LEN + 1);
        assert_eq!(
            Token::parse(&big),
            Err(ParseError::TooLarge {
                len: MAX_TOKEN_LEN + 1,
                max: MAX_TOKEN_LEN
            })
        );
    }

    #[test]
    fn keeps_the_last_duplicate_and_records_it() {
        let t = Token::parse(&token("{}", r#"{"iss":"a","iss":"b"}"#, "")).expect("parses");
        assert_eq!(t.claims()["iss"], json!("b"));
        assert_eq!(
            t.duplicates(),
            &[Duplicate {
                object: String::new(),
                name: "iss".into()
            }]
        );
    }

    #[test]
    fn unsigned_re_encoding_parses_to_the_same_token_parts() {
        let t = Token::parse(&token(
            r#"{"alg":"HS256"}"#,
            r#"{"a":[1,2.5,{"b":null}]}"#,
            "c2ln",
        ))
        .expect("parses");
        assert_eq!(t.signature(), "c2ln");
        let again = Token::parse(&t.to_unsigned()).expect("re-encoding parses");
        assert_eq!(again.header(), t.header());
        assert_eq!(again.claims(), t.claims());
        assert_eq!(again.signature(), "");
    }
}
