//! A successful answer: [`ApiResponse`].

use bytes::Bytes;
use http::StatusCode;
use http::header::HeaderMap;
use serde::de::DeserializeOwned;

use super::{ApiError, ApiErrorKind};

/// A successful answer of the partner API, read whole.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    attempts: u32,
}

impl ApiResponse {
    pub(super) fn new(status: StatusCode, headers: HeaderMap, body: Bytes, attempts: u32) -> Self {
        Self {
            status,
            headers,
            body,
            attempts,
        }
    }

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
            .with_source(e)
        })
    }

    /// The attempts it took.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}
