//! A queue in memory that records what it is asked, for tests.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use super::{OutgoingMessage, QueueApi, QueueError, VisibilityChange};

/// A message the [`MemoryQueue`] accepted, with the queue it was sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sent {
    /// The queue URL.
    pub queue_url: String,
    /// The message.
    pub message: OutgoingMessage,
}

#[derive(Debug, Default)]
struct State {
    sent: Mutex<Vec<Sent>>,
    visibility: Mutex<Vec<(String, VisibilityChange)>>,
    refuse: AtomicBool,
}

/// A [`QueueApi`] that keeps sent messages and visibility changes in memory, and can be told to
/// refuse every call (an SQS outage). Clones share the record.
///
/// ```
/// use mparticle_firehose::queue::{MemoryQueue, OutgoingMessage, QueueApi};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let queue = MemoryQueue::new();
/// queue.send("https://sqs.invalid/1/q", OutgoingMessage::new("{}")).await.unwrap();
/// assert_eq!(queue.sent().len(), 1);
/// queue.refuse(true);
/// assert!(queue.send("https://sqs.invalid/1/q", OutgoingMessage::new("{}")).await.is_err());
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryQueue {
    state: Arc<State>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl MemoryQueue {
    /// An empty queue that accepts everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every later call fail (`true`) or succeed (`false`).
    pub fn refuse(&self, refuse: bool) {
        self.state.refuse.store(refuse, Ordering::Relaxed);
    }

    /// The messages accepted so far, in order.
    pub fn sent(&self) -> Vec<Sent> {
        lock(&self.state.sent).clone()
    }

    /// Takes the messages accepted so far.
    pub fn take_sent(&self) -> Vec<Sent> {
        std::mem::take(&mut *lock(&self.state.sent))
    }

    /// The visibility changes made so far, with their queue URLs.
    pub fn visibility_changes(&self) -> Vec<(String, VisibilityChange)> {
        lock(&self.state.visibility).clone()
    }

    fn check(&self, operation: &'static str, queue_url: &str) -> Result<(), QueueError> {
        if self.state.refuse.load(Ordering::Relaxed) {
            Err(QueueError::new(
                operation,
                queue_url,
                "refused (MemoryQueue told to refuse)",
            ))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl QueueApi for MemoryQueue {
    async fn change_visibility(
        &self,
        queue_url: &str,
        changes: Vec<VisibilityChange>,
    ) -> Result<(), QueueError> {
        self.check("ChangeMessageVisibilityBatch", queue_url)?;
        lock(&self.state.visibility).extend(changes.into_iter().map(|c| (queue_url.to_owned(), c)));
        Ok(())
    }

    async fn send(&self, queue_url: &str, message: OutgoingMessage) -> Result<(), QueueError> {
        self.check("SendMessage", queue_url)?;
        lock(&self.state.sent).push(Sent {
            queue_url: queue_url.to_owned(),
            message,
        });
        Ok(())
    }
}
