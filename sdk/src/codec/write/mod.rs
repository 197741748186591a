//! The JSON writer behind [`encode`](super::encode): compact JSON, byte for byte what serde_json
//! writes, with faster strings.
//!
//! serde_json looks up every byte of every string in its escape table. Model text is short and
//! almost never needs an escape, so this writer tests eight bytes at a time and copies clean text
//! a word at a time; only from a byte that needs an escape on is a string walked byte by byte.
//! Everything else follows serde_json exactly: integers through `itoa` and floats through `zmij`
//! (the crates serde_json formats with), non-finite floats as `null`, raw values verbatim, and map
//! keys as serde_json accepts them (strings, and numbers and booleans in quotes). The tests
//! compare the two writers on arbitrary values and on generated messages.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::sync::OnceLock;

use serde::ser::{self, Impossible, Serialize};
use serde_json::Error;
use serde_json::value::RawValue;

mod string;

pub(in crate::codec) use string::escape_in;
use string::push_string;

/// Writes `value` as compact JSON into a new buffer.
pub(crate) fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    let Some(raw_value) = raw_value_name() else {
        return serde_json::to_vec(value);
    };
    let mut writer = Writer {
        out: Vec::with_capacity(256),
        raw_value,
    };
    value.serialize(&mut writer)?;
    Ok(writer.out)
}

/// The name serde_json's `RawValue` serializes under: a one-field struct of that name holding the
/// raw text, which is written verbatim. The name is not serde_json's public API, so serde_json is
/// asked once: a raw value written as an ordinary struct shows the name as its one key, and
/// written with that name it must come out as serde_json writes it. `None` when serde_json writes
/// raw values some other way; [`to_vec`] then leaves the writing to serde_json.
fn raw_value_name() -> Option<&'static str> {
    static NAME: OnceLock<Option<&'static str>> = OnceLock::new();
    *NAME.get_or_init(|| {
        let raw: &RawValue = serde_json::from_str(r#"{"a": [1.50]}"#).ok()?;
        let mut plain = Writer {
            out: Vec::new(),
            raw_value: "",
        };
        raw.serialize(&mut plain).ok()?;
        let object: BTreeMap<String, String> = serde_json::from_slice(&plain.out).ok()?;
        let mut keys = object.into_keys();
        let (Some(name), None) = (keys.next(), keys.next()) else {
            return None;
        };
        // Once per process, so that every writer can hold it.
        let name: &'static str = Box::leak(name.into_boxed_str());
        let mut raw_writer = Writer {
            out: Vec::new(),
            raw_value: name,
        };
        raw.serialize(&mut raw_writer).ok()?;
        (raw_writer.out == serde_json::to_vec(raw).ok()?).then_some(name)
    })
}

/// The serializer: appends to its buffer.
struct Writer {
    out: Vec<u8>,
    /// See [`raw_value_name`].
    raw_value: &'static str,
}

impl Writer {
    fn integer(&mut self, value: impl itoa::Integer) -> Result<(), Error> {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
        Ok(())
    }

    /// A finite float as serde_json writes it; `null` for the others.
    fn float(&mut self, value: impl zmij::Float + Into<f64> + Copy) -> Result<(), Error> {
        if value.into().is_finite() {
            self.out
                .extend_from_slice(zmij::Buffer::new().format_finite(value).as_bytes());
        } else {
            self.out.extend_from_slice(b"null");
        }
        Ok(())
    }

    fn bool(&mut self, value: bool) -> Result<(), Error> {
        let text: &[u8] = if value { b"true" } else { b"false" };
        self.out.extend_from_slice(text);
        Ok(())
    }

    /// Opens `{"variant":` for the enum variants serde_json writes as one-key objects.
    fn open_variant(&mut self, variant: &str) {
        self.out.push(b'{');
        push_string(&mut self.out, variant);
        self.out.push(b':');
    }
}

/// Declares serializer methods that hand their one value to a helper of the same signature.
macro_rules! through {
    ($helper:ident: $($method:ident($t:ty),)*) => {$(
        fn $method(self, value: $t) -> Result<(), Error> {
            self.$helper(value)
        }
    )*};
}

/// Declares the number and boolean methods of a serializer that has the helpers `integer`,
/// `float` and `bool`.
macro_rules! numbers_and_booleans {
    () => {
        through! { integer:
            serialize_i8(i8), serialize_i16(i16), serialize_i32(i32), serialize_i64(i64),
            serialize_i128(i128), serialize_u8(u8), serialize_u16(u16), serialize_u32(u32),
            serialize_u64(u64), serialize_u128(u128),
        }
        through! { float: serialize_f32(f32), serialize_f64(f64), }
        through! { bool: serialize_bool(bool), }
    };
}

/// Declares the methods of a serializer that refuses every value but the ones it writes itself.
macro_rules! refuse {
    ($error:ident: $($method:ident $(<$g:ident>)? ($($arg:ty),*) -> $ok:ty;)*) => {$(
        fn $method$(<$g: Serialize + ?Sized>)?(self, $(_: $arg),*) -> Result<$ok, Error> {
            Err($error())
        }
    )*};
}

/// The associated types of a serializer that writes scalars only, and its refusal of the rest
/// (`Key` and `Raw`; `Raw` refuses more).
macro_rules! scalars_only {
    ($error:ident) => {
        type Ok = ();
        type Error = Error;
        type SerializeSeq = Impossible<(), Error>;
        type SerializeTuple = Impossible<(), Error>;
        type SerializeTupleStruct = Impossible<(), Error>;
        type SerializeTupleVariant = Impossible<(), Error>;
        type SerializeMap = Impossible<(), Error>;
        type SerializeStruct = Impossible<(), Error>;
        type SerializeStructVariant = Impossible<(), Error>;

        refuse! { $error:
            serialize_bytes(&[u8]) -> ();
            serialize_none() -> ();
            serialize_unit() -> ();
            serialize_unit_struct(&'static str) -> ();
            serialize_newtype_variant<T>(&'static str, u32, &'static str, &T) -> ();
            serialize_seq(Option<usize>) -> Impossible<(), Error>;
            serialize_tuple(usize) -> Impossible<(), Error>;
            serialize_tuple_struct(&'static str, usize) -> Impossible<(), Error>;
            serialize_tuple_variant(&'static str, u32, &'static str, usize)
                -> Impossible<(), Error>;
            serialize_map(Option<usize>) -> Impossible<(), Error>;
            serialize_struct(&'static str, usize) -> Impossible<(), Error>;
            serialize_struct_variant(&'static str, u32, &'static str, usize)
                -> Impossible<(), Error>;
        }
    };
}

/// An array or an object being written; `close` is written at the end.
struct Compound<'w> {
    writer: &'w mut Writer,
    first: bool,
    close: &'static [u8],
}

impl<'w> Compound<'w> {
    fn open(writer: &'w mut Writer, open: u8, close: &'static [u8]) -> Self {
        writer.out.push(open);
        Self {
            writer,
            first: true,
            close,
        }
    }

    /// A comma before every element but the first.
    fn separate(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.writer.out.push(b',');
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.separate();
        value.serialize(&mut *self.writer)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        self.separate();
        push_string(&mut self.writer.out, key);
        self.writer.out.push(b':');
        value.serialize(&mut *self.writer)
    }

    fn close(self) -> Result<(), Error> {
        self.writer.out.extend_from_slice(self.close);
        Ok(())
    }
}

/// A struct is an object, except serde_json's raw value, which is its text.
enum Structure<'w> {
    Object(Compound<'w>),
    Raw(&'w mut Writer),
}

impl<'w> ser::Serializer for &'w mut Writer {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'w>;
    type SerializeTuple = Compound<'w>;
    type SerializeTupleStruct = Compound<'w>;
    type SerializeTupleVariant = Compound<'w>;
    type SerializeMap = Compound<'w>;
    type SerializeStruct = Structure<'w>;
    type SerializeStructVariant = Compound<'w>;

    numbers_and_booleans!();

    fn serialize_char(self, value: char) -> Result<(), Error> {
        self.serialize_str(value.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, value: &str) -> Result<(), Error> {
        push_string(&mut self.out, value);
        Ok(())
    }

    fn serialize_bytes(self, value: &[u8]) -> Result<(), Error> {
        let mut array = Compound::open(self, b'[', b"]");
        for byte in value {
            array.element(byte)?;
        }
        array.close()
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.open_variant(variant);
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'w>, Error> {
        Ok(Compound::open(self, b'[', b"]"))
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'w>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'w>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'w>, Error> {
        self.open_variant(variant);
        Ok(Compound::open(self, b'[', b"]}"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'w>, Error> {
        Ok(Compound::open(self, b'{', b"}"))
    }

    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Structure<'w>, Error> {
        Ok(if name == self.raw_value {
            Structure::Raw(self)
        } else {
            Structure::Object(Compound::open(self, b'{', b"}"))
        })
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'w>, Error> {
        self.open_variant(variant);
        Ok(Compound::open(self, b'{', b"}}"))
    }

    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<(), Error> {
        self.serialize_str(&value.to_string())
    }
}

/// Arrays, tuples and a tuple variant's fields are written alike.
macro_rules! elements {
    ($($trait:ident::$method:ident,)*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;

            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }

            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

elements! {
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field,
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.separate();
        key.serialize(Key(&mut *self.writer))?;
        self.writer.out.push(b':');
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeStruct for Structure<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        match self {
            Self::Object(object) => object.field(key, value),
            Self::Raw(writer) if key == writer.raw_value => value.serialize(Raw(writer)),
            Self::Raw(_) => Err(not_raw()),
        }
    }

    fn end(self) -> Result<(), Error> {
        match self {
            Self::Object(object) => object.close(),
            Self::Raw(_) => Ok(()),
        }
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }

    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

fn not_raw() -> Error {
    ser::Error::custom("a raw JSON value must be its text")
}

fn not_a_key() -> Error {
    ser::Error::custom("key must be a string")
}

/// Writes a map key: a string, or a number or boolean in quotes (serde_json's rules).
struct Key<'w>(&'w mut Writer);

impl Key<'_> {
    fn quoted(self, write: impl FnOnce(&mut Writer) -> Result<(), Error>) -> Result<(), Error> {
        self.0.out.push(b'"');
        write(self.0)?;
        self.0.out.push(b'"');
        Ok(())
    }

    fn integer(self, value: impl itoa::Integer) -> Result<(), Error> {
        self.quoted(|w| w.integer(value))
    }

    fn float(self, value: impl zmij::Float + Into<f64> + Copy) -> Result<(), Error> {
        if !value.into().is_finite() {
            return Err(ser::Error::custom(
                "float key must be finite (got NaN or +/-inf)",
            ));
        }
        self.quoted(|w| w.float(value))
    }

    fn bool(self, value: bool) -> Result<(), Error> {
        self.quoted(|w| w.bool(value))
    }
}

impl ser::Serializer for Key<'_> {
    scalars_only!(not_a_key);

    numbers_and_booleans!();

    fn serialize_str(self, value: &str) -> Result<(), Error> {
        self.0.serialize_str(value)
    }

    fn serialize_char(self, value: char) -> Result<(), Error> {
        self.0.serialize_char(value)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.0.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
}

/// Writes the text of a raw value as it is.
struct Raw<'w>(&'w mut Writer);

impl ser::Serializer for Raw<'_> {
    scalars_only!(not_raw);

    fn serialize_str(self, value: &str) -> Result<(), Error> {
        self.0.out.extend_from_slice(value.as_bytes());
        Ok(())
    }

    refuse! { not_raw:
        serialize_bool(bool) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_i128(i128) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_u128(u128) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_some<T>(&T) -> ();
        serialize_newtype_struct<T>(&'static str, &T) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
    }
}

#[cfg(test)]
mod tests;
