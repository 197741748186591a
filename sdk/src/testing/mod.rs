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
