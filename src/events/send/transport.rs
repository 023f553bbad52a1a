//! The HTTP side of the checks: [`Sender`] POSTs SETs to the receiver and
//! GETs the processed count, each request bounded by [`TIMEOUT`], and
//! records every exchange with its secrets redacted (`Bearer [REDACTED]`,
//! curl lines with `$TOKEN`). A network or TLS failure is an `Err` with a
//! readable reason, never a panic.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::grade::Answer;
use super::{display_url, SendTarget, TIMEOUT};
use crate::http::client::{header_pairs, read_body, BodyError};
use crate::http::exchange::curl_line;
use crate::http::{Exchange, RecordedRequest, RecordedResponse, Redactor};

/// The longest answer read from a receiver (its answers are empty or a
/// small error object); a longer one is an error, not read further.
const MAX_ANSWER: usize = 1024 * 1024;

/// Response bodies longer than this are cut in the recorded exchange.
const MAX_RECORDED_BODY: usize = 64 * 1024;

/// How curl lines authenticate: the token stays in a shell variable.
const CURL_AUTH: &str = "-H \"Authorization: Bearer $TOKEN\"";

/// The checks' connection to the receiver.
pub(super) struct Sender<'a> {
    pub(super) target: &'a SendTarget,
    http: reqwest::Client,
    redactor: Redactor,
}

/// One request's record and its answer or transport error.
pub(super) struct Sent {
    pub(super) exchange: Exchange,
    pub(super) answer: Result<Answer, String>,
}

impl Sender<'_> {
    pub(super) fn new(target: &SendTarget) -> Result<Sender<'_>, String> {
        let mut redactor = Redactor::default();
        let tokens = [
            target.bearer.as_deref(),
            target
                .processed_url
                .as_ref()
                .and_then(|(_, t)| t.as_deref()),
        ];
        for token in tokens.into_iter().flatten() {
            redactor.add_secret(token);
        }
        Ok(Sender {
            target,
            http: target.http_client()?,
            redactor,
        })
    }

    /// POSTs a body to the receiver as a transmitter does (RFC 8935 §2.1).
    pub(super) async fn post(&self, body: &str, content_type: &str) -> Sent {
        let mut headers = vec![
            ("Content-Type".to_string(), content_type.to_string()),
            ("Accept".to_string(), "application/json".to_string()),
        ];
        if let Some(token) = &self.target.bearer {
            headers.push(("Authorization".to_string(), format!("Bearer {token}")));
        }
        let url = self.target.url.clone();
        self.send("POST", &url, headers, Some(body)).await
    }

    /// GETs the processed count at `url` (`{"processed": N}`); the count
    /// and the exchange.
    pub(super) async fn processed_count(
        &self,
        url: &str,
        token: Option<&str>,
    ) -> (Result<u64, String>, Exchange) {
        let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
        if let Some(token) = token {
            headers.push(("Authorization".to_string(), format!("Bearer {token}")));
        }
        let sent = self.send("GET", url, headers, None).await;
        let count = sent.answer.and_then(|answer| {
            let count = (answer.status == 200)
                .then(|| answer.object())
                .flatten()
                .and_then(|body| body.get("processed").and_then(Value::as_u64));
            count.ok_or_else(|| {
                format!(
                    "GET {}: expected 200 with {{\"processed\": N}}, got {}",
                    display_url(url),
                    answer.brief()
                )
            })
        });
        (count, sent.exchange)
    }

    async fn send(
        &self,
        method: &str,
        url: &str,
        headers: Vec<(String, String)>,
        body: Option<&str>,
    ) -> Sent {
        let recorded = self.record_request(method, url, &headers, body);
        let started = Instant::now();
        let answer = self.transmit(method, url, &headers, body).await;
        let shown_url = recorded.url.clone();
        let answer = answer.map_err(|e| format!("{method} {shown_url}: {e}"));
        Sent {
            exchange: self.record(recorded, &answer, started.elapsed()),
            answer,
        }
    }

    async fn transmit(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Option<&str>,
    ) -> Result<Answer, String> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let mut req = self.http.request(method, url);
        for (name, value) in headers {
            req = req.header(name.as_str(), value.as_str());
        }
        if let Some(body) = body {
            req = req.body(body.to_string());
        }
        let mut resp = req.send().await.map_err(|e| describe(&e))?;
        let status = resp.status().as_u16();
        let headers = header_pairs(&resp);
        let body = match read_body(&mut resp, MAX_ANSWER).await {
            Ok(body) => body,
            Err(BodyError::Read(e)) => return Err(describe(&e)),
            Err(too_large) => return Err(too_large.to_string()),
        };
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    pub(super) fn record_request(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Option<&str>,
    ) -> RecordedRequest {
        let r = &self.redactor;
        RecordedRequest {
            method: method.to_string(),
            url: r.text(&display_url(url)),
            headers: headers
                .iter()
                .map(|(n, v)| (n.clone(), r.header(n, v)))
                .collect(),
            body: body.map(|b| r.text(b)),
        }
    }

    pub(super) fn record(
        &self,
        request: RecordedRequest,
        answer: &Result<Answer, String>,
        took: Duration,
    ) -> Exchange {
        let r = &self.redactor;
        let curl = curl_line(&request, Some(CURL_AUTH));
        let (response, error) = match answer {
            Ok(a) => (
                Some(RecordedResponse::redacted(
                    a.status,
                    &a.headers,
                    &a.body,
                    MAX_RECORDED_BODY,
                    r,
                )),
                None,
            ),
            Err(e) => (None, Some(r.text(e))),
        };
        Exchange {
            request,
            response,
            error,
            duration_ms: took.as_millis() as u64,
            curl,
            broken: false,
        }
    }
}

/// What went wrong with a request: the kind, then the causes.
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else if e.is_body() || e.is_decode() {
        "the answer broke off".to_string()
    } else {
        "the request failed".to_string()
    };
    crate::http::client::append_causes(&mut text, e);
    if text.contains("certificate") || text.contains("tls") || text.contains("TLS") {
        text.push_str(" (TLS: is the receiver's certificate trusted? see --cacert)");
    }
    text
}
