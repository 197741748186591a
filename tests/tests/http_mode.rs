//! HTTP mode through the real `lambda_runtime` loop: the test partner binary, in its own
//! process, served by a mock Lambda Runtime API on loopback, answers function URL events and
//! direct invocations alike, the payload's shape deciding.

use mparticle_firehose::endpoint::events::HttpEvent;
use mparticle_firehose::model::*;
use mparticle_firehose::testing::messages;
use mparticle_firehose::testing::runtime_api::{MockRuntimeApi, Outcome};
use serde_json::Value;

const PARTNER: &str = env!("CARGO_BIN_EXE_test-partner");
const TOKEN: &str = "runtime-loop-t0ken";

/// The proxy response of an HTTP event, and its body parsed.
fn proxy_response(outcome: Outcome) -> (Value, Value) {
    match outcome {
        Outcome::Response(bytes) => {
            let response: Value = serde_json::from_slice(&bytes).expect("a JSON proxy response");
            let body = serde_json::from_str(response["body"].as_str().expect("a text body"))
                .expect("a JSON body");
            (response, body)
        }
        Outcome::Error {
            error_type,
            error_message,
        } => panic!("function error {error_type}: {error_message}"),
    }
}

fn batch(name: &str) -> Vec<u8> {
    messages::EventBatch::new(7)
        .setting("apiKey", "k")
        .event(Event::new(
            1,
            CustomEvent {
                name: Some(name.into()),
                ..Default::default()
            },
        ))
        .to_json()
}

#[tokio::test]
async fn one_binary_serves_function_url_events_and_direct_invocations() {
    let api = MockRuntimeApi::start().await.unwrap();
    let _function = api
        .spawn(
            PARTNER,
            &[
                ("AWS_LAMBDA_LOG_LEVEL", "error"),
                ("FIREHOSE_HTTP_TOKEN", TOKEN),
            ],
        )
        .expect("the partner starts");
    let registration = messages::encode(&messages::registration_request());

    let (response, body) = proxy_response(
        api.invoke(HttpEvent::function_url(&registration).to_json())
            .await
            .unwrap(),
    );
    assert_eq!(response["statusCode"], 200);
    assert_eq!(body["name"], "Test Partner");

    let (response, body) = proxy_response(
        api.invoke(HttpEvent::function_url(batch("ok")).to_json())
            .await
            .unwrap(),
    );
    assert_eq!(response["statusCode"], 401);
    assert_eq!(body["errorType"], "Firehose.Unauthorized");

    for event in [
        HttpEvent::function_url(batch("ok")).token(TOKEN),
        HttpEvent::function_url(batch("ok")).token(TOKEN).gzip(),
        HttpEvent::api_gateway_v1(batch("ok")).token(TOKEN),
        HttpEvent::alb(batch("ok")).token(TOKEN).base64(),
    ] {
        let (response, body) = proxy_response(api.invoke(event.to_json()).await.unwrap());
        assert_eq!(response["statusCode"], 200, "{response}");
        assert_eq!(body["type"], "event_processing_response");
    }

    // The hook's retry-later and panic: answered as HTTP statuses, never a function error.
    let (response, _) = proxy_response(
        api.invoke(
            HttpEvent::function_url(batch("retry"))
                .token(TOKEN)
                .to_json(),
        )
        .await
        .unwrap(),
    );
    assert_eq!(response["statusCode"], 503);
    let (response, body) = proxy_response(
        api.invoke(
            HttpEvent::function_url(batch("panic"))
                .token(TOKEN)
                .to_json(),
        )
        .await
        .unwrap(),
    );
    assert_eq!(response["statusCode"], 500);
    assert_eq!(body["errorType"], "Firehose.Panic");

    // A direct invocation of the same process is served as before.
    match api.invoke(registration).await.unwrap() {
        Outcome::Response(bytes) => {
            let reg: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(reg["type"], "module_registration_response");
        }
        other => panic!("{other:?}"),
    }

    // A payload that claims to be an HTTP event but is none: a typed function error.
    match api
        .invoke(&br#"{"version":"2.0","requestContext":{"http":{}}}"#[..])
        .await
        .unwrap()
    {
        Outcome::Error {
            error_type,
            error_message,
        } => {
            assert_eq!(error_type, "Firehose.InvalidMessage");
            assert!(
                error_message.contains("$.requestContext.http"),
                "{error_message}"
            );
        }
        other => panic!("{other:?}"),
    }

    // And the function still serves.
    let (response, _) = proxy_response(
        api.invoke(HttpEvent::function_url(batch("ok")).token(TOKEN).to_json())
            .await
            .unwrap(),
    );
    assert_eq!(response["statusCode"], 200);
}

#[tokio::test]
async fn without_a_token_the_binary_fails_closed_over_http_only() {
    let api = MockRuntimeApi::start().await.unwrap();
    let _function = api
        .spawn(PARTNER, &[("AWS_LAMBDA_LOG_LEVEL", "off")])
        .expect("the partner starts");
    let (response, body) = proxy_response(
        api.invoke(HttpEvent::function_url(batch("ok")).token(TOKEN).to_json())
            .await
            .unwrap(),
    );
    assert_eq!(response["statusCode"], 503);
    assert_eq!(body["errorType"], "Firehose.NotConfigured");
    // Direct invocations need no token.
    match api.invoke(batch("ok")).await.unwrap() {
        Outcome::Response(bytes) => {
            let answer: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(answer["type"], "event_processing_response");
        }
        other => panic!("{other:?}"),
    }
}
