//! `firehose bench` runs and prints its figures for each input, as text and as JSON. No timing
//! is asserted: the figures depend on the machine and on the build profile.

use std::process::{Command, Output};

fn firehose(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_firehose"))
        .args(args)
        .output()
        .expect("the firehose binary runs")
}

/// The number on the line labelled `label`, which must be a positive, finite figure.
fn figure(section: &str, label: &str) -> f64 {
    let line = section
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} line in:\n{section}"));
    let value: f64 = line[line.find(label).unwrap() + label.len()..]
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no number on {line:?}"));
    assert!(value.is_finite() && value > 0.0, "{line:?}");
    value
}

/// Splits the report into one section per input (a header line, then indented lines).
fn sections(stdout: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in stdout.lines() {
        if line.starts_with(' ') {
            let last = out.last_mut().expect("a section header first");
            last.push_str(line);
            last.push('\n');
        } else {
            out.push(format!("{line}\n"));
        }
    }
    out
}

fn assert_four_figures(section: &str) {
    let decode = figure(section, "typed decode:");
    let value = figure(section, "Value parse:");
    let ratio = figure(section, "ratio:");
    figure(section, "encode:");
    // The printed ratio is the ratio of the printed figures (both rounded).
    assert!(
        (ratio - decode / value).abs() < 0.02 + 0.01 * ratio,
        "{section}"
    );
}

/// The scan floor, the roundtrip and their ratios, on top of the four original figures.
fn assert_floor_figures(section: &str) {
    let decode = figure(section, "typed decode:");
    let scan = figure(section, "scan floor:");
    let decode_to_scan = figure(section, "decode/scan:");
    let roundtrip = figure(section, "roundtrip:");
    let roundtrip_to_scan = figure(section, "roundtrip/scan:");
    assert!(
        (decode_to_scan - decode / scan).abs() < 0.02 + 0.01 * decode_to_scan,
        "{section}"
    );
    assert!(
        (roundtrip_to_scan - roundtrip / scan).abs() < 0.02 + 0.01 * roundtrip_to_scan,
        "{section}"
    );
}

#[test]
fn bench_prints_the_four_figures_for_generated_batches() {
    let output = firehose(&["bench", "--iterations", "3"]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let sections = sections(&stdout);
    assert_eq!(sections.len(), 2, "{stdout}");
    assert!(sections[0].starts_with("generated event batch, 100 events"));
    assert!(sections[1].starts_with("generated event batch, 1000 events"));
    for section in &sections {
        assert_four_figures(section);
        assert_floor_figures(section);
        figure(section, "CPU time:");
    }
}

#[test]
fn bench_prints_one_json_document_with_every_figure() {
    let saved = std::env::temp_dir().join(format!("firehose-bench-inputs-{}", std::process::id()));
    let output = firehose(&[
        "bench",
        "--iterations",
        "2",
        "--realistic",
        "--json",
        "--save-inputs",
        saved.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut files: Vec<String> = std::fs::read_dir(&saved)
        .expect("the inputs are saved")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    std::fs::remove_dir_all(&saved).ok();
    assert_eq!(
        files,
        [
            "generated-event-batch-100-events.json",
            "generated-event-batch-1000-events.json",
            "realistic-ios-app-batch-100-events.json",
            "realistic-ios-app-batch-1000-events.json",
            "realistic-web-shop-batch-100-events.json",
            "realistic-web-shop-batch-1000-events.json",
        ]
    );
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(document["unit"], "MB/s");
    let inputs = document["inputs"].as_array().expect("an array of inputs");
    let labels: Vec<&str> = inputs
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "generated event batch, 100 events",
            "generated event batch, 1000 events",
            "realistic iOS app batch, 100 events",
            "realistic iOS app batch, 1000 events",
            "realistic web shop batch, 100 events",
            "realistic web shop batch, 1000 events",
        ]
    );
    for input in inputs {
        for key in [
            "decode_mb_s",
            "value_parse_mb_s",
            "scan_mb_s",
            "encode_mb_s",
            "roundtrip_mb_s",
            "decode_to_scan",
            "roundtrip_to_scan",
            "roundtrip_cpu_s_per_million_events",
        ] {
            let value = input[key]
                .as_f64()
                .unwrap_or_else(|| panic!("{key} in {input}"));
            assert!(value.is_finite() && value > 0.0, "{key} in {input}");
        }
        assert!(input["bytes"].as_u64().unwrap() > 10_000, "{input}");
        assert!(input["events"].as_u64().unwrap() >= 100, "{input}");
        let ratio = input["decode_mb_s"].as_f64().unwrap() / input["scan_mb_s"].as_f64().unwrap();
        let printed = input["decode_to_scan"].as_f64().unwrap();
        assert!((ratio - printed).abs() < 0.01 + 0.01 * printed, "{input}");
    }
}

#[test]
fn bench_measures_a_message_file() {
    let path = std::env::temp_dir().join(format!("firehose-bench-{}.json", std::process::id()));
    let message = r#"{"type":"event_processing_request","id":"76e558fa-f456-437c-bb81-e658f75a7bd9","timestamp_ms":1446250094767,"events":[{"type":"custom_event","timestamp_ms":1446250094000,"name":"Clicked","custom_event_type":"navigation"},{"type":"product_action","timestamp_ms":1446250094100,"action":"purchase","total_amount":10.50}]}"#;
    std::fs::write(&path, message).unwrap();
    let output = firehose(&["bench", "--iterations", "3", path.to_str().unwrap()]);
    std::fs::remove_file(&path).ok();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    let sections = sections(&stdout);
    assert_eq!(sections.len(), 1, "{stdout}");
    assert_four_figures(&sections[0]);
    assert_floor_figures(&sections[0]);

    // The same file as JSON: one input, the same labels and figures.
    std::fs::write(&path, message).unwrap();
    let output = firehose(&[
        "bench",
        "--iterations",
        "3",
        "--json",
        path.to_str().unwrap(),
    ]);
    std::fs::remove_file(&path).ok();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    let document: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    let inputs = document["inputs"].as_array().expect("an array of inputs");
    assert_eq!(inputs.len(), 1, "{stdout}");
    assert_eq!(inputs[0]["bytes"].as_u64(), Some(message.len() as u64));
    assert_eq!(inputs[0]["events"].as_u64(), Some(2));
    for key in ["decode_mb_s", "scan_mb_s", "encode_mb_s", "roundtrip_mb_s"] {
        assert!(
            inputs[0][key].as_f64().is_some_and(|v| v > 0.0),
            "{key}: {stdout}"
        );
    }
}

#[test]
fn bench_refuses_what_is_not_a_message() {
    let path = std::env::temp_dir().join(format!("firehose-bench-bad-{}.json", std::process::id()));
    std::fs::write(&path, r#"{"type":"no_such_message"}"#).unwrap();
    let output = firehose(&["bench", "--iterations", "1", path.to_str().unwrap()]);
    std::fs::remove_file(&path).ok();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown_type"));

    let missing = firehose(&["bench", "/nonexistent/firehose-bench.json"]);
    assert_eq!(missing.status.code(), Some(2));

    let both = firehose(&["bench", "--iterations", "3", "--seconds", "1"]);
    assert!(
        !both.status.success(),
        "--iterations and --seconds conflict"
    );
}
