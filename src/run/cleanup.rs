//! Keeping the cleanup ledger true. A 2xx to a POST counts as a creation
//! whatever its body: the id comes from the body, else from `Location`,
//! else the creation is kept by the name the run gave it and found later.
//! A deletion counts only when a DELETE answers 2xx, or a 404 that a GET
//! confirms. Cleanup against a target that stopped answering gives up at
//! once, listing what may remain, instead of waiting out every timeout.

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use url::Url;

use super::exec::Context;
use super::ledger::{Ledger, Unread};
use crate::http::{Client, HttpError, Request, Response};

/// Every top-level `id` member of a JSON object, in order (a body with two
/// is ambiguous: JSON parsers disagree on which one counts). None when the
/// body is not a JSON object.
fn body_ids(body: &[u8]) -> Option<Vec<serde_json::Value>> {
    struct Ids;
    impl<'de> Visitor<'de> for Ids {
        type Value = Vec<serde_json::Value>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut ids = vec![];
            while let Some(key) = map.next_key::<String>()? {
                if key == "id" {
                    ids.push(map.next_value::<serde_json::Value>()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(ids)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let ids = (&mut de).deserialize_map(Ids).ok()?;
    de.end().ok()?;
    Some(ids)
}

/// Decodes `%XX` escapes of a path segment (invalid ones stay as they are).
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The id `Location` names under `endpoint`, if it names one there.
fn location_id(base: &Url, endpoint: &str, resp: &Response) -> Option<String> {
    let location = resp.header("location")?;
    let path = crate::discover::resolve_endpoint(base, location).ok()?;
    let rest = path.strip_prefix(&format!("{}/", endpoint.trim_end_matches('/')))?;
    (!rest.is_empty() && !rest.contains('/')).then(|| percent_decode(rest))
}

/// What a create answer says the new resource's id is: the one id that the
/// body and `Location` agree on, or why there is none.
pub fn created_id(base: &Url, endpoint: &str, resp: &Response) -> Result<String, String> {
    let mut ids: Vec<String> = vec![];
    let mut why = None;
    match body_ids(&resp.body) {
        None => {
            why = Some(
                resp.json_problem()
                    .unwrap_or_else(|| "the body is not a JSON object".into()),
            )
        }
        Some(found) => {
            for id in found {
                match id {
                    serde_json::Value::String(s) => ids.push(s),
                    other => why = Some(format!("its id is {other}, not a string")),
                }
            }
        }
    }
    if ids.len() > 1 {
        return Err(format!(
            "the body has {} id members ({})",
            ids.len(),
            ids.join(", ")
        ));
    }
    if let Some(loc) = location_id(base, endpoint, resp) {
        match ids.first() {
            Some(id) if *id != loc => {
                return Err(format!(
                    "the body's id {id} is not the id {loc} in Location"
                ))
            }
            _ => return Ok(loc),
        }
    }
    ids.pop()
        .ok_or_else(|| why.unwrap_or_else(|| "the body has no id and there is no Location".into()))
}

/// The attribute and value that name a resource the run posted: its
/// `userName`, else its `displayName`.
fn posted_name(sent: Option<&[u8]>) -> Option<(String, String)> {
    let body: serde_json::Value = serde_json::from_slice(sent?).ok()?;
    ["userName", "displayName"].iter().find_map(|attr| {
        body[*attr]
            .as_str()
            .map(|v| (attr.to_string(), v.to_string()))
    })
}

/// What a create names, for a list of what may remain: `userName "x" at /Users`.
pub fn describe_create(endpoint: &str, sent: Option<&[u8]>) -> String {
    Unread {
        endpoint: endpoint.trim_end_matches('/').to_string(),
        name: posted_name(sent),
        case: String::new(),
        why: String::new(),
    }
    .describe()
}

/// Records what a 2xx answer to a POST on `endpoint` created; the id when
/// the run can use it (read, and safe in a URL).
pub fn record_create(
    ledger: &Ledger,
    base: &Url,
    endpoint: &str,
    sent: Option<&[u8]>,
    resp: &Response,
    case: &str,
) -> Option<String> {
    if !(200..300).contains(&resp.status) {
        return None;
    }
    match created_id(base, endpoint, resp) {
        Ok(id) => ledger.created(endpoint, &id, case).then_some(id),
        Err(why) => {
            ledger.created_unread(Unread {
                endpoint: endpoint.trim_end_matches('/').to_string(),
                name: posted_name(sent),
                case: case.to_string(),
                why: why.chars().take(200).collect(),
            });
            None
        }
    }
}

/// How long one cleanup request may wait once the target has stopped
/// answering (one more try, not a full timeout per resource).
const LAST_TRY: std::time::Duration = std::time::Duration::from_secs(5);

/// Records a POST to `endpoint` that got no readable answer (a timeout, a
/// broken transfer, a body over the cap): the server may have created the
/// resource, so it is kept by its `Location` when the answer had one, else
/// by name, found later or listed as left behind.
pub fn record_lost_create(
    ledger: &Ledger,
    base: &Url,
    endpoint: &str,
    sent: Option<&[u8]>,
    error: &HttpError,
    case: &str,
) {
    if let HttpError::TooLarge(_, status, _) = error {
        if !(200..300).contains(status) {
            return;
        }
    }
    if let HttpError::TooLarge(_, _, Some(location)) = error {
        let located = Response {
            status: 201,
            headers: vec![("Location".into(), location.clone())],
            body: vec![],
        };
        if let Some(id) = location_id(base, endpoint, &located) {
            ledger.created(endpoint, &id, case);
            return;
        }
    }
    if matches!(
        error,
        HttpError::Timeout(_) | HttpError::Transport(_) | HttpError::TooLarge(..)
    ) {
        ledger.created_unread(Unread {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            name: posted_name(sent),
            case: case.to_string(),
            why: format!("the POST got no answer ({error}); it may have been created"),
        });
    }
}

/// Deletes one created resource; Ok when it is verifiably gone.
pub async fn delete_verified(client: &Client, target: &str) -> Result<(), String> {
    let timeout = client.stopped_answering().map(|_| LAST_TRY);
    let req = Request {
        method: "DELETE".into(),
        target: target.to_string(),
        authenticate: true,
        timeout,
        ..Default::default()
    };
    let (_, result) = client.send(&req).await;
    let status = result
        .map_err(|e| format!("cleanup DELETE {target}: {e}"))?
        .status;
    match status {
        200..=299 => Ok(()),
        404 | 410 => {
            let mut get = Request::get(target);
            get.timeout = timeout;
            let (_, result) = client.send(&get).await;
            match result {
                Ok(r) if matches!(r.status, 404 | 410) => Ok(()),
                Ok(r) => Err(format!(
                    "cleanup DELETE {target} answered {status}, but GET answered {}",
                    r.status
                )),
                Err(e) => Err(format!(
                    "cleanup DELETE {target} answered {status}, and GET to confirm: {e}"
                )),
            }
        }
        other => Err(format!("cleanup DELETE {target} answered {other}")),
    }
}

/// When the breaker has tripped, asks the target once, briefly, whether it
/// answers at all (a server whose creates break may still read and
/// delete); an answer resets the breaker, so cleanup can go on.
pub async fn revive(client: &Client) {
    if client.stopped_answering().is_none() {
        return;
    }
    let mut req = Request::get("/ServiceProviderConfig");
    req.timeout = Some(LAST_TRY);
    let _ = client.send(&req).await;
}

/// Deletes the given created resources; returns a problem to report, if
/// any. Once the target has stopped answering, the rest are not tried:
/// they are recorded as left behind.
pub async fn cleanup_targets(ctx: &Context<'_>, targets: Vec<String>) -> Option<String> {
    let mut problems = vec![];
    let mut targets = targets.into_iter();
    while let Some(target) = targets.next() {
        match delete_verified(ctx.client, &target).await {
            Ok(()) => ctx.ledger.deleted(&target),
            Err(problem) => {
                ctx.ledger.leftover(&target);
                problems.push(problem);
                if let Some(why) = ctx.client.stopped_answering() {
                    let rest: Vec<String> = targets.by_ref().collect();
                    for t in &rest {
                        ctx.ledger.leftover(t);
                    }
                    if !rest.is_empty() {
                        problems.push(format!("{} more not tried: {why}", rest.len()));
                    }
                }
            }
        }
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// Looks up each creation whose id could not be read by the name the run
/// gave it (`userName eq "…"`), where filtering works: one match with that
/// exact name becomes a live resource to delete; a listing without it
/// records it absent. The others stay left behind, by name.
pub async fn find_unread(ctx: &Context<'_>) {
    if !ctx.caps.feature("filter") {
        return;
    }
    for u in ctx.ledger.unread() {
        if ctx.client.stopped_answering().is_some() {
            return;
        }
        let Some((attr, value)) = &u.name else {
            continue;
        };
        let mut req = Request::get(u.endpoint.clone());
        let quoted = serde_json::Value::String(value.clone()).to_string();
        req.query = vec![("filter".into(), format!("{attr} eq {quoted}"))];
        let (_, result) = ctx.client.send(&req).await;
        let Some(body) = result
            .ok()
            .filter(|r| r.status == 200)
            .and_then(|r| r.json())
        else {
            continue;
        };
        let Some(items) = crate::discover::list_items(&body) else {
            continue;
        };
        let named: Vec<&str> = items
            .iter()
            .filter(|i| {
                i[attr.as_str()]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(value))
            })
            .filter_map(|i| i["id"].as_str())
            .collect();
        let complete = body["totalResults"]
            .as_u64()
            .is_none_or(|t| t as usize <= items.len());
        match named[..] {
            [id] if super::ledger::is_safe_id(id) => {
                ctx.ledger.found_unread(&u.endpoint, value, id);
            }
            [] if complete => ctx.ledger.absent_unread(&u),
            _ => {}
        }
    }
}

/// The unread creations named with the run's token that a complete sweep
/// listing of their endpoint did not show are recorded as absent; the
/// others stay left behind.
pub fn settle_unread(ledger: &Ledger, run_token: &str, listed: &[String]) {
    let token = run_token.to_lowercase();
    for u in ledger.unread() {
        let swept = u
            .name
            .as_ref()
            .is_some_and(|(_, v)| v.to_lowercase().starts_with(&token));
        if swept && listed.iter().any(|e| e == &u.endpoint) {
            ledger.absent_unread(&u);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, location: Option<&str>, body: &str) -> Response {
        Response {
            status,
            headers: location
                .map(|l| vec![("Location".to_string(), l.to_string())])
                .unwrap_or_default(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_id_comes_from_the_body_else_location_and_ambiguity_is_refused() {
        let base = Url::parse("http://127.0.0.1:1/scim/v2").unwrap();
        let id = |r: &Response| created_id(&base, "/Users", r);
        assert_eq!(id(&resp(201, None, r#"{"id":"a"}"#)), Ok("a".into()));
        let loc = Some("http://127.0.0.1:1/scim/v2/Users/a%20b");
        assert_eq!(id(&resp(201, loc, "<html>")), Ok("a b".into()));
        assert_eq!(id(&resp(201, Some("/scim/v2/Users/x"), "")), Ok("x".into()));
        assert_eq!(id(&resp(201, Some("Users/y"), "{")), Ok("y".into()));
        let dup = id(&resp(201, None, r#"{"id":"a","x":1,"id":"b"}"#)).unwrap_err();
        assert!(dup.contains("2 id members"), "{dup}");
        let disagree = id(&resp(201, Some("/Users/b"), r#"{"id":"a"}"#)).unwrap_err();
        assert!(disagree.contains("not the id b in Location"), "{disagree}");
        let garbage = id(&resp(201, None, "\u{1}garbage")).unwrap_err();
        assert!(
            garbage.contains("not JSON") && garbage.contains("byte 0"),
            "{garbage}"
        );
        assert!(id(&resp(201, None, "")).unwrap_err().contains("empty"));
        assert!(id(&resp(201, None, r#"{"id":7}"#))
            .unwrap_err()
            .contains("not a string"));
        assert!(id(&resp(201, None, "{}")).unwrap_err().contains("no id"));
        // Another origin's Location names nothing of the target's.
        assert!(id(&resp(201, Some("http://evil.example/scim/v2/Users/z"), "")).is_err());
    }

    #[test]
    fn an_unreadable_create_is_recorded_by_its_posted_name() {
        let base = Url::parse("http://127.0.0.1:1/scim/v2").unwrap();
        let l = Ledger::default();
        let sent = br#"{"userName":"run-ann@example.com"}"#;
        let got = record_create(
            &l,
            &base,
            "/Users",
            Some(sent),
            &resp(201, None, "oops"),
            "c",
        );
        assert_eq!(got, None);
        let (created, _, leftover) = l.totals();
        assert_eq!(created, 1);
        assert!(
            leftover[0].starts_with("userName \"run-ann@example.com\" at /Users"),
            "{leftover:?}"
        );
        assert_eq!(
            record_create(&l, &base, "/Users", Some(sent), &resp(400, None, "{}"), "c"),
            None
        );
        assert_eq!(l.totals().0, 1, "a refusal created nothing");
        settle_unread(&l, "other-token", &["/Users".to_string()]);
        assert_eq!(
            l.absent(),
            0,
            "the sweep never looked for a name without its token"
        );
        settle_unread(&l, "RUN", &["/Users".to_string()]);
        assert_eq!((l.totals().2.len(), l.absent()), (0, 1));
    }

    #[test]
    fn percent_escapes_decode() {
        assert_eq!(percent_decode("a%20b%2"), "a b%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }
}
