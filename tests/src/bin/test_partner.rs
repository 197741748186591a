//! A partner used by the end-to-end tests. `TEST_PARTNER_MODE` selects its behaviour:
//! `ok` (default) answers everything; `broken` has an invalid registration.
//! Custom events named `panic`, `retry`, `suspend` make its hook do just that.

use mparticle_firehose::prelude::*;

struct TestPartner {
    broken: bool,
}

#[async_trait]
impl Partner for TestPartner {
    fn registration(&self) -> ModuleRegistrationResponse {
        if self.broken {
            // Missing push_messaging_provider_id and a duplicated setting id.
            return ModuleRegistrationResponse::new("Broken Partner", "0.0.1")
                .with_event_processing(
                    EventProcessingRegistration::new()
                        .with_account_setting(Setting::text("apiKey", "API key"))
                        .with_account_setting(Setting::text("apiKey", "API key again"))
                        .with_event_types([EventType::PushMessageReceipt]),
                );
        }
        ModuleRegistrationResponse::new("Test Partner", "1.0.0")
            .with_description("End-to-end test partner.")
            .with_permissions(Permissions::new().allow_mpid())
            .with_event_processing(
                EventProcessingRegistration::new()
                    .with_account_setting(
                        Setting::text("apiKey", "API key").required().confidential(),
                    )
                    .with_event_types([EventType::CustomEvent, EventType::ScreenView]),
            )
            .with_audience_processing(AudienceProcessingRegistration::new())
            .with_dsr_processing(DsrProcessingRegistration::erasure("example.com"))
    }

    async fn on_custom_event(
        &self,
        _: &RequestContext,
        _: &EventProcessingRequest,
        _: &EventHeader,
        event: &CustomEvent,
    ) -> Result<(), PartnerError> {
        match event.name.as_deref() {
            Some("panic") => panic!("the test partner was asked to panic"),
            Some("retry") => Err(PartnerError::retry_later("asked to retry")),
            Some("suspend") => Err(PartnerError::suspend("asked to suspend")),
            _ => Ok(()),
        }
    }

    async fn on_audience_subscription(
        &self,
        _: &RequestContext,
        request: &AudienceSubscriptionRequest,
    ) -> Result<AudienceSubscriptionResponse, PartnerError> {
        let mut response = AudienceSubscriptionResponse::default();
        response
            .audience_subscription_settings
            .insert("listId".into(), format!("list-{}", request.audience_id));
        Ok(response)
    }
}

#[tokio::main]
async fn main() -> Result<(), mparticle_firehose::lambda::Error> {
    let broken = std::env::var("TEST_PARTNER_MODE").is_ok_and(|m| m == "broken");
    mparticle_firehose::lambda::run(TestPartner { broken }).await
}
