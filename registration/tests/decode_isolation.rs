//! `firehose decode` on messages with damaged list elements: it succeeds, prints the good
//! elements, writes the invalid ones back as they came, and names them (path and kind) on
//! standard error.

use std::io::Write;
use std::process::{Command, Stdio};

struct Decoded {
    stdout: String,
    stderr: String,
}

fn decode(message: &str) -> Decoded {
    let mut child = Command::new(env!("CARGO_BIN_EXE_firehose"))
        .arg("decode")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(message.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "decode failed: {stderr}");
    Decoded {
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr,
    }
}

const GOOD_1: &str = "11111111-1111-4111-8111-111111111111";
const GOOD_2: &str = "22222222-2222-4222-8222-222222222222";

fn events(bad: &str) -> String {
    format!(
        r#"{{"type":"event_processing_request","mpid":"42","events":[{{"type":"custom_event","id":"{GOOD_1}","timestamp_ms":1}},{bad},{{"type":"screen_view","id":"{GOOD_2}","timestamp_ms":2}}]}}"#
    )
}

#[test]
fn damaged_events_are_kept_and_the_good_ones_printed() {
    for bad in [
        "null",
        "5",
        r#""x""#,
        "[]",
        r#"{"timestamp_ms":1}"#,
        r#"{"type":{}}"#,
        r#"{"type":"custom_event","timestamp_ms":"soon"}"#,
    ] {
        let out = decode(&events(bad));
        assert!(
            out.stdout.contains(GOOD_1) && out.stdout.contains(GOOD_2),
            "{bad}: {}",
            out.stdout
        );
        assert!(
            out.stdout.contains(&format!(",{bad},")),
            "{bad}: {}",
            out.stdout
        );
        assert!(
            out.stderr.contains("invalid element at $.events[1]"),
            "{bad}: {}",
            out.stderr
        );
    }
}

#[test]
fn notifications_profiles_amounts_string_lists_and_source_channels() {
    let out = decode(
        r#"{"type":"event_processing_request","system_notifications":[null,{"type":"ccpa_consent_state"}],"user_attribute_lists":{"k":["a",null]},"source_channel":5,"events":[{"type":"product_action","timestamp_ms":1,"total_amount":123456789012345678901234567890.5,"tax_amount":0.0000000000000000000000000000001}]}"#,
    );
    for kept in [
        r#""system_notifications":[null,{"type":"ccpa_consent_state","purpose":"data_sale_opt_out"}]"#,
        r#""user_attribute_lists":{"k":["a",null]}"#,
        r#""source_channel":"5""#,
        r#""total_amount":123456789012345678901234567890.5"#,
        r#""tax_amount":0.0000000000000000000000000000001"#,
    ] {
        assert!(out.stdout.contains(kept), "{kept} in {}", out.stdout);
    }
    let out = decode(
        r#"{"type":"audience_membership_change_request","user_profiles":[null,{"mpid":[]},{"mpid":"42"}]}"#,
    );
    assert!(
        out.stdout
            .contains(r#""user_profiles":[null,{"mpid":[]},{"mpid":"42"}]"#),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("$.user_profiles[1]: wrong_type"),
        "{}",
        out.stderr
    );
}
