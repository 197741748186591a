//! Deterministic, realistic Firehose messages for tests, fixtures and benchmarks.
//!
//! A [`BatchGenerator`] built from a seed always produces the same sequence of messages (ids
//! included: UUIDs come from the seeded generator, not from the system), so a generated batch can
//! be used as a fixture, a snapshot or a benchmark input.
//!
//! ```
//! use mparticle_firehose::testing::generate::BatchGenerator;
//!
//! let mut generator = BatchGenerator::new(42);
//! let batch = generator.event_batch(100);
//! let bytes = batch.encode()?;
//! assert_eq!(mparticle_firehose::Message::decode(&bytes)?, batch);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The generator ([`BatchGenerator`]) draws from word lists and weights (`tables`), and builds
//! runtime environments of ten platforms (`devices`) and events of all sixteen types (`events`).

mod devices;
mod events;
mod generator;
mod tables;
#[cfg(test)]
mod tests;

pub use generator::BatchGenerator;
