//! `scimitar serve`: the reference server on a fixed address.

use std::net::SocketAddr;

use clap::Args;

use super::exit;
use crate::serve::{self, bugs, Bug, Bugs, ServerConfig};

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
}

pub async fn serve(args: ServeArgs) -> i32 {
    if args.list_bugs {
        print!("{}", bugs::listing());
        return exit::OK;
    }
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
    let config = ServerConfig {
        bugs,
        token,
        basic,
        oauth_client,
        create_delay: None,
        page_size: args.page_size,
        pagination: args.pagination,
        default_pagination: args.default_pagination,
        cursor_timeout: args.cursor_timeout,
    };
    let server = match serve::start(config, args.addr).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.addr);
            return exit::UNREACHABLE;
        }
    };
    println!("serving SCIM 2.0 on {}", server.base_url);
    let _ = tokio::signal::ctrl_c().await;
    server.stop().await;
    exit::OK
}
