//! Retries: how many attempts, and the jittered exponential back-off between them.

use std::time::Duration;

/// How often a call is attempted and how long to wait between attempts when the partner does
/// not say (`Retry-After` takes precedence).
///
/// The wait before retry `n` (1 for the second attempt) is drawn uniformly between half and all
/// of `min(max_delay, initial_delay × 2^(n-1))`, so that environments that failed together do
/// not retry together. Every wait is further bounded by the invocation's [`Budget`](super::Budget).
///
/// ```
/// use std::time::Duration;
/// use mparticle_firehose::flow::RetryPolicy;
///
/// let policy = RetryPolicy::new(4).with_delays(Duration::from_millis(100), Duration::from_secs(1));
/// assert_eq!(policy.ceiling(1), Duration::from_millis(100));
/// assert_eq!(policy.ceiling(3), Duration::from_millis(400));
/// assert_eq!(policy.ceiling(10), Duration::from_secs(1));
/// let d = policy.delay(3);
/// assert!(d >= Duration::from_millis(200) && d <= Duration::from_millis(400));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (default 3; 0 counts as 1).
    pub max_attempts: u32,
    /// The back-off ceiling before the first retry (default 100 ms).
    pub initial_delay: Duration,
    /// The cap of the back-off ceiling (default 2 s).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// The default delays with `max_attempts` attempts in all.
    pub fn new(max_attempts: u32) -> Self {
        Self {
            max_attempts,
            ..Self::default()
        }
    }

    /// One attempt, no retry.
    pub fn no_retries() -> Self {
        Self::new(1)
    }

    /// Sets the first back-off ceiling and its cap.
    pub fn with_delays(mut self, initial_delay: Duration, max_delay: Duration) -> Self {
        self.initial_delay = initial_delay;
        self.max_delay = max_delay;
        self
    }

    /// Attempts in all (at least 1).
    pub fn attempts(&self) -> u32 {
        self.max_attempts.max(1)
    }

    /// The back-off ceiling before retry `retry` (1 for the second attempt), without jitter.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// The jittered wait before retry `retry`: uniform between half and all of its
    /// [`ceiling`](Self::ceiling).
    pub fn delay(&self, retry: u32) -> Duration {
        let ceiling = self.ceiling(retry);
        let half = ceiling / 2;
        let spread = u64::try_from((ceiling - half).as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(fastrand::u64(0..=spread))
    }
}
