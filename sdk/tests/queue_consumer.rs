//! The queue consumer: partial batch responses, the FIFO rule, back-off with visibility
//! changes, deadlines and decode failures, with a partner whose hooks do what an event's name
//! says.
#![cfg(feature = "queue")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mparticle_firehose::model::*;
use mparticle_firehose::partner::Invocation;
use mparticle_firehose::prelude::*;
use mparticle_firehose::queue::{
    Consumed, Consumer, ConsumerConfig, MemoryQueue, RecordOutcome, ReturnReason, SqsBatchResponse,
};
use mparticle_firehose::testing::messages;
use mparticle_firehose::{Dispatcher, ErrorType};
use serde_json::json;

const ARN: &str = "arn:aws:sqs:us-east-1:123456789012:acme-events";
const FIFO_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:acme-events.fifo";

/// Serves custom events by name: `ok`, `retry`, `later-60` (Retry-After 60 s), `permanent`,
/// `invalid`, `suspend`, `slow` (sleeps 300 ms). Counts its calls.
#[derive(Default)]
struct Scripted {
    calls: Arc<AtomicUsize>,
}

#[async_trait]
impl Partner for Scripted {
    fn registration(&self) -> ModuleRegistrationResponse {
        ModuleRegistrationResponse::new("Scripted", "1.0.0").with_event_processing(
            EventProcessingRegistration::new().with_event_types([EventType::CustomEvent]),
        )
    }

    async fn on_custom_event(
        &self,
        _ctx: &RequestContext,
        _batch: &EventProcessingRequest,
        _header: &EventHeader,
        event: &CustomEvent,
    ) -> Result<(), PartnerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        match event.name.as_deref() {
            Some("retry") => Err(PartnerError::retry_later("503 from the partner")),
            Some("later-60") => Err(PartnerError::retry_after(
                "429 from the partner",
                Duration::from_secs(60),
            )),
            Some("permanent") => Err(PartnerError::permanent("400 from the partner")),
            Some("invalid") => Err(PartnerError::invalid_request("no apiKey")),
            Some("suspend") => Err(PartnerError::suspend("401 from the partner")),
            Some("slow") => {
                tokio::time::sleep(Duration::from_millis(300)).await;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

struct Setup {
    calls: Arc<AtomicUsize>,
    consumer: Consumer<Scripted>,
    queue: MemoryQueue,
}

fn setup(config: ConsumerConfig) -> Setup {
    let partner = Scripted::default();
    let calls = Arc::clone(&partner.calls);
    let queue = MemoryQueue::new();
    let consumer = Consumer::new(Dispatcher::new(partner).unwrap())
        .with_queue(Arc::new(queue.clone()))
        .with_config(config);
    Setup {
        calls,
        consumer,
        queue,
    }
}

impl Setup {
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Consumes one SQS event (its JSON) with `deadline` left in the invocation.
    async fn consume(&self, payload: &[u8], deadline: Duration) -> Consumed {
        self.consumer
            .consume(
                serde_json::from_slice(payload).unwrap(),
                invocation(deadline),
            )
            .await
            .unwrap()
    }
}

fn batch(account: i32, name: &str) -> String {
    let message = messages::EventBatch::new(account)
        .setting("apiKey", "k")
        .event(Event::new(
            1_700_000_000_000,
            CustomEvent {
                name: Some(name.into()),
                ..Default::default()
            },
        ))
        .build();
    String::from_utf8(messages::encode(&message)).unwrap()
}

fn record(id: &str, body: &str, arn: &str, group: Option<&str>) -> serde_json::Value {
    let mut attributes = json!({
        "ApproximateReceiveCount": "1",
        "SentTimestamp": "1700000000000",
        "SenderId": "AIDAEXAMPLE",
        "ApproximateFirstReceiveTimestamp": "1700000000001"
    });
    if let Some(group) = group {
        attributes["MessageGroupId"] = json!(group);
        attributes["MessageDeduplicationId"] = json!(format!("{id}-dedup"));
        attributes["SequenceNumber"] = json!("1");
    }
    json!({
        "messageId": id,
        "receiptHandle": format!("handle-{id}"),
        "body": body,
        "attributes": attributes,
        "messageAttributes": {},
        "md5OfBody": "00000000000000000000000000000000",
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": "us-east-1"
    })
}

fn event(records: Vec<serde_json::Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({ "Records": records })).unwrap()
}

fn invocation(deadline_in: Duration) -> Invocation {
    Invocation {
        request_id: "req-1".into(),
        deadline: Some(Instant::now() + deadline_in),
        invoked_function_arn: "arn:aws:lambda:us-east-1:123456789012:function:acme:production"
            .into(),
    }
}

async fn failures(setup: &Setup, payload: &[u8]) -> Vec<String> {
    let bytes = setup
        .consumer
        .handle(payload, invocation(Duration::from_secs(10)))
        .await
        .unwrap();
    let response: SqsBatchResponse = serde_json::from_slice(&bytes).unwrap();
    response
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect()
}

#[tokio::test]
async fn retry_later_and_undecodable_records_come_back_the_rest_is_acknowledged() {
    let setup = setup(ConsumerConfig::default());
    let verification =
        String::from_utf8(messages::encode(&messages::event_verification(7))).unwrap();
    let payload = event(vec![
        record("good", &batch(7, "ok"), ARN, None),
        record("flaky", &batch(7, "retry"), ARN, None),
        record(
            "garbage",
            "{\"type\":\"event_processing_request\",\"events\":{}",
            ARN,
            None,
        ),
        record("check", &verification, ARN, None),
        record("refused", &batch(7, "permanent"), ARN, None),
    ]);
    assert_eq!(failures(&setup, &payload).await, ["flaky", "garbage"]);
    // good, flaky, refused: the verification request never reaches the partner.
    assert_eq!(setup.calls(), 3);
    // No Retry-After: the queue's own visibility timeout applies.
    assert!(setup.queue.visibility_changes().is_empty());

    // The raw JSON a consumer answers with is what Lambda expects.
    let payload = event(vec![record("good", &batch(7, "ok"), ARN, None)]);
    let bytes = setup
        .consumer
        .handle(&payload, invocation(Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(bytes, br#"{"batchItemFailures":[]}"#);
}

#[tokio::test]
async fn invalid_requests_and_suspensions_are_kept_for_the_dead_letter_queue() {
    let setup = setup(ConsumerConfig::default());
    let payload = event(vec![
        record("invalid", &batch(7, "invalid"), ARN, None),
        record("suspend", &batch(7, "suspend"), ARN, None),
        record("no-body", "", ARN, None),
    ]);
    let consumed = setup.consume(&payload, Duration::from_secs(10)).await;
    let reasons: Vec<_> = consumed
        .outcomes
        .iter()
        .map(|(id, o)| match o {
            RecordOutcome::Returned { reason, .. } => (id.as_str(), *reason),
            other => panic!("{id}: {other:?}"),
        })
        .collect();
    assert_eq!(
        reasons,
        [
            ("invalid", ReturnReason::Rejected),
            ("suspend", ReturnReason::Suspended),
            ("no-body", ReturnReason::Undecodable)
        ]
    );
}

#[tokio::test]
async fn fifo_a_failure_holds_back_the_rest_of_its_group_only() {
    let setup = setup(ConsumerConfig::default());
    let payload = event(vec![
        record("a1", &batch(7, "ok"), FIFO_ARN, Some("mpid-1")),
        record("b1", &batch(7, "ok"), FIFO_ARN, Some("mpid-2")),
        record("a2", &batch(7, "retry"), FIFO_ARN, Some("mpid-1")),
        record("b2", &batch(7, "ok"), FIFO_ARN, Some("mpid-2")),
        record("a3", &batch(7, "ok"), FIFO_ARN, Some("mpid-1")),
        record("c1", &batch(7, "retry"), FIFO_ARN, Some("mpid-3")),
        record("b3", &batch(7, "ok"), FIFO_ARN, Some("mpid-2")),
        record("a4", &batch(7, "ok"), FIFO_ARN, Some("mpid-1")),
    ]);
    let consumed = setup.consume(&payload, Duration::from_secs(10)).await;
    let listed: Vec<_> = consumed
        .response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(listed, ["a2", "a3", "c1", "a4"]);
    let held: Vec<_> = consumed
        .outcomes
        .iter()
        .filter(|(_, o)| {
            matches!(
                o,
                RecordOutcome::Returned {
                    reason: ReturnReason::HeldBack,
                    ..
                }
            )
        })
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(held, ["a3", "a4"]);
    // a1, a2, b1-b3, c1: the held-back records never reach the partner.
    assert_eq!((consumed.dispatched, setup.calls()), (6, 6));
}

#[tokio::test]
async fn after_a_long_retry_after_the_account_comes_back_at_once_hidden_for_the_partners_time() {
    let setup = setup(ConsumerConfig::default());
    let payload = event(vec![record("throttled", &batch(7, "later-60"), ARN, None)]);
    assert_eq!(failures(&setup, &payload).await, ["throttled"]);
    assert_eq!(setup.calls(), 1);
    let changes = setup.queue.visibility_changes();
    assert_eq!(changes.len(), 1);
    assert_eq!(
        changes[0].0,
        "https://sqs.us-east-1.amazonaws.com/123456789012/acme-events"
    );
    assert_eq!(changes[0].1.receipt_handle, "handle-throttled");
    assert_eq!(changes[0].1.timeout, Duration::from_secs(60));

    // The next batch: account 7 comes back without a partner call; account 8 is served.
    let payload = event(vec![
        record("later-1", &batch(7, "ok"), ARN, None),
        record("other-account", &batch(8, "ok"), ARN, None),
        record("later-2", &batch(7, "ok"), ARN, None),
    ]);
    assert_eq!(failures(&setup, &payload).await, ["later-1", "later-2"]);
    assert_eq!(
        setup.calls(),
        2,
        "only the other account reached the partner"
    );
    let changes = setup.queue.visibility_changes();
    assert_eq!(changes.len(), 3);
    for (_, change) in &changes[1..] {
        assert!(
            change.timeout >= Duration::from_secs(58) && change.timeout <= Duration::from_secs(60),
            "{change:?}"
        );
    }
    assert!(
        setup
            .consumer
            .backoff_memory()
            .blocked_for("account:7")
            .is_some()
    );
    assert!(
        setup
            .consumer
            .backoff_memory()
            .blocked_for("account:8")
            .is_none()
    );
}

#[tokio::test]
async fn a_failed_visibility_change_still_returns_the_records() {
    let setup = setup(ConsumerConfig::default());
    setup.queue.refuse(true);
    let payload = event(vec![record("throttled", &batch(7, "later-60"), ARN, None)]);
    let consumed = setup.consume(&payload, Duration::from_secs(10)).await;
    assert_eq!(consumed.response.batch_item_failures.len(), 1);
    assert_eq!(consumed.visibility_changes, 0);
    assert!(consumed.visibility_error.is_some());
}

#[tokio::test]
async fn records_not_started_in_time_come_back_instead_of_timing_out_the_batch() {
    let mut config = ConsumerConfig::default();
    config.concurrency = 1;
    config.headroom = Duration::from_millis(100);
    config.min_record_time = Duration::from_millis(200);
    let setup = setup(config);
    let records: Vec<_> = (0..6)
        .map(|i| record(&format!("slow-{i}"), &batch(7, "slow"), ARN, None))
        .collect();
    let started = Instant::now();
    let consumed = setup
        .consume(&event(records), Duration::from_millis(1_000))
        .await;
    // Within the deadline, with time to answer.
    assert!(started.elapsed() < Duration::from_millis(1_000));
    let acknowledged = consumed
        .outcomes
        .iter()
        .filter(|(_, o)| *o == RecordOutcome::Acknowledged)
        .count();
    let late = consumed
        .outcomes
        .iter()
        .filter(|(_, o)| {
            matches!(
                o,
                RecordOutcome::Returned {
                    reason: ReturnReason::Deadline,
                    ..
                }
            )
        })
        .count();
    assert!(acknowledged >= 1, "{:?}", consumed.outcomes);
    assert_eq!(acknowledged + late, 6, "{:?}", consumed.outcomes);
    assert!(late >= 3, "{:?}", consumed.outcomes);
}

#[tokio::test]
async fn a_record_that_must_come_back_without_a_message_id_returns_the_whole_batch() {
    let setup = setup(ConsumerConfig::default());
    let mut nameless = record("x", &batch(7, "retry"), ARN, None);
    nameless["messageId"] = serde_json::Value::Null;
    let error = setup
        .consumer
        .handle(&event(vec![nameless]), invocation(Duration::from_secs(10)))
        .await
        .unwrap_err();
    assert_eq!(error.error_type, ErrorType::RetryLater);

    let error = setup
        .consumer
        .handle(
            br#"{"Records":"nope"}"#,
            invocation(Duration::from_secs(10)),
        )
        .await
        .unwrap_err();
    assert_eq!(error.error_type, ErrorType::InvalidMessage);
    assert!(
        error.message.contains("not an SQS event"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn with_a_retry_delay_retry_later_records_are_hidden_longer_on_each_receive() {
    let mut config = ConsumerConfig::default();
    config.retry_delay = Some(Duration::from_secs(10));
    let setup = setup(config);
    let mut third = record("third-receive", &batch(7, "retry"), ARN, None);
    third["attributes"]["ApproximateReceiveCount"] = json!("3");
    let payload = event(vec![
        record("first-receive", &batch(7, "retry"), ARN, None),
        third,
    ]);
    assert_eq!(
        failures(&setup, &payload).await,
        ["first-receive", "third-receive"]
    );
    let timeouts: Vec<_> = setup
        .queue
        .visibility_changes()
        .into_iter()
        .map(|(_, c)| (c.receipt_handle, c.timeout.as_secs()))
        .collect();
    assert_eq!(
        timeouts,
        [
            ("handle-first-receive".to_owned(), 10),
            ("handle-third-receive".to_owned(), 40)
        ]
    );
}
