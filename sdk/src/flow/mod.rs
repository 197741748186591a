//! Flow control for partner calls: time budgets from the Lambda deadline, jittered back-off,
//! back-off memory, keyed rate limits, bounded per-user fan-out and chunking for bulk APIs.
//!
//! [`PartnerApi`](crate::http::PartnerApi) uses all of these for you; they are public so that an
//! integration calling its partner through another client (a vendor SDK, a queue) gets the same
//! behaviour.
//!
//! # Limits are per execution environment
//!
//! Every limit here lives in the memory of one Lambda *execution environment*: the rate limiter,
//! the back-off memory and the in-flight bound are shared by the invocations that environment
//! serves, and by nothing else. Lambda scales out by adding environments (up to the function's
//! concurrency: 100 by default, or its *reserved concurrency*), each with its own limiter. A
//! partner quota of 100 requests per second is therefore respected only if each environment
//! gets its share: [`RateLimit::per_environment`] divides a global quota by the reserved
//! concurrency. Set a reserved concurrency on the function so that the division holds.
//!
//! # Failing fast
//!
//! Sleeping inside the function is rarely the right answer: the environment stays busy, the
//! invocation may time out, and mParticle retries anyway. Every wait here (a back-off delay, a
//! `Retry-After`, a rate-limit permit, a remembered back-off) goes through a [`Budget`]: it
//! happens only if it ends, with time for one more attempt, before the invocation deadline minus
//! a headroom, and if it is no longer than [`BudgetPolicy::max_wait`]. Otherwise the call fails
//! at once with [`PartnerError::RetryLater`](crate::PartnerError::RetryLater) and mParticle's own
//! back-off takes over.
//!
//! ```
//! use std::time::Duration;
//! use mparticle_firehose::flow::{Budget, BudgetPolicy, RateLimit, KeyedLimiter};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), mparticle_firehose::PartnerError> {
//! // A partner allowing 1,000 requests per second over all environments, with 50 reserved.
//! let limit = RateLimit::per_second(1_000)?.per_environment(50);
//! assert_eq!(limit.replenish_interval(), Duration::from_millis(50));
//! let limiter = KeyedLimiter::new(limit);
//! let budget = Budget::after(Duration::from_secs(5), &BudgetPolicy::default());
//! limiter.acquire("account-42", &budget).await?;
//! # Ok(()) }
//! ```

mod backoff;
mod budget;
mod chunk;
mod fanout;
mod limit;
mod memory;

pub use backoff::RetryPolicy;
pub use budget::{Budget, BudgetPolicy, WaitTooLong};
pub use chunk::{ChunkLimits, Chunked, chunk, chunk_json, json_size};
pub use fanout::fan_out_by_user;
pub use limit::{InvalidRateLimit, KeyedLimiter, RateLimit};
pub use memory::BackoffMemory;
