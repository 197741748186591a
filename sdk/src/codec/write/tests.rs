//! The writer against serde_json, byte for byte.

use super::*;
use proptest::prelude::*;
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// Any JSON value, strings with control characters, quotes, backslashes and non-ASCII text.
fn json_value() -> impl Strategy<Value = Value> {
    let text = "(?s).{0,40}|[\"\\\\\u{0}-\u{1f}a-z\u{7f}é€😀]{0,40}";
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text.prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(text, inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn strings_are_written_as_serde_json_writes_them(text in "(?s).{0,80}") {
        prop_assert_eq!(to_vec(&text).unwrap(), serde_json::to_vec(&text).unwrap());
    }

    #[test]
    fn strings_of_escapes_are_written_as_serde_json_writes_them(
        text in "[\"\\\\\u{0}-\u{1f}a-z\u{7f}é€😀]{0,64}",
    ) {
        prop_assert_eq!(to_vec(&text).unwrap(), serde_json::to_vec(&text).unwrap());
    }

    #[test]
    fn values_are_written_as_serde_json_writes_them(value in json_value()) {
        prop_assert_eq!(to_vec(&value).unwrap(), serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn floats_are_written_as_serde_json_writes_them(f in any::<f64>(), g in any::<f32>()) {
        prop_assert_eq!(to_vec(&(f, g)).unwrap(), serde_json::to_vec(&(f, g)).unwrap());
    }
}

#[test]
fn every_byte_value_is_escaped_as_serde_json_escapes_it() {
    for byte in 0u8..0x80 {
        let text = format!("ab{}cdefghij{}", char::from(byte), char::from(byte));
        assert_eq!(
            to_vec(&text).unwrap(),
            serde_json::to_vec(&text).unwrap(),
            "byte {byte:#x}"
        );
    }
}

#[test]
fn serde_json_tells_the_name_of_its_raw_values() {
    // Without it, encoding falls back to serde_json: the same bytes, without the speed.
    assert!(raw_value_name().is_some());
}

#[test]
fn an_escape_at_any_place_of_a_short_or_long_string_is_found() {
    for len in 0..=20 {
        for at in 0..len {
            for special in ['"', '\\', '\n', '\u{1}', '\u{1f}', 'é'] {
                let mut text: String = "abcdefghijklmnopqrstu".chars().take(len).collect();
                text.replace_range(at..=at, special.encode_utf8(&mut [0; 4]));
                assert_eq!(
                    to_vec(&text).unwrap(),
                    serde_json::to_vec(&text).unwrap(),
                    "{text:?}"
                );
            }
        }
    }
}

#[derive(serde::Serialize)]
enum Shapes {
    Unit,
    Newtype(u8),
    Tuple(u8, char),
    Struct { a: Option<u8>, b: Vec<u8> },
}

#[derive(serde::Serialize)]
struct Wrapper(bool);

#[test]
fn every_serde_shape_is_written_as_serde_json_writes_it() {
    let raw = RawValue::from_string(r#"{"kept" : [1.50, "as is"]}"#.to_owned()).unwrap();
    let mut keys = BTreeMap::new();
    keys.insert(7i32, ());
    let value = (
        [Shapes::Unit, Shapes::Newtype(1), Shapes::Tuple(2, '"')],
        Shapes::Struct { a: None, b: vec![] },
        (
            Wrapper(true),
            (),
            Some(f64::NAN),
            f32::INFINITY,
            u128::MAX,
            i128::MIN,
        ),
        (&raw, Some(&raw), serde_bytes_like(), keys),
        [(true, 1u8), (false, 2)]
            .into_iter()
            .collect::<BTreeMap<_, _>>(),
    );
    assert_eq!(to_vec(&value).unwrap(), serde_json::to_vec(&value).unwrap());
}

fn serde_bytes_like() -> impl Serialize {
    struct Bytes;
    impl Serialize for Bytes {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(&[0, 1, 255])
        }
    }
    Bytes
}

#[test]
fn keys_that_are_not_strings_numbers_or_booleans_are_refused() {
    let mut map = BTreeMap::new();
    map.insert(vec![1u8], 2u8);
    assert!(to_vec(&map).is_err());
    assert!(serde_json::to_vec(&map).is_err());
    let mut floats = std::collections::HashMap::new();
    floats.insert(Key64(f64::NAN), 1);
    assert!(to_vec(&floats).is_err());
    assert!(serde_json::to_vec(&floats).is_err());
}

#[derive(PartialEq)]
struct Key64(f64);
impl Eq for Key64 {}
impl std::hash::Hash for Key64 {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}
impl Serialize for Key64 {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0)
    }
}
