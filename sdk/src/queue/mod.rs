//! Queue mode: answer mParticle as soon as SQS has the message, and drain the queue into the
//! partner at the partner's pace (cargo feature `queue`).
//!
//! The same binary serves three shapes of invocation ([`lambda::run`](crate::lambda::run) tells
//! them apart):
//!
//! * **direct** (no `FIREHOSE_QUEUE_URL`): mParticle invokes, the hooks run, mParticle gets the
//!   answer afterwards;
//! * **producer** (`FIREHOSE_QUEUE_URL` set): the registration probe, audience subscription
//!   changes and verification requests are answered directly, as before; event batches,
//!   audience membership changes and data-subject requests are decoded, [`split`] when
//!   larger than the queue takes, and sent to the queue ([`Producer`]). mParticle gets the
//!   normal success response as soon as SQS accepted the message, and `Firehose.RetryLater` when
//!   it did not, so nothing is lost;
//! * **consumer**: an SQS event from an event source mapping. Each record is decoded and served
//!   by the partner's hooks with bounded concurrency, and the function answers with a partial
//!   batch response listing the records that must come back ([`Consumer`]).
//!
//! | Variable | Meaning | Default |
//! | --- | --- | --- |
//! | `FIREHOSE_QUEUE_URL` | the queue mParticle's messages go to; unset: direct mode | unset |
//! | `FIREHOSE_QUEUE_MAX_MESSAGE_BYTES` | the queue's `MaximumMessageSize` (1,024 to 1,048,576); larger messages are split | 1,048,576 |
//! | `FIREHOSE_QUEUE_CONCURRENCY` | records of one SQS event served at once (1 to 100) | 8 |
//! | `FIREHOSE_QUEUE_HEADROOM_MS` | time kept before the invocation deadline for the answer and the visibility changes | 1000 |
//! | `FIREHOSE_QUEUE_RETRY_DELAY_SECONDS` | hide a record that comes back without a partner `Retry-After` this long, doubled per receive (at most 15 min); unset: the queue's visibility timeout | unset |
//! | `AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL` | a local SQS endpoint (tests) | AWS |
//!
//! A FIFO queue (a URL ending in `.fifo`) gets one message group per user (the `mpid`, else
//! the user's identities, else the account) and a deduplication id made of the message id and
//! the part index.

mod consumer;
mod memory;
mod producer;
mod split;
mod sqs;

use std::time::Duration;

use async_trait::async_trait;

pub use aws_lambda_events::event::sqs::{
    BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage, SqsMessageAttribute,
};
pub use aws_sdk_sqs;
pub use consumer::{Consumed, Consumer, ConsumerConfig, RecordOutcome, ReturnReason};
pub use memory::{MemoryQueue, Sent};
pub use producer::{Enqueued, Producer, SQS_MAX_MESSAGE_BYTES};
pub use split::{SplitError, split};
pub use sqs::{InvalidArn, SqsClient, https_client, queue_url_from_arn};

/// One message for the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutgoingMessage {
    /// The body: a Firehose message, encoded.
    pub body: String,
    /// The message group (FIFO queues only).
    pub group_id: Option<String>,
    /// The deduplication id (FIFO queues only).
    pub deduplication_id: Option<String>,
}

impl OutgoingMessage {
    /// A message for a standard queue.
    pub fn new(body: impl Into<String>) -> Self {
        Self {
            body: body.into(),
            group_id: None,
            deduplication_id: None,
        }
    }

    /// The same message in a FIFO message group, with a deduplication id.
    pub fn in_group(
        mut self,
        group_id: impl Into<String>,
        deduplication_id: impl Into<String>,
    ) -> Self {
        self.group_id = Some(group_id.into());
        self.deduplication_id = Some(deduplication_id.into());
        self
    }
}

/// Hide a received message for this long (`ChangeMessageVisibility`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VisibilityChange {
    /// The receipt handle of the receive that delivered it.
    pub receipt_handle: String,
    /// How long from now the message stays hidden (whole seconds, at most 12 hours).
    pub timeout: Duration,
}

impl VisibilityChange {
    /// The longest visibility timeout SQS accepts.
    pub const MAX: Duration = Duration::from_secs(12 * 60 * 60);

    /// Hide the message received with `receipt_handle` for `timeout`, rounded up to whole
    /// seconds and capped at [`MAX`](Self::MAX).
    pub fn new(receipt_handle: impl Into<String>, timeout: Duration) -> Self {
        let secs = timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0);
        Self {
            receipt_handle: receipt_handle.into(),
            timeout: Duration::from_secs(secs).min(Self::MAX),
        }
    }
}

/// A queue operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} on {queue_url} failed: {reason}")]
#[non_exhaustive]
pub struct QueueError {
    /// `SendMessage`, `ChangeMessageVisibilityBatch`, ...
    pub operation: &'static str,
    /// The queue.
    pub queue_url: String,
    /// Why.
    pub reason: String,
}

impl QueueError {
    /// A failed operation.
    pub fn new(operation: &'static str, queue_url: &str, reason: impl Into<String>) -> Self {
        Self {
            operation,
            queue_url: queue_url.to_owned(),
            reason: reason.into(),
        }
    }
}

/// What the producer and the consumer need of a queue: sending messages, and hiding received
/// ones for a while. [`SqsClient`] is the real one; [`MemoryQueue`] records calls for tests;
/// `firehose simulate` has one with SQS semantics.
#[async_trait]
pub trait QueueApi: Send + Sync + 'static {
    /// Sends one message; `Ok` once the queue has accepted it.
    async fn send(&self, queue_url: &str, message: OutgoingMessage) -> Result<(), QueueError>;

    /// Changes the visibility timeout of received messages.
    async fn change_visibility(
        &self,
        queue_url: &str,
        changes: Vec<VisibilityChange>,
    ) -> Result<(), QueueError>;
}

/// Whether `queue_url` names a FIFO queue.
///
/// ```
/// assert!(mparticle_firehose::queue::is_fifo("https://sqs.us-east-1.amazonaws.com/123456789012/events.fifo"));
/// assert!(!mparticle_firehose::queue::is_fifo("https://sqs.us-east-1.amazonaws.com/123456789012/events"));
/// ```
pub fn is_fifo(queue_url: &str) -> bool {
    queue_url.trim_end_matches('/').ends_with(".fifo")
}

/// The configuration of queue mode is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid queue configuration: {variable}: {reason}")]
#[non_exhaustive]
pub struct QueueConfigError {
    /// The environment variable.
    pub variable: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

/// Queue mode's settings, from the environment (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct QueueConfig {
    /// Where the producer sends messages; `None` serves mParticle directly.
    pub queue_url: Option<String>,
    /// The largest message body the queue takes.
    pub max_message_bytes: usize,
    /// How the consumer serves an SQS event.
    pub consumer: ConsumerConfig,
    /// A local SQS endpoint (`AWS_ENDPOINT_URL_SQS`, else `AWS_ENDPOINT_URL`).
    pub endpoint_url: Option<String>,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            queue_url: None,
            max_message_bytes: SQS_MAX_MESSAGE_BYTES,
            consumer: ConsumerConfig::default(),
            endpoint_url: None,
        }
    }
}

impl QueueConfig {
    /// Reads the environment.
    pub fn from_env() -> Result<Self, QueueConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup`.
    ///
    /// ```
    /// use mparticle_firehose::queue::QueueConfig;
    ///
    /// let env = |name: &str| match name {
    ///     "FIREHOSE_QUEUE_URL" => Some("https://sqs.eu-west-1.amazonaws.com/123456789012/acme".to_owned()),
    ///     "FIREHOSE_QUEUE_MAX_MESSAGE_BYTES" => Some("262144".to_owned()),
    ///     _ => None,
    /// };
    /// let config = QueueConfig::from_lookup(env)?;
    /// assert_eq!(config.max_message_bytes, 262_144);
    /// assert!(QueueConfig::from_lookup(|n| (n == "FIREHOSE_QUEUE_CONCURRENCY").then(|| "0".to_owned())).is_err());
    /// # Ok::<(), mparticle_firehose::queue::QueueConfigError>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, QueueConfigError> {
        let value = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let number = |variable: &'static str, range: std::ops::RangeInclusive<u64>| {
            value(variable)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .ok()
                        .filter(|n| range.contains(n))
                        .ok_or_else(|| QueueConfigError {
                            variable,
                            reason: format!(
                                "{v:?} is not a whole number from {} to {}",
                                range.start(),
                                range.end()
                            ),
                        })
                })
                .transpose()
        };
        let mut config = Self::default();
        if let Some(url) = value("FIREHOSE_QUEUE_URL") {
            let url = url.trim().to_owned();
            let valid = (url.starts_with("https://") || url.starts_with("http://"))
                && url
                    .trim_end_matches('/')
                    .rsplit('/')
                    .nth(1)
                    .is_some_and(|a| !a.is_empty());
            if !valid {
                return Err(QueueConfigError {
                    variable: "FIREHOSE_QUEUE_URL",
                    reason: format!(
                        "{url:?} is not a queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)"
                    ),
                });
            }
            config.queue_url = Some(url);
        }
        if let Some(n) = number("FIREHOSE_QUEUE_MAX_MESSAGE_BYTES", 1_024..=1_048_576)? {
            config.max_message_bytes = usize::try_from(n).unwrap_or(SQS_MAX_MESSAGE_BYTES);
        }
        if let Some(n) = number("FIREHOSE_QUEUE_CONCURRENCY", 1..=100)? {
            config.consumer.concurrency = usize::try_from(n).unwrap_or(1);
        }
        if let Some(ms) = number("FIREHOSE_QUEUE_HEADROOM_MS", 0..=60_000)? {
            config.consumer.headroom = Duration::from_millis(ms);
        }
        if let Some(secs) = number("FIREHOSE_QUEUE_RETRY_DELAY_SECONDS", 1..=900)? {
            config.consumer.retry_delay = Some(Duration::from_secs(secs));
        }
        config.endpoint_url = value("AWS_ENDPOINT_URL_SQS").or_else(|| value("AWS_ENDPOINT_URL"));
        Ok(config)
    }
}
