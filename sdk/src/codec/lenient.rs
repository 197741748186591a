//! Field decoders that accept what real traffic carries (the coercions Jackson applies, spec
//! §2.3) and field encoders that follow Java's inclusion rules. Used through
//! `#[serde(deserialize_with = ...)]`, `serialize_with` and `skip_serializing_if`.

use compact_str::CompactString;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::Serialize;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde_json::value::RawValue;
use uuid::Uuid;

use super::error::{DecodeErrorKind, de_error};

fn wrong_type<E: de::Error>(expected: &str, found: &str) -> E {
    de_error(
        DecodeErrorKind::WrongType,
        format_args!("expected {expected}, found {found}"),
    )
}

/// What a lenient visitor names in its wrong-type errors ("expected *a boolean*, found an array").
trait Expects {
    fn expects(&self) -> &'static str;
}

/// The [`Visitor`] methods the lenient visitors share: `null` reads as `$null`, a present option
/// is looked through, and each JSON kind listed after `reject` is a wrong-type error naming
/// [`Expects::expects`]. Written once so that every decoder refuses the same kinds the same way.
macro_rules! lenient_visits {
    (null => $null:expr; reject $($kind:ident)*) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($null)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($null)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        $(lenient_visits!(@reject $kind);)*
    };
    (@reject boolean) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err(wrong_type(self.expects(), "a boolean"))
        }
    };
    (@reject number) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err(wrong_type(self.expects(), "a number"))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err(wrong_type(self.expects(), "a number"))
        }
        lenient_visits!(@reject_f64 "a number");
    };
    (@reject fraction) => {
        lenient_visits!(@reject_f64 "a fractional number");
    };
    (@reject_f64 $found:literal) => {
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err(wrong_type(self.expects(), $found))
        }
    };
    (@reject string) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Err(wrong_type(self.expects(), "a string"))
        }
    };
    (@reject object) => {
        fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(wrong_type(self.expects(), "an object"))
        }
    };
    (@reject array) => {
        fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(wrong_type(self.expects(), "an array"))
        }
    };
}

/// A scalar read as text, borrowed from the input when it needs no unescaping.
pub(crate) enum Scalar<'de> {
    /// A string without escapes, or a number or boolean exactly as written.
    Borrowed(&'de str),
    /// A string that had escapes.
    Owned(String),
}

impl<'de> Scalar<'de> {
    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Scalar::Borrowed(s) => s,
            Scalar::Owned(s) => s,
        }
    }

    /// The text as the model's string type: a short borrowed text is copied inline, an unescaped
    /// text keeps its buffer.
    fn into_text<S: From<&'de str> + From<String>>(self) -> S {
        match self {
            Scalar::Borrowed(s) => S::from(s),
            Scalar::Owned(s) => S::from(s),
        }
    }
}

thread_local! {
    /// Whether this thread is in a first decode pass that reads scalars quickly (see
    /// [`QuickScalars`]).
    static QUICK: Cell<bool> = const { Cell::new(false) };
}

/// Reads text fields without capturing each value's raw JSON first, until dropped (also when a
/// panic unwinds).
///
/// Capturing the raw text is what keeps a number in a text field exactly as written (`1.50`
/// stays `"1.50"`), but it costs every string value a second look. Real batches carry strings
/// in text fields, so [`decode`](super::decode)'s first pass reads strings, booleans and `null`
/// as they come and refuses anything else; when that pass fails for any reason, the document is
/// read again as before, so what a message decodes to, or which error it gets, does not change.
pub(crate) struct QuickScalars {
    was: bool,
}

impl QuickScalars {
    /// Enters quick mode.
    pub(crate) fn enter() -> Self {
        Self {
            was: QUICK.with(|q| q.replace(true)),
        }
    }
}

impl Drop for QuickScalars {
    fn drop(&mut self) {
        QUICK.with(|q| q.set(self.was));
    }
}

/// A text field's value in quick mode: a string (borrowed when it has no escapes), a boolean or
/// `null`. Anything else needs its exact text: the error stops the pass, to be read again.
struct QuickScalar;

impl Expects for QuickScalar {
    fn expects(&self) -> &'static str {
        "a string"
    }
}

impl<'de> Visitor<'de> for QuickScalar {
    type Value = Option<Scalar<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, a boolean or null")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Scalar::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Scalar::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(Scalar::Owned(v)))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(Scalar::Borrowed(if v { "true" } else { "false" })))
    }
    lenient_visits!(null => None; reject number object array);
}

/// Reads any JSON scalar as text (see [`string`]) without copying it when it can be borrowed.
pub(crate) fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Scalar<'de>>, D::Error> {
    if QUICK.with(Cell::get) {
        return d.deserialize_any(QuickScalar);
    }
    let raw: &'de RawValue = Deserialize::deserialize(d)?;
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'"') => {
            let inner = &text[1..text.len() - 1];
            if inner.contains('\\') {
                serde_json::from_str::<String>(text)
                    .map(|s| Some(Scalar::Owned(s)))
                    .map_err(de::Error::custom)
            } else {
                Ok(Some(Scalar::Borrowed(inner)))
            }
        }
        Some(b'n') => Ok(None),
        Some(b'{') => Err(wrong_type("a string", "an object")),
        Some(b'[') => Err(wrong_type("a string", "an array")),
        // A number or a boolean, exactly as written.
        _ => Ok(Some(Scalar::Borrowed(text))),
    }
}

/// Accepts any JSON scalar as text, as Jackson does: a number keeps the digits it was written
/// with (`1.50` becomes `"1.50"`, a 23-digit id is not rounded), `true` becomes `"true"`;
/// `null` is `None`.
pub fn string<'de, D, S>(d: D) -> Result<Option<S>, D::Error>
where
    D: Deserializer<'de>,
    S: From<&'de str> + From<String>,
{
    Ok(scalar(d)?.map(Scalar::into_text))
}

/// A number read leniently: JSON numbers, numeric strings; `null` is `None`.
#[derive(Clone, Copy)]
enum Num {
    Int(i128),
    Float(f64),
}

struct NumVisitor(&'static str);

impl Expects for NumVisitor {
    fn expects(&self) -> &'static str {
        self.0
    }
}

impl<'de> Visitor<'de> for NumVisitor {
    type Value = Option<Num>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Num::Int(v.into())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Num::Int(v.into())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(Num::Float(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(None);
        }
        if let Ok(i) = t.parse::<i128>() {
            return Ok(Some(Num::Int(i)));
        }
        match t.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Some(Num::Float(f))),
            _ => Err(de_error(
                DecodeErrorKind::InvalidValue,
                format_args!("expected {}, found the string {v:?}", self.0),
            )),
        }
    }
    lenient_visits!(null => None; reject boolean object array);
}

fn integer<'de, D: Deserializer<'de>, T: TryFrom<i128>>(
    d: D,
    what: &'static str,
) -> Result<Option<T>, D::Error> {
    let n = d.deserialize_any(NumVisitor(what))?;
    let whole = match n {
        None => return Ok(None),
        Some(Num::Int(i)) => i,
        // Jackson truncates a fractional number into an integer field.
        Some(Num::Float(f)) if f.is_finite() && f.abs() < 1e38 => f.trunc() as i128,
        Some(Num::Float(f)) => {
            return Err(de_error(
                DecodeErrorKind::OutOfRange,
                format_args!("{f} does not fit {what}"),
            ));
        }
    };
    T::try_from(whole).map(Some).map_err(|_| {
        de_error(
            DecodeErrorKind::OutOfRange,
            format_args!("{whole} does not fit {what}"),
        )
    })
}

/// A 32-bit integer (Java `int`); `null` or absent is 0; out-of-range values are an error.
pub fn i32<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    Ok(integer(d, "a 32-bit integer")?.unwrap_or_default())
}

/// An optional 32-bit integer (Java `Integer`).
pub fn opt_i32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    integer(d, "a 32-bit integer")
}

/// A 64-bit integer (Java `long`); `null` or absent is 0.
pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(integer(d, "a 64-bit integer")?.unwrap_or_default())
}

/// An optional 64-bit integer (Java `Long`).
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    integer(d, "a 64-bit integer")
}

/// An optional floating-point number (Java `Double`).
pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match d.deserialize_any(NumVisitor("a number"))? {
        None => None,
        Some(Num::Int(i)) => Some(i as f64),
        Some(Num::Float(f)) => Some(f),
    })
}

/// A floating-point number (Java `double`); `null` or absent is 0.0.
pub fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(opt_f64(d)?.unwrap_or_default())
}

struct BoolVisitor;

impl Expects for BoolVisitor {
    fn expects(&self) -> &'static str {
        "a boolean"
    }
}

impl<'de> Visitor<'de> for BoolVisitor {
    type Value = Option<bool>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match v.trim() {
            t if t.eq_ignore_ascii_case("true") => Ok(Some(true)),
            t if t.eq_ignore_ascii_case("false") => Ok(Some(false)),
            "" => Ok(None),
            _ => Err(de_error(
                DecodeErrorKind::InvalidValue,
                format_args!("expected a boolean, found the string {v:?}"),
            )),
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v != 0))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v != 0))
    }
    lenient_visits!(null => None; reject fraction object array);
}

/// A boolean (Java `boolean`): `true`/`false`, `"true"`/`"false"`, `1`/`0`; `null` is false.
pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(d.deserialize_any(BoolVisitor)?.unwrap_or_default())
}

/// Like [`bool`], but `null` or absent is `true` (setting `visible`).
pub fn bool_default_true<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(d.deserialize_any(BoolVisitor)?.unwrap_or(true))
}

/// An optional boolean (Java `Boolean`).
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    d.deserialize_any(BoolVisitor)
}

/// A UUID (message and event `id`); `null` is `None`. Hex case is ignored.
pub fn uuid<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Uuid>, D::Error> {
    match scalar(d)? {
        None => Ok(None),
        Some(s) => {
            let s = s.as_str();
            Uuid::parse_str(s.trim()).map(Some).map_err(|e| {
                de_error(
                    DecodeErrorKind::InvalidValue,
                    format_args!("{s:?} is not a UUID: {e}"),
                )
            })
        }
    }
}

/// A string read leniently, for use inside collections.
struct Text(Option<CompactString>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        string(d).map(Text)
    }
}

/// A map of strings to strings as the model keeps it: built from all its pairs at once (a later
/// equal key replaces the earlier one), read back in key order. The model's `StringMap` is the
/// one implementation; a trait keeps the codec from naming model types.
pub(crate) trait TextMap: Default {
    /// The map of `pairs`, in the order they were read.
    fn from_pairs(pairs: Vec<(CompactString, CompactString)>) -> Self;
    /// The entries, in key order.
    fn entries(&self) -> impl Iterator<Item = (&CompactString, &CompactString)>;
}

/// A string-to-string map (attributes, setting values). Scalars are read as text; entries whose
/// value is `null` are dropped (Java would drop them on output anyway); `null` is an empty map.
pub(crate) fn string_map<'de, D: Deserializer<'de>, M: TextMap>(d: D) -> Result<M, D::Error> {
    struct MapVisitor<M>(PhantomData<M>);
    impl<M> Expects for MapVisitor<M> {
        fn expects(&self) -> &'static str {
            "an object"
        }
    }
    impl<'de, M: TextMap> Visitor<'de> for MapVisitor<M> {
        type Value = M;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of strings")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            // Collected first and handed over at once: a map kept sorted in one vector must not
            // be built one insert at a time (a hostile object of many keys would be quadratic).
            let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
            while let Some(key) = map.next_key::<CompactString>()? {
                let Text(value) = map.next_value()?;
                if let Some(value) = value {
                    pairs.push((key, value));
                }
            }
            Ok(M::from_pairs(pairs))
        }
        lenient_visits!(null => M::default(); reject array string number boolean);
    }
    d.deserialize_any(MapVisitor(PhantomData))
}

/// A map of values of type `T`; `null` is an empty map.
pub fn map<'de, D: Deserializer<'de>, K: Deserialize<'de> + Ord, T: Deserialize<'de>>(
    d: D,
) -> Result<BTreeMap<K, T>, D::Error> {
    Ok(Option::<BTreeMap<K, T>>::deserialize(d)?.unwrap_or_default())
}

/// A map whose values are string maps (`apple_search_ads_attribution`).
pub(crate) fn nested_string_map<'de, D: Deserializer<'de>, M: TextMap>(
    d: D,
) -> Result<BTreeMap<CompactString, M>, D::Error> {
    struct Lenient<M>(M);
    impl<'de, M: TextMap> Deserialize<'de> for Lenient<M> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            string_map(d).map(Lenient)
        }
    }
    let m: BTreeMap<CompactString, Lenient<M>> = map(d)?;
    Ok(m.into_iter().map(|(k, v)| (k, v.0)).collect())
}

/// An enum value (a wire string); `null` is `None`.
pub fn opt_enum<'de, D: Deserializer<'de>, T: FromStr>(d: D) -> Result<Option<T>, D::Error> {
    struct EnumVisitor<T>(PhantomData<T>);
    impl<T> Expects for EnumVisitor<T> {
        fn expects(&self) -> &'static str {
            "a string"
        }
    }
    impl<'de, T: FromStr> Visitor<'de> for EnumVisitor<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(T::from_str(v).ok())
        }
        lenient_visits!(null => None; reject number boolean object array);
    }
    d.deserialize_any(EnumVisitor(PhantomData))
}

/// An enum carried in a Java `String` field (`source_channel`): any scalar is read as its text,
/// as for other string fields, and the text is then the enum's value (known or `Other`); `null`
/// is `None`.
pub fn opt_enum_text<'de, D: Deserializer<'de>, T: FromStr>(d: D) -> Result<Option<T>, D::Error> {
    Ok(scalar(d)?.and_then(|s| T::from_str(s.as_str()).ok()))
}

// ---- output inclusion rules (spec §2.1) ----

/// `if true`: the flag is written only when set.
pub fn is_false(v: &bool) -> bool {
    !*v
}

/// `non-empty` for strings: omitted when absent or `""`.
pub fn is_blank<S: AsRef<str>>(v: &Option<S>) -> bool {
    v.as_ref().is_none_or(|s| s.as_ref().is_empty())
}

/// `non-empty` for string maps: omitted when every entry would be dropped.
pub(crate) fn map_is_blank<M: TextMap>(m: &M) -> bool {
    m.entries().all(|(_, v)| v.is_empty())
}

/// `non-empty` for nested string maps.
pub(crate) fn nested_map_is_blank<M: TextMap>(m: &BTreeMap<CompactString, M>) -> bool {
    m.values().all(map_is_blank)
}

/// Writes `entries` as a JSON object; the field encoders pass the entries Java would include.
pub(crate) fn write_entries<K, V, S>(
    entries: impl IntoIterator<Item = (K, V)>,
    s: S,
) -> Result<S::Ok, S::Error>
where
    K: Serialize,
    V: Serialize,
    S: Serializer,
{
    let mut out = s.serialize_map(None)?;
    for (k, v) in entries {
        out.serialize_entry(&k, &v)?;
    }
    out.end()
}

/// Writes a string map without its empty entries (Java's content inclusion).
pub(crate) fn write_string_map<S: Serializer, M: TextMap>(m: &M, s: S) -> Result<S::Ok, S::Error> {
    write_entries(m.entries().filter(|(_, v)| !v.is_empty()), s)
}

/// Writes a nested string map without its empty entries, at both levels.
pub(crate) fn write_nested_map<S: Serializer, M: TextMap>(
    m: &BTreeMap<CompactString, M>,
    s: S,
) -> Result<S::Ok, S::Error> {
    struct Inner<'a, M>(&'a M);
    impl<M: TextMap> Serialize for Inner<'_, M> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            write_string_map(self.0, s)
        }
    }
    let kept = m.iter().filter(|(_, v)| !map_is_blank(*v));
    write_entries(kept.map(|(k, v)| (k, Inner(v))), s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StringMap;

    type Json<'a> = serde_json::Deserializer<serde_json::de::StrRead<'a>>;

    /// Reads each JSON text of `refused` with `read`, which must refuse it as `expected`, found
    /// the kind paired with the text.
    fn assert_refuses<T: fmt::Debug>(
        expected: &str,
        refused: &[(&str, &str)],
        read: impl Fn(&mut Json<'_>) -> Result<T, serde_json::Error>,
    ) {
        for (json, found) in refused {
            let mut de = serde_json::Deserializer::from_str(json);
            let text = read(&mut de).expect_err(json).to_string();
            let want = format!("expected {expected}, found {found}");
            assert!(text.contains(&want), "{json}: {text}");
        }
    }

    #[test]
    fn each_decoder_names_what_it_expected_and_what_it_found() {
        let (boolean, object, array) = (
            ("true", "a boolean"),
            ("{}", "an object"),
            ("[]", "an array"),
        );
        let numbers = [("1", "a number"), ("-1", "a number"), ("1.5", "a number")];
        assert_refuses("a 32-bit integer", &[boolean, object, array], |d| {
            opt_i32(d)
        });
        assert_refuses("a 64-bit integer", &[object], |d| i64(d));
        assert_refuses("a number", &[array], |d| opt_f64(d));
        assert_refuses(
            "a boolean",
            &[("1.5", "a fractional number"), object, array],
            |d| opt_bool(d),
        );
        let not_objects = [array, ("\"x\"", "a string"), ("false", "a boolean")];
        assert_refuses("an object", &[&numbers[..], &not_objects].concat(), |d| {
            string_map::<_, StringMap>(d)
        });
        let not_strings = [boolean, object, array];
        assert_refuses("a string", &[&numbers[..], &not_strings].concat(), |d| {
            opt_enum::<_, String>(d)
        });
    }

    #[test]
    fn quick_mode_reads_strings_and_refuses_what_needs_its_exact_text() {
        let read = |json: &str| -> Result<Option<String>, serde_json::Error> {
            string(&mut serde_json::Deserializer::from_str(json))
        };
        let quick = QuickScalars::enter();
        assert_eq!(read(r#""a\"b""#).unwrap().as_deref(), Some("a\"b"));
        assert_eq!(read(r#""plain""#).unwrap().as_deref(), Some("plain"));
        assert_eq!(read("true").unwrap().as_deref(), Some("true"));
        assert_eq!(read("null").unwrap(), None);
        for exact in ["1.50", "-0", "123456789012345678901234", "{}", "[]"] {
            assert!(read(exact).is_err(), "{exact}");
        }
        drop(quick);
        assert_eq!(read("1.50").unwrap().as_deref(), Some("1.50"));
        assert_eq!(read("-0").unwrap().as_deref(), Some("-0"));
    }

    #[test]
    fn a_number_in_a_text_field_keeps_its_digits_through_decode() {
        // The quick pass stops at `1.50`; the document is read again, exactly.
        let json = br#"{"a": "x", "b": 1.50, "c": 12345678901234567890123}"#;
        let map: BTreeMap<CompactString, Text> = crate::codec::decode(json).unwrap();
        let text = |k: &str| map[k].0.as_deref().map(str::to_owned);
        assert_eq!(text("a").as_deref(), Some("x"));
        assert_eq!(text("b").as_deref(), Some("1.50"));
        assert_eq!(text("c").as_deref(), Some("12345678901234567890123"));
        assert!(!QUICK.with(Cell::get), "quick mode ends with its pass");
    }

    #[test]
    fn null_is_the_decoders_empty_value() {
        fn read(json: &str) -> serde_json::Deserializer<serde_json::de::StrRead<'_>> {
            serde_json::Deserializer::from_str(json)
        }
        assert_eq!(opt_i32(&mut read("null")).ok(), Some(None));
        assert_eq!(f64(&mut read("null")).ok(), Some(0.0));
        assert_eq!(bool_default_true(&mut read("null")).ok(), Some(true));
        assert_eq!(string_map(&mut read("null")).ok(), Some(StringMap::new()));
        assert_eq!(opt_enum::<_, String>(&mut read("null")).ok(), Some(None));
    }

    #[test]
    fn written_maps_leave_out_empty_entries() {
        let inner = StringMap::from([("a", "1"), ("b", "")]);
        let nested = BTreeMap::from([
            ("x".into(), inner.clone()),
            ("y".into(), StringMap::from([("c", "")])),
        ]);
        let mut out = Vec::new();
        write_string_map(&inner, &mut serde_json::Serializer::new(&mut out)).expect("writes");
        assert_eq!(String::from_utf8_lossy(&out), r#"{"a":"1"}"#);
        out.clear();
        write_nested_map(&nested, &mut serde_json::Serializer::new(&mut out)).expect("writes");
        assert_eq!(String::from_utf8_lossy(&out), r#"{"x":{"a":"1"}}"#);
    }
}
