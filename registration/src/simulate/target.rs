//! Where invocations go: execution environments of the integration run in this process through
//! the SDK's Lambda handler, or any Lambda Invoke API (`cargo lambda watch`, ...).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use mparticle_firehose::dispatch::Dispatcher;
use mparticle_firehose::partner::{Invocation, Partner};
use mparticle_firehose::testing::TEST_FUNCTION_ARN;

/// What one invocation came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The function answered: the response's bytes.
    Response(Vec<u8>),
    /// The function reported a function error.
    FunctionError {
        /// `errorType`.
        error_type: String,
        /// `errorMessage`.
        message: String,
    },
    /// The Invoke API refused the invocation (`429`: no execution environment free).
    Throttled,
    /// The invocation ran past its timeout.
    TimedOut,
    /// The invocation could not be delivered or answered (connection refused, ...).
    Failed(String),
}

/// Builds a fresh partner for a new execution environment (a cold start).
pub type Factory<P> = Arc<dyn Fn() -> Result<Dispatcher<P>, String> + Send + Sync>;

/// One execution environment running the integration in this process: its own partner
/// instance (own HTTP client, rate limiter and back-off memory), built at its first invocation
/// and rebuilt after a timeout, as Lambda resets an environment whose invocation timed out.
pub struct InProcess<P: Partner> {
    factory: Factory<P>,
    dispatcher: Option<Dispatcher<P>>,
}

impl<P: Partner> InProcess<P> {
    /// An environment not started yet.
    pub fn new(factory: Factory<P>) -> Self {
        Self {
            factory,
            dispatcher: None,
        }
    }

    /// Invokes the handler with `payload` and a deadline `timeout` from now; also says whether
    /// the environment had to start (a cold start).
    pub async fn invoke(&mut self, payload: &[u8], timeout: Duration) -> (Outcome, bool) {
        let cold = self.dispatcher.is_none();
        let dispatcher = match &self.dispatcher {
            Some(d) => d.clone(),
            None => match (self.factory)() {
                Ok(d) => self.dispatcher.insert(d).clone(),
                Err(e) => {
                    return (
                        Outcome::FunctionError {
                            error_type: "Runtime.InitError".to_owned(),
                            message: e,
                        },
                        cold,
                    );
                }
            },
        };
        let invocation = Invocation {
            request_id: uuid::Uuid::new_v4().to_string(),
            deadline: Some(Instant::now() + timeout),
            invoked_function_arn: TEST_FUNCTION_ARN.to_owned(),
        };
        let outcome =
            match tokio::time::timeout(timeout, dispatcher.handle(payload, invocation)).await {
                Ok(Ok(response)) => Outcome::Response(response),
                Ok(Err(e)) => Outcome::FunctionError {
                    error_type: e.error_type.as_str().to_owned(),
                    message: e.message,
                },
                Err(_) => {
                    self.dispatcher = None;
                    Outcome::TimedOut
                }
            };
        (outcome, cold)
    }
}

/// A function behind a Lambda Invoke API: `POST` the payload; `200` is the response, a `500` or
/// an `X-Amz-Function-Error` header a function error, a `429` a throttle, a `408` (as
/// `cargo lambda watch` answers) a timeout.
#[derive(Clone)]
pub struct Remote {
    client: Client<HttpConnector, Full<Bytes>>,
    url: Uri,
}

/// How long past the function's timeout an Invoke API is given to report that timeout.
const REMOTE_SLACK: Duration = Duration::from_secs(2);

impl Remote {
    /// A client of the Invoke API at `url` (plain HTTP).
    pub fn new(url: &str) -> Result<Self, String> {
        let url: Uri = url
            .parse()
            .map_err(|e| format!("--invoke-url {url:?}: {e}"))?;
        if url.scheme_str() != Some("http") {
            return Err(format!(
                "--invoke-url {url}: only http:// Invoke APIs (local emulators) are supported"
            ));
        }
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self { client, url })
    }

    /// Invokes the function with `payload`, waiting at most `timeout` and a little more for the
    /// Invoke API to report a timeout itself.
    pub async fn invoke(&self, payload: &[u8], timeout: Duration) -> Outcome {
        let mut request = Request::new(Full::new(Bytes::copy_from_slice(payload)));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = self.url.clone();
        request
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| format!("{e:?}"))?;
            let status = response.status();
            let function_error = response
                .headers()
                .get("x-amz-function-error")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok::<_, String>((status, function_error, body))
        };
        match tokio::time::timeout(timeout + REMOTE_SLACK, exchange).await {
            Err(_) => Outcome::TimedOut,
            Ok(Err(e)) => Outcome::Failed(e),
            Ok(Ok((StatusCode::TOO_MANY_REQUESTS, _, _))) => Outcome::Throttled,
            // `cargo lambda watch` answers 408 when the function did not answer in time.
            Ok(Ok((StatusCode::REQUEST_TIMEOUT, _, _))) => Outcome::TimedOut,
            Ok(Ok((StatusCode::OK, None, body))) => Outcome::Response(body.to_vec()),
            Ok(Ok((status, marker, body))) => {
                let reported: serde_json::Value =
                    serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
                let field = |name| reported.get(name).and_then(|v| v.as_str());
                let error_type = field("errorType")
                    .map(str::to_owned)
                    .or(marker)
                    .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
                let message = field("errorMessage")
                    .map(str::to_owned)
                    .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
                if error_type.contains("Timedout") || error_type.contains("TimedOut") {
                    Outcome::TimedOut
                } else {
                    Outcome::FunctionError {
                        error_type,
                        message,
                    }
                }
            }
        }
    }
}

/// An execution environment (in-process), or one caller of an Invoke API (remote).
pub enum Environment<P: Partner> {
    /// In this process.
    InProcess(InProcess<P>),
    /// Behind an Invoke API.
    Remote(Box<Remote>),
}

impl<P: Partner> Environment<P> {
    /// Invokes the function with `payload`; also says whether the environment had to start
    /// (a cold start, known only in-process).
    pub async fn invoke(&mut self, payload: &[u8], timeout: Duration) -> (Outcome, bool) {
        match self {
            Self::InProcess(env) => env.invoke(payload, timeout).await,
            Self::Remote(remote) => (remote.invoke(payload, timeout).await, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// An Invoke API that answers every invocation with `answer` (a raw HTTP response).
    async fn canned(answer: String) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut seen = Vec::new();
                    let mut buf = [0u8; 4096];
                    // The request is small: read until its (short) body has arrived.
                    while !seen.ends_with(b"{}") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => seen.extend_from_slice(&buf[..n]),
                        }
                    }
                    let _ = stream.write_all(answer.as_bytes()).await;
                });
            }
        });
        format!("http://{addr}/2015-03-31/functions/f/invocations")
    }

    async fn outcome(answer: impl Into<String>) -> Outcome {
        let remote = Remote::new(&canned(answer.into()).await).unwrap();
        remote.invoke(b"{}", Duration::from_secs(5)).await
    }

    #[tokio::test]
    async fn invoke_api_answers_map_onto_outcomes() {
        let ok = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
        assert_eq!(outcome(ok).await, Outcome::Response(b"{}".to_vec()));

        let error = r#"{"errorType":"Firehose.RetryLater","errorMessage":"later"}"#;
        let flagged = format!(
            "HTTP/1.1 200 OK\r\nx-amz-function-error: Unhandled\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{error}",
            error.len()
        );
        let expected = Outcome::FunctionError {
            error_type: "Firehose.RetryLater".to_owned(),
            message: "later".to_owned(),
        };
        assert_eq!(outcome(flagged).await, expected);
        let failed = format!(
            "HTTP/1.1 500 Internal Server Error\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{error}",
            error.len()
        );
        assert_eq!(outcome(failed).await, expected);

        let throttled =
            "HTTP/1.1 429 Too Many Requests\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        assert_eq!(outcome(throttled).await, Outcome::Throttled);
        let late = "HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        assert_eq!(outcome(late).await, Outcome::TimedOut);
    }

    #[tokio::test]
    async fn only_plain_http_invoke_apis_are_accepted() {
        assert!(Remote::new("https://lambda.example/invocations").is_err());
        assert!(Remote::new("not a url").is_err());
    }
}
