//! The payload layer: the invocation's bytes, exactly as Lambda delivered them, for the SDK to
//! decode once with its own typed errors.

use std::task::{Context, Poll};

use bytes::Bytes;
use lambda_runtime::LambdaInvocation;
use tokio::task::futures::TaskLocalFuture;

tokio::task_local! {
    /// The invocation's payload, exactly as Lambda delivered it.
    static PAYLOAD: Bytes;
}

/// The payload of the invocation being served (empty outside [`PayloadLayer`]).
pub(super) fn current() -> Bytes {
    PAYLOAD.try_with(Bytes::clone).unwrap_or_default()
}

/// Moves each invocation's raw payload into a task-local and hands the runtime a trivial
/// `null` payload, so that the SDK decodes the bytes exactly once, with its own typed errors.
#[derive(Clone, Copy)]
pub(super) struct PayloadLayer;

impl<S> tower::Layer<S> for PayloadLayer {
    type Service = PayloadService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        PayloadService { inner }
    }
}

#[derive(Clone)]
pub(super) struct PayloadService<S> {
    inner: S,
}

impl<S> tower::Service<LambdaInvocation> for PayloadService<S>
where
    S: tower::Service<LambdaInvocation>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = TaskLocalFuture<Bytes, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> Self::Future {
        let payload = std::mem::replace(&mut invocation.body, Bytes::from_static(b"null"));
        PAYLOAD.scope(payload, self.inner.call(invocation))
    }
}
