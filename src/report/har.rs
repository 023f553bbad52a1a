//! The HAR export (`--har`): every exchange the run recorded, as HAR 1.2
//! (<http://www.softwareishard.com/blog/har-12-spec/>), so a browser's
//! network panel or any HTTP tool can open it. Exchanges are already
//! redacted when recorded; each entry's comment names its case.

use serde_json::{json, Value};

use crate::http::Exchange;
use crate::outcome::RunReport;

/// The HAR document of a run.
pub fn render(report: &RunReport) -> String {
    let entries: Vec<Value> = report
        .cases
        .iter()
        .flat_map(|c| c.exchanges.iter().map(move |e| entry(report, &c.id, e)))
        .collect();
    let har = json!({
        "log": {
            "version": "1.2",
            "creator": {"name": report.tool, "version": report.version},
            "pages": [],
            "entries": entries,
            "comment": format!("scimitar run against {}", report.target),
        }
    });
    serde_json::to_string_pretty(&har).unwrap_or_default()
}

fn entry(report: &RunReport, case: &str, e: &Exchange) -> Value {
    let req = &e.request;
    let mut request = json!({
        "method": req.method,
        "url": req.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": headers(&req.headers),
        "queryString": query(&req.url),
        "headersSize": -1,
        "bodySize": req.body.as_ref().map_or(0, |b| b.len() as i64),
    });
    if let Some(body) = &req.body {
        request["postData"] = json!({
            "mimeType": header(&req.headers, "content-type").unwrap_or("application/scim+json"),
            "text": body,
        });
    }
    let response = match &e.response {
        Some(r) => json!({
            "status": r.status,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": headers(&r.headers),
            "content": {
                "size": r.body.len(),
                "mimeType": header(&r.headers, "content-type").unwrap_or(""),
                "text": r.body,
            },
            "redirectURL": header(&r.headers, "location").unwrap_or(""),
            "headersSize": -1,
            "bodySize": r.body.len(),
        }),
        // HAR has no entry without a response: status 0, as browsers
        // record a request that got none.
        None => json!({
            "status": 0,
            "statusText": e.error.as_deref().unwrap_or("no response"),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        }),
    };
    let mut comment = format!("case {case}");
    if let Some(err) = &e.error {
        comment.push_str(&format!("; {err}"));
    }
    if e.response.as_ref().is_some_and(|r| r.body_truncated) {
        comment.push_str("; response body cut in the report");
    }
    json!({
        // Exchanges carry no clock time of their own: the run's start.
        "startedDateTime": report.started_at,
        "time": e.duration_ms,
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": e.duration_ms, "receive": 0},
        "comment": comment,
    })
}

fn headers(list: &[(String, String)]) -> Vec<Value> {
    list.iter()
        .map(|(n, v)| json!({"name": n, "value": v}))
        .collect()
}

fn header<'h>(list: &'h [(String, String)], name: &str) -> Option<&'h str> {
    list.iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn query(url: &str) -> Vec<Value> {
    url::Url::parse(url)
        .map(|u| {
            u.query_pairs()
                .map(|(n, v)| json!({"name": n, "value": v}))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::exchange::{RecordedRequest, RecordedResponse};
    use crate::outcome::{CaseOutcome, Status};
    use crate::rfc::Level;

    #[test]
    fn entries_are_har_1_2_with_the_case_in_the_comment() {
        let mut c = CaseOutcome::pending(
            "crud.create.status-201".into(),
            "t".into(),
            "crud".into(),
            Level::Must,
            vec![],
            "s:1".into(),
        );
        c.status = Status::Failed;
        c.exchanges.push(Exchange {
            request: RecordedRequest {
                method: "GET".into(),
                url: "http://127.0.0.1:1/scim/v2/Users?filter=userName%20eq%20%22a%22".into(),
                headers: vec![("Authorization".into(), "Bearer [redacted]".into())],
                body: None,
            },
            response: Some(RecordedResponse {
                status: 200,
                headers: vec![("Content-Type".into(), "application/scim+json".into())],
                body: "{}".into(),
                body_truncated: false,
            }),
            error: None,
            duration_ms: 3,
            curl: String::new(),
            broken: false,
        });
        let report = crate::report::test_report(vec![c]);
        let har: Value = serde_json::from_str(&render(&report)).unwrap();
        let e = &har["log"]["entries"][0];
        assert_eq!(har["log"]["version"], "1.2");
        assert_eq!(e["comment"], "case crud.create.status-201");
        assert_eq!(e["request"]["queryString"][0]["value"], "userName eq \"a\"");
        assert_eq!(e["request"]["headers"][0]["value"], "Bearer [redacted]");
        assert_eq!(
            e["response"]["content"]["mimeType"],
            "application/scim+json"
        );
    }
}
