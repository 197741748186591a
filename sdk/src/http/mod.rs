//! A client for the partner's own API: one pooled HTTP client per execution environment,
//! deadline-aware retries, `Retry-After`, back-off memory and keyed rate limits.
//!
//! Build one [`PartnerApi`] when the function starts (in the partner's constructor, before
//! [`lambda::run`](crate::lambda::run)) and keep it: clones share the connection pool, the rate
//! limiter and the back-off memory. Never build a client per call (real integrations ran out of
//! memory that way).
//!
//! A call ([`ApiRequest::send`]) takes the [`RequestContext`](crate::partner::RequestContext)
//! and so knows the invocation deadline. It:
//!
//! 1. fails fast if the partner asked this environment to back off (a `429` with `Retry-After`
//!    heard by an earlier call) until later than the invocation can wait;
//! 2. takes a rate-limit permit for its key (the mParticle account by default), waiting only if
//!    the permit comes in time;
//! 3. sends the request with a timeout capped by the time left before the deadline minus a
//!    headroom;
//! 4. classifies the answer ([`Classifier`]) and retries transient failures with jittered
//!    exponential back-off or the partner's `Retry-After`, as long as the wait fits before the
//!    deadline; otherwise it returns retry-later at once and mParticle's own back-off takes over.
//!
//! All limits (rate, back-off memory) are per execution environment: see [`crate::flow`].
//!
//! ```no_run
//! use std::time::Duration;
//! use mparticle_firehose::prelude::*;
//! use mparticle_firehose::flow::RateLimit;
//! use mparticle_firehose::http::{AuthFailure, KeyBy, PartnerApi};
//!
//! struct Acme {
//!     api: PartnerApi,
//! }
//!
//! impl Acme {
//!     fn new() -> Result<Self, Box<dyn std::error::Error>> {
//!         let api = PartnerApi::builder("https://api.acme.example/v2/")
//!             .request_timeout(Duration::from_secs(5))
//!             .max_attempts(3)
//!             // Acme allows 1,000 requests per second per API key; 50 environments reserved.
//!             .rate_limit(RateLimit::per_second(1_000)?.per_environment(50))
//!             .key_by(KeyBy::Setting("apiKey".into()))
//!             .build()?;
//!         Ok(Self { api })
//!     }
//! }
//!
//! #[async_trait]
//! impl Partner for Acme {
//!     fn registration(&self) -> ModuleRegistrationResponse {
//!         ModuleRegistrationResponse::new("Acme", "1.0.0")
//!     }
//!
//!     async fn on_custom_event(
//!         &self,
//!         ctx: &RequestContext,
//!         _batch: &EventProcessingRequest,
//!         header: &EventHeader,
//!         event: &CustomEvent,
//!     ) -> Result<(), PartnerError> {
//!         let body = serde_json::json!({ "id": header.id, "name": event.name });
//!         self.api
//!             .post("events")
//!             .bearer_auth(ctx.settings().string("apiKey")?)
//!             .json(&body)
//!             .send(ctx)
//!             .await?;
//!         Ok(())
//!     }
//! }
//! ```
//!
//! The types of HTTP itself ([`Method`], [`StatusCode`], the [`header`] names and
//! [`HeaderMap`](header::HeaderMap)) are those of the `http` crate, re-exported here.

mod builder;
mod classify;
mod client;
mod error;
mod request;
mod response;

pub use builder::{PartnerApiBuilder, USER_AGENT};
pub use classify::{
    Classification, Classifier, StandardClassifier, classify_status, parse_retry_after, retry_after,
};
pub use client::{KeyBy, PartnerApi};
pub use error::{ApiError, ApiErrorKind, AuthFailure, BuildError};
pub use http::{Method, StatusCode, header};
pub use request::ApiRequest;
pub use response::ApiResponse;
