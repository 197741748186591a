//! The `Partner` trait: what an integration implements. Every hook has a sensible default, so a
//! partner writes only what its integration does.

mod context;
mod settings;

use async_trait::async_trait;

pub use context::{Invocation, RequestContext};
pub use settings::Settings;

use crate::error::{PartnerError, Settlement};
use crate::model::{
    ApplicationStateTransitionEvent, AttributionEvent, AudienceMembershipChangeRequest,
    AudienceMembershipChangeResponse, AudienceSubscriptionRequest, AudienceSubscriptionResponse,
    CcpaConsentStateNotification, CustomEvent, DsrProcessingRequest, DsrProcessingResponse,
    ErrorEvent, EventData, EventHeader, EventProcessingRequest, EventProcessingResponse,
    GdprConsentStateNotification, ImpressionEvent, InvalidElement, ModuleRegistrationResponse,
    PrivacySettingChangeEvent, ProductActionEvent, PromotionActionEvent, PushMessageOpenEvent,
    PushMessageReceiptEvent, PushSubscriptionEvent, ScreenViewEvent, SessionEndEvent,
    SessionStartEvent, SystemNotification, Unrecognized, UserAttributeChangeEvent,
    UserIdentityChangeEvent,
};

/// A Firehose integration.
///
/// Implement [`registration`](Partner::registration) and the hooks your integration needs; run it
/// with [`lambda::run`](crate::lambda::run). The SDK answers the registration probe and
/// mParticle's verification requests itself, decodes every message, calls your hooks, and maps
/// their errors onto mParticle's retry contract (see [`PartnerError`]).
///
/// Event batches go to [`on_event_batch`](Partner::on_event_batch). Its default walks the batch
/// as the Java SDK does: system notifications first, then events in array order, each to its own
/// hook (`on_custom_event`, `on_screen_view`, ...). Override it to handle a batch at once (for
/// bulk partner APIs); call [`process_batch`] from your override to keep the per-event hooks.
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
#[async_trait]
pub trait Partner: Send + Sync + 'static {
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

    /// Called for a GDPR consent change, before the batch's events. Default: does nothing.
    async fn on_gdpr_consent_change(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        notification: &GdprConsentStateNotification,
    ) -> Result<(), PartnerError> {
        let _ = (ctx, batch, notification);
        Ok(())
    }

    /// Called for a CCPA consent change, before the batch's events. Default: does nothing.
    async fn on_ccpa_consent_change(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        notification: &CcpaConsentStateNotification,
    ) -> Result<(), PartnerError> {
        let _ = (ctx, batch, notification);
        Ok(())
    }

    /// Called for a session started (`session_start`). Default: does nothing.
    async fn on_session_start(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        header: &EventHeader,
        event: &SessionStartEvent,
    ) -> Result<(), PartnerError> {
        let _ = (ctx, batch, header, event);
        Ok(())
    }

    /// Called for a session ended (`session_end`). Default: does nothing.
    async fn on_session_end(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        header: &EventHeader,
        event: &SessionEndEvent,
    ) -> Result<(), PartnerError> {
        let _ = (ctx, batch, header, event);
        Ok(())
    }

    /// Called for an app-defined event (`custom_event`). Default: does nothing.
    async fn on_custom_event(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        header: &EventHeader,
        event: &CustomEvent,
    ) -> Result<(), PartnerError> {
        let _ = (ctx, batch, header, event);
        Ok(())
    }

    /// Called for a screen view (`screen_view`). Default: does nothing.
    async fn on_screen_view(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        header: &EventHeader,
        event: &ScreenViewEvent,
    ) -> Result<(), PartnerError> {
        let _ = (ctx, batch, header, event);
        Ok(())
    }

    /// Called for an error or crash report (`error`). Default: does nothing.
    async fn on_error(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        header: &EventHeader,
        event: &ErrorEvent,
    ) -> Result<(), PartnerError> {
        let _ = (ctx, batch, header, event);
        Ok(())
    }

    /// Called for a privacy setting change (`privacy_setting_change`). Default: does nothing.
    async fn on_privacy_setting_change(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        header: &EventHeader,
        event: &PrivacySettingChangeEvent,
    ) -> Result<(), PartnerError> {
        let _ = (ctx, batch, header, event);
        Ok(())
    }

    /// Called for a user attribute change (`user_attribute_change`). Default: does nothing.
    async fn on_user_attribute_change(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        header: &EventHeader,
        event: &UserAttributeChangeEvent,
    ) -> Result<(), PartnerError> {
        let _ = (ctx, batch, header, event);
        Ok(())
    }

    /// Called for a user identity change (`user_identity_change`). Default: does nothing.
    async fn on_user_identity_change(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        header: &EventHeader,
        event: &UserIdentityChangeEvent,
    ) -> Result<(), PartnerError> {
        let _ = (ctx, batch, header, event);
        Ok(())
    }

    /// Called for a push subscription change (`push_subscription`). Default: does nothing.
    async fn on_push_subscription(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        header: &EventHeader,
        event: &PushSubscriptionEvent,
    ) -> Result<(), PartnerError> {
        let _ = (ctx, batch, header, event);
        Ok(())
    }

    /// Called for an app lifecycle transition (`application_state_transition`). Default: does nothing.
    async fn on_application_state_transition(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        header: &EventHeader,
        event: &ApplicationStateTransitionEvent,
    ) -> Result<(), PartnerError> {
        let _ = (ctx, batch, header, event);
        Ok(())
    }

    /// Called for a push message receipt (`push_message_receipt`). Default: does nothing.
    async fn on_push_message_receipt(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        header: &EventHeader,
        event: &PushMessageReceiptEvent,
    ) -> Result<(), PartnerError> {
        let _ = (ctx, batch, header, event);
        Ok(())
    }

    /// Called for a commerce product action (`product_action`). Default: does nothing.
    async fn on_product_action(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        header: &EventHeader,
        event: &ProductActionEvent,
    ) -> Result<(), PartnerError> {
        let _ = (ctx, batch, header, event);
        Ok(())
    }

    /// Called for a promotion action (`promotion_action`). Default: does nothing.
    async fn on_promotion_action(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        header: &EventHeader,
        event: &PromotionActionEvent,
    ) -> Result<(), PartnerError> {
        let _ = (ctx, batch, header, event);
        Ok(())
    }

    /// Called for product impressions (`impression`). Default: does nothing.
    async fn on_impression(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        header: &EventHeader,
        event: &ImpressionEvent,
    ) -> Result<(), PartnerError> {
        let _ = (ctx, batch, header, event);
        Ok(())
    }

    /// Called for an attribution (`attribution`). Default: does nothing.
    async fn on_attribution(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        header: &EventHeader,
        event: &AttributionEvent,
    ) -> Result<(), PartnerError> {
        let _ = (ctx, batch, header, event);
        Ok(())
    }

    /// Called for a push message open (`push_message_open`). Default: does nothing.
    async fn on_push_message_open(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        header: &EventHeader,
        event: &PushMessageOpenEvent,
    ) -> Result<(), PartnerError> {
        let _ = (ctx, batch, header, event);
        Ok(())
    }

    /// Called for an event whose type this SDK does not know. Default: skips it with a warning.
    async fn on_unknown_event(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        header: &EventHeader,
        event: &Unrecognized,
    ) -> Result<(), PartnerError> {
        let _ = (ctx, batch);
        tracing::warn!(event_type = event.type_name(), event_id = ?header.id, "skipping an event of unknown type");
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

    /// Handles an audience connection change. Default: accepts it with no settings.
    async fn on_audience_subscription(
        &self,
        ctx: &RequestContext,
        request: &AudienceSubscriptionRequest,
    ) -> Result<AudienceSubscriptionResponse, PartnerError> {
        let _ = (ctx, request);
        Ok(AudienceSubscriptionResponse::default())
    }

    /// Handles an audience membership change. Verification requests (no `user_profiles`) are
    /// answered by the SDK and never reach this hook. Default: accepts it.
    async fn on_audience_membership_change(
        &self,
        ctx: &RequestContext,
        request: &AudienceMembershipChangeRequest,
    ) -> Result<AudienceMembershipChangeResponse, PartnerError> {
        let _ = (ctx, request);
        Ok(AudienceMembershipChangeResponse::default())
    }

    /// Handles a data-subject request. Default: accepts it.
    async fn on_dsr(
        &self,
        ctx: &RequestContext,
        request: &DsrProcessingRequest,
    ) -> Result<DsrProcessingResponse, PartnerError> {
        let _ = (ctx, request);
        Ok(DsrProcessingResponse::default())
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
    for notification in &batch.system_notifications {
        let outcome = match notification {
            SystemNotification::GdprConsentState(n) => {
                partner.on_gdpr_consent_change(ctx, batch, n).await
            }
            SystemNotification::CcpaConsentState(n) => {
                partner.on_ccpa_consent_change(ctx, batch, n).await
            }
            SystemNotification::Unrecognized(raw) => {
                tracing::warn!(
                    notification_type = raw.type_name(),
                    "skipping a system notification of unknown type"
                );
                Ok(())
            }
        };
        if let Some(response) = settle(outcome, "system notification")? {
            return Ok(response);
        }
    }
    for event in &batch.events {
        let outcome = match &event.data {
            EventData::SessionStart(e) => {
                partner.on_session_start(ctx, batch, &event.header, e).await
            }
            EventData::SessionEnd(e) => partner.on_session_end(ctx, batch, &event.header, e).await,
            EventData::CustomEvent(e) => {
                partner.on_custom_event(ctx, batch, &event.header, e).await
            }
            EventData::ScreenView(e) => partner.on_screen_view(ctx, batch, &event.header, e).await,
            EventData::Error(e) => partner.on_error(ctx, batch, &event.header, e).await,
            EventData::PrivacySettingChange(e) => {
                partner
                    .on_privacy_setting_change(ctx, batch, &event.header, e)
                    .await
            }
            EventData::UserAttributeChange(e) => {
                partner
                    .on_user_attribute_change(ctx, batch, &event.header, e)
                    .await
            }
            EventData::UserIdentityChange(e) => {
                partner
                    .on_user_identity_change(ctx, batch, &event.header, e)
                    .await
            }
            EventData::PushSubscription(e) => {
                partner
                    .on_push_subscription(ctx, batch, &event.header, e)
                    .await
            }
            EventData::ApplicationStateTransition(e) => {
                partner
                    .on_application_state_transition(ctx, batch, &event.header, e)
                    .await
            }
            EventData::PushMessageReceipt(e) => {
                partner
                    .on_push_message_receipt(ctx, batch, &event.header, e)
                    .await
            }
            EventData::ProductAction(e) => {
                partner
                    .on_product_action(ctx, batch, &event.header, e)
                    .await
            }
            EventData::PromotionAction(e) => {
                partner
                    .on_promotion_action(ctx, batch, &event.header, e)
                    .await
            }
            EventData::Impression(e) => partner.on_impression(ctx, batch, &event.header, e).await,
            EventData::Attribution(e) => partner.on_attribution(ctx, batch, &event.header, e).await,
            EventData::PushMessageOpen(e) => {
                partner
                    .on_push_message_open(ctx, batch, &event.header, e)
                    .await
            }
            EventData::Unrecognized(raw) => {
                partner
                    .on_unknown_event(ctx, batch, &event.header, raw)
                    .await
            }
        };
        if let Some(response) = settle(outcome, event.type_name())? {
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
