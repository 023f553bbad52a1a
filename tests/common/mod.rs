//! Shared by the integration tests: a reference server and a client for it.

#![allow(dead_code)]

use std::time::Duration;

use std::sync::atomic::AtomicBool;

use scimitar::discover::Capabilities;
use scimitar::http::{Auth, Client, ClientConfig};
use scimitar::outcome::RunReport;
use scimitar::run::{self, RunOptions};
use scimitar::serve::{self, Bugs, Running, ServerConfig};
use scimitar::suite::Case;

/// A reference server with these bugs, a bearer-authenticated client for it,
/// and what discovery found.
pub async fn embedded(bugs: Bugs, token: &str) -> (Running, Client, Capabilities) {
    let config = ServerConfig {
        bugs,
        token: Some(token.into()),
        ..Default::default()
    };
    embedded_with(config, None).await
}

/// A reference server started with `config` (whose token the client uses),
/// with an optional client timeout.
pub async fn embedded_with(
    config: ServerConfig,
    timeout: Option<Duration>,
) -> (Running, Client, Capabilities) {
    let token = config.token.clone().unwrap_or_default();
    let server = serve::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let mut client = ClientConfig::new(server.base_url.parse().unwrap());
    client.auth = Auth::Bearer {
        token,
        env: "SCIMITAR_TOKEN".into(),
    };
    if let Some(t) = timeout {
        client.timeout = t;
    }
    let client = Client::new(client).unwrap();
    let caps = Capabilities::discover(&client).await.unwrap();
    (server, client, caps)
}

/// Runs cases against a target, eight at a time, to the end.
pub async fn run_cases(client: &Client, caps: &Capabilities, cases: &[Case]) -> RunReport {
    let options = RunOptions {
        concurrency: 8,
        ..Default::default()
    };
    run::run(
        client,
        caps,
        cases,
        &options,
        &AtomicBool::new(false),
        &|_| {},
    )
    .await
}
