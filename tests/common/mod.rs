//! Shared by the integration tests: a reference server and a client for it.

#![allow(dead_code)]

pub mod bin;

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
    run_eight_at_a_time(client, caps, cases, None).await
}

async fn run_eight_at_a_time(
    client: &Client,
    caps: &Capabilities,
    cases: &[Case],
    events: Option<std::sync::Arc<scimitar::events::Inbox>>,
) -> RunReport {
    let options = RunOptions {
        concurrency: 8,
        events,
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

/// A reference server that publishes SCIM events (RFC 9967) and a session
/// receiving them `delivery`'s way (push to a TLS receiver, or polling);
/// `config.events` is filled in here. The client, capabilities and run
/// options know of the session.
pub async fn embedded_with_events(
    mut config: ServerConfig,
    delivery: scimitar::events::Delivery,
    full: bool,
) -> (Running, Client, Capabilities, scimitar::events::Session) {
    use scimitar::events::{self, poll, Delivery};
    use std::sync::Arc;
    let secret = b"matrix-events-secret-0123456789abcdef".to_vec();
    let inbox = Arc::new(
        hmac_inbox(&secret, "scimitar-reference", "scimitar")
            // Long enough for a loaded machine: waits end as soon as an event comes.
            .with_patience(Duration::from_secs(20)),
    );
    let receiver = match delivery {
        Delivery::Push => Some(tls_receiver(inbox.clone()).await),
        Delivery::Poll => None,
    };
    config.events = Some(serve::EventsConfig {
        issuer: "scimitar-reference".into(),
        audience: "scimitar".into(),
        secret: secret.clone(),
        full,
        push: receiver.as_ref().map(|r| serve::PushTarget {
            url: r.url.clone(),
            root_cert_pem: r.cert_pem.clone().map(String::into_bytes),
            token: None,
        }),
        receiver: serve::ReceiverConfig {
            issuer: "scimitar-reference".into(),
            audience: "scimitar".into(),
            secret,
        },
    });
    let token = config.token.clone();
    let (server, client, mut caps) = embedded_with(config, None).await;
    let poller = match delivery {
        Delivery::Poll => {
            let url = url::Url::parse(&server.base_url)
                .unwrap()
                .join("/events/poll")
                .unwrap();
            Some(
                poll::start(
                    poll::PollConfig {
                        url: url.to_string(),
                        token,
                        max_events: 1,
                        hold: Duration::from_secs(15),
                        root_cert_pem: None,
                    },
                    inbox.clone(),
                )
                .unwrap(),
            )
        }
        Delivery::Push => None,
    };
    caps.events = Some(delivery);
    let session = events::Session::new(inbox, delivery, receiver, poller);
    (server, client, caps, session)
}

/// Runs cases eight at a time, with the events a session receives.
pub async fn run_cases_with_events(
    client: &Client,
    caps: &Capabilities,
    cases: &[Case],
    session: &scimitar::events::Session,
) -> RunReport {
    run_eight_at_a_time(client, caps, cases, Some(session.inbox.clone())).await
}

/// An inbox accepting SETs signed with the HMAC `secret` from `issuer` for
/// `audience`, and refusing unsigned ones.
pub fn hmac_inbox(secret: &[u8], issuer: &str, audience: &str) -> scimitar::events::Inbox {
    use scimitar::events::{Inbox, Trust};
    use scimitar::scim::set::{Expectations, KeySet, Unsigned};
    Inbox::new(Trust {
        keys: KeySet::hmac(secret),
        unsigned: Unsigned::Refuse,
        expect: Expectations {
            issuer: Some(issuer.into()),
            audience: Some(audience.into()),
            ..Default::default()
        },
    })
}

/// scimitar's push receiver for `inbox` on a loopback port, over HTTPS
/// with a certificate made for the test.
pub async fn tls_receiver(
    inbox: std::sync::Arc<scimitar::events::Inbox>,
) -> scimitar::events::receiver::Receiver {
    use scimitar::events::{receiver, tls};
    receiver::start(
        inbox,
        receiver::ReceiverConfig {
            addr: ([127, 0, 0, 1], 0).into(),
            tls: Some(tls::self_signed(&[]).expect("a certificate")),
            token: None,
        },
    )
    .await
    .expect("the receiver starts")
}
