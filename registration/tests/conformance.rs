//! Java SDK conformance: `firehose decode` over every `*.in.json` of the Java SDK's corpus must
//! print a message equal, as a JSON value, to Java's own re-encoding (`*.java-roundtrip.json`).
//!
//! The corpus lives outside the repository. The test looks in `$FIREHOSE_CONFORMANCE_DIR`, then
//! beside the checkout (`../shared/conformance/java-sdk-3.2.0`), and is skipped, saying so, when
//! neither exists. CI sets the variable, and there a missing case is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn corpus_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FIREHOSE_CONFORMANCE_DIR") {
        return Some(PathBuf::from(dir));
    }
    let beside =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/java-sdk-3.2.0");
    beside.is_dir().then_some(beside)
}

/// JSON equality where object key order does not matter and numbers compare by value
/// (`11` equals `11.0`, `1714592744.067235000` equals `1714592744.067235`).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn same_value_compares_numbers_by_value_and_ignores_key_order() {
    let a: Value = serde_json::from_str(r#"{"a":11,"b":[1.50,{"c":0.0}]}"#).unwrap();
    let b: Value = serde_json::from_str(r#"{"b":[1.5,{"c":0}],"a":11.0}"#).unwrap();
    assert!(same_value(&a, &b));
    let c: Value = serde_json::from_str(r#"{"b":[1.5,{"c":0}],"a":12}"#).unwrap();
    assert!(!same_value(&a, &c));
    let d: Value = serde_json::from_str(r#"{"b":[1.5,{"c":0}],"a":11,"e":null}"#).unwrap();
    assert!(!same_value(&a, &d));
}

#[test]
fn decode_matches_the_java_sdk_on_its_own_examples() {
    let Some(dir) = corpus_dir() else {
        eprintln!("conformance corpus not found: skipped (set FIREHOSE_CONFORMANCE_DIR)");
        return;
    };
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus directory is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".in.json"))
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no *.in.json in {}", dir.display());

    let mut failures = Vec::new();
    let mut compared = 0;
    for input in &inputs {
        let name = input
            .file_name()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".in.json")
            .to_owned();
        let output = Command::new(env!("CARGO_BIN_EXE_firehose"))
            .arg("decode")
            .arg(input)
            .output()
            .unwrap();
        if !output.status.success() {
            failures.push(format!(
                "{name}: decode failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
            continue;
        }
        let ours: Value = match serde_json::from_slice(&output.stdout) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}: output is not JSON: {e}"));
                continue;
            }
        };
        // Java's re-encoding when it has one; where Java cannot decode the sample at all
        // (a registration response with settings), the sample itself.
        let roundtrip = dir.join(format!("{name}.java-roundtrip.json"));
        let expected_path = if roundtrip.exists() {
            roundtrip
        } else {
            input.clone()
        };
        let expected: Value =
            serde_json::from_slice(&std::fs::read(&expected_path).unwrap()).unwrap();
        compared += 1;
        if !same_value(&ours, &expected) {
            failures.push(format!(
                "{name}: differs from {}\n  ours: {ours}\n  java: {expected}",
                expected_path.display()
            ));
        }
    }
    eprintln!("conformance: {compared} of {} cases compared", inputs.len());
    assert!(
        failures.is_empty(),
        "{} conformance failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
