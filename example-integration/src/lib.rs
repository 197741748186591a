//! An example mParticle Firehose integration: it forwards event batches, audience membership
//! changes and erasure requests to "Acme", a partner with a typical bulk HTTP API (`API.md`).
//!
//! It shows what the SDK makes the default: one pooled client per execution environment, calls
//! bounded by the invocation deadline, rate-limited per API key, retried on 429/5xx with the
//! partner's `Retry-After`, and failing fast as retry-later when the wait does not fit, so that
//! mParticle's own back-off takes over; events taken from the batch a slice at a time
//! (streamed delivery, so that a 6 MB batch is served in little memory), chunked for the bulk
//! endpoint and sent with bounded concurrency; audience changes grouped per list.
#![warn(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod config;
pub mod mapping;
#[cfg(feature = "stub")]
pub mod stub;

use std::collections::BTreeMap;
use std::time::Duration;

use mparticle_firehose::flow::{
    ChunkLimits, InvalidRateLimit, RateLimit, chunk_json, fan_out_by_user,
};
use mparticle_firehose::http::{self, AuthFailure, KeyBy, PartnerApi};
use mparticle_firehose::prelude::*;

pub use config::{Config, ConfigError, DEFAULT_API_URL};
use mapping::AcmeEvent;

/// The account setting holding the customer's Acme API key.
pub const API_KEY_SETTING: &str = "apiKey";
/// The account setting choosing the Acme region.
pub const REGION_SETTING: &str = "region";
/// The hidden audience subscription setting holding the Acme list id.
pub const LIST_ID_SETTING: &str = "listId";
/// The visible audience subscription setting naming the Acme list.
pub const LIST_NAME_SETTING: &str = "listName";

/// The integration cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The Acme client cannot be built (a bad URL, ...).
    #[error(transparent)]
    Api(#[from] http::BuildError),
    /// The rate limit is unusable.
    #[error("invalid rate limit: {0}")]
    RateLimit(#[from] InvalidRateLimit),
}

/// The integration. Build it once per execution environment.
pub struct ExampleIntegration {
    api: PartnerApi,
    config: Config,
}

impl ExampleIntegration {
    /// Builds the Acme client (rate-limited per API key).
    pub fn new(config: Config) -> Result<Self, BuildError> {
        let limit = RateLimit::per_second(config.rate_limit_per_second.max(1))?;
        let api = PartnerApi::builder(config.api_url.clone())
            .request_timeout(config.request_timeout)
            .connect_timeout(Duration::from_secs(1))
            .max_attempts(config.max_attempts)
            .max_wait(config.max_wait)
            .rate_limit(limit)
            .key_by(KeyBy::Setting(API_KEY_SETTING.to_owned()))
            .gzip(true)
            .user_agent_product("acme-example-integration")
            .build()?;
        Ok(Self { api, config })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A call to Acme with the account's credentials and region.
    fn call(&self, ctx: &RequestContext, path: &str) -> Result<http::ApiRequest, PartnerError> {
        let api_key = ctx.settings().string(API_KEY_SETTING)?;
        let region = ctx.settings().opt_string(REGION_SETTING).unwrap_or("us");
        Ok(self
            .api
            .post(path)
            .bearer_auth(api_key)
            .header("X-Acme-Region", region))
    }

    async fn send_events(
        &self,
        ctx: &RequestContext,
        events: Vec<AcmeEvent>,
    ) -> Result<(), PartnerError> {
        let limits = ChunkLimits::json_array(
            self.config.max_events_per_request,
            self.config.max_request_bytes,
        )
        .with_envelope(r#"{"events":}"#.len());
        let chunked =
            chunk_json(events, limits).map_err(|e| PartnerError::permanent(e.to_string()))?;
        for too_big in &chunked.oversized {
            tracing::error!(event_id = %too_big.event_id, "dropping an event larger than Acme accepts");
        }
        // Acme orders events by timestamp, so chunks need no order between them.
        let chunks = chunked.chunks.into_iter().enumerate();
        fan_out_by_user(
            chunks,
            self.config.max_in_flight,
            |(i, _)| *i,
            |(i, _)| *i,
            |(_, chunk)| async move {
                // Serialized straight from the events: a `json!` value would first copy every
                // chunk into a tree of `serde_json::Value`s.
                self.call(ctx, "v1/events")?
                    .json(&EventsBody { events: &chunk })
                    .send(ctx)
                    .await?;
                Ok(())
            },
        )
        .await
    }
}

/// The body of `POST v1/events`.
#[derive(serde::Serialize)]
struct EventsBody<'a> {
    events: &'a [AcmeEvent],
}

#[async_trait]
impl Partner for ExampleIntegration {
    fn backing_off(&self, ctx: &RequestContext) -> Option<Duration> {
        // Acme's 429s are remembered per API key by the client: the queue consumer asks.
        self.api
            .backoff_memory()
            .blocked_for(&self.api.key_for(ctx))
    }

    fn registration(&self) -> ModuleRegistrationResponse {
        let api_key = || {
            Setting::text(API_KEY_SETTING, "Acme API key")
                .with_description("Your Acme API key, from Settings > API in Acme.")
                .required()
                .confidential()
        };
        let region = || {
            Setting::text(REGION_SETTING, "Acme region")
                .with_description("The Acme region of your workspace: us or eu.")
        };
        ModuleRegistrationResponse::new("Acme Events (example)", env!("CARGO_PKG_VERSION"))
            .with_description("Sends events, audiences and erasure requests to <a href=\"https://acme.example\">Acme</a>.")
            .with_permissions(
                Permissions::new()
                    .with_user_identity(UserIdentityPermission::new(UserIdentityType::Customer, IdentityEncoding::Raw))
                    .with_user_identity(UserIdentityPermission::new(UserIdentityType::Email, IdentityEncoding::Sha256))
                    .with_device_identity(DeviceIdentityPermission::new(
                        DeviceIdentityType::IosAdvertisingId,
                        IdentityEncoding::Raw,
                    ))
                    .allow_mpid()
                    .allow_user_attributes()
                    .allow_consent_state()
                    .allow_device_info(),
            )
            .with_event_processing(
                EventProcessingRegistration::new()
                    .with_account_setting(api_key())
                    .with_account_setting(region())
                    .with_event_types([
                        EventType::SessionStart,
                        EventType::SessionEnd,
                        EventType::CustomEvent,
                        EventType::ScreenView,
                        EventType::ProductAction,
                        EventType::UserAttributeChange,
                    ])
                    .with_runtime_environments(RuntimeEnvironmentType::KNOWN.iter().cloned())
                    .with_system_notifications([SystemNotificationType::CcpaConsentState])
                    .with_max_data_age_hours(72),
            )
            .with_audience_processing(
                AudienceProcessingRegistration::new()
                    .with_account_setting(api_key())
                    .with_account_setting(region())
                    .with_subscription_setting(
                        Setting::text(LIST_NAME_SETTING, "Acme list name")
                            .with_description("The Acme list to sync this audience to."),
                    )
                    .with_subscription_setting(Setting::text(LIST_ID_SETTING, "Acme list id").hidden())
                    .with_bulk_configuration(1_000, 5),
            )
            .with_dsr_processing(DsrProcessingRegistration::erasure("acme.example").with_account_setting(api_key()))
    }

    fn event_delivery(&self) -> EventDelivery {
        // A batch of up to 6 MB is served a slice at a time: the function's memory follows the
        // slice, not the batch.
        EventDelivery::streamed()
    }

    async fn on_event_stream(
        &self,
        ctx: &RequestContext,
        batch: &EventProcessingRequest,
        events: &mut EventStream<'_>,
    ) -> Result<EventProcessingResponse, PartnerError> {
        // A user who opted out of the sale of their data is not forwarded.
        if batch
            .consent_state
            .as_ref()
            .and_then(ConsentState::ccpa_opted_out)
            == Some(true)
        {
            tracing::info!(
                events = events.len(),
                "CCPA opt-out: not forwarding the batch"
            );
            return Ok(EventProcessingResponse::default());
        }
        let Some(user) = mapping::user_id(batch.mpid.as_deref(), &batch.user_identities) else {
            tracing::warn!("a batch with no usable identity: nothing to forward");
            return Ok(EventProcessingResponse::default());
        };
        let platform = batch
            .runtime_environment
            .as_ref()
            .map(|r| r.platform().to_string());
        // A slice is one request's worth of events, decoded when the previous one is sent: the
        // function holds one slice at a time however large the batch. mParticle's parallelism
        // is across invocations (up to the function's concurrency), not within a batch.
        let slice = self.config.max_events_per_request.max(1);
        while let Some(slice) = events.next_slice(slice).await? {
            let mut mapped: Vec<AcmeEvent> = slice
                .iter()
                .filter_map(|e| mapping::event(&user, platform.as_deref(), e))
                .collect();
            drop(slice);
            mapped.sort_by_key(|e| e.timestamp);
            if !mapped.is_empty() {
                self.send_events(ctx, mapped).await?;
            }
        }
        Ok(EventProcessingResponse::default())
    }

    async fn on_audience_subscription(
        &self,
        _ctx: &RequestContext,
        request: &AudienceSubscriptionRequest,
    ) -> Result<AudienceSubscriptionResponse, PartnerError> {
        // Remember which Acme list the audience syncs to; mParticle sends it back with every
        // membership change.
        let mut response = AudienceSubscriptionResponse::default();
        if request.action != Some(SubscriptionAction::Remove) {
            let list = request
                .audience_subscription_settings
                .get(LIST_NAME_SETTING)
                .filter(|n| !n.trim().is_empty())
                .map(|n| n.trim().to_lowercase().replace(' ', "-"))
                .unwrap_or_else(|| mapping::default_list_id(request.audience_id));
            response
                .audience_subscription_settings
                .insert(LIST_ID_SETTING.into(), list.into());
        }
        Ok(response)
    }

    async fn on_audience_membership_change(
        &self,
        ctx: &RequestContext,
        request: &AudienceMembershipChangeRequest,
    ) -> Result<AudienceMembershipChangeResponse, PartnerError> {
        let lists: BTreeMap<String, mapping::ListChanges> = mapping::list_changes(request);
        let max = self.config.max_members_per_request.max(1);
        let mut calls: Vec<(String, Vec<String>, Vec<String>)> = Vec::new();
        for (list, changes) in lists {
            for add in changes.add.chunks(max) {
                calls.push((list.clone(), add.to_vec(), Vec::new()));
            }
            for remove in changes.remove.chunks(max) {
                calls.push((list.clone(), Vec::new(), remove.to_vec()));
            }
        }
        let outcome = fan_out_by_user(
            calls,
            self.config.max_in_flight,
            |(list, _, _)| list.clone(),
            |_| 0,
            |(list, add, remove)| async move {
                self.call(ctx, &format!("v1/lists/{list}/members"))?
                    // A revoked key cannot heal by retrying: fault the audience connection.
                    .on_auth_failure(AuthFailure::Suspend)
                    .json(&mapping::ListChanges { add, remove })
                    .send(ctx)
                    .await?;
                Ok(())
            },
        )
        .await;
        outcome.map(|()| AudienceMembershipChangeResponse::default())
    }

    async fn on_dsr(
        &self,
        ctx: &RequestContext,
        request: &DsrProcessingRequest,
    ) -> Result<DsrProcessingResponse, PartnerError> {
        let identities: BTreeMap<String, CompactString> = request
            .subject_identities
            .iter()
            .filter_map(|(kind, identity)| identity.value.clone().map(|v| (kind.to_string(), v)))
            .collect();
        if identities.is_empty() {
            return Err(PartnerError::permanent(
                "an erasure request with no identities",
            ));
        }
        let body = serde_json::json!({
            "request_id": request.subject_request_id,
            "regulation": request.regulation.as_ref().map(ToString::to_string),
            "identities": identities,
        });
        self.call(ctx, "v1/erasures")?.json(&body).send(ctx).await?;
        Ok(DsrProcessingResponse::default())
    }
}
