//! The server's one SET stream: the queue the RFC 8936 poll endpoint
//! serves (with re-delivery of unacknowledged SETs), or, when a push target
//! is configured, the background task that POSTs each SET to it in order
//! (RFC 8935 §2.1). Publishing never blocks the request that caused it.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use axum::http::{header, StatusCode};
use serde_json::Value;
use tokio::sync::{mpsc, Notify};

use super::config::{redact_url, PushTarget};
use crate::http::client::read_body;
use crate::scim::set::MEDIA_TYPE;

/// SETs kept for polling at most; beyond it the oldest are discarded
/// (RFC 8936 §2: a transmitter may discard SETs when storage is excessive).
pub const MAX_QUEUED: usize = 10_000;
/// SETs waiting for the push task at most; beyond it new ones are dropped.
const MAX_PUSH_BACKLOG: usize = 1_024;
/// Attempts to push one SET when the receiver cannot be reached.
const PUSH_ATTEMPTS: u32 = 4;
/// The first pause between attempts; it doubles after each.
const PUSH_BACKOFF: Duration = Duration::from_millis(200);
const PUSH_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest error answer of a receiver read; a longer one is not.
const MAX_ERROR_BODY: usize = 64 << 10;

/// One signed SET.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queued {
    pub jti: String,
    /// The compact serialization.
    pub token: String,
    /// Whether a poll has returned it (and it waits for its `ack`).
    pub delivered: bool,
}

impl Queued {
    pub fn new(jti: String, token: String) -> Queued {
        Queued {
            jti,
            token,
            delivered: false,
        }
    }
}

/// Where published SETs go.
pub struct Feed {
    queue: Mutex<VecDeque<Queued>>,
    /// Wakes long polls when a SET is queued.
    queued: Notify,
    push: Option<mpsc::Sender<Queued>>,
}

/// How pushes are sent.
#[derive(Clone, Copy, Debug, Default)]
pub struct PushOptions {
    /// Bug `push-wrong-content-type`: label SETs `application/json`.
    pub json_content_type: bool,
    /// Bug `push-retransmits`: push every SET a second time after the
    /// receiver acknowledged it.
    pub retransmit_delivered: bool,
}

impl Feed {
    /// A feed for polling, or one whose SETs a spawned task pushes to
    /// `push`. Pushing needs a Tokio runtime; without one the SETs are
    /// queued for polling instead.
    pub fn new(push: Option<&PushTarget>, options: PushOptions) -> Feed {
        let push = push.and_then(|target| spawn_pusher(target, options));
        Feed {
            queue: Mutex::new(VecDeque::new()),
            queued: Notify::new(),
            push,
        }
    }

    /// Hands SETs to the push task, or queues them for polling.
    pub fn publish(&self, sets: Vec<Queued>) {
        if sets.is_empty() {
            return;
        }
        if let Some(tx) = &self.push {
            for set in sets {
                let jti = set.jti.clone();
                if tx.try_send(set).is_err() {
                    tracing::warn!(%jti, "the push backlog is full or closed; SET dropped");
                }
            }
            return;
        }
        let mut queue = self.lock();
        queue.extend(sets);
        while queue.len() > MAX_QUEUED {
            queue.pop_front();
        }
        drop(queue);
        self.queued.notify_waiters();
    }

    /// The queue, for the poll endpoint.
    pub fn lock(&self) -> MutexGuard<'_, VecDeque<Queued>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until a SET is queued or `bound` passes; returns at once when
    /// one is queued already.
    pub async fn wait_for_sets(&self, bound: Duration) {
        let notified = self.queued.notified();
        tokio::pin!(notified);
        // Registered before looking, so a SET queued in between wakes us.
        notified.as_mut().enable();
        if !self.lock().is_empty() {
            return;
        }
        let _ = tokio::time::timeout(bound, notified).await;
    }
}

fn spawn_pusher(target: &PushTarget, options: PushOptions) -> Option<mpsc::Sender<Queued>> {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("no async runtime to push SETs from; they are queued for polling");
        return None;
    };
    let client = match push_client(target) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("cannot build the push client ({e}); SETs are queued for polling");
            return None;
        }
    };
    let (tx, mut rx) = mpsc::channel::<Queued>(MAX_PUSH_BACKLOG);
    let target = target.clone();
    runtime.spawn(async move {
        while let Some(set) = rx.recv().await {
            push_one(&client, &target, options, &set).await;
        }
    });
    Some(tx)
}

/// A client trusting the built-in roots and the target's own certificates.
fn push_client(target: &PushTarget) -> Result<reqwest::Client, reqwest::Error> {
    let mut builder = reqwest::Client::builder().timeout(PUSH_TIMEOUT);
    if let Some(pem) = &target.root_cert_pem {
        match reqwest::Certificate::from_pem_bundle(pem) {
            Ok(certs) => {
                for cert in certs {
                    builder = builder.add_root_certificate(cert);
                }
            }
            Err(e) => tracing::warn!("the push root certificates are not PEM: {e}"),
        }
    }
    builder.build()
}

/// What one push attempt came to.
#[derive(Debug, PartialEq, Eq)]
enum Attempt {
    Delivered,
    Rejected(String),
    /// Worth trying again: no connection, a timeout, a 5xx or 429.
    Transient(String),
    /// Not worth trying again.
    Failed(String),
}

async fn push_one(
    client: &reqwest::Client,
    target: &PushTarget,
    options: PushOptions,
    set: &Queued,
) {
    let mut pause = PUSH_BACKOFF;
    for attempt in 1..=PUSH_ATTEMPTS {
        match attempt_push(client, target, options, set).await {
            Attempt::Delivered => {
                tracing::debug!(jti = %set.jti, "SET pushed");
                if options.retransmit_delivered {
                    let _ = attempt_push(client, target, options, set).await;
                }
                return;
            }
            Attempt::Rejected(err) => {
                tracing::debug!(jti = %set.jti, %err, "the receiver rejected the SET");
                return;
            }
            Attempt::Failed(why) => {
                tracing::warn!(jti = %set.jti, url = %redact_url(&target.url), "push failed: {why}");
                return;
            }
            Attempt::Transient(why) if attempt < PUSH_ATTEMPTS => {
                tracing::debug!(jti = %set.jti, attempt, "push failed, retrying: {why}");
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            Attempt::Transient(why) => {
                tracing::warn!(jti = %set.jti, url = %redact_url(&target.url), "push gave up: {why}");
            }
        }
    }
}

async fn attempt_push(
    client: &reqwest::Client,
    target: &PushTarget,
    options: PushOptions,
    set: &Queued,
) -> Attempt {
    let content_type = if options.json_content_type {
        "application/json"
    } else {
        MEDIA_TYPE
    };
    let mut request = client
        .post(&target.url)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ACCEPT, "application/json")
        .body(set.token.clone());
    if let Some(token) = &target.token {
        request = request.bearer_auth(token);
    }
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) if e.is_connect() || e.is_timeout() || e.is_request() => {
            return Attempt::Transient(without_url(e))
        }
        Err(e) => return Attempt::Failed(without_url(e)),
    };
    let status = response.status();
    if status.is_success() {
        return Attempt::Delivered;
    }
    if status == StatusCode::BAD_REQUEST {
        let body = read_body(&mut response, MAX_ERROR_BODY)
            .await
            .unwrap_or_default();
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let err = body["err"].as_str().unwrap_or("(no err)").to_string();
        return Attempt::Rejected(err);
    }
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        return Attempt::Transient(format!("status {status}"));
    }
    Attempt::Failed(format!("status {status}"))
}

/// A reqwest error's text without the URL (which may hold a credential).
fn without_url(e: reqwest::Error) -> String {
    e.without_url().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn queues_in_order_and_caps_the_queue() {
        let feed = Feed::new(None, PushOptions::default());
        feed.publish(vec![
            Queued::new("a".into(), "ta".into()),
            Queued::new("b".into(), "tb".into()),
        ]);
        let jtis: Vec<String> = feed.lock().iter().map(|q| q.jti.clone()).collect();
        assert_eq!(jtis, ["a", "b"]);
        let many = (0..MAX_QUEUED + 5)
            .map(|i| Queued::new(format!("j{i}"), String::new()))
            .collect();
        feed.publish(many);
        let queue = feed.lock();
        assert_eq!(queue.len(), MAX_QUEUED);
        assert_eq!(queue.front().map(|q| q.jti.as_str()), Some("j5"));
    }

    #[tokio::test]
    async fn a_waiting_poll_wakes_when_a_set_is_queued() {
        let feed = std::sync::Arc::new(Feed::new(None, PushOptions::default()));
        let waiter = {
            let feed = feed.clone();
            tokio::spawn(async move {
                let start = std::time::Instant::now();
                feed.wait_for_sets(Duration::from_secs(5)).await;
                start.elapsed()
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        feed.publish(vec![Queued::new("a".into(), "t".into())]);
        let waited = waiter.await.unwrap_or(Duration::MAX);
        assert!(waited < Duration::from_secs(4), "{waited:?}");
        // Something is queued: no wait at all.
        let start = std::time::Instant::now();
        feed.wait_for_sets(Duration::from_secs(5)).await;
        assert!(start.elapsed() < Duration::from_secs(1));
    }
}
