//! Queues for `firehose simulate --mode queue`: one in this process with SQS semantics, or a real
//! SQS API (`--sqs-endpoint`, e.g. moto's server) on which the run creates its queue and its
//! dead-letter queue.
//!
//! SQS semantics kept by the in-process queue: a received message is hidden for the visibility
//! timeout (or the time a `ChangeMessageVisibility` sets) and comes back unless deleted with
//! its latest receipt handle; each receive counts (`ApproximateReceiveCount`), and a message
//! received `maxReceiveCount` times that is due again moves to the dead-letter queue (the
//! redrive policy); FIFO queues deliver a message group in order and none of a group while an
//! earlier message of it is hidden, and drop a repeated deduplication id for five minutes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mparticle_firehose::async_trait;
use mparticle_firehose::queue::QueueApi;

/// The account in the ARNs of the in-process queue (moto's default account too).
pub const ACCOUNT: &str = "123456789012";
/// The region of the simulated queues.
pub const REGION: &str = "us-east-1";

/// The queue a run needs.
#[derive(Debug, Clone)]
pub struct QueueSpec {
    /// The queue's name (`.fifo` is added for FIFO queues).
    pub name: String,
    /// A FIFO queue.
    pub fifo: bool,
    /// The queue's visibility timeout.
    pub visibility_timeout: Duration,
    /// The redrive policy's `maxReceiveCount`.
    pub max_receive_count: u32,
}

impl QueueSpec {
    fn queue_name(&self, suffix: &str) -> String {
        let fifo = if self.fifo { ".fifo" } else { "" };
        format!("{}{suffix}{fifo}", self.name)
    }
}

/// A message as a receive returns it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The message id.
    pub message_id: String,
    /// The receipt handle of this receive.
    pub receipt_handle: String,
    /// The body.
    pub body: String,
    /// The system attributes (`ApproximateReceiveCount`, `SentTimestamp`, `MessageGroupId`, ...).
    pub attributes: HashMap<String, String>,
}

/// How many messages a queue holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Messages available to a receive now.
    pub visible: u64,
    /// Messages in flight or hidden until later.
    pub hidden: u64,
    /// Messages in the dead-letter queue.
    pub dead: u64,
}

/// What the simulated event source mapping needs of a queue, besides the [`QueueApi`] that the
/// producer and the consumer use.
#[async_trait]
pub trait SimQueue: Send + Sync + 'static {
    /// The queue API for producers and consumers.
    fn api(&self) -> Arc<dyn QueueApi>;
    /// The queue URL.
    fn url(&self) -> &str;
    /// The queue ARN (the records' `eventSourceARN`).
    fn arn(&self) -> &str;
    /// Where the queue is, for the report.
    fn describe(&self) -> String;
    /// Receives up to `max` messages, waiting up to `wait` for the first.
    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<Received>, String>;
    /// Deletes received messages by their receipt handles.
    async fn delete(&self, receipt_handles: Vec<String>) -> Result<(), String>;
    /// How many messages the queue and its dead-letter queue hold.
    async fn counts(&self) -> Result<Counts, String>;
    /// Messages available now, when the queue can tell cheaply.
    fn visible_now(&self) -> Option<u64>;
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Milliseconds since the Unix epoch, as SQS stamps its messages.
pub(super) fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

mod in_process;
mod real;

pub use in_process::InProcessQueue;
pub use real::RealQueue;
