//! Isolating decode: one malformed list element must not cost the whole message.
//!
//! [`decode`](super::decode) first decodes strictly, as fast as it can. Only when that fails does
//! it decode again in *isolating* mode (a thread-local flag, set by [`Isolating`] and restored
//! when it drops, panics included). In that mode every list of the model ([`decode_list`])
//! captures each element as raw JSON first and decodes it on its own: an element that fails
//! becomes an [`InvalidElement`] (its raw JSON, its typed error, its JSON path), kept in place,
//! and the rest of the message decodes as usual.
//!
//! The path of an element is known because isolating mode wraps each deserializer in
//! [`Recording`], which keeps a thread-local stack of the keys and indices on the way down. The
//! valid message never meets any of this.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess,
    Visitor,
};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::error::{DecodeError, DecodeErrorKind, classify};
use super::tagged::Key;

// ---------------------------------------------------------------------------------------------
// Mode and path

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

thread_local! {
    static ISOLATING: Cell<bool> = const { Cell::new(false) };
    static PATH: RefCell<Vec<Segment>> = const { RefCell::new(Vec::new()) };
}

/// Whether this thread is decoding in isolating mode.
pub(crate) fn active() -> bool {
    ISOLATING.with(Cell::get)
}

/// Turns isolating mode on for this thread until dropped (also when a panic unwinds), then
/// restores the mode and the path stack as they were.
pub(crate) struct Isolating {
    was: bool,
    depth: usize,
}

impl Isolating {
    /// Enters isolating mode.
    pub(crate) fn enter() -> Self {
        Self {
            was: ISOLATING.with(|f| f.replace(true)),
            depth: depth(),
        }
    }
}

impl Drop for Isolating {
    fn drop(&mut self) {
        ISOLATING.with(|f| f.set(self.was));
        truncate(self.depth);
    }
}

fn depth() -> usize {
    PATH.with(|p| p.try_borrow().map_or(0, |p| p.len()))
}

fn truncate(depth: usize) {
    PATH.with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            p.truncate(depth);
        }
    });
}

fn push(segment: Segment) {
    PATH.with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            p.push(segment);
        }
    });
}

/// The JSON path the decoder is at (`$.events[2]`), as far as [`Recording`] has seen it.
pub(crate) fn current_path() -> String {
    PATH.with(|p| {
        let mut out = String::from("$");
        if let Ok(p) = p.try_borrow() {
            for segment in p.iter() {
                match segment {
                    Segment::Key(k) => {
                        out.push('.');
                        out.push_str(k);
                    }
                    Segment::Index(i) => {
                        out.push('[');
                        out.push_str(&i.to_string());
                        out.push(']');
                    }
                }
            }
        }
        out
    })
}

// ---------------------------------------------------------------------------------------------
// Invalid elements

/// A list element that could not be decoded, kept in its place.
///
/// It carries the element's JSON exactly as it arrived (re-encoding writes it back unchanged, so
/// nothing is lost), the typed error that stopped it, and where it is in the message. Partners
/// meet these through [`Partner::on_invalid_element`](crate::Partner::on_invalid_element); the
/// rest of the message is processed as usual.
///
/// `Debug` prints the path and the error kind only: the raw JSON and the error's reason may hold
/// personal data or secrets.
#[derive(Clone)]
pub struct InvalidElement {
    index: usize,
    path: String,
    raw: Box<RawValue>,
    error: DecodeError,
}

impl InvalidElement {
    pub(crate) fn new(index: usize, path: String, raw: Box<RawValue>, error: DecodeError) -> Self {
        Self {
            index,
            path,
            raw,
            error,
        }
    }

    /// The element exactly as it arrived, as JSON text. It may hold personal data: do not log it.
    pub fn raw_json(&self) -> &str {
        self.raw.get()
    }

    /// Why it could not be decoded: the kind, the JSON path of the offending value inside the
    /// element (`$.events[1].timestamp_ms`), and a reason (which may quote the value).
    pub fn error(&self) -> &DecodeError {
        &self.error
    }

    /// The kind of the failure (shorthand for `error().kind()`).
    pub fn kind(&self) -> DecodeErrorKind {
        self.error.kind()
    }

    /// The JSON path of the element itself, e.g. `$.events[1]`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The element's position in its JSON array (counting valid and invalid elements).
    pub fn index(&self) -> usize {
        self.index
    }
}

impl fmt::Debug for InvalidElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InvalidElement")
            .field("path", &self.path)
            .field("kind", &self.error.kind())
            .field("error_path", &self.error.path())
            .finish_non_exhaustive()
    }
}

impl PartialEq for InvalidElement {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index
            && self.path == other.path
            && self.raw.get() == other.raw.get()
            && self.error == other.error
    }
}

impl Serialize for InvalidElement {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(s)
    }
}

// ---------------------------------------------------------------------------------------------
// Lists

/// The elements of a JSON array: those that decoded, and, in isolating mode, those that did not.
pub(crate) struct Elements<T> {
    pub(crate) valid: Vec<T>,
    pub(crate) invalid: Vec<InvalidElement>,
}

/// Decodes a list whose `null` means empty. Strict mode decodes it as a plain `Vec`; isolating
/// mode keeps the elements that fail as [`InvalidElement`]s. A value that is not an array (nor
/// `null`) is an error either way: the list itself is damaged, not one of its elements.
pub(crate) fn decode_list<'de, D, T>(d: D) -> Result<Elements<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    if !active() {
        let valid = Option::<Vec<T>>::deserialize(d)?.unwrap_or_default();
        return Ok(Elements {
            valid,
            invalid: Vec::new(),
        });
    }
    d.deserialize_option(ListVisitor(PhantomData))
}

struct ListVisitor<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned> Visitor<'de> for ListVisitor<T> {
    type Value = Elements<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Elements {
            valid: Vec::new(),
            invalid: Vec::new(),
        })
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut valid = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        let mut invalid = Vec::new();
        let mut index = 0;
        let base = depth();
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            // `Recording` left this element's index on the stack; make sure of it either way.
            truncate(base);
            push(Segment::Index(index));
            match decode_element::<T>(&raw) {
                Ok(value) => valid.push(value),
                Err(error) => invalid.push(InvalidElement::new(index, current_path(), raw, error)),
            }
            truncate(base);
            index += 1;
        }
        Ok(Elements { valid, invalid })
    }
}

/// Decodes element `index` of the message's list `key`, taken out of the message (streamed
/// delivery): in isolating mode, under the path the whole decode would give it, so that the
/// element, its own invalid elements and its error are the ones the whole decode finds.
pub(crate) fn decode_listed<T: DeserializeOwned>(
    raw: &RawValue,
    key: &str,
    index: usize,
) -> Result<T, InvalidElement> {
    let _isolating = Isolating::enter();
    push(Segment::Key(key.to_owned()));
    push(Segment::Index(index));
    decode_element::<T>(raw)
        .map_err(|error| InvalidElement::new(index, current_path(), raw.to_owned(), error))
}

/// Decodes one captured element; the error's path is the element's path plus the path inside it.
/// Never inlined: each copy of the decoders it instantiates (with path recording, and with
/// `serde_path_to_error`) costs the binary hundreds of kilobytes.
#[inline(never)]
fn decode_element<T: DeserializeOwned>(raw: &RawValue) -> Result<T, DecodeError> {
    let depth = depth();
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let first = T::deserialize(Recording::new(&mut de));
    truncate(depth);
    let first = match first {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let here = current_path();
    // Again with path tracking, to say where inside the element it fails (rare: only for
    // elements that fail).
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let second = serde_path_to_error::deserialize::<_, T>(&mut de);
    truncate(depth);
    let error = match second {
        Err(e) => DecodeError::from_serde(e),
        Ok(_) => {
            let (kind, sub, reason) = classify(&first);
            DecodeError::new(kind, format!("${sub}"), reason)
        }
    };
    let inner = error.path().strip_prefix('$').unwrap_or_default();
    Err(DecodeError::new(
        error.kind(),
        format!("{here}{inner}"),
        error.reason(),
    ))
}

// ---------------------------------------------------------------------------------------------
// Recording the path

/// Wraps a deserializer so that every map key and sequence index on the way down is pushed on
/// the thread's path stack (and taken off again on the way up, also after an error). Used only
/// in isolating mode.
pub(crate) struct Recording<D>(D);

impl<D> Recording<D> {
    /// Wraps `d`.
    pub(crate) fn new(d: D) -> Self {
        Self(d)
    }
}

/// The visitor side of [`Recording`].
struct Rec<V>(V);

macro_rules! forward_deserialize {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method($($arg,)* Rec(visitor))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Recording<D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        // Raw JSON is opaque: no keys to record, and serde_json must see its own visitor.
        if name == RAW_VALUE_TOKEN {
            return self.0.deserialize_newtype_struct(name, visitor);
        }
        self.0.deserialize_newtype_struct(name, Rec(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// The name serde_json gives `RawValue` (`serde_json::value::RawValue` through serde).
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            self.0.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Rec<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    forward_visit! {
        visit_bool(bool);
        visit_i8(i8);
        visit_i16(i16);
        visit_i32(i32);
        visit_i64(i64);
        visit_i128(i128);
        visit_u8(u8);
        visit_u16(u16);
        visit_u32(u32);
        visit_u64(u64);
        visit_u128(u128);
        visit_f32(f32);
        visit_f64(f64);
        visit_char(char);
        visit_str(&str);
        visit_borrowed_str(&'de str);
        visit_string(String);
        visit_bytes(&[u8]);
        visit_borrowed_bytes(&'de [u8]);
        visit_byte_buf(Vec<u8>);
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
        self.0.visit_some(Recording(d))
    }

    fn visit_newtype_struct<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
        self.0.visit_newtype_struct(Recording(d))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let depth = depth();
        let out = self.0.visit_seq(RecSeq {
            inner: seq,
            depth,
            index: 0,
        });
        truncate(depth);
        out
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let depth = depth();
        let out = self.0.visit_map(RecMap { inner: map, depth });
        truncate(depth);
        out
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.0.visit_enum(data)
    }
}

/// A value seed whose deserializer records too.
struct RecSeed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for RecSeed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Recording(d))
    }
}

struct RecSeq<A> {
    inner: A,
    depth: usize,
    index: usize,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for RecSeq<A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        truncate(self.depth);
        push(Segment::Index(self.index));
        self.index += 1;
        let out = self.inner.next_element_seed(RecSeed(seed));
        if !matches!(out, Ok(Some(_))) {
            truncate(self.depth);
        }
        out
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

struct RecMap<A> {
    inner: A,
    depth: usize,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for RecMap<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        truncate(self.depth);
        let Some(key) = self.inner.next_key::<Key<'de>>()? else {
            return Ok(None);
        };
        push(Segment::Key(key.as_str().to_owned()));
        key.feed(seed).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.next_value_seed(RecSeed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Item {
        n: i32,
    }

    #[derive(Debug, serde::Deserialize)]
    struct Outer {
        #[serde(default, deserialize_with = "items")]
        items: (Vec<Item>, Vec<InvalidElement>),
        #[serde(default)]
        nested: Option<Box<Outer>>,
    }

    fn items<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<(Vec<Item>, Vec<InvalidElement>), D::Error> {
        let e = decode_list::<D, Item>(d)?;
        Ok((e.valid, e.invalid))
    }

    fn isolating(text: &str) -> Result<Outer, serde_json::Error> {
        let _on = Isolating::enter();
        let mut de = serde_json::Deserializer::from_str(text);
        Outer::deserialize(Recording::new(&mut de))
    }

    #[test]
    fn strict_mode_fails_on_one_bad_element() {
        assert!(!active());
        assert!(serde_json::from_str::<Outer>(r#"{"items":[{"n":1},null]}"#).is_err());
        let ok: Outer = serde_json::from_str(r#"{"items":[{"n":1}]}"#).unwrap();
        assert_eq!(ok.items.0, vec![Item { n: 1 }]);
    }

    #[test]
    fn isolating_mode_keeps_bad_elements_with_their_paths() {
        let out = isolating(
            r#"{"items":[{"n":1},null,{"n":"x"}],"nested":{"items":[5, {"n":2}, {"n":[]}]}}"#,
        )
        .unwrap();
        assert_eq!(out.items.0, vec![Item { n: 1 }]);
        let bad: Vec<(&str, &str, usize, &str)> = out
            .items
            .1
            .iter()
            .map(|e| (e.path(), e.error().path(), e.index(), e.raw_json()))
            .collect();
        assert_eq!(
            bad,
            vec![
                ("$.items[1]", "$.items[1]", 1, "null"),
                ("$.items[2]", "$.items[2].n", 2, r#"{"n":"x"}"#),
            ]
        );
        let nested = out.nested.unwrap();
        assert_eq!(nested.items.0, vec![Item { n: 2 }]);
        let paths: Vec<&str> = nested.items.1.iter().map(InvalidElement::path).collect();
        assert_eq!(paths, ["$.nested.items[0]", "$.nested.items[2]"]);
        assert_eq!(nested.items.1[1].kind(), DecodeErrorKind::WrongType);
        // The mode and the stack are restored.
        assert!(!active());
        assert_eq!(depth(), 0);
    }

    #[test]
    fn a_list_that_is_not_a_list_is_still_an_error() {
        assert!(isolating(r#"{"items":"none"}"#).is_err());
        assert!(isolating(r#"{"items":null}"#).unwrap().items.0.is_empty());
        assert_eq!(depth(), 0);
    }

    #[test]
    fn the_mode_is_restored_after_a_panic() {
        let caught = std::panic::catch_unwind(|| {
            let _on = Isolating::enter();
            push(Segment::Key("k".into()));
            assert!(active());
            panic!("boom");
        });
        assert!(caught.is_err());
        assert!(!active());
        assert_eq!(depth(), 0);
    }

    #[test]
    fn debug_hides_the_raw_json() {
        let out = isolating(r#"{"items":[{"n":"secret@example.com"}]}"#).unwrap();
        let text = format!("{:?}", out.items.1[0]);
        assert!(!text.contains("secret"), "{text}");
        assert!(
            text.contains("$.items[0]") && text.contains("WrongType"),
            "{text}"
        );
        assert_eq!(
            serde_json::to_string(&out.items.1[0]).unwrap(),
            r#"{"n":"secret@example.com"}"#
        );
    }
}
