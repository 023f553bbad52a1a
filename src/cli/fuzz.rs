//! `scimitar fuzz [URL]`: schema-aware fuzzing of a SCIM endpoint (the
//! embedded reference server when no URL is given), with a report, shrunk
//! reproducers as suite files (`--out`), and the exit codes of `run`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use url::Url;

use super::embedded;
use super::exit;
use super::signals::Watch;
use super::target::TargetArgs;

use crate::fuzzing::{self, reproduce, shrink::Budget, Model, Options};
use crate::http::{Client, ClientConfig};
use crate::run::Ledger;
use crate::serve::ServerConfig;

#[derive(Args, Debug)]
pub struct FuzzArgs {
    /// Base URL of the SCIM endpoint; without it, an embedded reference server is started.
    pub url: Option<Url>,
    /// Inject a bug into the embedded server (repeatable; see `scimitar serve --list-bugs`).
    #[arg(long = "bug", value_name = "NAME")]
    pub bugs: Vec<String>,
    /// Give the embedded server a hostile fault (repeatable; see `scimitar serve --list-faults`).
    #[arg(long = "fault", value_name = "NAME[@SCOPE]")]
    pub faults: Vec<String>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Seconds to send generated requests (shrinking what they find may take a little longer).
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub duration: u64,
    /// Requests a second, every request counted (fixtures, probes, cleanup).
    #[arg(long, default_value_t = 50.0, value_name = "N")]
    pub rate: f64,
    /// Seed of the generated requests (the same seed gives the same requests); random and printed when not given.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Stop after this many generated requests.
    #[arg(long, value_name = "N")]
    pub max_requests: Option<u64>,
    /// A response slower than this many seconds breaks the latency invariant.
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    pub latency_bound: f64,
    /// The most candidates re-sent to shrink one violation.
    #[arg(long, default_value_t = 150, value_name = "N")]
    pub shrink_steps: usize,
    /// Write one reproducer suite file per violation here (`scimitar run --suite DIR` replays them).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write the JSON report here.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
}

fn options(args: &FuzzArgs, seed: u64) -> Result<Options, String> {
    // The time between two requests must be a duration the clock can hold.
    if !(args.rate.is_finite()
        && args.rate > 0.0
        && Duration::try_from_secs_f64(1.0 / args.rate).is_ok())
    {
        return Err(format!(
            "--rate must be a positive number of requests a second (above 5.5e-20), got {:?}",
            args.rate
        ));
    }
    let latency_bound = Duration::try_from_secs_f64(args.latency_bound)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            format!(
                "--latency-bound must be a positive number of seconds (below 1.8e19), got {:?}",
                args.latency_bound
            )
        })?;
    let mut o = Options::new(seed);
    o.duration = Duration::from_secs(args.duration);
    o.rate = args.rate;
    o.max_requests = args.max_requests;
    o.latency_bound = latency_bound;
    o.shrink = Budget {
        steps: args.shrink_steps,
        time: Duration::from_secs(30),
    };
    Ok(o)
}

pub async fn fuzz(args: FuzzArgs) -> i32 {
    let watch = Watch::start("the fuzzer");
    let seed = args.seed.unwrap_or_else(super::run::rand_seed);
    let options = match options(&args, seed) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let mut local_server = None;
    let config = match &args.url {
        Some(url) => match embedded::remote(
            url,
            &args.target,
            !args.bugs.is_empty() || !args.faults.is_empty(),
            "fuzz",
        ) {
            Ok(c) => c,
            Err(code) => return code,
        },
        None => {
            let bugs = match embedded::bugs(&args.bugs) {
                Ok(b) => b,
                Err(code) => return code,
            };
            let faults = match embedded::faults(&args.faults) {
                Ok(f) => f,
                Err(code) => return code,
            };
            let server = ServerConfig {
                bugs,
                faults,
                ..Default::default()
            };
            match embedded::start(server, &args.target).await {
                Ok(started) => {
                    local_server = Some(started.server);
                    started.config
                }
                Err(code) => return code,
            }
        }
    };
    let code = fuzz_against(&args, config, &options, &watch).await;
    if let Some(server) = local_server {
        server.stop().await;
    }
    code
}

async fn fuzz_against(
    args: &FuzzArgs,
    config: ClientConfig,
    options: &Options,
    watch: &Watch,
) -> i32 {
    let client = match Client::new(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let target = client.redactor().text(client.base_url().as_str());
    let caps = match super::run::discover(&client, Some(options.duration), watch).await {
        Ok(c) => c,
        Err((why, code)) => {
            eprintln!("error: {why}");
            return code;
        }
    };
    eprintln!(
        "fuzzing {target} for {} s at {} requests/s with --seed {}",
        options.duration.as_secs(),
        options.rate,
        options.seed
    );
    let model = Model::from_caps(&caps);
    let ledger = Arc::new(Ledger::default());
    watch.track(ledger.clone());
    let mut options = options.clone();
    options.ledger = Some(ledger);
    let options = &options;
    let mut report = fuzzing::fuzz_with_model(&client, &caps, &model, options, &watch.flag).await;
    let mut code = if report.answers == 0 {
        eprintln!(
            "error: the target answered none of the {} requests sent: no verdict",
            report.requests
        );
        exit::UNREACHABLE
    } else if !report.cleanup.leftover.is_empty() {
        exit::LEFT_BEHIND
    } else if report.violations.is_empty() {
        exit::OK
    } else {
        exit::FAILURES
    };
    if let Some(dir) = &args.out {
        if let Err(e) = reproduce::write_all(dir, &mut report.violations, &model, options.seed) {
            eprintln!("error: cannot write reproducers to {}: {e}", dir.display());
            code = exit::USAGE;
        }
    } else if !report.violations.is_empty() {
        eprintln!("(give --out DIR to write each violation as a suite file that `scimitar run --suite DIR` replays)");
    }
    if let Some(path) = &args.json {
        if let Err(e) = std::fs::write(path, report.json()) {
            eprintln!("error: cannot write {}: {e}", path.display());
            code = exit::USAGE;
        }
    }
    print!("{}", report.console());
    if report.interrupted {
        return exit::INTERRUPTED;
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: FuzzArgs,
    }

    fn parsed(extra: &[&str]) -> Result<Options, String> {
        let cli = Cli::try_parse_from(std::iter::once("fuzz").chain(extra.iter().copied()))
            .map_err(|e| e.to_string())?;
        options(&cli.args, 1)
    }

    #[test]
    fn rates_and_latency_bounds_a_duration_cannot_hold_are_usage_errors() {
        for bad in [
            &["--rate", "0"][..],
            &["--rate", "-1"],
            &["--rate", "NaN"],
            &["--rate", "inf"],
            &["--rate", "1e-300"],
            &["--latency-bound", "0"],
            &["--latency-bound", "1e20"],
            &["--latency-bound", "inf"],
            &["--latency-bound", "1e-300"],
        ] {
            assert!(parsed(bad).is_err(), "{bad:?}");
        }
        let o = parsed(&["--rate", "0.5", "--latency-bound", "0.25"]).unwrap();
        assert_eq!(o.rate, 0.5);
        assert_eq!(o.latency_bound, Duration::from_millis(250));
    }
}
