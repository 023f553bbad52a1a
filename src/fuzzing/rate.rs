//! A token bucket that keeps the fuzzer at `--rate` requests per second,
//! with a small burst. Every request the fuzzer sends takes a token:
//! fuzzed ones, fixtures, cleanup and liveness probes.

use std::time::{Duration, Instant};

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
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }

    /// Waits for a token.
    pub async fn take(&mut self) {
        let wait = self.reserve(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
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
}
