//! Configuring a [`PartnerApi`]: [`PartnerApiBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use reqwest::Url;

use super::client::Inner;
use super::{AuthFailure, BuildError, Classifier, KeyBy, PartnerApi, StandardClassifier};
use crate::flow::{BackoffMemory, BudgetPolicy, KeyedLimiter, RateLimit, RetryPolicy};

/// The user agent of every partner call: `mparticle-firehose/<version>`.
pub const USER_AGENT: &str = concat!("mparticle-firehose/", env!("CARGO_PKG_VERSION"));

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
    pub(super) fn new(base_url: String) -> Self {
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

    builder_methods! {
        /// The longest wait for a TCP and TLS connection.
        connect_timeout(timeout: Duration) => connect_timeout = timeout;
        /// The longest an attempt may take, answer body included; always capped by the time left
        /// in the invocation.
        request_timeout(timeout: Duration) => request_timeout = timeout;
        /// How long an idle pooled connection is kept.
        pool_idle_timeout(timeout: Duration) => pool_idle_timeout = timeout;
        /// How many idle connections per host are kept.
        pool_max_idle_per_host(max: usize) => pool_max_idle_per_host = max;
        /// Asks for gzip-compressed answers and decompresses them (`Accept-Encoding: gzip`).
        gzip(enable: bool) => gzip = enable;
        /// Adds the integration's own product token to the user agent:
        /// `mparticle-firehose/<version> <product>`.
        user_agent_product(product: &str) => user_agent = format!("{USER_AGENT} {product}");
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
    /// per-account key goes on the request:
    /// [`ApiRequest::bearer_auth`](super::ApiRequest::bearer_auth)).
    pub fn bearer_auth(self, token: &str) -> Self {
        self.sensitive_header(AUTHORIZATION.as_str(), &format!("Bearer {token}"))
    }

    builder_methods! {
        /// Attempts and back-off.
        retry(policy: RetryPolicy) => retry = policy;
        /// Attempts in all, the first included.
        max_attempts(attempts: u32) => retry.max_attempts = attempts;
        /// How the time budget of a call derives from the invocation deadline.
        budget(policy: BudgetPolicy) => budget = policy;
        /// Time kept free before the invocation deadline (default 500 ms).
        deadline_headroom(headroom: Duration) => budget.headroom = headroom;
        /// The budget of a call when the invocation deadline is unknown (default 25 s).
        default_budget(budget: Duration) => budget.default_budget = budget;
        /// The longest single wait inside an invocation (default 5 s).
        max_wait(wait: Duration) => budget.max_wait = wait;
        /// Decides what answers mean (default [`StandardClassifier`]).
        classifier(classifier: impl Classifier) => classifier = Arc::new(classifier);
        /// Limits the calls per key, per execution environment.
        rate_limit(limit: RateLimit) => rate_limit = Some(limit);
        /// Which key a call counts against (default [`KeyBy::Account`]).
        key_by(key_by: KeyBy) => key_by = key_by;
        /// What an authorization failure becomes (default [`AuthFailure::RetryLater`]).
        on_auth_failure(policy: AuthFailure) => auth_failure = policy;
        /// The largest answer body read; a larger one fails as an invalid response.
        max_response_bytes(max: usize) => max_response_bytes = max;
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
            .map_err(|e| BuildError::Client(Arc::new(e.without_url())))?;
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
