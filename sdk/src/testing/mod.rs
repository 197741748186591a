//! Helpers for testing partner integrations.
//!
//! Available with the cargo feature `testing`:
//!
//! ```toml
//! [dev-dependencies]
//! mparticle-firehose = { version = "0.1", features = ["testing"] }
//! ```
//!
//! * [`generate`]: deterministic, realistic messages (event batches, audience membership
//!   changes) for tests, fixtures and benchmarks.
//! * [`realistic`]: event batches written directly as JSON text in Java's key order, shaped like
//!   real retail traffic, for benchmarks and decode tests independent of this crate's encoder.
//! * [`serve_loopback`]: an HTTP server on loopback for test doubles, such as a fake of the
//!   partner's API.
//! * [`decode_by_serde`]: a message decoded without the SDK's fast reader, the reference that
//!   [`Message::decode`](crate::Message::decode) is checked against.

pub mod generate;
pub mod invoke;
mod loopback;
pub mod messages;
pub mod realistic;
pub mod runtime_api;

pub use invoke::{
    InvocationBuilder, TEST_FUNCTION_ARN, context_for, context_with_settings, dispatcher, invoke,
    invoke_with,
};
pub use loopback::{LoopbackServer, serve_loopback};

/// Decodes a message as [`Message::decode`](crate::Message::decode) does, but with serde's
/// decoders alone, never the SDK's fast reader (which reads the usual shape of a message
/// directly and leaves everything else to these decoders). The two give the same message, or the
/// same error, for every input: the SDK's tests compare them on generated, realistic, damaged and
/// arbitrary documents, and a partner's own fixtures can be compared the same way.
pub fn decode_by_serde(json: &[u8]) -> Result<crate::Message, crate::DecodeError> {
    crate::codec::decode(json)
}
