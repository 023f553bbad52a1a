//! Verdicts that hold from run to run on servers that break under load:
//! cases that did not pass and met a 5xx or a broken connection while
//! others ran beside them are run again, one at a time, at the end. The
//! second verdict stands, and the report says which verdicts changed.

use super::exec::{run_case, Context};
use crate::outcome::{CaseOutcome, Rerun, Status};
use crate::suite::Case;

/// Why an outcome may be the load's doing, if it may.
fn load_sign(outcome: &CaseOutcome) -> Option<String> {
    if matches!(outcome.status, Status::Passed | Status::Skipped) {
        return None;
    }
    outcome.exchanges.iter().find_map(|e| match &e.response {
        Some(r) if r.status >= 500 => Some(format!(
            "{} to {} {}",
            r.status, e.request.method, e.request.url
        )),
        None if e.broken => Some(format!(
            "a broken connection on {} {}",
            e.request.method, e.request.url
        )),
        _ => None,
    })
}

/// Runs again, one at a time, the cases whose outcome may be the load's
/// doing (only when they ran beside others), replacing their outcomes.
pub async fn alone(
    ctx: &Context<'_>,
    cases: &[Case],
    outcomes: &mut [CaseOutcome],
    concurrency: usize,
) -> Vec<Rerun> {
    let mut reruns = vec![];
    if concurrency <= 1 {
        return reruns;
    }
    for (case, outcome) in cases.iter().zip(outcomes.iter_mut()) {
        if ctx.interrupted.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        let Some(cause) = load_sign(outcome) else {
            continue;
        };
        let mut again = run_case(ctx, case).await;
        let before = outcome.status;
        let after = again.status;
        let note = format!(
            "run again alone: at concurrency {concurrency} it was {} after {cause}",
            before.as_str()
        );
        again.notes = Some(match again.notes.take() {
            Some(n) => format!("{n}\n{note}"),
            None => note,
        });
        *outcome = again;
        reruns.push(Rerun {
            id: case.id.clone(),
            cause,
            before,
            after,
        });
    }
    reruns
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Exchange, RecordedRequest, RecordedResponse};

    fn exchange(status: Option<u16>, broken: bool) -> Exchange {
        Exchange {
            request: RecordedRequest {
                method: "GET".into(),
                url: "http://h/Users".into(),
                headers: vec![],
                body: None,
            },
            response: status.map(|s| RecordedResponse {
                status: s,
                headers: vec![],
                body: String::new(),
                body_truncated: false,
            }),
            error: (!broken && status.is_none()).then(|| "timeout".into()),
            duration_ms: 1,
            curl: String::new(),
            broken,
        }
    }

    #[test]
    fn only_unpassed_cases_that_met_a_5xx_or_a_broken_connection_run_again() {
        let mut o = CaseOutcome::pending(
            "x".into(),
            "t".into(),
            "a".into(),
            crate::rfc::Level::Must,
            vec![],
            "s".into(),
        );
        o.status = Status::Errored;
        o.exchanges = vec![exchange(Some(200), false), exchange(Some(503), false)];
        assert!(load_sign(&o).unwrap().starts_with("503 to GET"));
        o.exchanges = vec![exchange(None, true)];
        assert!(load_sign(&o).unwrap().starts_with("a broken connection"));
        // A timeout, a 4xx, or a passed case are no sign of load.
        o.exchanges = vec![exchange(None, false), exchange(Some(404), false)];
        assert_eq!(load_sign(&o), None);
        o.exchanges = vec![exchange(Some(500), false)];
        o.status = Status::Passed;
        assert_eq!(load_sign(&o), None);
    }
}
