//! The error contract: what partner code returns, and how the SDK answers mParticle.
//!
//! | Partner returns | The SDK answers | mParticle then |
//! | --- | --- | --- |
//! | `Ok` | the response | moves on |
//! | [`PartnerError::RetryLater`] | a function error `Firehose.RetryLater` | retries the message with back-off |
//! | [`PartnerError::Permanent`] | success (the data is dropped and logged) | moves on |
//! | [`PartnerError::SuspendSubscription`] | `suspend_subscription: true` | stops sending until the customer resumes the connection |
//! | [`PartnerError::InvalidRequest`] | a function error `Firehose.InvalidRequest` | retries, then gives up |
//! | a panic | a function error `Firehose.Panic` | retries |
//! | undecodable input | a function error `Firehose.InvalidMessage` (kind and JSON path in the message) | retries, then gives up |
//! | an invalid registration | an init error `Firehose.InvalidRegistration`, every violation named | cannot register the function |
//!
//! Over HTTP (a function URL, API Gateway, an ALB) the same outcomes are HTTP statuses: see
//! [`endpoint`](crate::endpoint).

use std::fmt;
use std::time::Duration;

use crate::codec::DecodeError;

/// What a partner hook returns when it cannot complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PartnerError {
    /// A transient failure (rate limit, timeout, 5xx): mParticle should send the message again.
    /// Make hooks idempotent (event ids help): a retried batch is sent again whole.
    #[error("retry later: {reason}{}", retry_after.map(|d| format!(" (after {}s)", d.as_secs_f64())).unwrap_or_default())]
    RetryLater {
        /// Why.
        reason: String,
        /// How long the partner asked to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// The data can never be delivered (rejected as invalid by the partner API, for example):
    /// it is logged and dropped, and mParticle is told all is well so it does not retry.
    #[error("permanent failure, data dropped: {reason}")]
    Permanent {
        /// Why.
        reason: String,
    },
    /// The customer's connection cannot work any more (for example the partner revoked the
    /// customer's credentials): mParticle suspends the subscription until the customer resumes it.
    #[error("suspend the subscription: {reason}")]
    SuspendSubscription {
        /// Why.
        reason: String,
    },
    /// The request cannot be processed as it is (a required setting is missing, ...).
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// Why.
        reason: String,
    },
}

impl PartnerError {
    /// A transient failure.
    pub fn retry_later(reason: impl Into<String>) -> Self {
        Self::RetryLater {
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// A transient failure with the delay the partner asked for.
    pub fn retry_after(reason: impl Into<String>, delay: Duration) -> Self {
        Self::RetryLater {
            reason: reason.into(),
            retry_after: Some(delay),
        }
    }

    /// A failure that retrying cannot fix: the data is dropped.
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self::Permanent {
            reason: reason.into(),
        }
    }

    /// Suspend the customer's subscription.
    pub fn suspend(reason: impl Into<String>) -> Self {
        Self::SuspendSubscription {
            reason: reason.into(),
        }
    }

    /// The request cannot be processed.
    pub fn invalid_request(reason: impl Into<String>) -> Self {
        Self::InvalidRequest {
            reason: reason.into(),
        }
    }

    /// Whether mParticle should retry.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RetryLater { .. })
    }

    /// Applies the contract to a failed hook: the one place that decides what a partner error
    /// means (the table in the [module docs](self)). A permanent failure is logged here and the
    /// caller goes on as if the data had been delivered.
    pub(crate) fn settle(self, item: &str) -> Settlement {
        match self {
            Self::Permanent { reason } => {
                tracing::error!(item, %reason, "dropping data after a permanent failure");
                Settlement::Dropped
            }
            e @ Self::SuspendSubscription { .. } => Settlement::Suspend(e),
            e => Settlement::Fail(e),
        }
    }
}

/// What the SDK does with a failed hook (see [`PartnerError::settle`]).
#[derive(Debug)]
pub(crate) enum Settlement {
    /// The data was dropped (and logged): carry on.
    Dropped,
    /// Stop, and answer `suspend_subscription: true` where the message has that flag.
    Suspend(PartnerError),
    /// Stop, and report the failure to mParticle as a function error.
    Fail(PartnerError),
}

/// A setting the request needs is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingError {
    /// A required setting is absent or empty.
    #[error("the required setting '{id}' is not provided")]
    Missing {
        /// The setting id.
        id: String,
    },
    /// A setting's value does not parse as the expected type.
    #[error("the setting '{id}' is not {expected}: {value}")]
    Invalid {
        /// The setting id.
        id: String,
        /// What was expected ("an integer", ...).
        expected: &'static str,
        /// The value, or `<redacted>` for confidential settings.
        value: String,
    },
}

impl From<SettingError> for PartnerError {
    fn from(e: SettingError) -> Self {
        PartnerError::InvalidRequest {
            reason: e.to_string(),
        }
    }
}

/// The stable `errorType` of a function error, visible in CloudWatch, X-Ray and to mParticle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorType {
    /// `Firehose.RetryLater`: a transient failure; mParticle retries.
    RetryLater,
    /// `Firehose.InvalidMessage`: the payload is not a Firehose request.
    InvalidMessage,
    /// `Firehose.InvalidRequest`: the request cannot be processed as it is.
    InvalidRequest,
    /// `Firehose.Panic`: the partner's code panicked.
    Panic,
    /// `Firehose.Internal`: the SDK could not encode its response.
    Internal,
    /// `Firehose.InvalidRegistration`: reported at init when the registration is invalid.
    InvalidRegistration,
}

impl ErrorType {
    /// Every error type, in declaration order.
    pub const ALL: [ErrorType; 6] = [
        Self::RetryLater,
        Self::InvalidMessage,
        Self::InvalidRequest,
        Self::Panic,
        Self::Internal,
        Self::InvalidRegistration,
    ];

    /// The `errorType` string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RetryLater => "Firehose.RetryLater",
            Self::InvalidMessage => "Firehose.InvalidMessage",
            Self::InvalidRequest => "Firehose.InvalidRequest",
            Self::Panic => "Firehose.Panic",
            Self::Internal => "Firehose.Internal",
            Self::InvalidRegistration => "Firehose.InvalidRegistration",
        }
    }

    /// The error type named by an `errorType` string.
    ///
    /// ```
    /// use mparticle_firehose::ErrorType;
    ///
    /// for error_type in ErrorType::ALL {
    ///     assert_eq!(ErrorType::from_name(error_type.as_str()), Some(error_type));
    /// }
    /// assert_eq!(ErrorType::from_name("Firehose.Unheard"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Lambda function error: what the function reports instead of a response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error_type}: {message}")]
#[non_exhaustive]
pub struct FunctionError {
    /// The stable error type.
    pub error_type: ErrorType,
    /// What happened.
    pub message: String,
    /// For [`ErrorType::RetryLater`], the delay the partner asked for.
    pub retry_after: Option<Duration>,
}

impl FunctionError {
    /// A function error.
    pub fn new(error_type: ErrorType, message: impl Into<String>) -> Self {
        Self {
            error_type,
            message: message.into(),
            retry_after: None,
        }
    }

    /// The function error that reports a failed hook to mParticle. Only retry-later and
    /// invalid-request failures normally get here ([`PartnerError::settle`]); a suspension on a
    /// message that cannot carry the flag is retried, so nothing is lost.
    pub(crate) fn from_partner(e: PartnerError) -> Self {
        match e {
            PartnerError::RetryLater { retry_after, .. } => Self {
                error_type: ErrorType::RetryLater,
                message: e.to_string(),
                retry_after,
            },
            PartnerError::SuspendSubscription { reason } => Self::new(
                ErrorType::RetryLater,
                format!("suspension is not possible for this message type, retry later: {reason}"),
            ),
            PartnerError::InvalidRequest { reason } => Self::new(ErrorType::InvalidRequest, reason),
            // Settled as dropped before this point; if one arrives, mParticle gives up after its
            // retries rather than looping on data the partner refuses.
            PartnerError::Permanent { .. } => Self::new(ErrorType::InvalidRequest, e.to_string()),
        }
    }

    /// Whether mParticle's retry can help.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.error_type,
            ErrorType::RetryLater | ErrorType::Panic | ErrorType::Internal
        )
    }
}

impl From<DecodeError> for FunctionError {
    fn from(e: DecodeError) -> Self {
        FunctionError::new(ErrorType::InvalidMessage, e.to_string())
    }
}

impl From<FunctionError> for lambda_runtime::Diagnostic {
    fn from(e: FunctionError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.error_type.as_str().to_owned(),
            error_message: e.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_type_is_listed_and_round_trips_through_its_name() {
        for error_type in ErrorType::ALL {
            // Exhaustive: a new variant does not compile until it has its place in `ALL`.
            let position = match error_type {
                ErrorType::RetryLater => 0,
                ErrorType::InvalidMessage => 1,
                ErrorType::InvalidRequest => 2,
                ErrorType::Panic => 3,
                ErrorType::Internal => 4,
                ErrorType::InvalidRegistration => 5,
            };
            assert_eq!(ErrorType::ALL[position], error_type);
            assert_eq!(ErrorType::from_name(error_type.as_str()), Some(error_type));
            assert_eq!(error_type.to_string(), error_type.as_str());
        }
        assert_eq!(ErrorType::from_name("firehose.retrylater"), None);
    }

    #[test]
    fn partner_failures_settle_as_the_contract_says() {
        let delay = Duration::from_secs(7);
        assert!(matches!(
            PartnerError::permanent("x").settle("event"),
            Settlement::Dropped
        ));
        let Settlement::Suspend(e) = PartnerError::suspend("revoked").settle("event") else {
            panic!("a suspension stops the walk");
        };
        let f = FunctionError::from_partner(e);
        assert_eq!(
            (f.error_type, f.is_retryable()),
            (ErrorType::RetryLater, true)
        );
        let Settlement::Fail(e) = PartnerError::retry_after("429", delay).settle("event") else {
            panic!("retry-later fails the message");
        };
        let f = FunctionError::from_partner(e);
        assert_eq!(
            (f.error_type, f.retry_after),
            (ErrorType::RetryLater, Some(delay))
        );
        let Settlement::Fail(e) = PartnerError::invalid_request("no key").settle("event") else {
            panic!("an invalid request fails the message");
        };
        let f = FunctionError::from_partner(e);
        assert_eq!(
            (f.error_type, f.message.as_str()),
            (ErrorType::InvalidRequest, "no key")
        );
    }
}
