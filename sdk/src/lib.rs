//! Build mParticle Firehose partner integrations on AWS Lambda.
#![warn(missing_docs)]

#[macro_use]
mod macros;

pub mod codec;
pub mod model;

pub use codec::{DecodeError, DecodeErrorKind, EncodeError};
pub use model::Message;
