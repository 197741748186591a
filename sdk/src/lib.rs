//! Build mParticle Firehose partner integrations on AWS Lambda.
//!
//! mParticle invokes a partner's Lambda function with one JSON message per call: the
//! registration probe, event batches, audience subscription and membership changes, data-subject
//! requests, and periodic verification requests. With this crate a partner implements one trait,
//! [`Partner`], and calls [`lambda::run`] in `main`; the SDK decodes every message into the typed
//! [`model`], answers what it can answer itself, calls the partner's hooks, and maps their
//! outcome onto mParticle's retry contract ([`error`]).
//!
//! ```
//! use mparticle_firehose::prelude::*;
//! use mparticle_firehose::{Dispatcher, partner::Invocation};
//!
//! struct Acme;
//!
//! #[async_trait]
//! impl Partner for Acme {
//!     fn registration(&self) -> ModuleRegistrationResponse {
//!         ModuleRegistrationResponse::new("Acme", "1.0.0").with_event_processing(
//!             EventProcessingRegistration::new()
//!                 .with_account_setting(Setting::text("apiKey", "API key").required().confidential())
//!                 .with_event_types([EventType::CustomEvent]),
//!         )
//!     }
//!
//!     async fn on_custom_event(
//!         &self,
//!         ctx: &RequestContext,
//!         _batch: &EventProcessingRequest,
//!         _header: &EventHeader,
//!         event: &CustomEvent,
//!     ) -> Result<(), PartnerError> {
//!         let _key = ctx.settings().string("apiKey")?;
//!         match event.name.as_deref() {
//!             Some("rate limited") => Err(PartnerError::retry_later("Acme answered 429")),
//!             _ => Ok(()),
//!         }
//!     }
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! // On Lambda: `mparticle_firehose::lambda::run(Acme).await`. Here, the same handler in-process.
//! let dispatcher = Dispatcher::new(Acme).expect("a valid registration");
//! let batch = br#"{"type":"event_processing_request","account":{"account_id":1,"account_settings":{"apiKey":"k"}},
//!     "events":[{"type":"custom_event","timestamp_ms":1700000000000,"name":"signup"}]}"#;
//! let answer = dispatcher.handle(batch, Invocation::default()).await.unwrap();
//! let answer = Message::decode(&answer).unwrap();
//! assert_eq!(answer.message_type(), MessageType::EventProcessingResponse);
//!
//! let throttled = br#"{"type":"event_processing_request","account":{"account_id":1,"account_settings":{"apiKey":"k"}},
//!     "events":[{"type":"custom_event","timestamp_ms":1700000000000,"name":"rate limited"}]}"#;
//! let error = dispatcher.handle(throttled, Invocation::default()).await.unwrap_err();
//! assert_eq!(error.error_type.as_str(), "Firehose.RetryLater"); // mParticle retries
//! # });
//! ```
//!
//! The modules, in the order a request meets them: [`codec`] (JSON in and out, typed errors with
//! JSON paths), [`model`] (every message), [`dispatch`] (verification requests, hooks, error
//! mapping), [`partner`] (the trait, the request context, settings), [`lambda`] (the adapter over
//! `lambda_runtime`), [`endpoint`] (HTTP mode: the same partner behind a function URL),
//! [`http`] and [`flow`] (calling the partner's API under its quotas and the
//! invocation deadline), and `testing` (cargo feature `testing`: in-process invocation,
//! message builders, generators, a mock Lambda Runtime API). With the cargo feature `queue`,
//! the `queue` module answers mParticle as soon as SQS has a message and drains the queue
//! into the partner from an event source mapping.
#![warn(missing_docs)]
#![warn(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

#[macro_use]
mod macros;

pub mod codec;
pub mod dispatch;
pub mod endpoint;
pub mod error;
pub mod flow;
pub mod http;
pub mod lambda;
pub mod model;
pub mod partner;
#[cfg(feature = "queue")]
pub mod queue;
#[cfg(feature = "testing")]
pub mod testing;

pub use async_trait::async_trait;
pub use codec::{DecodeError, DecodeErrorKind, EncodeError};
pub use dispatch::Dispatcher;
pub use error::{ErrorType, FunctionError, PartnerError, SettingError};
pub use model::Message;
pub use partner::{Partner, RequestContext};

/// What a partner's integration names, in one import: the trait and what its hooks receive
/// and answer, the registration builders, the error types, and the partner API client.
/// Everything else of the protocol is in [`model`].
pub mod prelude {
    pub use crate::error::{PartnerError, SettingError};
    pub use crate::flow::{RateLimit, fan_out_by_user};
    pub use crate::http::{ApiError, AuthFailure, PartnerApi};
    pub use crate::partner::{
        EventDelivery, EventStream, Partner, RequestContext, Settings, process_batch,
        process_event_stream,
    };
    pub use async_trait::async_trait;

    // The registration a partner answers the probe with.
    pub use crate::model::{
        AudienceProcessingRegistration, DeviceIdentityPermission, DeviceIdentityType,
        DsrProcessingRegistration, EventProcessingRegistration, EventType, IdentityEncoding,
        ModuleRegistrationResponse, Permissions, RuntimeEnvironmentType, Setting,
        SystemNotificationType, UserIdentityPermission, UserIdentityType,
    };

    // Event batches: the request, its events, and the consent notifications before them.
    pub use crate::model::{
        ApplicationStateTransitionEvent, AttributionEvent, CcpaConsentStateNotification,
        ConsentState, CustomEvent, ErrorEvent, Event, EventData, EventHeader,
        EventProcessingRequest, EventProcessingResponse, GdprConsentStateNotification,
        ImpressionEvent, PrivacySettingChangeEvent, ProductActionEvent, PromotionActionEvent,
        PushMessageOpenEvent, PushMessageReceiptEvent, PushSubscriptionEvent, ScreenViewEvent,
        SessionEndEvent, SessionStartEvent, SystemNotification, Unrecognized,
        UserAttributeChangeEvent, UserIdentityChangeEvent,
    };

    // Identities on batches and audience profiles.
    pub use crate::model::{DeviceIdentity, UserIdentity};

    // Audiences and data-subject requests.
    pub use crate::model::{
        Audience, AudienceAction, AudienceMembershipChangeRequest,
        AudienceMembershipChangeResponse, AudienceSubscriptionRequest,
        AudienceSubscriptionResponse, DsrProcessingRequest, DsrProcessingResponse, DsrType,
        SubscriptionAction, UserProfile,
    };

    // The message as a whole, for tests and tools.
    pub use crate::model::{Message, MessageBody, MessageType};

    // The model's string type (text fields, attribute keys and values).
    pub use crate::model::CompactString;
}
