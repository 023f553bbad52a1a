//! Where a command sends its requests: the endpoint given by URL (where
//! `--bug` cannot apply), or else the embedded reference server, started
//! on a loopback port with a token made for the run. Shared by `run` and
//! `fuzz`. Errors are printed here and returned as exit codes.

use std::time::Duration;

use url::Url;

use super::exit;
use super::target::TargetArgs;
use crate::http::{Auth, ClientConfig};
use crate::serve::{self, Bug, Bugs, ServerConfig};

/// The named bugs to inject into the embedded server.
pub(super) fn bugs(names: &[String]) -> Result<Bugs, i32> {
    let bugs: Result<Vec<Bug>, String> = names.iter().map(|b| b.parse()).collect();
    bugs.map(Bugs::of).map_err(|e| {
        eprintln!("error: {e}");
        exit::USAGE
    })
}

/// The named faults to give the embedded server.
pub(super) fn faults(names: &[String]) -> Result<crate::serve::faults::Faults, i32> {
    let parsed: Result<Vec<_>, String> = names
        .iter()
        .map(|n| crate::serve::faults::parse(n))
        .collect();
    parsed.map(crate::serve::faults::Faults::of).map_err(|e| {
        eprintln!("error: {e}");
        exit::USAGE
    })
}

/// The client configuration for an endpoint given by URL; `command` names
/// the command in the error when bugs were asked for too.
pub(super) fn remote(
    url: &Url,
    target: &TargetArgs,
    bugs_given: bool,
    command: &str,
) -> Result<ClientConfig, i32> {
    if bugs_given {
        eprintln!(
            "error: --bug, --shape and --fault apply only to the embedded server ({command} without a URL)"
        );
        return Err(exit::USAGE);
    }
    target.config(url.clone()).map_err(|e| {
        eprintln!("error: {e}");
        exit::USAGE
    })
}

/// The embedded server, running, and how to reach it.
pub(super) struct Started {
    pub server: serve::Running,
    pub base: Url,
    /// The bearer token the server requires (made for this run).
    pub token: String,
    pub config: ClientConfig,
}

/// Starts the embedded server with `server` (its token is made here) on a
/// free loopback port; the client configuration uses the token and the
/// target's timeout and response bound.
pub(super) async fn start(mut server: ServerConfig, target: &TargetArgs) -> Result<Started, i32> {
    let token = format!("emb-{}", uuid::Uuid::new_v4().simple());
    server.token = Some(token.clone());
    let running = serve::start(server, ([127, 0, 0, 1], 0).into())
        .await
        .map_err(|e| {
            eprintln!("error: cannot start the embedded server: {e}");
            exit::UNREACHABLE
        })?;
    let Ok(base) = Url::parse(&running.base_url) else {
        eprintln!(
            "error: the embedded server's URL {:?} is not a URL",
            running.base_url
        );
        running.stop().await;
        return Err(exit::UNREACHABLE);
    };
    let mut config = ClientConfig::new(base.clone());
    config.auth = Auth::Bearer {
        token: token.clone(),
        env: "SCIMITAR_TOKEN".into(),
    };
    config.timeout = Duration::from_secs(target.timeout.max(1));
    config.max_response_bytes = target.max_response_bytes;
    Ok(Started {
        server: running,
        base,
        token,
        config,
    })
}
