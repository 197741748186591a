//! Running a [`Partner`] on AWS Lambda, over `lambda_runtime`.

mod options;
mod payload;
mod queue;
mod shape;

use lambda_runtime::{LambdaEvent, Runtime, service_fn};
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

pub use options::Options;
use payload::PayloadLayer;
pub use shape::Shape;

use crate::dispatch::Dispatcher;
use crate::endpoint::Endpoint;
use crate::error::{ErrorType, FunctionError};
use crate::partner::{Invocation, Partner};

/// What can stop [`run`]: an invalid registration, a missing Lambda environment, or a failure
/// of the runtime loop.
pub type Error = lambda_runtime::Error;

/// Runs the partner as a Lambda function: sets up logging, validates the registration (an
/// invalid one fails the function at init, naming every violation), then serves invocations
/// until the execution environment shuts down.
///
/// Everything is built once and reused across invocations. A panic in a hook becomes a
/// `Firehose.Panic` function error and the next invocation is served normally. With the
/// `concurrent` feature the same binary serves several invocations at once on Lambda Managed
/// Instances (`AWS_LAMBDA_MAX_CONCURRENCY`), and one at a time elsewhere.
///
/// ```no_run
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
///     mparticle_firehose::lambda::run(Acme).await
/// }
/// ```
pub async fn run<P: Partner>(partner: P) -> Result<(), Error> {
    run_with(partner, Options::new()).await
}

/// [`run`], with start-up [`Options`] (such as the HTTP token read from a secret store).
pub async fn run_with<P: Partner>(partner: P, options: Options) -> Result<(), Error> {
    init_tracing();
    let dispatcher = match Dispatcher::new(partner) {
        Ok(dispatcher) => dispatcher,
        Err(e) => {
            tracing::error!("{e}");
            report_init_error(ErrorType::InvalidRegistration, &e.to_string()).await;
            return Err(e.into());
        }
    };
    serve_with(dispatcher, options).await
}

/// Posts an initialization error to the Runtime API (`/runtime/init/error`), so that Lambda
/// shows why the function could not start. Best effort: failures are only logged.
async fn report_init_error(error_type: ErrorType, message: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else {
        return;
    };
    let (host, prefix) = runtime_api_address(&api);
    let body = serde_json::json!({ "errorType": error_type.as_str(), "errorMessage": message })
        .to_string();
    let request = format!(
        "POST {prefix}/2018-06-01/runtime/init/error HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Lambda-Runtime-Function-Error-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        error_type.as_str(),
        body.len()
    );
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(host).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut status = [0u8; 12];
        stream.read_exact(&mut status).await?;
        Ok::<_, std::io::Error>(status)
    };
    match tokio::time::timeout(std::time::Duration::from_secs(2), exchange).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!("could not report the init error: {e}"),
        Err(_) => tracing::warn!("could not report the init error: timed out"),
    }
}

/// Serves invocations with an already built dispatcher (see [`run`]).
pub async fn serve<P: Partner>(dispatcher: Dispatcher<P>) -> Result<(), Error> {
    serve_with(dispatcher, Options::new()).await
}

/// [`serve`], with start-up [`Options`]. A Firehose message is served by the dispatcher, an
/// HTTP event (function URL, API Gateway, ALB) by an [`Endpoint`] over the same dispatcher.
pub async fn serve_with<P: Partner>(
    dispatcher: Dispatcher<P>,
    options: Options,
) -> Result<(), Error> {
    for var in [
        "AWS_LAMBDA_RUNTIME_API",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
    ] {
        if std::env::var_os(var).is_none() {
            return Err(format!(
                "{var} is not set: this binary runs inside AWS Lambda or a local emulator such as `cargo lambda watch`"
            )
            .into());
        }
    }
    let endpoint = Endpoint::new(dispatcher.clone(), options.resolve_http_token());
    // Direct or queue mode for Firehose messages, the consumer for SQS events (`queue` feature).
    let modes = std::sync::Arc::new(queue::Modes::from_env(&dispatcher).await?);
    let handler = service_fn(move |event: LambdaEvent<IgnoredAny>| {
        let modes = std::sync::Arc::clone(&modes);
        let endpoint = endpoint.clone();
        async move {
            // Owned, so that the dispatcher frees the bytes once they are decoded.
            let payload = payload::take();
            let invocation = Invocation::from_lambda(&event.context);
            let bytes = match Shape::of(&payload) {
                Shape::Firehose => modes.firehose(payload, invocation).await?,
                Shape::Http => endpoint.handle_event(&payload, invocation).await?,
                Shape::Sqs => modes.sqs(&payload, invocation).await?,
            };
            raw_json(bytes)
        }
    });
    let runtime = Runtime::new(handler)
        .layer(lambda_runtime::layers::TracingLayer::new())
        .layer(PayloadLayer);
    #[cfg(feature = "concurrent")]
    {
        runtime.run_concurrent().await
    }
    #[cfg(not(feature = "concurrent"))]
    {
        runtime.run().await
    }
}

/// Splits `AWS_LAMBDA_RUNTIME_API` into `host:port` and a path prefix: Lambda sets `host:port`,
/// emulators may set a URL with a path (`http://127.0.0.1:9000/.rt/my-fn`).
fn runtime_api_address(api: &str) -> (&str, &str) {
    let rest = api.strip_prefix("http://").unwrap_or(api);
    match rest.find('/') {
        Some(slash) => (&rest[..slash], rest[slash..].trim_end_matches('/')),
        None => (rest, ""),
    }
}

fn raw_json(bytes: Vec<u8>) -> Result<Box<RawValue>, FunctionError> {
    String::from_utf8(bytes)
        .ok()
        .and_then(|text| RawValue::from_string(text).ok())
        .ok_or_else(|| FunctionError::new(ErrorType::Internal, "the encoded response is not JSON"))
}

/// Sets up `tracing` the way Lambda expects: the level from `AWS_LAMBDA_LOG_LEVEL` (then
/// `RUST_LOG`, then `info`), JSON lines when `AWS_LAMBDA_LOG_FORMAT=JSON`, no colours and no
/// timestamps (CloudWatch adds them). Does nothing if a subscriber is already installed.
pub fn init_tracing() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .ok()
        .map(|l| match l.to_ascii_lowercase().as_str() {
            "fatal" => "error".to_owned(),
            other => other.to_owned(),
        })
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "info".to_owned());
    let filter = tracing_subscriber::EnvFilter::try_new(&level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(false)
        .without_time();
    // An error only means a subscriber is already installed, which is fine.
    let _ = if json {
        builder.json().with_current_span(true).try_init()
    } else {
        builder.try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::runtime_api_address;

    #[test]
    fn runtime_api_addresses_with_and_without_a_path() {
        assert_eq!(
            runtime_api_address("127.0.0.1:9001"),
            ("127.0.0.1:9001", "")
        );
        assert_eq!(
            runtime_api_address("http://127.0.0.1:9000/.rt/example-integration"),
            ("127.0.0.1:9000", "/.rt/example-integration")
        );
        assert_eq!(
            runtime_api_address("http://[::1]:9000/"),
            ("[::1]:9000", "")
        );
    }
}
