//! The example binary as Lambda runs it, against a mock Runtime API on loopback:
//!
//! * cold start: from process start to the first response (a registration probe), median and
//!   worst of several starts; with the `queue` feature also as a queue-mode producer
//!   (`FIREHOSE_QUEUE_URL` set, so the SQS client is built at init);
//! * peak memory (`VmHWM`) after serving a ~6 MB event batch, forwarded to a local Acme stub;
//! * the size of the binary (stripped by the release profile).
//!
//! Run: `cargo bench -p example-integration --bench startup` (add `--no-default-features` for the
//! binary without queue mode).

use std::time::{Duration, Instant};

use mparticle_firehose::testing::generate::BatchGenerator;
use mparticle_firehose::testing::messages;
use mparticle_firehose::testing::runtime_api::{
    FunctionProcess, InvokeOptions, MockRuntimeApi, Outcome,
};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const BINARY: &str = env!("CARGO_BIN_EXE_example-integration");
const STARTS: usize = 15;

fn spawn(api: &MockRuntimeApi, partner_url: &str, more: &[(&str, &str)]) -> FunctionProcess {
    let mut extra = vec![
        ("PARTNER_API_URL", partner_url),
        ("PARTNER_RATE_LIMIT_PER_SECOND", "10000"),
        ("AWS_LAMBDA_LOG_LEVEL", "error"),
    ];
    extra.extend_from_slice(more);
    api.spawn(BINARY, &extra)
        .expect("the example binary starts")
}

/// What Lambda gives a queue-mode producer: a queue URL, a region and credentials (never used:
/// the probe is answered without SQS).
const PRODUCER: &[(&str, &str)] = &[
    (
        "FIREHOSE_QUEUE_URL",
        "http://127.0.0.1:9/000000000000/startup-bench",
    ),
    ("AWS_REGION", "us-east-1"),
    ("AWS_ACCESS_KEY_ID", "AKIDSTARTUPBENCH"),
    ("AWS_SECRET_ACCESS_KEY", "startup-bench"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
];

/// Process start to the first response, over [`STARTS`] starts: prints the median and worst.
async fn cold_starts(label: &str, acme: &str, probe: &[u8], more: &[(&str, &str)]) {
    let mut starts = Vec::with_capacity(STARTS);
    for _ in 0..STARTS {
        let api = MockRuntimeApi::start().await.expect("a mock Runtime API");
        let started = Instant::now();
        let _function = spawn(&api, acme, more);
        let outcome = api.invoke(probe.to_vec()).await.expect("an answer");
        starts.push(started.elapsed());
        assert!(matches!(outcome, Outcome::Response(_)));
    }
    starts.sort();
    println!(
        "cold start, {label} (process start to first response): median {:.1} ms, worst {:.1} ms ({STARTS} starts)",
        starts[STARTS / 2].as_secs_f64() * 1e3,
        starts[STARTS - 1].as_secs_f64() * 1e3
    );
}

/// Peak resident memory of a process, in KiB (Linux).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let acme = MockServer::start().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(202)).mount(&acme).await;
        let probe = messages::encode(&messages::registration_request());

        cold_starts("direct", &acme.uri(), &probe, &[]).await;
        if cfg!(feature = "queue") {
            cold_starts("queue producer", &acme.uri(), &probe, PRODUCER).await;
        }

        // A ~6 MB batch: decode, map, chunk, forward, answer.
        let account = mparticle_firehose::model::Account::new(1).with_setting("apiKey", "bench");
        let batch = BatchGenerator::new(11).with_account(account).event_batch(20_500);
        let payload = messages::encode(&batch);
        let api = MockRuntimeApi::start().await.expect("a mock Runtime API");
        let function = spawn(&api, &acme.uri(), &[]);
        let idle = {
            let _ = api.invoke(probe.clone()).await;
            peak_rss_kib(function.id())
        };
        let started = Instant::now();
        let options = InvokeOptions { deadline_in: Duration::from_secs(60), wait: Duration::from_secs(60), ..InvokeOptions::default() };
        let outcome = api.invoke_with(payload.clone(), options).await.expect("an answer");
        let took = started.elapsed();
        let ok = matches!(outcome, Outcome::Response(_));
        println!(
            "{:.1} MB batch ({} bytes): answered {} in {:.0} ms; peak memory {} KiB after, {} KiB before",
            payload.len() as f64 / 1e6,
            payload.len(),
            if ok { "successfully" } else { "with an error" },
            took.as_secs_f64() * 1e3,
            peak_rss_kib(function.id()).map_or("?".to_owned(), |k| k.to_string()),
            idle.map_or("?".to_owned(), |k| k.to_string()),
        );
        let size = std::fs::metadata(BINARY).map(|m| m.len()).unwrap_or_default();
        println!("binary (release profile, stripped): {:.2} MB", size as f64 / 1e6);
    });
}
