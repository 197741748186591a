//! End to end through cargo-lambda's emulator: `cargo lambda watch` runs the test partner and
//! serves the Lambda Invoke API on loopback, as a partner does locally.
//!
//! Needs `cargo-lambda` (the test command installs it from PyPI). Skipped when it is missing,
//! except in CI, where that is a failure.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use firehose_tests::{KillOnDrop, find_tool, free_port, http_client, in_ci};
use mparticle_firehose::model::*;
use mparticle_firehose::testing::messages;

#[tokio::test]
async fn the_test_partner_answers_through_cargo_lambda_watch() {
    let Some(cargo_lambda) = find_tool("cargo-lambda") else {
        assert!(
            !in_ci(),
            "cargo-lambda is missing in CI: scripts/test.sh installs it"
        );
        eprintln!("cargo-lambda not found: skipped (run scripts/ensure-python-tools.sh)");
        return;
    };
    let port = free_port();
    let mut cmd = Command::new(&cargo_lambda);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "lambda",
            "watch",
            "--ignore-changes",
            "--invoke-address",
            "127.0.0.1",
        ])
        .args(["--invoke-port", &port.to_string(), "--timeout", "240"])
        .env("RUST_BACKTRACE", "0")
        .env("AWS_LAMBDA_LOG_LEVEL", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _watch = KillOnDrop(cmd.spawn().expect("cargo lambda watch starts"));

    let url = format!("http://127.0.0.1:{port}/2015-03-31/functions/test-partner/invocations");
    let client = http_client();
    // The emulator binds within seconds; the first invoke also starts the function.
    let started = Instant::now();
    let invoke = |body: Vec<u8>| {
        let client = client.clone();
        let url = url.clone();
        async move {
            let response = client.post(&url).body(body).send().await?;
            let status = response.status().as_u16();
            let json: serde_json::Value = response.json().await?;
            Ok::<_, reqwest::Error>((status, json))
        }
    };
    let registration = loop {
        match invoke(messages::encode(&messages::registration_request())).await {
            Ok(answer) => break answer,
            Err(_) if started.elapsed() < Duration::from_secs(240) => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("cargo lambda watch did not answer within 240 s: {e}"),
        }
    };
    assert_eq!(registration.0, 200);
    assert_eq!(registration.1["type"], "module_registration_response");
    assert_eq!(registration.1["name"], "Test Partner");

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
    let (status, json) = invoke(batch).await.unwrap();
    assert_eq!(
        (status, json["type"].as_str()),
        (200, Some("event_processing_response"))
    );

    let (status, json) = invoke(messages::encode(&messages::audience_verification(7)))
        .await
        .unwrap();
    assert_eq!(
        (status, json["suspend_subscription"].as_bool()),
        (200, Some(false))
    );

    let sub = messages::audience_subscription(7, 5, SubscriptionAction::Add);
    let (status, json) = invoke(messages::encode(&sub)).await.unwrap();
    assert_eq!(
        (
            status,
            json["audience_subscription_settings"]["listId"].as_str()
        ),
        (200, Some("list-5"))
    );

    let (status, json) = invoke(messages::encode(&messages::dsr_erasure(7, "a@example.com")))
        .await
        .unwrap();
    assert_eq!(
        (status, json["type"].as_str()),
        (200, Some("dsr_processing_response"))
    );

    // The emulator answers a function error with 500 and the error body.
    let (status, json) = invoke(b"garbage".to_vec()).await.unwrap();
    assert_eq!(status, 500);
    assert_eq!(json["errorType"], "Firehose.InvalidMessage");

    // The emulator's deadline is a placeholder: the SDK treats it as unknown, not as passed.
    let (status, json) = invoke(messages::encode(&messages::event_verification(7)))
        .await
        .unwrap();
    assert_eq!(
        (status, json["type"].as_str()),
        (200, Some("event_processing_response"))
    );
}
