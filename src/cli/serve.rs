//! `scimitar serve`: the reference server on a fixed address.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::exit;
use crate::serve::{self, bugs, Bug, Bugs, EventsConfig, PushTarget, ReceiverConfig, ServerConfig};

/// The payload of provisioning events (RFC 9967 §2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EventMode {
    /// `…:full` events carrying `data`, the resource as a GET returns it.
    Full,
    /// `…:notice` events carrying `attributes`, the names that changed.
    Notice,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Inject a named bug (repeatable).
    #[arg(long = "bug", value_name = "NAME")]
    pub bugs: Vec<String>,
    /// Require the bearer token held in this environment variable.
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// Also accept HTTP basic authentication as this user.
    #[arg(long, value_name = "USER", requires = "token_env")]
    pub basic_user: Option<String>,
    /// Environment variable holding the basic-auth password.
    #[arg(long, value_name = "VAR", default_value = "SCIMITAR_PASSWORD")]
    pub basic_password_env: String,
    /// Serve POST /oauth/token, issuing the token to this OAuth 2.0 client (client credentials grant).
    #[arg(long, value_name = "ID", requires = "token_env")]
    pub oauth_client_id: Option<String>,
    /// Environment variable holding the OAuth 2.0 client secret.
    #[arg(long, value_name = "VAR", default_value = "SCIMITAR_CLIENT_SECRET")]
    pub oauth_client_secret_env: String,
    /// Print the injectable bugs, one a line: NAME<TAB>AREA<TAB>description.
    #[arg(long)]
    pub list_bugs: bool,
    /// Take a legal shape (repeatable; see --list-shapes): fewer attributes,
    /// other endpoint forms, optional features off.
    #[arg(long = "shape", value_name = "NAME")]
    pub shapes: Vec<String>,
    /// Print the shapes, one a line: NAME<TAB>description.
    #[arg(long)]
    pub list_shapes: bool,
    /// Behave with a hostile fault (repeatable; see --list-faults):
    /// NAME, or NAME@SCOPE with SCOPE resources (default), discovery or all.
    #[arg(long = "fault", value_name = "NAME[@SCOPE]")]
    pub faults: Vec<String>,
    /// Print the faults, one a line.
    #[arg(long)]
    pub list_faults: bool,
    /// The most resources on one page of a list, whatever `count` asks for
    /// (so that clients must walk the pages).
    #[arg(long, value_name = "N")]
    pub page_size: Option<usize>,
    /// Paging methods offered (RFC 9865): index, cursor, or both.
    #[arg(long, value_enum, default_value = "both")]
    pub pagination: crate::serve::Pagination,
    /// With both methods, the one a request naming neither gets (RFC 9865 §2.4).
    #[arg(long, value_enum, default_value = "index")]
    pub default_pagination: crate::serve::Method,
    /// Seconds a cursor stays valid (advertised as cursorTimeout); 10 when unset,
    /// short enough for a run to see cursors expire.
    #[arg(long, value_name = "SECS")]
    pub cursor_timeout: Option<u64>,
    /// SCIM events (RFC 9967).
    #[command(flatten)]
    pub events: Box<EventsArgs>,
}

/// The flags of SCIM events (boxed: they would make `ServeArgs` large).
#[derive(Args, Debug)]
pub struct EventsArgs {
    /// Publish SCIM events (RFC 9967): a signed SET for every change, polled
    /// at POST /events/poll (RFC 8936); honour Prefer: respond-async; receive
    /// pushed SETs at POST /events/receiver (RFC 8935), which accepts the
    /// issuer, audience and secret below.
    #[arg(long)]
    pub events: bool,
    /// Provisioning event payloads: full (data) or notice (attributes).
    #[arg(long, value_enum, default_value = "full", requires = "events")]
    pub event_mode: EventMode,
    /// Push every SET to this RFC 8935 receiver instead of queueing it for polling.
    #[arg(long, value_name = "URL", requires = "events")]
    pub events_push: Option<String>,
    /// PEM certificates to trust (besides the built-in roots) when pushing.
    #[arg(long, value_name = "FILE", requires = "events_push")]
    pub events_push_ca: Option<PathBuf>,
    /// Send the bearer token held in this environment variable with each push.
    #[arg(long, value_name = "VAR", requires = "events_push")]
    pub events_push_token_env: Option<String>,
    /// Environment variable holding the HS256 secret that signs SETs (and that
    /// the receiver verifies with); a random secret when not given.
    #[arg(long, value_name = "VAR", requires = "events")]
    pub events_secret_env: Option<String>,
    /// The iss of every SET (and the issuer the receiver accepts).
    #[arg(
        long,
        value_name = "ISS",
        default_value = "urn:scimitar:reference",
        requires = "events"
    )]
    pub events_issuer: String,
    /// The aud of every SET (and the audience the receiver expects).
    #[arg(
        long,
        value_name = "AUD",
        default_value = "urn:scimitar:receiver",
        requires = "events"
    )]
    pub events_audience: String,
}

/// The events configuration the flags ask for; the error is for the user.
fn events_config(args: &EventsArgs) -> Result<Option<EventsConfig>, String> {
    if !args.events {
        return Ok(None);
    }
    let env = |var: &str, flag: &str| match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(format!("{flag} {var}: the variable is not set")),
    };
    let secret = match &args.events_secret_env {
        Some(var) => env(var, "--events-secret-env")?.into_bytes(),
        None => {
            let mut random = uuid::Uuid::new_v4().as_bytes().to_vec();
            random.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
            random
        }
    };
    let push = match &args.events_push {
        None => None,
        Some(url) => {
            let root_cert_pem = match &args.events_push_ca {
                None => None,
                Some(path) => Some(
                    std::fs::read(path)
                        .map_err(|e| format!("--events-push-ca {}: {e}", path.display()))?,
                ),
            };
            let token = match &args.events_push_token_env {
                None => None,
                Some(var) => Some(env(var, "--events-push-token-env")?),
            };
            Some(PushTarget {
                url: url.clone(),
                root_cert_pem,
                token,
            })
        }
    };
    Ok(Some(EventsConfig {
        issuer: args.events_issuer.clone(),
        audience: args.events_audience.clone(),
        receiver: ReceiverConfig {
            issuer: args.events_issuer.clone(),
            audience: args.events_audience.clone(),
            secret: secret.clone(),
        },
        secret,
        full: args.event_mode == EventMode::Full,
        push,
    }))
}

pub async fn serve(args: ServeArgs) -> i32 {
    if args.list_bugs {
        print!("{}", bugs::listing());
        return exit::OK;
    }
    if args.list_shapes {
        print!("{}", crate::serve::shape::listing());
        return exit::OK;
    }
    if args.list_faults {
        print!("{}", crate::serve::faults::listing());
        return exit::OK;
    }
    let faults = match super::embedded::faults(&args.faults) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let shapes = match crate::serve::shape::parse(&args.shapes) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let parsed: Result<Vec<Bug>, String> = args.bugs.iter().map(|b| b.parse()).collect();
    let bugs = match parsed {
        Ok(b) => Bugs::of(b),
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let token = match &args.token_env {
        None => None,
        Some(var) => match std::env::var(var) {
            Ok(t) if !t.is_empty() => Some(t),
            _ => {
                eprintln!("error: --token-env {var}: the variable is not set");
                return exit::USAGE;
            }
        },
    };
    let secret = |var: &str, what: &str| match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(format!("{what} needs ${var}")),
    };
    let basic = match &args.basic_user {
        None => None,
        Some(user) => match secret(&args.basic_password_env, "--basic-user") {
            Ok(p) => Some((user.clone(), p)),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::USAGE;
            }
        },
    };
    let oauth_client = match &args.oauth_client_id {
        None => None,
        Some(id) => match secret(&args.oauth_client_secret_env, "--oauth-client-id") {
            Ok(s) => Some((id.clone(), s)),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::USAGE;
            }
        },
    };
    let events = match events_config(&args.events) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let config = ServerConfig {
        bugs,
        shapes,
        token,
        basic,
        oauth_client,
        create_delay: None,
        page_size: args.page_size,
        pagination: args.pagination,
        default_pagination: args.default_pagination,
        cursor_timeout: args.cursor_timeout,
        events,
        faults,
    };
    let server = match serve::start(config, args.addr).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.addr);
            return exit::UNREACHABLE;
        }
    };
    println!("serving SCIM 2.0 on {}", server.base_url);
    if args.events.events {
        let root = format!("http://{}", server.addr);
        match &args.events.events_push {
            Some(_) => println!("SCIM events: pushed (RFC 8935)"),
            None => println!("SCIM events: poll at {root}/events/poll (RFC 8936)"),
        }
        println!("SET receiver: {root}/events/receiver (RFC 8935)");
    }
    let _ = tokio::signal::ctrl_c().await;
    server.stop().await;
    exit::OK
}
