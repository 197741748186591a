//! A partner used by the end-to-end tests. `TEST_PARTNER_MODE` selects its behaviour:
//! `ok` (default) answers everything; `broken` has an invalid registration (the SDK refuses it
//! at init); `unvalidated` serves an invalid registration through a hand-written Runtime API
//! loop that bypasses the SDK's init-time validation, so that only an outside check (such as
//! `firehose probe`) catches it.
//! Custom events named `panic`, `retry`, `suspend` make its hook do just that.

use mparticle_firehose::ErrorType;
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
        response.audience_subscription_settings.insert(
            "listId".into(),
            format!("list-{}", request.audience_id).into(),
        );
        Ok(response)
    }
}

/// The registration of the `unvalidated` mode: a 250-character description and a setting id
/// used twice, which `ModuleRegistrationResponse::validate` names.
fn unvalidated_registration() -> ModuleRegistrationResponse {
    ModuleRegistrationResponse::new("Unvalidated Partner", "0.0.1")
        .with_description("x".repeat(250))
        .with_event_processing(
            EventProcessingRegistration::new()
                .with_account_setting(Setting::text("apiKey", "API key"))
                .with_account_setting(Setting::text("apiKey", "API key again"))
                .with_event_types([EventType::CustomEvent]),
        )
        .with_audience_processing(AudienceProcessingRegistration::new())
}

/// The `unvalidated` mode's answer to one payload, or the function error to report.
fn unvalidated_answer(payload: &[u8]) -> Result<Message, (ErrorType, String)> {
    let request =
        Message::decode_request(payload).map_err(|e| (ErrorType::InvalidMessage, e.to_string()))?;
    match request.body {
        MessageBody::ModuleRegistrationRequest(_) => Ok(Message::new(unvalidated_registration())),
        MessageBody::EventProcessingRequest(_) => {
            Ok(Message::new(EventProcessingResponse::default()))
        }
        MessageBody::AudienceMembershipChangeRequest(_) => {
            Ok(Message::new(AudienceMembershipChangeResponse::default()))
        }
        other => Err((
            ErrorType::InvalidRequest,
            format!("the unvalidated mode does not answer {}", other.type_name()),
        )),
    }
}

/// Serves the `unvalidated` mode with a minimal Runtime API client: next invocation, answer,
/// repeat. No `Dispatcher`, so no validation.
async fn serve_unvalidated() -> Result<(), mparticle_firehose::lambda::Error> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API")?;
    // Lambda sets `host:port`; `cargo lambda watch` sets a URL with a path prefix.
    let base = if api.starts_with("http://") || api.starts_with("https://") {
        api.trim_end_matches('/').to_owned()
    } else {
        format!("http://{api}")
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    // No timeout: `next` waits for the next invocation for as long as it takes.
    let client = reqwest::Client::builder().no_proxy().build()?;
    loop {
        let next = client
            .get(format!("{base}/2018-06-01/runtime/invocation/next"))
            .send()
            .await?
            .error_for_status()?;
        let Some(request_id) = next
            .headers()
            .get("lambda-runtime-aws-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .filter(|_| next.status() == reqwest::StatusCode::OK)
        else {
            // Nothing to do yet (an emulator may answer 204 rather than wait).
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            continue;
        };
        let payload = next.bytes().await?;
        let (outcome, body) = match unvalidated_answer(&payload) {
            Ok(message) => ("response", message.encode()?),
            Err((error_type, message)) => (
                "error",
                serde_json::to_vec(&serde_json::json!({
                    "errorType": error_type.as_str(),
                    "errorMessage": message,
                }))?,
            ),
        };
        // The caller may be gone (an emulator that gave up answers 500): like lambda_runtime,
        // carry on with the next invocation.
        let posted = client
            .post(format!(
                "{base}/2018-06-01/runtime/invocation/{request_id}/{outcome}"
            ))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status);
        if let Err(e) = posted {
            eprintln!("could not post the {outcome} of {request_id}: {e}");
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), mparticle_firehose::lambda::Error> {
    let mode = std::env::var("TEST_PARTNER_MODE").unwrap_or_default();
    if mode == "unvalidated" {
        return serve_unvalidated().await;
    }
    let broken = mode == "broken";
    mparticle_firehose::lambda::run(TestPartner { broken }).await
}
