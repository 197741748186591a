//! What a partner can set at start-up, beyond the partner itself.

use crate::endpoint::{HttpToken, TOKEN_ENV};

/// Start-up settings for [`run_with`](super::run_with) and [`serve_with`](super::serve_with).
///
/// ```no_run
/// use mparticle_firehose::endpoint::HttpToken;
/// use mparticle_firehose::lambda::Options;
/// use mparticle_firehose::prelude::*;
///
/// struct Acme;
///
/// #[async_trait]
/// impl Partner for Acme {
///     fn registration(&self) -> ModuleRegistrationResponse {
///         ModuleRegistrationResponse::new("Acme", "1.0.0")
///     }
/// }
///
/// #[tokio::main]
/// async fn main() -> Result<(), mparticle_firehose::lambda::Error> {
///     // For example read from AWS Secrets Manager; here a stand-in.
///     let token = HttpToken::new(std::env::var("MY_SECRET_TOKEN")?)?;
///     mparticle_firehose::lambda::run_with(Acme, Options::new().http_token(token)).await
/// }
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    http_token: Option<HttpToken>,
}

impl Options {
    /// The defaults: the HTTP token comes from `FIREHOSE_HTTP_TOKEN`, if set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The token mParticle sends with HTTP requests ([`endpoint`](crate::endpoint)); it takes
    /// precedence over `FIREHOSE_HTTP_TOKEN`.
    pub fn http_token(mut self, token: HttpToken) -> Self {
        self.http_token = Some(token);
        self
    }

    /// The token to serve HTTP events with: the one given, else `FIREHOSE_HTTP_TOKEN`. An
    /// unusable variable is logged and read as no token: HTTP requests other than the
    /// registration are then refused (fail closed) while direct invocations are served.
    pub(super) fn resolve_http_token(self) -> Option<HttpToken> {
        if let Some(token) = self.http_token {
            return Some(token);
        }
        match HttpToken::from_env() {
            Ok(Some(token)) => Some(token),
            Ok(None) => {
                tracing::debug!(
                    "{TOKEN_ENV} is not set: HTTP events other than the registration will be refused with 503"
                );
                None
            }
            Err(e) => {
                tracing::error!(
                    "{TOKEN_ENV} cannot be used ({e}): HTTP events other than the registration will be refused with 503"
                );
                None
            }
        }
    }
}
