//! `firehose simulate --mode queue` end to end with the in-process queue: producers, the
//! emulated event source mapping and consumers against the stub partner API. Small, bounded
//! runs; nothing asserts on timing. (The run against moto's SQS server is in
//! `registration/tests/queue.test.sh`.)

use std::process::Command;

use serde_json::Value;

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

fn simulate(args: &[&str]) -> (bool, Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_firehose"))
        .args(["simulate", "--json", "--mode", "queue"])
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
    (output.status.success(), summary)
}

fn count(summary: &Value, key: &str) -> u64 {
    summary[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is a count in {summary}"))
}

#[test]
fn a_queue_run_with_faults_delivers_everything_and_dead_letters_nothing() {
    let (ok, summary) = simulate(&[
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
    assert!(count(&summary, "events_sent") > 0);
    assert_eq!(
        count(&summary, "events_accepted"),
        count(&summary, "events_sent")
    );
    assert_eq!(count(&summary, "lost"), 0);
    assert_eq!(count(&summary, "dead_lettered"), 0);
    assert_eq!(count(&summary, "left_in_queue"), 0);
    assert_eq!(count(&summary, "memberships_lost"), 0);
    // The producer answers mParticle without calling the partner: every message was queued.
    assert!(count(&summary, "enqueued_messages") >= count(&summary, "messages"));
    assert_eq!(count(&summary, "consumers"), 40);
    let bound = count(&summary, "quota_per_s") + count(&summary, "burst_allowance_per_s");
    assert!(count(&summary, "max_rate_per_s") <= bound, "{summary}");
}

#[test]
fn a_fifo_queue_with_small_messages_splits_and_still_delivers_everything() {
    let (ok, summary) = simulate(&[
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
    assert_eq!(count(&summary, "lost"), 0);
    assert_eq!(count(&summary, "dead_lettered"), 0);
    // Batches of 40 events do not fit in 4 KiB: they went to the queue in parts.
    assert!(
        count(&summary, "enqueued_messages") > count(&summary, "messages"),
        "{summary}"
    );
}

#[test]
fn direct_mode_says_its_mode_and_bad_queue_options_are_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_firehose"))
        .args(["simulate", "--json", "--batches", "5", "--fault-rate", "0"])
        .output()
        .expect("firehose runs");
    let summary: Value =
        serde_json::from_slice(&output.stdout).expect("the summary is one JSON object");
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
