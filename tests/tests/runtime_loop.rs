//! End to end through the real `lambda_runtime` loop: the test partner binary, in its own
//! process, served by a mock Lambda Runtime API on loopback.

use std::time::Duration;

use mparticle_firehose::model::*;
use mparticle_firehose::testing::messages;
use mparticle_firehose::testing::runtime_api::{
    InvokeError, InvokeOptions, MockRuntimeApi, Outcome,
};

const PARTNER: &str = env!("CARGO_BIN_EXE_test-partner");

fn response_of(outcome: Outcome) -> serde_json::Value {
    match outcome {
        Outcome::Response(body) => serde_json::from_slice(&body).expect("the response is JSON"),
        Outcome::Error {
            error_type,
            error_message,
        } => panic!("function error {error_type}: {error_message}"),
    }
}

fn error_of(outcome: Outcome) -> (String, String) {
    match outcome {
        Outcome::Error {
            error_type,
            error_message,
        } => (error_type, error_message),
        Outcome::Response(body) => {
            panic!("expected an error, got {}", String::from_utf8_lossy(&body))
        }
    }
}

#[tokio::test]
async fn every_message_type_is_answered_and_errors_do_not_stop_the_function() {
    let api = MockRuntimeApi::start().await.unwrap();
    let _function = api
        .spawn(PARTNER, &[("AWS_LAMBDA_LOG_LEVEL", "warn")])
        .expect("the partner starts");

    // The registration probe as mParticle's registration tool sends it (no firehose_version).
    let reg = response_of(api.invoke(&br#"{"type":"module_registration_request","id":"76e558fa-f456-437c-bb81-e658f75a7bd9","timestamp_ms":1446250094767}"#[..]).await.unwrap());
    assert_eq!(reg["type"], "module_registration_response");
    assert_eq!(reg["name"], "Test Partner");
    assert_eq!(reg["firehose_version"], "3.2.0");
    assert!(uuid::Uuid::parse_str(reg["id"].as_str().unwrap()).is_ok());

    let batch = messages::EventBatch::new(7)
        .setting("apiKey", "k")
        .event(Event::new(
            1,
            CustomEvent {
                name: Some("ok".into()),
                ..Default::default()
            },
        ))
        .to_json();
    let events = response_of(api.invoke(batch).await.unwrap());
    assert_eq!(events["type"], "event_processing_response");
    assert!(events.get("suspend_subscription").is_none());

    let verification = response_of(
        api.invoke(messages::encode(&messages::event_verification(7)))
            .await
            .unwrap(),
    );
    assert_eq!(verification["type"], "event_processing_response");

    let sub = messages::audience_subscription(7, 99, SubscriptionAction::Add);
    let sub = response_of(api.invoke(messages::encode(&sub)).await.unwrap());
    assert_eq!(sub["type"], "audience_subscription_response");
    assert_eq!(sub["audience_subscription_settings"]["listId"], "list-99");

    let noop = response_of(
        api.invoke(messages::encode(&messages::audience_verification(7)))
            .await
            .unwrap(),
    );
    assert_eq!(noop["type"], "audience_membership_change_response");
    assert_eq!(noop["suspend_subscription"], false);

    let membership =
        messages::audience_membership(7, &[("a@example.com", 99, AudienceAction::Add)]);
    let membership = response_of(api.invoke(messages::encode(&membership)).await.unwrap());
    assert_eq!(membership["suspend_subscription"], false);

    let dsr = response_of(
        api.invoke(messages::encode(&messages::dsr_erasure(7, "a@example.com")))
            .await
            .unwrap(),
    );
    assert_eq!(dsr["type"], "dsr_processing_response");

    // Garbage, then a valid request: the same process serves it.
    let (kind, message) = error_of(api.invoke(&b"this is not json"[..]).await.unwrap());
    assert_eq!(kind, "Firehose.InvalidMessage");
    assert!(message.contains("not_json"), "{message}");
    let (kind, message) = error_of(
        api.invoke(
            &br#"{"type":"event_processing_request","account":{"account_id":{}},"events":[]}"#[..],
        )
        .await
        .unwrap(),
    );
    assert_eq!(kind, "Firehose.InvalidMessage");
    assert!(message.contains("$.account.account_id"), "{message}");
    // Damage inside one event is isolated to that event: the message is answered.
    let isolated = response_of(api.invoke(&br#"{"type":"event_processing_request","events":[{"type":"custom_event","timestamp_ms":{}}]}"#[..]).await.unwrap());
    assert_eq!(isolated["type"], "event_processing_response");

    let retry = messages::EventBatch::new(7).event(Event::new(
        1,
        CustomEvent {
            name: Some("retry".into()),
            ..Default::default()
        },
    ));
    let (kind, _) = error_of(api.invoke(retry.to_json()).await.unwrap());
    assert_eq!(kind, "Firehose.RetryLater");

    let panic = messages::EventBatch::new(7).event(Event::new(
        1,
        CustomEvent {
            name: Some("panic".into()),
            ..Default::default()
        },
    ));
    let (kind, message) = error_of(api.invoke(panic.to_json()).await.unwrap());
    assert_eq!(kind, "Firehose.Panic");
    assert!(message.contains("asked to panic"), "{message}");

    let suspend = messages::EventBatch::new(7).event(Event::new(
        1,
        CustomEvent {
            name: Some("suspend".into()),
            ..Default::default()
        },
    ));
    let suspended = response_of(api.invoke(suspend.to_json()).await.unwrap());
    assert_eq!(suspended["suspend_subscription"], true);

    // Still alive after all of that.
    let again = response_of(
        api.invoke(messages::encode(&messages::event_verification(7)))
            .await
            .unwrap(),
    );
    assert_eq!(again["type"], "event_processing_response");
}

#[tokio::test]
async fn an_invalid_registration_fails_the_function_at_init() {
    let api = MockRuntimeApi::start().await.unwrap();
    let mut function = api
        .spawn(
            PARTNER,
            &[
                ("TEST_PARTNER_MODE", "broken"),
                ("AWS_LAMBDA_LOG_LEVEL", "off"),
            ],
        )
        .expect("the partner starts");
    let options = InvokeOptions {
        wait: Duration::from_secs(10),
        ..InvokeOptions::default()
    };
    let outcome = api
        .invoke_with(messages::encode(&messages::registration_request()), options)
        .await;
    // The function reports why at init, and exits without taking the invocation.
    let Err(InvokeError::InitError(report)) = outcome else {
        panic!("expected an init error, got {outcome:?}")
    };
    let report_json: serde_json::Value =
        serde_json::from_str(&report).expect("the init error is JSON");
    assert_eq!(report_json["errorType"], "Firehose.InvalidRegistration");
    let message = report_json["errorMessage"].as_str().unwrap_or_default();
    assert!(message.contains("push_messaging_provider_id"), "{message}");
    assert!(
        message.contains(r#""apiKey" appears more than once"#),
        "{message}"
    );
    assert_eq!(api.init_error().as_deref(), Some(report.as_str()));
    let status = function.0.wait().expect("the function exits");
    assert!(!status.success());
}

#[tokio::test]
async fn concurrent_invocations_are_all_answered_on_managed_instances() {
    // With the `concurrent` feature (on in the workspace test run) the function polls with four
    // workers; without it, it serves them one after another. Either way every one is answered.
    let api = MockRuntimeApi::start().await.unwrap();
    let _function = api
        .spawn(
            PARTNER,
            &[
                ("AWS_LAMBDA_MAX_CONCURRENCY", "4"),
                ("AWS_LAMBDA_LOG_LEVEL", "error"),
            ],
        )
        .expect("the partner starts");
    let invocations = (0..12).map(|i| {
        let batch = messages::EventBatch::new(i)
            .event(Event::new(
                1,
                CustomEvent {
                    name: Some(format!("e{i}").into()),
                    ..Default::default()
                },
            ))
            .to_json();
        api.invoke(batch)
    });
    for outcome in futures::future::join_all(invocations).await {
        assert_eq!(
            response_of(outcome.unwrap())["type"],
            "event_processing_response"
        );
    }
}
