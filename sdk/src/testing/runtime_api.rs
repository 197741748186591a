//! A mock of the Lambda Runtime API on loopback, to run a real function binary (or any
//! `lambda_runtime` loop) end to end, without AWS or an emulator.
//!
//! Start it, point the function at it with [`MockRuntimeApi::env`], and [`invoke`](MockRuntimeApi::invoke)
//! payloads: each is queued for the function's next `GET /invocation/next`, and the call returns
//! what the function posts back, a response or an error.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use tokio::sync::{Notify, oneshot};

use super::invoke::TEST_FUNCTION_ARN;
use super::loopback::{LoopbackServer, serve_loopback};

const PREFIX: &str = "/2018-06-01/runtime";

/// What the function posted for one invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `POST /invocation/{id}/response`: the response body.
    Response(Vec<u8>),
    /// `POST /invocation/{id}/error`: the reported error.
    Error {
        /// `errorType`.
        error_type: String,
        /// `errorMessage`.
        error_message: String,
    },
}

/// Why an invocation produced no outcome.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    /// The function did not answer in time (it may have crashed).
    #[error("the function did not answer within {0:?}")]
    Timeout(Duration),
    /// The function reported an initialization error.
    #[error("the function failed to initialize: {0}")]
    InitError(String),
}

/// Options of one invocation.
#[derive(Debug, Clone)]
pub struct InvokeOptions {
    /// Time the function gets before its deadline.
    pub deadline_in: Duration,
    /// The invoked function ARN sent with the invocation.
    pub function_arn: String,
    /// How long [`MockRuntimeApi::invoke`] waits for an outcome.
    pub wait: Duration,
}

impl Default for InvokeOptions {
    fn default() -> Self {
        Self {
            deadline_in: Duration::from_secs(30),
            function_arn: TEST_FUNCTION_ARN.to_owned(),
            wait: Duration::from_secs(30),
        }
    }
}

struct Pending {
    request_id: String,
    payload: Bytes,
    deadline_ms: u64,
    function_arn: String,
}

#[derive(Default)]
struct State {
    queue: Mutex<VecDeque<Pending>>,
    queued: Notify,
    waiting: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    init_error: Mutex<Option<String>>,
    init_failed: Notify,
}

/// A Lambda Runtime API on `127.0.0.1`, serving until dropped.
pub struct MockRuntimeApi {
    server: LoopbackServer,
    state: Arc<State>,
}

impl MockRuntimeApi {
    /// Binds a free loopback port and starts serving.
    pub async fn start() -> std::io::Result<Self> {
        let state = Arc::new(State::default());
        let served = Arc::clone(&state);
        // A function that exits mid-request just closes its connection.
        let server = serve_loopback(0, move |req| route(Arc::clone(&served), req)).await?;
        Ok(Self { server, state })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.server.addr().to_string()
    }

    /// The environment a function needs to run against this API.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_LAMBDA_RUNTIME_API", self.address()),
            ("AWS_LAMBDA_FUNCTION_NAME", "firehose-test".to_owned()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_owned()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "1".to_owned()),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "test".to_owned()),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                "/aws/lambda/firehose-test".to_owned(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Queues a payload and waits for what the function posts back.
    pub async fn invoke(&self, payload: impl Into<Bytes>) -> Result<Outcome, InvokeError> {
        self.invoke_with(payload, InvokeOptions::default()).await
    }

    /// Like [`invoke`](Self::invoke), with a deadline, ARN and wait of your choice.
    pub async fn invoke_with(
        &self,
        payload: impl Into<Bytes>,
        options: InvokeOptions,
    ) -> Result<Outcome, InvokeError> {
        let request_id = uuid::Uuid::new_v4().to_string();
        let (tx, rx) = oneshot::channel();
        lock(&self.state.waiting).insert(request_id.clone(), tx);
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let deadline_ms =
            u64::try_from(now_ms + options.deadline_in.as_millis()).unwrap_or(u64::MAX);
        lock(&self.state.queue).push_back(Pending {
            request_id: request_id.clone(),
            payload: payload.into(),
            deadline_ms,
            function_arn: options.function_arn,
        });
        self.state.queued.notify_one();
        let init_failed = self.state.init_failed.notified();
        tokio::select! {
            outcome = rx => outcome.map_err(|_| InvokeError::Timeout(options.wait)),
            () = init_failed => Err(InvokeError::InitError(lock(&self.state.init_error).clone().unwrap_or_default())),
            () = tokio::time::sleep(options.wait) => {
                lock(&self.state.waiting).remove(&request_id);
                Err(InvokeError::Timeout(options.wait))
            }
        }
    }

    /// Starts a function binary against this API (its environment from [`env`](Self::env),
    /// plus `extra`), with stdin and stdout closed and stderr inherited. The process is killed
    /// when the returned guard is dropped, so a failing test leaves nothing running.
    pub fn spawn(
        &self,
        binary: impl AsRef<std::ffi::OsStr>,
        extra: &[(&str, &str)],
    ) -> std::io::Result<FunctionProcess> {
        let child = std::process::Command::new(binary)
            .envs(self.env())
            .env("RUST_BACKTRACE", "0")
            .envs(extra.iter().copied())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()?;
        Ok(FunctionProcess(child))
    }

    /// The initialization error the function reported, if any.
    pub fn init_error(&self) -> Option<String> {
        lock(&self.state.init_error).clone()
    }
}

/// A function process started by [`MockRuntimeApi::spawn`]; killed when dropped.
pub struct FunctionProcess(pub std::process::Child);

impl FunctionProcess {
    /// The process id.
    pub fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for FunctionProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn reply(status: StatusCode, body: impl Into<Bytes>) -> Response<Bytes> {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
}

async fn route(state: Arc<State>, req: Request<Bytes>) -> Result<Response<Bytes>, Infallible> {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Ok(reply(StatusCode::NOT_FOUND, "unknown path"));
    };
    if method == Method::GET && rest == "/invocation/next" {
        return Ok(next(&state).await);
    }
    if method != Method::POST {
        return Ok(reply(StatusCode::METHOD_NOT_ALLOWED, ""));
    }
    let body = req.into_body();
    if rest == "/init/error" {
        *lock(&state.init_error) = Some(String::from_utf8_lossy(&body).into_owned());
        state.init_failed.notify_waiters();
        return Ok(reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#));
    }
    let Some((request_id, kind)) = rest
        .strip_prefix("/invocation/")
        .and_then(|r| r.split_once('/'))
    else {
        return Ok(reply(StatusCode::NOT_FOUND, "unknown path"));
    };
    let outcome = match kind {
        "response" => Outcome::Response(body.to_vec()),
        "error" => {
            let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            Outcome::Error {
                error_type: parsed["errorType"].as_str().unwrap_or_default().to_owned(),
                error_message: parsed["errorMessage"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            }
        }
        _ => return Ok(reply(StatusCode::NOT_FOUND, "unknown path")),
    };
    match lock(&state.waiting).remove(request_id) {
        Some(tx) => {
            let _ = tx.send(outcome);
            Ok(reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#))
        }
        None => Ok(reply(StatusCode::BAD_REQUEST, "unknown request id")),
    }
}

/// Long-polls until an invocation is queued, like the real `/next`.
async fn next(state: &State) -> Response<Bytes> {
    loop {
        let notified = state.queued.notified();
        if let Some(p) = lock(&state.queue).pop_front() {
            let mut response = reply(StatusCode::OK, p.payload);
            let headers = response.headers_mut();
            let pairs = [
                ("lambda-runtime-aws-request-id", p.request_id),
                ("lambda-runtime-deadline-ms", p.deadline_ms.to_string()),
                ("lambda-runtime-invoked-function-arn", p.function_arn),
                (
                    "lambda-runtime-trace-id",
                    "Root=1-00000000-000000000000000000000000;Sampled=0".to_owned(),
                ),
            ];
            for (name, value) in pairs {
                if let Ok(value) = http::header::HeaderValue::from_str(&value) {
                    headers.insert(name, value);
                }
            }
            return response;
        }
        notified.await;
    }
}
