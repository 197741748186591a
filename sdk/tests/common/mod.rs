//! Helpers shared by the wire-model test suites: fixture loading, a whitespace-only minifier,
//! an order-preserving JSON reader (serde_json's `Value` sorts keys here), and round-trip checks.

#![allow(dead_code)]

use std::fmt;
use std::path::PathBuf;

use mparticle_firehose::Message;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// The bytes of `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The fixture as a `serde_json::Value`.
pub fn fixture_value(name: &str) -> serde_json::Value {
    serde_json::from_slice(&fixture(name)).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
}

/// Removes the whitespace between JSON tokens and keeps everything else byte for byte (number
/// spellings such as `10.50`, escapes such as `\u00e9`, key order).
pub fn minify(json: &[u8]) -> String {
    let text = std::str::from_utf8(json).expect("fixtures are UTF-8");
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_ascii_whitespace() {
            out.push(c);
        }
    }
    out
}

/// Decodes, panicking with the decode error.
pub fn decode(json: &[u8]) -> Message {
    Message::decode(json).unwrap_or_else(|e| {
        panic!(
            "decode failed: {e} (kind {}, path {})",
            e.kind().as_str(),
            e.path()
        )
    })
}

/// Encodes to a string, panicking on failure.
pub fn encode(message: &Message) -> String {
    message.to_json().expect("encode")
}

/// Decodes `json` and re-encodes it, checking the output's key-order rules. Returns the decoded
/// message and its encoding. No fixed-point check: see [`roundtrip`].
pub fn reencode(json: &[u8]) -> (Message, String) {
    let message = decode(json);
    let out = encode(&message);
    assert_eq!(
        message.encode().expect("encode bytes"),
        out.as_bytes(),
        "encode() and to_json() disagree"
    );
    check_key_order(&out);
    (message, out)
}

/// Like [`reencode`], and also checks that the output is a fixed point: decoding and encoding
/// it again gives the same text, and the same model value once more.
///
/// The decoded input itself may differ from the decoded output: input the model keeps but the
/// output rules drop (`""` strings, empty map entries, `user_profiles: []`) normalizes away.
pub fn roundtrip(json: &[u8]) -> (Message, String) {
    let (message, out) = reencode(json);
    let normalized = decode(out.as_bytes());
    let again = encode(&normalized);
    assert_eq!(again, out, "encoding is not a fixed point");
    assert_eq!(decode(again.as_bytes()), normalized);
    (message, out)
}

/// The entries of an object, in order.
pub type Entries = [(String, Ordered)];

/// An ordered JSON tree: objects keep their keys in the order they were written.
#[derive(Debug, Clone, PartialEq)]
pub enum Ordered {
    Scalar(serde_json::Value),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl Ordered {
    pub fn parse(text: &str) -> Ordered {
        serde_json::from_str(text).expect("ordered parse")
    }

    /// The keys of an object, in order (empty for other values).
    pub fn keys(&self) -> Vec<&str> {
        match self {
            Ordered::Object(entries) => entries.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// The value under `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Ordered> {
        match self {
            Ordered::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Element `i` of an array.
    pub fn at(&self, i: usize) -> Option<&Ordered> {
        match self {
            Ordered::Array(items) => items.get(i),
            _ => None,
        }
    }

    /// Calls `f` with every object in the tree and its JSON path.
    pub fn walk_objects(&self, path: &str, f: &mut dyn FnMut(&str, &Entries)) {
        match self {
            Ordered::Scalar(_) => {}
            Ordered::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    item.walk_objects(&format!("{path}[{i}]"), f);
                }
            }
            Ordered::Object(entries) => {
                f(path, entries);
                for (k, v) in entries {
                    v.walk_objects(&format!("{path}.{k}"), f);
                }
            }
        }
    }
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(serde_json::Value::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Ordered::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Ordered>()? {
                    entries.push((k, v));
                }
                Ok(Ordered::Object(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// Checks the key-order rules of an encoded message: `type` is the first key of every object
/// that has one (the six polymorphic families, identities and identity permissions), the
/// envelope fields follow the message `type` directly and in Java's order, and no key repeats.
pub fn check_key_order(text: &str) {
    let tree = Ordered::parse(text);
    let top = tree.keys();
    assert_eq!(
        top.first(),
        Some(&"type"),
        "message `type` is not first: {text}"
    );
    let envelope: Vec<&str> = top[1..]
        .iter()
        .copied()
        .take_while(|k| matches!(*k, "id" | "timestamp_ms" | "firehose_version"))
        .collect();
    for key in ["id", "timestamp_ms", "firehose_version"] {
        if top.contains(&key) {
            assert!(
                envelope.contains(&key),
                "envelope field {key} does not follow `type` directly: {top:?}"
            );
        }
    }
    let mut sorted = envelope.clone();
    sorted.sort_by_key(|k| {
        ["id", "timestamp_ms", "firehose_version"]
            .iter()
            .position(|e| e == k)
    });
    assert_eq!(envelope, sorted, "envelope fields out of order");
    tree.walk_objects("$", &mut |path, entries| {
        if let Some(pos) = entries.iter().position(|(k, _)| k == "type") {
            assert_eq!(pos, 0, "`type` is not the first key of {path}");
        }
        let mut keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), entries.len(), "repeated key in {path}");
    });
}

/// Whether the JSON path `error_path` is `field_path` or one of its ancestors.
pub fn path_is_at_or_above(error_path: &str, field_path: &str) -> bool {
    match field_path.strip_prefix(error_path) {
        Some("") => true,
        Some(rest) => rest.starts_with('.') || rest.starts_with('['),
        None => false,
    }
}
