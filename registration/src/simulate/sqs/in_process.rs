//! The in-process queue, with the SQS semantics the parent module lists.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mparticle_firehose::async_trait;
use mparticle_firehose::queue::{OutgoingMessage, QueueApi, QueueError, VisibilityChange};
use uuid::Uuid;

use super::*;

/// How long FIFO queues remember deduplication ids.
const DEDUPLICATION_WINDOW: Duration = Duration::from_secs(5 * 60);

struct Stored {
    id: String,
    body: String,
    group: Option<String>,
    deduplication_id: Option<String>,
    receives: u32,
    visible_at: Instant,
    receipt: Option<String>,
    sent_ms: u64,
    first_receive_ms: Option<u64>,
}

#[derive(Default)]
struct State {
    /// By sequence number: the send order.
    messages: BTreeMap<u64, Stored>,
    by_receipt: HashMap<String, u64>,
    dead: Vec<Stored>,
    next: u64,
    deduplication: HashMap<String, Instant>,
}

/// A queue with SQS semantics in this process (see the [module docs](self)). Clones share it.
#[derive(Clone)]
pub struct InProcessQueue {
    spec: Arc<QueueSpec>,
    url: Arc<str>,
    arn: Arc<str>,
    state: Arc<Mutex<State>>,
    changed: Arc<tokio::sync::Notify>,
}

impl InProcessQueue {
    /// An empty queue.
    pub fn new(spec: QueueSpec) -> Self {
        let name = spec.queue_name("");
        Self {
            url: format!("https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}").into(),
            arn: format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}").into(),
            spec: Arc::new(spec),
            state: Arc::new(Mutex::new(State::default())),
            changed: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Receives up to `max` messages now; also says when the next hidden message shows again.
    fn take(&self, max: usize) -> (Vec<Received>, Option<Instant>) {
        let now = Instant::now();
        let now_ms = epoch_ms();
        let mut state = lock(&self.state);
        let State {
            messages,
            by_receipt,
            dead,
            ..
        } = &mut *state;
        let mut out = Vec::new();
        let mut blocked: HashSet<String> = HashSet::new();
        let mut redriven = Vec::new();
        let mut next: Option<Instant> = None;
        for (&seq, message) in messages.iter_mut() {
            if out.len() >= max {
                break;
            }
            if message.visible_at > now {
                next = Some(next.map_or(message.visible_at, |n| n.min(message.visible_at)));
                if let Some(group) = &message.group {
                    blocked.insert(group.clone());
                }
                continue;
            }
            if message.group.as_ref().is_some_and(|g| blocked.contains(g)) {
                continue;
            }
            if message.receives >= self.spec.max_receive_count {
                redriven.push(seq);
                continue;
            }
            message.receives += 1;
            message.first_receive_ms.get_or_insert(now_ms);
            let receipt = Uuid::new_v4().simple().to_string();
            if let Some(old) = message.receipt.replace(receipt.clone()) {
                by_receipt.remove(&old);
            }
            by_receipt.insert(receipt.clone(), seq);
            message.visible_at = now + self.spec.visibility_timeout;
            let mut attributes = HashMap::from([
                (
                    "ApproximateReceiveCount".to_owned(),
                    message.receives.to_string(),
                ),
                ("SentTimestamp".to_owned(), message.sent_ms.to_string()),
                (
                    "ApproximateFirstReceiveTimestamp".to_owned(),
                    message.first_receive_ms.unwrap_or(now_ms).to_string(),
                ),
                (
                    "SenderId".to_owned(),
                    "AROASIMULATEDPRODUCER:producer".to_owned(),
                ),
            ]);
            if let Some(group) = &message.group {
                attributes.insert("MessageGroupId".to_owned(), group.clone());
                attributes.insert("SequenceNumber".to_owned(), seq.to_string());
                if let Some(id) = &message.deduplication_id {
                    attributes.insert("MessageDeduplicationId".to_owned(), id.clone());
                }
            }
            out.push(Received {
                message_id: message.id.clone(),
                receipt_handle: receipt,
                body: message.body.clone(),
                attributes,
            });
        }
        for seq in redriven {
            if let Some(mut message) = messages.remove(&seq) {
                if let Some(receipt) = message.receipt.take() {
                    by_receipt.remove(&receipt);
                }
                dead.push(message);
            }
        }
        (out, next)
    }
}

#[async_trait]
impl QueueApi for InProcessQueue {
    async fn send(&self, queue_url: &str, message: OutgoingMessage) -> Result<(), QueueError> {
        if queue_url != &*self.url {
            return Err(QueueError::new("SendMessage", queue_url, "no such queue"));
        }
        if self.spec.fifo && message.group_id.is_none() {
            return Err(QueueError::new(
                "SendMessage",
                queue_url,
                "MissingParameter: a FIFO queue needs a MessageGroupId",
            ));
        }
        let now = Instant::now();
        let mut state = lock(&self.state);
        if let Some(id) = &message.deduplication_id {
            state
                .deduplication
                .retain(|_, at| now.duration_since(*at) < DEDUPLICATION_WINDOW);
            if state.deduplication.insert(id.clone(), now).is_some() {
                // Accepted, and dropped as a duplicate, as SQS does.
                return Ok(());
            }
        }
        let seq = state.next;
        state.next += 1;
        state.messages.insert(
            seq,
            Stored {
                id: Uuid::new_v4().to_string(),
                body: message.body,
                group: message.group_id,
                deduplication_id: message.deduplication_id,
                receives: 0,
                visible_at: now,
                receipt: None,
                sent_ms: epoch_ms(),
                first_receive_ms: None,
            },
        );
        drop(state);
        self.changed.notify_waiters();
        Ok(())
    }

    async fn change_visibility(
        &self,
        queue_url: &str,
        changes: Vec<VisibilityChange>,
    ) -> Result<(), QueueError> {
        let now = Instant::now();
        let mut state = lock(&self.state);
        let mut invalid = 0;
        for change in changes {
            let seq = state.by_receipt.get(&change.receipt_handle).copied();
            match seq.and_then(|seq| state.messages.get_mut(&seq)) {
                Some(message) => message.visible_at = now + change.timeout,
                None => invalid += 1,
            }
        }
        drop(state);
        self.changed.notify_waiters();
        if invalid > 0 {
            return Err(QueueError::new(
                "ChangeMessageVisibilityBatch",
                queue_url,
                format!("ReceiptHandleIsInvalid: {invalid} entries"),
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl SimQueue for InProcessQueue {
    fn api(&self) -> Arc<dyn QueueApi> {
        Arc::new(self.clone())
    }

    fn url(&self) -> &str {
        &self.url
    }

    fn arn(&self) -> &str {
        &self.arn
    }

    fn describe(&self) -> String {
        format!("in process ({})", self.spec.queue_name(""))
    }

    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<Received>, String> {
        let until = Instant::now() + wait;
        loop {
            // Listen before looking, so that a send in between wakes this receive.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let (received, next) = self.take(max);
            let now = Instant::now();
            if !received.is_empty() || now >= until {
                return Ok(received);
            }
            let wake = next.map_or(until, |next| next.min(until));
            tokio::select! {
                () = changed => {}
                () = tokio::time::sleep_until(wake.into()) => {}
            }
        }
    }

    async fn delete(&self, receipt_handles: Vec<String>) -> Result<(), String> {
        let mut state = lock(&self.state);
        for receipt in receipt_handles {
            if let Some(seq) = state.by_receipt.remove(&receipt) {
                let current = state
                    .messages
                    .get(&seq)
                    .is_some_and(|m| m.receipt.as_deref() == Some(receipt.as_str()));
                if current {
                    state.messages.remove(&seq);
                }
            }
        }
        Ok(())
    }

    async fn counts(&self) -> Result<Counts, String> {
        let now = Instant::now();
        let state = lock(&self.state);
        let visible = state
            .messages
            .values()
            .filter(|m| m.visible_at <= now)
            .count();
        Ok(Counts {
            visible: visible as u64,
            hidden: (state.messages.len() - visible) as u64,
            dead: state.dead.len() as u64,
        })
    }

    fn visible_now(&self) -> Option<u64> {
        let now = Instant::now();
        let state = lock(&self.state);
        Some(
            state
                .messages
                .values()
                .filter(|m| m.visible_at <= now)
                .count() as u64,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(fifo: bool, max_receive_count: u32) -> InProcessQueue {
        InProcessQueue::new(QueueSpec {
            name: "test".into(),
            fifo,
            visibility_timeout: Duration::from_millis(40),
            max_receive_count,
        })
    }

    async fn send(queue: &InProcessQueue, body: &str, group: Option<&str>) {
        let mut message = OutgoingMessage::new(body);
        if let Some(group) = group {
            message = message.in_group(group, body);
        }
        queue.send(queue.url(), message).await.unwrap();
    }

    fn bodies(received: &[Received]) -> Vec<&str> {
        received.iter().map(|r| r.body.as_str()).collect()
    }

    #[tokio::test]
    async fn received_messages_hide_then_come_back_with_a_higher_count_then_redrive() {
        let queue = queue(false, 2);
        send(&queue, "a", None).await;
        let first = queue.receive(10, Duration::ZERO).await.unwrap();
        assert_eq!(bodies(&first), ["a"]);
        assert_eq!(first[0].attributes["ApproximateReceiveCount"], "1");
        assert!(
            queue.receive(10, Duration::ZERO).await.unwrap().is_empty(),
            "hidden"
        );
        let second = queue.receive(10, Duration::from_millis(500)).await.unwrap();
        assert_eq!(second[0].attributes["ApproximateReceiveCount"], "2");
        // A stale receipt deletes nothing; the third time due, the message moves to the DLQ.
        queue
            .delete(vec![first[0].receipt_handle.clone()])
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(queue.receive(10, Duration::ZERO).await.unwrap().is_empty());
        assert_eq!(
            queue.counts().await.unwrap(),
            Counts {
                visible: 0,
                hidden: 0,
                dead: 1
            }
        );
    }

    #[tokio::test]
    async fn deletes_and_visibility_changes_take_the_latest_receipt() {
        let queue = queue(false, 5);
        send(&queue, "a", None).await;
        send(&queue, "b", None).await;
        let got = queue.receive(10, Duration::ZERO).await.unwrap();
        assert_eq!(bodies(&got), ["a", "b"]);
        queue
            .delete(vec![got[0].receipt_handle.clone()])
            .await
            .unwrap();
        let api = queue.api();
        api.change_visibility(
            queue.url(),
            vec![VisibilityChange::new(
                got[1].receipt_handle.clone(),
                Duration::ZERO,
            )],
        )
        .await
        .unwrap();
        let again = queue.receive(10, Duration::ZERO).await.unwrap();
        assert_eq!(bodies(&again), ["b"]);
        assert!(
            api.change_visibility(
                queue.url(),
                vec![VisibilityChange::new("unknown", Duration::ZERO)]
            )
            .await
            .is_err()
        );
    }

    #[tokio::test]
    async fn fifo_groups_are_delivered_in_order_and_held_while_an_earlier_message_is_hidden() {
        let queue = queue(true, 5);
        send(&queue, "a1", Some("a")).await;
        send(&queue, "b1", Some("b")).await;
        send(&queue, "a2", Some("a")).await;
        send(&queue, "a2", Some("a")).await; // a repeated deduplication id: dropped
        let first = queue.receive(1, Duration::ZERO).await.unwrap();
        assert_eq!(bodies(&first), ["a1"]);
        // a1 is in flight: a2 waits; b1 is free.
        assert_eq!(
            bodies(&queue.receive(10, Duration::ZERO).await.unwrap()),
            ["b1"]
        );
        queue
            .delete(vec![first[0].receipt_handle.clone()])
            .await
            .unwrap();
        assert_eq!(
            bodies(&queue.receive(10, Duration::ZERO).await.unwrap()),
            ["a2"]
        );
        assert_eq!(queue.counts().await.unwrap().visible, 0);
    }
}
