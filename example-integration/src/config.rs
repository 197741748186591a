//! Configuration, from the function's environment.

use std::time::Duration;

/// Where Acme's API lives when `PARTNER_API_URL` is not set.
pub const DEFAULT_API_URL: &str = "https://api.acme.example/";

/// How the integration talks to Acme.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Acme's base URL (`PARTNER_API_URL`).
    pub api_url: String,
    /// Requests per second this execution environment may send to Acme. Acme's quota is global
    /// (per API key); each Lambda execution environment limits itself, so this is the global
    /// quota divided by the function's reserved concurrency (see [`Config::from_env`]).
    pub rate_limit_per_second: u32,
    /// The longest one Acme call may take.
    pub request_timeout: Duration,
    /// Attempts per Acme call within one invocation (transient failures are retried while the
    /// invocation deadline allows).
    pub max_attempts: u32,
    /// Acme calls in flight at once within one invocation.
    pub max_in_flight: usize,
    /// Most events in one `POST /v1/events`.
    pub max_events_per_request: usize,
    /// Most bytes in one request body.
    pub max_request_bytes: usize,
    /// Most user ids in one list membership call.
    pub max_members_per_request: usize,
    /// The longest one wait inside an invocation (a rate-limit permit, a `Retry-After`); longer
    /// waits fail fast as retry-later. In queue mode nobody waits on the consumer, so it may
    /// wait longer than mParticle would.
    pub max_wait: Duration,
}

/// The configuration in the environment is unusable.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl Config {
    /// Defaults for Acme at `api_url`.
    pub fn new(api_url: impl Into<String>) -> Self {
        Self {
            api_url: api_url.into(),
            rate_limit_per_second: 50,
            request_timeout: Duration::from_secs(2),
            max_attempts: 3,
            max_in_flight: 8,
            max_events_per_request: 500,
            max_request_bytes: 1 << 20,
            max_members_per_request: 1_000,
            max_wait: Duration::from_secs(5),
        }
    }

    /// Reads the environment:
    ///
    /// | Variable | Meaning | Default |
    /// | --- | --- | --- |
    /// | `PARTNER_API_URL` | Acme's base URL | `https://api.acme.example/` |
    /// | `PARTNER_RATE_LIMIT_PER_SECOND` | requests per second per execution environment | derived |
    /// | `PARTNER_QUOTA_PER_SECOND` | Acme's global quota, to derive the above | 5000 |
    /// | `FUNCTION_RESERVED_CONCURRENCY` | the function's reserved concurrency, to derive the above | 100 |
    /// | `PARTNER_TIMEOUT_MS` | the longest one Acme call may take | 2000 |
    /// | `PARTNER_MAX_WAIT_MS` | the longest one wait inside an invocation (queue mode: longer) | 5000 |
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup` (for tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let number = |name: &str, default: u64| -> Result<u64, ConfigError> {
            match lookup(name).filter(|v| !v.trim().is_empty()) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        ConfigError(format!("{name} must be a positive integer, not {v:?}"))
                    }),
            }
        };
        let api_url = lookup("PARTNER_API_URL")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_API_URL.to_owned());
        let mut config = Config::new(api_url);
        let per_environment =
            match lookup("PARTNER_RATE_LIMIT_PER_SECOND").filter(|v| !v.trim().is_empty()) {
                Some(_) => number("PARTNER_RATE_LIMIT_PER_SECOND", 0)?,
                None => {
                    let quota = number("PARTNER_QUOTA_PER_SECOND", 5_000)?;
                    let environments = number("FUNCTION_RESERVED_CONCURRENCY", 100)?;
                    (quota / environments).max(1)
                }
            };
        config.rate_limit_per_second = u32::try_from(per_environment)
            .map_err(|_| ConfigError("the rate limit is too large".to_owned()))?;
        config.request_timeout = Duration::from_millis(number("PARTNER_TIMEOUT_MS", 2_000)?);
        config.max_wait = Duration::from_millis(number("PARTNER_MAX_WAIT_MS", 5_000)?);
        Ok(config)
    }
}
