//! Queue mode end to end: the example binary, unchanged, started by a mock Lambda Runtime API,
//! with a scripted Acme API and a fake SQS API (both wiremock on loopback). As a consumer it
//! answers SQS events with partial batch responses; with `FIREHOSE_QUEUE_URL` it enqueues.

mod common;

use std::time::Duration;

use mparticle_firehose::model::*;
use mparticle_firehose::testing::messages;
use mparticle_firehose::testing::runtime_api::{FunctionProcess, MockRuntimeApi, Outcome};
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, header, method};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ACCOUNT: &str = "123456789012";
const QUEUE: &str = "acme-events";

/// A scripted Acme: 503 for events named `always-503`, 429 with `Retry-After: 60` for
/// `throttle-me`, 202 otherwise.
async fn acme() -> MockServer {
    let acme = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("always-503"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&acme)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("throttle-me"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "60"))
        .mount(&acme)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"accepted": 1})))
        .mount(&acme)
        .await;
    acme
}

/// A fake SQS API (JSON protocol): accepts SendMessage and ChangeMessageVisibilityBatch, or
/// refuses SendMessage with `QueueDoesNotExist`.
async fn sqs(refuse_sends: bool) -> MockServer {
    let sqs = MockServer::start().await;
    let send = if refuse_sends {
        ResponseTemplate::new(400).set_body_raw(
            r#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#,
            "application/x-amz-json-1.0",
        )
    } else {
        ResponseTemplate::new(200).set_body_raw(
            r#"{"MessageId":"5fea7756-0ea4-451a-a703-a558b933e274","MD5OfMessageBody":"00000000000000000000000000000000"}"#,
            "application/x-amz-json-1.0",
        )
    };
    Mock::given(method("POST"))
        .and(header("x-amz-target", "AmazonSQS.SendMessage"))
        .respond_with(send)
        .mount(&sqs)
        .await;
    Mock::given(method("POST"))
        .and(header(
            "x-amz-target",
            "AmazonSQS.ChangeMessageVisibilityBatch",
        ))
        .respond_with(|request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            let ids: Vec<Value> = body["Entries"]
                .as_array()
                .map(|entries| entries.iter().map(|e| json!({ "Id": e["Id"] })).collect())
                .unwrap_or_default();
            ResponseTemplate::new(200).set_body_raw(
                json!({ "Successful": ids, "Failed": [] }).to_string(),
                "application/x-amz-json-1.0",
            )
        })
        .mount(&sqs)
        .await;
    sqs
}

fn start(
    api: &MockRuntimeApi,
    acme: &MockServer,
    sqs: &MockServer,
    queue_url: Option<&str>,
) -> FunctionProcess {
    let sqs_url = sqs.uri();
    let mut env = vec![
        ("AWS_ENDPOINT_URL_SQS", sqs_url.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_CONFIG_FILE", "/nonexistent/aws-config"),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws-credentials",
        ),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];
    if let Some(url) = queue_url {
        env.push(("FIREHOSE_QUEUE_URL", url));
    }
    common::start_example(api, &acme.uri(), &env)
}

fn with_account(mut message: Message) -> String {
    let account = Account::new(5)
        .with_setting("apiKey", "key-5")
        .with_setting("region", "us");
    match &mut message.body {
        MessageBody::EventProcessingRequest(r) => r.account = Some(account),
        MessageBody::AudienceMembershipChangeRequest(r) => r.account = Some(account),
        MessageBody::DsrProcessingRequest(r) => r.account = Some(account),
        _ => {}
    }
    String::from_utf8(messages::encode(&message)).unwrap()
}

fn batch(name: &str) -> String {
    let message = messages::EventBatch::new(5)
        .mpid(99)
        .event(Event::new(
            1_700_000_000_000,
            CustomEvent {
                name: Some(name.into()),
                ..Default::default()
            },
        ))
        .build();
    with_account(message)
}

fn record(id: &str, body: &str, group: Option<&str>) -> Value {
    let mut attributes = json!({
        "ApproximateReceiveCount": "1",
        "SentTimestamp": "1700000000000",
        "SenderId": "AROAEXAMPLE:producer",
        "ApproximateFirstReceiveTimestamp": "1700000000100"
    });
    let mut queue = QUEUE.to_owned();
    if let Some(group) = group {
        attributes["MessageGroupId"] = json!(group);
        attributes["MessageDeduplicationId"] = json!(id);
        attributes["SequenceNumber"] = json!("18849496460467696128");
        queue.push_str(".fifo");
    }
    json!({
        "messageId": id,
        "receiptHandle": format!("AQEB-{id}"),
        "body": body,
        "attributes": attributes,
        "messageAttributes": {},
        "md5OfBody": "7b270e59b47ff90a553787216d55d91d",
        "eventSource": "aws:sqs",
        "eventSourceARN": format!("arn:aws:sqs:us-east-1:{ACCOUNT}:{queue}"),
        "awsRegion": "us-east-1"
    })
}

fn sqs_event(records: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({ "Records": records })).unwrap()
}

/// The message ids listed in a partial batch response.
fn listed(outcome: Outcome) -> Vec<String> {
    match outcome {
        Outcome::Response(body) => {
            let response: Value = serde_json::from_slice(&body).expect("JSON");
            response["batchItemFailures"]
                .as_array()
                .expect("a partial batch response")
                .iter()
                .map(|f| f["itemIdentifier"].as_str().unwrap_or_default().to_owned())
                .collect()
        }
        Outcome::Error {
            error_type,
            error_message,
        } => panic!("{error_type}: {error_message}"),
    }
}

/// Requests to a wiremock server whose body contains `needle`.
async fn requests_with(server: &MockServer, needle: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains(needle))
        .collect()
}

async fn sqs_calls(sqs: &MockServer, target: &str) -> Vec<Value> {
    sqs.received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.headers.get("x-amz-target").is_some_and(|v| v == target))
        .map(|r| serde_json::from_slice(&r.body).unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn an_sqs_event_comes_back_with_exactly_the_retryable_and_undecodable_records() {
    let (acme, sqs) = (acme().await, sqs(false).await);
    let api = MockRuntimeApi::start().await.unwrap();
    let _function = start(&api, &acme, &sqs, None);

    let verification = with_account(messages::event_verification(5));
    let event = sqs_event(vec![
        record("good", &batch("signup"), None),
        record("flaky", &batch("always-503"), None),
        record("garbage", "this is not a Firehose message", None),
        record("check", &verification, None),
    ]);
    assert_eq!(
        listed(api.invoke(event).await.unwrap()),
        ["flaky", "garbage"]
    );
    assert_eq!(requests_with(&acme, "signup").await.len(), 1);
    // Retried within the invocation, then handed back to the queue.
    assert_eq!(requests_with(&acme, "always-503").await.len(), 3);
    // No Retry-After: no visibility change; the queue's own timeout applies.
    assert!(
        sqs_calls(&sqs, "AmazonSQS.ChangeMessageVisibilityBatch")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn fifo_a_failure_holds_back_the_rest_of_its_group_only() {
    let (acme, sqs) = (acme().await, sqs(false).await);
    let api = MockRuntimeApi::start().await.unwrap();
    let _function = start(&api, &acme, &sqs, None);

    let event = sqs_event(vec![
        record("a1", &batch("a-first"), Some("mpid-1")),
        record("b1", &batch("b-first"), Some("mpid-2")),
        record("a2", &batch("always-503"), Some("mpid-1")),
        record("b2", &batch("b-second"), Some("mpid-2")),
        record("a3", &batch("a-third"), Some("mpid-1")),
    ]);
    assert_eq!(listed(api.invoke(event).await.unwrap()), ["a2", "a3"]);
    for served in ["a-first", "b-first", "b-second"] {
        assert_eq!(requests_with(&acme, served).await.len(), 1, "{served}");
    }
    assert!(
        requests_with(&acme, "a-third").await.is_empty(),
        "held back, never sent"
    );
}

#[tokio::test]
async fn after_a_429_with_retry_after_60_the_next_batch_comes_back_at_once_and_is_hidden() {
    let (acme, sqs) = (acme().await, sqs(false).await);
    let api = MockRuntimeApi::start().await.unwrap();
    let _function = start(&api, &acme, &sqs, None);

    let first = sqs_event(vec![record("throttled", &batch("throttle-me"), None)]);
    assert_eq!(listed(api.invoke(first).await.unwrap()), ["throttled"]);
    let partner_calls = acme.received_requests().await.unwrap_or_default().len();
    assert_eq!(
        partner_calls, 1,
        "the partner asked for 60 s: no retry inside the invocation"
    );

    let next = sqs_event(vec![
        record("next-1", &batch("signup"), None),
        record("next-2", &batch("purchase"), None),
    ]);
    let started = std::time::Instant::now();
    assert_eq!(
        listed(api.invoke(next).await.unwrap()),
        ["next-1", "next-2"]
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "came back at once"
    );
    assert_eq!(
        acme.received_requests().await.unwrap_or_default().len(),
        partner_calls,
        "no partner call during the back-off"
    );

    let changes = sqs_calls(&sqs, "AmazonSQS.ChangeMessageVisibilityBatch").await;
    assert_eq!(changes.len(), 2, "{changes:?}");
    let queue_url = format!("{}/{ACCOUNT}/{QUEUE}", sqs.uri());
    let mut handles = Vec::new();
    for change in &changes {
        assert_eq!(change["QueueUrl"], queue_url.as_str());
        for entry in change["Entries"].as_array().unwrap() {
            let timeout = entry["VisibilityTimeout"].as_i64().unwrap();
            assert!((55..=60).contains(&timeout), "{entry}");
            handles.push(entry["ReceiptHandle"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(handles, ["AQEB-throttled", "AQEB-next-1", "AQEB-next-2"]);
}

#[tokio::test]
async fn with_a_queue_url_the_binary_enqueues_and_answers_at_once() {
    let (acme, sqs) = (acme().await, sqs(false).await);
    let api = MockRuntimeApi::start().await.unwrap();
    let queue_url = format!("{}/{ACCOUNT}/{QUEUE}", sqs.uri());
    let _function = start(&api, &acme, &sqs, Some(&queue_url));

    let answer = match api.invoke(batch("signup")).await.unwrap() {
        Outcome::Response(body) => Message::decode(&body).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(answer.message_type(), MessageType::EventProcessingResponse);
    let sends = sqs_calls(&sqs, "AmazonSQS.SendMessage").await;
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0]["QueueUrl"], queue_url.as_str());
    let queued = Message::decode(sends[0]["MessageBody"].as_str().unwrap().as_bytes()).unwrap();
    assert_eq!(queued.message_type(), MessageType::EventProcessingRequest);
    assert!(
        acme.received_requests()
            .await
            .unwrap_or_default()
            .is_empty(),
        "the partner is called by the consumer, later"
    );

    // The registration probe and verification requests are answered directly, not queued.
    let probe = messages::encode(&messages::registration_request());
    assert!(matches!(
        api.invoke(probe).await.unwrap(),
        Outcome::Response(_)
    ));
    let check = with_account(messages::event_verification(5));
    assert!(matches!(
        api.invoke(check).await.unwrap(),
        Outcome::Response(_)
    ));
    assert_eq!(sqs_calls(&sqs, "AmazonSQS.SendMessage").await.len(), 1);
}

#[tokio::test]
async fn when_sqs_refuses_the_message_mparticle_is_told_to_retry() {
    let (acme, sqs) = (acme().await, sqs(true).await);
    let api = MockRuntimeApi::start().await.unwrap();
    let queue_url = format!("{}/{ACCOUNT}/{QUEUE}", sqs.uri());
    let _function = start(&api, &acme, &sqs, Some(&queue_url));

    match api.invoke(batch("signup")).await.unwrap() {
        Outcome::Error {
            error_type,
            error_message,
        } => {
            assert_eq!(error_type, "Firehose.RetryLater");
            assert!(
                error_message.contains("QueueDoesNotExist"),
                "{error_message}"
            );
        }
        other => panic!("{other:?}"),
    }
}
