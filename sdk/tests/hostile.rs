//! Hostile and malformed input: the decoder must answer every input with a message or a typed
//! error that says where the problem is, and never panic or overflow its stack.

mod common;

use common::{decode, fixture, fixture_value, minify, path_is_at_or_above, roundtrip};
use mparticle_firehose::model::*;
use mparticle_firehose::{DecodeError, DecodeErrorKind, Message};
use std::ops::Range;

use serde_json::{Value, json};

fn err(json: &[u8]) -> DecodeError {
    match Message::decode(json) {
        Ok(m) => panic!("expected an error, decoded {m:?}"),
        Err(e) => e,
    }
}

fn assert_err(json: &[u8], kind: DecodeErrorKind, path: &str) -> DecodeError {
    let e = err(json);
    assert_eq!(
        (e.kind(), e.path()),
        (kind, path),
        "for {}: {e}",
        String::from_utf8_lossy(&json[..json.len().min(200)])
    );
    assert!(!e.reason().is_empty());
    assert_eq!(
        e.to_string(),
        format!("{} at {}: {}", kind.as_str(), path, e.reason())
    );
    e
}

/// Decodes a message whose only damage is inside one list element: the message decodes, and
/// that element is kept as the one invalid element, at `element`, with the error's kind and path.
fn assert_isolated(json: &[u8], kind: DecodeErrorKind, element: &str, error_path: &str) {
    let text = String::from_utf8_lossy(&json[..json.len().min(200)]).into_owned();
    let msg = Message::decode(json).unwrap_or_else(|e| panic!("{text}: the message failed: {e}"));
    let invalid = msg.invalid_elements();
    assert_eq!(invalid.len(), 1, "{text}: {invalid:?}");
    let e = invalid[0];
    assert_eq!(
        (e.path(), e.kind(), e.error().path()),
        (element, kind, error_path),
        "{text}: {}",
        e.error()
    );
    assert!(!e.error().reason().is_empty());
    // Written back as it came.
    let out = common::encode(&msg);
    assert!(out.contains(e.raw_json()), "{text}: {out}");
}

// ---------------------------------------------------------------------------------------------
// Writing JSON with `type` in a chosen position (serde_json's `Value` sorts keys, which would
// put `type` after `timestamp_ms` almost everywhere), recording where every node was written.

#[derive(Clone, Copy, PartialEq)]
enum TypeKey {
    First,
    Last,
}

/// A JSON path and the byte range its value occupies in the written text.
type Span = (String, Range<usize>);

fn write_json(v: &Value, order: TypeKey, path: &str, out: &mut String, spans: &mut Vec<Span>) {
    let child = |out: &mut String, spans: &mut Vec<Span>, child_path: String, item: &Value| {
        let start = out.len();
        write_json(item, order, &child_path, out, spans);
        spans.push((child_path, start..out.len()));
    };
    match v {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                child(out, spans, format!("{path}[{i}]"), item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|k| match (k.as_str() == "type", order) {
                (true, TypeKey::First) => 0,
                (true, TypeKey::Last) => 2,
                (false, _) => 1,
            });
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push(':');
                child(out, spans, format!("{path}.{k}"), &map[k]);
            }
            out.push('}');
        }
        scalar => out.push_str(&serde_json::to_string(scalar).unwrap()),
    }
}

fn to_text(v: &Value, order: TypeKey) -> (String, Vec<Span>) {
    let mut out = String::new();
    let mut spans = Vec::new();
    write_json(v, order, "$", &mut out, &mut spans);
    (out, spans)
}

/// The rich batch, cut into documents that each decode quickly in a debug build: the batch
/// without its events (full event batch fixture: account, identities, iOS runtime, consent,
/// notifications including an unknown one, platform fields), and one batch per event (the
/// fixture's events, one of each of the 16 types, and an unknown one). Each document comes with
/// the name of its events' position in the whole batch, for messages.
fn rich_documents() -> Vec<(Value, String)> {
    let mut skeleton = fixture_value("event_processing_request.json");
    let mut events = match skeleton.as_object_mut().unwrap().remove("events") {
        Some(Value::Array(events)) => events,
        other => panic!("{other:?}"),
    };
    skeleton["system_notifications"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "lgpd_consent_state", "purpose": "ads", "extra": {"k": [1]}}));
    let all = fixture_value("events_all_types.json");
    events.extend(all["events"].as_array().unwrap().iter().cloned());
    events.push(json!({"type": "page_scroll", "timestamp_ms": 5, "depth": {"pct": 75}}));
    let mut docs = vec![(skeleton, "batch".to_owned())];
    for (i, event) in events.into_iter().enumerate() {
        let doc = json!({
            "type": "event_processing_request",
            "id": "a3e1f9c2-6b04-4d7a-8e52-1c9f0b7d3e68",
            "events": [event],
        });
        docs.push((doc, format!("event {i}")));
    }
    docs
}

// ---------------------------------------------------------------------------------------------
// Truncation

fn check_every_prefix(input: &[u8]) -> usize {
    let whole = decode(input);
    let trimmed_len = input.trim_ascii_end().len();
    let mut errors = 0;
    for n in 0..input.len() {
        match Message::decode(&input[..n]) {
            Ok(m) => {
                assert!(n >= trimmed_len, "prefix of {n} bytes decoded");
                assert_eq!(m, whole);
            }
            Err(e) => {
                assert!(
                    matches!(
                        e.kind(),
                        DecodeErrorKind::Truncated | DecodeErrorKind::NotJson
                    ),
                    "prefix of {n} bytes: {e}"
                );
                errors += 1;
            }
        }
    }
    errors
}

#[test]
fn every_prefix_of_a_real_batch_is_truncated_or_not_json() {
    let batch = minify(&fixture("event_processing_request.json"));
    let errors = check_every_prefix(batch.as_bytes());
    assert_eq!(errors, batch.len(), "only the whole batch decodes");
    // Cuts in the whitespace of a pretty-printed batch, where it has the most.
    let pretty = fixture("audience_membership_change_request.json");
    let errors = check_every_prefix(&pretty);
    assert_eq!(errors, pretty.trim_ascii_end().len());
}

#[test]
fn every_prefix_of_slow_path_and_unknown_type_input_is_truncated_or_not_json() {
    for name in [
        "surprise_type_not_first.json",
        "surprise_unknown_types.json",
        "surprise_dsr_submitted_iso.json",
        "events_all_types.json",
    ] {
        check_every_prefix(minify(&fixture(name)).as_bytes());
    }
}

#[test]
fn a_cut_inside_a_value_is_truncated() {
    let cases: [&[u8]; 4] = [
        br#"{"type":"event_processing_request","source_id":"abc"#,
        br#"{"type":"event_processing_request","events":[{"type":"custom_event","timestamp_ms":17"#,
        br#"{"type":"event_processing_request","events":[{"timestamp_ms":1,"type":"session_st"#,
        br#"{"id":"a3e1f9c2-6b04-4d7a-8e52-1c9f0b7d3e68","type":"dsr_processing_request","submitted_time":"#,
    ];
    for case in cases {
        assert_eq!(
            err(case).kind(),
            DecodeErrorKind::Truncated,
            "{}",
            String::from_utf8_lossy(case)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Wrong JSON types everywhere

/// Replaces every value of the rich batch (every field, element and container, at every level),
/// one at a time, with each JSON type, and decodes. Returns how many decoded and how many failed.
fn mutate_everywhere(order: TypeKey) -> (usize, usize, usize) {
    let replacements = ["null", "true", "1.5", "\"x\"", "[]", "{}"];
    let (mut ok, mut failed, mut fields, mut isolated) = (0, 0, 0, 0);
    for (doc, name) in rich_documents() {
        let (text, spans) = to_text(&doc, order);
        // Sanity: the unmutated document decodes.
        decode(text.as_bytes());
        fields += spans.len();
        for (path, range) in &spans {
            for replacement in replacements {
                let mutated = format!(
                    "{}{replacement}{}",
                    &text[..range.start],
                    &text[range.end..]
                );
                let at = format!("{name}: {path} = {replacement}");
                match Message::decode(mutated.as_bytes()) {
                    Ok(msg) => {
                        ok += 1;
                        // Damage inside a list element is isolated to that element.
                        for e in msg.invalid_elements() {
                            assert!(
                                path_is_at_or_above(e.path(), path),
                                "{at}: isolated elsewhere: {e:?}"
                            );
                            isolated += 1;
                        }
                        // Whatever was accepted re-encodes to a fixed point. (No key-order
                        // check: a mutated `type` can turn an event into a kept unknown object,
                        // whose nested objects are written back in their original order.)
                        let out = common::encode(&msg);
                        let again = common::encode(&decode(out.as_bytes()));
                        if again != out {
                            // Only a null CCPA purpose, which is not written and then reads
                            // back as the default, takes a second pass (as in Java).
                            assert!(
                                path.ends_with("].purpose") && replacement == "null",
                                "{at}: not a fixed point"
                            );
                            assert_eq!(common::encode(&decode(again.as_bytes())), again);
                        }
                    }
                    Err(e) => {
                        failed += 1;
                        assert!(
                            path_is_at_or_above(e.path(), path),
                            "{at}: error points elsewhere: {e}"
                        );
                        assert!(
                            !matches!(
                                e.kind(),
                                DecodeErrorKind::NotJson | DecodeErrorKind::Truncated
                            ),
                            "{at}: {e}"
                        );
                    }
                }
            }
        }
    }
    assert!(fields > 350, "only {fields} fields");
    eprintln!(
        "{fields} values x 6 JSON types: {ok} decoded ({isolated} of them with an isolated element), {failed} failed the message"
    );
    (ok, failed, isolated)
}

#[test]
fn wrong_types_at_every_level_with_type_first() {
    let (ok, failed, isolated) = mutate_everywhere(TypeKey::First);
    // All outcomes occur: lenient coercions, isolated elements and typed errors (damage outside
    // list elements: the account, the runtime environment, ...).
    assert!(
        ok > 2000 && isolated > 1000 && failed > 150,
        "ok {ok} ({isolated} isolated), failed {failed}"
    );
}

#[test]
fn wrong_types_at_every_level_with_type_last() {
    let (ok, failed, isolated) = mutate_everywhere(TypeKey::Last);
    assert!(
        ok > 2000 && isolated > 1000 && failed > 150,
        "ok {ok} ({isolated} isolated), failed {failed}"
    );
}

#[test]
fn wrong_type_errors_name_the_field() {
    let cases: [(&str, DecodeErrorKind, &str); 5] = [
        (
            r#"{"type":"event_processing_request","account":{"account_id":{}}}"#,
            DecodeErrorKind::WrongType,
            "$.account.account_id",
        ),
        (
            r#"{"type":"event_processing_request","account":"4417"}"#,
            DecodeErrorKind::WrongType,
            "$.account",
        ),
        (
            r#"{"type":"event_processing_request","runtime_environment":{"type":"ios","apple_search_ads_attribution":{"v":{"k":{}}}}}"#,
            DecodeErrorKind::WrongType,
            "$.runtime_environment.apple_search_ads_attribution.v.k",
        ),
        (
            r#"{"type":"event_processing_request","consent_state":{"gdpr_consent_state":{"ads":{"consented":[]}}}}"#,
            DecodeErrorKind::WrongType,
            "$.consent_state.gdpr_consent_state.ads.consented",
        ),
        (
            r#"{"type":"event_processing_request","events":"none"}"#,
            DecodeErrorKind::WrongType,
            "$.events",
        ),
    ];
    for (json, kind, path) in cases {
        assert_err(json.as_bytes(), kind, path);
    }
    // Inside a list element, the element is isolated and its error names the field.
    let isolated: [(&str, DecodeErrorKind, &str, &str); 7] = [
        (
            r#"{"type":"event_processing_request","events":[{"type":"custom_event"},{"type":"custom_event","attributes":{"k":[1]}}]}"#,
            DecodeErrorKind::WrongType,
            "$.events[1]",
            "$.events[1].attributes.k",
        ),
        (
            r#"{"type":"event_processing_request","events":[{"type":"product_action","products":[{},{"price":true}]}]}"#,
            DecodeErrorKind::WrongType,
            "$.events[0].products[1]",
            "$.events[0].products[1].price",
        ),
        (
            r#"{"type":"event_processing_request","events":[{"type":"product_action","total_amount":"ten"}]}"#,
            DecodeErrorKind::InvalidValue,
            "$.events[0]",
            "$.events[0].total_amount",
        ),
        (
            r#"{"type":"event_processing_request","events":[{"type":"session_start","id":"not-a-uuid"}]}"#,
            DecodeErrorKind::InvalidValue,
            "$.events[0]",
            "$.events[0].id",
        ),
        (
            r#"{"type":"event_processing_request","events":[{"type":"session_start","timestamp_ms":"soon"}]}"#,
            DecodeErrorKind::InvalidValue,
            "$.events[0]",
            "$.events[0].timestamp_ms",
        ),
        (
            r#"{"type":"event_processing_request","events":[{"type":"error","is_crash":"maybe"}]}"#,
            DecodeErrorKind::InvalidValue,
            "$.events[0]",
            "$.events[0].is_crash",
        ),
        (
            r#"{"type":"event_processing_request","events":[{"type":"custom_event","custom_event_type":7}]}"#,
            DecodeErrorKind::WrongType,
            "$.events[0]",
            "$.events[0].custom_event_type",
        ),
    ];
    for (json, kind, element, path) in isolated {
        assert_isolated(json.as_bytes(), kind, element, path);
    }
}

// ---------------------------------------------------------------------------------------------
// Deep nesting

const DEPTH: usize = 10_000;

fn nested_arrays() -> String {
    format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH))
}

fn nested_objects() -> String {
    format!("{}1{}", r#"{"a":"#.repeat(DEPTH), "}".repeat(DEPTH))
}

#[test]
fn deep_nesting_at_the_top_level() {
    for text in [nested_arrays(), nested_objects()] {
        let e = err(text.as_bytes());
        assert_eq!(e.path(), "$", "{e}");
    }
    // An object that is deep all the way down and has a `type` only at the end (slow path).
    let late_type = format!(
        r#"{{"junk":{},"type":"event_processing_request"}}"#,
        nested_objects()
    );
    let msg = decode(late_type.as_bytes());
    assert_eq!(msg.message_type(), MessageType::EventProcessingRequest);
}

#[test]
fn deep_nesting_inside_an_unknown_field_is_skipped() {
    for deep in [nested_arrays(), nested_objects()] {
        for text in [
            format!(r#"{{"type":"event_processing_request","junk":{deep},"mpid":"7"}}"#),
            format!(r#"{{"junk":{deep},"type":"event_processing_request","mpid":"7"}}"#),
            format!(
                r#"{{"type":"event_processing_request","events":[{{"type":"custom_event","junk":{deep},"name":"n"}}]}}"#
            ),
        ] {
            let (msg, out) = roundtrip(text.as_bytes());
            assert!(!out.contains("junk"));
            let req = match &msg.body {
                MessageBody::EventProcessingRequest(r) => r,
                other => panic!("{other:?}"),
            };
            assert!(req.mpid.as_deref() == Some("7") || req.events.len() == 1);
        }
    }
}

#[test]
fn deep_nesting_inside_an_unknown_event_type_is_kept() {
    for deep in [nested_arrays(), nested_objects()] {
        let text = format!(
            r#"{{"type":"event_processing_request","events":[{{"type":"hologram","timestamp_ms":3,"payload":{deep}}}]}}"#
        );
        let msg = decode(text.as_bytes());
        let out = common::encode(&msg);
        assert_eq!(out, text, "kept verbatim");
        let MessageBody::EventProcessingRequest(req) = &msg.body else {
            panic!()
        };
        let EventData::Unrecognized(raw) = &req.events[0].data else {
            panic!("{:?}", req.events[0].data)
        };
        assert_eq!(raw.type_name(), "hologram");
        assert_eq!(req.events[0].header.timestamp_ms, 3);
        // Too deep for a `Value`: reported as null rather than overflowing.
        assert_eq!(raw.to_value(), Value::Null);
    }
}

#[test]
fn deep_nesting_inside_known_fields_is_a_typed_error() {
    let arrays = nested_arrays();
    let objects = nested_objects();
    let cases = [
        (
            format!(r#"{{"type":"event_processing_request","user_attributes":{{"k":{arrays}}}}}"#),
            "$.user_attributes.k",
        ),
        (
            format!(r#"{{"type":"event_processing_request","source_id":{objects}}}"#),
            "$.source_id",
        ),
        (
            format!(
                r#"{{"type":"event_processing_request","account":{{"account_settings":{arrays}}}}}"#
            ),
            "$.account.account_settings",
        ),
    ];
    for (text, path) in cases {
        let e = err(text.as_bytes());
        assert!(
            matches!(
                e.kind(),
                DecodeErrorKind::WrongType | DecodeErrorKind::TooDeep
            ),
            "{path}: {e}"
        );
        assert!(path_is_at_or_above(e.path(), path), "{path}: {e}");
    }
    // Inside a list element: that element is isolated.
    let isolated = [
        (
            format!(r#"{{"type":"event_processing_request","events":{arrays}}}"#),
            "$.events[0]",
            "$.events[0]",
        ),
        (
            format!(
                r#"{{"type":"event_processing_request","events":[{{"type":"session_start","location":{{"latitude":{objects}}}}}]}}"#
            ),
            "$.events[0]",
            "$.events[0].location.latitude",
        ),
        (
            format!(
                r#"{{"events":[{{"name":{arrays},"type":"custom_event"}}],"type":"event_processing_request"}}"#
            ),
            "$.events[0]",
            "$.events[0].name",
        ),
    ];
    for (text, element, path) in isolated {
        let msg = decode(text.as_bytes());
        let invalid = msg.invalid_elements();
        assert_eq!(invalid.len(), 1, "{path}");
        let e = invalid[0];
        assert_eq!(e.path(), element);
        assert!(
            matches!(
                e.kind(),
                DecodeErrorKind::WrongType | DecodeErrorKind::TooDeep
            ),
            "{path}: {:?}",
            e.error()
        );
        assert!(
            path_is_at_or_above(e.error().path(), path),
            "{path}: {:?}",
            e.error()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Size

#[test]
fn a_six_megabyte_batch_decodes() {
    let mut text = String::from(
        r#"{"type":"event_processing_request","id":"a3e1f9c2-6b04-4d7a-8e52-1c9f0b7d3e68","events":["#,
    );
    let mut n = 0;
    while text.len() < 6 * 1024 * 1024 {
        if n > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            r#"{{"type":"custom_event","id":"{:08x}-0000-4000-8000-{:012x}","timestamp_ms":{},"name":"Event {n}","custom_event_type":"other","attributes":{{"index":"{n}","price":"{}.50"}}}},{{"type":"product_action","timestamp_ms":{},"action":"purchase","total_amount":{}.10,"products":[{{"id":"SKU-{n}","position":{},"price":19.90,"quantity":2}}]}}"#,
            n,
            n,
            1_718_000_000_000_i64 + n,
            n % 100,
            1_718_000_000_000_i64 + n,
            n,
            n % 50
        ));
        n += 1;
    }
    text.push_str("]}");
    let msg = decode(text.as_bytes());
    let MessageBody::EventProcessingRequest(req) = &msg.body else {
        panic!()
    };
    assert_eq!(req.events.len(), 2 * n as usize);
    let last = req.events.last().unwrap();
    let EventData::ProductAction(p) = &last.data else {
        panic!()
    };
    assert_eq!(
        p.total_amount.as_ref().unwrap().to_string(),
        format!("{}.10", n - 1)
    );
    assert_eq!(common::encode(&msg).len(), text.len());
}

// ---------------------------------------------------------------------------------------------
// Bytes that are not a JSON object

#[test]
fn empty_and_blank_input() {
    for input in [&b""[..], b"   ", b"\n\t"] {
        let e = err(input);
        assert!(
            matches!(
                e.kind(),
                DecodeErrorKind::Truncated | DecodeErrorKind::NotJson
            ),
            "{e}"
        );
        assert_eq!(e.path(), "$");
    }
}

#[test]
fn non_utf8_bytes() {
    // Inside a field the model reads.
    let mut text = br#"{"type":"event_processing_request","source_id":"ab"#.to_vec();
    text.extend_from_slice(&[0xff, 0xfe]);
    text.extend_from_slice(br#""}"#);
    assert_eq!(err(&text).kind(), DecodeErrorKind::NotJson);

    // Inside an unknown event, which is kept as text.
    let mut text =
        br#"{"type":"event_processing_request","events":[{"type":"hologram","x":""#.to_vec();
    text.push(0xc3);
    text.extend_from_slice(br#""}]}"#);
    assert_eq!(err(&text).kind(), DecodeErrorKind::NotJson);

    // Outside any string.
    let mut text = br#"{"type":"event_processing_request","#.to_vec();
    text.push(0x80);
    text.push(b'}');
    assert_eq!(err(&text).kind(), DecodeErrorKind::NotJson);

    // Inside an ignored field: tolerated or refused, but never kept.
    let mut text = br#"{"type":"event_processing_request","junk":""#.to_vec();
    text.extend_from_slice(&[0xed, 0xa0, 0x80]);
    text.extend_from_slice(br#"","mpid":"1"}"#);
    if let Ok(msg) = Message::decode(&text) {
        assert_eq!(
            common::encode(&msg),
            r#"{"type":"event_processing_request","mpid":"1"}"#
        );
    }

    // A UTF-8 byte-order mark is not JSON.
    let mut text = vec![0xef, 0xbb, 0xbf];
    text.extend_from_slice(br#"{"type":"module_registration_request"}"#);
    assert_eq!(err(&text).kind(), DecodeErrorKind::NotJson);
}

#[test]
fn top_level_values_that_are_not_objects_are_refused_at_the_root() {
    for input in [
        "[]",
        r#"[{"type":"module_registration_request"}]"#,
        r#""module_registration_request""#,
        "42",
        "-1.5e3",
        "true",
        "null",
    ] {
        let e = err(input.as_bytes());
        assert_eq!(e.path(), "$", "{input}: {e}");
        assert!(
            matches!(
                e.kind(),
                DecodeErrorKind::NotJson | DecodeErrorKind::WrongType
            ),
            "{input}: {e}"
        );
    }
}

#[test]
fn top_level_values_that_are_not_objects_are_not_json() {
    for input in ["[]", r#""x""#, "42", "true", "null"] {
        assert_err(input.as_bytes(), DecodeErrorKind::NotJson, "$");
    }
}

#[test]
fn syntax_errors_and_trailing_garbage_are_not_json() {
    assert_err(b"{type:1}", DecodeErrorKind::NotJson, "$");
    assert_err(
        br#"{"type":"module_registration_request",}"#,
        DecodeErrorKind::NotJson,
        "$",
    );
    // Java ignores trailing tokens; this decoder refuses them.
    assert_err(
        br#"{"type":"module_registration_request"} {"#,
        DecodeErrorKind::NotJson,
        "$",
    );
    assert_err(
        br#"{"type":"module_registration_request"}{"type":"module_registration_request"}"#,
        DecodeErrorKind::NotJson,
        "$",
    );
    // Trailing whitespace is fine.
    decode(b"{\"type\":\"module_registration_request\"}\r\n\t ");
}

// ---------------------------------------------------------------------------------------------
// Types and identities

#[test]
fn missing_null_and_unknown_message_types() {
    assert_err(b"{}", DecodeErrorKind::MissingType, "$");
    assert_err(
        br#"{"id":"a3e1f9c2-6b04-4d7a-8e52-1c9f0b7d3e68","timestamp_ms":1}"#,
        DecodeErrorKind::MissingType,
        "$",
    );
    assert_err(br#"{"type":null}"#, DecodeErrorKind::MissingType, "$");
    assert_err(
        br#"{"timestamp_ms":1,"type":null}"#,
        DecodeErrorKind::MissingType,
        "$",
    );
    let e = assert_err(
        br#"{"type":"event_processing_update"}"#,
        DecodeErrorKind::UnknownType,
        "$",
    );
    assert!(e.reason().contains("event_processing_update"));
    // Case-sensitive, as in Java.
    assert_err(
        br#"{"type":"MODULE_REGISTRATION_REQUEST"}"#,
        DecodeErrorKind::UnknownType,
        "$",
    );
    assert_err(
        br#"{"id":"x","type":"nope"}"#,
        DecodeErrorKind::UnknownType,
        "$",
    );
    assert_eq!(DecodeErrorKind::UnknownType.as_str(), "unknown_type");
}

#[test]
fn missing_types_in_nested_families() {
    // Families that are list elements: the element is isolated.
    let isolated: [(&str, &str); 4] = [
        (
            r#"{"type":"event_processing_request","events":[{"type":"session_start"},{"timestamp_ms":1}]}"#,
            "$.events[1]",
        ),
        (
            r#"{"type":"event_processing_request","events":[{"type":null,"timestamp_ms":1}]}"#,
            "$.events[0]",
        ),
        (
            r#"{"type":"event_processing_request","system_notifications":[{"purpose":"p","type":null}]}"#,
            "$.system_notifications[0]",
        ),
        (
            r#"{"type":"module_registration_response","event_processing_registration":{"account_settings":[{"id":"k","name":"K"}]}}"#,
            "$.event_processing_registration.account_settings[0]",
        ),
    ];
    for (json, path) in isolated {
        assert_isolated(json.as_bytes(), DecodeErrorKind::MissingType, path, path);
    }
    // Families in the message's own fields: the message fails.
    let cases: [(&str, &str); 2] = [
        (
            r#"{"type":"event_processing_request","runtime_environment":{"model":"x"}}"#,
            "$.runtime_environment",
        ),
        (
            r#"{"type":"module_registration_response","audience_processing_registration":{"authentication":{}}}"#,
            "$.audience_processing_registration.authentication",
        ),
    ];
    for (json, path) in cases {
        assert_err(json.as_bytes(), DecodeErrorKind::MissingType, path);
    }
    // A null family object is simply absent.
    let msg = decode(br#"{"type":"event_processing_request","runtime_environment":null}"#);
    let MessageBody::EventProcessingRequest(req) = &msg.body else {
        panic!()
    };
    assert!(req.runtime_environment.is_none());
    // A null event in the list is an invalid element.
    assert_isolated(
        br#"{"type":"event_processing_request","events":[null]}"#,
        DecodeErrorKind::WrongType,
        "$.events[0]",
        "$.events[0]",
    );
}

#[test]
fn invalid_identities() {
    let cases = [
        r#"{"encoding":"raw","value":"v"}"#,
        r#"{"type":"","encoding":"raw","value":"v"}"#,
        r#"{"type":"email","value":"v"}"#,
        r#"{"type":"email","encoding":null,"value":"v"}"#,
        r#"{"type":"email","encoding":"raw"}"#,
        r#"{"type":"email","encoding":"raw","value":""}"#,
        r#"{"type":"email","encoding":"raw","value":null}"#,
    ];
    for identity in cases {
        for (template, path) in [
            (
                r#"{"type":"event_processing_request","user_identities":[ID]}"#,
                "$.user_identities[0]",
            ),
            (
                r#"{"type":"event_processing_request","partner_identities":[ID]}"#,
                "$.partner_identities[0]",
            ),
            (
                r#"{"type":"event_processing_request","events":[{"type":"user_identity_change","removed":[ID]}]}"#,
                "$.events[0].removed[0]",
            ),
            (
                r#"{"type":"audience_membership_change_request","user_profiles":[{"device_identities":[ID]}]}"#,
                "$.user_profiles[0].device_identities[0]",
            ),
            (
                r#"{"runtime_environment":{"identities":[ID],"type":"roku"},"type":"event_processing_request"}"#,
                "$.runtime_environment.identities[0]",
            ),
        ] {
            let json = template.replace("ID", identity);
            assert_isolated(
                json.as_bytes(),
                DecodeErrorKind::InvalidIdentity,
                path,
                path,
            );
        }
    }
    // Permissions need type and encoding, but no value.
    assert_isolated(
        br#"{"type":"module_registration_response","permissions":{"user_identities":[{"type":"email"}]}}"#,
        DecodeErrorKind::InvalidIdentity,
        "$.permissions.user_identities[0]",
        "$.permissions.user_identities[0]",
    );
    let msg = decode(
        br#"{"type":"module_registration_response","permissions":{"user_identities":[{"type":"email","encoding":"md5"}]}}"#,
    );
    let MessageBody::ModuleRegistrationResponse(reg) = &msg.body else {
        panic!()
    };
    assert!(!reg.permissions.as_ref().unwrap().user_identities[0].required);
}

#[test]
fn int_out_of_range() {
    assert_err(
        br#"{"type":"event_processing_request","account":{"account_id":3000000000}}"#,
        DecodeErrorKind::OutOfRange,
        "$.account.account_id",
    );
    assert_err(
        br#"{"type":"event_processing_request","account":{"account_id":-2147483649}}"#,
        DecodeErrorKind::OutOfRange,
        "$.account.account_id",
    );
    assert_err(
        br#"{"type":"event_processing_request","account":{"account_id":"3000000000"}}"#,
        DecodeErrorKind::OutOfRange,
        "$.account.account_id",
    );
    assert_err(
        br#"{"account":{"account_id":3e9},"type":"audience_subscription_request"}"#,
        DecodeErrorKind::OutOfRange,
        "$.account.account_id",
    );
    assert_isolated(
        br#"{"type":"event_processing_request","events":[{"type":"session_start","timestamp_ms":9223372036854775808}]}"#,
        DecodeErrorKind::OutOfRange,
        "$.events[0]",
        "$.events[0].timestamp_ms",
    );
    assert_err(
        br#"{"type":"event_processing_request","runtime_environment":{"screen_width":1e40,"type":"xbox"}}"#,
        DecodeErrorKind::OutOfRange,
        "$.runtime_environment.screen_width",
    );
    assert_isolated(
        br#"{"type":"audience_membership_change_request","user_profiles":[{"audiences":[{"audience_id":2147483648}]}]}"#,
        DecodeErrorKind::OutOfRange,
        "$.user_profiles[0].audiences[0]",
        "$.user_profiles[0].audiences[0].audience_id",
    );
    // The bounds themselves fit.
    let msg = decode(
        br#"{"type":"event_processing_request","account":{"account_id":-2147483648},"platform_fields":{"workspace_id":2147483647}}"#,
    );
    let MessageBody::EventProcessingRequest(req) = &msg.body else {
        panic!()
    };
    assert_eq!(req.account.as_ref().unwrap().account_id, i32::MIN);
    assert_eq!(req.platform_fields.as_ref().unwrap().workspace_id, i32::MAX);
}

// ---------------------------------------------------------------------------------------------
// Duplicate keys and key order

#[test]
fn duplicate_type_first_one_wins() {
    let msg =
        decode(br#"{"type":"module_registration_request","type":"event_processing_request"}"#);
    assert_eq!(msg.message_type(), MessageType::ModuleRegistrationRequest);
    let msg = decode(br#"{"id":"a3e1f9c2-6b04-4d7a-8e52-1c9f0b7d3e68","type":"dsr_processing_response","type":"dsr_processing_request"}"#);
    assert_eq!(msg.message_type(), MessageType::DsrProcessingResponse);

    let (msg, out) = roundtrip(
        br#"{"type":"event_processing_request","events":[{"type":"session_start","type":"custom_event","name":"dropped"},{"timestamp_ms":2,"type":"screen_view","type":"error","screen_name":"kept"}],"runtime_environment":{"type":"roku","type":"ios"}}"#,
    );
    let MessageBody::EventProcessingRequest(req) = &msg.body else {
        panic!()
    };
    assert_eq!(req.events[0].event_type(), EventType::SessionStart);
    assert_eq!(req.events[1].event_type(), EventType::ScreenView);
    let EventData::ScreenView(view) = &req.events[1].data else {
        panic!()
    };
    assert_eq!(view.screen_name.as_deref(), Some("kept"));
    assert_eq!(
        req.runtime_environment.as_ref().unwrap().platform(),
        RuntimeEnvironmentType::Roku
    );
    assert!(!out.contains("dropped"));
    // An unknown type keeps its first `type`, and the repeat is not written back.
    let (msg, out) = roundtrip(
        br#"{"type":"event_processing_request","events":[{"type":"hologram","x":1,"type":"custom_event"}]}"#,
    );
    let MessageBody::EventProcessingRequest(req) = &msg.body else {
        panic!()
    };
    assert_eq!(req.events[0].type_name(), "hologram");
    assert!(out.contains(r#"{"type":"hologram","x":1}"#), "{out}");
    // A null first `type` is missing, whatever follows.
    assert_err(
        br#"{"type":null,"type":"module_registration_request"}"#,
        DecodeErrorKind::MissingType,
        "$",
    );
}

#[test]
fn duplicate_envelope_and_header_fields_last_one_wins() {
    let msg = decode(
        br#"{"type":"event_processing_request","timestamp_ms":1,"timestamp_ms":2,"events":[{"type":"session_start","timestamp_ms":3,"timestamp_ms":4}]}"#,
    );
    assert_eq!(msg.envelope.timestamp_ms, Some(2));
    let MessageBody::EventProcessingRequest(req) = &msg.body else {
        panic!()
    };
    assert_eq!(req.events[0].header.timestamp_ms, 4);
}

#[test]
fn duplicate_ordinary_fields_are_refused_with_a_path() {
    // A documented divergence from Java (which keeps the last value): a repeated field of a
    // struct is refused with a typed error and its path (inside a list element, that element is
    // invalid). Repeated header and envelope fields, and a repeated `type` (first wins), are
    // accepted.
    let e = err(
        br#"{"type":"event_processing_request","platform_fields":{"app_name":"a","app_name":"b"}}"#,
    );
    assert!(
        path_is_at_or_above(e.path(), "$.platform_fields.app_name"),
        "{e}"
    );
    let msg = decode(br#"{"type":"event_processing_request","events":[{"type":"custom_event","name":"a","name":"b"}]}"#);
    let invalid = msg.invalid_elements();
    assert_eq!(invalid.len(), 1);
    assert_eq!(invalid[0].path(), "$.events[0]");
    assert!(
        path_is_at_or_above(invalid[0].error().path(), "$.events[0].name"),
        "{:?}",
        invalid[0].error()
    );
}

#[test]
fn type_not_first_for_message_event_and_runtime() {
    let msg = decode(
        br#"{"id":"a3e1f9c2-6b04-4d7a-8e52-1c9f0b7d3e68","events":[{"timestamp_ms":9,"session_length_ms":"12","type":"session_end"}],"runtime_environment":{"screen_dpi":320,"identities":[{"type":"android_id","encoding":"raw","value":"x"}],"is_debug":"true","type":"android"},"type":"event_processing_request","mpid":5}"#,
    );
    let MessageBody::EventProcessingRequest(req) = &msg.body else {
        panic!()
    };
    assert_eq!(
        msg.envelope.id.unwrap().to_string(),
        "a3e1f9c2-6b04-4d7a-8e52-1c9f0b7d3e68"
    );
    assert_eq!(req.mpid.as_deref(), Some("5"));
    let EventData::SessionEnd(end) = &req.events[0].data else {
        panic!()
    };
    assert_eq!(
        (req.events[0].header.timestamp_ms, end.session_length_ms),
        (9, 12)
    );
    let rt = req.runtime_environment.as_ref().unwrap();
    assert!(rt.header.is_debug);
    let Device::Android(a) = &rt.device else {
        panic!()
    };
    assert_eq!(a.screen_dpi, 320);
}

#[test]
fn errors_inside_a_late_typed_object_keep_their_path() {
    let cases: [(&str, DecodeErrorKind, &str); 3] = [
        (
            r#"{"account":{"account_id":3000000000},"type":"event_processing_request"}"#,
            DecodeErrorKind::OutOfRange,
            "$.account.account_id",
        ),
        (
            r#"{"type":"event_processing_request","runtime_environment":{"screen_height":[],"type":"android"}}"#,
            DecodeErrorKind::WrongType,
            "$.runtime_environment.screen_height",
        ),
        (
            r#"{"runtime_environment":{"screen_height":[],"type":"tvos"},"type":"event_processing_request"}"#,
            DecodeErrorKind::WrongType,
            "$.runtime_environment.screen_height",
        ),
    ];
    for (json, kind, path) in cases {
        assert_err(json.as_bytes(), kind, path);
    }
    let isolated: [(&str, DecodeErrorKind, &str, &str); 5] = [
        (
            r#"{"events":[{"timestamp_ms":"soon","type":"custom_event"}],"type":"event_processing_request"}"#,
            DecodeErrorKind::InvalidValue,
            "$.events[0]",
            "$.events[0].timestamp_ms",
        ),
        (
            r#"{"type":"event_processing_request","events":[{"type":"session_start"},{"attributes":{"k":{}},"type":"custom_event"}]}"#,
            DecodeErrorKind::WrongType,
            "$.events[1]",
            "$.events[1].attributes.k",
        ),
        (
            r#"{"type":"event_processing_request","runtime_environment":{"identities":[{"type":"android_id","encoding":"raw","value":"a"},{"type":"android_id","encoding":"raw"}],"type":"android"}}"#,
            DecodeErrorKind::InvalidIdentity,
            "$.runtime_environment.identities[1]",
            "$.runtime_environment.identities[1]",
        ),
        (
            r#"{"events":[{"products":[{"position":1},{"price":{}}],"type":"product_action"}],"type":"event_processing_request"}"#,
            DecodeErrorKind::WrongType,
            "$.events[0].products[1]",
            "$.events[0].products[1].price",
        ),
        (
            r#"{"event_processing_registration":{"account_settings":[{"id":"a","min_value":"low","type":"integer"}]},"type":"module_registration_response"}"#,
            DecodeErrorKind::InvalidValue,
            "$.event_processing_registration.account_settings[0]",
            "$.event_processing_registration.account_settings[0].min_value",
        ),
    ];
    for (json, kind, element, path) in isolated {
        assert_isolated(json.as_bytes(), kind, element, path);
    }
}

#[test]
fn unknown_kinds_with_broken_headers_still_fail_with_a_path() {
    // The header of a kept unknown object is still read, and its errors still reported: for an
    // event, the event is an invalid element; inside a runtime's identities, the identity is.
    assert_isolated(
        br#"{"type":"event_processing_request","events":[{"type":"session_start"},{"type":"hologram","timestamp_ms":"soon"}]}"#,
        DecodeErrorKind::InvalidValue,
        "$.events[1]",
        // The header of a kept object is read from its raw text, which names no field.
        "$.events[1]",
    );
    assert_isolated(
        br#"{"type":"event_processing_request","runtime_environment":{"type":"vision_os","identities":[{"type":"x"}]}}"#,
        DecodeErrorKind::InvalidIdentity,
        "$.runtime_environment.identities[0]",
        "$.runtime_environment.identities[0]",
    );
    let e = err(
        br#"{"type":"event_processing_request","runtime_environment":{"type":"vision_os","is_debug":[]}}"#,
    );
    assert_eq!(e.kind(), DecodeErrorKind::WrongType, "{e}");
    assert!(
        path_is_at_or_above(e.path(), "$.runtime_environment.is_debug"),
        "{e}"
    );
}

#[test]
fn escaped_type_keys_are_type_keys() {
    let (msg, out) = roundtrip(
        br#"{"\u0074ype":"event_processing_request","events":[{"x":1,"typ\u0065":"session_start","timestamp_ms":4}]}"#,
    );
    assert_eq!(msg.message_type(), MessageType::EventProcessingRequest);
    assert_eq!(
        out,
        r#"{"type":"event_processing_request","events":[{"type":"session_start","timestamp_ms":4}]}"#
    );
}

// ---------------------------------------------------------------------------------------------
// Extreme values: typed errors, never panics

#[test]
fn extreme_numbers_are_typed_errors_or_exact() {
    // Beyond what rust_decimal holds: kept exactly, and written back as they came (a numeric
    // string as a number).
    let too_big_for_rust_decimal = [
        (
            "123456789012345678901234567890.5",
            "123456789012345678901234567890.5",
        ),
        ("1E+400", "1E+400"),
        (
            "0.0000000000000000000000000000001",
            "0.0000000000000000000000000000001",
        ),
        ("\"1e-400\"", "1e-400"),
    ];
    for (amount, written) in too_big_for_rust_decimal {
        let json = format!(
            r#"{{"type":"event_processing_request","events":[{{"type":"product_action","total_amount":{amount}}}]}}"#
        );
        let msg = decode(json.as_bytes());
        assert!(msg.invalid_elements().is_empty());
        let MessageBody::EventProcessingRequest(req) = &msg.body else {
            panic!()
        };
        let EventData::ProductAction(p) = &req.events[0].data else {
            panic!()
        };
        let total = p.total_amount.as_ref().unwrap();
        assert_eq!(total.to_string(), written);
        assert!(total.to_decimal().is_err());
        let out = common::encode(&msg);
        assert!(
            out.contains(&format!(r#""total_amount":{written}"#)),
            "{out}"
        );
    }
    // Not a number at all: the event is an invalid element.
    assert_isolated(
        br#"{"type":"event_processing_request","events":[{"type":"product_action","total_amount":"1e"}]}"#,
        DecodeErrorKind::InvalidValue,
        "$.events[0]",
        "$.events[0].total_amount",
    );
    // The largest decimals that fit are kept exactly.
    let (msg, out) = roundtrip(
        br#"{"type":"event_processing_request","events":[{"type":"product_action","total_amount":79228162514264337593543950335,"tax_amount":-0.0000000000000000000000000001}]}"#,
    );
    assert!(
        out.contains(r#""total_amount":79228162514264337593543950335,"#),
        "{out}"
    );
    assert!(
        out.contains(r#""tax_amount":-0.0000000000000000000000000001"#),
        "{out}"
    );
    drop(msg);

    for time in [
        "1e300",
        "-1e300",
        "\"+275760-09-13T00:00:00Z\"",
        "1e19",
        "\"\"",
    ] {
        let json = format!(r#"{{"type":"dsr_processing_request","submitted_time":{time}}}"#);
        assert_err(
            json.as_bytes(),
            DecodeErrorKind::InvalidValue,
            "$.submitted_time",
        );
    }
    // Instants at the edges of the representable range decode, print and convert.
    for time in ["-9223372036854775808", "9223372036854775807.999999999"] {
        let json = format!(r#"{{"type":"dsr_processing_request","submitted_time":{time}}}"#);
        let (msg, out) = roundtrip(json.as_bytes());
        let MessageBody::DsrProcessingRequest(req) = &msg.body else {
            panic!()
        };
        let t = req.submitted_time.unwrap();
        assert!(!t.to_string().is_empty());
        let _ = t.to_system_time();
        assert!(out.contains(time), "{out}");
    }
}

#[test]
fn numbers_read_into_string_fields_keep_their_text() {
    let msg = decode(
        br#"{"type":"event_processing_request","source_id":12345678901234567890123,"device_application_stamp":1e3,"mpid":1.50}"#,
    );
    let MessageBody::EventProcessingRequest(req) = &msg.body else {
        panic!()
    };
    assert_eq!(req.source_id.as_deref(), Some("12345678901234567890123"));
    assert_eq!(req.device_application_stamp.as_deref(), Some("1e3"));
    assert_eq!(req.mpid.as_deref(), Some("1.50"));
}

#[test]
fn integers_read_into_string_fields_keep_their_digits() {
    // Within 64 bits the text survives (the case that matters: mpid).
    let msg = decode(
        br#"{"type":"event_processing_request","source_id":18446744073709551615,"mpid":-9223372036854775808}"#,
    );
    let MessageBody::EventProcessingRequest(req) = &msg.body else {
        panic!()
    };
    assert_eq!(req.source_id.as_deref(), Some("18446744073709551615"));
    assert_eq!(req.mpid.as_deref(), Some("-9223372036854775808"));
}

/// An attribute object of 200,000 keys in descending order, each written twice: the map is
/// built by sorting once, not by 400,000 inserts that each shift what follows (which would take
/// minutes, and is what a sorted-vector map built one pair at a time does). The later of two
/// equal keys wins, as in JSON objects read by Jackson.
#[test]
fn an_attribute_object_of_many_keys_in_reverse_order_decodes() {
    const KEYS: usize = 200_000;
    let mut attributes = String::from("{");
    for i in (0..KEYS).rev() {
        attributes.push_str(&format!(r#""k{i:06}":"first","k{i:06}":"v{i}","#));
    }
    attributes.pop();
    attributes.push('}');
    let json = format!(
        r#"{{"type":"event_processing_request","events":[{{"type":"custom_event","attributes":{attributes}}}]}}"#
    );
    let msg = Message::decode(json.as_bytes()).expect("decodes");
    let MessageBody::EventProcessingRequest(req) = &msg.body else {
        panic!("not a batch: {msg:?}")
    };
    let EventData::CustomEvent(event) = &req.events[0].data else {
        panic!("not a custom event")
    };
    assert_eq!(event.attributes.len(), KEYS);
    assert_eq!(event.attributes["k000000"], "v0");
    assert_eq!(event.attributes["k199999"], "v199999");
    let keys: Vec<&str> = event.attributes.keys().map(CompactString::as_str).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "keys in order");
}
