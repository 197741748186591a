//! The shared secret mParticle sends with every HTTP request but the registration, and the
//! check of the `Authorization: Token <token>` header against it.

use std::fmt;

use ring::digest::{SHA256, digest};
use subtle::ConstantTimeEq;

/// The environment variable [`HttpToken::from_env`] reads.
pub const TOKEN_ENV: &str = "FIREHOSE_HTTP_TOKEN";

/// The longest token accepted, in bytes.
pub const MAX_TOKEN_LEN: usize = 1024;

/// The token mParticle sends as `Authorization: Token <token>`: agreed with mParticle when the
/// HTTP integration is set up, and configured on the function (the `FIREHOSE_HTTP_TOKEN`
/// environment variable, or [`Options::http_token`](crate::lambda::Options::http_token)).
///
/// The value is kept as its SHA-256 digest only; a presented token is hashed the same way and
/// the digests are compared in constant time, so neither the token's bytes nor its length can
/// be learned from response times. `Debug` never shows it.
///
/// ```
/// use mparticle_firehose::endpoint::HttpToken;
///
/// let token = HttpToken::new("s3cr3t-t0ken").unwrap();
/// assert!(token.matches("s3cr3t-t0ken"));
/// assert!(!token.matches("s3cr3t-t0ke"));
/// assert_eq!(format!("{token:?}"), "HttpToken(<redacted>)");
/// assert!(HttpToken::new("two words").is_err());
/// ```
#[derive(Clone)]
pub struct HttpToken {
    digest: [u8; 32],
}

/// Why a token cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token is empty.
    #[error("the HTTP token is empty")]
    Empty,
    /// The token is longer than [`MAX_TOKEN_LEN`] bytes.
    #[error("the HTTP token has {0} bytes; at most {MAX_TOKEN_LEN} are accepted")]
    TooLong(usize),
    /// The token has a character outside printable ASCII (spaces, control characters and
    /// non-ASCII characters cannot travel in an `Authorization` header unchanged).
    #[error(
        "the HTTP token has a character that is not printable ASCII at byte {0} (no spaces, control or non-ASCII characters)"
    )]
    InvalidCharacter(usize),
    /// The environment variable is set but is not valid Unicode.
    #[error("{TOKEN_ENV} is not valid Unicode")]
    NotUnicode,
}

impl HttpToken {
    /// A token: 1 to [`MAX_TOKEN_LEN`] printable ASCII characters, without spaces.
    pub fn new(token: impl AsRef<str>) -> Result<Self, TokenError> {
        let token = token.as_ref();
        if token.is_empty() {
            return Err(TokenError::Empty);
        }
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::TooLong(token.len()));
        }
        if let Some(at) = token.bytes().position(|b| !b.is_ascii_graphic()) {
            return Err(TokenError::InvalidCharacter(at));
        }
        Ok(Self {
            digest: sha256(token.as_bytes()),
        })
    }

    /// The token in `FIREHOSE_HTTP_TOKEN`: `Ok(None)` when the variable is not set, an error
    /// when it is set but not a usable token (empty included).
    pub fn from_env() -> Result<Option<Self>, TokenError> {
        match std::env::var(TOKEN_ENV) {
            Ok(value) => Self::new(value).map(Some),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(TokenError::NotUnicode),
        }
    }

    /// Whether `presented` is this token, compared in constant time.
    pub fn matches(&self, presented: impl AsRef<[u8]>) -> bool {
        sha256(presented.as_ref()).ct_eq(&self.digest).into()
    }
}

impl fmt::Debug for HttpToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HttpToken(<redacted>)")
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, bytes).as_ref());
    out
}

/// Why a request was not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// No token is configured: the function refuses every authenticated request.
    NotConfigured,
    /// No `Authorization` header.
    Missing,
    /// More than one `Authorization` header.
    Ambiguous,
    /// The header is not `Token <token>`.
    Malformed,
    /// The token does not match.
    Wrong,
}

impl AuthFailure {
    /// Words for logs and the answer's body (never the token itself).
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::NotConfigured => {
                "no HTTP token is configured on this function (FIREHOSE_HTTP_TOKEN): only the registration request is answered"
            }
            Self::Missing => "the request has no Authorization header",
            Self::Ambiguous => "the request has more than one Authorization header",
            Self::Malformed => "the Authorization header is not of the form `Token <token>`",
            Self::Wrong => "the token in the Authorization header is not this function's",
        }
    }
}

/// Checks the `Authorization` header values of a request against the configured token.
pub(crate) fn authenticate<'a>(
    token: Option<&HttpToken>,
    mut authorization: impl Iterator<Item = &'a [u8]>,
) -> Result<(), AuthFailure> {
    let Some(token) = token else {
        return Err(AuthFailure::NotConfigured);
    };
    let header = authorization.next().ok_or(AuthFailure::Missing)?;
    if authorization.next().is_some() {
        return Err(AuthFailure::Ambiguous);
    }
    let presented = token_of(header).ok_or(AuthFailure::Malformed)?;
    if token.matches(presented) {
        Ok(())
    } else {
        Err(AuthFailure::Wrong)
    }
}

/// The token of a `Token <token>` header value (scheme case-insensitive, surrounding
/// whitespace ignored).
fn token_of(header: &[u8]) -> Option<&[u8]> {
    let header = header.trim_ascii();
    let (scheme, rest) = header.split_at_checked(5)?;
    if !scheme.eq_ignore_ascii_case(b"token") || !rest.first()?.is_ascii_whitespace() {
        return None;
    }
    let token = rest.trim_ascii_start();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_validated() {
        assert_eq!(HttpToken::new("").unwrap_err(), TokenError::Empty);
        assert_eq!(
            HttpToken::new("a b").unwrap_err(),
            TokenError::InvalidCharacter(1)
        );
        assert_eq!(
            HttpToken::new("tok\n").unwrap_err(),
            TokenError::InvalidCharacter(3)
        );
        assert_eq!(
            HttpToken::new("é").unwrap_err(),
            TokenError::InvalidCharacter(0)
        );
        let long = "x".repeat(MAX_TOKEN_LEN + 1);
        assert_eq!(
            HttpToken::new(&long).unwrap_err(),
            TokenError::TooLong(MAX_TOKEN_LEN + 1)
        );
        assert!(HttpToken::new("x".repeat(MAX_TOKEN_LEN)).is_ok());
    }

    #[test]
    fn the_authorization_header_is_checked() {
        let token = HttpToken::new("s3cr3t").unwrap();
        let check =
            |headers: &[&str]| authenticate(Some(&token), headers.iter().map(|h| h.as_bytes()));
        assert_eq!(check(&["Token s3cr3t"]), Ok(()));
        assert_eq!(check(&["token   s3cr3t "]), Ok(()));
        assert_eq!(check(&["TOKEN\ts3cr3t"]), Ok(()));
        assert_eq!(check(&[]), Err(AuthFailure::Missing));
        assert_eq!(
            check(&["Token s3cr3t", "Token s3cr3t"]),
            Err(AuthFailure::Ambiguous)
        );
        for malformed in [
            "s3cr3t",
            "Bearer s3cr3t",
            "Token",
            "Token ",
            "Tokens3cr3t",
            "",
        ] {
            assert_eq!(
                check(&[malformed]),
                Err(AuthFailure::Malformed),
                "{malformed:?}"
            );
        }
        for wrong in [
            "Token s3cr3",
            "Token s3cr3t2",
            "Token S3CR3T",
            "Token s3cr3t x",
        ] {
            assert_eq!(check(&[wrong]), Err(AuthFailure::Wrong), "{wrong:?}");
        }
        assert_eq!(
            authenticate(None, ["Token s3cr3t".as_bytes()].into_iter()),
            Err(AuthFailure::NotConfigured)
        );
    }
}
