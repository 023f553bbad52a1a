//! The command line: the only code that sees argv, environment variables,
//! the terminal and exit codes.

mod coverage;
mod embedded;
mod events;
mod events_send;
mod fuzz;
mod run;
mod serve;
mod signals;
mod target;

use clap::{Parser, Subcommand};

/// Exit codes (documented in the README).
pub mod exit {
    pub const OK: i32 = 0;
    pub const FAILURES: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const UNREACHABLE: i32 = 3;
    /// The run could not verify that everything it created is gone.
    pub const LEFT_BEHIND: i32 = 4;
    pub const INTERRUPTED: i32 = 130;
}

#[derive(Parser, Debug)]
#[command(
    name = "scimitar",
    version,
    about = "SCIM 2.0 conformance and fuzz test harness"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the suites against a SCIM endpoint (the embedded reference server when no URL is given).
    Run(Box<run::RunArgs>),
    /// Print the cases: id, area, level, requirement ids.
    List(run::ListArgs),
    /// How many of the RFCs' testable requirements the cases check, by RFC and section.
    Coverage(coverage::CoverageArgs),
    /// Serve the embedded reference server.
    Serve(serve::ServeArgs),
    /// SCIM events tools: `send` checks an RFC 8935 push endpoint (a SET receiver).
    Events(events_send::EventsArgs),
    /// Fuzz a SCIM endpoint with generated requests (the embedded reference server when no URL is given).
    Fuzz(Box<fuzz::FuzzArgs>),
}

/// Parses argv, runs the command, returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return code;
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SCIMITAR_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return exit::USAGE;
        }
    };
    runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run::run(*args).await,
            Command::List(args) => run::list(args),
            Command::Coverage(args) => coverage::coverage(args),
            Command::Serve(args) => serve::serve(args).await,
            Command::Events(args) => events_send::events(args).await,
            Command::Fuzz(args) => fuzz::fuzz(*args).await,
        }
    })
}
