//! `firehose simulate` end to end: the built binary against the example integration (in
//! process, or behind an Invoke API served by this test; in direct and in queue mode), with the
//! stub partner API on 127.0.0.1. Every run is small and bounded; nothing asserts on timing.

use std::net::TcpListener as StdListener;
use std::process::{Command, Output};
use std::time::Duration;

use std::convert::Infallible;

use bytes::Bytes;
use example_integration::{Config, ExampleIntegration};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use mparticle_firehose::dispatch::Dispatcher;
use mparticle_firehose::testing::{InvocationBuilder, LoopbackServer, serve_loopback};
use serde_json::Value;

/// The keys every JSON summary has.
const KEYS: &[&str] = &[
    "batches",
    "invocations",
    "retries",
    "events_sent",
    "events_accepted",
    "lost",
    "duplicates",
    "max_rate_per_s",
    "quota_per_s",
    "burst_allowance_per_s",
    "latency_p50_ms",
    "latency_p99_ms",
    "sdk_overhead_p50_ms",
    "sdk_overhead_p99_ms",
    "sdk_overhead_method",
    "verification_p50_ms",
    "lost_messages",
    "memberships_sent",
    "memberships_accepted",
    "duration_s",
];

fn simulate(args: &[&str]) -> (Output, Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_firehose"))
        .arg("simulate")
        .arg("--json")
        .args(args)
        .output()
        .expect("firehose runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "the summary is one JSON object ({e}):\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output, summary)
}

fn number(summary: &Value, key: &str) -> u64 {
    summary[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is a count in {summary}"))
}

#[test]
fn a_run_without_faults_delivers_every_event() {
    let (output, summary) = simulate(&["--batches", "40", "--fault-rate", "0", "--seed", "7"]);
    assert!(output.status.success(), "{summary}");
    for key in KEYS {
        assert!(
            summary.get(key).is_some(),
            "{key} is missing from {summary}"
        );
    }
    assert_eq!(number(&summary, "batches"), 40);
    assert!(number(&summary, "events_sent") > 0);
    assert_eq!(
        number(&summary, "events_accepted"),
        number(&summary, "events_sent")
    );
    assert_eq!(number(&summary, "lost"), 0);
    assert_eq!(number(&summary, "lost_messages"), 0);
    assert_eq!(number(&summary, "duplicates"), 0);
    assert_eq!(number(&summary, "retries"), 0);
    // The probe, two verification requests, 40 batches and one audience membership change.
    assert_eq!(number(&summary, "invocations"), 3 + 40 + 1);
    assert_eq!(
        number(&summary, "memberships_accepted"),
        number(&summary, "memberships_sent")
    );
    assert_eq!(number(&summary, "withheld_forwarded"), 0);
    assert!(summary["sdk_overhead_p50_ms"].as_f64().is_some());
    assert_eq!(summary["ok"], true);
}

#[test]
fn faults_and_a_quota_are_overcome_within_the_quota() {
    // A 1.5 s timeout (1 s for partner calls after the SDK's headroom) leaves no room to wait
    // out a slow answer or a `Retry-After: 1` inside the invocation, so those faults come back
    // to mParticle's retries. Small audience changes keep their calls within one invocation's
    // share of the rate limit.
    let (output, summary) = simulate(&[
        "--batches",
        "60",
        "--profiles-per-change",
        "3",
        "--fault-rate",
        "0.2",
        "--quota",
        "40",
        "--concurrency",
        "2",
        "--timeout",
        "1500ms",
        "--seed",
        "11",
    ]);
    assert!(output.status.success(), "{summary}");
    assert_eq!(number(&summary, "lost"), 0, "{summary}");
    assert_eq!(number(&summary, "lost_messages"), 0, "{summary}");
    assert_eq!(
        number(&summary, "events_accepted"),
        number(&summary, "events_sent")
    );
    assert!(number(&summary, "retries") > 0, "{summary}");
    let injected: u64 = ["fault_429", "fault_5xx", "fault_slow", "fault_reset"]
        .iter()
        .map(|k| summary["stub"][k].as_u64().unwrap())
        .sum();
    assert!(injected > 0, "{summary}");
    assert_eq!(number(&summary, "quota_per_s"), 40);
    // Two environments of 20 requests per second, burst 2, plus one each for jitter.
    assert_eq!(number(&summary, "burst_allowance_per_s"), 6);
    assert!(
        number(&summary, "max_rate_per_s")
            <= number(&summary, "quota_per_s") + number(&summary, "burst_allowance_per_s"),
        "{summary}"
    );
}

#[test]
fn a_partner_that_always_fails_loses_everything_and_the_run_fails() {
    let (output, summary) = simulate(&[
        "--batches",
        "8",
        "--fault-rate",
        "0",
        "--fault-5xx",
        "0.5",
        "--fault-reset",
        "0.5",
        "--max-retries",
        "1",
        "--timeout",
        "1s",
    ]);
    assert_eq!(output.status.code(), Some(1), "{summary}");
    assert_eq!(summary["ok"], false);
    assert!(number(&summary, "events_sent") > 0);
    assert_eq!(number(&summary, "events_accepted"), 0);
    assert_eq!(
        number(&summary, "lost"),
        number(&summary, "events_sent"),
        "{summary}"
    );
    assert_eq!(number(&summary, "lost_messages"), 8);
    // Each message: the first invocation and one retry.
    assert_eq!(number(&summary, "retries"), 8);
}

#[test]
fn with_every_kind_of_fault_certain_the_messages_are_lost() {
    let (output, summary) = simulate(&[
        "--batches",
        "6",
        "--fault-rate",
        "1",
        "--max-retries",
        "1",
        "--timeout",
        "1s",
    ]);
    assert_eq!(output.status.code(), Some(1), "{summary}");
    assert_eq!(number(&summary, "lost_messages"), 6, "{summary}");
}

/// A free port on 127.0.0.1 (free when this returns).
fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A Lambda Invoke API on 127.0.0.1 serving the example integration: `200` with the response,
/// or `200` with `X-Amz-Function-Error` and the error document.
async fn serve_invoke_api(dispatcher: Dispatcher<ExampleIntegration>) -> LoopbackServer {
    let invoke = move |request: Request<Bytes>| {
        let dispatcher = dispatcher.clone();
        async move {
            let invocation = InvocationBuilder::new()
                .deadline_in(Duration::from_secs(3))
                .build();
            let mut response = match dispatcher.handle(request.body(), invocation).await {
                Ok(body) => Response::new(Bytes::from(body)),
                Err(e) => {
                    let document = serde_json::json!({
                        "errorType": e.error_type.as_str(),
                        "errorMessage": e.message,
                    });
                    let mut response = Response::new(Bytes::from(document.to_string()));
                    response.headers_mut().insert(
                        "x-amz-function-error",
                        HeaderValue::from_static("Unhandled"),
                    );
                    response
                }
            };
            *response.status_mut() = StatusCode::OK;
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            Ok::<_, Infallible>(response)
        }
    };
    serve_loopback(0, invoke)
        .await
        .expect("a port for the Invoke API")
}

#[test]
fn a_function_behind_an_invoke_api_is_simulated_too() {
    let stub_port = free_port();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    // One environment serving every invocation, limited to the whole quota.
    let mut config = Config::new(format!("http://127.0.0.1:{stub_port}/"));
    config.rate_limit_per_second = 50;
    let dispatcher =
        Dispatcher::new(ExampleIntegration::new(config).expect("the integration builds"))
            .expect("a valid registration");
    let invoke_api = runtime.block_on(serve_invoke_api(dispatcher));
    let invoke_port = invoke_api.addr().port();

    let url = format!(
        "http://127.0.0.1:{invoke_port}/2015-03-31/functions/example-integration/invocations"
    );
    let port = stub_port.to_string();
    let (output, summary) = simulate(&[
        "--invoke-url",
        &url,
        "--stub-port",
        &port,
        "--batches",
        "30",
        "--quota",
        "50",
        "--concurrency",
        "1",
        "--fault-rate",
        "0.1",
        "--seed",
        "3",
    ]);
    assert!(output.status.success(), "{summary}");
    assert_eq!(number(&summary, "lost"), 0, "{summary}");
    assert!(number(&summary, "events_sent") > 0);
    assert_eq!(
        number(&summary, "events_accepted"),
        number(&summary, "events_sent")
    );
    // Only requests the SDK answers itself can be timed through an Invoke API.
    assert!(summary["sdk_overhead_p50_ms"].is_null());
    assert!(summary["verification_p50_ms"].as_f64().is_some());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("http://127.0.0.1:{stub_port}/")),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_invoke_api_is_a_setup_error() {
    let url = format!("http://127.0.0.1:{}/invocations", free_port());
    let output = Command::new(env!("CARGO_BIN_EXE_firehose"))
        .args([
            "simulate",
            "--json",
            "--max-retries",
            "1",
            "--stub-port",
            "0",
            "--invoke-url",
            &url,
        ])
        .output()
        .expect("firehose runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("registration probe"), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// --mode queue, with the in-process queue: producers, the emulated event source mapping and
// consumers against the stub partner API. (The run against moto's SQS server is in
// `registration/tests/queue.test.sh`.)

/// The keys a queue-mode summary adds.
const QUEUE_KEYS: &[&str] = &[
    "mode",
    "events_sent",
    "events_accepted",
    "lost",
    "dead_lettered",
    "left_in_queue",
    "partner_utilization",
    "max_rate_per_s",
    "quota_per_s",
    "burst_allowance_per_s",
    "ack_latency_p99_ms",
    "consumers",
    "batch_size",
    "consumer_invocations",
    "records_returned",
    "enqueued_messages",
];

/// A queue-mode run: whether it succeeded, and its summary.
fn simulate_queue(args: &[&str]) -> (bool, Value) {
    let all: Vec<&str> = ["--mode", "queue"].iter().chain(args).copied().collect();
    let (output, summary) = simulate(&all);
    (output.status.success(), summary)
}

#[test]
fn a_queue_run_with_faults_delivers_everything_and_dead_letters_nothing() {
    let (ok, summary) = simulate_queue(&[
        "--batches",
        "60",
        "--fault-rate",
        "0.2",
        "--quota",
        "40",
        "--seed",
        "11",
    ]);
    assert!(ok, "{summary}");
    for key in QUEUE_KEYS {
        assert!(
            summary.get(key).is_some(),
            "{key} is missing from {summary}"
        );
    }
    assert_eq!(summary["mode"], "queue");
    assert!(number(&summary, "events_sent") > 0);
    assert_eq!(
        number(&summary, "events_accepted"),
        number(&summary, "events_sent")
    );
    assert_eq!(number(&summary, "lost"), 0);
    assert_eq!(number(&summary, "dead_lettered"), 0);
    assert_eq!(number(&summary, "left_in_queue"), 0);
    assert_eq!(number(&summary, "memberships_lost"), 0);
    // The producer answers mParticle without calling the partner: every message was queued.
    assert!(number(&summary, "enqueued_messages") >= number(&summary, "messages"));
    assert_eq!(number(&summary, "consumers"), 40);
    let bound = number(&summary, "quota_per_s") + number(&summary, "burst_allowance_per_s");
    assert!(number(&summary, "max_rate_per_s") <= bound, "{summary}");
}

#[test]
fn a_fifo_queue_with_small_messages_splits_and_still_delivers_everything() {
    let (ok, summary) = simulate_queue(&[
        "--batches",
        "30",
        "--events-per-batch",
        "40",
        "--fault-rate",
        "0.1",
        "--quota",
        "20",
        "--fifo",
        "--max-message-bytes",
        "4096",
        "--seed",
        "5",
    ]);
    assert!(ok, "{summary}");
    assert_eq!(summary["fifo"], true);
    assert_eq!(number(&summary, "lost"), 0);
    assert_eq!(number(&summary, "dead_lettered"), 0);
    // Batches of 40 events do not fit in 4 KiB: they went to the queue in parts.
    assert!(
        number(&summary, "enqueued_messages") > number(&summary, "messages"),
        "{summary}"
    );
}

#[test]
fn direct_mode_says_its_mode_and_bad_queue_options_are_refused() {
    let (_, summary) = simulate(&["--batches", "5", "--fault-rate", "0"]);
    assert_eq!(summary["mode"], "direct");
    assert!(summary.get("dead_lettered").is_none());

    for bad in [
        &["--mode", "sideways"][..],
        &["--mode", "queue", "--consumers", "1"],
        &["--mode", "queue", "--batch-size", "11"],
        &["--mode", "queue", "--max-message-bytes", "100"],
        &["--mode", "queue", "--invoke-url", "http://127.0.0.1:9/x"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_firehose"))
            .arg("simulate")
            .args(bad)
            .output()
            .expect("firehose runs");
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
        assert!(!output.stderr.is_empty(), "{bad:?}");
    }
}
