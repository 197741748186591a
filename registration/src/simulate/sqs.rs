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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mparticle_firehose::async_trait;
use mparticle_firehose::queue::aws_sdk_sqs::error::DisplayErrorContext;
use mparticle_firehose::queue::aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName,
};
use mparticle_firehose::queue::{
    OutgoingMessage, QueueApi, QueueError, SqsClient, VisibilityChange,
};
use uuid::Uuid;

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

fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

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

/// A queue and its dead-letter queue created on a real SQS API.
pub struct RealQueue {
    client: SqsClient,
    endpoint: String,
    url: String,
    arn: String,
    dead_url: String,
}

fn sdk_error<E: std::error::Error>(what: &str, e: E) -> String {
    format!("{what}: {}", DisplayErrorContext(e))
}

impl RealQueue {
    /// Creates the dead-letter queue, then the queue with a redrive policy to it, on the SQS
    /// API at `endpoint` (credentials and region from the environment, or moto's dummies).
    pub async fn create(endpoint: &str, spec: &QueueSpec) -> Result<Self, String> {
        let env = |name: &str, default: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        let client = SqsClient::for_endpoint(
            endpoint,
            &env("AWS_REGION", REGION),
            &env("AWS_ACCESS_KEY_ID", "testing"),
            &env("AWS_SECRET_ACCESS_KEY", "testing"),
        );
        let sqs = client.client();
        let create = |name: String, redrive: Option<String>| {
            let mut request = sqs.create_queue().queue_name(name).attributes(
                QueueAttributeName::VisibilityTimeout,
                spec.visibility_timeout.as_secs().max(1).to_string(),
            );
            if spec.fifo {
                request = request.attributes(QueueAttributeName::FifoQueue, "true");
            }
            if let Some(policy) = redrive {
                request = request.attributes(QueueAttributeName::RedrivePolicy, policy);
            }
            request.send()
        };
        let arn_of = |url: String| async move {
            let attributes = sqs
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(QueueAttributeName::QueueArn)
                .send()
                .await
                .map_err(|e| sdk_error("GetQueueAttributes", e))?;
            attributes
                .attributes()
                .and_then(|a| a.get(&QueueAttributeName::QueueArn))
                .cloned()
                .ok_or_else(|| format!("{url} has no QueueArn"))
        };
        let dead_url = create(spec.queue_name("-dlq"), None)
            .await
            .map_err(|e| sdk_error("CreateQueue (dead-letter queue)", e))?
            .queue_url
            .ok_or("CreateQueue returned no QueueUrl")?;
        let dead_arn = arn_of(dead_url.clone()).await?;
        let policy = serde_json::json!({
            "deadLetterTargetArn": dead_arn,
            "maxReceiveCount": spec.max_receive_count.to_string(),
        })
        .to_string();
        let url = create(spec.queue_name(""), Some(policy))
            .await
            .map_err(|e| sdk_error("CreateQueue", e))?
            .queue_url
            .ok_or("CreateQueue returned no QueueUrl")?;
        let arn = arn_of(url.clone()).await?;
        Ok(Self {
            client,
            endpoint: endpoint.to_owned(),
            url,
            arn,
            dead_url,
        })
    }

    async fn count(&self, url: &str) -> Result<(u64, u64), String> {
        let output = self
            .client
            .client()
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|e| sdk_error("GetQueueAttributes", e))?;
        let number = |name: &QueueAttributeName| {
            output
                .attributes()
                .and_then(|a| a.get(name))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        Ok((
            number(&QueueAttributeName::ApproximateNumberOfMessages),
            number(&QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        ))
    }
}

#[async_trait]
impl SimQueue for RealQueue {
    fn api(&self) -> Arc<dyn QueueApi> {
        Arc::new(self.client.clone())
    }

    fn url(&self) -> &str {
        &self.url
    }

    fn arn(&self) -> &str {
        &self.arn
    }

    fn describe(&self) -> String {
        format!("SQS API at {} ({})", self.endpoint, self.url)
    }

    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<Received>, String> {
        let max = i32::try_from(max.clamp(1, 10)).unwrap_or(10);
        let wait = i32::try_from(wait.as_secs().min(20)).unwrap_or(20);
        let output = self
            .client
            .client()
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max)
            .wait_time_seconds(wait)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| sdk_error("ReceiveMessage", e))?;
        Ok(output
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| {
                let attributes = m
                    .attributes
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v))
                    .collect();
                Some(Received {
                    message_id: m.message_id?,
                    receipt_handle: m.receipt_handle?,
                    body: m.body.unwrap_or_default(),
                    attributes,
                })
            })
            .collect())
    }

    async fn delete(&self, receipt_handles: Vec<String>) -> Result<(), String> {
        for chunk in receipt_handles.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, handle)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(handle)
                        .build()
                        .map_err(|e| e.to_string())
                })
                .collect::<Result<Vec<_>, _>>()?;
            let output = self
                .client
                .client()
                .delete_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| sdk_error("DeleteMessageBatch", e))?;
            if let Some(failed) = output.failed().first() {
                return Err(format!(
                    "DeleteMessageBatch: {} entries failed, first: {}",
                    output.failed().len(),
                    failed.code()
                ));
            }
        }
        Ok(())
    }

    async fn counts(&self) -> Result<Counts, String> {
        let (visible, hidden) = self.count(&self.url).await?;
        let (dead_visible, dead_hidden) = self.count(&self.dead_url).await?;
        Ok(Counts {
            visible,
            hidden,
            dead: dead_visible + dead_hidden,
        })
    }

    fn visible_now(&self) -> Option<u64> {
        None
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
