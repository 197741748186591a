//! The payload layer: the invocation's bytes, exactly as Lambda delivered them, for the SDK to
//! decode once with its own typed errors.

use std::cell::RefCell;
use std::task::{Context, Poll};

use bytes::Bytes;
use lambda_runtime::LambdaInvocation;
use tokio::task::futures::TaskLocalFuture;

tokio::task_local! {
    /// The invocation's payload, exactly as Lambda delivered it, until the handler takes it.
    static PAYLOAD: RefCell<Option<Bytes>>;
}

/// Takes the payload of the invocation being served (empty outside [`PayloadLayer`], and for a
/// second take): the handler owns it and can free a large batch as soon as it is decoded.
pub(super) fn take() -> Bytes {
    PAYLOAD
        .try_with(|slot| slot.borrow_mut().take())
        .ok()
        .flatten()
        .unwrap_or_default()
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
    type Future = TaskLocalFuture<RefCell<Option<Bytes>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> Self::Future {
        let payload = std::mem::replace(&mut invocation.body, Bytes::from_static(b"null"));
        PAYLOAD.scope(RefCell::new(Some(payload)), self.inner.call(invocation))
    }
}
