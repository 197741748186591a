//! The `Partner` trait: what an integration implements. Every hook has a sensible default, so a
//! partner writes only what its integration does. Event batches come whole or, for partners that
//! ask for it, as a stream of their events ([`EventDelivery`]).

mod context;
mod settings;
mod stream;

use async_trait::async_trait;

pub use context::{Invocation, RequestContext};
pub use settings::Settings;
pub use stream::{EventDelivery, EventStream};

use crate::error::{PartnerError, Settlement};
use crate::model::{
    ApplicationStateTransitionEvent, AttributionEvent, AudienceMembershipChangeRequest,
    AudienceMembershipChangeResponse, AudienceSubscriptionRequest, AudienceSubscriptionResponse,
    CcpaConsentStateNotification, CustomEvent, DsrProcessingRequest, DsrProcessingResponse,
    ErrorEvent, Event, EventData, EventHeader, EventProcessingRequest, EventProcessingResponse,
    GdprConsentStateNotification, ImpressionEvent, InvalidElement, ModuleRegistrationResponse,
    PrivacySettingChangeEvent, ProductActionEvent, PromotionActionEvent, PushMessageOpenEvent,
    PushMessageReceiptEvent, PushSubscriptionEvent, ScreenViewEvent, SessionEndEvent,
    SessionStartEvent, SystemNotification, Unrecognized, UserAttributeChangeEvent,
    UserIdentityChangeEvent,
};

/// Declares [`Partner`] from tables of its hooks that differ only in names and types, and from
/// the same tables `walk_notifications` and `walk_events`, so that the batch walks call every
/// hook the trait declares.
/// Each row follows its hook's doc:
///
/// * `notifications`, rows `Variant => hook(Notification)` of [`SystemNotification`]: the hook
///   also takes the batch, and does nothing by default;
/// * `events`, rows `Variant => hook(Event)` of [`EventData`]: the hook also takes the batch and
///   the event's header, and does nothing by default;
/// * `requests`, rows `hook(Request) -> Response`: the default answers the response's
///   [`Default`].
///
/// The hooks with a signature or a default of their own are written out, `before` the
/// notification hooks and `after` the event hooks.
macro_rules! partner_trait {
    (
        $(#[$meta:meta])*
        pub trait Partner;
        before { $($before:tt)* }
        notifications {
            $( $(#[doc = $ndoc:literal])* $nvariant:ident => $nhook:ident($notification:ty), )*
        }
        events { $( $(#[doc = $edoc:literal])* $evariant:ident => $ehook:ident($event:ty), )* }
        after { $($after:tt)* }
        requests {
            $( $(#[doc = $rdoc:literal])* $rhook:ident($request:ty) -> $response:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[async_trait]
        pub trait Partner: Send + Sync + 'static {
            $($before)*

            $(
                $(#[doc = $ndoc])*
                async fn $nhook(
                    &self,
                    ctx: &RequestContext,
                    batch: &EventProcessingRequest,
                    notification: &$notification,
                ) -> Result<(), PartnerError> {
                    let _ = (ctx, batch, notification);
                    Ok(())
                }
            )*

            $(
                $(#[doc = $edoc])*
                async fn $ehook(
                    &self,
                    ctx: &RequestContext,
                    batch: &EventProcessingRequest,
                    header: &EventHeader,
                    event: &$event,
                ) -> Result<(), PartnerError> {
                    let _ = (ctx, batch, header, event);
                    Ok(())
                }
            )*

            $($after)*

            $(
                $(#[doc = $rdoc])*
                async fn $rhook(
                    &self,
                    ctx: &RequestContext,
                    request: &$request,
                ) -> Result<$response, PartnerError> {
                    let _ = (ctx, request);
                    Ok(<$response>::default())
                }
            )*
        }

        /// The walk of [`process_batch`] and [`process_event_stream`] over the batch's system
        /// notifications, each to its hook. `Some(response)` ends the batch there.
        async fn walk_notifications<P: Partner + ?Sized>(
            partner: &P,
            ctx: &RequestContext,
            batch: &EventProcessingRequest,
        ) -> Result<Option<EventProcessingResponse>, PartnerError> {
            for notification in &batch.system_notifications {
                let outcome = match notification {
                    $( SystemNotification::$nvariant(n) => partner.$nhook(ctx, batch, n).await, )*
                    SystemNotification::Unrecognized(raw) => {
                        tracing::warn!(
                            notification_type = raw.type_name(),
                            "skipping a system notification of unknown type"
                        );
                        Ok(())
                    }
                };
                if let Some(response) = settle(outcome, "system notification")? {
                    return Ok(Some(response));
                }
            }
            Ok(None)
        }

        /// The walk of [`process_batch`] and [`process_event_stream`] over `events`, each to
        /// its hook. `Some(response)` ends the batch there.
        async fn walk_events<P: Partner + ?Sized>(
            partner: &P,
            ctx: &RequestContext,
            batch: &EventProcessingRequest,
            events: &[Event],
        ) -> Result<Option<EventProcessingResponse>, PartnerError> {
            for event in events {
                let header = &event.header;
                let outcome = match &event.data {
                    $( EventData::$evariant(e) => partner.$ehook(ctx, batch, header, e).await, )*
                    EventData::Unrecognized(raw) => {
                        partner.on_unknown_event(ctx, batch, header, raw).await
                    }
                };
                if let Some(response) = settle(outcome, event.type_name())? {
                    return Ok(Some(response));
                }
            }
            Ok(None)
        }
    };
}

partner_trait! {
    /// A Firehose integration.
    ///
    /// Implement [`registration`](Partner::registration) and the hooks your integration needs;
    /// run it with [`lambda::run`](crate::lambda::run). The SDK answers the registration probe
    /// and mParticle's verification requests itself, decodes every message, calls your hooks, and
    /// maps their errors onto mParticle's retry contract (see [`PartnerError`]).
    ///
    /// Event batches go to [`on_event_batch`](Partner::on_event_batch). Its default walks the
    /// batch as the Java SDK does: system notifications first, then events in array order, each
    /// to its own hook (`on_custom_event`, `on_screen_view`, ...). Override it to handle a batch
    /// at once (for bulk partner APIs); call [`process_batch`] from your override to keep the
    /// per-event hooks.
    ///
    /// ```
    /// use mparticle_firehose::prelude::*;
    ///
    /// struct Acme;
    ///
    /// #[async_trait]
    /// impl Partner for Acme {
    ///     fn registration(&self) -> ModuleRegistrationResponse {
    ///         ModuleRegistrationResponse::new("Acme", "1.0.0").with_event_processing(
    ///             EventProcessingRegistration::new().with_event_types([EventType::CustomEvent]),
    ///         )
    ///     }
    ///
    ///     async fn on_custom_event(
    ///         &self,
    ///         ctx: &RequestContext,
    ///         _batch: &EventProcessingRequest,
    ///         _header: &EventHeader,
    ///         event: &CustomEvent,
    ///     ) -> Result<(), PartnerError> {
    ///         let _api_key = ctx.settings().string("apiKey")?;
    ///         tracing::info!(name = ?event.name, "custom event");
    ///         Ok(())
    ///     }
    /// }
    /// ```
    pub trait Partner;

    before {
        /// The integration's registration. Called once when the function starts; it is validated
        /// then (an invalid registration stops the function at init) and answered to every
        /// registration probe.
        fn registration(&self) -> ModuleRegistrationResponse;

        /// How much longer the partner asked this execution environment not to call it for the
        /// request `ctx` describes (a `429` with `Retry-After` it remembers), if it did. The queue
        /// consumer returns such records at once, hidden for that long, without calling any hook.
        /// Default: `None`. With [`PartnerApi`](crate::http::PartnerApi):
        /// `self.api.backoff_memory().blocked_for(&self.api.key_for(ctx))`.
        fn backing_off(&self, ctx: &RequestContext) -> Option<std::time::Duration> {
            let _ = ctx;
            None
        }

        /// Handles an event batch. Default: [`process_batch`] (notifications, then each event to
        /// its hook). Batches without events are answered by the SDK and never reach this hook,
        /// unless the registration allows eventless batches (`allow_eventless_batches`).
        async fn on_event_batch(
            &self,
            ctx: &RequestContext,
            batch: &EventProcessingRequest,
        ) -> Result<EventProcessingResponse, PartnerError> {
            process_batch(self, ctx, batch).await
        }

        /// How this partner takes event batches: decoded whole, to
        /// [`on_event_batch`](Partner::on_event_batch) (the default), or
        /// [`EventDelivery::streamed`], to [`on_event_stream`](Partner::on_event_stream) a slice
        /// of events at a time, a large batch's events decoded as they are read. Asked for every
        /// batch.
        fn event_delivery(&self) -> EventDelivery {
            EventDelivery::Whole
        }

        /// Handles an event batch in streamed delivery (see
        /// [`event_delivery`](Partner::event_delivery)): `batch` holds every field but the events
        /// (`batch.events` is empty), and `events` hands them over a slice at a time, a large
        /// batch's decoded as they are read (see [`EventStream`]). Events left unread are not processed: the answer is what this hook
        /// returns. Default: [`process_event_stream`] (notifications, then each event to its
        /// hook). As with [`on_event_batch`](Partner::on_event_batch), batches without events
        /// are answered by the SDK unless the registration allows them.
        async fn on_event_stream(
            &self,
            ctx: &RequestContext,
            batch: &EventProcessingRequest,
            events: &mut EventStream<'_>,
        ) -> Result<EventProcessingResponse, PartnerError> {
            process_event_stream(self, ctx, batch, events).await
        }
    }

    notifications {
        /// Called for a GDPR consent change, before the batch's events. Default: does nothing.
        GdprConsentState => on_gdpr_consent_change(GdprConsentStateNotification),
        /// Called for a CCPA consent change, before the batch's events. Default: does nothing.
        CcpaConsentState => on_ccpa_consent_change(CcpaConsentStateNotification),
    }

    events {
        /// Called for a session started (`session_start`). Default: does nothing.
        SessionStart => on_session_start(SessionStartEvent),
        /// Called for a session ended (`session_end`). Default: does nothing.
        SessionEnd => on_session_end(SessionEndEvent),
        /// Called for an app-defined event (`custom_event`). Default: does nothing.
        CustomEvent => on_custom_event(CustomEvent),
        /// Called for a screen view (`screen_view`). Default: does nothing.
        ScreenView => on_screen_view(ScreenViewEvent),
        /// Called for an error or crash report (`error`). Default: does nothing.
        Error => on_error(ErrorEvent),
        /// Called for a privacy setting change (`privacy_setting_change`). Default: does
        /// nothing.
        PrivacySettingChange => on_privacy_setting_change(PrivacySettingChangeEvent),
        /// Called for a user attribute change (`user_attribute_change`). Default: does
        /// nothing.
        UserAttributeChange => on_user_attribute_change(UserAttributeChangeEvent),
        /// Called for a user identity change (`user_identity_change`). Default: does nothing.
        UserIdentityChange => on_user_identity_change(UserIdentityChangeEvent),
        /// Called for a push subscription change (`push_subscription`). Default: does nothing.
        PushSubscription => on_push_subscription(PushSubscriptionEvent),
        /// Called for an app lifecycle transition (`application_state_transition`). Default:
        /// does nothing.
        ApplicationStateTransition
            => on_application_state_transition(ApplicationStateTransitionEvent),
        /// Called for a push message receipt (`push_message_receipt`). Default: does nothing.
        PushMessageReceipt => on_push_message_receipt(PushMessageReceiptEvent),
        /// Called for a commerce product action (`product_action`). Default: does nothing.
        ProductAction => on_product_action(ProductActionEvent),
        /// Called for a promotion action (`promotion_action`). Default: does nothing.
        PromotionAction => on_promotion_action(PromotionActionEvent),
        /// Called for product impressions (`impression`). Default: does nothing.
        Impression => on_impression(ImpressionEvent),
        /// Called for an attribution (`attribution`). Default: does nothing.
        Attribution => on_attribution(AttributionEvent),
        /// Called for a push message open (`push_message_open`). Default: does nothing.
        PushMessageOpen => on_push_message_open(PushMessageOpenEvent),
    }

    after {
        /// Called for an event whose type this SDK does not know. Default: skips it with a warning.
        async fn on_unknown_event(
            &self,
            ctx: &RequestContext,
            batch: &EventProcessingRequest,
            header: &EventHeader,
            event: &Unrecognized,
        ) -> Result<(), PartnerError> {
            let _ = (ctx, batch);
            tracing::warn!(
                event_type = event.type_name(),
                event_id = ?header.id,
                "skipping an event of unknown type"
            );
            Ok(())
        }

        /// Called for each list element of a request that could not be decoded (an event with a
        /// string where a number belongs, a `null` user profile, an identity without a value, ...),
        /// before the message's own hook, which then sees the lists without them.
        ///
        /// One malformed element no longer fails the whole message: the element is kept, with its
        /// raw JSON, its typed error and its JSON path ([`InvalidElement`]), and the rest of the
        /// message is processed. Errors returned here follow the usual contract: `Permanent` is
        /// logged and ignored, `SuspendSubscription` answers `suspend_subscription: true` where the
        /// message has that flag, and any other error fails the message (mParticle retries it).
        ///
        /// Default: logs the element's path and the error's kind and path at warn level (never its
        /// content or the error's reason, which may hold personal data) and skips it.
        async fn on_invalid_element(
            &self,
            ctx: &RequestContext,
            element: &InvalidElement,
        ) -> Result<(), PartnerError> {
            let _ = ctx;
            tracing::warn!(
                path = element.path(),
                kind = %element.kind(),
                error_path = element.error().path(),
                "skipping a list element that could not be decoded"
            );
            Ok(())
        }
    }

    requests {
        /// Handles an audience connection change. Default: accepts it with no settings.
        on_audience_subscription(AudienceSubscriptionRequest) -> AudienceSubscriptionResponse,
        /// Handles an audience membership change. Verification requests (no `user_profiles`) are
        /// answered by the SDK and never reach this hook. Default: accepts it.
        on_audience_membership_change(AudienceMembershipChangeRequest)
            -> AudienceMembershipChangeResponse,
        /// Handles a data-subject request. Default: accepts it.
        on_dsr(DsrProcessingRequest) -> DsrProcessingResponse,
    }
}

/// The default batch walk: system notifications first, then events in array order, each to its
/// own hook. Events and notifications that could not be decoded are not in the lists it walks:
/// the dispatcher has handed them to [`Partner::on_invalid_element`] before.
///
/// A [`PartnerError::Permanent`] from a hook drops that notification or event (logged) and the
/// walk goes on; [`PartnerError::SuspendSubscription`] stops the walk and answers
/// `suspend_subscription: true`; any other error stops the walk and is returned.
pub async fn process_batch<P: Partner + ?Sized>(
    partner: &P,
    ctx: &RequestContext,
    batch: &EventProcessingRequest,
) -> Result<EventProcessingResponse, PartnerError> {
    if let Some(response) = walk_notifications(partner, ctx, batch).await? {
        return Ok(response);
    }
    Ok(walk_events(partner, ctx, batch, &batch.events)
        .await?
        .unwrap_or_default())
}

/// How many events [`process_event_stream`] decodes at a time.
const STREAM_SLICE: usize = 256;

/// [`process_batch`] for streamed delivery: system notifications first, then the events in array
/// order, each to its own hook, decoded a slice at a time. The hooks get `batch` without its
/// events (`batch.events` is empty in streamed delivery). The same rules apply: a
/// [`PartnerError::Permanent`] from a hook drops that item, [`PartnerError::SuspendSubscription`]
/// stops the walk and answers `suspend_subscription: true`, any other error stops the walk and
/// is returned; so is an error from [`Partner::on_invalid_element`] for an event that cannot be
/// decoded (see [`EventStream::next_slice`]).
pub async fn process_event_stream<P: Partner + ?Sized>(
    partner: &P,
    ctx: &RequestContext,
    batch: &EventProcessingRequest,
    events: &mut EventStream<'_>,
) -> Result<EventProcessingResponse, PartnerError> {
    if let Some(response) = walk_notifications(partner, ctx, batch).await? {
        return Ok(response);
    }
    while let Some(slice) = events.next_slice(STREAM_SLICE).await? {
        if let Some(response) = walk_events(partner, ctx, batch, &slice).await? {
            return Ok(response);
        }
    }
    Ok(EventProcessingResponse::default())
}

/// Applies the per-item rules of [`process_batch`]: `Some(response)` ends the walk.
fn settle(
    outcome: Result<(), PartnerError>,
    what: &str,
) -> Result<Option<EventProcessingResponse>, PartnerError> {
    let Err(e) = outcome else { return Ok(None) };
    match e.settle(what) {
        Settlement::Dropped => Ok(None),
        Settlement::Suspend(e) => {
            tracing::warn!(item = what, error = %e, "suspending the subscription");
            Ok(Some(EventProcessingResponse {
                suspend_subscription: true,
            }))
        }
        Settlement::Fail(e) => Err(e),
    }
}
