//! The producer environments of `firehose simulate --mode queue`: queue-mode execution
//! environments of the example integration, invoked and retried as mParticle does.

use super::*;

/// Builds a producer for a new execution environment.
pub(super) type ProducerFactory =
    Arc<dyn Fn() -> Result<Producer<ExampleIntegration>, String> + Send + Sync>;

/// The producer environments mParticle invokes.
pub(super) struct Producers {
    pub(super) free: Mutex<Vec<Option<Producer<ExampleIntegration>>>>,
    pub(super) permits: Arc<Semaphore>,
    pub(super) factory: ProducerFactory,
    pub(super) timeout: Duration,
}

/// One invocation's outcome, as mParticle sees it.
pub(super) enum Answer {
    Response(Vec<u8>),
    Failed { kind: String, detail: String },
    Throttled,
}

impl Producers {
    pub(super) fn new(count: usize, factory: ProducerFactory, timeout: Duration) -> Self {
        Self {
            free: Mutex::new((0..count).map(|_| None).collect()),
            permits: Arc::new(Semaphore::new(count)),
            factory,
            timeout,
        }
    }

    pub(super) async fn permit(&self, throttle: bool) -> Option<OwnedSemaphorePermit> {
        if throttle {
            Arc::clone(&self.permits).try_acquire_owned().ok()
        } else {
            Arc::clone(&self.permits).acquire_owned().await.ok()
        }
    }

    /// Invokes a free environment (started if it is not yet: a cold start).
    pub(super) async fn invoke(
        &self,
        payload: &[u8],
        permit: OwnedSemaphorePermit,
        stats: &Stats,
    ) -> Answer {
        let slot = lock(&self.free).pop().flatten();
        let producer = match slot {
            Some(producer) => producer,
            None => {
                stats.cold_starts.fetch_add(1, Ordering::Relaxed);
                match (self.factory)() {
                    Ok(producer) => producer,
                    Err(e) => {
                        lock(&self.free).push(None);
                        drop(permit);
                        return Answer::Failed {
                            kind: "Runtime.InitError".into(),
                            detail: e,
                        };
                    }
                }
            }
        };
        let invocation = Invocation {
            request_id: uuid::Uuid::new_v4().to_string(),
            deadline: Some(Instant::now() + self.timeout),
            invoked_function_arn: TEST_FUNCTION_ARN.to_owned(),
        };
        let started = Instant::now();
        let outcome =
            tokio::time::timeout(self.timeout, producer.handle(payload, invocation)).await;
        stats.invocations.fetch_add(1, Ordering::Relaxed);
        lock(&stats.latencies_us).push(micros(started.elapsed()));
        let (answer, keep) = match outcome {
            Ok(Ok(response)) => (Answer::Response(response), true),
            Ok(Err(e)) => (
                Answer::Failed {
                    kind: e.error_type.as_str().to_owned(),
                    detail: e.message,
                },
                true,
            ),
            Err(_) => {
                stats.timeouts.fetch_add(1, Ordering::Relaxed);
                (
                    Answer::Failed {
                        kind: "Sandbox.Timedout".into(),
                        detail: format!("the invocation ran past its {:?} timeout", self.timeout),
                    },
                    false,
                )
            }
        };
        // A timed-out environment is reset: the next invocation starts a new one.
        lock(&self.free).push(keep.then_some(producer));
        drop(permit);
        answer
    }
}

pub(super) fn record_failure(stats: &Stats, kind: &str, detail: &str) {
    *lock(&stats.errors).entry(kind.to_owned()).or_insert(0) += 1;
    lock(&stats.first_error).get_or_insert_with(|| format!("{kind}: {detail}"));
}

/// Delivers one message as mParticle does: invoke, and on failure wait the back-off and invoke
/// again, up to `max_retries` times.
pub(super) async fn deliver(
    producers: &Producers,
    policy: &Policy,
    stats: &Stats,
    payload: &[u8],
    mut permit: Option<OwnedSemaphorePermit>,
) -> Result<Vec<u8>, String> {
    let mut attempt = 0;
    loop {
        let taken = match permit.take() {
            Some(p) => Some(p),
            None => producers.permit(policy.open_loop).await,
        };
        let answer = match taken {
            Some(p) => producers.invoke(payload, p, stats).await,
            None => Answer::Throttled,
        };
        let failure = match answer {
            Answer::Response(bytes) => return Ok(bytes),
            Answer::Failed { kind, detail } => {
                record_failure(stats, &kind, &detail);
                format!("{kind}: {detail}")
            }
            Answer::Throttled => {
                stats.throttles.fetch_add(1, Ordering::Relaxed);
                "throttled: every execution environment was busy".to_owned()
            }
        };
        policy.retry(stats, &mut attempt, failure).await?;
    }
}
