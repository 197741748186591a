//! The example binary, started by a Lambda Runtime API (a mock on loopback) with
//! `PARTNER_API_URL` pointing at a scripted Acme API.

mod common;

use std::time::{Duration, Instant};

use mparticle_firehose::model::*;
use mparticle_firehose::testing::messages;
use mparticle_firehose::testing::runtime_api::{
    FunctionProcess, InvokeOptions, MockRuntimeApi, Outcome,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::json;

fn start(api: &MockRuntimeApi, partner_url: &str) -> FunctionProcess {
    common::start_example(api, partner_url, &[])
}

fn error_type(outcome: Outcome) -> String {
    match outcome {
        Outcome::Error { error_type, .. } => error_type,
        Outcome::Response(body) => {
            panic!("expected an error, got {}", String::from_utf8_lossy(&body))
        }
    }
}

fn with_account(mut message: Message) -> Vec<u8> {
    let account = Account::new(5)
        .with_setting("apiKey", "key-5")
        .with_setting("region", "us");
    match &mut message.body {
        MessageBody::EventProcessingRequest(r) => r.account = Some(account),
        MessageBody::AudienceSubscriptionRequest(r) => r.account = Some(account),
        MessageBody::AudienceMembershipChangeRequest(r) => r.account = Some(account),
        MessageBody::DsrProcessingRequest(r) => r.account = Some(account),
        _ => {}
    }
    messages::encode(&message)
}

fn batch(name: &str) -> Vec<u8> {
    let message = messages::EventBatch::new(5)
        .mpid(99)
        .event(Event::new(
            1,
            CustomEvent {
                name: Some(name.into()),
                ..Default::default()
            },
        ))
        .build();
    with_account(message)
}

#[tokio::test]
async fn the_example_answers_every_message_type_through_the_runtime_loop() {
    let acme = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&acme)
        .await;
    let api = MockRuntimeApi::start().await.unwrap();
    let _function = start(&api, &acme.uri());

    let reg = json(
        api.invoke(messages::encode(&messages::registration_request()))
            .await
            .unwrap(),
    );
    assert_eq!(reg["type"], "module_registration_response");
    assert_eq!(reg["name"], "Acme Events (example)");
    assert_eq!(
        json(api.invoke(batch("signup")).await.unwrap())["type"],
        "event_processing_response"
    );
    assert_eq!(
        json(
            api.invoke(messages::encode(&messages::event_verification(5)))
                .await
                .unwrap()
        )["type"],
        "event_processing_response"
    );
    let sub = with_account(messages::audience_subscription(
        5,
        12,
        SubscriptionAction::Add,
    ));
    assert_eq!(
        json(api.invoke(sub).await.unwrap())["audience_subscription_settings"]["listId"],
        "mparticle-12"
    );
    let membership = with_account(messages::audience_membership(
        5,
        &[("a@example.com", 12, AudienceAction::Add)],
    ));
    assert_eq!(
        json(api.invoke(membership).await.unwrap())["suspend_subscription"],
        false
    );
    assert_eq!(
        json(
            api.invoke(messages::encode(&messages::audience_verification(5)))
                .await
                .unwrap()
        )["suspend_subscription"],
        false
    );
    let dsr = with_account(messages::dsr_erasure(5, "a@example.com"));
    assert_eq!(
        json(api.invoke(dsr).await.unwrap())["type"],
        "dsr_processing_response"
    );

    assert_eq!(
        error_type(api.invoke(&b"{\"not\":\"a message\"}"[..]).await.unwrap()),
        "Firehose.InvalidMessage"
    );
    assert_eq!(
        json(api.invoke(batch("after-garbage")).await.unwrap())["type"],
        "event_processing_response"
    );

    let paths: Vec<String> = acme
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert!(paths.contains(&"/v1/events".to_owned()), "{paths:?}");
    assert!(
        paths.contains(&"/v1/lists/mparticle-12/members".to_owned()),
        "{paths:?}"
    );
    assert!(paths.contains(&"/v1/erasures".to_owned()), "{paths:?}");
}

#[tokio::test]
async fn flow_control_end_to_end_through_the_runtime_loop() {
    let acme = MockServer::start().await;
    let api = MockRuntimeApi::start().await.unwrap();
    let _function = start(&api, &acme.uri());
    let three_seconds = InvokeOptions {
        deadline_in: Duration::from_secs(3),
        ..InvokeOptions::default()
    };

    // 503 then success: succeeds within one invocation.
    Mock::given(method("POST"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&acme)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(202))
        .up_to_n_times(1)
        .mount(&acme)
        .await;
    json(
        api.invoke_with(batch("a"), three_seconds.clone())
            .await
            .unwrap(),
    );
    assert_eq!(acme.received_requests().await.unwrap().len(), 2);
    acme.reset().await;

    // Retry-After: 1 is waited for.
    Mock::given(method("POST"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&acme)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&acme)
        .await;
    json(
        api.invoke_with(batch("b"), three_seconds.clone())
            .await
            .unwrap(),
    );
    assert_eq!(acme.received_requests().await.unwrap().len(), 2);
    acme.reset().await;

    // A partner that hangs: retry-later before the deadline.
    Mock::given(method("POST"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(202).set_delay(Duration::from_secs(30)))
        .mount(&acme)
        .await;
    let started = Instant::now();
    assert_eq!(
        error_type(
            api.invoke_with(batch("c"), three_seconds.clone())
                .await
                .unwrap()
        ),
        "Firehose.RetryLater"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the deadline was passed: {:?}",
        started.elapsed()
    );
    acme.reset().await;

    // 429 Retry-After: 120 with 3 s left: fails fast, and the next invocation does not call Acme.
    Mock::given(method("POST"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "120"))
        .mount(&acme)
        .await;
    let started = Instant::now();
    assert_eq!(
        error_type(
            api.invoke_with(batch("d"), three_seconds.clone())
                .await
                .unwrap()
        ),
        "Firehose.RetryLater"
    );
    // Waiting out the budget would take ~2.5 s (3 s minus the headroom); failing fast takes one round trip.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "did not fail fast: {:?}",
        started.elapsed()
    );
    assert_eq!(acme.received_requests().await.unwrap().len(), 1);
    assert_eq!(
        error_type(api.invoke_with(batch("e"), three_seconds).await.unwrap()),
        "Firehose.RetryLater"
    );
    assert_eq!(
        acme.received_requests().await.unwrap().len(),
        1,
        "the partner was called during back-off"
    );
}
