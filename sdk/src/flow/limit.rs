//! Keyed rate limits (GCRA, from `governor`) whose waits respect the invocation deadline.

use std::fmt;
use std::num::NonZeroU32;
use std::ops::Add;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use governor::clock::{Clock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use super::budget::{Budget, WaitTooLong};
use crate::error::PartnerError;

/// A rate: one permit every [`replenish_interval`](Self::replenish_interval), with up to
/// [`burst`](Self::burst) permits available at once after a quiet spell. In any window of
/// length `T`, at most `burst + T / interval` permits are granted.
///
/// The default burst is a tenth of the count (at least 1): `per_second(100)` lets at most
/// 110 calls through in any one-second window. Limits are per execution environment: see
/// [`per_environment`](Self::per_environment) and the [module docs](super).
///
/// ```
/// use std::time::Duration;
/// use mparticle_firehose::flow::RateLimit;
///
/// let limit = RateLimit::per_second(100)?;
/// assert_eq!(limit.replenish_interval(), Duration::from_millis(10));
/// assert_eq!(limit.burst(), 10);
/// assert_eq!(RateLimit::per_minute(30)?.with_burst(5).burst(), 5);
/// assert!(RateLimit::per_second(0).is_err());
/// # Ok::<(), mparticle_firehose::flow::InvalidRateLimit>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    interval: Duration,
    burst: NonZeroU32,
}

/// A rate limit that cannot be built (zero requests, or a zero period).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid rate limit: {0}")]
pub struct InvalidRateLimit(&'static str);

impl From<InvalidRateLimit> for PartnerError {
    fn from(e: InvalidRateLimit) -> Self {
        PartnerError::invalid_request(e.to_string())
    }
}

impl RateLimit {
    /// `count` requests per `period`, with the default burst (a tenth of `count`, at least 1).
    pub fn new(count: u32, period: Duration) -> Result<Self, InvalidRateLimit> {
        if count == 0 {
            return Err(InvalidRateLimit("the count must be at least 1"));
        }
        // Round the interval up: the limit is never looser than asked.
        let nanos = period.as_nanos().div_ceil(u128::from(count));
        let nanos = u64::try_from(nanos).map_err(|_| InvalidRateLimit("the period is too long"))?;
        if nanos == 0 {
            return Err(InvalidRateLimit("the period must not be zero"));
        }
        Ok(Self {
            interval: Duration::from_nanos(nanos),
            burst: NonZeroU32::new(count / 10).unwrap_or(NonZeroU32::MIN),
        })
    }

    /// `count` requests per second.
    pub fn per_second(count: u32) -> Result<Self, InvalidRateLimit> {
        Self::new(count, Duration::from_secs(1))
    }

    /// `count` requests per minute.
    pub fn per_minute(count: u32) -> Result<Self, InvalidRateLimit> {
        Self::new(count, Duration::from_secs(60))
    }

    /// Sets how many permits may be taken at once after a quiet spell (at least 1).
    pub fn with_burst(mut self, burst: u32) -> Self {
        self.burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        self
    }

    /// The share of this (global) limit one execution environment may use when the function
    /// runs in at most `reserved_concurrency` environments (its reserved concurrency; 0 counts
    /// as 1): the interval is multiplied by it and the burst divided by it (at least 1).
    ///
    /// ```
    /// use std::time::Duration;
    /// use mparticle_firehose::flow::RateLimit;
    ///
    /// // A partner quota of 100 requests per second, burst 20, over 40 environments:
    /// let share = RateLimit::per_second(100)?.with_burst(20).per_environment(40);
    /// assert_eq!(share.replenish_interval(), Duration::from_millis(400));
    /// assert_eq!(share.burst(), 1);
    /// assert_eq!(share.requests_per_second(), 2.5);
    /// # Ok::<(), mparticle_firehose::flow::InvalidRateLimit>(())
    /// ```
    pub fn per_environment(self, reserved_concurrency: u32) -> Self {
        let environments = reserved_concurrency.max(1);
        Self {
            interval: self.interval.saturating_mul(environments),
            burst: NonZeroU32::new(self.burst.get() / environments).unwrap_or(NonZeroU32::MIN),
        }
    }

    /// The time for one permit to come back.
    pub fn replenish_interval(&self) -> Duration {
        self.interval
    }

    /// The permits available at once after a quiet spell.
    pub fn burst(&self) -> u32 {
        self.burst.get()
    }

    /// The sustained rate, in requests per second.
    pub fn requests_per_second(&self) -> f64 {
        1.0 / self.interval.as_secs_f64()
    }

    fn quota(&self) -> Option<Quota> {
        Some(Quota::with_period(self.interval)?.allow_burst(self.burst))
    }
}

/// An instant of tokio's clock, for `governor` (so that a paused test clock drives the limiter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct TokioInstant(tokio::time::Instant);

impl Add<Nanos> for TokioInstant {
    type Output = Self;

    fn add(self, other: Nanos) -> Self {
        Self(self.0 + Duration::from(other))
    }
}

impl Reference for TokioInstant {
    fn duration_since(&self, earlier: Self) -> Nanos {
        self.0.saturating_duration_since(earlier.0).into()
    }

    fn saturating_sub(&self, duration: Nanos) -> Self {
        self.0
            .checked_sub(Duration::from(duration))
            .map_or(*self, Self)
    }
}

/// tokio's clock, for `governor`.
#[derive(Debug, Clone, Copy, Default)]
struct TokioClock;

impl Clock for TokioClock {
    type Instant = TokioInstant;

    fn now(&self) -> TokioInstant {
        TokioInstant(tokio::time::Instant::now())
    }
}

type Governor =
    RateLimiter<String, DashMapStateStore<String>, TokioClock, NoOpMiddleware<TokioInstant>>;

/// Sweep keys whose state went back to "fresh" every this many checks.
const SWEEP_EVERY: u32 = 4096;

/// A rate limiter with one [`RateLimit`] per key (an mParticle account id, a partner API key),
/// per execution environment. Cheap to clone; clones share the permits.
///
/// [`acquire`](Self::acquire) waits for a permit only if it comes within the [`Budget`];
/// otherwise it fails fast, so that the invocation ends as retry-later instead of sleeping
/// into its timeout.
///
/// ```
/// use std::time::Duration;
/// use mparticle_firehose::flow::{Budget, BudgetPolicy, KeyedLimiter, RateLimit};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let limiter = KeyedLimiter::new(RateLimit::per_minute(1).unwrap());
/// let budget = Budget::after(Duration::from_secs(10), &BudgetPolicy::default());
/// assert!(limiter.acquire("account-1", &budget).await.is_ok());
/// // The next permit comes in a minute: fail fast.
/// let refused = limiter.acquire("account-1", &budget).await.unwrap_err();
/// assert!(refused.wait > Duration::from_secs(59));
/// // Each key has its own permits.
/// assert!(limiter.acquire("account-2", &budget).await.is_ok());
/// # }
/// ```
#[derive(Clone)]
pub struct KeyedLimiter {
    governor: Option<Arc<Governor>>,
    limit: RateLimit,
    checks: Arc<AtomicU32>,
}

impl fmt::Debug for KeyedLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedLimiter")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl KeyedLimiter {
    /// A limiter granting `limit` to each key.
    pub fn new(limit: RateLimit) -> Self {
        // `RateLimit` guarantees a non-zero interval, so the quota always exists.
        let governor = limit.quota().map(|q| {
            Arc::new(RateLimiter::new(
                q,
                DashMapStateStore::default(),
                TokioClock,
            ))
        });
        Self {
            governor,
            limit,
            checks: Arc::new(AtomicU32::new(0)),
        }
    }

    /// The limit of each key.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Takes a permit for `key` now if one is available; otherwise returns how long until one
    /// may be.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let Some(governor) = &self.governor else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            governor.retain_recent();
        }
        governor
            .check_key(&key.to_owned())
            .map_err(|not_until| not_until.wait_time_from(TokioClock.now()))
    }

    /// Takes a permit for `key`, waiting for it if it comes within the [`Budget`]; fails fast
    /// with the time still to wait otherwise. Nothing is taken on failure.
    pub async fn acquire(&self, key: &str, budget: &Budget) -> Result<(), WaitTooLong> {
        loop {
            match self.check(key) {
                Ok(()) => return Ok(()),
                Err(wait) if wait.is_zero() => tokio::task::yield_now().await,
                // Another caller may take the permit first: check again after the wait.
                Err(wait) => budget.sleep(wait).await?,
            }
        }
    }
}
