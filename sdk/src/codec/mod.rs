//! Decoding and encoding Firehose JSON.
//!
//! [`decode`] reads a message with a typed error ([`DecodeError`]) that names its kind and the
//! JSON path of the offending value; [`encode`] writes compact JSON following Java's inclusion
//! rules.

pub(crate) mod error;
pub(crate) mod lenient;
pub(crate) mod tagged;

pub use error::{DecodeError, DecodeErrorKind};

use crate::model::Message;

/// A message could not be encoded (in practice only when a custom value fails to serialize).
#[derive(Debug, thiserror::Error)]
#[error("could not encode the message: {0}")]
pub struct EncodeError(#[from] serde_json::Error);

/// Decodes one message of any type from JSON bytes.
pub fn decode(json: &[u8]) -> Result<Message, DecodeError> {
    // Tracking the JSON path costs an allocation per key, so the common case decodes without it
    // and only a failing message is decoded again, with tracking, to say where it fails.
    let mut de = serde_json::Deserializer::from_slice(json);
    match serde::Deserialize::deserialize(&mut de).and_then(|m| de.end().map(|()| m)) {
        Ok(message) => Ok(message),
        Err(_) => Err(decode_with_path(json).err().unwrap_or_else(|| {
            DecodeError::new(
                DecodeErrorKind::InvalidValue,
                "$",
                "the message does not decode",
            )
        })),
    }
}

/// The slow, path-tracking decode, for the error report.
fn decode_with_path(json: &[u8]) -> Result<Message, DecodeError> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let message = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let e = DecodeError::from_serde(e);
        // A top-level array, string or number is not a message at all.
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
    Ok(message)
}

/// Encodes a message as compact JSON.
pub fn encode(message: &Message) -> Result<Vec<u8>, EncodeError> {
    serde_json::to_vec(message).map_err(EncodeError::from)
}
