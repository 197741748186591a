//! The producer: mParticle's messages onto the queue, answered as soon as the queue has them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::split::{SplitError, split};
use super::{OutgoingMessage, QueueApi, is_fifo};
use crate::dispatch::Dispatcher;
use crate::error::{ErrorType, FunctionError};
use crate::model::{
    AudienceMembershipChangeResponse, DsrProcessingResponse, EventProcessingResponse, Message,
    MessageBody,
};
use crate::partner::{Invocation, Partner};

/// The largest message SQS takes (1 MiB), and the default limit.
pub const SQS_MAX_MESSAGE_BYTES: usize = 1 << 20;

/// The longest a send may take when the invocation deadline is unknown or far.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// Time kept before the invocation deadline for answering mParticle.
const SEND_HEADROOM: Duration = Duration::from_millis(200);

/// What [`Producer::enqueue`] did with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Enqueued {
    /// The message is on the queue, in this many messages (more than one when it was split).
    Queued {
        /// Queue messages sent.
        parts: usize,
    },
    /// The message was served directly: the SDK answers it itself (registration probe,
    /// verification requests), it needs the partner's answer (audience subscriptions), or it
    /// is too large for the queue and cannot be split.
    Direct,
}

/// Serves mParticle's invocations in queue mode: what needs the partner later is sent to the
/// queue and answered at once; the rest is served directly (see the
/// [module docs](super)). Cheap to clone.
///
/// ```
/// use std::sync::Arc;
/// use mparticle_firehose::prelude::*;
/// use mparticle_firehose::partner::Invocation;
/// use mparticle_firehose::queue::{MemoryQueue, Producer};
/// use mparticle_firehose::{Dispatcher, ErrorType};
///
/// struct Acme;
///
/// #[async_trait]
/// impl Partner for Acme {
///     fn registration(&self) -> ModuleRegistrationResponse {
///         ModuleRegistrationResponse::new("Acme", "1.0.0").with_event_processing(
///             EventProcessingRegistration::new().with_event_types([EventType::CustomEvent]),
///         )
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let queue = MemoryQueue::new();
/// let producer = Producer::new(
///     Dispatcher::new(Acme).unwrap(),
///     Arc::new(queue.clone()),
///     "https://sqs.us-east-1.amazonaws.com/123456789012/acme",
/// );
/// let batch = br#"{"type":"event_processing_request","id":"2f0d5a9e-0b8c-4c1e-9d7a-6f1b2c3d4e5f","account":{"account_id":1},
///     "events":[{"type":"custom_event","timestamp_ms":1700000000000,"name":"signup"}]}"#;
/// let answer = producer.handle(batch, Invocation::default()).await.unwrap();
/// assert_eq!(Message::decode(&answer).unwrap().message_type(), MessageType::EventProcessingResponse);
/// assert_eq!(queue.sent().len(), 1);
///
/// // SQS is down: mParticle is told to retry, nothing is lost.
/// queue.refuse(true);
/// let error = producer.handle(batch, Invocation::default()).await.unwrap_err();
/// assert_eq!(error.error_type, ErrorType::RetryLater);
/// # }
/// ```
pub struct Producer<P: Partner> {
    dispatcher: Dispatcher<P>,
    queue: Arc<dyn QueueApi>,
    queue_url: Arc<str>,
    fifo: bool,
    max_message_bytes: usize,
    eventless_batches: bool,
}

impl<P: Partner> Clone for Producer<P> {
    fn clone(&self) -> Self {
        Self {
            dispatcher: self.dispatcher.clone(),
            queue: Arc::clone(&self.queue),
            queue_url: Arc::clone(&self.queue_url),
            fifo: self.fifo,
            max_message_bytes: self.max_message_bytes,
            eventless_batches: self.eventless_batches,
        }
    }
}

impl<P: Partner> Producer<P> {
    /// A producer sending to `queue_url` through `queue` (a `.fifo` URL is a FIFO queue), with
    /// the SQS size limit.
    pub fn new(
        dispatcher: Dispatcher<P>,
        queue: Arc<dyn QueueApi>,
        queue_url: impl Into<String>,
    ) -> Self {
        let queue_url: String = queue_url.into();
        let eventless_batches = dispatcher
            .registration()
            .permissions
            .as_ref()
            .is_some_and(|p| p.allow_eventless_batches);
        Self {
            dispatcher,
            queue,
            fifo: is_fifo(&queue_url),
            queue_url: queue_url.into(),
            max_message_bytes: SQS_MAX_MESSAGE_BYTES,
            eventless_batches,
        }
    }

    /// The queue's largest message (its `MaximumMessageSize`); larger messages are split.
    pub fn with_max_message_bytes(mut self, bytes: usize) -> Self {
        self.max_message_bytes = bytes.max(1);
        self
    }

    /// The queue URL.
    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// The dispatcher that serves what is not queued.
    pub fn dispatcher(&self) -> &Dispatcher<P> {
        &self.dispatcher
    }

    /// Serves one invocation: the payload's bytes in, the response's bytes out (or the function
    /// error to report), like [`Dispatcher::handle`]. An owned payload (such as `Bytes`) is
    /// dropped as soon as it is decoded: the queue gets the message re-encoded.
    pub async fn handle<B: AsRef<[u8]>>(
        &self,
        payload: B,
        invocation: Invocation,
    ) -> Result<Vec<u8>, FunctionError> {
        crate::dispatch::serve_encoded("queue", payload, invocation, |message, invocation| {
            self.serve(message, invocation)
        })
        .await
    }

    /// Serves one decoded request: queues it and answers with the normal success response, or
    /// serves it directly (see [`Enqueued::Direct`]).
    pub async fn serve(
        &self,
        message: Message,
        invocation: Invocation,
    ) -> Result<Message, FunctionError> {
        let deadline = invocation.deadline;
        let Some(response) = self.success_response(&message) else {
            return self.dispatcher.dispatch(message, invocation).await;
        };
        match self.enqueue(&message, deadline).await? {
            Enqueued::Queued { .. } => Ok(Message::new(response)),
            Enqueued::Direct => self.dispatcher.dispatch(message, invocation).await,
        }
    }

    /// The answer to a queued message, or `None` for messages served directly.
    fn success_response(&self, message: &Message) -> Option<MessageBody> {
        match &message.body {
            MessageBody::EventProcessingRequest(batch)
                if !batch.events.is_empty() || self.eventless_batches =>
            {
                Some(EventProcessingResponse::default().into())
            }
            MessageBody::AudienceMembershipChangeRequest(change)
                if change.user_profiles.is_some() =>
            {
                Some(AudienceMembershipChangeResponse::default().into())
            }
            MessageBody::DsrProcessingRequest(_) => Some(DsrProcessingResponse::default().into()),
            _ => None,
        }
    }

    /// Sends `message` to the queue, split into parts if it is too large, within the time
    /// before `deadline`. A message too large for the queue that cannot be split is not sent:
    /// [`Enqueued::Direct`]. A refused or timed-out send is a `Firehose.RetryLater` error: some
    /// parts may be on the queue already, and mParticle sends the whole message again (FIFO
    /// queues drop the repeated parts by their deduplication ids).
    pub async fn enqueue(
        &self,
        message: &Message,
        deadline: Option<Instant>,
    ) -> Result<Enqueued, FunctionError> {
        let parts = match split(message, self.max_message_bytes) {
            Ok(parts) => parts,
            Err(e @ (SplitError::NotSplittable { .. } | SplitError::ItemTooLarge { .. })) => {
                tracing::warn!(error = %e, "too large for the queue: serving it directly");
                return Ok(Enqueued::Direct);
            }
            Err(e) => return Err(FunctionError::new(ErrorType::Internal, e.to_string())),
        };
        if parts.len() > 1 {
            tracing::info!(
                parts = parts.len(),
                "split a message larger than the queue takes"
            );
        }
        let count = parts.len();
        let outgoing: Vec<OutgoingMessage> = if self.fifo {
            let group = group_id(message);
            let base = match message.envelope.id {
                Some(id) => id.simple().to_string(),
                None => format!("h{:016x}", fnv1a(parts.concat().as_bytes())),
            };
            parts
                .into_iter()
                .enumerate()
                .map(|(i, body)| {
                    OutgoingMessage::new(body).in_group(group.clone(), format!("{base}-{i}"))
                })
                .collect()
        } else {
            parts.into_iter().map(OutgoingMessage::new).collect()
        };

        let timeout = deadline
            .map(|d| {
                d.saturating_duration_since(Instant::now())
                    .saturating_sub(SEND_HEADROOM)
            })
            .unwrap_or(SEND_TIMEOUT)
            .min(SEND_TIMEOUT);
        let sends = async {
            if self.fifo {
                // Parts of one message keep their order within the group.
                for message in outgoing {
                    self.queue.send(&self.queue_url, message).await?;
                }
                Ok(())
            } else {
                futures::future::try_join_all(
                    outgoing
                        .into_iter()
                        .map(|message| self.queue.send(&self.queue_url, message)),
                )
                .await
                .map(drop)
            }
        };
        match tokio::time::timeout(timeout, sends).await {
            Ok(Ok(())) => {
                tracing::debug!(parts = count, "queued");
                Ok(Enqueued::Queued { parts: count })
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "the queue did not accept the message: mParticle retries");
                Err(FunctionError::new(
                    ErrorType::RetryLater,
                    format!("the queue did not accept the message: {e}"),
                ))
            }
            Err(_) => {
                tracing::error!(
                    ?timeout,
                    "the queue did not answer in time: mParticle retries"
                );
                Err(FunctionError::new(
                    ErrorType::RetryLater,
                    format!("the queue did not answer within {timeout:?}"),
                ))
            }
        }
    }
}

/// The FIFO message group of a message: its user's (the `mpid`, else a digest of the user's
/// identities, else the account), so that one user's messages stay in order and different
/// users proceed in parallel. Audience membership changes and data-subject requests carry
/// several users or identities only: they are ordered per account.
pub(crate) fn group_id(message: &Message) -> String {
    let account = |account: Option<&crate::model::Account>| {
        account.map_or_else(|| "none".to_owned(), |a| a.account_id.to_string())
    };
    match &message.body {
        MessageBody::EventProcessingRequest(batch) => {
            if let Some(mpid) = batch
                .mpid
                .as_deref()
                .map(str::trim)
                .filter(|m| !m.is_empty())
            {
                if mpid.len() <= 100 && mpid.bytes().all(|b| b.is_ascii_graphic()) {
                    return format!("mpid-{mpid}");
                }
                return format!("mpid-h{:016x}", fnv1a(mpid.as_bytes()));
            }
            if !batch.user_identities.is_empty()
                && let Ok(identities) = serde_json::to_vec(&batch.user_identities)
            {
                return format!("user-h{:016x}", fnv1a(&identities));
            }
            format!("account-{}", account(batch.account.as_ref()))
        }
        MessageBody::AudienceMembershipChangeRequest(change) => {
            format!("audience-{}", account(change.account.as_ref()))
        }
        MessageBody::DsrProcessingRequest(dsr) => format!("dsr-{}", account(dsr.account.as_ref())),
        other => other.type_name().to_owned(),
    }
}

/// FNV-1a, 64 bits: a digest that is the same in every execution environment and version.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use crate::queue::MemoryQueue;
    use crate::testing::messages;

    struct Quiet;

    #[async_trait::async_trait]
    impl Partner for Quiet {
        fn registration(&self) -> ModuleRegistrationResponse {
            ModuleRegistrationResponse::new("Quiet", "1.0.0")
                .with_event_processing(
                    EventProcessingRegistration::new().with_event_types([EventType::CustomEvent]),
                )
                .with_audience_processing(AudienceProcessingRegistration::new())
        }

        async fn on_audience_subscription(
            &self,
            _ctx: &crate::RequestContext,
            _request: &AudienceSubscriptionRequest,
        ) -> Result<AudienceSubscriptionResponse, crate::PartnerError> {
            let mut response = AudienceSubscriptionResponse::default();
            response
                .audience_subscription_settings
                .insert("listId".into(), "list-1".into());
            Ok(response)
        }
    }

    const FIFO_URL: &str = "https://sqs.us-east-1.amazonaws.com/123456789012/acme.fifo";
    const URL: &str = "https://sqs.us-east-1.amazonaws.com/123456789012/acme";

    fn producer(queue: &MemoryQueue, url: &str) -> Producer<Quiet> {
        Producer::new(
            Dispatcher::new(Quiet).unwrap(),
            Arc::new(queue.clone()),
            url,
        )
    }

    fn batch(events: usize) -> Message {
        let mut batch = messages::EventBatch::new(7).mpid(99);
        for i in 0..events {
            batch = batch.event(Event::new(
                i64::try_from(i).unwrap_or_default(),
                CustomEvent {
                    name: Some(format!("event {i} {}", "y".repeat(100)).into()),
                    ..Default::default()
                },
            ));
        }
        batch.build()
    }

    async fn answer(producer: &Producer<Quiet>, message: &Message) -> Message {
        let bytes = producer
            .handle(&message.encode().unwrap(), Invocation::default())
            .await
            .unwrap();
        Message::decode(&bytes).unwrap()
    }

    #[tokio::test]
    async fn what_needs_the_partner_later_is_queued_and_the_rest_answered_directly() {
        let queue = MemoryQueue::new();
        let producer = producer(&queue, URL);
        let direct = [
            messages::registration_request(),
            messages::event_verification(7),
            messages::audience_verification(7),
            messages::audience_subscription(7, 3, SubscriptionAction::Add),
        ];
        for message in &direct {
            let answer = answer(&producer, message).await;
            assert!(answer.body.is_response());
        }
        let subscription = answer(&producer, &direct[3]).await;
        let MessageBody::AudienceSubscriptionResponse(sub) = subscription.body else {
            panic!("not a subscription response")
        };
        assert_eq!(sub.audience_subscription_settings["listId"], "list-1");
        assert!(queue.sent().is_empty());

        let queued = [
            (batch(2), MessageType::EventProcessingResponse),
            (
                messages::audience_membership(7, &[("a@example.com", 1, AudienceAction::Add)]),
                MessageType::AudienceMembershipChangeResponse,
            ),
            (
                messages::dsr_erasure(7, "a@example.com"),
                MessageType::DsrProcessingResponse,
            ),
        ];
        for (message, answer_type) in &queued {
            let answer = answer(&producer, message).await;
            assert_eq!(answer.message_type(), *answer_type);
            let sent = queue.take_sent();
            assert_eq!(sent.len(), 1);
            assert_eq!(sent[0].queue_url, URL);
            assert_eq!(sent[0].message.group_id, None);
            let body = Message::decode(sent[0].message.body.as_bytes()).unwrap();
            assert_eq!(&body, message);
        }
    }

    #[tokio::test]
    async fn fifo_messages_are_grouped_per_user_and_deduplicated_per_part() {
        let queue = MemoryQueue::new();
        let producer = producer(&queue, FIFO_URL).with_max_message_bytes(4_096);
        let message = batch(100);
        answer(&producer, &message).await;
        let sent = queue.take_sent();
        assert!(sent.len() > 3, "{} parts", sent.len());
        let id = message.envelope.id.unwrap().simple().to_string();
        let mut events = 0;
        for (i, part) in sent.iter().enumerate() {
            assert_eq!(part.message.group_id.as_deref(), Some("mpid-99"));
            assert_eq!(part.message.deduplication_id, Some(format!("{id}-{i}")));
            let MessageBody::EventProcessingRequest(sub) =
                Message::decode(part.message.body.as_bytes()).unwrap().body
            else {
                panic!("not a batch")
            };
            events += sub.events.len();
        }
        assert_eq!(events, 100);

        // Without an mpid: the user's identities, then the account.
        let by_email = messages::EventBatch::new(7)
            .user_identity(UserIdentityType::Email, "a@example.com")
            .event(Event::new(1, CustomEvent::default()))
            .build();
        assert!(group_id(&by_email).starts_with("user-h"));
        assert_eq!(group_id(&by_email), group_id(&by_email.clone()));
        let anonymous = messages::EventBatch::new(7)
            .event(Event::new(1, CustomEvent::default()))
            .build();
        assert_eq!(group_id(&anonymous), "account-7");
        let change = messages::audience_membership(7, &[("a@example.com", 1, AudienceAction::Add)]);
        assert_eq!(group_id(&change), "audience-7");
    }

    #[tokio::test]
    async fn a_refused_send_is_retry_later_and_a_message_too_large_to_split_is_served_directly() {
        let queue = MemoryQueue::new();
        let producer = producer(&queue, URL).with_max_message_bytes(2_000);
        queue.refuse(true);
        let error = producer
            .handle(&batch(3).encode().unwrap(), Invocation::default())
            .await
            .unwrap_err();
        assert_eq!(error.error_type, ErrorType::RetryLater);
        assert!(
            error.message.contains("did not accept"),
            "{}",
            error.message
        );
        queue.refuse(false);

        let dsr = messages::dsr_erasure(7, &format!("{}@example.com", "a".repeat(3_000)));
        let answer = answer(&producer, &dsr).await;
        assert_eq!(answer.message_type(), MessageType::DsrProcessingResponse);
        assert!(queue.sent().is_empty(), "served directly, not queued");
    }

    #[tokio::test]
    async fn undecodable_messages_are_refused_before_the_queue() {
        let queue = MemoryQueue::new();
        let producer = producer(&queue, URL);
        let error = producer
            .handle(
                b"{\"type\":\"event_processing_request\",\"events\":7}",
                Invocation::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(error.error_type, ErrorType::InvalidMessage);
        assert!(queue.sent().is_empty());
    }
}
