//! The consumer: SQS events from an event source mapping, served by the partner's hooks, answered
//! with a partial batch response.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{StreamExt, stream};
use tracing::Instrument;

use super::{
    QueueApi, SqsBatchResponse, SqsEvent, SqsMessage, VisibilityChange, queue_url_from_arn,
};
use crate::dispatch::Dispatcher;
use crate::error::{ErrorType, FunctionError};
use crate::flow::BackoffMemory;
use crate::model::{Message, MessageBody};
use crate::partner::{Invocation, Partner};

/// How the [`Consumer`] serves an SQS event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConsumerConfig {
    /// Records served at once (default 8; 0 counts as 1). Partner calls stay under the
    /// partner's keyed rate limits of the execution environment, which every record shares.
    pub concurrency: usize,
    /// Time kept before the invocation deadline for the visibility changes and the answer
    /// (default 1 s). Hooks see the deadline minus this headroom.
    pub headroom: Duration,
    /// A record is not started with less time than this left (default 200 ms): it comes back
    /// instead.
    pub min_record_time: Duration,
    /// A partner back-off at least this long ([`Partner::backing_off`]) makes the records it
    /// concerns come back at once, hidden until it ends, without calling any hook (default 5 s,
    /// the longest a partner client waits inside an invocation); shorter ones are waited out
    /// by the partner's client.
    pub backoff_threshold: Duration,
    /// For partners that do not report back-offs ([`Partner::backing_off`]): a retry-later
    /// failure whose `retry_after` is at least this long is remembered for the record's
    /// account, and the account's later records come back at once until it ends (default
    /// 30 s: long enough not to mistake the wait for a permit of the environment's own rate
    /// limiter for a partner's request).
    pub learned_backoff_threshold: Duration,
    /// The time an SQS event may take when the invocation deadline is unknown (default 25 s).
    pub default_budget: Duration,
    /// How long to hide a record that comes back without a delay from the partner (retry
    /// later, or out of time) on its first receive; doubled on each later receive
    /// (`ApproximateReceiveCount`), at most 15 minutes, so that a long outage costs a few
    /// receives. `None` (the default): the queue's visibility timeout applies.
    pub retry_delay: Option<Duration>,
}

/// The longest [`ConsumerConfig::retry_delay`] grows to.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(15 * 60);

impl ConsumerConfig {
    /// The visibility timeout for a record received `receive_count` times that comes back
    /// without a delay from the partner (see [`retry_delay`](Self::retry_delay)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use mparticle_firehose::queue::ConsumerConfig;
    ///
    /// let mut config = ConsumerConfig::default();
    /// assert_eq!(config.retry_visibility(3), None);
    /// config.retry_delay = Some(Duration::from_secs(30));
    /// assert_eq!(config.retry_visibility(1), Some(Duration::from_secs(30)));
    /// assert_eq!(config.retry_visibility(3), Some(Duration::from_secs(120)));
    /// assert_eq!(config.retry_visibility(40), Some(Duration::from_secs(900)));
    /// ```
    pub fn retry_visibility(&self, receive_count: u32) -> Option<Duration> {
        let base = self.retry_delay?;
        let factor = 1u32
            .checked_shl(receive_count.saturating_sub(1).min(31))
            .unwrap_or(u32::MAX);
        Some(
            base.checked_mul(factor)
                .unwrap_or(MAX_RETRY_DELAY)
                .min(MAX_RETRY_DELAY),
        )
    }
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        Self {
            concurrency: 8,
            headroom: Duration::from_secs(1),
            min_record_time: Duration::from_millis(200),
            backoff_threshold: Duration::from_secs(5),
            learned_backoff_threshold: Duration::from_secs(30),
            default_budget: Duration::from_secs(25),
            retry_delay: None,
        }
    }
}

/// Why a record comes back to the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReturnReason {
    /// The body is not a Firehose request (after `maxReceiveCount` receives it goes to the
    /// dead-letter queue, where it can be inspected).
    Undecodable,
    /// The partner asked to retry later (or the hook panicked, or timed out in the partner
    /// client).
    RetryLater,
    /// The request cannot be processed as it is (`Firehose.InvalidRequest`: a setting is
    /// missing, ...): kept for the dead-letter queue rather than dropped.
    Rejected,
    /// The partner asked to suspend the subscription, which only mParticle can do from its
    /// own call: the record is kept (and ends in the dead-letter queue unless the customer's
    /// connection works again in time).
    Suspended,
    /// The partner asked this environment to back off: the record was not served.
    BackingOff,
    /// Not started, or not finished, before the invocation deadline.
    Deadline,
    /// FIFO: an earlier record of its message group came back, so it comes back too, unserved.
    HeldBack,
}

impl ReturnReason {
    /// A short name, for logs and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Undecodable => "undecodable",
            Self::RetryLater => "retry_later",
            Self::Rejected => "rejected",
            Self::Suspended => "suspended",
            Self::BackingOff => "backing_off",
            Self::Deadline => "deadline",
            Self::HeldBack => "held_back",
        }
    }
}

/// What became of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordOutcome {
    /// Served (or dropped after a permanent failure, which is logged): SQS deletes it.
    Acknowledged,
    /// Listed in the batch item failures: it comes back.
    Returned {
        /// Why.
        reason: ReturnReason,
        /// The visibility timeout set for it (`None`: the queue's own).
        hidden_for: Option<Duration>,
    },
}

impl RecordOutcome {
    fn returned(reason: ReturnReason, hidden_for: Option<Duration>) -> Self {
        Self::Returned { reason, hidden_for }
    }

    /// Whether the record comes back.
    pub fn is_returned(&self) -> bool {
        matches!(self, Self::Returned { .. })
    }
}

/// What [`Consumer::consume`] did with an SQS event.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Consumed {
    /// The partial batch response for Lambda.
    pub response: SqsBatchResponse,
    /// Each record's message id and outcome, in the event's order.
    pub outcomes: Vec<(String, RecordOutcome)>,
    /// Records handed to the partner's hooks.
    pub dispatched: usize,
    /// Visibility changes made.
    pub visibility_changes: usize,
    /// Why a visibility change failed, if one did (the records still come back, after the
    /// queue's visibility timeout).
    pub visibility_error: Option<String>,
}

/// Serves SQS events from an event source mapping with the partner's hooks (see the
/// [module docs](super)).
///
/// * A record is decoded and served through the [`Dispatcher`]; retry-later outcomes,
///   undecodable bodies, invalid requests and suspensions come back (listed in
///   `batchItemFailures`, so that the redrive policy parks what never succeeds in the
///   dead-letter queue); permanent partner rejections are acknowledged and logged.
/// * FIFO queues: the records of one message group are served in order, and a record that comes
///   back holds back the later records of its group, and only of its group.
/// * Back-off: while the partner asked this environment to back off
///   ([`Partner::backing_off`], at least
///   [`backoff_threshold`](ConsumerConfig::backoff_threshold)), or after a retry-later
///   failure with a long `retry_after` (remembered per account), the records concerned come
///   back at once without calling the partner, hidden (`ChangeMessageVisibility`) for the time
///   the partner asked, so that a long outage costs a few receives, not `maxReceiveCount`.
/// * Deadline: records not started (or not finished) in time come back instead of timing out
///   the whole batch.
/// * At most [`concurrency`](ConsumerConfig::concurrency) records at once.
///
/// Cheap to clone; clones share the back-off memory. Build one per execution environment.
pub struct Consumer<P: Partner> {
    dispatcher: Dispatcher<P>,
    queue: Option<Arc<dyn QueueApi>>,
    config: ConsumerConfig,
    memory: BackoffMemory,
    queue_url: Option<Arc<str>>,
    endpoint: Option<Arc<str>>,
}

impl<P: Partner> Clone for Consumer<P> {
    fn clone(&self) -> Self {
        Self {
            dispatcher: self.dispatcher.clone(),
            queue: self.queue.clone(),
            config: self.config.clone(),
            memory: self.memory.clone(),
            queue_url: self.queue_url.clone(),
            endpoint: self.endpoint.clone(),
        }
    }
}

impl<P: Partner> Consumer<P> {
    /// A consumer with the default configuration that changes no visibility (add a queue with
    /// [`with_queue`](Self::with_queue)).
    pub fn new(dispatcher: Dispatcher<P>) -> Self {
        Self {
            dispatcher,
            queue: None,
            config: ConsumerConfig::default(),
            memory: BackoffMemory::new(),
            queue_url: None,
            endpoint: None,
        }
    }

    /// The queue API for visibility changes.
    pub fn with_queue(mut self, queue: Arc<dyn QueueApi>) -> Self {
        self.queue = Some(queue);
        self
    }

    /// The configuration.
    pub fn with_config(mut self, config: ConsumerConfig) -> Self {
        self.config = config;
        self
    }

    /// The URL of a queue this consumer reads, when known (`FIREHOSE_QUEUE_URL`): used for
    /// records whose `eventSourceARN` names it. Other queues' URLs derive from the ARN.
    pub fn with_queue_url(mut self, queue_url: impl Into<String>) -> Self {
        self.queue_url = Some(queue_url.into().into());
        self
    }

    /// A local SQS endpoint, for the URLs derived from `eventSourceARN`s.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into().into());
        self
    }

    /// The configuration in use.
    pub fn config(&self) -> &ConsumerConfig {
        &self.config
    }

    /// The partner back-offs this consumer remembers, by `account:<id>` (or `global`).
    pub fn backoff_memory(&self) -> &BackoffMemory {
        &self.memory
    }

    /// Serves one invocation with an SQS event: the payload's bytes in, the partial batch
    /// response's bytes out. A payload that is not an SQS event is a `Firehose.InvalidMessage`
    /// function error (Lambda then returns the whole batch).
    pub async fn handle(
        &self,
        payload: &[u8],
        invocation: Invocation,
    ) -> Result<Vec<u8>, FunctionError> {
        let event: SqsEvent = serde_json::from_slice(payload).map_err(|e| {
            FunctionError::new(ErrorType::InvalidMessage, format!("not an SQS event: {e}"))
        })?;
        let consumed = self.consume(event, invocation).await?;
        serde_json::to_vec(&consumed.response)
            .map_err(|e| FunctionError::new(ErrorType::Internal, e.to_string()))
    }

    /// Serves the records of an SQS event (see the [type docs](Self)). Fails only when a record
    /// that must come back has no message id to list it by: then the whole batch comes back.
    pub async fn consume(
        &self,
        event: SqsEvent,
        invocation: Invocation,
    ) -> Result<Consumed, FunctionError> {
        let started = Instant::now();
        let span = tracing::info_span!(
            "firehose_queue",
            request_id = %invocation.request_id,
            records = event.records.len(),
        );
        async move {
            let cutoff = match invocation.deadline {
                Some(deadline) => deadline.checked_sub(self.config.headroom).unwrap_or(deadline),
                None => started + self.config.default_budget,
            };
            let records = &event.records;
            let lanes = lanes(records);
            let invocation = &invocation;
            let results: Vec<Vec<(usize, RecordOutcome, bool)>> = stream::iter(lanes)
                .map(|lane| async move {
                    let mut done = Vec::with_capacity(lane.len());
                    let mut held: Option<Option<Duration>> = None;
                    for index in lane {
                        if let Some(hidden_for) = held {
                            done.push((index, RecordOutcome::returned(ReturnReason::HeldBack, hidden_for), false));
                            continue;
                        }
                        let (outcome, dispatched) = self.process(&records[index], cutoff, invocation).await;
                        if let RecordOutcome::Returned { hidden_for, .. } = &outcome
                            && is_fifo_record(&records[index])
                        {
                            held = Some(*hidden_for);
                        }
                        done.push((index, outcome, dispatched));
                    }
                    done
                })
                .buffer_unordered(self.config.concurrency.max(1))
                .collect()
                .await;
            let mut outcomes: Vec<Option<RecordOutcome>> = vec![None; records.len()];
            let mut dispatched = 0;
            for (index, outcome, was_dispatched) in results.into_iter().flatten() {
                dispatched += usize::from(was_dispatched);
                outcomes[index] = Some(outcome);
            }
            let outcomes: Vec<RecordOutcome> = outcomes
                .into_iter()
                .map(|o| o.unwrap_or(RecordOutcome::returned(ReturnReason::Deadline, None)))
                .collect();

            let mut response = SqsBatchResponse::default();
            let mut unlisted = 0;
            for (record, outcome) in records.iter().zip(&outcomes) {
                if let RecordOutcome::Returned { reason, .. } = outcome {
                    match record.message_id.as_deref().filter(|id| !id.is_empty()) {
                        Some(id) => {
                            tracing::warn!(message_id = id, reason = reason.as_str(), "the record comes back to the queue");
                            response.add_failure(id);
                        }
                        None => unlisted += 1,
                    }
                }
            }
            if unlisted > 0 {
                return Err(FunctionError::new(
                    ErrorType::RetryLater,
                    format!("{unlisted} records that must come back have no messageId: the whole batch comes back"),
                ));
            }
            let (visibility_changes, visibility_error) = self.hide(records, &outcomes, invocation.deadline).await;
            tracing::info!(
                records = records.len(),
                returned = response.batch_item_failures.len(),
                dispatched,
                visibility_changes,
                elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                "served an SQS event"
            );
            let outcomes = records
                .iter()
                .zip(outcomes)
                .map(|(r, o)| (r.message_id.clone().unwrap_or_default(), o))
                .collect();
            Ok(Consumed {
                response,
                outcomes,
                dispatched,
                visibility_changes,
                visibility_error,
            })
        }
        .instrument(span)
        .await
    }

    /// Serves one record; also says whether it reached the partner's hooks.
    async fn process(
        &self,
        record: &SqsMessage,
        cutoff: Instant,
        invocation: &Invocation,
    ) -> (RecordOutcome, bool) {
        let message_id = record.message_id.as_deref().unwrap_or_default();
        let Some(body) = record.body.as_deref() else {
            tracing::error!(message_id, "an SQS record without a body");
            return (
                RecordOutcome::returned(ReturnReason::Undecodable, None),
                false,
            );
        };
        let message = match Message::decode_request(body.as_bytes()) {
            Ok(message) => message,
            Err(e) => {
                tracing::error!(message_id, kind = %e.kind(), path = e.path(), reason = e.reason(), "undecodable record");
                return (
                    RecordOutcome::returned(ReturnReason::Undecodable, None),
                    false,
                );
            }
        };
        let record_invocation = Invocation {
            request_id: format!("{}/{message_id}", invocation.request_id),
            deadline: Some(cutoff),
            invoked_function_arn: invocation.invoked_function_arn.clone(),
        };
        let key = partner_key(&message);
        let reported = self
            .dispatcher
            .partner()
            .backing_off(&self.dispatcher.context(&message, record_invocation.clone()))
            .filter(|wait| *wait >= self.config.backoff_threshold);
        if let Some(wait) = reported.or_else(|| self.memory.blocked_for(&key)) {
            tracing::debug!(
                message_id,
                ?wait,
                "the partner asked to back off: not calling it"
            );
            return (
                RecordOutcome::returned(ReturnReason::BackingOff, Some(wait)),
                false,
            );
        }
        let receive_count = record
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(1);
        let retry_visibility = self.config.retry_visibility(receive_count);
        let left = cutoff.saturating_duration_since(Instant::now());
        if left < self.config.min_record_time {
            return (
                RecordOutcome::returned(ReturnReason::Deadline, retry_visibility),
                false,
            );
        }
        let outcome = match tokio::time::timeout(
            left,
            self.dispatcher.dispatch(message, record_invocation),
        )
        .await
        {
            Err(_) => {
                tracing::warn!(message_id, "the record did not finish before the deadline");
                RecordOutcome::returned(ReturnReason::Deadline, retry_visibility)
            }
            Ok(Ok(response)) if suspends(&response) => {
                tracing::error!(
                    message_id,
                    "the partner asked to suspend the subscription, which only mParticle's own call can do: \
                     the record is kept on the queue"
                );
                RecordOutcome::returned(ReturnReason::Suspended, None)
            }
            Ok(Ok(_)) => RecordOutcome::Acknowledged,
            Ok(Err(e)) if e.is_retryable() => {
                if let Some(wait) = e.retry_after
                    && wait >= self.config.learned_backoff_threshold
                {
                    tracing::warn!(
                        message_id,
                        ?wait,
                        key,
                        "the partner asked to back off: remembered"
                    );
                    self.memory.remember(&key, wait);
                }
                RecordOutcome::returned(
                    ReturnReason::RetryLater,
                    e.retry_after.or(retry_visibility),
                )
            }
            Ok(Err(_)) => RecordOutcome::returned(ReturnReason::Rejected, None),
        };
        (outcome, true)
    }

    /// Hides the returned records that have a visibility timeout, per queue; returns how many
    /// changes were made and the first error.
    async fn hide(
        &self,
        records: &[SqsMessage],
        outcomes: &[RecordOutcome],
        deadline: Option<Instant>,
    ) -> (usize, Option<String>) {
        let Some(queue) = &self.queue else {
            return (0, None);
        };
        let mut by_queue: HashMap<String, Vec<VisibilityChange>> = HashMap::new();
        let mut error = None;
        for (record, outcome) in records.iter().zip(outcomes) {
            let RecordOutcome::Returned {
                hidden_for: Some(hidden_for),
                ..
            } = outcome
            else {
                continue;
            };
            let (Some(handle), Some(arn)) = (
                record.receipt_handle.as_deref(),
                record.event_source_arn.as_deref(),
            ) else {
                continue;
            };
            match self.url_for(arn) {
                Ok(url) => by_queue
                    .entry(url)
                    .or_default()
                    .push(VisibilityChange::new(handle, *hidden_for)),
                Err(e) => {
                    error.get_or_insert_with(|| e.to_string());
                }
            }
        }
        let mut changed = 0;
        // The answer must still go out before the deadline.
        let time = deadline
            .map(|d| {
                d.saturating_duration_since(Instant::now())
                    .saturating_sub(Duration::from_millis(100))
            })
            .unwrap_or(Duration::from_secs(5))
            .min(Duration::from_secs(5));
        for (url, changes) in by_queue {
            let count = changes.len();
            match tokio::time::timeout(time, queue.change_visibility(&url, changes)).await {
                Ok(Ok(())) => changed += count,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "could not hide records: they come back after the queue's visibility timeout");
                    error.get_or_insert_with(|| e.to_string());
                }
                Err(_) => {
                    tracing::warn!(?time, "the visibility change did not answer in time");
                    error.get_or_insert_with(|| {
                        format!("ChangeMessageVisibilityBatch on {url} timed out")
                    });
                }
            }
        }
        (changed, error)
    }

    /// The URL of the queue `arn` names.
    fn url_for(&self, arn: &str) -> Result<String, super::InvalidArn> {
        let derived = queue_url_from_arn(arn, self.endpoint.as_deref())?;
        if let Some(known) = &self.queue_url {
            let tail = |url: &str| {
                let mut segments = url.trim_end_matches('/').rsplit('/');
                (
                    segments.next().map(str::to_owned),
                    segments.next().map(str::to_owned),
                )
            };
            if tail(known) == tail(&derived) {
                return Ok(known.to_string());
            }
        }
        Ok(derived)
    }
}

/// Whether a record came from a FIFO queue (it names its message group).
fn is_fifo_record(record: &SqsMessage) -> bool {
    record.attributes.contains_key("MessageGroupId")
}

/// Lanes of record indexes, each served in order: one per FIFO message group (in order of
/// first appearance), one per record otherwise.
fn lanes(records: &[SqsMessage]) -> Vec<Vec<usize>> {
    let mut lanes: Vec<Vec<usize>> = Vec::new();
    let mut groups: HashMap<&str, usize> = HashMap::new();
    for (index, record) in records.iter().enumerate() {
        match record.attributes.get("MessageGroupId") {
            Some(group) => {
                let lane = *groups.entry(group.as_str()).or_insert_with(|| {
                    lanes.push(Vec::new());
                    lanes.len() - 1
                });
                lanes[lane].push(index);
            }
            None => lanes.push(vec![index]),
        }
    }
    lanes
}

/// The key a partner back-off is remembered by: the message's account.
fn partner_key(message: &Message) -> String {
    message.body.account().map_or_else(
        || "global".to_owned(),
        |a| format!("account:{}", a.account_id),
    )
}

/// Whether a response asks mParticle to suspend the subscription.
fn suspends(response: &Message) -> bool {
    match &response.body {
        MessageBody::EventProcessingResponse(r) => r.suspend_subscription,
        MessageBody::AudienceMembershipChangeResponse(r) => r.suspend_subscription,
        _ => false,
    }
}
