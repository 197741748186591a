//! HTTP mode: mParticle's Firehose messages over HTTPS, served from HTTP events (a Lambda
//! function URL, API Gateway REST or HTTP APIs, or an Application Load Balancer).
//!
//! mParticle POSTs the same JSON messages it sends a directly invoked function, with
//! `Authorization: Token <token>` on every message but the registration request, and retries
//! 408, 429 and 5xx answers. [`lambda::run`](crate::lambda::run) serves both: a payload that is
//! an HTTP event goes to an [`Endpoint`], anything else to the [`Dispatcher`] directly, so the
//! same binary, unchanged, serves a function URL and direct invocations.
//!
//! ## The token
//!
//! Configure it with the `FIREHOSE_HTTP_TOKEN` environment variable, or at start-up with
//! [`Options::http_token`](crate::lambda::Options::http_token) (for a token read from a secret
//! store). The registration request is answered without a token (mParticle reads the
//! registration before the token exists); every other message needs the token, compared in
//! constant time ([`HttpToken`]). A missing, malformed or wrong token is answered 401 and the
//! message never reaches the partner.
//!
//! With no token configured (or an unusable one, which is logged at start-up), the function
//! fails closed: the registration is answered, every other HTTP request is refused with **503**
//! and an error log line. 503 rather than 401 because the fault is the function's
//! configuration, not the caller's credentials: mParticle retries a 503 with back-off, so data
//! sent before the operator sets the token is delivered once it is set rather than dropped.
//!
//! ## The error contract over HTTP
//!
//! | Outcome | Status | Body `errorType` | mParticle then |
//! | --- | --- | --- | --- |
//! | success | 200, the response message | | moves on |
//! | [`PartnerError::RetryLater`](crate::PartnerError::RetryLater) | 503, `Retry-After` (whole seconds, rounded up) when the partner gave a delay | `Firehose.RetryLater` | retries with back-off |
//! | [`PartnerError::InvalidRequest`](crate::PartnerError::InvalidRequest) | 422 | `Firehose.InvalidRequest` | gives up at once (a retry carries the same settings and fails the same way) |
//! | undecodable message | 400, with `kind`, `path` and `reason` | `Firehose.InvalidMessage` | gives up |
//! | a panic, an internal error | 500 | `Firehose.Panic`, `Firehose.Internal` | retries |
//! | no, malformed or wrong token | 401, `WWW-Authenticate: Token` | `Firehose.Unauthorized` | gives up |
//! | no token configured | 503 | `Firehose.NotConfigured` | retries |
//! | body over 6 MB, or inflating beyond 6 MB | 413 | `Firehose.PayloadTooLarge` | gives up |
//! | invalid base64 or gzip body | 400 | `Firehose.InvalidBody` | gives up |
//! | `Content-Encoding` other than `gzip`, `identity` | 415 | `Firehose.UnsupportedEncoding` | gives up |
//! | a method other than POST | 405, `Allow: POST` | `Firehose.MethodNotAllowed` | gives up |
//!
//! Every answer is `Content-Type: application/json`; refusals carry `errorType` and
//! `errorMessage`. A retry-later answer is 503 rather than 429 whether or not the partner gave a
//! delay: mParticle retries both the same way, and 429 would tell mParticle that *it* sends too
//! fast when it is the partner's API that is saturated or down.
//!
//! Bodies marked `isBase64Encoded` are decoded; `Content-Encoding: gzip` bodies are inflated
//! (pure-Rust `flate2`), never beyond [`MAX_DECOMPRESSED_BYTES`]. A payload that looks like an
//! HTTP event but does not parse as one is no request a proxy sends: it is answered with a
//! `Firehose.InvalidMessage` function error naming the JSON path, like any undecodable direct
//! invocation.
//!
//! ```
//! use mparticle_firehose::endpoint::{Endpoint, HttpToken};
//! use mparticle_firehose::partner::Invocation;
//! use mparticle_firehose::prelude::*;
//! use mparticle_firehose::Dispatcher;
//!
//! struct Acme;
//!
//! #[async_trait]
//! impl Partner for Acme {
//!     fn registration(&self) -> ModuleRegistrationResponse {
//!         ModuleRegistrationResponse::new("Acme", "1.0.0")
//!     }
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let endpoint = Endpoint::new(Dispatcher::new(Acme).unwrap(), Some(HttpToken::new("t0ken").unwrap()));
//! // A function URL event (payload format 2.0), as Lambda delivers it.
//! let event = |authorization: &str| serde_json::json!({
//!     "version": "2.0",
//!     "rawPath": "/",
//!     "headers": { "authorization": authorization, "content-type": "application/json" },
//!     "requestContext": { "http": { "method": "POST" } },
//!     "body": r#"{"type":"event_processing_request","events":[]}"#,
//!     "isBase64Encoded": false
//! }).to_string();
//!
//! let answer = endpoint.handle_event(event("Token t0ken").as_bytes(), Invocation::default()).await.unwrap();
//! let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap();
//! assert_eq!(answer["statusCode"], 200);
//! assert_eq!(answer["headers"]["content-type"], "application/json");
//!
//! let refused = endpoint.handle_event(event("Token guess").as_bytes(), Invocation::default()).await.unwrap();
//! let refused: serde_json::Value = serde_json::from_slice(&refused).unwrap();
//! assert_eq!(refused["statusCode"], 401);
//! # });
//! ```

mod answer;
mod body;
mod event;
#[cfg(feature = "testing")]
pub mod events;
mod token;

use std::borrow::Cow;
use std::fmt;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use serde::de::{IgnoredAny, MapAccess};
use tracing::{Instrument, field};

pub use body::{BodyError, MAX_BODY_BYTES, MAX_DECOMPRESSED_BYTES};
pub use event::{EventError, Origin};
pub use token::{HttpToken, MAX_TOKEN_LEN, TOKEN_ENV, TokenError};

use answer::Refusal;
use aws_lambda_events::http::{Method, StatusCode};
use event::{KeyScan, Request, Step, scan_keys};

use crate::dispatch::Dispatcher;
use crate::error::{ErrorType, FunctionError};
use crate::model::{Message, MessageType};
use crate::partner::{Invocation, Partner};

/// Serves Firehose messages from HTTP events with a [`Dispatcher`]: authentication, body
/// decoding and the HTTP error contract of the [module docs](self). Cheap to clone.
pub struct Endpoint<P: Partner> {
    dispatcher: Dispatcher<P>,
    token: Option<HttpToken>,
}

impl<P: Partner> Clone for Endpoint<P> {
    fn clone(&self) -> Self {
        Self {
            dispatcher: self.dispatcher.clone(),
            token: self.token.clone(),
        }
    }
}

impl<P: Partner> fmt::Debug for Endpoint<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl<P: Partner> Endpoint<P> {
    /// An endpoint that accepts messages carrying `token`; with `None`, only the registration
    /// request is answered (see the [module docs](self)).
    pub fn new(dispatcher: Dispatcher<P>, token: Option<HttpToken>) -> Self {
        Self { dispatcher, token }
    }

    /// The dispatcher that serves authenticated messages.
    pub fn dispatcher(&self) -> &Dispatcher<P> {
        &self.dispatcher
    }

    /// Whether a token is configured.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// Serves one HTTP event: the invocation's payload in, the proxy response for the event's
    /// [`Origin`] out (its `statusCode`, `headers` and `body`). Every request, refused or
    /// not, is answered this way; `Err` is only for a payload that is not an HTTP event of a
    /// known service, reported as a `Firehose.InvalidMessage` function error.
    pub async fn handle_event(
        &self,
        event: &[u8],
        invocation: Invocation,
    ) -> Result<Vec<u8>, FunctionError> {
        let origin = Origin::of(event).ok_or_else(|| {
            FunctionError::new(
                ErrorType::InvalidMessage,
                "the payload is neither a Firehose message nor an HTTP event of a function URL, API Gateway or an ALB",
            )
        })?;
        let request = Request::parse(origin, event).map_err(|e| {
            tracing::error!(origin = %e.origin, path = %e.path, reason = %e.reason, "malformed HTTP event");
            FunctionError::new(ErrorType::InvalidMessage, e.to_string())
        })?;
        let span = tracing::info_span!(
            "firehose",
            request_id = %invocation.request_id,
            origin = %origin,
            status = field::Empty,
            message_type = field::Empty,
            message_id = field::Empty,
            account_id = field::Empty,
            event_count = field::Empty,
        );
        let served = AssertUnwindSafe(self.serve(&request, invocation))
            .catch_unwind()
            .instrument(span.clone())
            .await;
        let refusal = match served {
            Ok(Ok(response)) => {
                span.record("status", 200);
                return event::render(origin, StatusCode::OK, answer::json_headers(), response)
                    .map_err(|e| FunctionError::new(ErrorType::Internal, e.to_string()));
            }
            Ok(Err(refusal)) => refusal,
            Err(panic) => Refusal::Panic(panic_message(panic.as_ref())),
        };
        let (status, headers, body) = refusal.answer();
        span.record("status", status.as_u16());
        span.in_scope(|| log(&refusal, status));
        event::render(origin, status, headers, body)
            .map_err(|e| FunctionError::new(ErrorType::Internal, e.to_string()))
    }

    /// Serves one parsed request: the response message's JSON, or why not.
    async fn serve(&self, request: &Request, invocation: Invocation) -> Result<String, Refusal> {
        if request.method != Method::POST {
            return Err(Refusal::Method(request.method.to_string()));
        }
        let encodings: Vec<&[u8]> = request.header("content-encoding").collect();
        let body = body::read(request.body.as_deref(), request.base64_encoded, &encodings)
            .map_err(Refusal::Body)?;

        // Only the registration request is served without the token. The cheap look at `type`
        // spares decoding what will be refused; the decoded type is what decides.
        let authenticated =
            token::authenticate(self.token.as_ref(), request.header("authorization"));
        if let Err(failure) = authenticated
            && !names_registration(&body)
        {
            return Err(Refusal::Auth(failure));
        }
        let message = Message::decode_request(&body).map_err(Refusal::Undecodable)?;
        if let Err(failure) = authenticated
            && message.message_type() != MessageType::ModuleRegistrationRequest
        {
            return Err(Refusal::Auth(failure));
        }

        let response = self
            .dispatcher
            .dispatch(message, invocation)
            .await
            .map_err(Refusal::Function)?;
        response
            .to_json()
            .map_err(|e| Refusal::Function(FunctionError::new(ErrorType::Internal, e.to_string())))
    }
}

/// One log line per refusal; the token never appears in it.
fn log(refusal: &Refusal, status: StatusCode) {
    let status = status.as_u16();
    match refusal {
        Refusal::Auth(failure @ token::AuthFailure::NotConfigured) => tracing::error!(
            status,
            "refused an HTTP request: {}; set FIREHOSE_HTTP_TOKEN to the token agreed with mParticle",
            failure.describe()
        ),
        Refusal::Auth(failure) => {
            tracing::warn!(status, "refused an HTTP request: {}", failure.describe());
        }
        Refusal::Method(method) => {
            tracing::warn!(status, %method, "refused an HTTP request: not a POST");
        }
        Refusal::Body(e) => tracing::warn!(status, error = %e, "refused an HTTP request body"),
        Refusal::Undecodable(e) => tracing::error!(
            status,
            kind = %e.kind(),
            path = e.path(),
            reason = e.reason(),
            "undecodable message"
        ),
        // The dispatcher has logged the function error already.
        Refusal::Function(_) => {}
        Refusal::Panic(what) => tracing::error!(status, "the HTTP endpoint panicked: {what}"),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// Whether the message's first top-level `type` is `module_registration_request`, reading no
/// further than that key.
fn names_registration(body: &[u8]) -> bool {
    struct FirstType;
    impl<'de> KeyScan<'de> for FirstType {
        type Decision = bool;
        fn key<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Step<'de, bool, A> {
            if key != "type" {
                map.next_value::<IgnoredAny>()?;
                return Ok(None);
            }
            // The scan stops here: what follows is the decoder's to judge.
            let value = map.next_value::<Option<Cow<'de, str>>>()?;
            Ok(Some(
                value.as_deref() == Some("module_registration_request"),
            ))
        }
    }
    scan_keys(body, &mut FirstType).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::names_registration;

    #[test]
    fn the_registration_is_told_by_its_first_type() {
        assert!(names_registration(
            br#"{"type":"module_registration_request"}"#
        ));
        assert!(names_registration(
            br#"{"id":"x","type":"module_registration_request","#
        ));
        assert!(!names_registration(
            br#"{"type":"event_processing_request"}"#
        ));
        assert!(!names_registration(
            br#"{"id":"module_registration_request"}"#
        ));
        assert!(!names_registration(br#"{"type":null}"#));
        assert!(!names_registration(b"{not json"));
        assert!(!names_registration(b""));
    }
}
