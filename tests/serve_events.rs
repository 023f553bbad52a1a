//! The reference server as a SCIM event publisher and receiver (RFC 9967,
//! RFC 8935, RFC 8936), over real loopback HTTP: the SETs each change
//! emits, poll delivery with acknowledgement and re-delivery, push
//! delivery, asynchronous requests, the receiver endpoint, and one test per
//! injectable events or receiver bug.

use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use reqwest::Method;
use scimitar::scim::set::event::{self, EventKind};
use scimitar::scim::set::{
    rejection, validate, Expectations, KeySet, Set, SetBuilder, Signer, SubId, Token, Unsigned,
    MEDIA_TYPE,
};
use scimitar::serve::{
    self, Bug, Bugs, EventsConfig, PushTarget, ReceiverConfig, Running, ServerConfig,
};
use serde_json::{json, Value};
use tokio::sync::mpsc;

const TOKEN: &str = "events-test-token";
const SECRET: &[u8] = b"events-test-secret-0123456789";
const ISS: &str = "https://scimitar.test/reference";
const AUD: &str = "https://receiver.test";

fn events(full: bool) -> EventsConfig {
    EventsConfig {
        issuer: ISS.into(),
        audience: AUD.into(),
        secret: SECRET.to_vec(),
        full,
        push: None,
        receiver: ReceiverConfig {
            issuer: ISS.into(),
            audience: AUD.into(),
            secret: SECRET.to_vec(),
        },
    }
}

/// A running server and a client for it.
struct Server {
    running: Running,
    root: String,
    http: reqwest::Client,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One SET as polled: the token, its claims view and its single event.
#[derive(Debug)]
struct Polled {
    token: Token,
    set: Set,
}

impl Polled {
    fn uri(&self) -> &str {
        &self.set.events[0].uri
    }

    fn kind(&self) -> EventKind {
        self.set.events[0].kind
    }

    fn payload(&self) -> &serde_json::Map<String, Value> {
        &self.set.events[0].payload
    }

    fn claims(&self) -> &serde_json::Map<String, Value> {
        self.token.claims()
    }
}

async fn start(bugs: &[Bug], events: Option<EventsConfig>) -> Server {
    let config = ServerConfig {
        bugs: Bugs::of(bugs.iter().copied()),
        token: Some(TOKEN.into()),
        events,
        ..Default::default()
    };
    let running = serve::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    Server {
        root: format!("http://{}", running.addr),
        running,
        http: reqwest::Client::new(),
    }
}

async fn with_events(bugs: &[Bug]) -> Server {
    start(bugs, Some(events(true))).await
}

impl Server {
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        extra: &[(&str, &str)],
    ) -> Answer {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.root))
            .bearer_auth(TOKEN);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(b.to_string());
        }
        for (name, value) in extra {
            req = req.header(*name, *value);
        }
        let resp = req.send().await.unwrap();
        Answer {
            status: resp.status(),
            headers: resp.headers().clone(),
            body: resp.text().await.unwrap(),
        }
    }

    async fn scim(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.send(method, &format!("/scim/v2{path}"), body, &[])
            .await
    }

    /// Creates a User; its id and ETag.
    async fn create_user(&self, name: &str, extra: Value) -> (String, String) {
        let mut body =
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let a = self.scim(Method::POST, "/Users", Some(body)).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        let id = a.json()["id"].as_str().unwrap().to_string();
        (id, a.header("etag").unwrap().to_string())
    }

    async fn patch(&self, id: &str, ops: Value) -> Answer {
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
        self.scim(Method::PATCH, &format!("/Users/{id}"), Some(body))
            .await
    }

    async fn poll_raw(&self, body: Value, extra: &[(&str, &str)]) -> Answer {
        self.send(Method::POST, "/events/poll", Some(body), extra)
            .await
    }

    /// A poll's `sets`, in order, verified and validated.
    async fn poll(&self, body: Value) -> (Vec<Polled>, Value) {
        let a = self.poll_raw(body, &[]).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.header("content-type"), Some("application/json"));
        let answer = a.json();
        let sets = answer["sets"].as_object().unwrap().iter();
        let polled = sets
            .map(|(jti, token)| {
                let p = decode(token.as_str().unwrap());
                assert_eq!(&p.set.jti, jti);
                p
            })
            .collect();
        (polled, answer)
    }

    /// Every queued SET, acknowledged.
    async fn drain(&self) -> Vec<Polled> {
        let (sets, _) = self.poll(json!({"returnImmediately": true})).await;
        let ack: Vec<&str> = sets.iter().map(|p| p.set.jti.as_str()).collect();
        self.poll(json!({"returnImmediately": true, "maxEvents": 0, "ack": ack}))
            .await;
        sets
    }

    async fn push_set(&self, token: &str, content_type: &str) -> Answer {
        let resp = self
            .http
            .post(format!("{}/events/receiver", self.root))
            .header("content-type", content_type)
            .header("accept", "application/json")
            .body(token.to_string())
            .send()
            .await
            .unwrap();
        Answer {
            status: resp.status(),
            headers: resp.headers().clone(),
            body: resp.text().await.unwrap(),
        }
    }
}

/// Parses a SET leniently (no signature or rule checks).
fn parse(token: &str) -> Polled {
    let token = Token::parse(token).unwrap();
    let set = Set::from_token(&token).unwrap();
    Polled { token, set }
}

/// Parses a SET and checks its signature and every MUST rule.
fn decode(token: &str) -> Polled {
    let p = parse(token);
    p.token
        .verify(&KeySet::hmac(SECRET), Unsigned::Refuse)
        .unwrap();
    let expect = Expectations {
        issuer: Some(ISS.into()),
        audience: Some(AUD.into()),
        txn: None,
        explicit_typing: true,
    };
    let violations = validate(&p.token, &expect);
    assert_eq!(rejection(&violations), None, "{violations:?}");
    p
}

fn kinds(sets: &[Polled]) -> Vec<EventKind> {
    sets.iter().map(Polled::kind).collect()
}

// ---- emission ------------------------------------------------------------------

#[tokio::test]
async fn create_patch_deactivate_and_delete_emit_signed_sets() {
    let s = with_events(&[]).await;
    let (id, etag) = s
        .create_user("bjensen", json!({"externalId": "bj-1", "active": true}))
        .await;
    let created = s.drain().await;
    assert_eq!(kinds(&created), [EventKind::Create]);
    let c = &created[0];
    assert_eq!(c.uri(), event::CREATE_FULL);
    assert_eq!(
        (c.token.typ(), c.token.kid()),
        (Some("secevent+jwt"), Some("scimitar-reference"))
    );
    assert!(!c.claims().contains_key("sub"));
    let sub = c.set.sub_id.as_ref().unwrap();
    assert_eq!(sub.uri, format!("/Users/{id}"));
    assert_eq!(
        (sub.id.as_deref(), sub.external_id.as_deref()),
        (Some(id.as_str()), Some("bj-1"))
    );
    assert_eq!(c.payload()["version"], json!(etag));
    let data = &c.payload()["data"];
    assert_eq!(
        (data["id"].as_str(), data["userName"].as_str()),
        (Some(id.as_str()), Some("bjensen"))
    );
    assert_eq!(data["meta"]["version"], json!(etag));
    assert!(c.set.txn.as_ref().is_some_and(|t| !t.is_empty()));

    let a = s
        .patch(
            &id,
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let patched = s.drain().await;
    assert_eq!(kinds(&patched), [EventKind::Patch, EventKind::Deactivate]);
    assert_eq!(patched[0].uri(), event::PATCH_FULL);
    assert_eq!(
        patched[0].payload()["version"],
        json!(a.header("etag").unwrap())
    );
    assert_eq!(patched[0].payload()["data"]["active"], json!(false));
    assert!(patched[1].payload().is_empty());
    assert_eq!(patched[0].set.txn, patched[1].set.txn);
    assert_ne!(patched[0].set.jti, patched[1].set.jti);
    assert_ne!(patched[0].set.txn, created[0].set.txn);

    let a = s
        .patch(
            &id,
            json!([{"op": "replace", "path": "active", "value": true}]),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        kinds(&s.drain().await),
        [EventKind::Patch, EventKind::Activate]
    );

    let a = s.scim(Method::DELETE, &format!("/Users/{id}"), None).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let deleted = s.drain().await;
    assert_eq!(kinds(&deleted), [EventKind::Delete]);
    assert_eq!(deleted[0].uri(), event::DELETE);
    assert!(deleted[0].payload().is_empty());
    assert_eq!(
        deleted[0]
            .set
            .sub_id
            .as_ref()
            .unwrap()
            .external_id
            .as_deref(),
        Some("bj-1")
    );
    s.running.stop().await;
}

#[tokio::test]
async fn notice_events_list_the_changed_attributes() {
    let s = start(&[], Some(events(false))).await;
    let (id, _) = s.create_user("notice", json!({"title": "t"})).await;
    let created = s.drain().await;
    assert_eq!(created[0].uri(), event::CREATE_NOTICE);
    let attributes = created[0].set.events[0].attributes().unwrap();
    assert!(
        ["id", "userName", "title"]
            .iter()
            .all(|a| attributes.contains(a)),
        "{attributes:?}"
    );
    assert!(!created[0].payload().contains_key("data"));

    let put = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "notice", "nickName": "n"});
    let a = s
        .scim(Method::PUT, &format!("/Users/{id}"), Some(put))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let replaced = s.drain().await;
    assert_eq!(replaced[0].uri(), event::PUT_NOTICE);
    assert_eq!(
        replaced[0].set.events[0].attributes().unwrap(),
        ["nickName", "title"]
    );
    assert_eq!(
        replaced[0].payload()["version"],
        json!(a.header("etag").unwrap())
    );

    let a = s
        .patch(
            &id,
            json!([{"op": "add", "path": "displayName", "value": "D"}]),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let patched = s.drain().await;
    assert_eq!(patched[0].uri(), event::PATCH_NOTICE);
    assert_eq!(
        patched[0].set.events[0].attributes().unwrap(),
        ["displayName"]
    );
    s.running.stop().await;
}

#[tokio::test]
async fn failed_operations_and_servers_without_events_emit_nothing() {
    let s = with_events(&[]).await;
    let (id, _) = s.create_user("fails", json!({})).await;
    s.drain().await;
    let a = s
        .patch(&id, json!([{"op": "jump", "path": "title", "value": "x"}]))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = s.scim(Method::POST, "/Users", Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "fails"}))).await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(s.drain().await.is_empty());
    let spc = s
        .scim(Method::GET, "/ServiceProviderConfig", None)
        .await
        .json();
    assert_eq!(spc["securityEvents"]["asyncRequest"], json!("request"));
    let uris = spc["securityEvents"]["eventUris"].as_array().unwrap();
    assert!(
        uris.contains(&json!(event::PATCH_FULL)) && uris.contains(&json!(event::ASYNC_RESPONSE))
    );
    s.running.stop().await;

    let off = start(&[], None).await;
    let spc = off
        .scim(Method::GET, "/ServiceProviderConfig", None)
        .await
        .json();
    assert!(spc.get("securityEvents").is_none());
    let a = off.poll_raw(json!({}), &[]).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    off.running.stop().await;
}

// ---- poll delivery (RFC 8936) ---------------------------------------------------------

#[tokio::test]
async fn unacknowledged_sets_are_delivered_again_and_acknowledged_ones_are_not() {
    let s = with_events(&[]).await;
    s.create_user("a", json!({})).await;
    s.create_user("b", json!({})).await;
    let (first, _) = s.poll(json!({"returnImmediately": true})).await;
    assert_eq!(first.len(), 2);
    let (again, _) = s.poll(json!({"returnImmediately": true})).await;
    let jtis = |sets: &[Polled]| sets.iter().map(|p| p.set.jti.clone()).collect::<Vec<_>>();
    assert_eq!(jtis(&again), jtis(&first));
    let (rest, _) = s
        .poll(json!({"returnImmediately": true, "ack": [first[0].set.jti]}))
        .await;
    assert_eq!(jtis(&rest), [first[1].set.jti.clone()]);
    let errs = json!({"returnImmediately": true, "setErrs": {first[1].set.jti.clone(): {"err": "invalid_key", "description": "no"}}});
    let (none, answer) = s.poll(errs).await;
    assert!(none.is_empty());
    assert_eq!(answer, json!({"sets": {}}));
    s.running.stop().await;
}

#[tokio::test]
async fn max_events_is_honoured_and_zero_only_acknowledges() {
    let s = with_events(&[]).await;
    for name in ["m1", "m2", "m3"] {
        s.create_user(name, json!({})).await;
    }
    let (two, answer) = s
        .poll(json!({"returnImmediately": true, "maxEvents": 2}))
        .await;
    assert_eq!(two.len(), 2);
    assert_eq!(answer["moreAvailable"], json!(true));
    let ack: Vec<&str> = two.iter().map(|p| p.set.jti.as_str()).collect();
    let (none, answer) = s
        .poll(json!({"returnImmediately": true, "maxEvents": 0, "ack": ack}))
        .await;
    assert!(none.is_empty());
    assert_eq!(answer["moreAvailable"], json!(true));
    let (last, answer) = s
        .poll(json!({"returnImmediately": true, "maxEvents": 5}))
        .await;
    assert_eq!(last.len(), 1);
    assert!(answer.get("moreAvailable").is_none());
    s.running.stop().await;
}

#[tokio::test]
async fn a_long_poll_returns_when_a_set_is_queued_or_its_bound_passes() {
    let s = with_events(&[]).await;
    let start = Instant::now();
    let a = s
        .poll_raw(json!({"maxEvents": 5}), &[("prefer", "wait=1")])
        .await;
    let waited = start.elapsed();
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json(), json!({"sets": {}}));
    // It waited for the asked second, not for the default bound (10 s).
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(9),
        "{waited:?}"
    );

    let creator = {
        let root = s.root.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "late"});
            reqwest::Client::new()
                .post(format!("{root}/scim/v2/Users"))
                .bearer_auth(TOKEN)
                .header("content-type", "application/scim+json")
                .body(body.to_string())
                .send()
                .await
                .map(|r| r.status())
        })
    };
    let start = Instant::now();
    let (sets, _) = s.poll(json!({})).await;
    // Woken by the SET, not ended by the default bound (10 s).
    assert!(
        start.elapsed() < Duration::from_secs(9),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(kinds(&sets), [EventKind::Create]);
    assert_eq!(creator.await.unwrap().unwrap(), StatusCode::CREATED);
    s.running.stop().await;
}

#[tokio::test]
async fn a_long_poll_on_an_empty_stream_ends_within_ten_seconds() {
    let s = with_events(&[]).await;
    let start = Instant::now();
    let a = s.poll_raw(json!({"returnImmediately": false}), &[]).await;
    let waited = start.elapsed();
    assert_eq!(a.status, StatusCode::OK);
    // It ended by itself (the request has no timeout of its own), after
    // the default bound, not at once.
    assert!(waited >= Duration::from_secs(9), "{waited:?}");
    s.running.stop().await;
}

#[tokio::test]
async fn malformed_or_unauthenticated_polls_are_refused() {
    let s = with_events(&[]).await;
    for body in [
        json!([]),
        json!({"maxEvents": -1}),
        json!({"ack": "x"}),
        json!({"returnImmediately": "yes"}),
    ] {
        let a = s.poll_raw(body.clone(), &[]).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(a.json()["err"], json!("invalid_request"), "{body}");
    }
    let a = reqwest::Client::new()
        .post(format!("{}/events/poll", s.root))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(a.status(), StatusCode::UNAUTHORIZED);
    s.running.stop().await;
}

// ---- push delivery (RFC 8935) --------------------------------------------------------

/// What a test receiver saw of one push.
#[derive(Debug)]
struct Pushed {
    content_type: String,
    accept: String,
    authorization: String,
    body: String,
}

/// A plain-HTTP receiver that answers 202 and reports each push.
async fn receiver() -> (String, mpsc::UnboundedReceiver<Pushed>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    (url, answering(listener, StatusCode::ACCEPTED, ""))
}

/// Serves pushes on `listener`, answering each with `status` and `body`.
fn answering(
    listener: tokio::net::TcpListener,
    status: StatusCode,
    body: &'static str,
) -> mpsc::UnboundedReceiver<Pushed> {
    answering_in_turn(listener, vec![status], body)
}

/// Like [`answering`], with `statuses` in turn for the first pushes and
/// the last of them for every push after.
fn answering_in_turn(
    listener: tokio::net::TcpListener,
    statuses: Vec<StatusCode>,
    body: &'static str,
) -> mpsc::UnboundedReceiver<Pushed> {
    let (tx, rx) = mpsc::unbounded_channel();
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let handler = move |headers: HeaderMap, pushed: String| {
        let tx = tx.clone();
        let n = answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let status = statuses[n.min(statuses.len() - 1)];
        async move {
            let h = |n: &str| {
                headers
                    .get(n)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string()
            };
            let _ = tx.send(Pushed {
                content_type: h("content-type"),
                accept: h("accept"),
                authorization: h("authorization"),
                body: pushed,
            });
            (status, [("content-type", "application/json")], body)
        }
    };
    let app = axum::Router::new().route("/events", axum::routing::post(handler));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    rx
}

async fn pushing_to(url: String, bugs: &[Bug]) -> Server {
    let mut config = events(true);
    config.push = Some(PushTarget {
        url,
        root_cert_pem: None,
        token: Some("push-token-1".into()),
    });
    start(bugs, Some(config)).await
}

async fn pushing(bugs: &[Bug]) -> (Server, mpsc::UnboundedReceiver<Pushed>) {
    let (url, rx) = receiver().await;
    (pushing_to(url, bugs).await, rx)
}

async fn next_push(rx: &mut mpsc::UnboundedReceiver<Pushed>) -> Pushed {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn pushed_sets_reach_the_receiver_in_order_and_are_not_polled() {
    let (s, mut rx) = pushing(&[]).await;
    let (id, _) = s.create_user("pushed", json!({})).await;
    s.patch(
        &id,
        json!([{"op": "replace", "path": "active", "value": false}]),
    )
    .await;
    let mut seen = Vec::new();
    for _ in 0..3 {
        let p = next_push(&mut rx).await;
        assert_eq!(p.content_type, MEDIA_TYPE);
        assert_eq!(p.accept, "application/json");
        assert_eq!(p.authorization, "Bearer push-token-1");
        seen.push(decode(&p.body).kind());
    }
    assert_eq!(
        seen,
        [EventKind::Create, EventKind::Patch, EventKind::Deactivate]
    );
    assert!(s.drain().await.is_empty());
    s.running.stop().await;
}

#[tokio::test]
async fn a_push_is_retried_until_the_receiver_is_up() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    // Unavailable at first (503, worth retrying), then accepting.
    let statuses = vec![StatusCode::SERVICE_UNAVAILABLE, StatusCode::ACCEPTED];
    let mut rx = answering_in_turn(listener, statuses, "");
    let s = pushing_to(url, &[]).await;
    s.create_user("retried", json!({})).await;
    let refused = decode(&next_push(&mut rx).await.body);
    let retried = decode(&next_push(&mut rx).await.body);
    assert_eq!(retried.kind(), EventKind::Create);
    assert_eq!(refused.set.jti, retried.set.jti, "the same SET again");
    s.running.stop().await;
}

#[tokio::test]
async fn a_rejected_push_is_not_retried() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    let rejection = r#"{"err": "invalid_audience", "description": "not for me"}"#;
    let mut rx = answering(listener, StatusCode::BAD_REQUEST, rejection);
    let s = pushing_to(url, &[]).await;
    s.create_user("rejected", json!({})).await;
    s.create_user("rejected2", json!({})).await;
    // The second SET comes next: the first was not pushed again.
    let first = decode(&next_push(&mut rx).await.body);
    let second = decode(&next_push(&mut rx).await.body);
    assert_ne!(first.set.jti, second.set.jti);
    s.running.stop().await;
}

// ---- asynchronous requests (RFC 9967 §2.5.1) -------------------------------------------

fn user(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name})
}

const ASYNC: [(&str, &str); 2] = [("prefer", "respond-async"), ("accept", "text/html")];

#[tokio::test]
async fn an_async_put_answers_202_and_its_asyncresp_carries_the_set_txn() {
    let s = with_events(&[]).await;
    let (id, _) = s.create_user("async", json!({})).await;
    s.drain().await;
    let path = format!("/scim/v2/Users/{id}");
    let a = s
        .send(Method::PUT, &path, Some(user("async2")), &ASYNC)
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    assert!(a.body.is_empty(), "{}", a.body);
    assert_eq!(a.header("preference-applied"), Some("respond-async"));
    assert!(a
        .header("location")
        .unwrap()
        .ends_with(&format!("/scim/v2/Users/{id}")));
    let txn = a.header("set-txn").unwrap().to_string();
    let sets = s.drain().await;
    assert_eq!(kinds(&sets), [EventKind::Put, EventKind::AsyncResp]);
    for p in &sets {
        assert_eq!(p.set.txn.as_deref(), Some(txn.as_str()));
        let expect = Expectations {
            txn: Some(txn.clone()),
            ..Default::default()
        };
        assert_eq!(rejection(&validate(&p.token, &expect)), None);
    }
    let done = &sets[1].set.events[0];
    assert_eq!((done.method(), done.status()), (Some("PUT"), Some(200)));
    assert_eq!(done.payload["status"], json!("200"));
    assert_eq!(done.version(), sets[0].set.events[0].version());
    let get = s.scim(Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(get.json()["userName"], json!("async2"));
    s.running.stop().await;
}

#[tokio::test]
async fn async_creates_and_failures_report_their_outcome() {
    let s = with_events(&[]).await;
    let a = s
        .send(Method::POST, "/scim/v2/Users", Some(user("made")), &ASYNC)
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    let sets = s.drain().await;
    assert_eq!(kinds(&sets), [EventKind::Create, EventKind::AsyncResp]);
    let id = sets[0].set.sub_id.as_ref().unwrap().id.clone().unwrap();
    assert!(a
        .header("location")
        .unwrap()
        .ends_with(&format!("/Users/{id}")));
    assert_eq!(sets[1].set.events[0].status(), Some(201));

    let a = s
        .send(Method::POST, "/scim/v2/Users", Some(user("made")), &ASYNC)
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    assert!(a.body.is_empty());
    let sets = s.drain().await;
    assert_eq!(kinds(&sets), [EventKind::AsyncResp]);
    let failed = &sets[0].set.events[0];
    assert_eq!(failed.payload["status"], json!("409"));
    assert_eq!(failed.payload["response"]["status"], json!("409"));
    assert_eq!(sets[0].set.txn.as_deref(), a.header("set-txn"));

    let a = s
        .send(Method::DELETE, "/scim/v2/Users/nope", None, &ASYNC)
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    let sets = s.drain().await;
    assert_eq!(sets[0].set.events[0].status(), Some(404));
    assert_eq!(sets[0].set.sub_id.as_ref().unwrap().uri, "/Users/nope");
    s.running.stop().await;
}

// ---- the receiver endpoint (RFC 8935 §2) ------------------------------------------------

fn pushed_set(jti: &str) -> SetBuilder {
    SetBuilder::new(ISS, jti, 1_700_000_000)
        .audience(AUD)
        .txn("t-1")
        .sub_id(&SubId::scim("/Users/u1"))
        .event(event::DELETE, json!({}))
}

fn signed(b: &SetBuilder) -> String {
    b.sign(&Signer::hs256(SECRET))
}

async fn refused(s: &Server, token: &str, content_type: &str, err: &str) {
    let a = s.push_set(token, content_type).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert_eq!(a.header("content-type"), Some("application/json"));
    assert_eq!(a.header("content-language"), Some("en"));
    assert_eq!(a.json()["err"], json!(err), "{}", a.body);
    assert!(a.json()["description"].is_string());
}

async fn received(s: &Server) -> Value {
    s.send(Method::GET, "/events/receiver/received", None, &[])
        .await
        .json()
}

#[tokio::test]
async fn the_receiver_accepts_valid_sets_once_and_refuses_bad_ones() {
    let s = with_events(&[]).await;
    let good = signed(&pushed_set("r-1"));
    for _ in 0..2 {
        let a = s.push_set(&good, MEDIA_TYPE).await;
        assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
        assert!(a.body.is_empty());
    }
    assert_eq!(received(&s).await, json!({"processed": 1, "jtis": ["r-1"]}));

    let forged = pushed_set("r-2").sign(&Signer::hs256(b"another secret"));
    refused(&s, &forged, MEDIA_TYPE, "invalid_key").await;
    refused(
        &s,
        &signed(&pushed_set("r-3").claim("aud", json!(["elsewhere"]))),
        MEDIA_TYPE,
        "invalid_audience",
    )
    .await;
    refused(
        &s,
        &signed(&pushed_set("r-4").claim("iss", json!("someone"))),
        MEDIA_TYPE,
        "invalid_issuer",
    )
    .await;
    let with_sub = pushed_set("r-5")
        .without_claim("sub_id")
        .claim("sub", json!("/Users/u1"));
    refused(&s, &signed(&with_sub), MEDIA_TYPE, "invalid_request").await;
    refused(&s, &good, "application/json", "invalid_request").await;
    refused(&s, "not a token", MEDIA_TYPE, "invalid_request").await;
    refused(&s, &pushed_set("r-6").unsigned(), MEDIA_TYPE, "invalid_key").await;
    assert_eq!(received(&s).await["processed"], json!(1));

    let a = reqwest::Client::new()
        .get(format!("{}/events/receiver/received", s.root))
        .send()
        .await
        .unwrap();
    assert_eq!(a.status(), StatusCode::UNAUTHORIZED);
    s.running.stop().await;
}

// ---- one test per bug --------------------------------------------------------------------

/// The SETs of one PATCH setting `active` to false.
async fn deactivation(bugs: &[Bug]) -> (Server, String, Vec<Polled>) {
    let s = with_events(bugs).await;
    let (id, _) = s.create_user("bug", json!({"active": true})).await;
    s.drain().await;
    let a = s
        .patch(
            &id,
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let (sets, _) = s.poll(json!({"returnImmediately": true})).await;
    (s, id, sets)
}

/// The raw SETs of a poll, without checks.
async fn raw_poll(s: &Server) -> Vec<Polled> {
    let a = s.poll_raw(json!({"returnImmediately": true}), &[]).await;
    a.json()["sets"]
        .as_object()
        .unwrap()
        .values()
        .map(|t| parse(t.as_str().unwrap()))
        .collect()
}

#[tokio::test]
async fn bug_set_sub_claim() {
    let s = with_events(&[Bug::SetSubClaim]).await;
    let (id, _) = s.create_user("sub", json!({})).await;
    let sets = raw_poll(&s).await;
    assert_eq!(sets[0].claims()["sub"], json!(format!("/Users/{id}")));
    assert!(sets[0].set.sub_id.is_none());
    let v = validate(&sets[0].token, &Expectations::default());
    assert_eq!(rejection(&v).map(|v| v.id()), Some("R9967-2.1-03"));
}

#[tokio::test]
async fn bug_sub_id_absolute_uri() {
    let s = with_events(&[Bug::SubIdAbsoluteUri]).await;
    let (id, _) = s.create_user("abs", json!({})).await;
    let sets = s.drain().await;
    let uri = &sets[0].set.sub_id.as_ref().unwrap().uri;
    assert_eq!(uri, &format!("{}/scim/v2/Users/{id}", s.root));
}

#[tokio::test]
async fn bug_notice_with_data() {
    let s = start(&[Bug::NoticeWithData], Some(events(false))).await;
    s.create_user("nd", json!({})).await;
    let sets = raw_poll(&s).await;
    assert_eq!(sets[0].uri(), event::CREATE_NOTICE);
    assert!(sets[0].payload().contains_key("data") && sets[0].payload().contains_key("attributes"));
}

#[tokio::test]
async fn bug_no_deactivate_event() {
    let (_, _, sets) = deactivation(&[Bug::NoDeactivateEvent]).await;
    assert_eq!(kinds(&sets), [EventKind::Patch]);
}

#[tokio::test]
async fn bug_set_txn_mismatch() {
    let s = with_events(&[Bug::SetTxnMismatch]).await;
    let a = s
        .send(Method::POST, "/scim/v2/Users", Some(user("tx")), &ASYNC)
        .await;
    let sets = s.drain().await;
    assert_eq!(sets[1].kind(), EventKind::AsyncResp);
    assert_ne!(sets[1].set.txn.as_deref(), a.header("set-txn"));
}

#[tokio::test]
async fn bug_event_version_stale() {
    let s = with_events(&[Bug::EventVersionStale]).await;
    let (id, etag) = s.create_user("stale", json!({})).await;
    s.drain().await;
    let a = s
        .patch(&id, json!([{"op": "add", "path": "title", "value": "x"}]))
        .await;
    let sets = s.drain().await;
    assert_eq!(sets[0].payload()["version"], json!(etag));
    assert_ne!(
        sets[0].payload()["version"],
        json!(a.header("etag").unwrap())
    );
}

#[tokio::test]
async fn bug_event_on_failed_operation() {
    let s = with_events(&[Bug::EventOnFailedOperation]).await;
    let (id, _) = s.create_user("failed", json!({})).await;
    s.drain().await;
    let a = s.patch(&id, json!([{"op": "jump", "path": "title"}])).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(kinds(&s.drain().await), [EventKind::Patch]);
}

#[tokio::test]
async fn bug_duplicate_jti() {
    // The patch and the deactivation share a jti: the poll answer, keyed by
    // jti, can hold only one of them.
    let (_, _, sets) = deactivation(&[Bug::DuplicateJti]).await;
    assert_eq!(sets.len(), 1);
    assert_eq!(Some(&sets[0].set.jti), sets[0].set.txn.as_ref());
}

#[tokio::test]
async fn bug_delete_with_payload() {
    let s = with_events(&[Bug::DeleteWithPayload]).await;
    let (id, _) = s.create_user("del", json!({})).await;
    s.drain().await;
    s.scim(Method::DELETE, &format!("/Users/{id}"), None).await;
    let sets = raw_poll(&s).await;
    assert_eq!(sets[0].uri(), event::DELETE);
    assert_eq!(sets[0].payload()["data"]["id"], json!(id));
}

#[tokio::test]
async fn bug_async_with_body() {
    let s = with_events(&[Bug::AsyncWithBody]).await;
    let a = s
        .send(Method::POST, "/scim/v2/Users", Some(user("body")), &ASYNC)
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    assert_eq!(a.json()["userName"], json!("body"));
}

#[tokio::test]
async fn bug_poll_no_redelivery() {
    let s = with_events(&[Bug::PollNoRedelivery]).await;
    s.create_user("once", json!({})).await;
    let (first, _) = s.poll(json!({"returnImmediately": true})).await;
    assert_eq!(first.len(), 1);
    let (again, _) = s.poll(json!({"returnImmediately": true})).await;
    assert!(again.is_empty());
}

#[tokio::test]
async fn bug_poll_max_events_ignored() {
    let s = with_events(&[Bug::PollMaxEventsIgnored]).await;
    for name in ["x1", "x2", "x3"] {
        s.create_user(name, json!({})).await;
    }
    let (sets, _) = s
        .poll(json!({"returnImmediately": true, "maxEvents": 1}))
        .await;
    assert_eq!(sets.len(), 3);
}

#[tokio::test]
async fn bug_poll_return_immediately_ignored() {
    let short = json!({"returnImmediately": true, "maxEvents": 0});
    let clean = with_events(&[]).await;
    let started = std::time::Instant::now();
    clean.poll(short.clone()).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    let s = with_events(&[Bug::PollReturnImmediatelyIgnored]).await;
    let started = std::time::Instant::now();
    s.poll(short).await;
    assert!(started.elapsed() >= std::time::Duration::from_secs(3));
}

#[tokio::test]
async fn bug_poll_empty_sets_array() {
    let short = json!({"returnImmediately": true, "maxEvents": 0});
    let clean = with_events(&[]).await;
    assert_eq!(
        clean.poll_raw(short.clone(), &[]).await.json()["sets"],
        json!({})
    );
    let s = with_events(&[Bug::PollEmptySetsArray]).await;
    assert_eq!(s.poll_raw(short, &[]).await.json()["sets"], json!([]));
}

#[tokio::test]
async fn bug_poll_invalid_200() {
    let invalid = json!({"maxEvents": "many"});
    let clean = with_events(&[]).await;
    assert_eq!(
        clean.poll_raw(invalid.clone(), &[]).await.status,
        StatusCode::BAD_REQUEST
    );
    let s = with_events(&[Bug::PollInvalid200]).await;
    assert_eq!(s.poll_raw(invalid, &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn bug_poll_no_challenge() {
    for (bugs, challenged) in [(&[][..], true), (&[Bug::PollNoChallenge][..], false)] {
        let s = with_events(bugs).await;
        let resp = s
            .http
            .post(format!("{}/events/poll", s.root))
            .header("content-type", "application/json")
            .body(json!({"returnImmediately": true, "maxEvents": 0}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(resp.headers().contains_key("www-authenticate"), challenged);
    }
}

#[tokio::test]
async fn bug_event_uris_incomplete() {
    let clean = with_events(&[]).await;
    let spc = clean
        .scim(Method::GET, "/ServiceProviderConfig", None)
        .await
        .json();
    assert!(spc["securityEvents"]["eventUris"]
        .as_array()
        .unwrap()
        .contains(&json!(event::DELETE)));
    let s = with_events(&[Bug::EventUrisIncomplete]).await;
    let spc = s
        .scim(Method::GET, "/ServiceProviderConfig", None)
        .await
        .json();
    assert!(!spc["securityEvents"]["eventUris"]
        .as_array()
        .unwrap()
        .contains(&json!(event::DELETE)));
}

#[tokio::test]
async fn bug_push_wrong_content_type() {
    let (s, mut rx) = pushing(&[Bug::PushWrongContentType]).await;
    s.create_user("json", json!({})).await;
    assert_eq!(next_push(&mut rx).await.content_type, "application/json");
}

#[tokio::test]
async fn bug_push_retransmits() {
    let (s, mut rx) = pushing(&[Bug::PushRetransmits]).await;
    s.create_user("twice", json!({})).await;
    let first = next_push(&mut rx).await;
    let again = next_push(&mut rx).await;
    assert_eq!(
        first.body, again.body,
        "the acknowledged SET is pushed again"
    );
}

#[tokio::test]
async fn bug_events_unsigned() {
    let s = with_events(&[Bug::EventsUnsigned]).await;
    s.create_user("none", json!({})).await;
    let sets = raw_poll(&s).await;
    assert_eq!(sets[0].token.alg(), Some("none"));
    assert!(sets[0]
        .token
        .verify(&KeySet::hmac(SECRET), Unsigned::Refuse)
        .is_err());
}

#[tokio::test]
async fn bug_receiver_accepts_bad_signature() {
    let s = with_events(&[Bug::ReceiverAcceptsBadSignature]).await;
    let forged = pushed_set("b-1").sign(&Signer::hs256(b"another secret"));
    assert_eq!(
        s.push_set(&forged, MEDIA_TYPE).await.status,
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn bug_receiver_accepts_wrong_audience() {
    let s = with_events(&[Bug::ReceiverAcceptsWrongAudience]).await;
    let token = signed(&pushed_set("b-2").claim("aud", json!(["elsewhere"])));
    assert_eq!(
        s.push_set(&token, MEDIA_TYPE).await.status,
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn bug_receiver_accepts_sub_claim() {
    let s = with_events(&[Bug::ReceiverAcceptsSubClaim]).await;
    let token = signed(
        &pushed_set("b-3")
            .without_claim("sub_id")
            .claim("sub", json!("/Users/u1")),
    );
    assert_eq!(
        s.push_set(&token, MEDIA_TYPE).await.status,
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn bug_receiver_processes_duplicates() {
    let s = with_events(&[Bug::ReceiverProcessesDuplicates]).await;
    let token = signed(&pushed_set("b-4"));
    for _ in 0..2 {
        assert_eq!(
            s.push_set(&token, MEDIA_TYPE).await.status,
            StatusCode::ACCEPTED
        );
    }
    assert_eq!(received(&s).await["processed"], json!(2));
}

#[test]
fn every_events_bug_has_a_test_here() {
    let source = include_str!("serve_events.rs");
    for bug in Bug::ALL
        .iter()
        .filter(|b| matches!(b.area(), "events" | "receiver"))
    {
        let test = format!("fn bug_{}()", bug.name().replace('-', "_"));
        assert!(source.contains(&test), "no test {test}");
    }
}
