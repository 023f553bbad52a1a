//! Grading the receiver's answers, without I/O: [`Verdict`] (how a case
//! came out), [`Answer`] (an HTTP answer), the `grade_*` functions the
//! check table in [`super::checks`] points at, and [`apply`], which writes
//! a verdict into a case's outcome.

use serde_json::{Map, Value};

use super::{PROCESS_WAIT, REGISTERED_CODES};
use crate::outcome::{CaseOutcome, Failure, Status};

/// How a case came out, before it is written into its outcome.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Verdict {
    pub(super) status: Status,
    pub(super) warning: bool,
    pub(super) message: String,
    pub(super) failures: Vec<Failure>,
    /// Added to the case's notes.
    pub(super) note: Option<String>,
}

impl Verdict {
    pub(super) fn passed() -> Verdict {
        Verdict {
            status: Status::Passed,
            warning: false,
            message: String::new(),
            failures: vec![],
            note: None,
        }
    }

    pub(super) fn other(status: Status, message: impl Into<String>) -> Verdict {
        Verdict {
            status,
            message: message.into(),
            ..Verdict::passed()
        }
    }

    pub(super) fn failed(message: impl Into<String>, failures: Vec<Failure>) -> Verdict {
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

pub(super) fn failure(step: &str, subject: &str, expected: &str, actual: &str) -> Failure {
    Failure {
        step: step.to_string(),
        subject: subject.to_string(),
        expected: expected.to_string(),
        actual: actual.to_string(),
    }
}

/// An HTTP answer.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
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

    pub(super) fn object(&self) -> Option<Map<String, Value>> {
        match serde_json::from_slice(&self.body) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        }
    }

    fn err(&self) -> Option<String> {
        self.object()?.get("err")?.as_str().map(str::to_string)
    }

    /// `400 {"err":…}`, cut to a line.
    pub(super) fn brief(&self) -> String {
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
pub(super) struct Expect {
    /// The err codes the case is about.
    pub(super) codes: &'static [&'static str],
    /// Codes that pass too (the notes say why).
    pub(super) tolerated: &'static [&'static str],
    /// Statuses besides 400 that pass.
    pub(super) statuses: &'static [u16],
    /// Accepting the SET is a warning, not a failure.
    pub(super) accepted_warning: bool,
}

/// A refusal check's answer: 400 with one of the codes passes.
pub(super) fn grade_refusal(expect: &Expect, sent: &str, answer: &Answer) -> Verdict {
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
pub(super) fn grade_valid(answer: &Answer) -> Verdict {
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
pub(super) fn grade_error_format(answers: &[(String, Answer)]) -> Verdict {
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
pub(super) fn grade_duplicate(first: &Answer, second: &Answer) -> Verdict {
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
pub(super) fn grade_processed(grew_by: i64) -> Verdict {
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

pub(super) fn apply(outcome: &mut CaseOutcome, verdict: Verdict) {
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

/// The codes of a refused key or transmitter.
pub(super) const KEY_CODES: &[&str] = &["invalid_key", "authentication_failed"];

/// A refusal with invalid_request: the payload is not a SET.
pub(super) const NOT_A_SET: Expect = Expect {
    codes: &["invalid_request"],
    tolerated: &[],
    statuses: &[],
    accepted_warning: false,
};

#[cfg(test)]
mod tests {
    use serde_json::json;

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
}
