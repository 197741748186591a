//! JSON plumbing below the model: lenient field decoders, the streaming decoder of polymorphic
//! objects, and typed decode errors ([`DecodeError`]) that name their kind and JSON path.
//!
//! Nothing here knows a Firehose message: the model is built on top of it, and
//! [`Message::decode`](crate::Message::decode) and [`Message::encode`](crate::Message::encode)
//! are the entry points.

pub(crate) mod error;
pub(crate) mod lenient;
pub(crate) mod tagged;

pub use error::{DecodeError, DecodeErrorKind};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A value could not be encoded (in practice only when a custom value fails to serialize).
#[derive(Debug, thiserror::Error)]
#[error("could not encode the message: {0}")]
pub struct EncodeError(#[from] serde_json::Error);

/// Decodes one JSON document, with nothing after it, into `T`.
pub(crate) fn decode<T: DeserializeOwned>(json: &[u8]) -> Result<T, DecodeError> {
    // Tracking the JSON path costs an allocation per key, so the common case decodes without it
    // and only a failing document is decoded again, with tracking, to say where it fails.
    //
    // The document is checked to be UTF-8 once, as a whole: reading from a `str`, serde_json
    // then does not validate every string again. A document that is not UTF-8 throughout (which
    // serde_json tolerates inside values it skips) is read from the bytes as before.
    let result = match std::str::from_utf8(json) {
        Ok(text) => {
            let mut de = serde_json::Deserializer::from_str(text);
            T::deserialize(&mut de).and_then(|value| de.end().map(|()| value))
        }
        Err(_) => {
            let mut de = serde_json::Deserializer::from_slice(json);
            T::deserialize(&mut de).and_then(|value| de.end().map(|()| value))
        }
    };
    match result {
        Ok(value) => Ok(value),
        Err(_) => Err(decode_with_path::<T>(json).err().unwrap_or_else(|| {
            DecodeError::new(
                DecodeErrorKind::InvalidValue,
                "$",
                "the message does not decode",
            )
        })),
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

/// Encodes a value as compact JSON.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, EncodeError> {
    serde_json::to_vec(value).map_err(EncodeError::from)
}
