//! Throughput of `scimitar fuzz` against the embedded reference server,
//! compared in the same process with a plain HTTP load generator (one
//! keep-alive client sending `GET /Users?count=1` back to back, like the
//! fuzzer one request at a time) on the same endpoint; then, over a fuzz
//! run six times as long against `scimitar serve` in its own process, the
//! resident memory of the fuzzer and of the server sampled apart. Prints
//! ratios and samples; asserts nothing (speed is measured, never asserted).
//!
//! `cargo bench --bench fuzz_rate` (SECS=N sets each phase's length, 10 by default).

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use scimitar::discover::Capabilities;
use scimitar::fuzzing::{self, Options};
use scimitar::http::{Auth, Client, ClientConfig};
use scimitar::serve::{self, ServerConfig};

const TOKEN: &str = "bench-token-0123456789abcdef";

/// Resident set size of a process (`self` or a pid), in MiB (Linux).
fn rss_mib(pid: &str) -> f64 {
    let pages = std::fs::read_to_string(format!("/proc/{pid}/statm"))
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

/// `scimitar serve` on a free loopback port, requiring the bench token.
fn spawn_server() -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_scimitar"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--token-env",
            "SCIMITAR_BENCH_TOKEN",
        ])
        .env("SCIMITAR_BENCH_TOKEN", TOKEN)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("scimitar serve starts")
}

/// The base URL the spawned server prints on its first line (the rest of
/// its output is drained).
fn served_url(child: &mut std::process::Child) -> String {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut reader = std::io::BufReader::new(stdout);
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .expect("scimitar serve prints its address");
    // Keep reading, so that the server never writes to a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    line.trim()
        .strip_prefix("serving SCIM 2.0 on ")
        .unwrap_or_else(|| panic!("unexpected first line of scimitar serve: {line:?}"))
        .to_string()
}

async fn plain(url: &str, secs: Duration) -> f64 {
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < secs {
        let resp = http
            .get(format!("{url}/Users?count=1"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("the reference server answers");
        let _ = resp.bytes().await;
        n += 1;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

async fn fuzz(client: &Client, caps: &Capabilities, secs: Duration, seed: u64) -> (f64, u64) {
    let mut options = Options::new(seed);
    options.duration = secs;
    // Unbounded: the bucket refills faster than any server answers.
    options.rate = 1e9;
    let started = Instant::now();
    let report = fuzzing::fuzz(client, caps, &options, &AtomicBool::new(false)).await;
    (
        report.requests as f64 / started.elapsed().as_secs_f64(),
        report.requests,
    )
}

fn main() {
    let secs = Duration::from_secs(
        std::env::var("SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(10),
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let server = serve::start(
            ServerConfig {
                token: Some(TOKEN.into()),
                ..Default::default()
            },
            ([127, 0, 0, 1], 0).into(),
        )
        .await
        .expect("server");
        let mut config = ClientConfig::new(server.base_url.parse().expect("url"));
        config.auth = Auth::Bearer {
            token: TOKEN.into(),
            env: "SCIMITAR_TOKEN".into(),
        };
        let client = Client::new(config).expect("client");
        let caps = Capabilities::discover(&client).await.expect("discovery");

        let plain_rate = plain(&server.base_url, secs).await;
        let (fuzz_rate, sent) = fuzz(&client, &caps, secs, 1).await;
        println!("plain load generator: {plain_rate:.0} requests/s (GET /Users?count=1, one at a time)");
        println!("scimitar fuzz:        {fuzz_rate:.0} requests/s ({sent} requests, generated, checked, shrunk, cleaned up)");
        println!(
            "fuzz / plain ratio:   {:.2} (goal: at least 0.5)",
            fuzz_rate / plain_rate
        );

        server.stop().await;

        // Memory over a run six times as long, against the reference server
        // in its own process, so that the fuzzer's memory and the server's
        // are each measured alone.
        let mut child = spawn_server();
        let url = served_url(&mut child);
        let mut config = ClientConfig::new(url.parse().expect("url"));
        config.auth = Auth::Bearer {
            token: TOKEN.into(),
            env: "SCIMITAR_TOKEN".into(),
        };
        let client = Client::new(config).expect("client");
        let caps = Capabilities::discover(&client).await.expect("discovery");
        let samples = std::sync::Arc::new(std::sync::Mutex::new(vec![]));
        let every = secs / 2;
        let sampler = {
            let samples = samples.clone();
            let server_pid = child.id();
            tokio::spawn(async move {
                loop {
                    let sample = (rss_mib("self"), rss_mib(&server_pid.to_string()));
                    samples.lock().expect("samples").push(sample);
                    tokio::time::sleep(every).await;
                }
            })
        };
        let (long_rate, long_sent) = fuzz(&client, &caps, secs * 6, 2).await;
        sampler.abort();
        let _ = child.kill();
        let _ = child.wait();
        let samples = samples.lock().expect("samples").clone();
        println!(
            "long run: {long_sent} requests at {long_rate:.0}/s against `scimitar serve` in its own process; RSS every {:.0} s",
            every.as_secs_f64()
        );
        for (who, pick) in [("fuzzer", 0), ("server", 1)] {
            let values: Vec<f64> = samples
                .iter()
                .map(|s| if pick == 0 { s.0 } else { s.1 })
                .collect();
            let shown: Vec<String> = values.iter().map(|m| format!("{m:.1}")).collect();
            println!("  {who} MiB: [{}]", shown.join(", "));
            // Growth after warm-up: from the sample a sixth into the run
            // (connections, caches and the allocator's arenas settled).
            let warm = values.len() / 6;
            if let (Some(first), Some(last)) = (values.get(warm.max(1)), values.last()) {
                let grown = (last - first) * 1024.0 * 1024.0;
                println!(
                    "  {who} growth after warm-up: {:+.2} MiB ({:+.1} bytes a request)",
                    last - first,
                    grown / long_sent.max(1) as f64
                );
            }
        }
    });
}
