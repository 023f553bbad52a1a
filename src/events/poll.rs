//! The poll client (RFC 8936): long-polls a transmitter's endpoint, feeds
//! the SETs to the [`Inbox`], acknowledges the valid ones and reports the
//! invalid ones in `setErrs` on the next request. It checks the responses
//! (`sets` holding SETs under their jti, `moreAvailable`, no more than
//! `maxEvents`), once whether a SET left unacknowledged comes again, and,
//! before polling, a short poll and an invalid poll request.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use tokio::sync::watch;

use super::inbox::{Inbox, Problem, Via, NOTE};
use crate::http::client::{read_body, BodyError};
use crate::rfc::Level;
use crate::scim::set::Token;

/// The longest poll response read; a longer one is noted and not read.
pub const MAX_RESPONSE: usize = 16 << 20;

/// Where and how to poll.
pub struct PollConfig {
    pub url: String,
    /// A bearer token for the transmitter, when it wants one.
    pub token: Option<String>,
    /// `maxEvents` of every request.
    pub max_events: u32,
    /// How long one long poll may be held before the client asks again.
    pub hold: Duration,
    /// A certificate to trust besides the system's (PEM).
    pub root_cert_pem: Option<String>,
}

impl std::fmt::Debug for PollConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollConfig")
            .field("url", &self.url)
            .field("max_events", &self.max_events)
            .field("hold", &self.hold)
            .finish_non_exhaustive()
    }
}

/// The fact a redelivery probe records.
pub const REDELIVERY: &str = "poll.redelivery";
/// A poll with `returnImmediately` (and `maxEvents` 0) was answered within
/// [`IMMEDIATE`] (RFC 8936 §2.2).
pub const RETURN_IMMEDIATELY: &str = "poll.return-immediately";
/// That answer's `sets` was an empty JSON object (RFC 8936 §2.3).
pub const EMPTY_SETS: &str = "poll.empty-sets";
/// A poll request whose maxEvents is not a number was answered 400
/// (RFC 8936 §2.5.1).
pub const INVALID_REQUEST: &str = "poll.invalid-request";
/// A poll without credentials was refused with 401 and a WWW-Authenticate
/// challenge (RFC 8936 §3). `poll.challenge.untestable` instead when the run
/// polls without credentials or the endpoint answers without them.
pub const CHALLENGE: &str = "poll.challenge";
/// How soon a poll with `returnImmediately` must be answered.
const IMMEDIATE: Duration = Duration::from_secs(2);

/// A poll loop running in the background.
pub struct Poller {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Poller {
    /// Ends the loop after a last request that acknowledges what is left.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}

/// Starts polling.
pub fn start(config: PollConfig, inbox: Arc<Inbox>) -> Result<Poller, String> {
    let mut builder = reqwest::Client::builder()
        .timeout(config.hold + Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none());
    if let Some(pem) = &config.root_cert_pem {
        let cert = reqwest::Certificate::from_pem(pem.as_bytes())
            .map_err(|e| format!("the certificate to trust for polling: {e}"))?;
        builder = builder.add_root_certificate(cert);
    }
    let http = builder
        .build()
        .map_err(|e| format!("cannot make the poll client: {e}"))?;
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(run(http, config, inbox, stopped));
    Ok(Poller { stop, task })
}

/// A SET left unacknowledged on purpose, to see whether it comes again.
struct Withheld {
    jti: String,
    since: Instant,
    polls: u32,
}

#[derive(Default)]
struct Loop {
    ack: Vec<String>,
    errs: Map<String, Value>,
    withheld: Option<Withheld>,
    probed: bool,
    /// Poll requests that failed in a row (no answer, or not 200).
    failures: u32,
}

impl Loop {
    /// Counts a failed poll request; the first of a row is retried
    /// unnoted (a one-off network blip), a second one is noted. Notes fail
    /// no case: RFC 8936 requires no particular answer of the transmitter
    /// (§2.5.1: on an error it answers with the applicable status).
    fn failed(&mut self, inbox: &Inbox, message: String) {
        self.failures += 1;
        if self.failures > 1 {
            problem(inbox, NOTE, Level::May, message);
        }
    }
}

async fn run(
    http: reqwest::Client,
    config: PollConfig,
    inbox: Arc<Inbox>,
    mut stopped: watch::Receiver<bool>,
) {
    probe(&http, &config, &inbox).await;
    let mut state = Loop::default();
    loop {
        let stopping = *stopped.borrow();
        let mut body = json!({
            "maxEvents": if stopping { 0 } else { config.max_events },
            "returnImmediately": stopping,
        });
        if !state.ack.is_empty() {
            body["ack"] = json!(state.ack);
        }
        if !state.errs.is_empty() {
            body["setErrs"] = Value::Object(state.errs.clone());
        }
        let mut req = http
            .post(&config.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        if let Some(token) = &config.token {
            req = req.bearer_auth(token);
        }
        let answer = tokio::select! {
            r = req.send() => Some(r),
            _ = stopped.changed(), if !stopping => None,
        };
        let Some(answer) = answer else { continue };
        match answer {
            Ok(mut resp) if resp.status() == reqwest::StatusCode::OK => {
                // Answered: the acknowledgements and errors were received.
                state.ack.clear();
                state.errs.clear();
                match read_body(&mut resp, MAX_RESPONSE).await {
                    Ok(body) => {
                        state.failures = 0;
                        if !stopping {
                            take(&body, &config, &inbox, &mut state);
                        }
                    }
                    Err(BodyError::TooLarge(limit)) => {
                        state.failures = 0;
                        problem(
                            &inbox,
                            NOTE,
                            Level::May,
                            format!(
                                "a poll response is longer than {limit} bytes; scimitar did not read it"
                            ),
                        );
                        pause(&mut stopped).await;
                    }
                    Err(BodyError::Read(e)) if e.is_timeout() => {}
                    Err(e) => {
                        state.failed(&inbox, format!("a poll response broke off: {e}"));
                        pause(&mut stopped).await;
                    }
                }
            }
            Ok(resp) => {
                state.failed(
                    &inbox,
                    format!(
                        "a poll request was answered {} (a poll error response, RFC 8936 §2.5.1)",
                        resp.status()
                    ),
                );
                pause(&mut stopped).await;
            }
            Err(e) if e.is_timeout() => {}
            Err(e) => {
                state.failed(
                    &inbox,
                    format!("a poll request failed: {}", e.without_url()),
                );
                pause(&mut stopped).await;
            }
        }
        if stopping {
            return;
        }
    }
}

/// Establishes the facts of a short poll and of an invalid poll request,
/// before the loop starts. `maxEvents` 0 asks for no SET, so none is taken
/// from the stream.
async fn probe(http: &reqwest::Client, config: &PollConfig, inbox: &Inbox) {
    let send = |body: Value, timeout: Duration| {
        let mut req = http
            .post(&config.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .timeout(timeout)
            .body(body.to_string());
        if let Some(token) = &config.token {
            req = req.bearer_auth(token);
        }
        req.send()
    };
    let short = json!({"maxEvents": 0, "returnImmediately": true});
    match send(short, IMMEDIATE).await {
        Ok(mut resp) if resp.status() == reqwest::StatusCode::OK => {
            inbox.set_fact(RETURN_IMMEDIATELY, true);
            let body = read_body(&mut resp, 1 << 20).await.ok();
            let sets = body
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                .map(|v| v["sets"].clone());
            let empty = matches!(&sets, Some(Value::Object(m)) if m.is_empty());
            inbox.set_fact(EMPTY_SETS, empty);
            if !empty {
                let got = sets.map_or("no JSON".into(), |s| clip(&s.to_string()));
                let message = format!("a poll asking for no SET (maxEvents 0) answered sets {got}, not an empty JSON object");
                problem(inbox, "R8936-2.3-01", Level::Must, message);
            }
        }
        Ok(resp) => problem(
            inbox,
            NOTE,
            Level::May,
            format!(
                "a short poll (returnImmediately, maxEvents 0) was answered {}",
                resp.status()
            ),
        ),
        Err(e) if e.is_timeout() => {
            inbox.set_fact(RETURN_IMMEDIATELY, false);
            let message = format!(
                "a poll with returnImmediately true was not answered within {} s",
                IMMEDIATE.as_secs()
            );
            problem(inbox, "R8936-2.2-05", Level::Should, message);
        }
        Err(e) => problem(
            inbox,
            NOTE,
            Level::May,
            format!("a short poll failed: {}", e.without_url()),
        ),
    }
    challenge(http, config, inbox).await;
    let invalid = json!({"maxEvents": "many", "returnImmediately": true});
    match send(invalid, config.hold + Duration::from_secs(5)).await {
        Ok(resp) => {
            let refused = resp.status() == reqwest::StatusCode::BAD_REQUEST;
            inbox.set_fact(INVALID_REQUEST, refused);
            if !refused {
                let message = format!(
                    "a poll request whose maxEvents is \"many\" was answered {}, not 400",
                    resp.status()
                );
                problem(inbox, "R8936-2.5.1-02", Level::Must, message);
            }
        }
        Err(e) => problem(
            inbox,
            NOTE,
            Level::May,
            format!("an invalid poll request failed: {}", e.without_url()),
        ),
    }
}

/// A short poll without credentials: refused with 401, it must name the
/// schemes the endpoint accepts in WWW-Authenticate.
async fn challenge(http: &reqwest::Client, config: &PollConfig, inbox: &Inbox) {
    let untestable = format!("{CHALLENGE}.untestable");
    if config.token.is_none() {
        inbox.set_fact(&untestable, true);
        return;
    }
    let sent = http
        .post(&config.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .timeout(IMMEDIATE + Duration::from_secs(3))
        .body(json!({"maxEvents": 0, "returnImmediately": true}).to_string())
        .send()
        .await;
    match sent {
        Ok(resp) if resp.status() == reqwest::StatusCode::UNAUTHORIZED => {
            let named = resp
                .headers()
                .contains_key(reqwest::header::WWW_AUTHENTICATE);
            inbox.set_fact(CHALLENGE, named);
            if !named {
                let message =
                    "a poll without credentials was refused with 401 and no WWW-Authenticate"
                        .into();
                problem(inbox, "R8936-3-02", Level::Must, message);
            }
        }
        Ok(_) => inbox.set_fact(&untestable, true),
        Err(e) => problem(
            inbox,
            NOTE,
            Level::May,
            format!("a poll without credentials failed: {}", e.without_url()),
        ),
    }
}

async fn pause(stopped: &mut watch::Receiver<bool>) {
    let _ = tokio::time::timeout(Duration::from_secs(1), stopped.changed()).await;
}

fn problem(inbox: &Inbox, requirement: &str, level: Level, message: String) {
    inbox.delivery_problem(Problem {
        requirement: requirement.into(),
        level,
        message,
    });
}

/// Reads one poll response.
fn take(body: &[u8], config: &PollConfig, inbox: &Inbox, state: &mut Loop) {
    let mut response = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => o,
        _ => Map::new(),
    };
    if let Some(more) = response.get("moreAvailable").filter(|m| !m.is_boolean()) {
        // §2.3 calls it a JSON boolean, with no keyword: SHOULD at most.
        problem(
            inbox,
            "R8936-2.3-02",
            Level::Should,
            format!("moreAvailable is {more}, not a boolean"),
        );
    }
    let Some(Value::Object(sets)) = response.remove("sets") else {
        problem(
            inbox,
            "R8936-2.5-03",
            Level::Must,
            format!(
                "a poll response is not a JSON object with a \"sets\" object: {}",
                clip(&String::from_utf8_lossy(&body[..body.len().min(1024)]))
            ),
        );
        return;
    };
    if sets.len() > config.max_events as usize {
        problem(
            inbox,
            "R8936-2.2-02",
            Level::Should,
            format!(
                "a poll with maxEvents {} was answered with {} SETs",
                config.max_events,
                sets.len()
            ),
        );
    }
    let mut again = false;
    for (key, token) in &sets {
        let Some(raw) = token.as_str() else {
            problem(
                inbox,
                "R8936-2.5-03",
                Level::Must,
                format!("sets[{key:?}] is not a string holding a SET"),
            );
            continue;
        };
        // Parsed once, here: the jti is looked at, the inbox does the rest.
        let raw = raw.trim();
        let parsed = Token::parse(raw);
        let jti = parsed
            .as_ref()
            .ok()
            .and_then(|t| t.claims().get("jti"))
            .and_then(Value::as_str);
        if let Some(jti) = jti.filter(|j| *j != key.as_str()) {
            problem(
                inbox,
                "R8936-2.5-03",
                Level::Must,
                format!("sets[{key:?}] holds a SET whose jti is {jti:?}"),
            );
        }
        if state.withheld.as_ref().is_some_and(|w| &w.jti == key) {
            again = true;
        }
        match inbox.accept_parsed(raw, parsed, Via::Poll) {
            Ok(()) if !state.probed && state.withheld.is_none() => {
                // Left unacknowledged once: does it come again (RFC 8936 §2.4)?
                state.withheld = Some(Withheld {
                    jti: key.clone(),
                    since: Instant::now(),
                    polls: 0,
                });
            }
            Ok(()) => state.ack.push(key.clone()),
            Err((code, description)) => {
                state.errs.insert(
                    key.clone(),
                    json!({"err": code.as_str(), "description": description}),
                );
            }
        }
    }
    if let Some(w) = &mut state.withheld {
        w.polls += 1;
        let settled = again || w.polls > 3 && w.since.elapsed() > Duration::from_secs(3);
        if settled {
            inbox.set_fact(REDELIVERY, again);
            if !state.ack.contains(&w.jti) {
                state.ack.push(w.jti.clone());
            }
            state.withheld = None;
            state.probed = true;
        }
    }
}

/// The start of a long text, for a message.
fn clip(text: &str) -> String {
    match text.char_indices().nth(200) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}
