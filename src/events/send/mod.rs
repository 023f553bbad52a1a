//! `scimitar events send`: scimitar as an RFC 8935 SET Transmitter, checking
//! a vendor's push endpoint (the SET Recipient) with the receiver cases
//! (area `receiver`), graded against RFC 8935 §2–§2.4 and RFC 9967. This
//! file owns the public face ([`SendTarget`], [`check_receiver`],
//! [`case_ids`], [`unreachable`]) and the one runner that walks the check
//! table of [`checks`], sends through [`transport`] and grades with
//! [`grade`]. Every request is bounded by [`TIMEOUT`]; network and TLS
//! failures make a case `errored`, never a panic. Secrets (the signing
//! key, bearer tokens) are never recorded: exchanges show
//! `Bearer [REDACTED]` and curl lines `$TOKEN`.

mod checks;
mod grade;
mod transport;

use std::time::{Duration, Instant};

use crate::http::Exchange;
use crate::outcome::{CaseOutcome, Status};
use crate::scim::set::{Signer, MEDIA_TYPE};
use checks::{valid_set, Check, Flow, CHECKS};
use grade::{apply, Answer, Verdict};
use transport::Sender;

/// The area of every receiver case.
pub const AREA: &str = "receiver";

/// The longest any one request may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// How long the processed count may take to show a SET (processing may be
/// asynchronous, RFC 8935 §2), and how long it is then watched for a second.
const PROCESS_WAIT: Duration = Duration::from_secs(5);
const PROCESS_SETTLE: Duration = Duration::from_millis(300);

/// The Security Event Token Error Codes RFC 8935 §7.1.2 registers.
pub const REGISTERED_CODES: [&str; 6] = [
    "invalid_request",
    "invalid_key",
    "invalid_issuer",
    "invalid_audience",
    "authentication_failed",
    "access_denied",
];

/// The push endpoint under test and how to talk to it.
#[derive(Clone)]
pub struct SendTarget {
    /// Where SETs are POSTed.
    pub url: String,
    /// The `iss` the receiver accepts.
    pub issuer: String,
    /// The audience the receiver answers to.
    pub audience: String,
    /// The key the receiver trusts.
    pub signer: Signer,
    /// Sent as `Authorization: Bearer` with every SET.
    pub bearer: Option<String>,
    /// PEM certificates trusted for HTTPS besides the built-in roots.
    pub extra_root_cert_pem: Option<String>,
    /// A URL answering `{"processed": N}` (the count of SETs the receiver
    /// processed), and its bearer token.
    pub processed_url: Option<(String, Option<String>)>,
}

impl std::fmt::Debug for SendTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |s: &Option<String>| s.as_ref().map(|_| "<redacted>");
        f.debug_struct("SendTarget")
            .field("url", &display_url(&self.url))
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("alg", &self.signer.alg())
            .field("kid", &self.signer.kid())
            .field("bearer", &redacted(&self.bearer))
            .field(
                "extra_root_cert_pem",
                &self.extra_root_cert_pem.as_ref().map(|_| "<PEM>"),
            )
            .field(
                "processed_url",
                &self
                    .processed_url
                    .as_ref()
                    .map(|(u, t)| (display_url(u), redacted(t))),
            )
            .finish()
    }
}

impl SendTarget {
    /// The HTTP client the checks use: bounded, no redirects, trusting
    /// the extra certificates.
    pub fn http_client(&self) -> Result<reqwest::Client, String> {
        let mut builder = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none());
        if let Some(pem) = &self.extra_root_cert_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| format!("the certificate to trust is not PEM: {e}"))?;
            if certs.is_empty() {
                return Err("the certificate file to trust holds no PEM certificate".into());
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        builder
            .build()
            .map_err(|e| format!("cannot make the HTTP client: {e}"))
    }
}

/// A URL fit for reports: without user information (which may hold a
/// password); the query stays, as the receiver may need it.
pub fn display_url(text: &str) -> String {
    crate::http::redact::redact_url(text, true)
}

/// The ids of the receiver cases, in the order they run.
pub fn case_ids() -> Vec<String> {
    CHECKS.iter().map(Check::id).collect()
}

/// Runs every receiver check against the target, one request at a time,
/// and returns one outcome per case (see [`case_ids`]). When the first
/// request gets no answer at all, the others are not sent.
pub async fn check_receiver(target: &SendTarget) -> Vec<CaseOutcome> {
    let sender = match Sender::new(target) {
        Ok(s) => s,
        Err(e) => return CHECKS.iter().map(|c| c.errored(&e)).collect(),
    };
    let mut run = Run {
        sender,
        outcomes: Vec::new(),
        refusals: Vec::new(),
        repeat: None,
    };
    for check in &CHECKS {
        let outcome = run.check(check).await;
        let unanswered = run.outcomes.is_empty() && outcome.status == Status::Errored;
        if unanswered {
            let reason = format!(
                "not sent: the receiver did not answer the first request ({})",
                outcome.message
            );
            run.outcomes.push(outcome);
            run.outcomes
                .extend(CHECKS[1..].iter().map(|c| c.errored(&reason)));
            break;
        }
        run.outcomes.push(outcome);
    }
    run.outcomes
}

/// The message of the first case when the receiver could not be reached
/// at all (no HTTP answer): what the CLI reports with exit code 3.
pub fn unreachable(outcomes: &[CaseOutcome]) -> Option<String> {
    let first = outcomes.iter().find(|o| o.id == CHECKS[0].id())?;
    let no_answer = first.exchanges.iter().all(|e| e.response.is_none());
    (first.status == Status::Errored && no_answer).then(|| first.message.clone())
}

/// A run of the checks: the outcomes so far, every 400 answer (with its
/// case id) and the SET sent twice.
struct Run<'a> {
    sender: Sender<'a>,
    outcomes: Vec<CaseOutcome>,
    refusals: Vec<(String, Answer)>,
    repeat: Option<Repeat>,
}

/// What a [`Flow::Twice`] check leaves for the [`Flow::Counted`] one.
struct Repeat {
    /// The twice check's id.
    id: String,
    started: Instant,
    /// The processed count before, when there is a processed URL.
    before: Option<(Result<u64, String>, Exchange)>,
    /// The two POSTs.
    exchanges: Vec<Exchange>,
    /// Whether the twice check passed (both answers 202).
    accepted: bool,
}

fn millis(started: Instant) -> u64 {
    started.elapsed().as_millis() as u64
}

impl Run<'_> {
    /// Runs one check: sends what its flow says, grades the answers with
    /// its grade function and records them in its outcome.
    async fn check(&mut self, check: &Check) -> CaseOutcome {
        let mut o = check.outcome();
        let target = self.sender.target;
        match check.flow {
            Flow::Post {
                body,
                content_type,
                grade,
            } => {
                let body = body(target);
                let started = Instant::now();
                let sent = self.sender.post(&body, content_type).await;
                o.exchanges.push(sent.exchange);
                o.duration_ms = millis(started);
                let verdict = match sent.answer {
                    Ok(answer) => {
                        self.keep_refusals(&o.id, &[&answer]);
                        grade(&answer)
                    }
                    Err(e) => Verdict::other(Status::Errored, e),
                };
                apply(&mut o, verdict);
            }
            Flow::Twice { grade } => {
                let started = Instant::now();
                let before = match processed_url(target) {
                    Some((url, token)) => Some(self.sender.processed_count(url, token).await),
                    None => None,
                };
                let token = valid_set(target);
                let first = self.sender.post(&token, MEDIA_TYPE).await;
                let second = self.sender.post(&token, MEDIA_TYPE).await;
                o.exchanges = vec![first.exchange, second.exchange];
                let verdict = match (&first.answer, &second.answer) {
                    (Ok(a), Ok(b)) => {
                        self.keep_refusals(&o.id, &[a, b]);
                        grade(a, b)
                    }
                    (Err(e), _) | (_, Err(e)) => Verdict::other(Status::Errored, e.clone()),
                };
                self.repeat = Some(Repeat {
                    id: o.id.clone(),
                    started,
                    before,
                    exchanges: o.exchanges.clone(),
                    accepted: verdict.status == Status::Passed,
                });
                apply(&mut o, verdict);
                o.duration_ms = millis(started);
            }
            Flow::Counted { grade } => self.counted(&mut o, grade).await,
            Flow::Refusals { grade } => {
                apply(&mut o, grade(&self.refusals));
                if o.status == Status::Failed {
                    let step = o.failures.first().map(|f| f.step.clone());
                    let exchange = self
                        .outcomes
                        .iter()
                        .find(|c| Some(&c.id) == step.as_ref())
                        .and_then(|c| c.exchanges.iter().find(|e| answered_400(e)));
                    o.curl = exchange.map(|e| e.curl.clone());
                }
            }
        }
        o
    }

    /// How much the processed count grew around the SET sent twice.
    async fn counted(&mut self, o: &mut CaseOutcome, grade: fn(i64) -> Verdict) {
        let Some(repeat) = self.repeat.take() else {
            apply(o, Verdict::other(Status::Skipped, "no SET was sent twice"));
            return;
        };
        let before = repeat.before.map(|(count, exchange)| {
            o.exchanges.push(exchange);
            count
        });
        o.exchanges.extend(repeat.exchanges);
        let verdict = match (before, processed_url(self.sender.target)) {
            (None, _) | (_, None) => Verdict::other(
                Status::Skipped,
                "no --processed-url: how often the receiver processed the SET cannot be seen",
            ),
            (Some(Err(e)), _) => Verdict::other(Status::Errored, e),
            (Some(Ok(_)), _) if !repeat.accepted => Verdict::other(
                Status::Skipped,
                format!(
                    "{} did not pass: there is no accepted repeat to count",
                    repeat.id
                ),
            ),
            (Some(Ok(n)), Some(counter)) => match self.processed_after(o, counter, n).await {
                Ok(now) => grade(now as i64 - n as i64),
                Err(e) => Verdict::other(Status::Errored, e),
            },
        };
        apply(o, verdict);
        // The SET's POST reproduces the problem better than the count's GET.
        if let (Some(_), Some(post)) = (&o.curl, o.exchanges.get(1)) {
            o.curl = Some(post.curl.clone());
        }
        o.duration_ms = millis(repeat.started);
    }

    /// Keeps the 400 answers of case `id` for the error-format check.
    fn keep_refusals(&mut self, id: &str, answers: &[&Answer]) {
        for answer in answers.iter().filter(|a| a.status == 400) {
            self.refusals.push((id.to_string(), (*answer).clone()));
        }
    }

    /// The processed count once it grew past `before`: waits for the first
    /// SET to show, then a little longer for a second. Only the last read
    /// is recorded, so that waiting does not flood the report.
    async fn processed_after(
        &self,
        o: &mut CaseOutcome,
        (url, token): (&str, Option<&str>),
        before: u64,
    ) -> Result<u64, String> {
        let deadline = Instant::now() + PROCESS_WAIT;
        let (mut last, mut exchange) = self.sender.processed_count(url, token).await;
        while matches!(last, Ok(n) if n <= before) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
            (last, exchange) = self.sender.processed_count(url, token).await;
        }
        if matches!(last, Ok(n) if n > before) {
            tokio::time::sleep(PROCESS_SETTLE).await;
            (last, exchange) = self.sender.processed_count(url, token).await;
        }
        o.exchanges.push(exchange);
        last
    }
}

/// The processed count's URL and token, if any.
fn processed_url(target: &SendTarget) -> Option<(&str, Option<&str>)> {
    let (url, token) = target.processed_url.as_ref()?;
    Some((url.as_str(), token.as_deref()))
}

fn answered_400(e: &Exchange) -> bool {
    e.response.as_ref().is_some_and(|r| r.status == 400)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rfc::Level;

    pub(super) fn target() -> SendTarget {
        SendTarget {
            url: "https://user:pw-secret-1@receiver.test/events".into(),
            issuer: "iss".into(),
            audience: "aud".into(),
            signer: Signer::hs256(b"hmac-secret-2"),
            bearer: Some("bearer-secret-3".into()),
            extra_root_cert_pem: None,
            processed_url: Some((
                "https://receiver.test/received".into(),
                Some("bearer-secret-4".into()),
            )),
        }
    }

    #[test]
    fn every_case_cites_known_requirements_at_no_stronger_a_level() {
        let catalog = crate::rfc::catalog();
        for spec in &CHECKS {
            let strongest = spec
                .requirements
                .iter()
                .map(|r| catalog.get(*r).and_then(|r| r.level()))
                .collect::<Option<Vec<Level>>>()
                .unwrap_or_else(|| panic!("{}: unknown requirement", spec.name))
                .into_iter()
                .min()
                .expect("a requirement");
            assert!(
                spec.level >= strongest,
                "{} is stronger than cited",
                spec.name
            );
            let o = spec.outcome();
            assert_eq!(o.sections.len(), {
                let mut s = o.sections.clone();
                s.dedup();
                s.len()
            });
            assert!(
                o.source.starts_with("src/events/send/checks.rs:"),
                "{}",
                o.source
            );
        }
        let ids = case_ids();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
        assert!(ids.iter().all(|i| i.starts_with("events.receiver.")));
    }

    #[test]
    fn secrets_never_show() {
        let t = target();
        let text = format!("{t:?}");
        for secret in ["secret-1", "secret-2", "secret-3", "secret-4"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("https://receiver.test/events"));
        let sender = Sender::new(&t).expect("client");
        let headers = vec![(
            "Authorization".to_string(),
            "Bearer bearer-secret-3".to_string(),
        )];
        let req = sender.record_request("POST", &t.url, &headers, Some("body bearer-secret-4"));
        let exchange = sender.record(req, &Err("failed".into()), Duration::ZERO);
        let json = serde_json::to_string(&exchange).expect("serializes");
        for secret in ["secret-1", "secret-3", "secret-4"] {
            assert!(!json.contains(secret), "{secret} in {json}");
        }
        assert!(exchange.curl.contains("$TOKEN"), "{}", exchange.curl);
    }

    #[test]
    fn a_bad_certificate_file_is_refused() {
        let t = SendTarget {
            extra_root_cert_pem: Some("not a certificate".into()),
            ..target()
        };
        assert!(t.http_client().is_err());
    }

    #[tokio::test]
    async fn an_unreachable_receiver_errors_every_case_after_one_try() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let t = SendTarget {
            url: format!("http://127.0.0.1:{port}/events"),
            bearer: None,
            processed_url: None,
            ..target()
        };
        let outcomes = check_receiver(&t).await;
        assert_eq!(outcomes.len(), CHECKS.len());
        assert!(outcomes.iter().all(|o| o.status == Status::Errored));
        let message = unreachable(&outcomes).expect("unreachable");
        assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
        assert_eq!(outcomes[0].exchanges.len(), 1);
        assert!(outcomes[1..].iter().all(|o| o.exchanges.is_empty()));
    }
}
