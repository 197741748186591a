//! Helpers shared by the example's end-to-end tests: the example binary under a mock Lambda
//! Runtime API.

use mparticle_firehose::testing::runtime_api::{FunctionProcess, MockRuntimeApi, Outcome};

/// Starts the example binary against `api`, with its partner API at `partner_url` and `extra`
/// environment variables.
pub fn start_example(
    api: &MockRuntimeApi,
    partner_url: &str,
    extra: &[(&str, &str)],
) -> FunctionProcess {
    let mut env = vec![
        ("PARTNER_API_URL", partner_url),
        ("AWS_LAMBDA_LOG_LEVEL", "error"),
    ];
    env.extend_from_slice(extra);
    api.spawn(env!("CARGO_BIN_EXE_example-integration"), &env)
        .expect("the example binary starts")
}

/// The JSON of a successful answer; panics with the function error otherwise.
#[allow(dead_code)] // Not every test file reads JSON answers.
pub fn json(outcome: Outcome) -> serde_json::Value {
    match outcome {
        Outcome::Response(body) => serde_json::from_slice(&body).expect("JSON"),
        Outcome::Error {
            error_type,
            error_message,
        } => panic!("{error_type}: {error_message}"),
    }
}
