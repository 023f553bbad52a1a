//! The HTTP client: one base URL, credentials, timeouts, a cap on response
//! size and a shared budget for large bodies, same-origin redirects only,
//! pauses when the server asks for them ([`super::pace`]), a count of
//! requests in a row that got no answer (the circuit breaker callers
//! consult), and a redacted record of every exchange.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use reqwest::redirect::Policy;
use tokio::sync::Mutex;
use url::Url;

use super::auth::{basic_value, Auth};
use super::exchange::{curl_line, Exchange, RecordedRequest, RecordedResponse};
use super::pace::{Pace, PaceLimits};
use super::redact::Redactor;
use super::tls::TlsOptions;

/// Everything the client needs to reach a target.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub base_url: Url,
    /// Extra headers sent with every authenticated request; their values are secret.
    pub headers: Vec<(String, String)>,
    pub auth: Auth,
    pub timeout: Duration,
    pub max_response_bytes: usize,
    /// How much of a response body an exchange record keeps.
    pub max_recorded_body: usize,
    pub tls: TlsOptions,
    /// Requests in a row without an answer after which the target counts
    /// as having stopped answering ([`Client::stopped_answering`]).
    pub breaker: usize,
    /// Or: at least two in a row, and none answered for this long.
    pub breaker_time: Duration,
    pub pace: PaceLimits,
}

impl ClientConfig {
    pub fn new(base_url: Url) -> Self {
        ClientConfig {
            base_url,
            headers: vec![],
            auth: Auth::None,
            timeout: Duration::from_secs(30),
            max_response_bytes: 16 * 1024 * 1024,
            max_recorded_body: 64 * 1024,
            tls: TlsOptions::default(),
            breaker: 5,
            breaker_time: Duration::from_secs(45),
            pace: PaceLimits::default(),
        }
    }
}

/// A request relative to the base URL (or an absolute URL of the same origin).
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Send the configured credentials (and extra headers).
    pub authenticate: bool,
    /// A shorter timeout than the client's, for this request only.
    pub timeout: Option<Duration>,
}

impl Request {
    pub fn get(target: impl Into<String>) -> Self {
        Request {
            method: "GET".into(),
            target: target.into(),
            authenticate: true,
            ..Default::default()
        }
    }

    /// An authenticated POST of a JSON body.
    pub fn post_json(target: impl Into<String>, body: &serde_json::Value) -> Self {
        Request {
            method: "POST".into(),
            target: target.into(),
            body: Some(body.to_string().into_bytes()),
            authenticate: true,
            ..Default::default()
        }
    }
}

/// A response with its whole body.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// Why the body is not JSON, with where the parser stopped and how the
    /// body begins (unredacted: callers redact); None when it is JSON.
    pub fn json_problem(&self) -> Option<String> {
        let e = serde_json::from_slice::<serde::de::IgnoredAny>(&self.body).err()?;
        if self.body.is_empty() {
            return Some("the body is empty, not JSON".into());
        }
        let offset = byte_offset(&self.body, e.line(), e.column());
        let text = String::from_utf8_lossy(&self.body[..self.body.len().min(60)]);
        let ct = self.header("content-type").unwrap_or("no content type");
        Some(format!(
            "the body ({ct}, {} bytes) is not JSON: {e} (byte {offset}); it begins {text:?}",
            self.body.len()
        ))
    }
}

/// The byte offset of a 1-based line and column in `body`.
fn byte_offset(body: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match body[start..].iter().position(|b| *b == b'\n') {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    (start + column.saturating_sub(1)).min(body.len())
}

/// Why a request got no response.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum HttpError {
    #[error("invalid URL {0}")]
    InvalidUrl(String),
    #[error("refusing to send to {0}: not the target's origin")]
    OtherOrigin(String),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("no complete response within {0:?}")]
    Timeout(Duration),
    /// With the answer's status and `Location`, when it had one (a create
    /// over the cap still says whether and what it created).
    #[error("response larger than the {0}-byte limit (status {1})")]
    TooLarge(usize, u16, Option<String>),
    #[error("transport error: {0}")]
    Transport(String),
    #[error("{0}")]
    Tls(String),
    #[error("redirect to another origin not followed: Location {0}")]
    OffOriginRedirect(String),
    #[error("redirect loop: more than 5 redirects, the last to Location {0}")]
    RedirectLoop(String),
    /// The request could not be built (a header value HTTP cannot carry,
    /// say): nothing was sent.
    #[error("request not sent: {0}")]
    NotSent(String),
    #[error("could not obtain an OAuth 2.0 access token: {0}")]
    Token(String),
}

impl HttpError {
    /// Whether the target could not be reached at all.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            HttpError::Connect(_) | HttpError::InvalidUrl(_) | HttpError::Tls(_)
        )
    }

    /// Whether the request got no answer at all (what the circuit breaker counts).
    pub fn is_no_answer(&self) -> bool {
        matches!(
            self,
            HttpError::Connect(_) | HttpError::Timeout(_) | HttpError::Transport(_)
        )
    }
}

/// Bodies up to this size are read without taking the shared budget.
const SMALL_BODY: usize = 1 << 20;

/// The path of `target` under the base path: `Users`, `/Users` and a
/// path-absolute `/scim/v2/Users` (one that already starts with the base
/// path, as servers write in `Location`, `meta.location` and ResourceType
/// endpoints) all name `/scim/v2/Users` under the base path `/scim/v2`.
pub fn join_path(base_path: &str, target: &str) -> String {
    let base = base_path.trim_end_matches('/');
    // `/` is the server root: the base URL itself (RFC 7644 §3.4.2.1).
    if target.trim_matches('/').is_empty() && !base.is_empty() {
        return base.to_string();
    }
    if !base.is_empty() && target.starts_with(base) {
        let rest = &target[base.len()..];
        if rest.is_empty() || rest.starts_with('/') {
            return target.to_string();
        }
    }
    format!("{base}/{}", target.trim_start_matches('/'))
}

/// The client. Cheap to share by reference across tasks.
pub struct Client {
    inner: reqwest::Client,
    config: ClientConfig,
    redactor: RwLock<Redactor>,
    access_token: Mutex<Option<(String, Option<Instant>)>>,
    /// Requests in a row that got no answer, and the last such error.
    no_answer: AtomicUsize,
    /// The last no-answer error, and when the run of them began.
    last_no_answer: std::sync::Mutex<Option<(String, Instant)>>,
    pace: std::sync::Mutex<Pace>,
    /// Held while a body larger than [`SMALL_BODY`] is read: one large body
    /// at a time, so memory stays bounded whatever the concurrency.
    large_body: Mutex<()>,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client, HttpError> {
        let origin = config.base_url.origin();
        let policy = Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 || attempt.url().origin() != origin {
                attempt.stop()
            } else {
                attempt.follow()
            }
        });
        let builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .redirect(policy)
            .user_agent(concat!("scimitar/", env!("CARGO_PKG_VERSION")));
        let inner = config
            .tls
            .apply(builder)
            .map_err(HttpError::Tls)?
            .build()
            .map_err(|e| HttpError::Tls(error_chain(&e)))?;
        let mut redactor = Redactor::default();
        for s in config.auth.secrets() {
            redactor.add_secret(&s);
        }
        for (name, value) in &config.headers {
            redactor.add_secret_header(name);
            redactor.add_secret(value);
        }
        Ok(Client {
            inner,
            config,
            redactor: RwLock::new(redactor),
            access_token: Mutex::new(None),
            no_answer: AtomicUsize::new(0),
            last_no_answer: std::sync::Mutex::new(None),
            pace: std::sync::Mutex::new(Pace::default()),
            large_body: Mutex::new(()),
        })
    }

    /// Whether server certificates go unverified (`--insecure`).
    pub fn insecure(&self) -> bool {
        self.config.tls.insecure
    }

    /// Why the target counts as having stopped answering: the configured
    /// number of requests in a row got no answer (refused connections,
    /// timeouts, broken transfers). None while it answers.
    pub fn stopped_answering(&self) -> Option<String> {
        let n = self.no_answer.load(Ordering::SeqCst);
        let (last, since) = self
            .last_no_answer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()?;
        let long = n >= 2 && since.elapsed() >= self.config.breaker_time;
        if n < self.config.breaker.max(1) && !long {
            return None;
        }
        Some(format!(
            "the target stopped answering: {n} requests in a row got no answer (or one only after more than half the timeout) over {:.0} s (the last: {last})",
            since.elapsed().as_secs_f64()
        ))
    }

    /// What the pauses the server asked for came to, for the report.
    pub fn pace_notes(&self) -> Vec<String> {
        self.pace
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .notes(&self.config.pace)
    }

    /// Counts requests in a row that got no answer, or one only after
    /// more than half the timeout (a server that slow cannot be graded in
    /// bounded time either); any prompter answer resets the count.
    fn note_answer(&self, result: &Result<Response, HttpError>, began: Instant) {
        let mut last = self
            .last_no_answer
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let took = began.elapsed();
        let streak = match result {
            Err(e) if e.is_no_answer() => Some(self.redactor().text(&e.to_string())),
            Ok(r) if took > self.config.timeout / 2 => Some(format!(
                "answered {} only after {:.0} s",
                r.status,
                took.as_secs_f64()
            )),
            Ok(_) => {
                self.no_answer.store(0, Ordering::SeqCst);
                *last = None;
                None
            }
            Err(_) => None,
        };
        if let Some(text) = streak {
            let first = self.no_answer.fetch_add(1, Ordering::SeqCst) == 0;
            let since = match &*last {
                Some((_, since)) if !first => *since,
                _ => began,
            };
            *last = Some((text, since));
        }
    }

    /// Whether a refusal asks the client to slow down, and it will (then
    /// the request is sent again after the shared pause).
    fn slow_down(&self, resp: &Response) -> bool {
        let raw = resp.header("retry-after");
        let refused = resp.status == 429 || (resp.status == 503 && raw.is_some());
        if !refused {
            return false;
        }
        let asked = raw.and_then(|v| super::pace::retry_after(v, chrono::Utc::now()));
        self.pace
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .refused(asked, raw, &self.config.pace)
    }

    async fn wait_for_pace(&self) {
        let until = self
            .pace
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .wait_until();
        if let Some(until) = until {
            tokio::time::sleep_until(until.into()).await;
        }
    }

    pub fn base_url(&self) -> &Url {
        &self.config.base_url
    }

    pub fn has_credentials(&self) -> bool {
        self.config.auth.is_some() || !self.config.headers.is_empty()
    }

    /// A copy of the redactor with every secret known so far.
    pub fn redactor(&self) -> Redactor {
        self.redactor.read().expect("redactor lock").clone()
    }

    /// The absolute URL for a target and query, refusing other origins.
    pub fn url_for(&self, target: &str, query: &[(String, String)]) -> Result<Url, HttpError> {
        let base = &self.config.base_url;
        let mut url = if target.starts_with("http://") || target.starts_with("https://") {
            let url =
                Url::parse(target).map_err(|e| HttpError::InvalidUrl(format!("{target}: {e}")))?;
            if url.origin() != base.origin() {
                return Err(HttpError::OtherOrigin(url.origin().ascii_serialization()));
            }
            url
        } else {
            let mut url = base.clone();
            url.set_path(&join_path(base.path(), target));
            url.set_query(None);
            url
        };
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// Sends a request and records the exchange, whatever happens.
    pub async fn send(&self, req: &Request) -> (Exchange, Result<Response, HttpError>) {
        let started = Instant::now();
        let mut headers: Vec<(String, String)> = vec![];
        let mut auth_error = None;
        if req.authenticate {
            match self.auth_header().await {
                Ok(Some(h)) => headers.push(h),
                Ok(None) => {}
                Err(e) => auth_error = Some(e),
            }
            headers.extend(self.config.headers.iter().cloned());
        }
        let has =
            |hs: &[(String, String)], n: &str| hs.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
        if !has(&req.headers, "accept") {
            headers.push(("Accept".into(), "application/scim+json".into()));
        }
        if req.body.is_some() && !has(&req.headers, "content-type") {
            headers.push(("Content-Type".into(), "application/scim+json".into()));
        }
        headers.extend(req.headers.iter().cloned());

        let url = self.url_for(&req.target, &req.query);
        let recorded = self.record_request(req, url.as_ref().ok(), &headers);
        let result = match (url, auth_error) {
            (_, Some(e)) | (Err(e), _) => Err(e),
            (Ok(url), None) => {
                let mut attempt = 0;
                loop {
                    self.wait_for_pace().await;
                    let began = Instant::now();
                    let result = self
                        .transmit(
                            &req.method,
                            url.clone(),
                            &headers,
                            req.body.clone(),
                            req.timeout,
                        )
                        .await;
                    self.note_answer(&result, began);
                    attempt += 1;
                    match &result {
                        Ok(resp)
                            if attempt <= self.config.pace.max_retries && self.slow_down(resp) => {}
                        _ => break result,
                    }
                }
            }
        };
        let exchange = self.record(recorded, &result, started.elapsed());
        (exchange, result)
    }

    async fn transmit(
        &self,
        method: &str,
        url: Url,
        headers: &[(String, String)],
        body: Option<Vec<u8>>,
        timeout: Option<Duration>,
    ) -> Result<Response, HttpError> {
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| HttpError::NotSent(format!("invalid method {method}")))?;
        let mut builder = self.inner.request(method, url);
        if let Some(t) = timeout {
            builder = builder.timeout(t.min(self.config.timeout));
        }
        for (name, value) in headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = body {
            builder = builder.body(body);
        }
        let mut resp = builder.send().await.map_err(|e| self.classify(e))?;
        let status = resp.status().as_u16();
        let headers = header_pairs(&resp);
        if let Some(location) = refused_redirect(&resp) {
            return Err(if resp.url().origin() == location.origin() {
                HttpError::RedirectLoop(location.to_string())
            } else {
                HttpError::OffOriginRedirect(location.to_string())
            });
        }
        let body = match self.read_bounded(&mut resp).await {
            Ok(body) => body,
            Err(BodyError::TooLarge(limit)) => {
                let location = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("location"))
                    .map(|(_, v)| v.clone());
                return Err(HttpError::TooLarge(limit, status, location));
            }
            Err(BodyError::Read(e)) => return Err(self.classify(e)),
        };
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// Reads a body within the size cap; a body past [`SMALL_BODY`]
    /// (announced or reached) is read holding the large-body lock.
    async fn read_bounded(&self, resp: &mut reqwest::Response) -> Result<Vec<u8>, BodyError> {
        let limit = self.config.max_response_bytes;
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(BodyError::TooLarge(limit));
        }
        let mut guard = None;
        if resp.content_length().is_some_and(|n| n > SMALL_BODY as u64) {
            guard = Some(self.large_body.lock().await);
        }
        // Chunks are kept as they come and joined once, at the end: no
        // doubling reallocations of a body that turns out over the cap.
        let mut chunks = Vec::new();
        let mut len = 0;
        while let Some(chunk) = resp.chunk().await.map_err(BodyError::Read)? {
            if len + chunk.len() > limit {
                return Err(BodyError::TooLarge(limit));
            }
            if guard.is_none() && len + chunk.len() > SMALL_BODY {
                guard = Some(self.large_body.lock().await);
            }
            len += chunk.len();
            chunks.push(chunk);
        }
        let mut body = Vec::with_capacity(len);
        for chunk in chunks {
            body.extend_from_slice(&chunk);
        }
        drop(guard);
        Ok(body)
    }

    fn classify(&self, e: reqwest::Error) -> HttpError {
        let chain = error_chain(&e);
        if e.is_timeout() {
            HttpError::Timeout(self.config.timeout)
        } else if let Some(tls) = e
            .is_connect()
            .then(|| super::tls::sentence(&chain))
            .flatten()
        {
            HttpError::Tls(tls)
        } else if e.is_connect() {
            HttpError::Connect(chain)
        } else if e.is_builder() {
            HttpError::NotSent(chain)
        } else {
            HttpError::Transport(chain)
        }
    }

    async fn auth_header(&self) -> Result<Option<(String, String)>, HttpError> {
        let value = match &self.config.auth {
            Auth::None => return Ok(None),
            Auth::Bearer { token, .. } => format!("Bearer {token}"),
            Auth::Basic { user, password, .. } => basic_value(user, password),
            Auth::OAuth2 { .. } => format!("Bearer {}", self.oauth_token().await?),
        };
        Ok(Some(("Authorization".into(), value)))
    }

    /// Fetches (once, and again when expired) an OAuth 2.0 client-credentials token.
    async fn oauth_token(&self) -> Result<String, HttpError> {
        let Auth::OAuth2 {
            token_url,
            client_id,
            client_secret,
            scope,
        } = &self.config.auth
        else {
            return Err(HttpError::Token("not configured".into()));
        };
        let mut cached = self.access_token.lock().await;
        if let Some((token, expiry)) = cached.as_ref() {
            if expiry.is_none_or(|t| Instant::now() < t) {
                return Ok(token.clone());
            }
        }
        let mut form = vec![("grant_type", "client_credentials".to_string())];
        if let Some(scope) = scope {
            form.push(("scope", scope.clone()));
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let resp = self
            .inner
            .post(token_url.clone())
            .header("Authorization", basic_value(client_id, client_secret))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| HttpError::Token(error_chain(&e)))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| HttpError::Token(format!("{status}: {e}")))?;
        let json: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| HttpError::Token(format!("{status}: the answer is not JSON: {e}")))?;
        let token = json["access_token"]
            .as_str()
            .ok_or_else(|| HttpError::Token(format!("{status}: no access_token in the answer")))?
            .to_string();
        self.redactor
            .write()
            .expect("redactor lock")
            .add_secret(&token);
        let expiry = json["expires_in"]
            .as_u64()
            .map(|s| Instant::now() + Duration::from_secs(s.saturating_sub(30)));
        *cached = Some((token.clone(), expiry));
        Ok(token)
    }

    fn record_request(
        &self,
        req: &Request,
        url: Option<&Url>,
        headers: &[(String, String)],
    ) -> RecordedRequest {
        let r = self.redactor();
        RecordedRequest {
            method: req.method.clone(),
            url: r.text(
                &url.map(Url::to_string)
                    .unwrap_or_else(|| req.target.clone()),
            ),
            headers: headers
                .iter()
                .map(|(n, v)| (n.clone(), r.header(n, v)))
                .collect(),
            body: req
                .body
                .as_ref()
                .map(|b| r.text(&String::from_utf8_lossy(b))),
        }
    }

    fn record(
        &self,
        request: RecordedRequest,
        result: &Result<Response, HttpError>,
        took: Duration,
    ) -> Exchange {
        let r = self.redactor();
        let curl = curl_line(&request, self.config.auth.curl_args().as_deref());
        let (response, error) = match result {
            Ok(resp) => (
                Some(RecordedResponse::redacted(
                    resp.status,
                    &resp.headers,
                    &resp.body,
                    self.config.max_recorded_body,
                    &r,
                )),
                None,
            ),
            Err(e) => (None, Some(r.text(&e.to_string()))),
        };
        Exchange {
            request,
            response,
            error,
            duration_ms: took.as_millis() as u64,
            curl,
            broken: matches!(result, Err(HttpError::Connect(_) | HttpError::Transport(_))),
        }
    }
}

/// The target of a redirect the policy did not follow (another origin, or
/// past the limit): a 301, 302, 303, 307 or 308 with a `Location`.
fn refused_redirect(resp: &reqwest::Response) -> Option<Url> {
    if !matches!(resp.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = resp
        .headers()
        .get(reqwest::header::LOCATION)?
        .to_str()
        .ok()?;
    resp.url().join(location).ok()
}

/// A response's headers as (name, value) text pairs, in order.
pub fn header_pairs(resp: &reqwest::Response) -> Vec<(String, String)> {
    resp.headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Why a response body could not be read whole.
#[derive(Debug)]
pub enum BodyError {
    /// Longer than the limit (in bytes): the rest was not read.
    TooLarge(usize),
    Read(reqwest::Error),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TooLarge(limit) => write!(f, "the answer is longer than {limit} bytes"),
            BodyError::Read(e) => write!(f, "the answer broke off: {}", error_chain(e)),
        }
    }
}

/// Reads a response body of at most `limit` bytes, refusing a longer one
/// as soon as its length is announced or reached: a peer cannot make the
/// harness hold more than the limit.
pub async fn read_body(resp: &mut reqwest::Response, limit: usize) -> Result<Vec<u8>, BodyError> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge(limit));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Read)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    append_causes(&mut text, e);
    text
}

/// Appends the causes of `e` (not `e` itself) that `text` does not already say.
pub fn append_causes(text: &mut String, e: &dyn std::error::Error) {
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> Client {
        Client::new(ClientConfig::new(Url::parse(base).unwrap())).unwrap()
    }

    #[test]
    fn targets_join_the_base_path_and_other_origins_are_refused() {
        let c = client("http://127.0.0.1:9/scim/v2/");
        let u = c
            .url_for("/Users", &[("count".into(), "1".into())])
            .unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:9/scim/v2/Users?count=1");
        let same = c
            .url_for("http://127.0.0.1:9/scim/v2/Users/1", &[])
            .unwrap();
        assert_eq!(same.path(), "/scim/v2/Users/1");
        assert!(matches!(
            c.url_for("http://evil.example/Users", &[]),
            Err(HttpError::OtherOrigin(_))
        ));
        // Every legal form of an endpoint or Location names the same resource.
        for form in ["Users/1", "/Users/1", "/scim/v2/Users/1"] {
            assert_eq!(c.url_for(form, &[]).unwrap().path(), "/scim/v2/Users/1");
        }
        // A path that only begins with the base path's text is under it.
        assert_eq!(
            c.url_for("/scim/v2x/Users", &[]).unwrap().path(),
            "/scim/v2/scim/v2x/Users"
        );
        assert_eq!(join_path("/scim/v2", "/"), "/scim/v2");
        assert_eq!(join_path("/", "/"), "/");
        assert_eq!(join_path("/", "/Users"), "/Users");
        assert_eq!(join_path("", "Users"), "/Users");
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable_and_still_recorded() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let c = client(&format!("http://127.0.0.1:{port}"));
        let (ex, res) = c.send(&Request::get("/ServiceProviderConfig")).await;
        assert!(res.unwrap_err().is_unreachable());
        assert!(ex.error.is_some());
        assert!(ex.curl.contains("/ServiceProviderConfig"));
    }
}
