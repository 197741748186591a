//! JSON plumbing below the model: lenient field decoders, the streaming decoder of polymorphic
//! objects, typed decode errors ([`DecodeError`]) that name their kind and JSON path, and the
//! JSON writer.
//!
//! Nothing here knows a Firehose message: the model is built on top of it, and
//! [`Message::decode`](crate::Message::decode) and [`Message::encode`](crate::Message::encode)
//! are the entry points.

pub(crate) mod error;
pub(crate) mod fast;
pub(crate) mod isolate;
pub(crate) mod lenient;
pub(crate) mod tagged;
pub(crate) mod write;

pub use error::{DecodeError, DecodeErrorKind};
pub use isolate::InvalidElement;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// A value could not be encoded (in practice only when a custom value fails to serialize).
#[derive(Debug, thiserror::Error)]
#[error("could not encode the message: {0}")]
pub struct EncodeError(#[from] serde_json::Error);

/// Decodes one JSON document, with nothing after it, into `T`.
///
/// Four passes at most, and a valid document takes only the first:
/// 1. strict and quick, without path tracking, text fields read without their raw text (see
///    [`QuickScalars`](lenient::QuickScalars));
/// 2. when that fails for any reason: strict, text fields read exactly (a number in a text field
///    keeps its digits);
/// 3. when that fails for any reason but broken JSON: isolating (see [`isolate`]), so that list
///    elements that do not decode are kept as invalid elements instead of failing the document;
/// 4. when that fails too (the damage is not inside a list element): with path tracking, in
///    isolating mode, to report the document's own error and where it is.
///
/// The model's documents go through [`decode_model`]; this is its reference (see
/// `testing::decode_by_serde`).
#[cfg(any(test, feature = "testing"))]
pub(crate) fn decode<T: DeserializeOwned>(json: &[u8]) -> Result<T, DecodeError> {
    decode_passes(json, std::str::from_utf8(json).ok())
}

/// Decodes a document of the model: with the fast reader ([`fast`]) when it can, which real
/// traffic lets it, else with [`decode`]'s passes. The result is the same either way.
pub(crate) fn decode_model<T: DeserializeOwned + fast::FastRead>(
    json: &[u8],
) -> Result<T, DecodeError> {
    // The document is checked to be UTF-8 once, as a whole: the fast reader and serde_json
    // then read a `str` and do not validate every string again. A document that is not UTF-8
    // throughout (which serde_json tolerates inside values it skips) is read from the bytes.
    let text = std::str::from_utf8(json).ok();
    if let Some(Ok(value)) = text.map(fast::read_document::<T>) {
        return Ok(value);
    }
    decode_passes(json, text)
}

/// [`decode`], with the document's text if it is UTF-8.
fn decode_passes<T: DeserializeOwned>(json: &[u8], text: Option<&str>) -> Result<T, DecodeError> {
    let strict = match strict_passes::<T>(json, text) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let _isolating = isolate::Isolating::enter();
    if !is_broken_json(&strict) {
        let mut de = serde_json::Deserializer::from_slice(json);
        let value = T::deserialize(isolate::Recording::new(&mut de));
        if let Ok(value) = value.and_then(|value| de.end().map(|()| value)) {
            return Ok(value);
        }
    }
    Err(decode_with_path::<T>(json).err().unwrap_or_else(|| {
        DecodeError::new(
            DecodeErrorKind::InvalidValue,
            "$",
            "the message does not decode",
        )
    }))
}

/// Decodes element `index` of the message's list `key`, captured as raw JSON (as streamed
/// delivery captures a batch's events), as decoding the whole message decodes it: the element,
/// or the [`InvalidElement`] that the whole decode would have kept in its place, with the same
/// path and error.
pub(crate) fn decode_element<T: DeserializeOwned + fast::FastRead>(
    raw: &RawValue,
    key: &str,
    index: usize,
) -> Result<T, InvalidElement> {
    let text = raw.get();
    if let Ok(value) = fast::read_document::<T>(text) {
        return Ok(value);
    }
    strict_passes::<T>(text.as_bytes(), Some(text))
        .or_else(|_| isolate::decode_listed(raw, key, index))
}

/// Passes 1 and 2 of [`decode`]: strict and quick, then, if that fails, strict with text fields
/// read exactly. The error is the second pass's.
fn strict_passes<T: DeserializeOwned>(
    json: &[u8],
    text: Option<&str>,
) -> Result<T, serde_json::Error> {
    let quick = {
        let _quick = lenient::QuickScalars::enter();
        strict::<T>(json, text)
    };
    match quick {
        Ok(value) => Ok(value),
        Err(_) => strict::<T>(json, text),
    }
}

/// One strict pass over the whole document: from `text`, the document as a `str` when it is
/// UTF-8 throughout, else from its bytes. Never inlined: its callers call it twice (quick, then
/// exact), and each copy of a model's decoder costs the binary hundreds of kilobytes.
#[inline(never)]
fn strict<T: DeserializeOwned>(json: &[u8], text: Option<&str>) -> Result<T, serde_json::Error> {
    match text {
        Some(text) => {
            let mut de = serde_json::Deserializer::from_str(text);
            T::deserialize(&mut de).and_then(|value| de.end().map(|()| value))
        }
        None => {
            let mut de = serde_json::Deserializer::from_slice(json);
            T::deserialize(&mut de).and_then(|value| de.end().map(|()| value))
        }
    }
}

/// Whether a strict failure is broken JSON (a syntax error other than too much nesting, or a
/// cut), which no isolation can help.
fn is_broken_json(e: &serde_json::Error) -> bool {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof | Category::Io => true,
        Category::Syntax => !e.to_string().contains("recursion limit"),
        Category::Data => false,
    }
}

/// The slow, path-tracking decode, for the error report.
fn decode_with_path<T: DeserializeOwned>(json: &[u8]) -> Result<T, DecodeError> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let e = DecodeError::from_serde(e);
        // A top-level array, string or number is not a Firehose object at all.
        if e.kind() == DecodeErrorKind::WrongType && e.path() == "$" {
            DecodeError::new(
                DecodeErrorKind::NotJson,
                "$",
                format!("not a JSON object: {}", e.reason()),
            )
        } else {
            e
        }
    })?;
    de.end().map_err(|e| {
        DecodeError::new(
            DecodeErrorKind::NotJson,
            "$",
            format!("{} after the message", error::bare_message(&e)),
        )
    })?;
    Ok(value)
}

/// Encodes a value as compact JSON, as serde_json writes it (see [`write`]).
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, EncodeError> {
    write::to_vec(value).map_err(EncodeError::from)
}

/// [`encode`] as a `String`.
pub(crate) fn encode_string<T: Serialize + ?Sized>(value: &T) -> Result<String, EncodeError> {
    // The writer writes ASCII and the text of `str`s only: the check never fails.
    String::from_utf8(encode(value)?)
        .map_err(|e| EncodeError::from(<serde_json::Error as serde::ser::Error>::custom(e)))
}
