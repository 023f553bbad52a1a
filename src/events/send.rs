//! `scimitar events send`: scimitar as an RFC 8935 SET Transmitter, checking
//! a vendor's push endpoint (the SET Recipient). This file owns the
//! receiver cases (area `receiver`): what each sends — one fresh SET (new
//! `jti`) per check, built with [`SetBuilder`] and broken on purpose where
//! the check needs it — and how each answer is graded against RFC 8935
//! §2–§2.4 and RFC 9967. Every request is bounded by [`TIMEOUT`]; network
//! and TLS failures make a case `errored`, never a panic. Secrets (the
//! signing key, bearer tokens) are never recorded: exchanges show
//! `Bearer [REDACTED]` and curl lines `$TOKEN`.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};

use crate::http::client::{header_pairs, read_body, BodyError};
use crate::http::exchange::curl_line;
use crate::http::{Exchange, RecordedRequest, RecordedResponse, Redactor};
use crate::outcome::{CaseOutcome, Failure, Status};
use crate::rfc::Level;
use crate::scim::set::{event, Algorithm, SetBuilder, Signer, SubId, MEDIA_TYPE};

/// The area of every receiver case.
pub const AREA: &str = "receiver";

/// The longest any one request may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// How long the processed count may take to show a SET (processing may be
/// asynchronous, RFC 8935 §2), and how long it is then watched for a second.
const PROCESS_WAIT: Duration = Duration::from_secs(5);
const PROCESS_SETTLE: Duration = Duration::from_millis(300);

/// The longest answer read from a receiver (its answers are empty or a
/// small error object); a longer one is an error, not read further.
const MAX_ANSWER: usize = 1024 * 1024;

/// Response bodies longer than this are cut in the recorded exchange.
const MAX_RECORDED_BODY: usize = 64 * 1024;

/// How curl lines authenticate: the token stays in a shell variable.
const CURL_AUTH: &str = "-H \"Authorization: Bearer $TOKEN\"";

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

// ---- the cases ---------------------------------------------------------------------------

/// What a case is, apart from how it ran.
struct Spec {
    name: &'static str,
    title: &'static str,
    level: Level,
    requirements: &'static [&'static str],
    notes: Option<&'static str>,
    source: &'static str,
}

macro_rules! here {
    () => {
        concat!(file!(), ":", line!())
    };
}

const VALID: Spec = Spec {
    name: "valid-accepted",
    title: "a valid SET is acknowledged with 202 Accepted and an empty body",
    level: Level::Must,
    requirements: &["R8935-2.2-01", "R8935-2.2-02"],
    notes: None,
    source: here!(),
};

const BAD_SIGNATURE: Spec = Spec {
    name: "bad-signature",
    title: "a SET whose signature does not verify is refused with 400 invalid_key",
    level: Level::Must,
    requirements: &["R8935-2-01", "R8935-2.3-01", "R9967-5-04"],
    notes: Some(
        "RFC 8935 §2.4 registers invalid_key for a signing key that is invalid or \
         unacceptable and authentication_failed for a transmitter the recipient could not \
         authenticate; a signature that does not verify fits both, so both pass. Another \
         code is a warning: the table describes codes, it does not assign them. An HMAC \
         key's SET is signed with another secret; a private key's SET has its signature altered.",
    ),
    source: here!(),
};

const UNSIGNED: Spec = Spec {
    name: "unsigned",
    title: "an unsigned SET (alg none) is refused with 400",
    level: Level::Must,
    requirements: &["R8935-2-01", "R8935-2.3-01", "R9967-5-04"],
    notes: Some(
        "RFC 8935 §2 requires the recipient to validate that a SET is authentic, but the \
         mechanism is \"deployment specific and may vary depending on the authentication \
         mechanisms in use and whether the SET is signed\"; RFC 9967 §5 requires JWS \
         signatures only when the publisher does not communicate directly with the \
         receiver. A receiver may authenticate the transmitter by a bearer token, mutual \
         TLS or the network, which scimitar cannot see, so accepting the SET is a warning \
         (ambiguous), not a failure. invalid_key and authentication_failed pass.",
    ),
    source: here!(),
};

const WRONG_AUDIENCE: Spec = Spec {
    name: "wrong-audience",
    title: "a SET whose aud does not name the receiver is refused with 400 invalid_audience",
    level: Level::Must,
    requirements: &["R8935-2-01", "R8935-2.3-01"],
    notes: None,
    source: here!(),
};

const WRONG_ISSUER: Spec = Spec {
    name: "wrong-issuer",
    title: "a SET from an issuer the receiver does not accept is refused with 400 invalid_issuer",
    level: Level::Must,
    requirements: &["R8935-2-01", "R8935-2.3-01"],
    notes: Some(
        "RFC 8935 Figure 5 is captioned access_denied and answers invalid_issuer; both pass.",
    ),
    source: here!(),
};

const SUB_CLAIM: Spec = Spec {
    name: "sub-claim",
    title: "a SCIM event naming its subject with sub instead of sub_id is refused with 400 invalid_request",
    level: Level::May,
    requirements: &["R9967-2.1-01", "R9967-2.1-03", "R8935-2.3-01"],
    notes: Some(
        "RFC 9967 §2.1 binds the publisher; a receiver that validates the profile refuses \
         the SET with invalid_request (RFC 8935 §2.4: the payload does not conform). RFC \
         8935 §2 leaves how a recipient validates out of scope and no keyword requires a \
         receiver to refuse, hence MAY.",
    ),
    source: here!(),
};

const DATA_AND_ATTRIBUTES: Spec = Spec {
    name: "data-and-attributes",
    title: "an event carrying both data and attributes is refused with 400 invalid_request",
    level: Level::May,
    requirements: &["R9967-2.4-03", "R8935-2.3-01"],
    notes: Some(
        "RFC 9967 §2.4 binds the publisher; a receiver that validates the profile refuses \
         the SET with invalid_request (RFC 8935 §2.4: the payload does not conform). RFC \
         8935 §2 leaves how a recipient validates out of scope and no keyword requires a \
         receiver to refuse, hence MAY.",
    ),
    source: here!(),
};

const NOT_A_JWT: Spec = Spec {
    name: "not-a-jwt",
    title: "a body that is not a JWT is refused with 400 invalid_request",
    level: Level::Must,
    requirements: &["R8935-2.1-02", "R8935-2-01", "R8935-2.3-01"],
    notes: None,
    source: here!(),
};

const CLAIMS_NOT_JSON: Spec = Spec {
    name: "claims-not-json",
    title: "a JWT whose claims set is not JSON is refused with 400 invalid_request",
    level: Level::Must,
    requirements: &["R8935-2.1-02", "R8935-2-01", "R8935-2.3-01"],
    notes: Some(
        "The header and signature are those of a valid SET, so the signature does not \
         verify: a receiver that verifies before it parses answers invalid_key or \
         authentication_failed, which pass too.",
    ),
    source: here!(),
};

const WRONG_CONTENT_TYPE: Spec = Spec {
    name: "wrong-content-type",
    title: "a SET labelled application/json is refused (400 invalid_request or 415)",
    level: Level::May,
    requirements: &["R8935-2.1-01"],
    notes: Some(
        "RFC 8935 §2.1 puts the Content-Type MUST on the transmitter and says nothing of \
         how a recipient answers another media type: 400 (invalid_request) and 415 (a \
         general HTTP error, §2.3) pass, and accepting the SET is only a warning.",
    ),
    source: here!(),
};

const ERROR_FORMAT: Spec = Spec {
    name: "error-format",
    title: "every 400 answer is application/json {\"err\", \"description\"} with a registered err and a Content-Language",
    level: Level::Must,
    requirements: &["R8935-2.3-02", "R8935-2.3-03", "R8935-2.4-01"],
    notes: Some(
        "Every 400 answer of the run is checked. An err outside RFC 8935's initial \
         registry is only a warning, as the registry is extensible.",
    ),
    source: here!(),
};

const DUPLICATE: Spec = Spec {
    name: "duplicate-jti",
    title: "a SET sent twice (same jti) is answered 202 both times",
    level: Level::Must,
    requirements: &["R8935-2-06", "R8935-2-07"],
    notes: None,
    source: here!(),
};

const PROCESSED_ONCE: Spec = Spec {
    name: "duplicate-processed-once",
    title: "a SET sent twice (same jti) is processed once",
    level: Level::May,
    requirements: &["R8935-2-06", "R8935-2-07"],
    notes: Some(
        "Needs --processed-url, answering {\"processed\": N}. RFC 8935 §2 lets transmitters \
         retransmit and RFC 8417 §2.2 makes jti the way to detect duplicates, but no keyword \
         requires processing once (RFC 8417 §2.2: jti \"MAY be used by clients to track \
         whether a particular SET has already been received\"), hence MAY. Other traffic to the receiver during the \
         run disturbs the count.",
    ),
    source: here!(),
};

/// Every case, in the order they run.
const SPECS: [&Spec; 13] = [
    &VALID,
    &BAD_SIGNATURE,
    &UNSIGNED,
    &WRONG_AUDIENCE,
    &WRONG_ISSUER,
    &SUB_CLAIM,
    &DATA_AND_ATTRIBUTES,
    &NOT_A_JWT,
    &CLAIMS_NOT_JSON,
    &WRONG_CONTENT_TYPE,
    &DUPLICATE,
    &PROCESSED_ONCE,
    &ERROR_FORMAT,
];

impl Spec {
    fn id(&self) -> String {
        format!("events.{AREA}.{}", self.name)
    }

    /// A skipped outcome with this case's fields.
    fn outcome(&self) -> CaseOutcome {
        CaseOutcome {
            notes: self.notes.map(str::to_string),
            ..CaseOutcome::pending(
                self.id(),
                self.title.to_string(),
                AREA.to_string(),
                self.level,
                self.requirements.iter().map(|r| r.to_string()).collect(),
                self.source.to_string(),
            )
        }
    }
}

/// The ids of the receiver cases, in the order they run.
pub fn case_ids() -> Vec<String> {
    SPECS.iter().map(|s| s.id()).collect()
}

// ---- verdicts (pure) ---------------------------------------------------------------------

/// How a case came out, before it is written into its outcome.
#[derive(Clone, Debug, PartialEq)]
struct Verdict {
    status: Status,
    warning: bool,
    message: String,
    failures: Vec<Failure>,
    /// Added to the case's notes.
    note: Option<String>,
}

impl Verdict {
    fn passed() -> Verdict {
        Verdict {
            status: Status::Passed,
            warning: false,
            message: String::new(),
            failures: vec![],
            note: None,
        }
    }

    fn other(status: Status, message: impl Into<String>) -> Verdict {
        Verdict {
            status,
            message: message.into(),
            ..Verdict::passed()
        }
    }

    fn failed(message: impl Into<String>, failures: Vec<Failure>) -> Verdict {
        Verdict {
            status: Status::Failed,
            message: message.into(),
            failures,
            ..Verdict::passed()
        }
    }

    fn warn(mut self, warning: bool) -> Verdict {
        self.warning = warning;
        self
    }

    fn noted(mut self, note: String) -> Verdict {
        self.note = Some(note);
        self
    }
}

fn failure(step: &str, subject: &str, expected: &str, actual: &str) -> Failure {
    Failure {
        step: step.to_string(),
        subject: subject.to_string(),
        expected: expected.to_string(),
        actual: actual.to_string(),
    }
}

/// An HTTP answer.
#[derive(Clone, Debug, PartialEq)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The media type of Content-Type, without parameters, lower-cased.
    fn media_type(&self) -> Option<String> {
        self.header("content-type")
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
    }

    fn object(&self) -> Option<Map<String, Value>> {
        match serde_json::from_slice(&self.body) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        }
    }

    fn err(&self) -> Option<String> {
        self.object()?.get("err")?.as_str().map(str::to_string)
    }

    /// `400 {"err":…}`, cut to a line.
    fn brief(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        let mut shown: String = text.chars().take(200).collect();
        if shown.len() < text.len() {
            shown.push('…');
        }
        if shown.is_empty() {
            self.status.to_string()
        } else {
            format!("{} {shown}", self.status)
        }
    }
}

/// What a refusal check expects.
#[derive(Clone, Copy, Debug)]
struct Expect {
    /// The err codes the case is about.
    codes: &'static [&'static str],
    /// Codes that pass too (the notes say why).
    tolerated: &'static [&'static str],
    /// Statuses besides 400 that pass.
    statuses: &'static [u16],
    /// Accepting the SET is a warning, not a failure.
    accepted_warning: bool,
}

/// A refusal check's answer: 400 with one of the codes passes.
fn grade_refusal(expect: &Expect, sent: &str, answer: &Answer) -> Verdict {
    let wanted = expect.codes.join(" or ");
    if answer.status == 400 {
        let err = answer.err();
        let code = err.as_deref().unwrap_or("");
        if expect.codes.contains(&code) {
            return Verdict::passed();
        }
        if expect.tolerated.contains(&code) {
            return Verdict::passed().noted(format!("This receiver answered err {code}."));
        }
        let actual = err.map_or_else(|| "no err member".to_string(), |e| format!("err {e}"));
        return Verdict::failed(
            format!("sent {sent}: 400 as required, but {actual} instead of {wanted}"),
            vec![failure("POST", "body err", &wanted, &actual)],
        )
        .warn(true);
    }
    if expect.statuses.contains(&answer.status) {
        return Verdict::passed().noted(format!("This receiver answered {}.", answer.status));
    }
    let accepted = (200..300).contains(&answer.status);
    let what = if accepted { "accepted it" } else { "answered" };
    Verdict::failed(
        format!(
            "sent {sent}: expected 400 {wanted}, the receiver {what}: {}",
            answer.brief()
        ),
        vec![failure("POST", "status", "400", &answer.brief())],
    )
    .warn(accepted && expect.accepted_warning)
}

/// The valid SET's answer: 202 with an empty body.
fn grade_valid(answer: &Answer) -> Verdict {
    if answer.status != 202 {
        let hint = if answer.status == 400 {
            " (check --issuer, --audience and the key the receiver trusts)"
        } else {
            ""
        };
        return Verdict::failed(
            format!("a valid SET was answered {}{hint}", answer.brief()),
            vec![failure("POST", "status", "202", &answer.brief())],
        );
    }
    if !answer.body.is_empty() {
        let actual = format!("{} bytes: {}", answer.body.len(), answer.brief());
        return Verdict::failed(
            "202 with a body, which RFC 8935 §2.2 requires to be empty",
            vec![failure("POST", "body", "empty", &actual)],
        );
    }
    Verdict::passed()
}

/// Every 400 answer: JSON `{"err", "description"}`, a registered err, a
/// Content-Language.
fn grade_error_format(answers: &[(String, Answer)]) -> Verdict {
    if answers.is_empty() {
        return Verdict::other(Status::Skipped, "the receiver answered no request with 400");
    }
    let mut hard = Vec::new();
    let mut soft = Vec::new();
    for (step, answer) in answers {
        error_format_of(step, answer, &mut hard, &mut soft);
    }
    let warning = hard.is_empty();
    let mut failures = hard;
    failures.extend(soft);
    match failures.first() {
        None => Verdict::passed(),
        Some(first) => Verdict::failed(
            format!(
                "{} problem(s) in {} 400 answer(s); first: {first}",
                failures.len(),
                answers.len()
            ),
            failures,
        )
        .warn(warning),
    }
}

/// The problems of one 400 answer: MUST failures in `hard`, an
/// unregistered err in `soft`.
fn error_format_of(step: &str, answer: &Answer, hard: &mut Vec<Failure>, soft: &mut Vec<Failure>) {
    let media = answer.media_type();
    if media.as_deref() != Some("application/json") {
        let actual = answer.header("content-type").unwrap_or("none");
        hard.push(failure(
            step,
            "header Content-Type",
            "application/json",
            actual,
        ));
    }
    match answer.header("content-language").map(str::trim) {
        Some(lang) if !lang.is_empty() => {}
        _ => hard.push(failure(
            step,
            "header Content-Language",
            "a language tag",
            "none",
        )),
    }
    if std::str::from_utf8(&answer.body).is_err() {
        hard.push(failure(step, "body", "UTF-8", "bytes that are not UTF-8"));
        return;
    }
    let Some(body) = answer.object() else {
        hard.push(failure(step, "body", "a JSON object", &answer.brief()));
        return;
    };
    match body.get("err") {
        Some(Value::String(code)) if REGISTERED_CODES.contains(&code.as_str()) => {}
        Some(Value::String(code)) => soft.push(failure(
            step,
            "body err",
            "a code of the IANA Security Event Token Error Codes registry",
            code,
        )),
        other => hard.push(failure(step, "body err", "a string", &shown(other))),
    }
    if !matches!(body.get("description"), Some(Value::String(_))) {
        let actual = shown(body.get("description"));
        hard.push(failure(step, "body description", "a string", &actual));
    }
}

fn shown(value: Option<&Value>) -> String {
    value.map_or_else(|| "absent".to_string(), Value::to_string)
}

/// The two answers to one SET sent twice.
fn grade_duplicate(first: &Answer, second: &Answer) -> Verdict {
    if first.status != 202 {
        return Verdict::other(
            Status::Skipped,
            format!(
                "the first transmission was answered {}, not 202: there is no acceptance to repeat",
                first.brief()
            ),
        );
    }
    if second.status == 202 {
        return Verdict::passed();
    }
    Verdict::failed(
        format!(
            "the same SET was answered 202, then {} when sent again",
            second.brief()
        ),
        vec![failure("POST (again)", "status", "202", &second.brief())],
    )
}

/// How much the processed count grew for one SET sent twice.
fn grade_processed(grew_by: i64) -> Verdict {
    if grew_by == 1 {
        return Verdict::passed();
    }
    let message = if grew_by < 1 {
        format!(
            "the processed count grew by {grew_by} within {} s: the SET was not processed",
            PROCESS_WAIT.as_secs()
        )
    } else {
        format!("the processed count grew by {grew_by}: the repeated SET was processed again")
    };
    Verdict::failed(
        message,
        vec![failure(
            "GET processed",
            "body processed",
            "one more than before",
            &format!("{grew_by:+}"),
        )],
    )
}

fn apply(outcome: &mut CaseOutcome, verdict: Verdict) {
    outcome.status = verdict.status;
    outcome.warning = verdict.warning && verdict.status == Status::Failed;
    outcome.message = verdict.message;
    outcome.failures = verdict.failures;
    if let Some(note) = verdict.note {
        outcome.notes = Some(match outcome.notes.take() {
            Some(n) => format!("{n} {note}"),
            None => note,
        });
    }
    if matches!(outcome.status, Status::Failed | Status::Errored) {
        outcome.curl = outcome.exchanges.last().map(|e| e.curl.clone());
    }
}

// ---- the SETs ----------------------------------------------------------------------------

/// A fresh SET: new jti and txn, a new `/Users/<uuid>` subject, one
/// `prov:create:notice` event.
fn fresh(target: &SendTarget) -> SetBuilder {
    let uuid = || uuid::Uuid::new_v4().to_string();
    SetBuilder::new(&target.issuer, &uuid(), chrono::Utc::now().timestamp())
        .audience(&target.audience)
        .txn(&uuid())
        .sub_id(&SubId::scim(&format!("/Users/{}", uuid())))
        .event(event::CREATE_NOTICE, json!({"attributes": ["userName"]}))
}

/// A signer with the same algorithm and key id but another HMAC secret,
/// or None for a private key.
fn other_hmac_signer(signer: &Signer) -> Option<Signer> {
    let alg: Algorithm = signer.alg().parse().ok()?;
    let secret = format!(
        "not-the-secret-{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let other = Signer::hmac(alg, secret.as_bytes()).ok()?;
    Some(match signer.kid() {
        Some(kid) => other.with_kid(kid),
        None => other,
    })
}

/// A SET whose signature does not verify with the receiver's key.
fn badly_signed(target: &SendTarget) -> String {
    let set = fresh(target);
    match other_hmac_signer(&target.signer) {
        Some(other) => set.sign(&other),
        None => tamper_signature(&set.sign(&target.signer)),
    }
}

/// The token with one bit of its signature flipped.
fn tamper_signature(token: &str) -> String {
    let Some((input, signature)) = token.rsplit_once('.') else {
        return token.to_string();
    };
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap_or_default();
    match bytes.first_mut() {
        Some(b) => *b ^= 0x01,
        None => bytes.push(0),
    }
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A valid SET's header and signature around a claims set that is not JSON.
fn claims_not_json(target: &SendTarget) -> String {
    let token = fresh(target).sign(&target.signer);
    let claims = URL_SAFE_NO_PAD.encode(b"{\"iss\": this is not JSON");
    let mut parts = token.split('.');
    let header = parts.next().unwrap_or_default();
    let signature = parts.nth(1).unwrap_or_default();
    format!("{header}.{claims}.{signature}")
}

// ---- HTTP --------------------------------------------------------------------------------

/// The checks' connection to the receiver.
struct Sender<'a> {
    target: &'a SendTarget,
    http: reqwest::Client,
    redactor: Redactor,
}

/// One request's record and its answer or transport error.
struct Sent {
    exchange: Exchange,
    answer: Result<Answer, String>,
}

impl Sender<'_> {
    fn new(target: &SendTarget) -> Result<Sender<'_>, String> {
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
    async fn post(&self, body: &str, content_type: &str) -> Sent {
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

    /// GETs the processed count's URL.
    async fn get_processed(&self, url: &str, token: Option<&str>) -> Sent {
        let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
        if let Some(token) = token {
            headers.push(("Authorization".to_string(), format!("Bearer {token}")));
        }
        self.send("GET", url, headers, None).await
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

    fn record_request(
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

    fn record(
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

// ---- running the checks ------------------------------------------------------------------

/// One refusal check: what to send and what to expect.
struct Probe {
    spec: &'static Spec,
    /// What was sent, for the message.
    sent: &'static str,
    body: String,
    content_type: &'static str,
    expect: Expect,
}

const KEY_CODES: &[&str] = &["invalid_key", "authentication_failed"];
const NOT_A_SET: Expect = Expect {
    codes: &["invalid_request"],
    tolerated: &[],
    statuses: &[],
    accepted_warning: false,
};

fn probes(target: &SendTarget) -> Vec<Probe> {
    let signed = |b: SetBuilder| b.sign(&target.signer);
    let sub = fresh(target)
        .without_claim("sub_id")
        .claim("sub", json!(format!("/Users/{}", uuid::Uuid::new_v4())));
    let both = fresh(target).event(
        event::CREATE_NOTICE,
        json!({"attributes": ["userName"], "data": {"userName": "bjensen"}}),
    );
    let probe = |spec, sent, body, expect| Probe {
        spec,
        sent,
        body,
        content_type: MEDIA_TYPE,
        expect,
    };
    vec![
        probe(
            &BAD_SIGNATURE,
            "a SET whose signature does not verify",
            badly_signed(target),
            Expect {
                codes: &["invalid_key"],
                tolerated: &["authentication_failed"],
                ..NOT_A_SET
            },
        ),
        probe(
            &UNSIGNED,
            "an unsigned SET (alg none)",
            fresh(target).unsigned(),
            Expect {
                codes: KEY_CODES,
                accepted_warning: true,
                ..NOT_A_SET
            },
        ),
        probe(
            &WRONG_AUDIENCE,
            "a SET for another audience",
            signed(fresh(target).claim("aud", json!(["https://another-receiver.invalid/"]))),
            Expect {
                codes: &["invalid_audience"],
                ..NOT_A_SET
            },
        ),
        probe(
            &WRONG_ISSUER,
            "a SET from another issuer",
            signed(fresh(target).claim("iss", json!("https://another-issuer.invalid/"))),
            Expect {
                codes: &["invalid_issuer"],
                tolerated: &["access_denied"],
                ..NOT_A_SET
            },
        ),
        probe(
            &SUB_CLAIM,
            "a SET with sub instead of sub_id",
            signed(sub),
            NOT_A_SET,
        ),
        probe(
            &DATA_AND_ATTRIBUTES,
            "an event with both data and attributes",
            signed(both),
            NOT_A_SET,
        ),
        probe(
            &NOT_A_JWT,
            "a body that is not a JWT",
            "this is not a JWT".to_string(),
            NOT_A_SET,
        ),
        probe(
            &CLAIMS_NOT_JSON,
            "a JWT whose claims are not JSON",
            claims_not_json(target),
            Expect {
                tolerated: KEY_CODES,
                ..NOT_A_SET
            },
        ),
        Probe {
            content_type: "application/json",
            ..probe(
                &WRONG_CONTENT_TYPE,
                "a valid SET labelled application/json",
                signed(fresh(target)),
                Expect {
                    statuses: &[415],
                    accepted_warning: true,
                    ..NOT_A_SET
                },
            )
        },
    ]
}

/// A run of the checks: the outcomes so far and every 400 answer.
struct Checks<'a> {
    sender: Sender<'a>,
    outcomes: Vec<CaseOutcome>,
    refusals: Vec<(String, Answer)>,
}

/// Runs every receiver check against the target, one request at a time,
/// and returns one outcome per case (see [`case_ids`]). When the first
/// request gets no answer at all, the others are not sent.
pub async fn check_receiver(target: &SendTarget) -> Vec<CaseOutcome> {
    let sender = match Sender::new(target) {
        Ok(s) => s,
        Err(e) => return all_errored(&e),
    };
    let mut checks = Checks {
        sender,
        outcomes: Vec::new(),
        refusals: Vec::new(),
    };
    if let Err(reason) = checks.valid().await {
        let mut outcomes = checks.outcomes;
        outcomes.extend(SPECS[1..].iter().map(|s| errored(s, &reason)));
        return outcomes;
    }
    for probe in probes(target) {
        checks.refusal(probe).await;
    }
    checks.duplicates().await;
    checks.error_format();
    checks.outcomes
}

/// The message of the first case when the receiver could not be reached
/// at all (no HTTP answer): what the CLI reports with exit code 3.
pub fn unreachable(outcomes: &[CaseOutcome]) -> Option<String> {
    let first = outcomes.iter().find(|o| o.id == VALID.id())?;
    let no_answer = first.exchanges.iter().all(|e| e.response.is_none());
    (first.status == Status::Errored && no_answer).then(|| first.message.clone())
}

fn errored(spec: &Spec, message: &str) -> CaseOutcome {
    let mut o = spec.outcome();
    o.status = Status::Errored;
    o.message = message.to_string();
    o
}

fn all_errored(message: &str) -> Vec<CaseOutcome> {
    SPECS.iter().map(|s| errored(s, message)).collect()
}

impl Checks<'_> {
    /// Sends one SET and grades the answer into `spec`'s outcome.
    async fn sent(&mut self, spec: &Spec, body: &str, content_type: &str) -> Option<Answer> {
        let started = Instant::now();
        let sent = self.sender.post(body, content_type).await;
        let mut o = spec.outcome();
        o.exchanges.push(sent.exchange);
        o.duration_ms = started.elapsed().as_millis() as u64;
        let answer = match sent.answer {
            Ok(a) => a,
            Err(e) => {
                apply(&mut o, Verdict::other(Status::Errored, e));
                self.outcomes.push(o);
                return None;
            }
        };
        if answer.status == 400 {
            self.refusals.push((o.id.clone(), answer.clone()));
        }
        self.outcomes.push(o);
        Some(answer)
    }

    fn grade_last(&mut self, verdict: Verdict) {
        if let Some(o) = self.outcomes.last_mut() {
            apply(o, verdict);
        }
    }

    /// The valid SET; Err with the reason when there was no answer.
    async fn valid(&mut self) -> Result<(), String> {
        let token = fresh(self.sender.target).sign(&self.sender.target.signer);
        match self.sent(&VALID, &token, MEDIA_TYPE).await {
            Some(answer) => {
                self.grade_last(grade_valid(&answer));
                Ok(())
            }
            None => {
                let reason = self
                    .outcomes
                    .last()
                    .map(|o| o.message.clone())
                    .unwrap_or_default();
                Err(format!(
                    "not sent: the receiver did not answer the first request ({reason})"
                ))
            }
        }
    }

    async fn refusal(&mut self, probe: Probe) {
        if let Some(answer) = self.sent(probe.spec, &probe.body, probe.content_type).await {
            self.grade_last(grade_refusal(&probe.expect, probe.sent, &answer));
        }
    }

    /// The same SET twice: both answers, and the processed count around them.
    async fn duplicates(&mut self) {
        let started = Instant::now();
        let mut processed = PROCESSED_ONCE.outcome();
        let counter = self.sender.target.processed_url.as_ref();
        let counter = counter.map(|(url, token)| (url.as_str(), token.as_deref()));
        let before = match counter {
            Some((url, token)) => {
                let (count, exchange) = self.processed_count(url, token).await;
                processed.exchanges.push(exchange);
                Some(count)
            }
            None => None,
        };
        let token = fresh(self.sender.target).sign(&self.sender.target.signer);
        let first = self.sender.post(&token, MEDIA_TYPE).await;
        let second = self.sender.post(&token, MEDIA_TYPE).await;
        processed
            .exchanges
            .extend([first.exchange.clone(), second.exchange.clone()]);
        let both_accepted = self.repeated(first, second, started);
        let verdict = match (before, counter) {
            (None, _) | (_, None) => Verdict::other(
                Status::Skipped,
                "no --processed-url: how often the receiver processed the SET cannot be seen",
            ),
            (Some(Err(e)), _) => Verdict::other(Status::Errored, e),
            (Some(Ok(_)), _) if !both_accepted => Verdict::other(
                Status::Skipped,
                format!(
                    "{} did not pass: there is no accepted repeat to count",
                    DUPLICATE.id()
                ),
            ),
            (Some(Ok(n)), Some(counter)) => self.processed_growth(&mut processed, counter, n).await,
        };
        apply(&mut processed, verdict);
        // The SET's POST reproduces the problem better than the count's GET.
        if let (Some(_), Some(post)) = (&processed.curl, processed.exchanges.get(1)) {
            processed.curl = Some(post.curl.clone());
        }
        processed.duration_ms = started.elapsed().as_millis() as u64;
        self.outcomes.push(processed);
    }

    /// Grades the two answers to one SET into the duplicate case; whether
    /// both were 202.
    fn repeated(&mut self, first: Sent, second: Sent, started: Instant) -> bool {
        let mut dup = DUPLICATE.outcome();
        dup.exchanges = vec![first.exchange, second.exchange];
        let verdict = match (&first.answer, &second.answer) {
            (Ok(a), Ok(b)) => {
                for answer in [a, b].into_iter().filter(|a| a.status == 400) {
                    self.refusals.push((dup.id.clone(), answer.clone()));
                }
                grade_duplicate(a, b)
            }
            (Err(e), _) | (_, Err(e)) => Verdict::other(Status::Errored, e.clone()),
        };
        let both_accepted = verdict.status == Status::Passed;
        apply(&mut dup, verdict);
        dup.duration_ms = started.elapsed().as_millis() as u64;
        self.outcomes.push(dup);
        both_accepted
    }

    /// How much the count grew past `before`: waits for the first SET to
    /// show, then a little longer for a second. Only the last read is
    /// recorded, so that waiting does not flood the report.
    async fn processed_growth(
        &self,
        o: &mut CaseOutcome,
        (url, token): (&str, Option<&str>),
        before: u64,
    ) -> Verdict {
        let deadline = Instant::now() + PROCESS_WAIT;
        let (mut last, mut exchange) = self.processed_count(url, token).await;
        while matches!(last, Ok(n) if n <= before) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
            (last, exchange) = self.processed_count(url, token).await;
        }
        if matches!(last, Ok(n) if n > before) {
            tokio::time::sleep(PROCESS_SETTLE).await;
            (last, exchange) = self.processed_count(url, token).await;
        }
        o.exchanges.push(exchange);
        match last {
            Ok(n) => grade_processed(n as i64 - before as i64),
            Err(e) => Verdict::other(Status::Errored, e),
        }
    }

    /// The processed count at `url`, and the exchange.
    async fn processed_count(
        &self,
        url: &str,
        token: Option<&str>,
    ) -> (Result<u64, String>, Exchange) {
        let sent = self.sender.get_processed(url, token).await;
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

    /// The format of every 400 answer of the run.
    fn error_format(&mut self) {
        let mut o = ERROR_FORMAT.outcome();
        apply(&mut o, grade_error_format(&self.refusals));
        if o.status == Status::Failed {
            let step = o.failures.first().map(|f| f.step.clone());
            let exchange = self
                .outcomes
                .iter()
                .find(|c| Some(&c.id) == step.as_ref())
                .and_then(|c| c.exchanges.iter().find(|e| answered_400(e)));
            o.curl = exchange.map(|e| e.curl.clone());
        }
        self.outcomes.push(o);
    }
}

fn answered_400(e: &Exchange) -> bool {
    e.response.as_ref().is_some_and(|r| r.status == 400)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Answer {
        Answer {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn refused(err: &str) -> Answer {
        answer(
            400,
            &[
                ("content-type", "application/json"),
                ("content-language", "en"),
            ],
            &json!({"err": err, "description": "no"}).to_string(),
        )
    }

    fn target() -> SendTarget {
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
        for spec in SPECS {
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
            assert!(o.source.starts_with("src/events/send.rs:"), "{}", o.source);
        }
        let ids = case_ids();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
        assert!(ids.iter().all(|i| i.starts_with("events.receiver.")));
    }

    #[test]
    fn refusals_pass_on_400_with_the_code_and_warn_on_another_code() {
        let expect = Expect {
            codes: &["invalid_key"],
            tolerated: &["authentication_failed"],
            ..NOT_A_SET
        };
        assert_eq!(
            grade_refusal(&expect, "x", &refused("invalid_key")),
            Verdict::passed()
        );
        let tolerated = grade_refusal(&expect, "x", &refused("authentication_failed"));
        assert_eq!(tolerated.status, Status::Passed);
        assert!(tolerated.note.unwrap().contains("authentication_failed"));
        let other = grade_refusal(&expect, "x", &refused("invalid_request"));
        assert_eq!((other.status, other.warning), (Status::Failed, true));
        let accepted = grade_refusal(&expect, "a forged SET", &answer(202, &[], ""));
        assert_eq!((accepted.status, accepted.warning), (Status::Failed, false));
        assert!(
            accepted.message.contains("accepted it"),
            "{}",
            accepted.message
        );
        let server_error = grade_refusal(&expect, "x", &answer(500, &[], "boom"));
        assert_eq!(server_error.status, Status::Failed);
        assert!(!server_error.warning);
    }

    #[test]
    fn the_content_type_check_takes_415_and_only_warns_on_acceptance() {
        let expect = Expect {
            statuses: &[415],
            accepted_warning: true,
            ..NOT_A_SET
        };
        assert_eq!(
            grade_refusal(&expect, "x", &answer(415, &[], "")).status,
            Status::Passed
        );
        let accepted = grade_refusal(&expect, "x", &answer(202, &[], ""));
        assert_eq!((accepted.status, accepted.warning), (Status::Failed, true));
        let moved = grade_refusal(&expect, "x", &answer(302, &[], ""));
        assert_eq!((moved.status, moved.warning), (Status::Failed, false));
    }

    #[test]
    fn a_valid_set_needs_202_and_an_empty_body() {
        assert_eq!(grade_valid(&answer(202, &[], "")), Verdict::passed());
        assert_eq!(grade_valid(&answer(200, &[], "")).status, Status::Failed);
        assert_eq!(grade_valid(&answer(202, &[], "ok")).status, Status::Failed);
        let refused = grade_valid(&refused("invalid_issuer"));
        assert!(refused.message.contains("--issuer"), "{}", refused.message);
    }

    #[test]
    fn error_format_checks_every_400() {
        assert_eq!(grade_error_format(&[]).status, Status::Skipped);
        let good = ("a".to_string(), refused("invalid_key"));
        assert_eq!(
            grade_error_format(std::slice::from_ref(&good)),
            Verdict::passed()
        );
        let unregistered = ("b".to_string(), refused("no_such_code"));
        let v = grade_error_format(&[good.clone(), unregistered]);
        assert_eq!((v.status, v.warning), (Status::Failed, true));
        let bare = ("c".to_string(), answer(400, &[], "bad request"));
        let v = grade_error_format(&[good, bare]);
        assert_eq!((v.status, v.warning), (Status::Failed, false));
        let subjects: Vec<&str> = v.failures.iter().map(|f| f.subject.as_str()).collect();
        assert_eq!(
            subjects,
            ["header Content-Type", "header Content-Language", "body"]
        );
        assert!(v.failures.iter().all(|f| f.step == "c"));
        let no_description = answer(
            400,
            &[
                ("content-type", "application/json; charset=utf-8"),
                ("content-language", "en-US"),
            ],
            r#"{"err": "invalid_key"}"#,
        );
        let v = grade_error_format(&[("d".to_string(), no_description)]);
        assert_eq!(v.failures.len(), 1);
        assert_eq!(v.failures[0].subject, "body description");
    }

    #[test]
    fn duplicates_and_processing_counts() {
        let ok = answer(202, &[], "");
        assert_eq!(grade_duplicate(&ok, &ok), Verdict::passed());
        assert_eq!(
            grade_duplicate(&ok, &refused("invalid_request")).status,
            Status::Failed
        );
        assert_eq!(
            grade_duplicate(&refused("invalid_key"), &ok).status,
            Status::Skipped
        );
        assert_eq!(grade_processed(1), Verdict::passed());
        assert!(grade_processed(2).message.contains("processed again"));
        assert!(grade_processed(0).message.contains("not processed"));
    }

    #[test]
    fn broken_sets_are_broken_as_intended() {
        use crate::scim::set::{KeySet, Token, Unsigned};
        let t = target();
        let keys = KeySet::hmac(b"hmac-secret-2");
        let good = Token::parse(&fresh(&t).sign(&t.signer)).expect("parses");
        assert!(good.verify(&keys, Unsigned::Refuse).is_ok());
        assert_eq!(good.typ(), Some("secevent+jwt"));
        assert!(good.claims()["sub_id"]["uri"]
            .as_str()
            .is_some_and(|u| u.starts_with("/Users/")));
        let forged = Token::parse(&badly_signed(&t)).expect("parses");
        assert!(forged.verify(&keys, Unsigned::Refuse).is_err());
        let tampered = Token::parse(&tamper_signature(&fresh(&t).sign(&t.signer))).expect("parses");
        assert!(tampered.verify(&keys, Unsigned::Refuse).is_err());
        assert!(Token::parse(&claims_not_json(&t)).is_err());
        let jtis: Vec<String> = (0..2)
            .map(|_| fresh(&t).claims["jti"].to_string())
            .collect();
        assert_ne!(jtis[0], jtis[1]);
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
        assert_eq!(outcomes.len(), SPECS.len());
        assert!(outcomes.iter().all(|o| o.status == Status::Errored));
        let message = unreachable(&outcomes).expect("unreachable");
        assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
        assert_eq!(outcomes[0].exchanges.len(), 1);
        assert!(outcomes[1..].iter().all(|o| o.exchanges.is_empty()));
    }
}
