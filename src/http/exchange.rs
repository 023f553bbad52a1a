//! A recorded request/response pair, already redacted, and the curl line
//! that replays it.

use serde::{Deserialize, Serialize};

/// The request as sent, secrets redacted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// The response as received, secrets redacted; a long body is cut.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    #[serde(default)]
    pub body_truncated: bool,
}

impl RecordedResponse {
    /// What a report shows of a response: header values and the body with
    /// secrets redacted, the body cut after `max_body` bytes.
    pub fn redacted(
        status: u16,
        headers: &[(String, String)],
        body: &[u8],
        max_body: usize,
        redactor: &super::Redactor,
    ) -> RecordedResponse {
        RecordedResponse {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.clone(), redactor.header(n, v)))
                .collect(),
            body: redactor.text(&String::from_utf8_lossy(&body[..body.len().min(max_body)])),
            body_truncated: body.len() > max_body,
        }
    }
}

/// One HTTP exchange, as reports show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    pub request: RecordedRequest,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<RecordedResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: u64,
    /// A shell command that sends the same request; secrets are shell variables.
    pub curl: String,
    /// The connection failed or broke (refused, reset) before an answer:
    /// a sign of a server under load, not of a verdict.
    #[serde(skip)]
    pub broken: bool,
}

/// Builds a curl command line for a request whose headers are already
/// redacted; `auth_args` replaces any redacted Authorization header.
pub fn curl_line(req: &RecordedRequest, auth_args: Option<&str>) -> String {
    let mut parts = vec![
        "curl".to_string(),
        "-sS".to_string(),
        "-X".to_string(),
        req.method.clone(),
        sq(&req.url),
    ];
    for (name, value) in &req.headers {
        if name.eq_ignore_ascii_case("authorization") {
            continue;
        }
        parts.push("-H".to_string());
        parts.push(sq(&format!("{name}: {value}")));
    }
    if req
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("authorization"))
    {
        if let Some(args) = auth_args {
            parts.push(args.to_string());
        }
    }
    if let Some(body) = &req.body {
        parts.push("--data-binary".to_string());
        parts.push(sq(body));
    }
    parts.join(" ")
}

/// Single-quotes a string for POSIX shells.
fn sq(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_line_quotes_and_uses_auth_placeholder() {
        let req = RecordedRequest {
            method: "POST".into(),
            url: "http://127.0.0.1:1/Users".into(),
            headers: vec![
                ("Authorization".into(), "Bearer [REDACTED]".into()),
                ("Content-Type".into(), "application/scim+json".into()),
            ],
            body: Some("{\"userName\":\"o'neil\"}".into()),
        };
        let line = curl_line(&req, Some("-H \"Authorization: Bearer $T\""));
        assert_eq!(
            line,
            "curl -sS -X POST 'http://127.0.0.1:1/Users' -H 'Content-Type: application/scim+json' \
             -H \"Authorization: Bearer $T\" --data-binary '{\"userName\":\"o'\\''neil\"}'"
        );
    }
}
