//! What a partner's answer means: success, retry, authorization failure or rejection.

use std::time::{Duration, SystemTime};

use http::StatusCode;
use http::header::{HeaderMap, RETRY_AFTER};

/// The meaning of a partner's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Classification {
    /// Delivered.
    Success,
    /// A transient failure (rate limit, overload, outage): worth retrying.
    Retry {
        /// How long the partner asked to wait, if it said.
        retry_after: Option<Duration>,
        /// What the partner said, for the error message.
        detail: Option<String>,
    },
    /// The credentials were refused (`401`, `403`): see [`AuthFailure`](super::AuthFailure).
    Unauthorized {
        /// What the partner said, for the error message.
        detail: Option<String>,
    },
    /// The request can never succeed as it is: the data is dropped.
    Reject {
        /// What the partner said, for the error message.
        detail: Option<String>,
    },
}

impl Classification {
    /// A transient failure, after `retry_after` if the partner said.
    pub fn retry(retry_after: Option<Duration>) -> Self {
        Self::Retry {
            retry_after,
            detail: None,
        }
    }

    /// An authorization failure.
    pub fn unauthorized() -> Self {
        Self::Unauthorized { detail: None }
    }

    /// A permanent rejection.
    pub fn reject() -> Self {
        Self::Reject { detail: None }
    }

    /// Adds what the partner said (never put secrets here: it ends up in logs).
    pub fn with_detail(self, detail: impl Into<String>) -> Self {
        let detail = Some(detail.into());
        match self {
            Self::Success => Self::Success,
            Self::Retry { retry_after, .. } => Self::Retry {
                retry_after,
                detail,
            },
            Self::Unauthorized { .. } => Self::Unauthorized { detail },
            Self::Reject { .. } => Self::Reject { detail },
        }
    }

    /// Whether the answer is a success.
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Success)
    }
}

/// Decides what a partner's answer means, from its status, headers and body.
///
/// The default is [`StandardClassifier`]. Plug your own into
/// [`PartnerApiBuilder::classifier`](super::PartnerApiBuilder::classifier) when the API says
/// more than its status does (some answer `200` with an error code in the body); a closure with
/// the same arguments is a classifier too.
///
/// ```
/// use std::time::Duration;
/// use mparticle_firehose::http::{Classification, StatusCode, classify_status, header::HeaderMap};
///
/// // An API that answers 200 with {"code": 40100} when its rate limit is hit.
/// let classifier = |status: StatusCode, headers: &HeaderMap, body: &[u8]| {
///     #[derive(serde::Deserialize)]
///     struct Answer { code: i64 }
///     match serde_json::from_slice::<Answer>(body) {
///         Ok(Answer { code: 0 }) => Classification::Success,
///         Ok(Answer { code: 40100 }) => {
///             Classification::retry(Some(Duration::from_secs(1))).with_detail("QPS limit (40100)")
///         }
///         Ok(Answer { code }) => Classification::reject().with_detail(format!("code {code}")),
///         Err(_) => classify_status(status, headers),
///     }
/// };
/// # let _ = mparticle_firehose::http::PartnerApi::builder("https://api.example.com/").classifier(classifier);
/// ```
pub trait Classifier: Send + Sync + 'static {
    /// What the answer means.
    fn classify(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Classification;
}

impl<F> Classifier for F
where
    F: Fn(StatusCode, &HeaderMap, &[u8]) -> Classification + Send + Sync + 'static,
{
    fn classify(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Classification {
        self(status, headers, body)
    }
}

/// The standard rules, by status alone ([`classify_status`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct StandardClassifier;

impl Classifier for StandardClassifier {
    fn classify(&self, status: StatusCode, headers: &HeaderMap, _body: &[u8]) -> Classification {
        classify_status(status, headers)
    }
}

/// The standard meaning of a status: `2xx` success; `408`, `429` and `5xx` retryable (with
/// `Retry-After` when given), except `501` and `505`, which retrying cannot fix; `401` and `403`
/// authorization failures; anything else (other `4xx`, an unfollowed `3xx`) a rejection.
///
/// ```
/// use mparticle_firehose::http::{Classification, StatusCode, classify_status, header::HeaderMap};
///
/// let none = HeaderMap::new();
/// assert!(classify_status(StatusCode::NO_CONTENT, &none).is_success());
/// assert_eq!(classify_status(StatusCode::BAD_GATEWAY, &none), Classification::retry(None));
/// assert_eq!(classify_status(StatusCode::FORBIDDEN, &none), Classification::unauthorized());
/// assert_eq!(classify_status(StatusCode::UNPROCESSABLE_ENTITY, &none), Classification::reject());
/// ```
pub fn classify_status(status: StatusCode, headers: &HeaderMap) -> Classification {
    match status.as_u16() {
        200..=299 => Classification::Success,
        401 | 403 => Classification::unauthorized(),
        408 | 429 => Classification::retry(retry_after(headers)),
        501 | 505 => Classification::reject(),
        500..=599 => Classification::retry(retry_after(headers)),
        _ => Classification::reject(),
    }
}

/// The `Retry-After` header of an answer, as a wait from now.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, SystemTime::now())
}

/// Parses a `Retry-After` value, delta-seconds (`120`; a decimal is tolerated) or an HTTP-date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`), into a wait from `now`. A date in the past is no wait.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use mparticle_firehose::http::parse_retry_after;
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_445_412_400); // 2015-10-21 07:26:40 GMT
/// assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), Some(Duration::from_secs(80)));
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(Duration::from_secs);
    }
    if value.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let seconds = value.parse::<f64>().ok()?;
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}
