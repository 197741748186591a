//! Element-level damage in every list of the model: each element, one at a time, replaced by each
//! JSON type. The message must decode every time (no panic, no message-level failure): the
//! replacement is either a valid element (lenient coercions) or an invalid element kept at
//! exactly its path, and re-encoding is a fixed point that writes it back.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use common::{decode, encode, fixture_value};
use mparticle_firehose::Message;
use serde_json::{Value, json};

/// Every list of the model, by its path with the indices left out.
const EVERY_LIST: [&str; 33] = [
    // event batches
    "$.events",
    "$.system_notifications",
    "$.user_identities",
    "$.partner_identities",
    "$.user_attribute_lists.*",
    "$.runtime_environment.identities",
    "$.events[].products",
    "$.events[].breadcrumbs",
    "$.events[].added",
    "$.events[].removed",
    "$.events[].promotions",
    "$.events[].impressions",
    "$.events[].impressions[].products",
    // audience membership changes
    "$.user_profiles",
    "$.user_profiles[].user_identities",
    "$.user_profiles[].device_identities",
    "$.user_profiles[].partner_identities",
    "$.user_profiles[].audiences",
    "$.user_profiles[].audiences[].user_attributes",
    "$.user_profiles[].audiences[].user_attributes[].list_value",
    // registrations
    "$.permissions.device_identities",
    "$.permissions.user_identities",
    "$.permissions.partner_identities",
    "$.event_processing_registration.account_settings",
    "$.event_processing_registration.event_connection_settings",
    "$.event_processing_registration.supported_event_types",
    "$.event_processing_registration.supported_runtime_environments",
    "$.event_processing_registration.supported_system_notification_types",
    "$.event_processing_registration.authentication.scopes",
    "$.audience_processing_registration.account_settings",
    "$.audience_processing_registration.audience_subscription_settings",
    "$.dsr_processing_registration.account_settings",
    "$.dsr_processing_registration.supported_dsr_types",
];

/// Each JSON type, and an object without `type`.
const REPLACEMENTS: [&str; 8] = [
    "null",
    "true",
    "1.5",
    "\"x\"",
    "[1]",
    "[]",
    "{}",
    "{\"x\":{\"y\":[null]}}",
];

/// Writes JSON with `type` first, recording the text range of every array element.
fn write(v: &Value, path: &str, out: &mut String, elements: &mut Vec<(String, Range<usize>)>) {
    match v {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let child = format!("{path}[{i}]");
                let start = out.len();
                write(item, &child, out, elements);
                elements.push((child, start..out.len()));
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|k| k.as_str() != "type");
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push(':');
                write(&map[k], &format!("{path}.{k}"), out, elements);
            }
            out.push('}');
        }
        scalar => out.push_str(&serde_json::to_string(scalar).unwrap()),
    }
}

/// The list an element path belongs to: indices left out, map keys of string-list maps as `*`.
fn list_of(element_path: &str) -> String {
    let list = &element_path[..element_path.rfind('[').unwrap()];
    let mut out = String::new();
    let mut chars = list.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '[' {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
        }
    }
    match out.strip_prefix("$.user_attribute_lists.") {
        Some(_) => "$.user_attribute_lists.*".to_owned(),
        None => out,
    }
}

/// The rich documents: an event batch without its events, one batch per event (one of each of
/// the 16 types), a membership change and a registration, each with every list filled.
fn documents() -> Vec<Value> {
    let mut skeleton = fixture_value("event_processing_request.json");
    let mut events = match skeleton.as_object_mut().unwrap().remove("events") {
        Some(Value::Array(events)) => events,
        other => panic!("{other:?}"),
    };
    let all = fixture_value("events_all_types.json");
    events.extend(all["events"].as_array().unwrap().iter().cloned());
    let mut docs = vec![skeleton];
    for event in events {
        docs.push(json!({
            "type": "event_processing_request",
            "id": "a3e1f9c2-6b04-4d7a-8e52-1c9f0b7d3e68",
            "events": [event],
        }));
    }
    docs.push(fixture_value("audience_membership_change_request.json"));
    docs.push(fixture_value("module_registration_response.json"));
    docs
}

#[test]
fn every_element_of_every_list_replaced_by_every_json_type_is_isolated() {
    let (mut valid, mut invalid, mut elements) = (0, 0, 0);
    let mut per_list: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for doc in documents() {
        let mut text = String::new();
        let mut spans = Vec::new();
        write(&doc, "$", &mut text, &mut spans);
        assert!(decode(text.as_bytes()).invalid_elements().is_empty());
        for (path, range) in &spans {
            elements += 1;
            for replacement in REPLACEMENTS {
                let mutated = format!(
                    "{}{replacement}{}",
                    &text[..range.start],
                    &text[range.end..]
                );
                let at = format!("{path} = {replacement}");
                let msg = match Message::decode(mutated.as_bytes()) {
                    Ok(msg) => msg,
                    Err(e) => panic!("{at}: the message failed: {e}"),
                };
                let found: Vec<(String, String)> = msg
                    .invalid_elements()
                    .iter()
                    .map(|e| (e.path().to_owned(), e.raw_json().to_owned()))
                    .collect();
                let counts = per_list.entry(list_of(path)).or_default();
                match found.as_slice() {
                    [] => {
                        valid += 1;
                        counts.0 += 1;
                    }
                    [(p, raw)] => {
                        assert_eq!(p, path, "{at}: isolated elsewhere");
                        assert_eq!(raw, replacement, "{at}");
                        invalid += 1;
                        counts.1 += 1;
                    }
                    more => panic!("{at}: {more:?}"),
                }
                // Written back whole (the invalid element verbatim), and a fixed point.
                let out = encode(&msg);
                let again = decode(out.as_bytes());
                assert_eq!(encode(&again), out, "{at}: not a fixed point");
                assert_eq!(again.invalid_elements().len(), found.len(), "{at}");
            }
        }
    }
    let covered: BTreeSet<&str> = per_list.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = EVERY_LIST.into_iter().collect();
    assert_eq!(covered, expected);
    eprintln!(
        "{elements} elements in {} lists x {} replacements: {valid} read as valid elements, {invalid} kept as invalid elements, 0 message failures",
        covered.len(),
        REPLACEMENTS.len()
    );
    for (list, (v, i)) in &per_list {
        eprintln!("  {list}: {v} valid, {i} invalid");
    }
    assert!(invalid > valid, "valid {valid}, invalid {invalid}");
}
