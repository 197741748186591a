//! mParticle's side: execution environments to invoke, and the retry of failed invocations
//! with jittered exponential back-off.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use mparticle_firehose::model::{Message, MessageBody};
use mparticle_firehose::partner::Partner;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use super::target::{Environment, Outcome};

/// How mParticle invokes and retries.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Retries after the first invocation before a message counts as lost.
    pub max_retries: u32,
    /// The back-off ceiling before the first retry.
    pub backoff_base: Duration,
    /// The cap of the back-off ceiling.
    pub backoff_cap: Duration,
    /// The function timeout: each invocation's deadline.
    pub timeout: Duration,
    /// Open loop: messages arrive at their own pace, and an invocation with every environment
    /// busy is throttled (and retried) instead of waiting for one.
    pub open_loop: bool,
}

impl Policy {
    /// The same policy in a closed loop: each message waits for a free environment (the
    /// registration probe and verification requests, before the traffic).
    pub fn closed_loop(&self) -> Self {
        Self {
            open_loop: false,
            ..self.clone()
        }
    }

    /// The back-off ceiling before retry `retry` (1 for the first): `base × 2^(retry-1)`,
    /// capped.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32 << retry.saturating_sub(1).min(20);
        self.backoff_base
            .saturating_mul(factor)
            .min(self.backoff_cap)
    }

    /// The wait before retry `retry`: uniform between half the ceiling and the ceiling, so
    /// that messages that failed together do not come back together.
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self.ceiling(retry);
        ceiling.mul_f64(0.5 + fastrand::f64() / 2.0)
    }

    /// What mParticle does after attempt `attempt` of a message failed with `failure`: gives
    /// up once the retries are spent (the message counts as lost, and `Err` carries the last
    /// failure), else counts a retry and waits its back-off.
    pub async fn retry(
        &self,
        stats: &Stats,
        attempt: &mut u32,
        failure: String,
    ) -> Result<(), String> {
        if *attempt >= self.max_retries {
            stats.lost_messages.fetch_add(1, Ordering::Relaxed);
            return Err(failure);
        }
        *attempt += 1;
        stats.retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(self.backoff(*attempt)).await;
        Ok(())
    }
}

/// What the run's invocations came to.
#[derive(Debug, Default)]
pub struct Stats {
    /// Invocations that ran (throttled ones did not).
    pub invocations: AtomicU64,
    /// Messages sent again after a failed attempt.
    pub retries: AtomicU64,
    /// Attempts refused because no environment was free.
    pub throttles: AtomicU64,
    /// Invocations that ran past their timeout.
    pub timeouts: AtomicU64,
    /// Execution environments started (in-process only).
    pub cold_starts: AtomicU64,
    /// Messages that exhausted their retries.
    pub lost_messages: AtomicU64,
    /// Function errors by `errorType` (timeouts and undeliverable invocations included).
    pub errors: Mutex<BTreeMap<String, u64>>,
    /// The first failure, for the report.
    pub first_error: Mutex<Option<String>>,
    /// Each invocation's latency, in microseconds.
    pub latencies_us: Mutex<Vec<u64>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Stats {
    fn failure(&self, kind: &str, detail: &str) {
        *lock(&self.errors).entry(kind.to_owned()).or_insert(0) += 1;
        lock(&self.first_error).get_or_insert_with(|| format!("{kind}: {detail}"));
    }

    /// Function errors by type.
    pub fn errors(&self) -> BTreeMap<String, u64> {
        lock(&self.errors).clone()
    }

    /// The first failure seen.
    pub fn first_error(&self) -> Option<String> {
        lock(&self.first_error).clone()
    }

    /// Takes the recorded latencies.
    pub fn take_latencies(&self) -> Vec<u64> {
        std::mem::take(&mut *lock(&self.latencies_us))
    }

    /// The invocation counts so far, for the report.
    pub fn calls(&self) -> Calls {
        Calls {
            invocations: self.invocations.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttles: self.throttles.load(Ordering::Relaxed),
            timeouts: self.timeouts.load(Ordering::Relaxed),
            cold_starts: self.cold_starts.load(Ordering::Relaxed),
            lost_messages: self.lost_messages.load(Ordering::Relaxed),
            function_errors: self.errors(),
            first_error: self.first_error(),
        }
    }
}

/// What the invocations came to: a snapshot of [`Stats`]' counters, whose fields say what
/// each counts.
pub struct Calls {
    pub invocations: u64,
    pub retries: u64,
    pub throttles: u64,
    pub timeouts: u64,
    pub cold_starts: u64,
    pub lost_messages: u64,
    /// Function errors by `errorType`.
    pub function_errors: BTreeMap<String, u64>,
    /// The first failure, in the direct mode's stats or (queue mode) the consumers'.
    pub first_error: Option<String>,
}

/// What the main phase sent.
#[derive(Default)]
pub struct Sent {
    pub batches: usize,
    pub audience_changes: usize,
    pub expected: HashSet<Uuid>,
    pub withheld: HashSet<Uuid>,
    pub memberships: usize,
    pub suspensions: u64,
    pub odd_answers: u64,
}

impl Sent {
    /// Counts what mParticle would make of one delivered message's final answer: a suspension,
    /// or an answer that is not the response its request calls for. A lost message (an error)
    /// is counted by the sender.
    pub fn count(&mut self, answer: Result<Vec<u8>, String>) {
        let Ok(answer) = answer else {
            return;
        };
        match Message::decode(&answer).map(|m| m.body) {
            Ok(MessageBody::EventProcessingResponse(r)) if r.suspend_subscription => {
                self.suspensions += 1;
            }
            Ok(MessageBody::AudienceMembershipChangeResponse(r)) if r.suspend_subscription => {
                self.suspensions += 1;
            }
            Ok(
                MessageBody::EventProcessingResponse(_)
                | MessageBody::AudienceMembershipChangeResponse(_),
            ) => {}
            _ => self.odd_answers += 1,
        }
    }
}

/// The execution environments: an invocation takes one, and gives it back when it ends.
pub struct Pool<P: Partner> {
    free: Mutex<Vec<Environment<P>>>,
    permits: Arc<Semaphore>,
}

/// An environment taken from the pool, given back when dropped.
pub struct Lease<P: Partner> {
    env: Option<Environment<P>>,
    pool: Arc<Pool<P>>,
    _permit: OwnedSemaphorePermit,
}

impl<P: Partner> Drop for Lease<P> {
    fn drop(&mut self) {
        if let Some(env) = self.env.take() {
            lock(&self.pool.free).push(env);
        }
    }
}

impl<P: Partner> Pool<P> {
    /// A pool of these environments.
    pub fn new(envs: Vec<Environment<P>>) -> Arc<Self> {
        let permits = Arc::new(Semaphore::new(envs.len()));
        Arc::new(Self {
            free: Mutex::new(envs),
            permits,
        })
    }

    /// Takes an environment: waits for one, or with `throttle` returns `None` at once when all
    /// are busy (as Lambda throttles at its concurrency limit).
    pub async fn checkout(self: &Arc<Self>, throttle: bool) -> Option<Lease<P>> {
        let permit = if throttle {
            Arc::clone(&self.permits).try_acquire_owned().ok()?
        } else {
            Arc::clone(&self.permits).acquire_owned().await.ok()?
        };
        let env = lock(&self.free).pop();
        Some(Lease {
            env,
            pool: Arc::clone(self),
            _permit: permit,
        })
    }
}

/// Delivers one message as mParticle does: invoke; on a function error, a timeout or a
/// throttle, wait the back-off and invoke again, up to `max_retries` times. Returns the
/// response, or the last failure when the message is lost. `lease` is an environment already
/// taken for the first attempt.
pub async fn deliver<P: Partner>(
    pool: &Arc<Pool<P>>,
    policy: &Policy,
    stats: &Stats,
    payload: &[u8],
    mut lease: Option<Lease<P>>,
) -> Result<Vec<u8>, String> {
    let mut attempt = 0;
    loop {
        let taken = match lease.take() {
            Some(lease) => Some(lease),
            None => pool.checkout(policy.open_loop).await,
        };
        let failure = match taken {
            None => {
                stats.throttles.fetch_add(1, Ordering::Relaxed);
                "throttled: every execution environment was busy".to_owned()
            }
            Some(mut taken) => {
                let Some(env) = taken.env.as_mut() else {
                    unreachable!("a permit always comes with a free environment")
                };
                let started = Instant::now();
                let (outcome, cold) = env.invoke(payload, policy.timeout).await;
                let latency = started.elapsed();
                drop(taken);
                if outcome != Outcome::Throttled {
                    stats.invocations.fetch_add(1, Ordering::Relaxed);
                    lock(&stats.latencies_us)
                        .push(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
                }
                if cold {
                    stats.cold_starts.fetch_add(1, Ordering::Relaxed);
                }
                match outcome {
                    Outcome::Response(response) => return Ok(response),
                    Outcome::FunctionError {
                        error_type,
                        message,
                    } => {
                        stats.failure(&error_type, &message);
                        format!("{error_type}: {message}")
                    }
                    Outcome::TimedOut => {
                        stats.timeouts.fetch_add(1, Ordering::Relaxed);
                        let what =
                            format!("the invocation ran past its {:?} timeout", policy.timeout);
                        stats.failure("Sandbox.Timedout", &what);
                        what
                    }
                    Outcome::Throttled => {
                        stats.throttles.fetch_add(1, Ordering::Relaxed);
                        "throttled by the Invoke API".to_owned()
                    }
                    Outcome::Failed(e) => {
                        stats.failure("InvokeFailed", &e);
                        format!("the invocation failed: {e}")
                    }
                }
            }
        };
        policy.retry(stats, &mut attempt, failure).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            max_retries: 10,
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_secs(2),
            timeout: Duration::from_secs(3),
            open_loop: false,
        }
    }

    #[test]
    fn the_backoff_doubles_up_to_the_cap_with_jitter() {
        let policy = policy();
        assert_eq!(policy.ceiling(1), Duration::from_millis(100));
        assert_eq!(policy.ceiling(2), Duration::from_millis(200));
        assert_eq!(policy.ceiling(5), Duration::from_millis(1_600));
        assert_eq!(policy.ceiling(6), Duration::from_secs(2));
        assert_eq!(policy.ceiling(60), Duration::from_secs(2));
        for retry in 1..12 {
            let wait = policy.backoff(retry);
            let ceiling = policy.ceiling(retry);
            assert!(
                wait >= ceiling / 2 && wait <= ceiling,
                "{wait:?} for {retry}"
            );
        }
    }
}
