//! Probing over HTTP, as mParticle sends to an HTTP endpoint (a Lambda function URL): POSTs
//! with `Authorization: Token <token>` on every request but the registration.

use std::time::{Duration, Instant};

use super::invoke::{Answer, Invoked, chain, http_client};

/// The token the probe sends where a wrong one is wanted (refused as `--token`, so it is never
/// the function's).
const WRONG_TOKEN: &str = "firehose-probe-wrong-token";

/// Which `Authorization` header a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authorization {
    /// None.
    Without,
    /// `Token <the probe's --token>`.
    Token,
    /// `Token <a token that is not the function's>`.
    Wrong,
}

/// A function URL (or any HTTPS endpoint serving Firehose messages) and the token to send.
pub struct UrlTarget {
    client: reqwest::Client,
    url: reqwest::Url,
    token: String,
    timeout: Duration,
}

impl UrlTarget {
    /// A target at `url`; `token` is the one agreed with mParticle.
    pub fn new(url: &str, token: String, timeout: Duration) -> Result<Self, String> {
        let url = reqwest::Url::parse(url).map_err(|e| format!("--url {url:?}: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(format!("--url {url}: expected an http:// or https:// URL"));
        }
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(
                "the token must be printable ASCII without spaces (what the function accepts)"
                    .to_owned(),
            );
        }
        if token == WRONG_TOKEN {
            return Err("that token is the one the probe sends as a wrong token".to_owned());
        }
        let client = http_client(&url, timeout)?;
        Ok(Self {
            client,
            url,
            token,
            timeout,
        })
    }

    /// What is probed, for the report (never the token).
    pub fn describe(&self) -> String {
        self.url.to_string()
    }

    /// POSTs `payload` with the given authorization. `Err` is a transport problem: the
    /// endpoint could not be reached at all.
    pub async fn send(
        &self,
        payload: &[u8],
        authorization: Authorization,
    ) -> Result<Invoked, String> {
        let url = &self.url;
        let mut request = self
            .client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(payload.to_vec());
        match authorization {
            Authorization::Without => {}
            Authorization::Token => {
                request = request.header(
                    reqwest::header::AUTHORIZATION,
                    format!("Token {}", self.token),
                );
            }
            Authorization::Wrong => {
                request = request.header(
                    reqwest::header::AUTHORIZATION,
                    format!("Token {WRONG_TOKEN}"),
                );
            }
        }
        let silent = |started: Instant| Invoked {
            answer: Answer::Silent(format!(
                "no answer within {} s (--timeout)",
                self.timeout.as_secs()
            )),
            elapsed: started.elapsed(),
        };
        let started = Instant::now();
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) if e.is_timeout() => return Ok(silent(started)),
            Err(e) if e.is_connect() => {
                return Err(format!("cannot connect to {url}: {}", chain(&e)));
            }
            Err(e) => return Err(format!("cannot reach {url}: {}", chain(&e))),
        };
        let status = response.status().as_u16();
        let body = match response.bytes().await {
            Ok(body) => body.to_vec(),
            Err(e) if e.is_timeout() => return Ok(silent(started)),
            Err(e) => return Err(format!("cannot read the answer of {url}: {}", chain(&e))),
        };
        let elapsed = started.elapsed();
        // mParticle takes 200 and 202 as success.
        let answer = if matches!(status, 200 | 202) {
            Answer::Response(body)
        } else {
            Answer::Status { status, body }
        };
        Ok(Invoked { answer, elapsed })
    }
}
