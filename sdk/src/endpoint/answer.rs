//! The error contract over HTTP: every way a request can end, as a status, headers and a JSON
//! body.

use std::time::Duration;

use aws_lambda_events::http::header::{ALLOW, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use aws_lambda_events::http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::json;

use super::body::BodyError;
use super::token::AuthFailure;
use crate::codec::DecodeError;
use crate::error::{ErrorType, FunctionError};

/// Why an HTTP request was not answered with a Firehose response.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Not a POST.
    Method(String),
    /// The body could not be read (size, base64, gzip, encoding).
    Body(BodyError),
    /// Authentication failed, or no token is configured.
    Auth(AuthFailure),
    /// The body is not a Firehose request.
    Undecodable(DecodeError),
    /// The dispatcher's function error.
    Function(FunctionError),
    /// The endpoint itself panicked (a bug).
    Panic(String),
}

impl Refusal {
    /// The status, per the contract in the [module docs](super).
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::Method(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Body(BodyError::TooLarge { .. } | BodyError::InflatesTooLarge { .. }) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Self::Body(BodyError::UnsupportedEncoding(_)) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Body(_) | Self::Undecodable(_) => StatusCode::BAD_REQUEST,
            Self::Auth(AuthFailure::NotConfigured) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Auth(_) => StatusCode::UNAUTHORIZED,
            Self::Function(e) => match e.error_type {
                ErrorType::RetryLater => StatusCode::SERVICE_UNAVAILABLE,
                ErrorType::InvalidMessage => StatusCode::BAD_REQUEST,
                ErrorType::InvalidRequest => StatusCode::UNPROCESSABLE_ENTITY,
                // Panic, Internal, and anything newer: a server error, which mParticle retries.
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Self::Panic(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable `errorType` of the answer's body.
    pub(crate) fn error_type(&self) -> &'static str {
        match self {
            Self::Method(_) => "Firehose.MethodNotAllowed",
            Self::Body(BodyError::TooLarge { .. } | BodyError::InflatesTooLarge { .. }) => {
                "Firehose.PayloadTooLarge"
            }
            Self::Body(BodyError::UnsupportedEncoding(_)) => "Firehose.UnsupportedEncoding",
            Self::Body(_) => "Firehose.InvalidBody",
            Self::Auth(AuthFailure::NotConfigured) => "Firehose.NotConfigured",
            Self::Auth(_) => "Firehose.Unauthorized",
            Self::Undecodable(_) => ErrorType::InvalidMessage.as_str(),
            Self::Function(e) => e.error_type.as_str(),
            Self::Panic(_) => ErrorType::Panic.as_str(),
        }
    }

    /// The status, headers and JSON body of the answer.
    pub(crate) fn answer(&self) -> (StatusCode, HeaderMap, String) {
        let mut headers = json_headers();
        let message = match self {
            Self::Method(method) => {
                headers.insert(ALLOW, HeaderValue::from_static("POST"));
                format!("{method} is not allowed: mParticle POSTs Firehose messages")
            }
            Self::Body(e) => e.to_string(),
            Self::Auth(failure) => {
                if *failure != AuthFailure::NotConfigured {
                    headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
                }
                failure.describe().to_owned()
            }
            Self::Undecodable(e) => e.to_string(),
            Self::Function(e) => {
                if let Some(delay) = e.retry_after {
                    headers.insert(RETRY_AFTER, HeaderValue::from(retry_after_seconds(delay)));
                }
                e.message.clone()
            }
            Self::Panic(what) => format!("the HTTP endpoint panicked: {what}"),
        };
        let mut body = json!({ "errorType": self.error_type(), "errorMessage": message });
        if let Self::Undecodable(e) = self {
            body["kind"] = json!(e.kind().as_str());
            body["path"] = json!(e.path());
            body["reason"] = json!(e.reason());
        }
        (self.status(), headers, body.to_string())
    }
}

/// `Content-Type: application/json`, which every answer has.
pub(crate) fn json_headers() -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(2);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers
}

/// `Retry-After` in whole seconds, rounded up (a partner's 1.5 s is not 1 s).
fn retry_after_seconds(delay: Duration) -> u64 {
    let whole = delay.as_secs();
    if delay.subsec_nanos() > 0 {
        whole.saturating_add(1)
    } else {
        whole
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_seconds(Duration::from_secs(7)), 7);
        assert_eq!(retry_after_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::ZERO), 0);
        assert_eq!(retry_after_seconds(Duration::MAX), u64::MAX);
    }

    #[test]
    fn every_function_error_has_a_status_mparticle_reads_right() {
        // mParticle retries 408, 429 and 5xx, and nothing else.
        let retried = |s: StatusCode| s.is_server_error() || s.as_u16() == 408 || s.as_u16() == 429;
        for error_type in ErrorType::ALL {
            if error_type == ErrorType::InvalidRegistration {
                // Reported at init only, never in answer to a request.
                continue;
            }
            let e = FunctionError::new(error_type, "x");
            let status = Refusal::Function(e.clone()).status();
            assert_eq!(retried(status), e.is_retryable(), "{error_type}: {status}");
        }
    }
}
