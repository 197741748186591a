//! A client for the partner's own API: one pooled HTTP client per execution environment,
//! deadline-aware retries, `Retry-After`, back-off memory and keyed rate limits.
//!
//! Build one [`PartnerApi`] when the function starts (in the partner's constructor, before
//! [`lambda::run`](crate::lambda::run)) and keep it: clones share the connection pool, the rate
//! limiter and the back-off memory. Never build a client per call (real integrations ran out of
//! memory that way).
//!
//! A call ([`ApiRequest::send`]) takes the [`RequestContext`] and so knows the invocation
//! deadline. It:
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

mod classify;
mod error;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use classify::{
    Classification, Classifier, StandardClassifier, classify_status, parse_retry_after, retry_after,
};
pub use error::{ApiError, ApiErrorKind, AuthFailure, BuildError};
pub use reqwest::{Method, StatusCode, Url, header};

use crate::flow::{BackoffMemory, Budget, BudgetPolicy, KeyedLimiter, RateLimit, RetryPolicy};
use crate::partner::RequestContext;

/// The user agent of every partner call: `mparticle-firehose/<version>`.
pub const USER_AGENT: &str = concat!("mparticle-firehose/", env!("CARGO_PKG_VERSION"));

/// Which partner key a call counts against, for the rate limit and the back-off memory.
///
/// ```
/// use mparticle_firehose::http::KeyBy;
///
/// // Partner quotas are per API key, and several accounts may share one.
/// let by_api_key = KeyBy::Setting("apiKey".to_owned());
/// assert_eq!(KeyBy::default(), KeyBy::Account);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum KeyBy {
    /// The mParticle account of the request (default); one shared key when there is none.
    #[default]
    Account,
    /// The value of this account setting (the partner API key, say); the account when the
    /// setting is absent. The value is kept in memory only, never logged.
    Setting(String),
    /// One key for all calls.
    Global,
}

impl KeyBy {
    fn key_for(&self, ctx: &RequestContext) -> String {
        let account = || match ctx.account_id() {
            Some(id) => format!("account:{id}"),
            None => "global".to_owned(),
        };
        match self {
            Self::Account => account(),
            Self::Setting(id) => ctx
                .settings()
                .get(id)
                .map_or_else(account, |v| format!("setting:{v}")),
            Self::Global => "global".to_owned(),
        }
    }
}

struct Inner {
    client: reqwest::Client,
    base: Url,
    request_timeout: Duration,
    retry: RetryPolicy,
    budget: BudgetPolicy,
    classifier: Arc<dyn Classifier>,
    limiter: Option<KeyedLimiter>,
    memory: BackoffMemory,
    key_by: KeyBy,
    auth_failure: AuthFailure,
    max_response_bytes: usize,
}

/// A client for the partner's API: built once per execution environment, cheap to clone
/// (clones share the connection pool, rate limiter and back-off memory). See the
/// [module docs](self).
///
/// ```
/// use mparticle_firehose::http::PartnerApi;
///
/// let api = PartnerApi::builder("https://api.acme.example/v2").build()?;
/// // The base path is kept: "events" goes to /v2/events.
/// assert_eq!(api.base_url().as_str(), "https://api.acme.example/v2/");
/// let shared = api.clone();
/// # drop(shared);
/// # Ok::<(), mparticle_firehose::http::BuildError>(())
/// ```
#[derive(Clone)]
pub struct PartnerApi {
    inner: Arc<Inner>,
}

impl fmt::Debug for PartnerApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartnerApi")
            .field("base", &self.inner.base.as_str())
            .field("request_timeout", &self.inner.request_timeout)
            .field("retry", &self.inner.retry)
            .field("budget", &self.inner.budget)
            .field("limiter", &self.inner.limiter)
            .field("key_by", &self.inner.key_by)
            .finish_non_exhaustive()
    }
}

impl PartnerApi {
    /// A builder for a client of the API at `base_url` (request paths are relative to it).
    pub fn builder(base_url: impl Into<String>) -> PartnerApiBuilder {
        PartnerApiBuilder::new(base_url.into())
    }

    /// The base URL (always ending with `/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The back-off memory, shared by every call of this client.
    pub fn backoff_memory(&self) -> &BackoffMemory {
        &self.inner.memory
    }

    /// The rate limiter, if the client has a rate limit.
    pub fn rate_limiter(&self) -> Option<&KeyedLimiter> {
        self.inner.limiter.as_ref()
    }

    /// The key a call made for `ctx` counts against (see [`KeyBy`]).
    pub fn key_for(&self, ctx: &RequestContext) -> String {
        self.inner.key_by.key_for(ctx)
    }

    /// A request to `path`, relative to the base URL (a leading `/` is ignored; an absolute
    /// URL is used as it is).
    pub fn request(&self, method: Method, path: &str) -> ApiRequest {
        let relative = path.trim_start_matches('/');
        let (url, invalid) = match self.inner.base.join(relative) {
            Ok(url) => (Some(url), None),
            Err(e) => (None, Some(format!("invalid path {path:?}: {e}"))),
        };
        ApiRequest {
            api: self.clone(),
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

    /// A `GET` request.
    pub fn get(&self, path: &str) -> ApiRequest {
        self.request(Method::GET, path)
    }

    /// A `POST` request.
    pub fn post(&self, path: &str) -> ApiRequest {
        self.request(Method::POST, path)
    }

    /// A `PUT` request.
    pub fn put(&self, path: &str) -> ApiRequest {
        self.request(Method::PUT, path)
    }

    /// A `PATCH` request.
    pub fn patch(&self, path: &str) -> ApiRequest {
        self.request(Method::PATCH, path)
    }

    /// A `DELETE` request.
    pub fn delete(&self, path: &str) -> ApiRequest {
        self.request(Method::DELETE, path)
    }
}

/// Configures a [`PartnerApi`].
///
/// Defaults: connect timeout 2 s, request timeout 10 s, idle pooled connections kept 30 s
/// (at most 32 per host), no gzip, user agent [`USER_AGENT`], 3 attempts
/// ([`RetryPolicy::default`]), [`BudgetPolicy::default`] (500 ms headroom, 25 s when the
/// deadline is unknown, waits of at most 5 s), the [`StandardClassifier`], no rate limit, keys
/// by account, authorization failures retry later, answers of at most 8 MiB.
///
/// ```
/// use std::time::Duration;
/// use mparticle_firehose::flow::{RateLimit, RetryPolicy};
/// use mparticle_firehose::http::{AuthFailure, PartnerApi};
///
/// let api = PartnerApi::builder("https://audiences.acme.example/")
///     .connect_timeout(Duration::from_secs(1))
///     .request_timeout(Duration::from_secs(4))
///     .gzip(true)
///     .user_agent_product("acme-firehose/1.4.0")
///     .header("x-acme-source", "mparticle")
///     .retry(RetryPolicy::new(4).with_delays(Duration::from_millis(200), Duration::from_secs(2)))
///     .deadline_headroom(Duration::from_millis(800))
///     .rate_limit(RateLimit::per_minute(600)?)
///     .on_auth_failure(AuthFailure::Suspend)
///     .build()?;
/// # drop(api);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub struct PartnerApiBuilder {
    base_url: String,
    connect_timeout: Duration,
    request_timeout: Duration,
    pool_idle_timeout: Duration,
    pool_max_idle_per_host: usize,
    gzip: bool,
    user_agent: String,
    headers: Vec<(String, String, bool)>,
    retry: RetryPolicy,
    budget: BudgetPolicy,
    classifier: Arc<dyn Classifier>,
    rate_limit: Option<RateLimit>,
    key_by: KeyBy,
    auth_failure: AuthFailure,
    max_response_bytes: usize,
}

impl fmt::Debug for PartnerApiBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartnerApiBuilder")
            .field("base_url", &self.base_url)
            .field("user_agent", &self.user_agent)
            .field(
                "headers",
                &self.headers.iter().map(|h| &h.0).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl PartnerApiBuilder {
    fn new(base_url: String) -> Self {
        Self {
            base_url,
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(10),
            pool_idle_timeout: Duration::from_secs(30),
            pool_max_idle_per_host: 32,
            gzip: false,
            user_agent: USER_AGENT.to_owned(),
            headers: Vec::new(),
            retry: RetryPolicy::default(),
            budget: BudgetPolicy::default(),
            classifier: Arc::new(StandardClassifier),
            rate_limit: None,
            key_by: KeyBy::default(),
            auth_failure: AuthFailure::default(),
            max_response_bytes: 8 << 20,
        }
    }

    /// The longest wait for a TCP and TLS connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The longest an attempt may take, answer body included; always capped by the time left
    /// in the invocation.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How long an idle pooled connection is kept.
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = timeout;
        self
    }

    /// How many idle connections per host are kept.
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool_max_idle_per_host = max;
        self
    }

    /// Asks for gzip-compressed answers and decompresses them (`Accept-Encoding: gzip`).
    pub fn gzip(mut self, enable: bool) -> Self {
        self.gzip = enable;
        self
    }

    /// Adds the integration's own product token to the user agent:
    /// `mparticle-firehose/<version> <product>`.
    pub fn user_agent_product(mut self, product: &str) -> Self {
        self.user_agent = format!("{USER_AGENT} {product}");
        self
    }

    /// A header sent with every request.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_owned(), value.to_owned(), false));
        self
    }

    /// A header sent with every request whose value is secret (kept out of debug output).
    pub fn sensitive_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned(), true));
        self
    }

    /// `Authorization: Bearer <token>` on every request (for one integration-wide token; a
    /// per-account key goes on the request: [`ApiRequest::bearer_auth`]).
    pub fn bearer_auth(self, token: &str) -> Self {
        self.sensitive_header(AUTHORIZATION.as_str(), &format!("Bearer {token}"))
    }

    /// Attempts and back-off.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Attempts in all, the first included.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.retry.max_attempts = attempts;
        self
    }

    /// How the time budget of a call derives from the invocation deadline.
    pub fn budget(mut self, policy: BudgetPolicy) -> Self {
        self.budget = policy;
        self
    }

    /// Time kept free before the invocation deadline (default 500 ms).
    pub fn deadline_headroom(mut self, headroom: Duration) -> Self {
        self.budget.headroom = headroom;
        self
    }

    /// The budget of a call when the invocation deadline is unknown (default 25 s).
    pub fn default_budget(mut self, budget: Duration) -> Self {
        self.budget.default_budget = budget;
        self
    }

    /// The longest single wait inside an invocation (default 5 s).
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.budget.max_wait = wait;
        self
    }

    /// Decides what answers mean (default [`StandardClassifier`]).
    pub fn classifier(mut self, classifier: impl Classifier) -> Self {
        self.classifier = Arc::new(classifier);
        self
    }

    /// Limits the calls per key, per execution environment.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Which key a call counts against (default [`KeyBy::Account`]).
    pub fn key_by(mut self, key_by: KeyBy) -> Self {
        self.key_by = key_by;
        self
    }

    /// What an authorization failure becomes (default [`AuthFailure::RetryLater`]).
    pub fn on_auth_failure(mut self, policy: AuthFailure) -> Self {
        self.auth_failure = policy;
        self
    }

    /// The largest answer body read; a larger one fails as an invalid response.
    pub fn max_response_bytes(mut self, max: usize) -> Self {
        self.max_response_bytes = max;
        self
    }

    /// Builds the client (and installs the `ring` crypto provider for TLS if none is).
    pub fn build(self) -> Result<PartnerApi, BuildError> {
        let base = parse_base(&self.base_url)?;
        let mut headers = HeaderMap::new();
        for (name, value, sensitive) in &self.headers {
            let invalid = || BuildError::Header { name: name.clone() };
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
            let mut value = HeaderValue::from_str(value).map_err(|_| invalid())?;
            value.set_sensitive(*sensitive || name == AUTHORIZATION);
            headers.append(name, value);
        }
        // Another crate may have installed a provider already: either one serves.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(self.user_agent)
            .default_headers(headers)
            .connect_timeout(self.connect_timeout)
            .pool_idle_timeout(self.pool_idle_timeout)
            .pool_max_idle_per_host(self.pool_max_idle_per_host)
            .tcp_keepalive(Duration::from_secs(30))
            .gzip(self.gzip)
            .build()
            .map_err(|e| BuildError::Client(e.to_string()))?;
        Ok(PartnerApi {
            inner: Arc::new(Inner {
                client,
                base,
                request_timeout: self.request_timeout,
                retry: self.retry,
                budget: self.budget,
                classifier: self.classifier,
                limiter: self.rate_limit.map(KeyedLimiter::new),
                memory: BackoffMemory::new(),
                key_by: self.key_by,
                auth_failure: self.auth_failure,
                max_response_bytes: self.max_response_bytes,
            }),
        })
    }
}

fn parse_base(raw: &str) -> Result<Url, BuildError> {
    let refuse = |reason: &str| BuildError::BaseUrl {
        url: raw.to_owned(),
        reason: reason.to_owned(),
    };
    let mut url = Url::parse(raw).map_err(|e| refuse(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(refuse("not an http or https URL"));
    }
    if !url.path().ends_with('/') {
        // Keep the last segment: "https://host/v2" + "events" is /v2/events, not /events.
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

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

    /// The partner key this call counts against (overrides the client's [`KeyBy`]).
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
    /// failures (see the [module docs](self)). The answer is read whole.
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
                            return Ok(ApiResponse {
                                status,
                                headers,
                                body,
                                attempts: attempt,
                            });
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

/// A transport failure, described without its URL (the query may hold credentials).
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
    ApiError::new(kind, message)
}

/// A successful answer of the partner API, read whole.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    attempts: u32,
}

impl ApiResponse {
    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body, owned.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body decoded from JSON; an undecodable body is an
    /// [`ApiErrorKind::InvalidResponse`] (a permanent failure: the call itself went through).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ApiError::new(
                ApiErrorKind::InvalidResponse,
                format!(
                    "HTTP {}: the answer is not the expected JSON: {e}",
                    self.status
                ),
            )
            .with_answer(self.status, self.body.clone())
            .with_attempts(self.attempts)
        })
    }

    /// The attempts it took.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}
