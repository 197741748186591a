//! The fast reader against serde's decoders: `Message::decode` (which reads the usual shape of a
//! message with the SDK's own reader and leaves the rest to serde) and `decode_by_serde` (serde
//! alone) must give the same message, or the same error, for every document.
//!
//! The documents: generated and realistic batches and audience messages as they are, then with
//! every value replaced in turn by values of other types and odd spellings, keys repeated and
//! escaped, whitespace added, and cuts.

use mparticle_firehose::testing::decode_by_serde;
use mparticle_firehose::testing::generate::BatchGenerator;
use mparticle_firehose::testing::realistic::{RealisticBatch, Storefront};
use mparticle_firehose::{DecodeError, Message};
use proptest::prelude::*;

/// Decodes `json` both ways and compares everything: the message (every field, invalid elements
/// included) or the error (kind, path and reason), and what the message encodes to.
fn assert_same(json: &[u8]) {
    let fast = outcome(&Message::decode(json));
    let reference = outcome(&decode_by_serde(json));
    if fast != reference {
        // Where the two first differ (in characters), with some context: the outcomes are long.
        let at = fast
            .chars()
            .zip(reference.chars())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| fast.chars().count().min(reference.chars().count()));
        let around =
            |s: &str| -> String { s.chars().skip(at.saturating_sub(200)).take(400).collect() };
        panic!(
            "the fast reader differs from serde\n  fast:  ...{}...\n  serde: ...{}...\n  input: {}",
            around(&fast),
            around(&reference),
            String::from_utf8_lossy(json)
        );
    }
}

fn outcome(decoded: &Result<Message, DecodeError>) -> String {
    match decoded {
        Ok(message) => format!(
            "{message:?}\n{}",
            message.to_json().unwrap_or_else(|e| e.to_string())
        ),
        Err(e) => format!("error {:?} at {}: {}", e.kind(), e.path(), e.reason()),
    }
}

/// The documents the damage starts from: small, so that every value can be replaced in turn.
fn seeds() -> Vec<Vec<u8>> {
    let mut docs = Vec::new();
    for seed in 1..=2 {
        docs.push(RealisticBatch::new(seed, Storefront::IosApp).event_batch(4));
        docs.push(RealisticBatch::new(seed, Storefront::WebShop).event_batch(4));
        let mut generator = BatchGenerator::new(seed);
        for message in [
            generator.event_batch(6),
            generator.audience_membership_change(3),
        ] {
            docs.push(message.encode().expect("encodes"));
        }
    }
    docs
}

#[test]
fn whole_messages_decode_the_same() {
    for seed in 1..=20 {
        assert_same(&RealisticBatch::new(seed, Storefront::IosApp).event_batch(60));
        assert_same(&RealisticBatch::new(seed, Storefront::WebShop).event_batch(60));
        let mut generator = BatchGenerator::new(seed);
        assert_same(&generator.event_batch(60).encode().expect("encodes"));
        assert_same(
            &generator
                .audience_membership_change(10)
                .encode()
                .expect("encodes"),
        );
    }
    for json in [
        &b"{}"[..],
        b"[]",
        b"null",
        b"",
        b"{\"type\":\"event_processing_request\"}",
        b"{\"type\":\"module_registration_request\",\"id\":null}",
        b"{\"type\":\"no_such_type\"}",
        b"{\"id\":\"6e7d8c9b-1a2b-4c3d-8e9f-0a1b2c3d4e5f\",\"type\":\"event_processing_request\"}",
    ] {
        assert_same(json);
    }
}

/// Where each value of a document starts and ends (strings, numbers, literals, objects and
/// arrays), found by a scan that knows only JSON's tokens.
fn value_spans(json: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut i = 0;
    let mut after_colon_or_open = true;
    while i < json.len() {
        match json[i] {
            b'"' => {
                let start = i;
                i += 1;
                while json[i] != b'"' {
                    i += if json[i] == b'\\' { 2 } else { 1 };
                }
                // A key is followed by a colon; a value is not.
                let next = json[i + 1..].iter().find(|b| !b.is_ascii_whitespace());
                if next != Some(&b':') {
                    spans.push((start, i + 1));
                }
            }
            b'{' | b'[' => open.push(i),
            b'}' | b']' => {
                if let Some(start) = open.pop() {
                    spans.push((start, i + 1));
                }
            }
            b'-' | b'0'..=b'9' | b't' | b'f' | b'n' if after_colon_or_open => {
                let start = i;
                while i + 1 < json.len() && !b",}] \n".contains(&json[i + 1]) {
                    i += 1;
                }
                spans.push((start, i + 1));
            }
            _ => {}
        }
        after_colon_or_open = matches!(json[i], b':' | b'[' | b',');
        i += 1;
    }
    spans
}

/// Values of every JSON type, in spellings that the decoders read in different ways.
const REPLACEMENTS: &[&str] = &[
    "null",
    "true",
    "0",
    "-0",
    "7",
    "-12",
    "1.50",
    "2.9e1",
    "1e400",
    "99999999999999999999",
    "2147483648",
    "\"\"",
    "\" \"",
    "\"12\"",
    "\"1.5\"",
    "\"true\"",
    "\"x\\u00e9\\n\"",
    "\"\\ud800\"",
    "\"6E7D8C9B-1A2B-4C3D-8E9F-0A1B2C3D4E5F\"",
    "{}",
    "{\"a\":\"b\"}",
    "[]",
    "[null]",
    "[\"a\",1,true]",
    "[{}]",
];

#[test]
fn every_value_replaced_by_others_decodes_the_same() {
    for doc in seeds() {
        for (start, end) in value_spans(&doc) {
            for replacement in REPLACEMENTS {
                let mut json = doc[..start].to_vec();
                json.extend_from_slice(replacement.as_bytes());
                json.extend_from_slice(&doc[end..]);
                assert_same(&json);
            }
        }
    }
}

#[test]
fn keys_repeated_escaped_or_moved_decode_the_same() {
    for doc in seeds() {
        let text = String::from_utf8(doc).expect("UTF-8");
        // Each key in turn: repeated with another value, escaped, or given leading whitespace.
        let keys: Vec<usize> = text.match_indices("\":").map(|(i, _)| i).collect();
        for &colon in &keys {
            let start = text[..colon].rfind('"').expect("a key opens");
            let key = &text[start..=colon];
            let name = &key[1..key.len() - 1];
            let value_end = colon + 2;
            let repeated = format!(
                "{}{key}:null,{key}:\"x\",{}",
                &text[..start],
                &text[start..]
            );
            assert_same(repeated.as_bytes());
            if let Some(first) = name.chars().next() {
                let escaped = format!(
                    "{}\"\\u{:04x}{}{}",
                    &text[..start],
                    u32::from(first),
                    &name[first.len_utf8()..],
                    &text[colon..]
                );
                assert_same(escaped.as_bytes());
            }
            let spaced = format!("{} \n\t{}", &text[..value_end - 1], &text[value_end - 1..]);
            assert_same(spaced.as_bytes());
        }
        // `type` moved from first to last in every object that has it first.
        let moved = text.replace(
            "{\"type\":\"custom_event\",",
            "{\"x\":1,\"type\":\"custom_event\",",
        );
        assert_same(moved.as_bytes());
    }
}

#[test]
fn cut_and_damaged_documents_fail_the_same() {
    for doc in seeds() {
        for cut in (0..doc.len()).step_by(7) {
            assert_same(&doc[..cut]);
        }
        let mut trailing = doc.clone();
        trailing.extend_from_slice(b" x");
        assert_same(&trailing);
        let mut not_utf8 = doc.clone();
        if let Some(at) = not_utf8.iter().position(|&b| b == b'a') {
            not_utf8[at] = 0xff;
        }
        assert_same(&not_utf8);
    }
    let deep = format!(
        "{{\"type\":\"event_processing_request\",\"user_attributes\":{}{}}}",
        "[".repeat(100),
        "]".repeat(100)
    );
    assert_same(deep.as_bytes());
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x0fa5_7ead),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Arbitrary bytes spliced into a realistic batch at an arbitrary place.
    #[test]
    fn arbitrary_splices_decode_the_same(
        seed in 1u64..50,
        at in 0.0f64..1.0,
        cut in 0usize..40,
        insert in "[ -~]{0,12}",
    ) {
        let doc = RealisticBatch::new(seed, Storefront::WebShop).event_batch(3);
        let start = ((doc.len() as f64) * at) as usize;
        let end = (start + cut).min(doc.len());
        let mut json = doc[..start].to_vec();
        json.extend_from_slice(insert.as_bytes());
        json.extend_from_slice(&doc[end..]);
        assert_same(&json);
    }
}
