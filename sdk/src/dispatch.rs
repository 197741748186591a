//! The dispatcher: decodes a request, answers what the SDK answers itself (registration probe,
//! verification requests), calls the partner's hooks, and maps their outcome onto mParticle's
//! retry contract.

use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use tracing::{Instrument, field};

use crate::codec::DecodeError;
use crate::error::{ErrorType, FunctionError, PartnerError, Settlement};
use crate::model::outline::{self, RawEvents};
use crate::model::{
    AudienceMembershipChangeResponse, AudienceSubscriptionResponse, DsrProcessingResponse,
    EventProcessingResponse, Message, MessageBody, ModuleRegistrationResponse, RegistrationErrors,
};
use crate::partner::{EventStream, Invocation, Partner, RequestContext, Settings};

/// Serves Firehose requests with a [`Partner`]. Built once per execution environment (it
/// validates the registration) and cheap to clone.
pub struct Dispatcher<P: Partner> {
    partner: Arc<P>,
    registration: Arc<ModuleRegistrationResponse>,
    /// Ids of the settings the registration marks confidential: their values are redacted
    /// wherever the SDK formats this dispatcher's settings.
    confidential: Arc<BTreeSet<String>>,
    eventless_batches: bool,
}

impl<P: Partner> Clone for Dispatcher<P> {
    fn clone(&self) -> Self {
        Self {
            partner: Arc::clone(&self.partner),
            registration: Arc::clone(&self.registration),
            confidential: Arc::clone(&self.confidential),
            eventless_batches: self.eventless_batches,
        }
    }
}

impl<P: Partner> Dispatcher<P> {
    /// Reads and validates the partner's registration; an invalid registration is refused here,
    /// when the function starts, rather than on the first request.
    pub fn new(partner: P) -> Result<Self, RegistrationErrors> {
        let registration = partner.registration();
        registration.validate()?;
        let confidential = registration
            .all_settings()
            .filter(|s| s.is_confidential())
            .map(|s| s.id().to_owned())
            .collect();
        let eventless_batches = registration
            .permissions
            .as_ref()
            .is_some_and(|p| p.allow_eventless_batches);
        Ok(Self {
            partner: Arc::new(partner),
            registration: Arc::new(registration),
            confidential: Arc::new(confidential),
            eventless_batches,
        })
    }

    /// The partner.
    pub fn partner(&self) -> &P {
        &self.partner
    }

    /// The validated registration.
    pub fn registration(&self) -> &ModuleRegistrationResponse {
        &self.registration
    }

    /// Serves one invocation: the payload's bytes in, the response's bytes out (or the function
    /// error to report). Runs inside a `firehose` tracing span that names the message type and
    /// id, the account and the event count.
    pub async fn handle(
        &self,
        payload: &[u8],
        invocation: Invocation,
    ) -> Result<Vec<u8>, FunctionError> {
        self.handle_payload(payload, invocation).await
    }

    /// [`handle`](Self::handle) for a payload it may own: the payload is dropped as soon as it
    /// is decoded, so that a large batch's bytes are not held while the partner serves it.
    ///
    /// In streamed delivery ([`Partner::event_delivery`]) a large batch's payload is kept
    /// instead, and its events are decoded as the partner reads them.
    pub(crate) async fn handle_payload<B: AsRef<[u8]>>(
        &self,
        payload: B,
        invocation: Invocation,
    ) -> Result<Vec<u8>, FunctionError> {
        if self
            .partner
            .event_delivery()
            .reads_as_streamed(payload.as_ref().len())
            && let Some(outline) = outline::outline(payload.as_ref())
        {
            return self
                .serve_outline(payload.as_ref(), outline.rest, outline.events, invocation)
                .await;
        }
        serve_encoded("direct", payload, invocation, |message, invocation| {
            self.dispatch(message, invocation)
        })
        .await
    }

    /// Serves a batch in streamed delivery: the batch without its events is decoded at once,
    /// the events as the partner reads them.
    async fn serve_outline(
        &self,
        payload: &[u8],
        rest: Vec<u8>,
        events: RawEvents<'_>,
        invocation: Invocation,
    ) -> Result<Vec<u8>, FunctionError> {
        let span = firehose_span("direct", &invocation);
        async move {
            let Ok(message) = Message::decode_request(&rest) else {
                // The rest fails where the whole payload does: decoding the whole reports the
                // error at its place in the payload, as whole delivery does.
                return match Message::decode_request(payload) {
                    Err(e) => Err(undecodable(e)),
                    Ok(message) => encode_answer(&self.dispatch(message, invocation).await?),
                };
            };
            drop(rest);
            let answer = self
                .dispatch_events(message, invocation, Some(events))
                .await?;
            encode_answer(&answer)
        }
        .instrument(span)
        .await
    }

    /// Serves one decoded request and returns the response message. A panic in a hook becomes
    /// a [`ErrorType::Panic`] function error.
    pub async fn dispatch(
        &self,
        message: Message,
        invocation: Invocation,
    ) -> Result<Message, FunctionError> {
        self.dispatch_events(message, invocation, None).await
    }

    /// [`dispatch`](Self::dispatch), for a batch whose events are either in `message` or, in
    /// streamed delivery, still `raw` elements of the payload.
    async fn dispatch_events(
        &self,
        message: Message,
        invocation: Invocation,
        raw: Option<RawEvents<'_>>,
    ) -> Result<Message, FunctionError> {
        let span = tracing::Span::current();
        span.record("message_type", message.body.type_name());
        if let Some(id) = message.envelope.id {
            span.record("message_id", field::display(id));
        }
        let outcome = AssertUnwindSafe(self.route(message, invocation, raw))
            .catch_unwind()
            .await;
        let result = outcome.unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(FunctionError::new(
                ErrorType::Panic,
                format!("the partner's code panicked: {what}"),
            ))
        });
        if let Err(e) = &result {
            tracing::error!(error_type = %e.error_type, message = %e.message, "answering with a function error");
        }
        result
    }

    /// The request context the hooks get for `message` in `invocation`.
    pub(crate) fn context(&self, message: &Message, invocation: Invocation) -> RequestContext {
        let account = message.body.account();
        let settings = Settings::with_confidential_set(
            account
                .map(|a| a.account_settings.clone())
                .unwrap_or_default(),
            Arc::clone(&self.confidential),
        );
        RequestContext::new(
            invocation,
            message.message_type(),
            message.envelope.id,
            account.map(|a| a.account_id),
            settings,
        )
    }

    async fn route(
        &self,
        mut message: Message,
        invocation: Invocation,
        raw: Option<RawEvents<'_>>,
    ) -> Result<Message, FunctionError> {
        let ctx = self.context(&message, invocation);
        if let Some(account_id) = ctx.account_id() {
            tracing::Span::current().record("account_id", account_id);
        }
        let span = tracing::Span::current();
        let partner = &*self.partner;
        if !message.body.is_response()
            && let Some(answer) = self.screen_invalid(&ctx, &message).await?
        {
            return Ok(Message::new(answer));
        }
        let body: MessageBody = match &mut message.body {
            MessageBody::ModuleRegistrationRequest(_) => (*self.registration).clone().into(),
            MessageBody::EventProcessingRequest(batch) => {
                span.record("event_count", raw.map_or(batch.events.len(), |r| r.len()));
                // Events still in the payload were read for a streamed partner: they go to
                // the stream whatever the partner answers now.
                if raw.is_some() || partner.event_delivery().is_streamed() {
                    let mut events = match raw {
                        Some(raw) => EventStream::raw(raw, partner, &ctx),
                        None => EventStream::decoded(
                            std::mem::take(&mut batch.events).into_vec(),
                            partner,
                            &ctx,
                        ),
                    };
                    // Up to the first event that decodes, so that a batch without one is
                    // answered as in whole delivery.
                    match events.has_events().await {
                        Err(e) => settle::<EventProcessingResponse>(Err(e), "invalid element")?,
                        Ok(false) if !self.eventless_batches => verified(),
                        Ok(_) => {
                            let outcome = partner.on_event_stream(&ctx, batch, &mut events).await;
                            settle(outcome, "event batch")?
                        }
                    }
                    .into()
                } else if batch.events.is_empty() && !self.eventless_batches {
                    verified().into()
                } else {
                    settle(partner.on_event_batch(&ctx, batch).await, "event batch")?.into()
                }
            }
            MessageBody::AudienceSubscriptionRequest(request) => settle(
                partner.on_audience_subscription(&ctx, request).await,
                "audience subscription",
            )?
            .into(),
            MessageBody::AudienceMembershipChangeRequest(request) => match &request.user_profiles {
                None => {
                    tracing::debug!("verification request: answered without the partner");
                    AudienceMembershipChangeResponse::default().into()
                }
                Some(_) => settle(
                    partner.on_audience_membership_change(&ctx, request).await,
                    "audience membership change",
                )?
                .into(),
            },
            MessageBody::DsrProcessingRequest(request) => {
                settle(partner.on_dsr(&ctx, request).await, "data-subject request")?.into()
            }
            response => {
                return Err(FunctionError::new(
                    ErrorType::InvalidMessage,
                    format!(
                        "{:?} is a response type; mParticle only sends requests",
                        response.type_name()
                    ),
                ));
            }
        };
        Ok(Message::new(body))
    }
}

impl<P: Partner> Dispatcher<P> {
    /// Hands each invalid list element of a request to the partner, before the message's own
    /// hook. `Some(answer)` ends the message there (the partner asked to suspend).
    async fn screen_invalid(
        &self,
        ctx: &RequestContext,
        message: &Message,
    ) -> Result<Option<MessageBody>, FunctionError> {
        let invalid = message.invalid_elements();
        if invalid.is_empty() {
            return Ok(None);
        }
        tracing::Span::current().record("invalid_elements", invalid.len());
        for element in invalid {
            let Err(e) = self.partner.on_invalid_element(ctx, element).await else {
                continue;
            };
            match e.settle("invalid element") {
                Settlement::Dropped => {}
                Settlement::Suspend(e) => {
                    let suspended = match &message.body {
                        MessageBody::EventProcessingRequest(_) => {
                            EventProcessingResponse::suspended().map(MessageBody::from)
                        }
                        MessageBody::AudienceMembershipChangeRequest(_) => {
                            AudienceMembershipChangeResponse::suspended().map(MessageBody::from)
                        }
                        _ => None,
                    };
                    // A message without the flag cannot suspend anything: mParticle retries.
                    let Some(answer) = suspended else {
                        return Err(FunctionError::from_partner(e));
                    };
                    tracing::warn!(error = %e, "suspending the subscription");
                    return Ok(Some(answer));
                }
                Settlement::Fail(e) => return Err(FunctionError::from_partner(e)),
            }
        }
        Ok(None)
    }
}

/// A response to a request: what accepting it means, and whether it can ask mParticle to
/// suspend the subscription.
trait Answer: Default {
    /// The response with `suspend_subscription: true`, for the types that have the flag.
    fn suspended() -> Option<Self>;
}

impl Answer for EventProcessingResponse {
    fn suspended() -> Option<Self> {
        Some(Self {
            suspend_subscription: true,
        })
    }
}

impl Answer for AudienceMembershipChangeResponse {
    fn suspended() -> Option<Self> {
        Some(Self {
            suspend_subscription: true,
        })
    }
}

impl Answer for AudienceSubscriptionResponse {
    fn suspended() -> Option<Self> {
        None
    }
}

impl Answer for DsrProcessingResponse {
    fn suspended() -> Option<Self> {
        None
    }
}

/// The answer to a verification request (a batch without events), which the partner never sees.
fn verified() -> EventProcessingResponse {
    tracing::debug!("verification request: answered without the partner");
    EventProcessingResponse::default()
}

/// Maps a hook's outcome onto the answer to mParticle ([`PartnerError::settle`] decides;
/// this builds the answer for the message at hand).
fn settle<R: Answer>(outcome: Result<R, PartnerError>, what: &str) -> Result<R, FunctionError> {
    let e = match outcome {
        Ok(response) => return Ok(response),
        Err(e) => e,
    };
    match (e.settle(what), R::suspended()) {
        (Settlement::Dropped, _) => Ok(R::default()),
        (Settlement::Suspend(e), Some(suspended)) => {
            tracing::warn!(error = %e, "suspending the subscription");
            Ok(suspended)
        }
        // A message without the flag cannot suspend anything: keep the data, mParticle retries.
        (Settlement::Suspend(e) | Settlement::Fail(e), _) => Err(FunctionError::from_partner(e)),
    }
}

/// Decodes one request, serves it with `serve` and encodes the answer, inside the `firehose`
/// span that every log line of the hooks carries (`mode` says which adapter served it). The
/// payload is dropped as soon as it is decoded.
pub(crate) async fn serve_encoded<B, F, Fut>(
    mode: &'static str,
    payload: B,
    invocation: Invocation,
    serve: F,
) -> Result<Vec<u8>, FunctionError>
where
    B: AsRef<[u8]>,
    F: FnOnce(Message, Invocation) -> Fut,
    Fut: Future<Output = Result<Message, FunctionError>>,
{
    let span = firehose_span(mode, &invocation);
    async move {
        let message = Message::decode_request(payload.as_ref()).map_err(undecodable)?;
        drop(payload);
        encode_answer(&serve(message, invocation).await?)
    }
    .instrument(span)
    .await
}

/// The span of one invocation: its fields are recorded as the message is served.
fn firehose_span(mode: &'static str, invocation: &Invocation) -> tracing::Span {
    tracing::info_span!(
        "firehose",
        request_id = %invocation.request_id,
        mode,
        message_type = field::Empty,
        message_id = field::Empty,
        account_id = field::Empty,
        event_count = field::Empty,
        invalid_elements = field::Empty,
    )
}

/// Logs a message that does not decode and makes its error the function's.
fn undecodable(error: DecodeError) -> FunctionError {
    tracing::error!(kind = %error.kind(), path = error.path(), reason = error.reason(), "undecodable message");
    error.into()
}

/// The answer's bytes.
fn encode_answer(answer: &Message) -> Result<Vec<u8>, FunctionError> {
    answer
        .encode()
        .map_err(|e| FunctionError::new(ErrorType::Internal, e.to_string()))
}
