//! One call: [`ApiRequest`], configured then sent within the invocation's time, with its
//! retry loop.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use reqwest::Url;
use serde::Serialize;

use super::client::Inner;
use super::{ApiError, ApiErrorKind, ApiResponse, AuthFailure, Classification, PartnerApi};
use crate::flow::Budget;
use crate::partner::RequestContext;

/// One call to the partner API, configured then sent with [`send`](Self::send).
///
/// Mistakes in the request (an invalid header value, a body that does not serialize) are
/// reported by `send`, as an [`ApiErrorKind::InvalidRequest`].
#[must_use = "a request does nothing until it is sent"]
pub struct ApiRequest {
    api: PartnerApi,
    method: Method,
    url: Option<Url>,
    headers: HeaderMap,
    body: Option<Bytes>,
    key: Option<String>,
    auth_failure: Option<AuthFailure>,
    max_attempts: Option<u32>,
    invalid: Option<String>,
}

impl fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiRequest")
            .field("target", &self.target())
            .finish_non_exhaustive()
    }
}

impl ApiRequest {
    /// A request of `api` to `url` (or the reason the URL is invalid, reported by `send`).
    pub(super) fn new(api: PartnerApi, method: Method, url: Result<Url, String>) -> Self {
        let (url, invalid) = match url {
            Ok(url) => (Some(url), None),
            Err(reason) => (None, Some(reason)),
        };
        Self {
            api,
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            key: None,
            auth_failure: None,
            max_attempts: None,
            invalid,
        }
    }

    fn refuse(&mut self, reason: String) {
        self.invalid.get_or_insert(reason);
    }

    fn insert_header(mut self, name: &str, value: &str, sensitive: bool) -> Self {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(mut value)) => {
                value.set_sensitive(sensitive || name == AUTHORIZATION);
                self.headers.insert(name, value);
            }
            // Never echo the value: it may be a credential.
            _ => self.refuse(format!("invalid header {name:?}")),
        }
        self
    }

    /// Sets a header.
    pub fn header(self, name: &str, value: &str) -> Self {
        self.insert_header(name, value, false)
    }

    /// Sets a header whose value is secret.
    pub fn sensitive_header(self, name: &str, value: &str) -> Self {
        self.insert_header(name, value, true)
    }

    /// Sets `Authorization: Bearer <token>`.
    pub fn bearer_auth(self, token: &str) -> Self {
        self.insert_header(AUTHORIZATION.as_str(), &format!("Bearer {token}"), true)
    }

    /// Appends query parameters (percent-encoded).
    pub fn query<K: AsRef<str>, V: AsRef<str>>(mut self, pairs: &[(K, V)]) -> Self {
        if let Some(url) = &mut self.url {
            let mut query = url.query_pairs_mut();
            for (k, v) in pairs {
                query.append_pair(k.as_ref(), v.as_ref());
            }
        }
        self
    }

    /// A JSON body (`Content-Type: application/json`), encoded once and re-sent on retries.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                self.body = Some(Bytes::from(bytes));
                self.headers
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            Err(e) => self.refuse(format!("the JSON body does not serialize: {e}")),
        }
        self
    }

    /// A body of the given content type.
    pub fn body(mut self, body: impl Into<Bytes>, content_type: &str) -> Self {
        self.body = Some(body.into());
        self.insert_header(CONTENT_TYPE.as_str(), content_type, false)
    }

    /// The partner key this call counts against (overrides the client's [`KeyBy`](super::KeyBy)).
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// What an authorization failure of this call becomes (overrides the client's policy).
    pub fn on_auth_failure(mut self, policy: AuthFailure) -> Self {
        self.auth_failure = Some(policy);
        self
    }

    /// Attempts in all for this call (overrides the client's retry policy).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// `METHOD host/path`, without the query (which may hold credentials).
    fn target(&self) -> String {
        match &self.url {
            Some(url) => format!(
                "{} {}{}",
                self.method,
                url.host_str().unwrap_or_default(),
                url.path()
            ),
            None => format!("{} <invalid URL>", self.method),
        }
    }

    /// Sends the request within the time `ctx`'s invocation has left, retrying transient
    /// failures (see the [module docs](super)). The answer is read whole.
    ///
    /// ```no_run
    /// # use mparticle_firehose::{PartnerError, RequestContext, http::PartnerApi};
    /// # async fn hook(api: &PartnerApi, ctx: &RequestContext) -> Result<(), PartnerError> {
    /// #[derive(serde::Deserialize)]
    /// struct Created { id: String }
    /// let created: Created = api
    ///     .post("users")
    ///     .json(&serde_json::json!({ "email": "ann@example.com" }))
    ///     .send(ctx)
    ///     .await?
    ///     .json()?;
    /// tracing::info!(id = created.id, "user created");
    /// # Ok(()) }
    /// ```
    pub async fn send(self, ctx: &RequestContext) -> Result<ApiResponse, ApiError> {
        let inner = Arc::clone(&self.api.inner);
        let budget = Budget::for_context(ctx, &inner.budget);
        let key = match &self.key {
            Some(key) => key.clone(),
            None => inner.key_by.key_for(ctx),
        };
        let policy = self.auth_failure.unwrap_or(inner.auth_failure);
        self.run(&inner, &budget, &key)
            .await
            .map_err(|e| e.with_auth_failure(policy))
    }

    async fn run(
        &self,
        inner: &Inner,
        budget: &Budget,
        key: &str,
    ) -> Result<ApiResponse, ApiError> {
        let target = self.target();
        let (Some(url), None) = (&self.url, &self.invalid) else {
            let reason = self.invalid.as_deref().unwrap_or("invalid URL");
            return Err(ApiError::new(
                ApiErrorKind::InvalidRequest,
                format!("{target}: {reason}"),
            ));
        };
        if let Err(refused) = inner.memory.wait(key, budget).await {
            tracing::warn!(%target, wait = ?refused.wait, "the partner asked to back off: failing fast");
            return Err(ApiError::new(
                ApiErrorKind::BackingOff,
                format!("{target}: the partner asked to back off; {refused}"),
            )
            .with_retry_after(Some(refused.wait)));
        }
        let max_attempts = self.max_attempts.unwrap_or(inner.retry.max_attempts).max(1);
        let mut last: Option<ApiError> = None;
        for attempt in 1..=max_attempts {
            if let Some(limiter) = &inner.limiter
                && let Err(refused) = limiter.acquire(key, budget).await
            {
                tracing::warn!(%target, wait = ?refused.wait, "no rate-limit permit in time: failing fast");
                return Err(ApiError::new(
                    ApiErrorKind::RateLimited,
                    format!("{target}: rate limit of this environment; {refused}"),
                )
                .with_retry_after(Some(refused.wait))
                .with_attempts(attempt - 1));
            }
            let Some(timeout) = budget.attempt_timeout(inner.request_timeout) else {
                return Err(last.unwrap_or_else(|| {
                    ApiError::new(
                        ApiErrorKind::DeadlineReached,
                        format!(
                            "{target}: too little time left before the invocation deadline ({:?})",
                            budget.remaining()
                        ),
                    )
                    .with_attempts(attempt - 1)
                }));
            };
            let failure = match self.attempt(inner, url, timeout, &target).await {
                Ok((status, headers, body)) => {
                    match inner.classifier.classify(status, &headers, &body) {
                        Classification::Success => {
                            tracing::debug!(%target, %status, attempt, "partner call succeeded");
                            return Ok(ApiResponse::new(status, headers, body, attempt));
                        }
                        Classification::Retry {
                            retry_after,
                            detail,
                        } => {
                            if let Some(wait) = retry_after {
                                inner.memory.remember(key, wait);
                            }
                            answer_error(ApiErrorKind::Retryable, &target, status, detail, body)
                                .with_retry_after(retry_after)
                        }
                        Classification::Unauthorized { detail } => {
                            answer_error(ApiErrorKind::Unauthorized, &target, status, detail, body)
                        }
                        Classification::Reject { detail } => {
                            answer_error(ApiErrorKind::Rejected, &target, status, detail, body)
                        }
                    }
                }
                Err(e) => e,
            }
            .with_attempts(attempt);
            if !failure.is_retryable() || attempt >= max_attempts {
                return Err(failure);
            }
            let wait = failure
                .retry_after()
                .unwrap_or_else(|| inner.retry.delay(attempt));
            if let Err(refused) = budget.sleep(wait).await {
                tracing::warn!(%target, error = %failure, %refused, "not retrying in this invocation");
                return Err(failure);
            }
            tracing::info!(%target, error = %failure, ?wait, "retrying a partner call");
            last = Some(failure);
        }
        // Unreachable: the last attempt returns above.
        Err(last.unwrap_or_else(|| ApiError::new(ApiErrorKind::DeadlineReached, target)))
    }

    async fn attempt(
        &self,
        inner: &Inner,
        url: &Url,
        timeout: Duration,
        target: &str,
    ) -> Result<(StatusCode, HeaderMap, Bytes), ApiError> {
        let mut request = reqwest::Request::new(self.method.clone(), url.clone());
        *request.headers_mut() = self.headers.clone();
        if let Some(body) = &self.body {
            *request.body_mut() = Some(body.clone().into());
        }
        let exchange = async {
            let mut response = inner
                .client
                .execute(request)
                .await
                .map_err(|e| transport_error(e, target))?;
            let status = response.status();
            let headers = std::mem::take(response.headers_mut());
            let mut body = BytesMut::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| transport_error(e, target))?
            {
                if body.len().saturating_add(chunk.len()) > inner.max_response_bytes {
                    return Err(ApiError::new(
                        ApiErrorKind::InvalidResponse,
                        format!(
                            "{target}: HTTP {status}: the answer is larger than {} bytes",
                            inner.max_response_bytes
                        ),
                    )
                    .with_answer(status, Bytes::new()));
                }
                body.extend_from_slice(&chunk);
            }
            Ok((status, headers, body.freeze()))
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(outcome) => outcome,
            Err(_) => Err(ApiError::new(
                ApiErrorKind::Timeout,
                format!("{target}: no complete answer within {timeout:?}"),
            )),
        }
    }
}

fn answer_error(
    kind: ApiErrorKind,
    target: &str,
    status: StatusCode,
    detail: Option<String>,
    body: Bytes,
) -> ApiError {
    let mut message = format!("{target}: HTTP {status}");
    if let Some(detail) = detail {
        message.push_str(": ");
        message.push_str(&detail);
    }
    ApiError::new(kind, message).with_answer(status, body)
}

/// A transport failure, described without its URL (the query may hold credentials). The
/// message tells the whole chain of causes; the cause itself, stripped of its URL, stays the
/// error's [`source`](std::error::Error::source).
fn transport_error(e: reqwest::Error, target: &str) -> ApiError {
    let kind = if e.is_builder() {
        ApiErrorKind::InvalidRequest
    } else if e.is_timeout() {
        ApiErrorKind::Timeout
    } else if e.is_redirect() {
        ApiErrorKind::Rejected
    } else {
        ApiErrorKind::Connection
    };
    let e = e.without_url();
    let mut message = format!("{target}: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    ApiError::new(kind, message).with_source(e)
}
