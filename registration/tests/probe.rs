//! `firehose probe` from the outside: against canned Invoke API answers and a fake `aws` CLI
//! (fast, no emulator), and against real functions served by `cargo lambda watch`: the test
//! partner in its `ok`, `broken` (fails at init) and `unvalidated` modes, and the example
//! integration.
//!
//! The emulator tests need `cargo-lambda` (scripts/ensure-python-tools.sh installs it into
//! `.venv/bin`) and are skipped, saying so, when it is missing, except in CI (`CI` set), where
//! that is a failure. Everything listens on loopback only and every wait is bounded.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use firehose_tests::{KillOnDrop, find_tool, free_port, http_client, in_ci};
use mparticle_firehose::model::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The longest any single `firehose probe` run may take.
const PROBE_LIMIT: Duration = Duration::from_secs(600);

/// What a `firehose probe` run did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Asserts that `text` is in standard output, showing both streams if it is not.
    fn says(&self, text: &str) -> &Self {
        assert!(
            self.stdout.contains(text),
            "expected {text:?} in the report\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// Asserts that some line of standard output, trimmed, is `line`.
    fn has_line(&self, line: &str) -> &Self {
        assert!(
            self.stdout.lines().any(|l| l.trim() == line),
            "expected a line {line:?} in the report\n--- stdout\n{}",
            self.stdout
        );
        self
    }

    fn exits(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit status\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Runs `firehose probe ARGS` with extra environment variables.
async fn probe(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_firehose"));
    cmd.arg("probe")
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(PROBE_LIMIT, cmd.output())
        .await
        .expect("firehose probe finishes")
        .expect("firehose probe runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// A canned Lambda Invoke API.

/// One canned HTTP answer.
#[derive(Clone)]
struct Canned {
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    body: String,
    /// Never answer (the function hangs).
    hang: bool,
}

impl Canned {
    fn ok(body: Value) -> Self {
        Self::status(200, body)
    }

    fn status(status: u16, body: Value) -> Self {
        Self::text(status, body.to_string())
    }

    /// A body exactly as given (key order and all).
    fn text(status: u16, body: String) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body,
            hang: false,
        }
    }

    fn header(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers.push((name, value));
        self
    }

    fn hang() -> Self {
        Self {
            hang: true,
            ..Self::status(200, Value::Null)
        }
    }
}

/// The envelope of a well-formed response of `response_type`.
fn envelope(response_type: &str) -> Value {
    json!({
        "type": response_type,
        "id": uuid::Uuid::new_v4().to_string(),
        "timestamp_ms": 1_700_000_000_000_i64,
        "firehose_version": "3.2.0",
    })
}

/// A valid registration response, as the SDK encodes it.
fn valid_registration() -> String {
    let registration = ModuleRegistrationResponse::new("Canned Partner", "2.0.0")
        .with_description("Answers from a canned Invoke API.")
        .with_event_processing(
            EventProcessingRegistration::new()
                .with_account_setting(Setting::text("apiKey", "API key").required())
                .with_event_types([EventType::CustomEvent]),
        )
        .with_audience_processing(AudienceProcessingRegistration::new());
    Message::new(registration).to_json().expect("encodes")
}

/// What a healthy function answers to each request type.
fn healthy(request_type: &str) -> Canned {
    Canned::ok(match request_type {
        "module_registration_request" => return Canned::text(200, valid_registration()),
        "event_processing_request" => envelope("event_processing_response"),
        "audience_membership_change_request" => {
            let mut answer = envelope("audience_membership_change_response");
            answer["suspend_subscription"] = json!(false);
            answer
        }
        other => panic!("the probe sent an unexpected {other}"),
    })
}

/// Serves the Invoke API on a loopback port; `answer` gets each request's `type`. Returns the
/// invoke URL. The server lives as long as the test's runtime.
async fn invoke_api(answer: impl Fn(&str) -> Canned + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!(
        "http://{}/2015-03-31/functions/canned/invocations",
        listener.local_addr().expect("address")
    );
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let answer = Arc::clone(&answer);
            tokio::spawn(async move {
                let _ =
                    tokio::time::timeout(Duration::from_secs(60), exchange(stream, &*answer)).await;
            });
        }
    });
    url
}

/// Reads one HTTP/1.1 request and writes the canned answer.
async fn exchange(
    mut stream: tokio::net::TcpStream,
    answer: &(dyn Fn(&str) -> Canned + Send + Sync),
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let request: Value = serde_json::from_slice(&buf[head_end..]).unwrap_or(Value::Null);
    let canned = answer(request["type"].as_str().unwrap_or_default());
    if canned.hang {
        tokio::time::sleep(Duration::from_secs(30)).await;
        return Ok(());
    }
    let mut response = format!(
        "HTTP/1.1 {} Canned\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        canned.status,
        canned.body.len()
    );
    for (name, value) in &canned.headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(&canned.body);
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

/// A scratch directory under the target directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("probe-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn a_healthy_function_passes_and_its_registration_is_printed_and_written() {
    let url = invoke_api(healthy).await;
    let scratch = Scratch::new("healthy");
    let file = scratch.0.join("registration.json");
    let run = probe(
        &["--invoke-url", &url, "--output", file.to_str().unwrap()],
        &[],
    )
    .await;
    run.exits(0)
        .says("ok    registration           type is module_registration_response")
        .says("\"Canned Partner\" 2.0.0 passes validation")
        .says("suspend_subscription is false")
        .says("verification calls averaged")
        .says("passed: ")
        .says(
            "Registration to hand to mParticle:\n{\n  \"type\": \"module_registration_response\",",
        );
    let written: Value =
        serde_json::from_slice(&std::fs::read(&file).expect("written")).expect("the file is JSON");
    assert_eq!(written["name"], "Canned Partner");
    assert_eq!(written["type"], "module_registration_response");

    let run = probe(&["--invoke-url", &url, "--json", "--account-id", "42"], &[]).await;
    run.exits(0);
    let report: Value = serde_json::from_str(&run.stdout).expect("--json prints one JSON object");
    assert_eq!(report["passed"], true);
    assert_eq!(report["registration_valid"], true);
    assert_eq!(report["registration"]["name"], "Canned Partner");
    let checks = report["checks"].as_array().expect("checks");
    assert!(checks.iter().all(|c| c["status"] == "ok"), "{checks:#?}");
    for call in [
        "registration",
        "event_verification",
        "audience_verification",
    ] {
        assert!(report["latency_ms"][call].is_u64(), "{report:#}");
        assert!(
            checks
                .iter()
                .any(|c| c["call"] == call && c["check"] == "type")
        );
    }
}

#[tokio::test]
async fn the_probe_sends_what_mparticle_sends() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = Arc::clone(&seen);
    let url = invoke_api(move |request_type| {
        log.lock().unwrap().push(request_type.to_owned());
        healthy(request_type)
    })
    .await;
    probe(&["--invoke-url", &url], &[]).await.exits(0);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "module_registration_request",
            "event_processing_request",
            "audience_membership_change_request"
        ]
    );
}

#[tokio::test]
async fn wrong_answers_fail_and_each_defect_is_named() {
    let url = invoke_api(|request_type| match request_type {
        // The wrong type for a registration request.
        "module_registration_request" => Canned::ok(envelope("event_processing_response")),
        "event_processing_request" => {
            let mut answer = envelope("event_processing_response");
            answer["id"] = json!("12345");
            answer.as_object_mut().unwrap().remove("timestamp_ms");
            Canned::ok(answer)
        }
        _ => {
            let mut answer = envelope("audience_membership_change_response");
            answer["suspend_subscription"] = json!(true);
            answer.as_object_mut().unwrap().remove("firehose_version");
            Canned::ok(answer)
        }
    })
    .await;
    let scratch = Scratch::new("wrong");
    let file = scratch.0.join("registration.json");
    let run = probe(
        &["--invoke-url", &url, "--output", file.to_str().unwrap()],
        &[],
    )
    .await;
    run.exits(1)
        .says(
            "FAIL  registration           type is \"event_processing_response\"; expected \"module_registration_response\"",
        )
        .says("FAIL  event verification     id \"12345\" is not a UUID")
        .says("FAIL  event verification     no timestamp_ms")
        .says("FAIL  audience verification  no firehose_version")
        .says("FAIL  audience verification  suspend_subscription is true")
        // The SDK's decoder refuses the id too.
        .says("FAIL  event verification     does not decode: invalid_value at $.id")
        .says("FAILED: 6 of ");
    assert!(!run.stdout.contains("Registration"), "{}", run.stdout);
    assert!(!file.exists(), "no registration is written");
}

#[tokio::test]
async fn function_errors_fail_with_their_type_and_message() {
    let url = invoke_api(|request_type| match request_type {
        // Real Lambda: 200 and X-Amz-Function-Error.
        "module_registration_request" => Canned::ok(
            json!({"errorType": "Firehose.Panic", "errorMessage": "the hook panicked"}),
        )
        .header("X-Amz-Function-Error", "Unhandled"),
        // cargo lambda watch: 500 and no header.
        "event_processing_request" => Canned::status(
            500,
            json!({"errorType": "Firehose.RetryLater", "errorMessage": "try again"}),
        ),
        // cargo lambda watch relaying an init error: a plain 200 with the error body.
        _ => Canned::ok(json!({
            "errorType": "Firehose.InvalidRegistration",
            "errorMessage": "the registration is invalid:\n  - the registration has no name\n  - the registration has no version",
        })),
    })
    .await;
    let run = probe(&["--invoke-url", &url], &[]).await;
    run.exits(1)
        .says("FAIL  registration           function error Firehose.Panic after ")
        .says("the hook panicked")
        .says("FAIL  event verification     function error Firehose.RetryLater after ")
        .says("FAIL  audience verification  function error Firehose.InvalidRegistration after ")
        // Every line of a multi-line message is shown, under its check.
        .has_line("- the registration has no name")
        .has_line("- the registration has no version");
}

#[tokio::test]
async fn a_function_that_does_not_answer_fails_and_the_rest_is_skipped() {
    // cargo lambda watch gives up on a dead function with 408.
    let url = invoke_api(|_| Canned::status(408, Value::Null)).await;
    probe(&["--invoke-url", &url], &[])
        .await
        .exits(1)
        .says("FAIL  registration           no answer: the Invoke API gave up waiting")
        .says("failed at init")
        .says("skip  event verification     not sent")
        .says("skip  audience verification  not sent");

    // A function that hangs past --timeout.
    let url = invoke_api(|request_type| match request_type {
        "event_processing_request" => Canned::hang(),
        other => healthy(other),
    })
    .await;
    probe(&["--invoke-url", &url, "--timeout", "1"], &[])
        .await
        .exits(1)
        .says("ok    registration ")
        .says("FAIL  event verification     no answer within 1 s (--timeout)")
        .says("skip  audience verification  not sent: the event verification call got no answer");
}

#[tokio::test]
async fn unreachable_targets_and_bad_usage_exit_2() {
    let closed = format!(
        "http://127.0.0.1:{}/2015-03-31/functions/none/invocations",
        free_port()
    );
    let run = probe(&["--invoke-url", &closed], &[]).await;
    run.exits(2);
    assert!(run.stderr.contains("cannot connect"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);

    let url = invoke_api(|_| Canned::status(404, json!({"title": "Missing function"}))).await;
    let run = probe(&["--invoke-url", &url], &[]).await;
    run.exits(2);
    assert!(run.stderr.contains("HTTP 404"), "{}", run.stderr);

    for args in [
        &[][..],
        &[
            "--invoke-url",
            &url,
            "--function-arn",
            "arn:aws:lambda:us-east-1:1:function:f:live",
        ][..],
        &["--invoke-url", &url, "--region", "us-east-1"][..],
        &["--invoke-url", "not a url"][..],
        &["--invoke-url", &url, "--timeout", "0"][..],
    ] {
        let run = probe(args, &[]).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    }
}

// ---------------------------------------------------------------------------------------------
// A fake `aws` CLI, for `--function-arn`.

/// Writes an `aws` script that behaves like awscli `major` (1 or 2) for `lambda invoke`:
/// v2 refuses a raw payload without `--cli-binary-format raw-in-base64-out`, v1 refuses that
/// option. It answers from `<dir>/<request_type>.json`, reports a function error when
/// `<dir>/<request_type>.error` exists, and logs its arguments to `<dir>/calls.log`.
#[cfg(unix)]
fn fake_aws(dir: &Path, major: u8) {
    use std::os::unix::fs::PermissionsExt;

    let version = if major == 1 {
        // awscli v1 long printed its version on standard error.
        "echo 'aws-cli/1.45.11 Python/3.11.7 Linux/6 botocore/1.43.11' >&2"
    } else {
        "echo 'aws-cli/2.22.0 Python/3.12.6 Linux/6 exe/x86_64.debian.12'"
    };
    let binary_format = if major == 1 {
        "echo 'Unknown options: --cli-binary-format' >&2; exit 252"
    } else {
        "binary_format=yes"
    };
    let script = format!(
        r#"#!/bin/sh
here=$(dirname "$0")
if [ "$1" = "--version" ]; then {version}; exit 0; fi
echo "$*" >> "$here/calls.log"
[ "$1 $2" = "lambda invoke" ] || {{ echo "unexpected: $*" >&2; exit 252; }}
shift 2
payload=""; out=""; binary_format=""
while [ $# -gt 0 ]; do
  case "$1" in
    --payload) payload="$2"; shift 2 ;;
    --cli-binary-format) [ "$2" = raw-in-base64-out ] || exit 252; {binary_format}; shift 2 ;;
    --function-name|--output|--region|--profile|--cli-read-timeout|--cli-connect-timeout) shift 2 ;;
    *) out="$1"; shift ;;
  esac
done
if [ {major} -ge 2 ] && [ -z "$binary_format" ]; then
  echo "Invalid base64: \"$payload\"" >&2; exit 255
fi
type=$(printf '%s' "$payload" | sed -n 's/.*"type":"\([a-z_]*\)".*/\1/p')
[ -f "$here/$type.json" ] || {{ echo "An error occurred (ResourceNotFoundException) when calling the Invoke operation: Function not found" >&2; exit 254; }}
cp "$here/$type.json" "$out"
if [ -f "$here/$type.error" ]; then
  echo '{{"StatusCode": 200, "FunctionError": "Unhandled", "ExecutedVersion": "3"}}'
else
  echo '{{"StatusCode": 200, "ExecutedVersion": "3"}}'
fi
"#
    );
    let path = dir.join("aws");
    std::fs::write(&path, script).expect("fake aws");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// `PATH` with `dir` first.
#[cfg(unix)]
fn path_with(dir: &Path) -> String {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    let paths = std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&rest));
    std::env::join_paths(paths)
        .expect("PATH")
        .into_string()
        .expect("UTF-8 PATH")
}

#[cfg(unix)]
#[tokio::test]
async fn a_deployed_alias_is_probed_through_the_aws_cli_v1_and_v2() {
    const ARN: &str = "arn:aws:lambda:eu-west-1:123456789012:function:acme:live";
    for major in [1, 2] {
        let scratch = Scratch::new(&format!("aws-v{major}"));
        fake_aws(&scratch.0, major);
        for request_type in [
            "module_registration_request",
            "event_processing_request",
            "audience_membership_change_request",
        ] {
            let Canned { body, .. } = healthy(request_type);
            std::fs::write(scratch.0.join(format!("{request_type}.json")), body).unwrap();
        }
        let path = path_with(&scratch.0);
        let env = [("PATH", path.as_str())];
        let args = [
            "--function-arn",
            ARN,
            "--region",
            "eu-west-1",
            "--profile",
            "partner",
        ];
        let run = probe(&args, &env).await;
        run.exits(0)
            .says(&format!("firehose probe: {ARN} (through aws-cli/{major}."))
            .says("\"Canned Partner\" 2.0.0 passes validation")
            .says("includes the aws CLI's start-up")
            .says("Registration to hand to mParticle:");
        let calls = std::fs::read_to_string(scratch.0.join("calls.log")).unwrap();
        assert_eq!(calls.lines().count(), 3, "{calls}");
        for call in calls.lines() {
            assert!(call.starts_with(&format!("lambda invoke --function-name {ARN} ")));
            assert!(call.contains("--region eu-west-1") && call.contains("--profile partner"));
            assert_eq!(call.contains("--cli-binary-format"), major == 2, "{call}");
        }

        // A function error, as the CLI reports it.
        let error = json!({"errorType": "Firehose.RetryLater", "errorMessage": "Acme is down"});
        std::fs::write(
            scratch.0.join("event_processing_request.json"),
            error.to_string(),
        )
        .unwrap();
        std::fs::write(scratch.0.join("event_processing_request.error"), "").unwrap();
        probe(&args, &env)
            .await
            .exits(1)
            .says("FAIL  event verification     function error Firehose.RetryLater after ")
            .says("Acme is down");

        // An AWS error (here: no such function) is not the function's: exit 2.
        std::fs::remove_file(scratch.0.join("module_registration_request.json")).unwrap();
        let run = probe(&args, &env).await;
        run.exits(2);
        assert!(
            run.stderr.contains("ResourceNotFoundException"),
            "{}",
            run.stderr
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Real functions under `cargo lambda watch`.

/// A function served by `cargo lambda watch`, stopped when dropped; its log is kept only when
/// the test fails.
struct Emulator {
    watch: Option<KillOnDrop>,
    url: String,
    log: PathBuf,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        drop(self.watch.take());
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// Builds `package`'s binary `function`, then serves it with `cargo lambda watch` from `dir`,
/// with `env` for the function and the emulator's own `--timeout` of `timeout` seconds. With
/// `warm`, waits until the function has answered once (its first start runs `cargo run`, which
/// can wait long for the build lock on a busy machine). `None` when cargo-lambda is missing
/// outside CI (the test is skipped, saying so).
async fn emulator(
    dir: &Path,
    package: &str,
    function: &str,
    env: &[(&str, &str)],
    timeout: u32,
    warm: bool,
) -> Option<Emulator> {
    let Some(cargo_lambda) = find_tool("cargo-lambda") else {
        assert!(
            !in_ci(),
            "cargo-lambda is missing in CI: run scripts/ensure-python-tools.sh"
        );
        eprintln!("cargo-lambda not found: skipped (run scripts/ensure-python-tools.sh)");
        return None;
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = tokio::process::Command::new(cargo);
    build
        .args(["build", "--quiet", "-p", package, "--bin", function])
        .current_dir(dir)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let status = tokio::time::timeout(Duration::from_secs(600), build.status())
        .await
        .expect("the build finishes within 10 minutes")
        .expect("cargo runs");
    assert!(status.success(), "cargo build -p {package} failed");

    let port = free_port();
    let log_path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("probe-watch-{port}.log"));
    let log = std::fs::File::create(&log_path).expect("emulator log");
    eprintln!("cargo lambda watch log: {}", log_path.display());
    let mut cmd = std::process::Command::new(&cargo_lambda);
    cmd.current_dir(dir)
        .args(["lambda", "watch", "--ignore-changes"])
        .args(["--invoke-address", "127.0.0.1"])
        .args(["--invoke-port", &port.to_string()])
        .args(["--timeout", &timeout.to_string()])
        .envs(env.iter().copied())
        .env("RUST_BACKTRACE", "0")
        .env("AWS_LAMBDA_LOG_LEVEL", "warn")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log handle"))
        .stderr(log);
    let watch = KillOnDrop(cmd.spawn().expect("cargo lambda watch starts"));
    let emulator = Emulator {
        watch: Some(watch),
        url: format!("http://127.0.0.1:{port}/2015-03-31/functions/{function}/invocations"),
        log: log_path,
    };
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "cargo lambda watch did not listen within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if warm {
        let client = http_client();
        let request = mparticle_firehose::testing::messages::registration_request();
        let payload = mparticle_firehose::testing::messages::encode(&request);
        loop {
            let answer = client
                .post(&emulator.url)
                .body(payload.clone())
                .send()
                .await;
            match answer.map(|r| r.status().as_u16()) {
                // The emulator gave up before the function started: it is still building.
                Ok(408) | Err(_) => {}
                Ok(_) => break,
            }
            assert!(
                started.elapsed() < Duration::from_secs(600),
                "the function did not start within 10 minutes: see {}",
                emulator.log.display()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    Some(emulator)
}

/// The test partner's crate directory.
fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests")
}

#[tokio::test]
async fn the_test_partner_passes_under_cargo_lambda_watch() {
    let Some(emulator) = emulator(
        &tests_dir(),
        "firehose-tests",
        "test-partner",
        &[],
        60,
        true,
    )
    .await
    else {
        return;
    };
    probe(&["--invoke-url", &emulator.url, "--timeout", "90"], &[])
        .await
        .exits(0)
        .says("\"Test Partner\" 1.0.0 passes validation")
        .says("suspend_subscription is false")
        .says("passed: ")
        .says("Registration to hand to mParticle:")
        .says("\"name\": \"Test Partner\"");
}

#[tokio::test]
async fn a_registration_refused_at_init_fails_under_cargo_lambda_watch() {
    // The SDK refuses the broken registration at init, reports it to the emulator's Runtime API
    // (`/init/error`) and exits; the emulator relays it to the waiting invoke as a 200 whose
    // body is the error, and the probe shows every violation.
    let env = [("TEST_PARTNER_MODE", "broken")];
    let Some(emulator) = emulator(
        &tests_dir(),
        "firehose-tests",
        "test-partner",
        &env,
        45,
        false,
    )
    .await
    else {
        return;
    };
    let run = probe(&["--invoke-url", &emulator.url, "--timeout", "90"], &[]).await;
    run.exits(1).says("FAIL  registration ");
    assert!(
        !run.stdout.contains("Registration to hand to mParticle"),
        "{}",
        run.stdout
    );
    run.says("Firehose.InvalidRegistration")
        .says("setting id \"apiKey\" appears more than once")
        .says("push_messaging_provider_id is not set");
}

#[tokio::test]
async fn an_unvalidated_registration_fails_the_probe_naming_each_violation() {
    let env = [("TEST_PARTNER_MODE", "unvalidated")];
    let Some(emulator) = emulator(
        &tests_dir(),
        "firehose-tests",
        "test-partner",
        &env,
        60,
        true,
    )
    .await
    else {
        return;
    };
    let scratch = Scratch::new("unvalidated");
    let file = scratch.0.join("registration.json");
    let run = probe(
        &[
            "--invoke-url",
            &emulator.url,
            "--timeout",
            "90",
            "--output",
            file.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    run.exits(1)
        .says("ok    registration           decodes as module_registration_response")
        .says("FAIL  registration           invalid: the description has 250 characters; mParticle requires fewer than 230")
        .says("FAIL  registration           invalid: setting id \"apiKey\" appears more than once in event_processing_registration.account_settings")
        .says("ok    event verification     type is event_processing_response")
        .says("FAILED: 2 of ")
        .says("NOT ready for mParticle")
        .says("\"name\": \"Unvalidated Partner\"");
    assert!(!file.exists(), "an invalid registration is not written");

    let run = probe(&["--invoke-url", &emulator.url, "--json"], &[]).await;
    run.exits(1);
    let report: Value = serde_json::from_str(&run.stdout).expect("one JSON object");
    assert_eq!(report["passed"], false);
    assert_eq!(report["registration_valid"], false);
    let violations: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"] == "valid" && c["status"] == "fail")
        .filter_map(|c| c["detail"].as_str())
        .collect();
    assert_eq!(violations.len(), 2, "{violations:?}");
}

#[tokio::test]
async fn the_example_integration_passes_under_cargo_lambda_watch() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../example-integration");
    // Probing never calls the partner API; a closed port makes sure of it.
    let env = [("PARTNER_API_URL", "http://127.0.0.1:9")];
    let Some(emulator) = emulator(
        &dir,
        "example-integration",
        "example-integration",
        &env,
        60,
        true,
    )
    .await
    else {
        return;
    };
    probe(&["--invoke-url", &emulator.url, "--timeout", "90"], &[])
        .await
        .exits(0)
        .says("passes validation")
        .says("passed: ")
        .says("Registration to hand to mParticle:");
}
