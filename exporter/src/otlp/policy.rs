//! What to do after an attempt, and how long to wait before the next: pure functions.
//!
//! - 2xx: delivered.
//! - 429, 502, 503, 504, and no answer at all (connection refused or reset, timeout): the
//!   collector is busy or away for now; retried while the batch has retries left, after the
//!   `Retry-After` the collector asked for (its delay-seconds form; an HTTP date counts as
//!   absent), else after an exponential backoff with jitter.
//! - Any other status (400 malformed, 401/403, 404 wrong path, 413 too large, 500...): sending
//!   the same bytes again would get the same answer, so the batch is dropped at once.

use std::time::Duration;

/// The longest `Retry-After` honoured as given; a longer one waits this long.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// An attempt's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Verdict {
    /// The collector took the batch.
    Delivered,
    /// Try again, after this long if the collector said.
    Retry(Option<Duration>),
    /// Give the batch up.
    Drop,
}

/// The verdict on an answer with `status` and this `Retry-After` header.
pub fn judge(status: u16, retry_after: Option<&str>) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered,
        429 | 502 | 503 | 504 => Verdict::Retry(retry_after.and_then(parse_retry_after)),
        _ => Verdict::Drop,
    }
}

/// `Retry-After: <seconds>`, at most [`MAX_RETRY_AFTER`].
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: u64 = value.trim().parse().ok()?;
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// How retries are paced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Retries of one batch before it is dropped.
    pub max_retries: u32,
    /// The wait before the first retry (before jitter).
    pub initial: Duration,
    /// The longest wait between two attempts (before jitter).
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            max_retries: 5,
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// The wait before retry `n` (1 for the first): `initial * 2^(n-1)` capped at `max`, then
    /// scaled by `0.5 + jitter / 2` for a `jitter` in `[0, 1)`, so that many exporters that failed
    /// together do not all come back at once.
    pub fn delay(&self, n: u32, jitter: f64) -> Duration {
        let doubling = 1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX);
        let base = self.initial.saturating_mul(doubling).min(self.max);
        base.mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
    }
}

/// A small xorshift generator for jitter (statistical quality is irrelevant here).
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// Seeded from the clock and the pid, so two exporters differ.
    pub fn new() -> Jitter {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() as u64 ^ d.as_secs());
        Jitter(((nanos << 20) ^ u64::from(std::process::id())) | 1)
    }

    /// A number in `[0, 1)`.
    pub fn next(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_busy_answers_are_retried() {
        for status in [200, 202, 299] {
            assert_eq!(judge(status, None), Verdict::Delivered, "{status}");
        }
        for status in [429, 502, 503, 504] {
            assert_eq!(judge(status, None), Verdict::Retry(None), "{status}");
        }
        for status in [301, 400, 401, 403, 404, 413, 415, 500, 501, 505] {
            assert_eq!(judge(status, Some("1")), Verdict::Drop, "{status}");
        }
    }

    #[test]
    fn retry_after_seconds_are_honoured() {
        let secs = Duration::from_secs;
        assert_eq!(judge(503, Some("1")), Verdict::Retry(Some(secs(1))));
        assert_eq!(judge(429, Some(" 7 ")), Verdict::Retry(Some(secs(7))));
        assert_eq!(
            judge(503, Some("100000")),
            Verdict::Retry(Some(MAX_RETRY_AFTER))
        );
        let date = "Wed, 21 Oct 2015 07:28:00 GMT";
        assert_eq!(judge(503, Some(date)), Verdict::Retry(None));
        assert_eq!(judge(503, Some("-1")), Verdict::Retry(None));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_bounded_jitter() {
        let b = Backoff {
            max_retries: 10,
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        let ms = |n, j| b.delay(n, j).as_millis();
        assert_eq!(
            [ms(1, 0.999_999), ms(2, 0.999_999), ms(3, 0.999_999)],
            [99, 199, 399]
        );
        assert_eq!([ms(1, 0.0), ms(2, 0.0), ms(4, 0.0)], [50, 100, 400]);
        assert_eq!(
            [ms(5, 0.0), ms(40, 0.0), ms(u32::MAX, 0.0)],
            [500, 500, 500]
        );
        let mut j = Jitter::new();
        for _ in 0..1000 {
            let x = j.next();
            assert!((0.0..1.0).contains(&x), "{x}");
        }
    }
}
