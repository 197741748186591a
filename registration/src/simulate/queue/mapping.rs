//! The emulated event source mapping of `firehose simulate --mode queue`: pollers that receive
//! batches, invoke consumer environments and delete what succeeded, and the backlog sampler.

use super::*;

/// What the consumers and the mapping did.
#[derive(Default)]
pub(super) struct MappingStats {
    pub(super) invocations: AtomicU64,
    pub(super) cold_starts: AtomicU64,
    pub(super) timeouts: AtomicU64,
    pub(super) function_errors: AtomicU64,
    pub(super) received: AtomicU64,
    pub(super) returned: AtomicU64,
    pub(super) active: AtomicUsize,
    pub(super) first_error: Mutex<Option<String>>,
    pub(super) queue_ages_us: Mutex<Vec<u64>>,
    pub(super) reasons: Mutex<BTreeMap<&'static str, u64>>,
    pub(super) visibility_changes: AtomicU64,
    pub(super) busy: Mutex<Duration>,
}

/// The emulated event source mapping's settings.
pub(super) struct Mapping {
    pub(super) batch_size: usize,
    pub(super) window: Duration,
    pub(super) timeout: Duration,
    pub(super) poll_wait: Duration,
}

/// The record Lambda hands the function for a received message.
pub(super) fn record_of(received: &Received, arn: &str) -> SqsMessage {
    let mut record = SqsMessage::default();
    record.message_id = Some(received.message_id.clone());
    record.receipt_handle = Some(received.receipt_handle.clone());
    record.body = Some(received.body.clone());
    record.attributes = received.attributes.clone();
    record.event_source = Some("aws:sqs".to_owned());
    record.event_source_arn = Some(arn.to_owned());
    record.aws_region = Some(sqs::REGION.to_owned());
    record
}

/// One poller of the event source mapping, with its consumer execution environment: receive a
/// batch, invoke, delete what succeeded; until told to stop.
pub(super) async fn poll(
    queue: Arc<dyn SimQueue>,
    factory: Arc<dyn Fn() -> Result<Consumer<ExampleIntegration>, String> + Send + Sync>,
    mapping: Arc<Mapping>,
    stats: Arc<MappingStats>,
    stop: Arc<AtomicBool>,
) {
    let mut consumer: Option<Consumer<ExampleIntegration>> = None;
    let note = |e: String| {
        lock(&stats.first_error).get_or_insert(e);
    };
    while !stop.load(Ordering::Relaxed) {
        let mut batch = match queue.receive(mapping.batch_size, mapping.poll_wait).await {
            Ok(batch) => batch,
            Err(e) => {
                note(e);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if batch.is_empty() {
            continue;
        }
        stats.active.fetch_add(1, Ordering::SeqCst);
        let window_ends = Instant::now() + mapping.window;
        while batch.len() < mapping.batch_size && Instant::now() < window_ends {
            let wait = window_ends.saturating_duration_since(Instant::now());
            match queue.receive(mapping.batch_size - batch.len(), wait).await {
                Ok(more) => batch.extend(more),
                Err(e) => {
                    note(e);
                    break;
                }
            }
        }
        stats
            .received
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        let records: Vec<SqsMessage> = batch.iter().map(|r| record_of(r, queue.arn())).collect();
        let payload = match serde_json::to_vec(&serde_json::json!({ "Records": records })) {
            Ok(payload) => payload,
            Err(e) => {
                note(e.to_string());
                stats.active.fetch_sub(1, Ordering::SeqCst);
                continue;
            }
        };
        let env = match consumer.take() {
            Some(env) => Some(env),
            None => {
                stats.cold_starts.fetch_add(1, Ordering::Relaxed);
                factory().map_err(note).ok()
            }
        };
        let Some(env) = env else {
            stats.active.fetch_sub(1, Ordering::SeqCst);
            continue;
        };
        let invocation = Invocation {
            request_id: uuid::Uuid::new_v4().to_string(),
            deadline: Some(Instant::now() + mapping.timeout),
            invoked_function_arn: TEST_FUNCTION_ARN.to_owned(),
        };
        stats.invocations.fetch_add(1, Ordering::Relaxed);
        // The event as the runtime hands it over: decoded from the payload's JSON.
        let event: SqsEvent = match serde_json::from_slice(&payload) {
            Ok(event) => event,
            Err(e) => {
                note(format!("an undecodable SQS event: {e}"));
                stats.active.fetch_sub(1, Ordering::SeqCst);
                continue;
            }
        };
        let started = Instant::now();
        let outcome = tokio::time::timeout(mapping.timeout, env.consume(event, invocation)).await;
        *lock(&stats.busy) += started.elapsed();
        // Lambda resets an environment whose invocation timed out.
        if outcome.is_ok() {
            consumer = Some(env);
        }
        let failed: Option<HashSet<String>> = match outcome {
            Ok(Ok(consumed)) => {
                let mut reasons = lock(&stats.reasons);
                for (_, outcome) in &consumed.outcomes {
                    if let RecordOutcome::Returned { reason, .. } = outcome {
                        *reasons.entry(reason.as_str()).or_insert(0) += 1;
                    }
                }
                drop(reasons);
                stats
                    .visibility_changes
                    .fetch_add(consumed.visibility_changes as u64, Ordering::Relaxed);
                // The JSON Lambda reads.
                match serde_json::to_vec(&consumed.response)
                    .ok()
                    .and_then(|bytes| serde_json::from_slice::<SqsBatchResponse>(&bytes).ok())
                {
                    Some(response) => Some(
                        response
                            .batch_item_failures
                            .into_iter()
                            .map(|f| f.item_identifier)
                            .collect(),
                    ),
                    None => {
                        note("an unreadable partial batch response".to_owned());
                        None
                    }
                }
            }
            Ok(Err(e)) => {
                stats.function_errors.fetch_add(1, Ordering::Relaxed);
                note(format!(
                    "consumer function error {}: {}",
                    e.error_type, e.message
                ));
                None
            }
            Err(_) => {
                stats.timeouts.fetch_add(1, Ordering::Relaxed);
                note("a consumer invocation timed out".to_owned());
                None
            }
        };
        match failed {
            // Lambda deletes what the response does not list (an unknown id fails the batch).
            Some(failed)
                if failed
                    .iter()
                    .all(|id| batch.iter().any(|r| &r.message_id == id)) =>
            {
                stats
                    .returned
                    .fetch_add(failed.len() as u64, Ordering::Relaxed);
                let now_ms = sqs::epoch_ms();
                let done: Vec<&Received> = batch
                    .iter()
                    .filter(|r| !failed.contains(&r.message_id))
                    .collect();
                {
                    let mut ages = lock(&stats.queue_ages_us);
                    for r in &done {
                        if let Some(sent) = r
                            .attributes
                            .get("SentTimestamp")
                            .and_then(|s| s.parse::<u64>().ok())
                        {
                            ages.push(now_ms.saturating_sub(sent).saturating_mul(1_000));
                        }
                    }
                }
                let handles = done.iter().map(|r| r.receipt_handle.clone()).collect();
                if let Err(e) = queue.delete(handles).await {
                    note(e);
                }
            }
            _ => {
                stats
                    .returned
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
            }
        }
        stats.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Samples whether a backlog exists (messages available, or a consumer invocation under way)
/// until stopped; returns the backlog intervals in microseconds since `t0`.
pub(super) async fn sample_backlog(
    queue: Arc<dyn SimQueue>,
    stats: Arc<MappingStats>,
    stop: Arc<AtomicBool>,
    t0: Instant,
) -> Vec<(u64, u64)> {
    let mut intervals = Vec::new();
    let mut open: Option<u64> = None;
    loop {
        let stopping = stop.load(Ordering::Relaxed);
        let now = micros(t0.elapsed());
        // A backlog: messages waiting for a consumer (or, when the queue cannot tell cheaply,
        // a consumer at work).
        let busy = !stopping
            && match queue.visible_now() {
                Some(visible) => visible > 0,
                None => stats.active.load(Ordering::SeqCst) > 0,
            };
        match (busy, open) {
            (true, None) => open = Some(now),
            (false, Some(start)) => {
                intervals.push((start, now));
                open = None;
            }
            _ => {}
        }
        if stopping {
            return intervals;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
