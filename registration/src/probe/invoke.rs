//! Invoking the function: through an (unsigned) Lambda Invoke API over HTTP, or through the
//! `aws` CLI for a deployed alias.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

/// What the emulator answers when the function did not respond before its `--timeout`: most
/// often because the function exited at init (the SDK's init error never reached the emulator).
const EMULATOR_GAVE_UP: &str = "no answer: the Invoke API gave up waiting for the function (HTTP 408 Request Timeout); \
     the function most likely failed at init or crashed: its output (the `cargo lambda watch` log) says why";

/// Extra time granted to the aws CLI beyond the answer timeout, for its own start-up.
const CLI_GRACE: Duration = Duration::from_secs(20);

/// How the function answered one invocation.
#[derive(Debug)]
pub enum Answer {
    /// The function returned this payload.
    Response(Vec<u8>),
    /// The function failed: an error it returned, a panic, or an init error.
    FunctionError {
        /// `errorType` (e.g. `Firehose.InvalidRegistration`).
        error_type: String,
        /// `errorMessage`.
        message: String,
    },
    /// The function never answered; why.
    Silent(String),
    /// Over HTTP (a function URL): an answer other than 2xx, with its body.
    Status {
        /// The HTTP status.
        status: u16,
        /// The body (a JSON error with `errorType` and `errorMessage` from the SDK).
        body: Vec<u8>,
    },
}

/// One invocation: the answer and how long it took.
#[derive(Debug)]
pub struct Invoked {
    pub answer: Answer,
    pub elapsed: Duration,
}

/// Where the probe sends its requests.
pub enum Target {
    /// A Lambda Invoke API URL, such as `cargo lambda watch`'s.
    Http {
        client: reqwest::Client,
        url: reqwest::Url,
        timeout: Duration,
    },
    /// A deployed function, through the `aws` CLI.
    AwsCli(AwsCli),
}

/// The `aws` CLI and how to call it.
pub struct AwsCli {
    arn: String,
    region: Option<String>,
    profile: Option<String>,
    timeout: Duration,
    /// `aws --version`'s first word, e.g. `aws-cli/2.22.0`.
    version: String,
    /// v2 reads `--payload` as base64 unless told otherwise.
    v2: bool,
    /// How long `aws --version` took: the CLI's own start-up, part of every call's latency.
    startup: Duration,
}

impl Target {
    /// A target behind an Invoke API URL.
    pub fn http(url: &str, timeout: Duration) -> Result<Self, String> {
        let url = reqwest::Url::parse(url).map_err(|e| format!("--invoke-url {url:?}: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(format!(
                "--invoke-url {url}: expected an http:// or https:// URL"
            ));
        }
        let client = http_client(&url, timeout)?;
        Ok(Self::Http {
            client,
            url,
            timeout,
        })
    }

    /// A deployed function behind `arn`, invoked with the `aws` CLI found on PATH.
    pub async fn aws_cli(
        arn: &str,
        region: Option<String>,
        profile: Option<String>,
        timeout: Duration,
    ) -> Result<Self, String> {
        let started = Instant::now();
        let mut version = tokio::process::Command::new("aws");
        version
            .arg("--version")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let output = match tokio::time::timeout(CLI_GRACE, version.output()).await {
            Ok(Ok(output)) => output,
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err("--function-arn needs the aws CLI, which is not on PATH".to_owned());
            }
            Ok(Err(e)) => return Err(format!("cannot run `aws --version`: {e}")),
            Err(_) => return Err("`aws --version` did not finish".to_owned()),
        };
        let startup = started.elapsed();
        // awscli v1 printed its version on standard error for a long time; v2 on standard output.
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let version = text
            .split_whitespace()
            .find(|word| word.starts_with("aws-cli/"))
            .map(str::to_owned)
            .ok_or_else(|| {
                format!(
                    "cannot tell the aws CLI's version from `aws --version`: {:?}",
                    text.trim()
                )
            })?;
        let major = version["aws-cli/".len()..]
            .split('.')
            .next()
            .and_then(|m| m.parse::<u32>().ok())
            .ok_or_else(|| format!("cannot tell the aws CLI's major version from {version:?}"))?;
        Ok(Self::AwsCli(AwsCli {
            arn: arn.to_owned(),
            region,
            profile,
            timeout,
            version,
            v2: major >= 2,
            startup,
        }))
    }

    /// What is probed, for the report.
    pub fn describe(&self) -> String {
        match self {
            Self::Http { url, .. } => url.to_string(),
            Self::AwsCli(cli) => format!("{} (through {})", cli.arn, cli.version),
        }
    }

    /// Why the measured latencies are not the function's alone, if they are not.
    pub fn latency_note(&self) -> Option<String> {
        match self {
            Self::Http { .. } => None,
            Self::AwsCli(cli) => Some(format!(
                "each call includes the aws CLI's start-up (`aws --version` took {} ms)",
                cli.startup.as_millis()
            )),
        }
    }

    /// Invokes the function once with `payload`. `Err` is a transport or usage problem: the
    /// function could not be reached at all.
    pub async fn invoke(&self, payload: &[u8]) -> Result<Invoked, String> {
        match self {
            Self::Http {
                client,
                url,
                timeout,
            } => invoke_http(client, url, *timeout, payload).await,
            Self::AwsCli(cli) => cli.invoke(payload).await,
        }
    }
}

/// The HTTP client for a probe of `url`: the whole exchange within `timeout`, and no proxy
/// from the environment for a loopback URL (it must not swallow a local emulator's traffic).
pub(super) fn http_client(
    url: &reqwest::Url,
    timeout: Duration,
) -> Result<reqwest::Client, String> {
    // reqwest is built without a default crypto provider; installing twice is refused, which
    // is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)));
    if is_loopback(url) {
        builder = builder.no_proxy();
    }
    builder
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {}", chain(&e)))
}

pub(super) fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host_str() {
        Some(host) if host.eq_ignore_ascii_case("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

async fn invoke_http(
    client: &reqwest::Client,
    url: &reqwest::Url,
    timeout: Duration,
    payload: &[u8],
) -> Result<Invoked, String> {
    let no_answer = || {
        Answer::Silent(format!(
            "no answer within {} s (--timeout)",
            timeout.as_secs()
        ))
    };
    let started = Instant::now();
    let sent = client
        .post(url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(payload.to_vec())
        .send()
        .await;
    let response = match sent {
        Ok(response) => response,
        Err(e) if e.is_timeout() => {
            return Ok(Invoked {
                answer: no_answer(),
                elapsed: started.elapsed(),
            });
        }
        Err(e) if e.is_connect() => return Err(format!("cannot connect to {url}: {}", chain(&e))),
        Err(e) => return Err(format!("cannot invoke {url}: {}", chain(&e))),
    };
    let status = response.status().as_u16();
    let function_error = response
        .headers()
        .get("x-amz-function-error")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let body = match response.bytes().await {
        Ok(body) => body.to_vec(),
        Err(e) if e.is_timeout() => {
            return Ok(Invoked {
                answer: no_answer(),
                elapsed: started.elapsed(),
            });
        }
        Err(e) => return Err(format!("cannot read the answer of {url}: {}", chain(&e))),
    };
    let elapsed = started.elapsed();
    let answer = classify(status, function_error, body)?;
    Ok(Invoked { answer, elapsed })
}

/// Sorts an Invoke API answer into a response, a function error or no answer. Real Lambda
/// answers a function error with 200 and `X-Amz-Function-Error`; `cargo lambda watch` answers
/// it with 500 and no header, relays an init error as a plain 200 with the error body, and gives
/// up on a function that never answers with 408.
pub fn classify(
    status: u16,
    function_error: Option<String>,
    body: Vec<u8>,
) -> Result<Answer, String> {
    let error_body = error_body(&body);
    if let Some(kind) = function_error {
        return Ok(match error_body {
            Some((error_type, message)) => Answer::FunctionError {
                error_type,
                message,
            },
            None => Answer::FunctionError {
                error_type: kind,
                message: String::from_utf8_lossy(&body).into_owned(),
            },
        });
    }
    match (status, error_body) {
        (200 | 500, Some((error_type, message))) => Ok(Answer::FunctionError {
            error_type,
            message,
        }),
        (200, None) => Ok(Answer::Response(body)),
        (408, _) => Ok(Answer::Silent(EMULATOR_GAVE_UP.to_owned())),
        (404, _) => Err(format!(
            "the Invoke API knows no such function (HTTP 404): {}",
            snippet(&body)
        )),
        (status, _) => Err(format!(
            "the Invoke API answered HTTP {status}: {}",
            snippet(&body)
        )),
    }
}

/// `errorType` and `errorMessage` of a Lambda error body: an object with a string `errorType`
/// and no Firehose `type`.
fn error_body(body: &[u8]) -> Option<(String, String)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object()?;
    if object.contains_key("type") {
        return None;
    }
    let error_type = object.get("errorType")?.as_str()?.to_owned();
    let message = match object.get("errorMessage") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    Some((error_type, message))
}

/// The start of a body, for messages.
pub fn snippet(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".to_owned();
    }
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// An error and its sources, on one line.
pub(super) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let next = e.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = e.source();
    }
    text
}

/// Removes the CLI's output file however the call ends.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl AwsCli {
    async fn invoke(&self, payload: &[u8]) -> Result<Invoked, String> {
        let payload = std::str::from_utf8(payload)
            .map_err(|_| "the request payload is not UTF-8".to_owned())?;
        let out = TempFile(std::env::temp_dir().join(format!(
            "firehose-probe-{}-{}.json",
            std::process::id(),
            uuid::Uuid::new_v4()
        )));
        let seconds = self.timeout.as_secs().to_string();
        let mut cmd = tokio::process::Command::new("aws");
        cmd.args(["lambda", "invoke", "--function-name", &self.arn])
            .args(["--payload", payload])
            .args(["--output", "json"])
            .args([
                "--cli-read-timeout",
                &seconds,
                "--cli-connect-timeout",
                "10",
            ]);
        if self.v2 {
            cmd.args(["--cli-binary-format", "raw-in-base64-out"]);
        }
        if let Some(region) = &self.region {
            cmd.args(["--region", region]);
        }
        if let Some(profile) = &self.profile {
            cmd.args(["--profile", profile]);
        }
        cmd.arg(&out.0)
            // One call is one invocation: a retry would send the message twice and hide latency.
            .env("AWS_MAX_ATTEMPTS", "1")
            .env("AWS_PAGER", "")
            .stdin(Stdio::null())
            .kill_on_drop(true);

        let started = Instant::now();
        let output = match tokio::time::timeout(self.timeout + CLI_GRACE, cmd.output()).await {
            Ok(Ok(output)) => output,
            Ok(Err(e)) => return Err(format!("cannot run the aws CLI: {e}")),
            Err(_) => {
                return Ok(Invoked {
                    answer: Answer::Silent(format!(
                        "the aws CLI got no answer within {} s",
                        (self.timeout + CLI_GRACE).as_secs()
                    )),
                    elapsed: started.elapsed(),
                });
            }
        };
        let elapsed = started.elapsed();
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        if !output.status.success() {
            if stderr.contains("Read timeout") {
                return Ok(Invoked {
                    answer: Answer::Silent(format!("no answer: {stderr}")),
                    elapsed,
                });
            }
            return Err(format!(
                "`aws lambda invoke` failed ({}): {}",
                output.status,
                if stderr.is_empty() {
                    "no message"
                } else {
                    &stderr
                }
            ));
        }
        let meta: Value = serde_json::from_slice(&output.stdout).map_err(|e| {
            format!(
                "cannot read `aws lambda invoke`'s output ({e}): {}",
                snippet(&output.stdout)
            )
        })?;
        let status = meta
            .get("StatusCode")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or(200);
        let function_error = meta
            .get("FunctionError")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let body = std::fs::read(&out.0)
            .map_err(|e| format!("cannot read the answer the aws CLI wrote: {e}"))?;
        let answer = classify(status, function_error, body)?;
        Ok(Invoked { answer, elapsed })
    }
}
