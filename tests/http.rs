//! The transport against real loopback servers: redirects never carry
//! credentials to another origin, size and time limits hold against hostile
//! responses, OAuth 2.0 and basic auth work, secrets never reach a record.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use scimitar::http::{Auth, Client, ClientConfig, HttpError, Request};
use scimitar::serve::{self, ServerConfig};

async fn spawn(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn client(base: &str, token: &str, max: usize, timeout: Duration) -> Client {
    let mut config = ClientConfig::new(base.parse().unwrap());
    config.auth = Auth::Bearer {
        token: token.into(),
        env: "T".into(),
    };
    config.max_response_bytes = max;
    config.timeout = timeout;
    Client::new(config).unwrap()
}

#[tokio::test]
async fn redirects_to_another_origin_are_not_followed() {
    let stolen = Arc::new(AtomicUsize::new(0));
    let seen = stolen.clone();
    let thief = spawn(Router::new().fallback(move || {
        seen.fetch_add(1, Ordering::SeqCst);
        async { "got it" }
    }))
    .await;
    let target = format!("{thief}/steal");
    let victim = spawn(
        Router::new()
            .route(
                "/away",
                get(move || async move { (StatusCode::FOUND, [(header::LOCATION, target)]) }),
            )
            .route(
                "/here",
                get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/final")]) }),
            )
            .route("/final", get(|| async { "ok" }))
            .route(
                "/loop",
                get(|| async {
                    (
                        StatusCode::TEMPORARY_REDIRECT,
                        [(header::LOCATION, "/loop")],
                    )
                }),
            ),
    )
    .await;
    let c = client(&victim, "secret-token-1", 1 << 20, Duration::from_secs(5));
    let (ex, res) = c.send(&Request::get("/away")).await;
    let err = res.unwrap_err();
    assert!(matches!(err, HttpError::OffOriginRedirect(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("redirect to another origin not followed: Location {thief}/steal")
    );
    assert_eq!(
        stolen.load(Ordering::SeqCst),
        0,
        "credentials went to another origin"
    );
    assert!(ex.error.unwrap().contains("another origin"));
    let (_, res) = c.send(&Request::get("/loop")).await;
    let err = res.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("redirect loop: more than 5 redirects"),
        "{err}"
    );
    let (_, res) = c.send(&Request::get("/here")).await;
    assert_eq!(
        res.unwrap().status,
        200,
        "same-origin redirects are followed"
    );
}

#[tokio::test]
async fn oversized_endless_and_stalled_responses_are_cut_off() {
    let app = Router::new()
        .route("/big", get(|| async { "x".repeat(2 << 20) }))
        .route(
            "/endless",
            get(|| async {
                let chunks = futures::stream::unfold((), |_| async {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    Some((Ok::<_, std::io::Error>(vec![b'y'; 8192]), ()))
                });
                Body::from_stream(chunks)
            }),
        )
        .route(
            "/stalled",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        );
    let base = spawn(app).await;
    let c = client(&base, "t0k3n-abc", 1 << 20, Duration::from_millis(800));
    let (_, res) = c.send(&Request::get("/big")).await;
    assert_eq!(res.unwrap_err(), HttpError::TooLarge(1 << 20, 200, None));
    let started = Instant::now();
    let (ex, res) = c.send(&Request::get("/endless")).await;
    assert!(matches!(
        res.unwrap_err(),
        HttpError::TooLarge(..) | HttpError::Timeout(_)
    ));
    assert!(ex.error.is_some());
    let (_, res) = c.send(&Request::get("/stalled")).await;
    assert!(matches!(res.unwrap_err(), HttpError::Timeout(_)));
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn echoed_secrets_are_redacted_from_records() {
    let app = Router::new().route(
        "/echo",
        get(|h: HeaderMap| async move {
            let auth = h
                .get(header::AUTHORIZATION)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            let key = h.get("x-api-key").unwrap().to_str().unwrap().to_string();
            (
                [("x-echo", auth.clone())],
                format!("{{\"you\": \"{auth}\", \"key\": \"{key}\"}}"),
            )
                .into_response()
        }),
    );
    let base = spawn(app).await;
    let mut config = ClientConfig::new(base.parse().unwrap());
    config.auth = Auth::Bearer {
        token: "very-secret-token".into(),
        env: "T".into(),
    };
    config.headers = vec![("X-Api-Key".into(), "key-material-42".into())];
    let c = Client::new(config).unwrap();
    let (ex, res) = c.send(&Request::get("/echo")).await;
    assert_eq!(res.unwrap().status, 200);
    let record = serde_json::to_string(&ex).unwrap();
    assert!(
        !record.contains("very-secret-token") && !record.contains("key-material-42"),
        "{record}"
    );
    assert!(ex.curl.contains("$T"), "{}", ex.curl);
}

#[tokio::test]
async fn oauth_client_credentials_and_basic_auth_reach_the_reference_server() {
    let config = ServerConfig {
        token: Some("issued-token-777".into()),
        basic: Some(("admin".into(), "basic-pw-888".into())),
        oauth_client: Some(("scimitar".into(), "client-secret-999".into())),
        ..Default::default()
    };
    let server = serve::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let root = format!("http://{}", server.addr);
    let oauth = |secret: &str| {
        let mut c = ClientConfig::new(server.base_url.parse().unwrap());
        c.auth = Auth::OAuth2 {
            token_url: format!("{root}/oauth/token").parse().unwrap(),
            client_id: "scimitar".into(),
            client_secret: secret.into(),
            scope: None,
        };
        Client::new(c).unwrap()
    };
    let c = oauth("client-secret-999");
    let (ex, res) = c.send(&Request::get("/Users")).await;
    assert_eq!(res.unwrap().status, 200);
    let record = serde_json::to_string(&ex).unwrap();
    assert!(
        !record.contains("issued-token-777"),
        "the access token leaked: {record}"
    );
    let (_, res) = oauth("wrong").send(&Request::get("/Users")).await;
    assert!(matches!(res.unwrap_err(), HttpError::Token(_)));

    let mut basic = ClientConfig::new(server.base_url.parse().unwrap());
    basic.auth = Auth::Basic {
        user: "admin".into(),
        password: "basic-pw-888".into(),
        env: "P".into(),
    };
    let (ex, res) = Client::new(basic)
        .unwrap()
        .send(&Request::get("/Users"))
        .await;
    assert_eq!(res.unwrap().status, 200);
    assert!(ex.curl.contains("-u \"admin:$P\""));
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_basic_password_is_refused() {
    let config = ServerConfig {
        token: Some("t-123456".into()),
        basic: Some(("admin".into(), "right".into())),
        ..Default::default()
    };
    let server = serve::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let mut basic = ClientConfig::new(server.base_url.parse().unwrap());
    basic.auth = Auth::Basic {
        user: "admin".into(),
        password: "wrong".into(),
        env: "P".into(),
    };
    let (_, res) = Client::new(basic)
        .unwrap()
        .send(&Request::get("/Users"))
        .await;
    assert_eq!(res.unwrap().status, 401);
    server.stop().await;
}
