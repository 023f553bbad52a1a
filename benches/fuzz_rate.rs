//! Throughput of `scimitar fuzz` against the embedded reference server,
//! compared in the same process with a plain HTTP load generator (one
//! keep-alive client sending `GET /Users?count=1` back to back, like the
//! fuzzer one request at a time) on the same endpoint; then the process's
//! resident memory sampled over a longer fuzz run. Prints ratios and
//! samples; asserts nothing (speed is measured, never asserted).
//!
//! `cargo bench --bench fuzz_rate` (SECS=N sets each phase's length, 10 by default).

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use scimitar::discover::Capabilities;
use scimitar::fuzzing::{self, Options};
use scimitar::http::{Auth, Client, ClientConfig};
use scimitar::serve::{self, ServerConfig};

const TOKEN: &str = "bench-token-0123456789abcdef";

/// Resident set size of this process, in MiB (Linux).
fn rss_mib() -> f64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
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

        // Memory over a run three times as long, sampled every phase/2.
        let samples = std::sync::Arc::new(std::sync::Mutex::new(vec![]));
        let sampler = {
            let samples = samples.clone();
            let every = secs / 2;
            tokio::spawn(async move {
                loop {
                    samples.lock().expect("samples").push(rss_mib());
                    tokio::time::sleep(every).await;
                }
            })
        };
        let (long_rate, long_sent) = fuzz(&client, &caps, secs * 3, 2).await;
        sampler.abort();
        let samples = samples.lock().expect("samples").clone();
        let shown: Vec<String> = samples.iter().map(|m| format!("{m:.1}")).collect();
        println!(
            "long run: {long_sent} requests at {long_rate:.0}/s; RSS MiB every {:.0} s: [{}]",
            (secs / 2).as_secs_f64(),
            shown.join(", ")
        );
        if let (Some(first), Some(last)) = (samples.get(1), samples.last()) {
            println!(
                "RSS growth from the second sample to the last: {:+.1} MiB",
                last - first
            );
        }
        server.stop().await;
    });
}
