//! Running a partner in-process, exactly as the Lambda adapter does, without Lambda.

use compact_str::CompactString;
use std::time::{Duration, Instant};

use crate::dispatch::Dispatcher;
use crate::error::FunctionError;
use crate::model::Message;
use crate::partner::{Invocation, Partner};

/// The function ARN test invocations use by default: alias `production`.
pub const TEST_FUNCTION_ARN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:firehose-test:production";

/// Builds the [`Invocation`] facts a test request runs with.
///
/// ```
/// use std::time::Duration;
/// use mparticle_firehose::testing::InvocationBuilder;
///
/// let invocation = InvocationBuilder::new().deadline_in(Duration::from_secs(3)).alias("staging").build();
/// assert!(invocation.invoked_function_arn.ends_with(":staging"));
/// ```
#[derive(Debug, Clone)]
pub struct InvocationBuilder {
    request_id: String,
    deadline_in: Option<Duration>,
    function_arn: String,
}

impl Default for InvocationBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl InvocationBuilder {
    /// A fresh request id, 30 s to the deadline, and the [`TEST_FUNCTION_ARN`].
    pub fn new() -> Self {
        Self {
            request_id: uuid::Uuid::new_v4().to_string(),
            deadline_in: Some(Duration::from_secs(30)),
            function_arn: TEST_FUNCTION_ARN.to_owned(),
        }
    }

    /// Sets the request id.
    pub fn request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = id.into();
        self
    }

    /// Sets the time left before the deadline, from when [`build`](Self::build) is called.
    pub fn deadline_in(mut self, left: Duration) -> Self {
        self.deadline_in = Some(left);
        self
    }

    /// No known deadline (as under emulators that send placeholder deadlines).
    pub fn no_deadline(mut self) -> Self {
        self.deadline_in = None;
        self
    }

    /// Sets the invoked function ARN.
    pub fn function_arn(mut self, arn: impl Into<String>) -> Self {
        self.function_arn = arn.into();
        self
    }

    /// Invokes through another alias of the test function.
    pub fn alias(mut self, alias: &str) -> Self {
        self.function_arn =
            format!("arn:aws:lambda:us-east-1:123456789012:function:firehose-test:{alias}");
        self
    }

    /// The invocation.
    pub fn build(self) -> Invocation {
        Invocation {
            request_id: self.request_id,
            deadline: self.deadline_in.map(|d| Instant::now() + d),
            invoked_function_arn: self.function_arn,
        }
    }
}

/// A dispatcher for a test partner; panics, naming every violation, if its registration is
/// invalid (use [`Dispatcher::new`] to test that case).
pub fn dispatcher<P: Partner>(partner: P) -> Dispatcher<P> {
    match Dispatcher::new(partner) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    }
}

/// Sends one JSON payload to the partner as Lambda would and returns the decoded response, or
/// the function error the function would report.
pub async fn invoke<P: Partner>(
    dispatcher: &Dispatcher<P>,
    payload: impl AsRef<[u8]>,
) -> Result<Message, FunctionError> {
    invoke_with(dispatcher, payload, InvocationBuilder::new().build()).await
}

/// Like [`invoke`], with the given invocation facts (deadline, ARN, request id).
pub async fn invoke_with<P: Partner>(
    dispatcher: &Dispatcher<P>,
    payload: impl AsRef<[u8]>,
    invocation: Invocation,
) -> Result<Message, FunctionError> {
    let bytes = dispatcher.handle(payload.as_ref(), invocation).await?;
    Message::decode(&bytes).map_err(|e| {
        FunctionError::new(
            crate::error::ErrorType::Internal,
            format!("the SDK wrote an undecodable response: {e}"),
        )
    })
}

/// A request context for unit-testing code that takes one (no message, no account).
pub fn context_for(invocation: Invocation) -> crate::partner::RequestContext {
    crate::partner::RequestContext::new(
        invocation,
        crate::model::MessageType::EventProcessingRequest,
        None,
        None,
        crate::partner::Settings::default(),
    )
}

/// A request context with the given account settings (for unit tests of helpers).
pub fn context_with_settings<K: Into<CompactString>, V: Into<CompactString>>(
    invocation: Invocation,
    settings: impl IntoIterator<Item = (K, V)>,
) -> crate::partner::RequestContext {
    crate::partner::RequestContext::new(
        invocation,
        crate::model::MessageType::EventProcessingRequest,
        None,
        Some(0),
        settings.into_iter().collect(),
    )
}
