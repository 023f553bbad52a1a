//! SIGINT and SIGTERM. The first signal starts the orderly stop (no new
//! requests, cleanup, reports, exit 130). A signal within a second of the
//! first is the same stop delivered twice (GNU `timeout` signals the
//! process and then its group; a terminal's Ctrl-C reaches every process
//! of the job); only a later one aborts, printing what may remain.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::exit;
use crate::run::Ledger;

/// Signals closer than this to the first are taken as the same one.
pub const SAME_SIGNAL: Duration = Duration::from_secs(1);

/// What a signal does, given when the first one came.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    Stop,
    Ignore,
    Abort,
}

/// The action for a signal arriving `now`, the first having come at `first`.
pub fn action(first: Option<Instant>, now: Instant) -> Action {
    match first {
        None => Action::Stop,
        Some(t) if now.duration_since(t) < SAME_SIGNAL => Action::Ignore,
        Some(_) => Action::Abort,
    }
}

/// The stop flag and what an abort must list: shared by the command and
/// the signal task, set up before the command does anything else.
#[derive(Clone, Default)]
pub struct Watch {
    pub flag: Arc<AtomicBool>,
    ledger: Arc<Mutex<Option<Arc<Ledger>>>>,
}

impl Watch {
    /// Starts watching; `who` names what created the resources (`the run`).
    pub fn start(who: &'static str) -> Watch {
        let watch = Watch::default();
        let w = watch.clone();
        let mut signals = Signals::register();
        tokio::spawn(async move {
            let mut first = None;
            loop {
                signals.next().await;
                let now = Instant::now();
                match action(first, now) {
                    Action::Stop => {
                        first = Some(now);
                        w.flag.store(true, Ordering::SeqCst);
                        eprintln!(
                            "interrupted: finishing requests in flight, then deleting what {who} created (signal again after a second to abort)"
                        );
                    }
                    Action::Ignore => {}
                    Action::Abort => {
                        eprintln!("aborted: {}", w.remaining(who));
                        std::process::exit(exit::INTERRUPTED);
                    }
                }
            }
        });
        watch
    }

    pub fn interrupted(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// The ledger an abort lists the remains of.
    pub fn track(&self, ledger: Arc<Ledger>) {
        *self.ledger.lock().unwrap_or_else(|p| p.into_inner()) = Some(ledger);
    }

    /// Waits until the stop flag is set.
    pub async fn stopped(&self) {
        while !self.interrupted() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every resource that may remain, one a line.
    fn remaining(&self, who: &str) -> String {
        let ledger = self
            .ledger
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let Some(ledger) = ledger else {
            return format!("{who} had created nothing yet");
        };
        let (_, _, mut left) = ledger.totals();
        left.sort();
        left.dedup();
        left.extend(
            ledger
                .flying()
                .into_iter()
                .map(|w| format!("{w} (a create in flight: it may have been made)")),
        );
        if left.is_empty() {
            return "nothing that {who} created remains".replace("{who}", who);
        }
        format!(
            "these {} resource(s) {who} created may remain:\n  {}",
            left.len(),
            left.join("\n  ")
        )
    }
}

/// The signals that stop a run, registered at once (so that one arriving
/// right after start-up is caught, not left to kill the process).
struct Signals {
    #[cfg(unix)]
    streams: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn register() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let streams = match (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) {
                (Ok(int), Ok(term)) => Some((int, term)),
                _ => None,
            };
            Signals { streams }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        if let Some((int, term)) = &mut self.streams {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_within_a_second_of_the_first_is_the_same_stop() {
        let t = Instant::now();
        assert_eq!(action(None, t), Action::Stop);
        assert_eq!(
            action(Some(t), t + Duration::from_millis(5)),
            Action::Ignore
        );
        assert_eq!(
            action(Some(t), t + Duration::from_millis(999)),
            Action::Ignore
        );
        assert_eq!(action(Some(t), t + Duration::from_secs(1)), Action::Abort);
    }

    #[test]
    fn an_abort_lists_what_may_remain() {
        let w = Watch::default();
        assert!(w.remaining("the run").contains("nothing yet"));
        let l = Arc::new(Ledger::default());
        w.track(l.clone());
        assert_eq!(
            w.remaining("the run"),
            "nothing that the run created remains"
        );
        l.created("/Users", "1", "c");
        assert!(w.remaining("the run").contains("  /Users/1"));
    }
}
