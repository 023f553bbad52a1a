//! The poll client (RFC 8936): long-polls a transmitter's endpoint, feeds
//! the SETs to the [`Inbox`], acknowledges the valid ones and reports the
//! invalid ones in `setErrs` on the next request. It checks the responses
//! (`sets` holding SETs under their jti, `moreAvailable`, no more than
//! `maxEvents`) and, once, whether a SET left unacknowledged comes again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use tokio::sync::watch;

use super::inbox::{Inbox, Problem, Via};
use crate::rfc::Level;
use crate::scim::set::{Set, Token};

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
}

async fn run(
    http: reqwest::Client,
    config: PollConfig,
    inbox: Arc<Inbox>,
    mut stopped: watch::Receiver<bool>,
) {
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
            Ok(resp) if resp.status() == reqwest::StatusCode::OK => {
                let text = resp.text().await.unwrap_or_default();
                state.ack.clear();
                state.errs.clear();
                if !stopping {
                    take(&text, &config, &inbox, &mut state);
                }
            }
            Ok(resp) => {
                inbox.delivery_problem(Problem {
                    requirement: "R8936-2.5-03".into(),
                    level: Level::Must,
                    message: format!("a poll request was answered {}", resp.status()),
                });
                pause(&mut stopped).await;
            }
            Err(e) if e.is_timeout() => {}
            Err(e) => {
                inbox.delivery_problem(Problem {
                    requirement: "R8936-2.5-03".into(),
                    level: Level::Must,
                    message: format!("a poll request failed: {e}"),
                });
                pause(&mut stopped).await;
            }
        }
        if stopping {
            return;
        }
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
fn take(text: &str, config: &PollConfig, inbox: &Inbox, state: &mut Loop) {
    let Some(sets) = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .filter(|o| o.get("sets").is_some_and(Value::is_object))
        .map(|o| {
            if o.get("moreAvailable").is_some_and(|m| !m.is_boolean()) {
                problem(
                    inbox,
                    "R8936-2.3-02",
                    Level::Must,
                    format!("moreAvailable is {}, not a boolean", o["moreAvailable"]),
                );
            }
            o["sets"].as_object().cloned().unwrap_or_default()
        })
    else {
        problem(
            inbox,
            "R8936-2.5-03",
            Level::Must,
            format!(
                "a poll response is not a JSON object with a \"sets\" object: {}",
                clip(text)
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
        let jti = Token::parse(raw)
            .ok()
            .and_then(|t| Set::from_token(&t).ok())
            .map(|s| s.jti);
        if jti.as_deref().is_some_and(|j| j != key) {
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
        match inbox.accept(raw, Via::Poll) {
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
