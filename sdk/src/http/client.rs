//! The client: [`PartnerApi`], built once per execution environment, and which key a call
//! counts against ([`KeyBy`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::Method;
use reqwest::Url;

use super::{ApiRequest, AuthFailure, Classifier, PartnerApiBuilder};
use crate::flow::{BackoffMemory, BudgetPolicy, KeyedLimiter, RetryPolicy};
use crate::partner::RequestContext;

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
    pub(super) fn key_for(&self, ctx: &RequestContext) -> String {
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

/// What the clones of one [`PartnerApi`] share.
pub(super) struct Inner {
    pub(super) client: reqwest::Client,
    pub(super) base: Url,
    pub(super) request_timeout: Duration,
    pub(super) retry: RetryPolicy,
    pub(super) budget: BudgetPolicy,
    pub(super) classifier: Arc<dyn Classifier>,
    pub(super) limiter: Option<KeyedLimiter>,
    pub(super) memory: BackoffMemory,
    pub(super) key_by: KeyBy,
    pub(super) auth_failure: AuthFailure,
    pub(super) max_response_bytes: usize,
}

/// A client for the partner's API: built once per execution environment, cheap to clone
/// (clones share the connection pool, rate limiter and back-off memory). See the
/// [module docs](super).
///
/// ```
/// use mparticle_firehose::http::PartnerApi;
///
/// let api = PartnerApi::builder("https://api.acme.example/v2").build()?;
/// // The base path is kept: "events" goes to /v2/events.
/// assert_eq!(api.base_url(), "https://api.acme.example/v2/");
/// let shared = api.clone();
/// # drop(shared);
/// # Ok::<(), mparticle_firehose::http::BuildError>(())
/// ```
#[derive(Clone)]
pub struct PartnerApi {
    pub(super) inner: Arc<Inner>,
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
    pub fn base_url(&self) -> &str {
        self.inner.base.as_str()
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
        let url = self
            .inner
            .base
            .join(path.trim_start_matches('/'))
            .map_err(|e| format!("invalid path {path:?}: {e}"));
        ApiRequest::new(self.clone(), method, url)
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
