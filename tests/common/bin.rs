//! The `scimitar` binary as the integration tests run it: no token from
//! the caller's environment, CI mode, output captured.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};

/// The binary, without `SCIMITAR_TOKEN` and with `CI=true`.
pub fn scimitar() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scimitar"));
    c.env_remove("SCIMITAR_TOKEN").env("CI", "true");
    c
}

/// Runs the binary with `args` to the end.
pub fn run(args: &[&str]) -> Output {
    scimitar().args(args).output().expect("scimitar runs")
}

/// Standard output, then standard error, as text.
pub fn all_output(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// An empty directory of this test process, named after `test` and `name`.
pub fn tmp(test: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scimitar-{test}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A loopback port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
