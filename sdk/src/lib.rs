//! Build mParticle Firehose partner integrations on AWS Lambda.
#![warn(missing_docs)]

#[macro_use]
mod macros;

pub mod codec;
pub mod dispatch;
pub mod error;
pub mod lambda;
pub mod model;
pub mod partner;
#[cfg(feature = "testing")]
pub mod testing;

pub use async_trait::async_trait;
pub use codec::{DecodeError, DecodeErrorKind, EncodeError};
pub use dispatch::Dispatcher;
pub use error::{ErrorType, FunctionError, PartnerError, SettingError};
pub use model::Message;
pub use partner::{Partner, RequestContext};

/// Everything a partner integration usually needs, in one import.
pub mod prelude {
    pub use crate::error::{PartnerError, SettingError};
    pub use crate::model::*;
    pub use crate::partner::{Partner, RequestContext, Settings, process_batch};
    pub use async_trait::async_trait;
}
