//! The partner API client's errors, and how they become a [`PartnerError`].

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;

use crate::error::PartnerError;

/// What a failed call to the partner API becomes when the credentials were refused (`401`,
/// `403`, or a classifier's [`Unauthorized`](super::Classification::Unauthorized)).
///
/// A `429` is never an authorization failure, however it is classified: repeated rate limits
/// never suspend a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AuthFailure {
    /// [`PartnerError::RetryLater`]: mParticle retries, then gives up (default; right when
    /// credentials can come back, such as an expiring token).
    #[default]
    RetryLater,
    /// [`PartnerError::Permanent`]: the data is dropped.
    Permanent,
    /// [`PartnerError::SuspendSubscription`]: for event batches and audience membership
    /// changes, mParticle suspends the connection until the customer fixes its credentials and
    /// resumes it; for the other messages the dispatcher answers retry-later instead.
    Suspend,
}

/// Why a call to the partner API failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// The partner answered with a transient failure (`429`, `5xx`, or as its classifier said).
    Retryable,
    /// No answer in time (the request timeout, or the time left in the invocation).
    Timeout,
    /// The connection failed (refused, reset, closed before the answer).
    Connection,
    /// The partner refused the credentials.
    Unauthorized,
    /// The partner rejected the request for good (a `4xx` other than `401`, `403`, `408`, `429`).
    Rejected,
    /// The partner asked this execution environment to back off for longer than the invocation
    /// can wait: the partner was not called.
    BackingOff,
    /// The integration's own rate limit gives no permit in time: the partner was not called.
    RateLimited,
    /// Too little time was left in the invocation to make an attempt.
    DeadlineReached,
    /// The request cannot be built (an invalid header value, a body that does not serialize).
    InvalidRequest,
    /// The answer cannot be used (too large, not the expected JSON).
    InvalidResponse,
}

/// A failed call to the partner API. Converts into a [`PartnerError`] (so hooks can use `?`):
/// transient failures become [`RetryLater`](PartnerError::RetryLater) with the partner's
/// `Retry-After`, rejections [`Permanent`](PartnerError::Permanent), invalid requests
/// [`InvalidRequest`](PartnerError::InvalidRequest), and authorization failures what the
/// [`AuthFailure`] policy says.
///
/// A failure that has an underlying cause (the transport's error for a connection failure or a
/// timeout, the JSON error for an answer that does not decode) keeps it as its
/// [`source`](StdError::source), without the request's URL. The message already tells the
/// causes, so that a log line or a [`PartnerError`] is complete on its own.
///
/// ```
/// use mparticle_firehose::http::{ApiError, ApiErrorKind};
/// use mparticle_firehose::PartnerError;
///
/// fn explain(e: ApiError) -> PartnerError {
///     if e.kind() == ApiErrorKind::Rejected {
///         tracing::warn!(status = ?e.status(), "the partner rejected the event");
///     }
///     e.into()
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ApiError {
    kind: ApiErrorKind,
    message: String,
    status: Option<StatusCode>,
    retry_after: Option<Duration>,
    attempts: u32,
    body: Option<Bytes>,
    auth_failure: AuthFailure,
    source: Option<Cause>,
}

/// The underlying error of a failure, shared by the clones of the [`ApiError`].
type Cause = Arc<dyn StdError + Send + Sync + 'static>;

impl ApiError {
    pub(crate) fn new(kind: ApiErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            status: None,
            retry_after: None,
            attempts: 0,
            body: None,
            auth_failure: AuthFailure::default(),
            source: None,
        }
    }

    /// Keeps `cause` as the [`source`](StdError::source). It must not carry the URL (strip a
    /// transport error's with `reqwest::Error::without_url`) nor any credential.
    pub(crate) fn with_source(mut self, cause: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(cause));
        self
    }

    pub(crate) fn with_answer(mut self, status: StatusCode, body: Bytes) -> Self {
        self.status = Some(status);
        self.body = Some(body);
        self
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// Why the call failed.
    pub fn kind(&self) -> ApiErrorKind {
        self.kind
    }

    /// The status of the partner's last answer, if it answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// How long the partner (or the SDK's back-off memory or rate limiter) asked to wait.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The attempts made (0: the partner was not called).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The body of the partner's last answer, if it answered (it may hold personal data: do
    /// not log it whole).
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }

    /// Whether mParticle's retry can help.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ApiErrorKind::Retryable
                | ApiErrorKind::Timeout
                | ApiErrorKind::Connection
                | ApiErrorKind::BackingOff
                | ApiErrorKind::RateLimited
                | ApiErrorKind::DeadlineReached
        )
    }

    /// The policy for an authorization failure.
    pub fn auth_failure(&self) -> AuthFailure {
        self.auth_failure
    }

    /// Sets the policy for an authorization failure (for example
    /// [`AuthFailure::Suspend`] in an audience hook).
    pub fn with_auth_failure(mut self, policy: AuthFailure) -> Self {
        self.auth_failure = policy;
        self
    }

    /// The [`PartnerError`] this failure is (the same as `PartnerError::from`).
    pub fn into_partner_error(self) -> PartnerError {
        let reason = self.to_string();
        let rate_limited = self.status == Some(StatusCode::TOO_MANY_REQUESTS);
        match self.kind {
            _ if self.is_retryable() || rate_limited => PartnerError::RetryLater {
                reason,
                retry_after: self.retry_after,
            },
            ApiErrorKind::Unauthorized => match self.auth_failure {
                AuthFailure::RetryLater => PartnerError::retry_later(reason),
                AuthFailure::Permanent => PartnerError::permanent(reason),
                AuthFailure::Suspend => PartnerError::suspend(reason),
            },
            ApiErrorKind::InvalidRequest => PartnerError::invalid_request(reason),
            _ => PartnerError::permanent(reason),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

impl StdError for ApiError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|cause| cause as &(dyn StdError + 'static))
    }
}

impl From<ApiError> for PartnerError {
    fn from(e: ApiError) -> Self {
        e.into_partner_error()
    }
}

/// A [`PartnerApi`](super::PartnerApi) that cannot be built.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The base URL is not an absolute `http` or `https` URL.
    #[error("invalid base URL {url:?}: {reason}")]
    BaseUrl {
        /// The URL given.
        url: String,
        /// Why it is refused.
        reason: String,
    },
    /// A default header's name or value is not valid in HTTP (the value is not shown).
    #[error("invalid default header {name:?}")]
    Header {
        /// The header name.
        name: String,
    },
    /// The HTTP client cannot be built (the TLS backend failed to start, ...). The HTTP
    /// library's error is the [`source`](StdError::source).
    #[error("the HTTP client cannot be built: {0}")]
    Client(#[source] Arc<dyn StdError + Send + Sync + 'static>),
}
