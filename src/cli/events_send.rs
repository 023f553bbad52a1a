//! `scimitar events send URL`: the command line of the receiver checks in
//! [`crate::events::send`]. This file owns the flags, reading the signing
//! key and tokens (secrets only from environment variables, never argv,
//! never printed), the report (console, `--json`, `--junit`) and the exit
//! code: 0 when nothing fails at `--fail-on`, 1 when something does, 2 for
//! usage errors, 3 when the receiver cannot be reached.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{ArgGroup, Args, Subcommand};
use url::Url;

use super::exit;
use crate::events::send::{self, SendTarget};
use crate::outcome::{Cleanup, RunReport, Summary};
use crate::report;
use crate::rfc::Level;
use crate::scim::set::{Algorithm, Signer};

#[derive(Args, Debug)]
pub struct EventsArgs {
    #[command(subcommand)]
    pub command: EventsCommand,
}

#[derive(Subcommand, Debug)]
pub enum EventsCommand {
    /// Act as an RFC 8935 SET transmitter: POST valid and broken SETs to a
    /// push endpoint and check how the receiver answers (RFC 8935 §2, RFC 9967).
    Send(Box<SendArgs>),
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("signing_key").required(true).args(["secret_env", "key"])))]
pub struct SendArgs {
    /// The receiver's push endpoint.
    pub url: Url,
    /// The `iss` the receiver accepts.
    #[arg(long, value_name = "ISS")]
    pub issuer: String,
    /// The audience the receiver answers to (`aud`).
    #[arg(long, value_name = "AUD")]
    pub audience: String,
    /// Environment variable holding the HMAC secret the receiver trusts
    /// (HS256 unless --alg says HS384 or HS512).
    #[arg(long, value_name = "VAR")]
    pub secret_env: Option<String>,
    /// A PEM private key the receiver trusts the public half of (needs --alg).
    #[arg(long, value_name = "FILE", requires = "alg")]
    pub key: Option<PathBuf>,
    /// The signing algorithm: RS256, PS256, ES256, EdDSA, ... (HS256 by
    /// default with --secret-env).
    #[arg(long, value_name = "ALG", value_parser = parse_alg)]
    pub alg: Option<Algorithm>,
    /// The `kid` header of the signed SETs.
    #[arg(long, value_name = "KID")]
    pub kid: Option<String>,
    /// Environment variable holding a bearer token the receiver wants.
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// Trust the certificates of this PEM file for HTTPS.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// A URL answering `{"processed": N}`, the number of SETs the receiver
    /// processed: checks that a repeated SET is processed once.
    #[arg(long, value_name = "URL")]
    pub processed_url: Option<Url>,
    /// Environment variable holding the bearer token for --processed-url.
    #[arg(long, value_name = "VAR", requires = "processed_url")]
    pub processed_token_env: Option<String>,
    /// Write the JSON report here.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Lowest level whose failures fail the run (exit 1).
    #[arg(long, default_value = "should", value_parser = super::run::parse_level)]
    pub fail_on: Level,
    /// Also list skipped cases with their reasons.
    #[arg(short, long)]
    pub verbose: bool,
}

fn parse_alg(s: &str) -> Result<Algorithm, String> {
    s.parse()
        .map_err(|_| format!("expected a JWS algorithm such as RS256, ES256 or HS256, got {s:?}"))
}

/// Runs an `events` subcommand; returns the exit code.
pub async fn events(args: EventsArgs) -> i32 {
    match args.command {
        EventsCommand::Send(args) => send_command(*args).await,
    }
}

async fn send_command(args: SendArgs) -> i32 {
    let target = match target(&args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    if let Some(warning) = plain_http_warning(&args.url) {
        eprintln!("{warning}");
    }
    let started = Instant::now();
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let cases = send::check_receiver(&target).await;
    if let Some(reason) = send::unreachable(&cases) {
        eprintln!(
            "error: the receiver at {} is unreachable: {reason}",
            send::display_url(args.url.as_str())
        );
        return exit::UNREACHABLE;
    }
    let report = RunReport {
        tool: "scimitar".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        target: send::display_url(args.url.as_str()),
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        fail_on: args.fail_on,
        interrupted: false,
        aborted: None,
        notes: vec![],
        summary: Summary::of(&cases),
        cleanup: Cleanup::default(),
        baseline: None,
        reruns: vec![],
        cases,
    };
    let mut code = if report.failing().next().is_some() {
        exit::FAILURES
    } else {
        exit::OK
    };
    if !write_reports(&args, &report) {
        code = exit::USAGE;
    }
    print!("{}", report::console::render(&report, args.verbose));
    code
}

/// Writes --json and --junit; false when one could not be written.
fn write_reports(args: &SendArgs, report: &RunReport) -> bool {
    let mut ok = true;
    let outputs = [
        (&args.json, report::json::render as fn(&RunReport) -> String),
        (&args.junit, report::junit::render),
    ];
    for (path, render) in outputs {
        if let Some(path) = path {
            if let Err(e) = std::fs::write(path, render(report)) {
                eprintln!("error: cannot write {}: {e}", path.display());
                ok = false;
            }
        }
    }
    ok
}

/// The target the flags describe, or what is wrong with them.
fn target(args: &SendArgs) -> Result<SendTarget, String> {
    if !matches!(args.url.scheme(), "http" | "https") {
        return Err(format!("{} is not an http or https URL", args.url));
    }
    let processed_url = match &args.processed_url {
        Some(url) => Some((url.to_string(), optional_env(&args.processed_token_env)?)),
        None => None,
    };
    let target = SendTarget {
        url: args.url.to_string(),
        issuer: args.issuer.clone(),
        audience: args.audience.clone(),
        signer: signer(args)?,
        bearer: optional_env(&args.token_env)?,
        extra_root_cert_pem: args.cacert.as_deref().map(read_text).transpose()?,
        processed_url,
    };
    target.http_client().map_err(|e| format!("--cacert: {e}"))?;
    Ok(target)
}

/// The signer of --secret-env or --key, with --kid.
fn signer(args: &SendArgs) -> Result<Signer, String> {
    let signer = match (&args.secret_env, &args.key) {
        (Some(var), None) => {
            let secret = env(var, "the HMAC secret")?;
            let alg = args.alg.unwrap_or(Algorithm::HS256);
            Signer::hmac(alg, secret.as_bytes()).map_err(|e| format!("--alg: {e}"))?
        }
        (None, Some(path)) => {
            let alg = args.alg.ok_or("--key needs --alg")?;
            let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            Signer::private_pem(alg, &pem).map_err(|e| format!("{}: {e}", path.display()))?
        }
        _ => return Err("give exactly one of --secret-env and --key".into()),
    };
    Ok(match &args.kid {
        Some(kid) => signer.with_kid(kid),
        None => signer,
    })
}

/// A non-empty environment variable; the error names it, never a value.
fn env(var: &str, what: &str) -> Result<String, String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(format!(
            "the environment variable {var} ({what}) is not set or empty"
        )),
    }
}

fn optional_env(var: &Option<String>) -> Result<Option<String>, String> {
    var.as_deref().map(|v| env(v, "a bearer token")).transpose()
}

fn read_text(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// RFC 8935 §5.3 wants TLS; plain HTTP is fine on loopback only.
fn plain_http_warning(url: &Url) -> Option<String> {
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    (url.scheme() == "http" && !loopback)
        .then(|| "warning: plain HTTP; RFC 8935 §5.3 requires TLS to carry SETs".to_string())
}
