//! Time budgets: how long a call may take, derived from the invocation deadline.

use std::time::Duration;

use tokio::time::Instant;

use crate::error::PartnerError;
use crate::partner::RequestContext;

/// How a [`Budget`] is derived from an invocation, and how long a single wait may be.
///
/// ```
/// use std::time::Duration;
/// use mparticle_firehose::flow::BudgetPolicy;
///
/// let mut policy = BudgetPolicy::default();
/// policy.headroom = Duration::from_secs(1);
/// assert_eq!(policy.default_budget, Duration::from_secs(25));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BudgetPolicy {
    /// Time kept free before the invocation deadline, for answering mParticle (default 500 ms).
    pub headroom: Duration,
    /// The budget when the deadline is unknown (local emulators), counted from when the budget
    /// is made (default 25 s).
    pub default_budget: Duration,
    /// The least time worth starting a request with: an attempt is not made, and a wait is not
    /// started, unless this much would be left for the request (default 100 ms).
    pub min_attempt: Duration,
    /// The longest single wait inside an invocation, whatever time is left (default 5 s).
    /// Longer waits fail fast as retry-later.
    pub max_wait: Duration,
}

impl Default for BudgetPolicy {
    fn default() -> Self {
        Self {
            headroom: Duration::from_millis(500),
            default_budget: Duration::from_secs(25),
            min_attempt: Duration::from_millis(100),
            max_wait: Duration::from_secs(5),
        }
    }
}

/// The time a call may use: up to a cutoff (the invocation deadline minus the headroom), with
/// the wait rules of its [`BudgetPolicy`].
///
/// Times are read from tokio's clock, so a test with a paused clock controls them.
///
/// ```
/// use std::time::Duration;
/// use mparticle_firehose::flow::{Budget, BudgetPolicy};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let budget = Budget::after(Duration::from_secs(2), &BudgetPolicy::default());
/// assert!(budget.check_wait(Duration::from_millis(500)).is_ok());
/// // A 60 s Retry-After does not fit: fail fast and let mParticle retry.
/// let refused = budget.check_wait(Duration::from_secs(60)).unwrap_err();
/// assert_eq!(refused.wait, Duration::from_secs(60));
/// assert_eq!(budget.attempt_timeout(Duration::from_secs(10)).map(|t| t <= Duration::from_secs(2)), Some(true));
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    cutoff: Instant,
    min_attempt: Duration,
    max_wait: Duration,
}

impl Budget {
    /// The budget of the invocation `ctx` serves: up to its deadline minus the headroom, or the
    /// default budget from now when the deadline is unknown.
    pub fn for_context(ctx: &RequestContext, policy: &BudgetPolicy) -> Self {
        Self::from_deadline(ctx.deadline(), policy)
    }

    /// A budget up to `deadline` minus the headroom (`None`: the default budget from now).
    pub fn from_deadline(deadline: Option<std::time::Instant>, policy: &BudgetPolicy) -> Self {
        let cutoff = match deadline {
            Some(deadline) => {
                let deadline = Instant::from_std(deadline);
                deadline.checked_sub(policy.headroom).unwrap_or(deadline)
            }
            None => Instant::now() + policy.default_budget,
        };
        Self::until(cutoff, policy)
    }

    /// A budget of `time` from now (no headroom is taken off).
    pub fn after(time: Duration, policy: &BudgetPolicy) -> Self {
        Self::until(Instant::now() + time, policy)
    }

    /// A budget up to `cutoff` (no headroom is taken off).
    pub fn until(cutoff: Instant, policy: &BudgetPolicy) -> Self {
        Self {
            cutoff,
            min_attempt: policy.min_attempt,
            max_wait: policy.max_wait,
        }
    }

    /// The instant no work may go past.
    pub fn cutoff(&self) -> Instant {
        self.cutoff
    }

    /// Time left before the cutoff (zero once passed).
    pub fn remaining(&self) -> Duration {
        self.cutoff.saturating_duration_since(Instant::now())
    }

    /// Whether too little time is left to start an attempt.
    pub fn is_spent(&self) -> bool {
        let left = self.remaining();
        left.is_zero() || left < self.min_attempt
    }

    /// The timeout for an attempt starting now: `timeout` capped by the time left; `None` when
    /// too little is left to start one.
    pub fn attempt_timeout(&self, timeout: Duration) -> Option<Duration> {
        (!self.is_spent()).then(|| timeout.min(self.remaining()))
    }

    /// Whether a wait of `wait` is allowed: no longer than the policy's `max_wait`, and ending
    /// early enough to leave `min_attempt` before the cutoff.
    pub fn check_wait(&self, wait: Duration) -> Result<(), WaitTooLong> {
        let left = self.remaining();
        let fits = wait
            .checked_add(self.min_attempt)
            .is_some_and(|needed| needed <= left);
        if wait <= self.max_wait && fits {
            Ok(())
        } else {
            Err(WaitTooLong {
                wait,
                left,
                max_wait: self.max_wait,
            })
        }
    }

    /// Sleeps for `wait` if [`check_wait`](Self::check_wait) allows it; otherwise returns at once.
    pub async fn sleep(&self, wait: Duration) -> Result<(), WaitTooLong> {
        self.check_wait(wait)?;
        tokio::time::sleep(wait).await;
        Ok(())
    }
}

/// A wait that does not fit in a [`Budget`]: the call should fail fast as retry-later. It
/// converts into [`PartnerError::RetryLater`] with `retry_after` set to the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "waiting {wait:?} does not fit in this invocation ({left:?} left before the deadline headroom, at most {max_wait:?} per wait)"
)]
pub struct WaitTooLong {
    /// The wait that was needed.
    pub wait: Duration,
    /// The time that was left before the cutoff.
    pub left: Duration,
    /// The longest wait allowed.
    pub max_wait: Duration,
}

impl From<WaitTooLong> for PartnerError {
    fn from(e: WaitTooLong) -> Self {
        PartnerError::retry_after(e.to_string(), e.wait)
    }
}
