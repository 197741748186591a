//! Polymorphic objects (`"type"` discriminated families, spec §3) without serde's buffering.
//!
//! serde's internally tagged enums buffer every value before dispatch, which turns `10.50` into
//! `10.5` and costs a full copy of each event. Here the common case, `type` as the first key (Java
//! always writes it first), streams straight into the variant's struct. Fields shared by every
//! variant (a family's *header*: the envelope, the event base fields, ...) are picked out of the
//! stream on the way. When `type` comes later, the object is buffered as raw JSON text, reordered,
//! and decoded again, so nothing is lost. An unrecognized `type` keeps the whole object verbatim.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{self, Serialize, SerializeMap, SerializeStruct, Serializer};
use serde_json::value::RawValue;

use super::error::{DecodeErrorKind, de_error, marked};
use super::fast::{Fast, FastFields, Reader};
use super::lenient::Scalar;

/// Fields common to every variant of a family, picked out of the variant's object.
pub(crate) trait Header: Default + Serialize {
    /// Decodes the value of `key` into `self` if `key` is one of the header's fields.
    fn take<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>;
    /// [`take`](Self::take) for the fast reader.
    fn fast_take(&mut self, key: &str, r: &mut Reader<'_>) -> Fast<bool>;
}

/// For families with no common fields.
#[derive(Default, Debug, Clone, Copy, PartialEq)]
pub(crate) struct NoHeader;

impl Header for NoHeader {
    fn take<'de, A: MapAccess<'de>>(&mut self, _: &str, _: &mut A) -> Result<bool, A::Error> {
        Ok(false)
    }
    fn fast_take(&mut self, _: &str, _: &mut Reader<'_>) -> Fast<bool> {
        Ok(false)
    }
}

impl Serialize for NoHeader {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit_struct("NoHeader")
    }
}

/// The variant part of a polymorphic family.
pub(crate) trait Body: Sized {
    /// Whether `tag` names a variant of the family.
    fn is_known(tag: &str) -> bool;
    /// Decodes the variant named `tag` (known to be known) from the remaining fields.
    fn decode<'de, D: Deserializer<'de>>(tag: &str, d: D) -> Result<Self, D::Error>;
    /// Reads the variant named `tag` (known to be known) from the rest of an object with the
    /// fast reader, handing the header's fields to `header`.
    fn fast_body<H: Header>(tag: &str, r: &mut Reader<'_>, header: &mut H) -> Fast<Self>;
    /// The wire `type` of this value.
    fn type_name(&self) -> &str;
    /// Writes the variant's own fields into an open JSON object.
    fn write_fields<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error>;
}

/// A polymorphic family: a header plus a body, or a verbatim object with an unknown `type`.
pub(crate) trait Tagged: Sized {
    /// What the family is called in error messages.
    const FAMILY: &'static str;
    type Header: Header;
    type Body: Body;
    fn assemble(header: Self::Header, body: Self::Body) -> Self;
    /// Keeps an object whose `type` is not known. Families that cannot (messages) refuse.
    fn unrecognized(raw: Unrecognized) -> Result<Self, (DecodeErrorKind, String)>;
    fn header(&self) -> &Self::Header;
    fn body(&self) -> Result<&Self::Body, &Unrecognized>;
}

/// An object whose `type` this SDK version does not know, kept exactly as it arrived so that
/// nothing is lost and re-encoding writes it back unchanged.
#[derive(Debug, Clone)]
pub struct Unrecognized {
    type_name: String,
    raw: Box<RawValue>,
}

impl Unrecognized {
    /// The `type` it was sent with.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The complete object as JSON text, `type` included.
    pub fn raw_json(&self) -> &str {
        self.raw.get()
    }

    /// The complete object as a `serde_json::Value`.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.raw.get()).unwrap_or(serde_json::Value::Null)
    }
}

impl PartialEq for Unrecognized {
    fn eq(&self, other: &Self) -> bool {
        self.type_name == other.type_name && self.raw.get() == other.raw.get()
    }
}

impl Serialize for Unrecognized {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(s)
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// A map key, borrowed from the input when it has no escapes.
pub(crate) enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl<'de> Key<'de> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }

    /// Hands the key on to the seed that decodes it, still borrowed when it was.
    pub(crate) fn feed<K: DeserializeSeed<'de>, E: de::Error>(
        self,
        seed: K,
    ) -> Result<K::Value, E> {
        match self {
            Key::Borrowed(k) => seed.deserialize(de::value::BorrowedStrDeserializer::new(k)),
            Key::Owned(k) => seed.deserialize(de::value::StringDeserializer::new(k)),
        }
    }
}

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v))
            }
        }
        d.deserialize_str(V)
    }
}

/// Reads a `type` value: a string (borrowed from the input when it has no escapes), or a
/// missing-type error for `null`.
fn read_tag<'de, A: MapAccess<'de>>(map: &mut A, family: &str) -> Result<Scalar<'de>, A::Error> {
    let tag: Option<Scalar<'de>> = map.next_value_seed(TagSeed)?;
    tag.ok_or_else(|| {
        de_error(
            DecodeErrorKind::MissingType,
            format_args!("the {family} has a null `type`"),
        )
    })
}

struct TagSeed;

impl<'de> DeserializeSeed<'de> for TagSeed {
    type Value = Option<Scalar<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        super::lenient::scalar(d)
    }
}

/// Appends `text` as a JSON string, escaped exactly as serde_json escapes it.
fn push_quoted<E: de::Error>(out: &mut String, text: &str, borrowed: bool) -> Result<(), E> {
    // Text borrowed from a JSON string had no escapes, so it holds no quote, backslash or control
    // character: serde_json would write it back unchanged between quotes.
    if borrowed && !text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push('"');
        out.push_str(text);
        out.push('"');
        Ok(())
    } else {
        out.push_str(&serde_json::to_string(text).map_err(de::Error::custom)?);
        Ok(())
    }
}

/// Passes a map through to a variant's derived visitor while taking the header's fields out.
struct Intercept<'h, A, H> {
    inner: A,
    header: &'h mut H,
}

impl<'de, A: MapAccess<'de>, H: Header> MapAccess<'de> for Intercept<'_, A, H> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        loop {
            let Some(key) = self.inner.next_key::<Key<'de>>()? else {
                return Ok(None);
            };
            if self.header.take(key.as_str(), &mut self.inner)? {
                continue;
            }
            if key.as_str() == "type" {
                // A repeated `type`: the first one wins, as in Java.
                self.inner.next_value::<IgnoredAny>()?;
                continue;
            }
            return key.feed(seed).map(Some);
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.inner.next_value_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        None
    }
}

/// Decodes a family object from a JSON map. Never inlined: a family's decoder is large, and one
/// copy serves every caller (a list element, a single event in streamed delivery, ...).
#[inline(never)]
pub(crate) fn decode_map<'de, T: Tagged, A: MapAccess<'de>>(mut map: A) -> Result<T, A::Error> {
    let Some(first) = map.next_key::<Key<'de>>()? else {
        return Err(missing_type::<T, _>());
    };
    if first.as_str() == "type" {
        let tag = read_tag(&mut map, T::FAMILY)?;
        return finish::<T, A>(&tag, map);
    }
    // Slow path: `type` is not first. Buffer the object as raw JSON and decode it again with
    // `type` moved to the front.
    let mut entries: Vec<(Key<'de>, &'de RawValue)> = Vec::new();
    let mut tag: Option<&'de RawValue> = None;
    let mut key = Some(first);
    while let Some(k) = key {
        let value: &'de RawValue = map.next_value()?;
        if k.as_str() == "type" {
            if tag.is_none() {
                tag = Some(value);
            }
        } else {
            entries.push((k, value));
        }
        key = map.next_key::<Key<'de>>()?;
    }
    let Some(tag) = tag else {
        return Err(missing_type::<T, _>());
    };
    if tag.get() == "null" {
        return Err(missing_type::<T, _>());
    }
    let mut text = String::with_capacity(
        entries
            .iter()
            .map(|(k, v)| k.as_str().len() + v.get().len() + 4)
            .sum::<usize>()
            + 32,
    );
    text.push_str("{\"type\":");
    text.push_str(tag.get());
    for (k, v) in &entries {
        text.push(',');
        push_quoted::<A::Error>(&mut text, k.as_str(), matches!(k, Key::Borrowed(_)))?;
        text.push(':');
        text.push_str(v.get());
    }
    text.push('}');
    let mut d = serde_json::Deserializer::from_str(&text);
    let value = if super::isolate::active() {
        serde_path_to_error::deserialize(super::isolate::Recording::new(&mut d))
    } else {
        serde_path_to_error::deserialize(&mut d)
    };
    let value = value.map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let (kind, sub, reason) = super::error::classify(&inner);
        let sub_path = format!("{}{sub}", super::error::relative_path(&path));
        de::Error::custom(marked(kind, &sub_path, reason))
    })?;
    Ok(FamilySeed::<T>::unwrap(value))
}

/// Reads a family object with the fast reader: streamed into its variant when `type` comes
/// first and is a known type's name (as Java writes it), otherwise by serde, on the object's
/// text alone (an unknown type is kept verbatim there, a late `type` reordered). Never inlined,
/// as [`decode_map`]: one copy serves every caller.
#[inline(never)]
pub(crate) fn fast_read<T: Tagged + de::DeserializeOwned>(r: &mut Reader<'_>) -> Fast<T> {
    let at = r.mark();
    if let Some(key) = r.first_key()? {
        if key.as_str() == "type" && r.peek() == Some(b'"') {
            let tag = r.string()?;
            if T::Body::is_known(tag.as_str()) {
                let mut header = T::Header::default();
                let body = T::Body::fast_body(tag.as_str(), r, &mut header)?;
                return Ok(T::assemble(header, body));
            }
        }
        r.rewind_object(at);
    }
    r.via_serde()
}

/// The variant's own fields from the rest of its object, as [`Intercept`] hands them over: the
/// header's fields to the header (the last of a repeated one kept), a repeated `type` skipped,
/// the rest to the variant (a repeated field gives up, as serde's derived decoder refuses it).
pub(crate) fn fast_variant<T: FastFields, H: Header>(
    r: &mut Reader<'_>,
    header: &mut H,
) -> Fast<T> {
    let mut body = T::default();
    let mut seen = 0;
    r.rest_of_object(|r, key| {
        if header.fast_take(key, r)? {
            return Ok(());
        }
        if key == "type" || !body.fast_field(key, r, &mut seen)? {
            r.skip_value()?;
        }
        Ok(())
    })?;
    Ok(body)
}

fn missing_type<T: Tagged, E: de::Error>() -> E {
    de_error(
        DecodeErrorKind::MissingType,
        format_args!("the {} has no `type`", T::FAMILY),
    )
}

fn finish<'de, T: Tagged, A: MapAccess<'de>>(tag: &Scalar<'de>, map: A) -> Result<T, A::Error> {
    let (tag, tag_borrowed) = match tag {
        Scalar::Borrowed(s) => (*s, true),
        Scalar::Owned(s) => (s.as_str(), false),
    };
    if T::Body::is_known(tag) {
        let mut header = T::Header::default();
        let body = T::Body::decode(
            tag,
            de::value::MapAccessDeserializer::new(Intercept {
                inner: map,
                header: &mut header,
            }),
        )?;
        return Ok(T::assemble(header, body));
    }
    // Keep the unknown object whole: `type` first, then the rest verbatim.
    let mut map = map;
    let mut text = String::from("{\"type\":");
    push_quoted::<A::Error>(&mut text, tag, tag_borrowed)?;
    while let Some(k) = map.next_key::<Key<'de>>()? {
        let value: &RawValue = map.next_value()?;
        if k.as_str() == "type" {
            continue;
        }
        text.push(',');
        push_quoted::<A::Error>(&mut text, k.as_str(), matches!(k, Key::Borrowed(_)))?;
        text.push(':');
        text.push_str(value.get());
    }
    text.push('}');
    let raw = RawValue::from_string(text).map_err(de::Error::custom)?;
    T::unrecognized(Unrecognized {
        type_name: tag.to_owned(),
        raw,
    })
    .map_err(|(kind, reason)| de::Error::custom(marked(kind, "", reason)))
}

/// Wraps a family type so that it can be decoded by serde_json from a buffer.
struct FamilySeed<T>(T);

impl<T> FamilySeed<T> {
    fn unwrap(v: Self) -> T {
        v.0
    }
}

impl<'de, T: Tagged> de::Deserialize<'de> for FamilySeed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize::<T, D>(d).map(FamilySeed)
    }
}

/// Decodes a family object from any deserializer (used by the `Deserialize` impls).
pub(crate) fn deserialize<'de, T: Tagged, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T: Tagged> Visitor<'de> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a {} object", T::FAMILY)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            decode_map::<T, A>(map)
        }
        fn visit_unit<E: de::Error>(self) -> Result<T, E> {
            Err(de_error(
                DecodeErrorKind::WrongType,
                format_args!("expected a {} object, found null", T::FAMILY),
            ))
        }
    }
    d.deserialize_map(V::<T>(std::marker::PhantomData))
}

// ---------------------------------------------------------------------------------------------
// Encoding

/// Writes a family object: `type`, the header's fields, then the variant's fields.
pub(crate) fn serialize<T: Tagged, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    let body = match value.body() {
        Ok(body) => body,
        Err(raw) => return raw.serialize(s),
    };
    let mut map = s.serialize_map(None)?;
    map.serialize_entry("type", body.type_name())?;
    write_struct_fields(value.header(), &mut map)?;
    body.write_fields(&mut map)?;
    map.end()
}

/// Writes the fields of a struct (serialized with derive) into an already open JSON object.
pub(crate) fn write_struct_fields<T: Serialize + ?Sized, M: SerializeMap>(
    value: &T,
    map: &mut M,
) -> Result<(), M::Error> {
    value.serialize(FieldsInto(map))
}

struct FieldsInto<'m, M>(&'m mut M);

#[derive(Debug)]
struct NotAStruct;

impl fmt::Display for NotAStruct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("only structs can be merged into a tagged object")
    }
}

/// Serializer methods that refuse, grouped by what they would return: `name(args), ... -> T;`.
macro_rules! not_a_struct {
    ($($($name:ident($($arg:ty),*)),+ -> $ret:ty;)*) => {
        $($(fn $name(self, $(_: $arg),*) -> Result<$ret, M::Error> {
            Err(ser::Error::custom(NotAStruct))
        })+)*
    };
}

impl<'m, M: SerializeMap> Serializer for FieldsInto<'m, M> {
    type Ok = ();
    type Error = M::Error;
    type SerializeSeq = ser::Impossible<(), M::Error>;
    type SerializeTuple = ser::Impossible<(), M::Error>;
    type SerializeTupleStruct = ser::Impossible<(), M::Error>;
    type SerializeTupleVariant = ser::Impossible<(), M::Error>;
    type SerializeMap = ser::Impossible<(), M::Error>;
    type SerializeStruct = Self;
    type SerializeStructVariant = ser::Impossible<(), M::Error>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, M::Error> {
        Ok(self)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), M::Error> {
        Ok(())
    }
    fn serialize_unit(self) -> Result<(), M::Error> {
        Ok(())
    }

    not_a_struct! {
        serialize_bool(bool), serialize_char(char), serialize_str(&str), serialize_bytes(&[u8]),
        serialize_i8(i8), serialize_i16(i16), serialize_i32(i32), serialize_i64(i64),
        serialize_u8(u8), serialize_u16(u16), serialize_u32(u32), serialize_u64(u64),
        serialize_f32(f32), serialize_f64(f64), serialize_none(),
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), M::Error> {
        Err(ser::Error::custom(NotAStruct))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), M::Error> {
        Err(ser::Error::custom(NotAStruct))
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), M::Error> {
        Err(ser::Error::custom(NotAStruct))
    }
}

impl<M: SerializeMap> SerializeStruct for FieldsInto<'_, M> {
    type Ok = ();
    type Error = M::Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), M::Error> {
        self.0.serialize_entry(key, value)
    }
    fn end(self) -> Result<(), M::Error> {
        Ok(())
    }
}

/// Reads a family's header fields out of a kept [`Unrecognized`] object.
pub(crate) fn header_from_raw<H: Header>(
    raw: &Unrecognized,
) -> Result<H, (DecodeErrorKind, String)> {
    struct V<H>(std::marker::PhantomData<H>);
    impl<'de, H: Header> Visitor<'de> for V<H> {
        type Value = H;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<H, A::Error> {
            let mut header = H::default();
            while let Some(key) = map.next_key::<Key<'de>>()? {
                if !header.take(key.as_str(), &mut map)? {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(header)
        }
    }
    let mut d = serde_json::Deserializer::from_str(raw.raw_json());
    let header = if super::isolate::active() {
        super::isolate::Recording::new(&mut d).deserialize_map(V::<H>(std::marker::PhantomData))
    } else {
        d.deserialize_map(V::<H>(std::marker::PhantomData))
    };
    header.map_err(|e| {
        let (kind, _, reason) = super::error::classify(&e);
        (kind, reason)
    })
}
