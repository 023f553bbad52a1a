//! A token bucket that keeps the fuzzer at `--rate` requests per second,
//! with a small burst. Every request the fuzzer sends takes a token:
//! fuzzed ones, fixtures, cleanup and liveness probes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How often a long wait for a token looks at the interrupt flag.
const STOP_TICK: Duration = Duration::from_millis(100);

#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// `rate` tokens a second; the bucket holds a fifth of a second's worth (at least one).
    pub fn new(rate: f64, now: Instant) -> Self {
        let rate = if rate.is_finite() && rate > 0.0 {
            rate
        } else {
            1.0
        };
        let capacity = (rate / 5.0).max(1.0);
        TokenBucket {
            rate,
            capacity,
            tokens: capacity,
            last: now,
        }
    }

    /// Takes a token at `now`; returns how long to wait before using it.
    pub fn reserve(&mut self, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = self.last.max(now);
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity) - 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            // A wait too long for a Duration (a rate near zero) is forever.
            Duration::try_from_secs_f64(-self.tokens / self.rate).unwrap_or(Duration::MAX)
        }
    }

    /// Waits for a token, or until `stop` is set (an interrupt: what is
    /// sent then, the cleanup, is not held back by a low rate).
    pub async fn take(&mut self, stop: &AtomicBool) {
        let end = Instant::now() + self.reserve(Instant::now());
        while !stop.load(Ordering::SeqCst) {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            tokio::time::sleep(left.min(STOP_TICK)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10.0, t0);
        assert_eq!(b.reserve(t0), Duration::ZERO);
        assert_eq!(b.reserve(t0), Duration::ZERO);
        let wait = b.reserve(t0);
        assert!((wait.as_secs_f64() - 0.1).abs() < 1e-9, "{wait:?}");
        let wait = b.reserve(t0);
        assert!((wait.as_secs_f64() - 0.2).abs() < 1e-9, "{wait:?}");
        // After a second, the bucket is full again (two tokens), no more.
        let later = t0 + Duration::from_secs(2);
        assert_eq!(b.reserve(later), Duration::ZERO);
        assert_eq!(b.reserve(later), Duration::ZERO);
        assert!(b.reserve(later) > Duration::ZERO);
    }

    #[test]
    fn a_rate_near_zero_waits_without_overflowing() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(1e-300, t0);
        assert_eq!(b.reserve(t0), Duration::ZERO);
        assert_eq!(b.reserve(t0), Duration::MAX);
    }

    #[tokio::test]
    async fn an_interrupt_ends_a_long_wait_for_a_token() {
        let mut b = TokenBucket::new(1e-6, Instant::now());
        let stop = AtomicBool::new(false);
        b.take(&stop).await; // the burst token
        stop.store(true, Ordering::SeqCst);
        // Without the interrupt this would wait about eleven days; the
        // timeout only keeps a broken take from hanging the test.
        let taken = tokio::time::timeout(Duration::from_secs(60), b.take(&stop)).await;
        assert!(taken.is_ok(), "the interrupted wait did not end");
    }
}
