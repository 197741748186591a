//! HTTP mode end to end: the example integration, unchanged, served as a function URL by
//! `cargo lambda watch` (`http://127.0.0.1:PORT/lambda-url/example-integration/`) with
//! `FIREHOSE_HTTP_TOKEN` set and its partner API stubbed on loopback; then `firehose probe --url`
//! against it.
//!
//! Needs `cargo-lambda` (scripts/ensure-python-tools.sh installs it into `.venv/bin`); skipped,
//! saying so, when it is missing, except in CI (`CI` set), where that is a failure. Everything
//! listens on loopback only and every wait is bounded.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use firehose_tests::{KillOnDrop, find_tool, free_port, http_client, in_ci};
use mparticle_firehose::model::*;
use mparticle_firehose::testing::messages;
use serde_json::Value;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "e2e-Token_0123456789abcdef";
const FUNCTION: &str = "example-integration";

/// `cargo lambda watch` serving the example integration, stopped when dropped; its log is kept
/// only when the test fails.
struct Watch {
    process: Option<KillOnDrop>,
    port: u16,
    log: PathBuf,
}

impl Drop for Watch {
    fn drop(&mut self) {
        drop(self.process.take());
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

impl Watch {
    /// The function URL of the example integration.
    fn function_url(&self) -> String {
        format!("http://127.0.0.1:{}/lambda-url/{FUNCTION}/", self.port)
    }

    /// The Lambda Invoke API URL of the same function.
    fn invoke_url(&self) -> String {
        format!(
            "http://127.0.0.1:{}/2015-03-31/functions/{FUNCTION}/invocations",
            self.port
        )
    }
}

/// Builds the example integration, then serves it with `cargo lambda watch`, the token in the
/// process environment and the partner API URL as `--env-var`; waits until the function has
/// answered once. `None` when cargo-lambda is missing outside CI.
async fn watch(partner_api: &str) -> Option<Watch> {
    let Some(cargo_lambda) = find_tool("cargo-lambda") else {
        assert!(
            !in_ci(),
            "cargo-lambda is missing in CI: run scripts/ensure-python-tools.sh"
        );
        eprintln!("cargo-lambda not found: skipped (run scripts/ensure-python-tools.sh)");
        return None;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../example-integration");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = tokio::process::Command::new(cargo);
    build
        .args(["build", "--quiet", "-p", FUNCTION, "--bin", FUNCTION])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let status = tokio::time::timeout(Duration::from_secs(900), build.status())
        .await
        .expect("the build finishes within 15 minutes")
        .expect("cargo runs");
    assert!(status.success(), "cargo build -p {FUNCTION} failed");

    let port = free_port();
    let log_path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("http-watch-{port}.log"));
    let log = std::fs::File::create(&log_path).expect("emulator log");
    eprintln!("cargo lambda watch log: {}", log_path.display());
    let mut cmd = std::process::Command::new(&cargo_lambda);
    cmd.current_dir(&dir)
        .args(["lambda", "watch", "--ignore-changes"])
        .args(["--invoke-address", "127.0.0.1"])
        .args(["--invoke-port", &port.to_string()])
        .args(["--timeout", "120"])
        .args(["--env-var", &format!("PARTNER_API_URL={partner_api}")])
        .env("FIREHOSE_HTTP_TOKEN", TOKEN)
        .env("RUST_BACKTRACE", "0")
        .env("AWS_LAMBDA_LOG_LEVEL", "info")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log handle"))
        .stderr(log);
    let watch = Watch {
        process: Some(KillOnDrop(cmd.spawn().expect("cargo lambda watch starts"))),
        port,
        log: log_path,
    };

    let started = Instant::now();
    let client = http_client();
    let registration = messages::encode(&messages::registration_request());
    loop {
        let answer = client
            .post(watch.function_url())
            .header("content-type", "application/json")
            .body(registration.clone())
            .send()
            .await;
        match answer.map(|r| r.status().as_u16()) {
            // Not listening yet, or the emulator gave up before the function started.
            Err(_) | Ok(408) => {}
            Ok(_) => break,
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the function did not start within 10 minutes: see {}",
            watch.log.display()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Some(watch)
}

/// An answer of the function URL: status, headers, body.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn post(url: &str, body: Vec<u8>, authorization: Option<&str>) -> Answer {
    let mut request = http_client()
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    let response = request.send().await.expect("the function URL answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("a body");
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "HTTP {status}: not JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    Answer {
        status,
        headers,
        body,
    }
}

fn batch(names: &[&str]) -> Vec<u8> {
    names
        .iter()
        .fold(
            messages::EventBatch::new(42)
                .setting("apiKey", "key-1")
                .setting("region", "eu")
                .mpid(777),
            |b, name| {
                b.event(Event::new(
                    1_795_939_200_000,
                    CustomEvent {
                        name: Some((*name).into()),
                        ..Default::default()
                    },
                ))
            },
        )
        .to_json()
}

/// Runs `firehose probe ARGS` and returns its exit code and standard output.
async fn probe(args: &[&str]) -> (i32, String) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_firehose"));
    cmd.arg("probe")
        .args(args)
        .env_remove("FIREHOSE_HTTP_TOKEN")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(300), cmd.output())
        .await
        .expect("firehose probe finishes")
        .expect("firehose probe runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    eprintln!(
        "firehose probe {args:?}:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), stdout)
}

#[tokio::test]
async fn the_example_serves_a_function_url_under_cargo_lambda_watch() {
    let acme = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/events"))
        .and(body_string_contains("acme-is-down"))
        .respond_with(ResponseTemplate::new(503))
        .with_priority(1)
        .mount(&acme)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(202).set_body_json(serde_json::json!({"accepted": 1})))
        .with_priority(2)
        .mount(&acme)
        .await;
    let Some(watch) = watch(&format!("{}/", acme.uri())).await else {
        return;
    };
    let url = watch.function_url();
    let acme_calls = || async { acme.received_requests().await.unwrap_or_default().len() };

    // The registration is answered without a token.
    let a = post(
        &url,
        messages::encode(&messages::registration_request()),
        None,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["type"], "module_registration_response");
    assert_eq!(a.headers["content-type"], "application/json");

    // An event batch without the token, or with a wrong one: 401, and Acme sees nothing.
    for authorization in [None, Some("Token wrong-token"), Some(TOKEN)] {
        let a = post(&url, batch(&["signup"]), authorization).await;
        assert_eq!(a.status, 401, "{authorization:?}: {}", a.body);
        assert_eq!(a.body["errorType"], "Firehose.Unauthorized");
    }
    assert_eq!(
        acme_calls().await,
        0,
        "no unauthenticated event reaches Acme"
    );

    // With the token: 200, and the events reach Acme.
    let authorization = format!("Token {TOKEN}");
    let a = post(&url, batch(&["signup", "purchase"]), Some(&authorization)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["type"], "event_processing_response");
    let received = acme.received_requests().await.unwrap_or_default();
    assert!(!received.is_empty());
    let sent = String::from_utf8_lossy(&received[0].body).into_owned();
    assert!(
        sent.contains("signup") && sent.contains("purchase"),
        "{sent}"
    );

    // Acme answering 503: a status mParticle retries.
    let a = post(&url, batch(&["acme-is-down"]), Some(&authorization)).await;
    assert_eq!(a.status, 503, "{}", a.body);
    assert_eq!(a.body["errorType"], "Firehose.RetryLater");

    // Not JSON: 400, with the typed error.
    let a = post(&url, b"{not json".to_vec(), Some(&authorization)).await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(
        (a.body["errorType"].as_str(), a.body["kind"].as_str()),
        (Some("Firehose.InvalidMessage"), Some("not_json"))
    );

    // The same binary still serves direct invocations: the payload's shape says which.
    let direct = http_client()
        .post(watch.invoke_url())
        .body(messages::encode(&messages::event_verification(42)))
        .send()
        .await
        .expect("the Invoke API answers");
    assert_eq!(direct.status().as_u16(), 200);
    let direct: Value = direct.json().await.expect("JSON");
    assert_eq!(direct["type"], "event_processing_response");

    // `firehose probe --url` sends what mParticle sends over HTTP, and every check holds.
    let (code, stdout) = probe(&["--url", &url, "--token", TOKEN, "--timeout", "120"]).await;
    assert_eq!(code, 0, "{stdout}");
    for line in [
        "refused with 401",
        "passes validation",
        "suspend_subscription is false",
        "Registration to hand to mParticle:",
    ] {
        assert!(stdout.contains(line), "expected {line:?} in\n{stdout}");
    }
    assert!(!stdout.contains(TOKEN), "the report never shows the token");

    // A probe with the wrong token fails: the verifications are refused.
    let (code, stdout) = probe(&["--url", &url, "--token", "not-the-token"]).await;
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("HTTP 401"), "{stdout}");
}
