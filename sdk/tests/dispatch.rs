//! The dispatcher: ordering, verification requests, the error contract, panics, settings,
//! redaction and the request context.

use std::sync::Mutex;
use std::time::Duration;

use mparticle_firehose::model::*;
use mparticle_firehose::prelude::{Partner, PartnerError, RequestContext, async_trait};
use mparticle_firehose::testing::{self, InvocationBuilder, messages};
use mparticle_firehose::{Dispatcher, ErrorType};

/// A partner that records what it sees and fails on command.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<String>>,
    /// Event names (custom events) that make the hook fail, and how.
    fail_on: Vec<(&'static str, PartnerError)>,
    eventless: bool,
}

impl Recorder {
    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
    fn push(&self, s: impl Into<String>) {
        self.seen.lock().unwrap().push(s.into());
    }
}

#[async_trait]
impl Partner for Recorder {
    fn registration(&self) -> ModuleRegistrationResponse {
        let mut permissions = Permissions::new().allow_mpid();
        if self.eventless {
            permissions = permissions.allow_eventless_batches();
        }
        ModuleRegistrationResponse::new("Recorder", "1.0")
            .with_permissions(permissions)
            .with_event_processing(
                EventProcessingRegistration::new()
                    .with_account_setting(
                        Setting::text("apiKey", "API key").required().confidential(),
                    )
                    .with_account_setting(Setting::text("region", "Region"))
                    .with_event_types([EventType::CustomEvent, EventType::ScreenView]),
            )
    }

    async fn on_gdpr_consent_change(
        &self,
        _: &RequestContext,
        _: &EventProcessingRequest,
        n: &GdprConsentStateNotification,
    ) -> Result<(), PartnerError> {
        self.push(format!("gdpr:{}", n.purpose.as_deref().unwrap_or("")));
        Ok(())
    }

    async fn on_ccpa_consent_change(
        &self,
        _: &RequestContext,
        _: &EventProcessingRequest,
        _: &CcpaConsentStateNotification,
    ) -> Result<(), PartnerError> {
        self.push("ccpa");
        Ok(())
    }

    async fn on_custom_event(
        &self,
        _: &RequestContext,
        _: &EventProcessingRequest,
        _: &EventHeader,
        event: &CustomEvent,
    ) -> Result<(), PartnerError> {
        let name = event.name.clone().unwrap_or_default();
        if name == "panic" {
            panic!("boom in a hook");
        }
        self.push(format!("custom:{name}"));
        match self.fail_on.iter().find(|(n, _)| *n == name) {
            Some((_, e)) => Err(e.clone()),
            None => Ok(()),
        }
    }

    async fn on_screen_view(
        &self,
        _: &RequestContext,
        _: &EventProcessingRequest,
        _: &EventHeader,
        event: &ScreenViewEvent,
    ) -> Result<(), PartnerError> {
        self.push(format!(
            "screen:{}",
            event.screen_name.as_deref().unwrap_or("")
        ));
        Ok(())
    }

    async fn on_audience_membership_change(
        &self,
        _: &RequestContext,
        request: &AudienceMembershipChangeRequest,
    ) -> Result<AudienceMembershipChangeResponse, PartnerError> {
        self.push(format!(
            "membership:{}",
            request.user_profiles.as_ref().map_or(0, |p| p.len())
        ));
        match self.fail_on.iter().find(|(n, _)| *n == "membership") {
            Some((_, e)) => Err(e.clone()),
            None => Ok(AudienceMembershipChangeResponse::default()),
        }
    }

    async fn on_dsr(
        &self,
        ctx: &RequestContext,
        _: &DsrProcessingRequest,
    ) -> Result<DsrProcessingResponse, PartnerError> {
        self.push("dsr");
        ctx.settings().string("apiKey")?;
        match self.fail_on.iter().find(|(n, _)| *n == "dsr") {
            Some((_, e)) => Err(e.clone()),
            None => Ok(DsrProcessingResponse::default()),
        }
    }
}

fn custom(name: &str) -> Event {
    Event::new(
        1_700_000_000_000,
        CustomEvent {
            name: Some(name.into()),
            ..Default::default()
        },
    )
}

fn screen(name: &str) -> Event {
    Event::new(
        1_700_000_000_001,
        ScreenViewEvent {
            screen_name: Some(name.into()),
            ..Default::default()
        },
    )
}

fn batch(events: Vec<Event>) -> Vec<u8> {
    let mut b = messages::EventBatch::new(42).setting("apiKey", "secret-123");
    for e in events {
        b = b.event(e);
    }
    b.to_json()
}

fn failing(name: &'static str, error: PartnerError) -> Recorder {
    Recorder {
        fail_on: vec![(name, error)],
        ..Recorder::default()
    }
}

#[tokio::test]
async fn registration_probe_is_answered_with_the_registration() {
    let d = testing::dispatcher(Recorder::default());
    let response = testing::invoke(&d, br#"{"type":"module_registration_request","id":"76e558fa-f456-437c-bb81-e658f75a7bd9","timestamp_ms":1446250094767}"#)
        .await
        .unwrap();
    let MessageBody::ModuleRegistrationResponse(reg) = &response.body else {
        panic!("{response:?}")
    };
    assert_eq!(reg.name.as_deref(), Some("Recorder"));
    assert_eq!(reg.sdk_version.as_deref(), Some("3.2.0"));
    assert_eq!(response.envelope.firehose_version.as_deref(), Some("3.2.0"));
    let id = response.envelope.id.expect("a response id");
    assert_eq!(id.get_version_num(), 4);
    assert_ne!(id.to_string(), "76e558fa-f456-437c-bb81-e658f75a7bd9");
    assert!(response.envelope.timestamp_ms.unwrap() > 1_700_000_000_000);
    assert!(d.partner().seen().is_empty());
}

#[tokio::test]
async fn notifications_come_first_then_events_in_order() {
    let d = testing::dispatcher(Recorder::default());
    let payload = messages::EventBatch::new(42)
        .event(screen("home"))
        .event(custom("a"))
        .event(screen("cart"))
        .notification(GdprConsentStateNotification {
            purpose: Some("marketing".into()),
            ..Default::default()
        })
        .notification(CcpaConsentStateNotification::default())
        .to_json();
    let response = testing::invoke(&d, payload).await.unwrap();
    assert!(matches!(
        response.body,
        MessageBody::EventProcessingResponse(EventProcessingResponse {
            suspend_subscription: false
        })
    ));
    assert_eq!(
        d.partner().seen(),
        [
            "gdpr:marketing",
            "ccpa",
            "screen:home",
            "custom:a",
            "screen:cart"
        ]
    );
}

#[tokio::test]
async fn unknown_event_types_are_skipped_and_the_rest_processed() {
    let d = testing::dispatcher(Recorder::default());
    let payload = br#"{"type":"event_processing_request","events":[
        {"type":"custom_event","name":"before"},
        {"type":"hologram_projection","intensity":3},
        {"type":"screen_view","screen_name":"after"}]}"#;
    testing::invoke(&d, payload).await.unwrap();
    assert_eq!(d.partner().seen(), ["custom:before", "screen:after"]);
}

#[tokio::test]
async fn event_verification_requests_do_not_reach_the_partner() {
    let d = testing::dispatcher(Recorder::default());
    for payload in [
        messages::encode(&messages::event_verification(42)),
        br#"{"type":"event_processing_request","events":null}"#.to_vec(),
        br#"{"type":"event_processing_request"}"#.to_vec(),
    ] {
        let response = testing::invoke(&d, &payload).await.unwrap();
        assert_eq!(
            response.message_type(),
            MessageType::EventProcessingResponse
        );
    }
    assert!(d.partner().seen().is_empty());
}

#[tokio::test]
async fn eventless_batches_reach_a_partner_that_opted_in() {
    struct Eventless(Recorder);
    #[async_trait]
    impl Partner for Eventless {
        fn registration(&self) -> ModuleRegistrationResponse {
            self.0.registration()
        }
        async fn on_event_batch(
            &self,
            _: &RequestContext,
            batch: &EventProcessingRequest,
        ) -> Result<EventProcessingResponse, PartnerError> {
            self.0.push(format!("batch:{}", batch.events.len()));
            Ok(EventProcessingResponse::default())
        }
    }
    let d = testing::dispatcher(Eventless(Recorder {
        eventless: true,
        ..Recorder::default()
    }));
    testing::invoke(&d, messages::encode(&messages::event_verification(1)))
        .await
        .unwrap();
    assert_eq!(d.partner().0.seen(), ["batch:0"]);
}

#[tokio::test]
async fn audience_verification_is_answered_without_the_partner_but_an_empty_list_is_not() {
    let d = testing::dispatcher(Recorder::default());
    let response = testing::invoke(&d, messages::encode(&messages::audience_verification(7)))
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&response.to_json().unwrap()).unwrap();
    assert_eq!(json["type"], "audience_membership_change_response");
    assert_eq!(json["suspend_subscription"], false);
    assert!(d.partner().seen().is_empty());

    testing::invoke(
        &d,
        br#"{"type":"audience_membership_change_request","user_profiles":[]}"#,
    )
    .await
    .unwrap();
    assert_eq!(d.partner().seen(), ["membership:0"]);
}

#[tokio::test]
async fn retry_later_becomes_a_retryable_function_error() {
    let d = testing::dispatcher(failing(
        "x",
        PartnerError::retry_after("rate limited", Duration::from_secs(120)),
    ));
    let err = testing::invoke(&d, batch(vec![custom("x"), custom("never")]))
        .await
        .unwrap_err();
    assert_eq!(err.error_type, ErrorType::RetryLater);
    assert_eq!(err.error_type.as_str(), "Firehose.RetryLater");
    assert_eq!(err.retry_after, Some(Duration::from_secs(120)));
    assert!(err.message.contains("rate limited"), "{}", err.message);
    assert!(err.is_retryable());
    // The walk stopped at the failing event.
    assert_eq!(d.partner().seen(), ["custom:x"]);
}

#[tokio::test]
async fn a_permanent_failure_drops_only_that_event() {
    let d = testing::dispatcher(failing(
        "bad",
        PartnerError::permanent("rejected by the partner API"),
    ));
    let response = testing::invoke(&d, batch(vec![custom("bad"), custom("good")]))
        .await
        .unwrap();
    assert_eq!(
        response.message_type(),
        MessageType::EventProcessingResponse
    );
    assert_eq!(d.partner().seen(), ["custom:bad", "custom:good"]);
}

#[tokio::test]
async fn suspension_answers_suspend_subscription() {
    let d = testing::dispatcher(failing(
        "revoked",
        PartnerError::suspend("credentials revoked"),
    ));
    let response = testing::invoke(&d, batch(vec![custom("revoked"), custom("later")]))
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&response.to_json().unwrap()).unwrap();
    assert_eq!(json["suspend_subscription"], true);
    assert_eq!(d.partner().seen(), ["custom:revoked"]);

    let d = testing::dispatcher(failing(
        "membership",
        PartnerError::suspend("credentials revoked"),
    ));
    let payload = messages::encode(&messages::audience_membership(
        7,
        &[("a@example.com", 1, AudienceAction::Add)],
    ));
    let response = testing::invoke(&d, payload).await.unwrap();
    assert!(matches!(
        response.body,
        MessageBody::AudienceMembershipChangeResponse(AudienceMembershipChangeResponse {
            suspend_subscription: true
        })
    ));
}

#[tokio::test]
async fn suspension_where_the_protocol_has_no_flag_keeps_the_data_for_a_retry() {
    let d = testing::dispatcher(failing("dsr", PartnerError::suspend("credentials revoked")));
    let payload = messages::dsr_erasure(7, "jane@example.com");
    let mut payload = payload;
    if let MessageBody::DsrProcessingRequest(r) = &mut payload.body {
        r.account = Some(Account::new(7).with_setting("apiKey", "k"));
    }
    let err = testing::invoke(&d, messages::encode(&payload))
        .await
        .unwrap_err();
    assert_eq!(err.error_type, ErrorType::RetryLater);
}

#[tokio::test]
async fn invalid_request_and_missing_settings_name_the_problem() {
    let d = testing::dispatcher(failing("x", PartnerError::invalid_request("no such list")));
    let err = testing::invoke(&d, batch(vec![custom("x")]))
        .await
        .unwrap_err();
    assert_eq!(err.error_type, ErrorType::InvalidRequest);
    assert_eq!(err.message, "no such list");

    // The DSR hook reads a required setting the request lacks.
    let d = testing::dispatcher(Recorder::default());
    let err = testing::invoke(
        &d,
        messages::encode(&messages::dsr_erasure(7, "jane@example.com")),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type, ErrorType::InvalidRequest);
    assert!(err.message.contains("'apiKey'"), "{}", err.message);
}

#[tokio::test]
async fn a_panicking_hook_is_a_function_error_and_the_next_request_is_served() {
    let d = testing::dispatcher(Recorder::default());
    let err = testing::invoke(&d, batch(vec![custom("panic")]))
        .await
        .unwrap_err();
    assert_eq!(err.error_type, ErrorType::Panic);
    assert!(err.message.contains("boom in a hook"), "{}", err.message);
    testing::invoke(&d, batch(vec![custom("fine")]))
        .await
        .unwrap();
    assert_eq!(d.partner().seen(), ["custom:fine"]);
}

#[tokio::test]
async fn garbage_is_an_invalid_message_with_kind_and_path() {
    let d = testing::dispatcher(Recorder::default());
    let cases: [(&[u8], &str); 5] = [
        (b"not json", "not_json"),
        (
            b"{\"type\":\"event_processing_request\",\"events\":[",
            "truncated",
        ),
        (b"{\"type\":\"banana\"}", "unknown_type"),
        (
            b"{\"type\":\"event_processing_response\"}",
            "response_as_request",
        ),
        (
            b"{\"type\":\"event_processing_request\",\"account\":{\"account_id\":3000000000}}",
            "$.account.account_id",
        ),
    ];
    for (payload, expected) in cases {
        let err = testing::invoke(&d, payload).await.unwrap_err();
        assert_eq!(err.error_type, ErrorType::InvalidMessage);
        assert_eq!(err.error_type.as_str(), "Firehose.InvalidMessage");
        assert!(
            err.message.contains(expected),
            "{expected} not in {}",
            err.message
        );
    }
    assert!(d.partner().seen().is_empty());
}

#[test]
fn an_invalid_registration_is_refused_with_every_violation_named() {
    struct Broken;
    #[async_trait]
    impl Partner for Broken {
        fn registration(&self) -> ModuleRegistrationResponse {
            ModuleRegistrationResponse::new("", "1")
                .with_description("x".repeat(240))
                .with_permissions(Permissions::new().with_partner_identity(
                    PartnerIdentityPermission::new("a".into(), IdentityEncoding::Raw),
                ))
                .with_event_processing(
                    EventProcessingRegistration::new()
                        .with_account_setting(Setting::text("k", "K"))
                        .with_account_setting(Setting::text("k", "K again"))
                        .with_event_types([
                            EventType::PushMessageReceipt,
                            EventType::UserAttributeChange,
                        ])
                        .with_max_data_age_hours(0),
                )
                .with_dsr_processing(DsrProcessingRegistration {
                    supported_dsr_types: vec![DsrType::Other("portability".into())].into(),
                    ..DsrProcessingRegistration::erasure("example.com")
                })
        }
    }
    let errors = Dispatcher::new(Broken).err().expect("refused").0;
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let all = text.join("\n");
    for expected in [
        "no name",
        "240 characters",
        "\"k\" appears more than once",
        "push_messaging_provider_id",
        "allow_user_attributes",
        "max_data_age_hours is 0",
        "\"portability\"",
    ] {
        assert!(all.contains(expected), "{expected:?} missing from:\n{all}");
    }
    assert_eq!(errors.len(), 7, "{all}");
}

#[tokio::test]
async fn the_context_knows_the_invocation_account_and_settings() {
    struct Inspect(Mutex<Option<String>>);
    #[async_trait]
    impl Partner for Inspect {
        fn registration(&self) -> ModuleRegistrationResponse {
            Recorder::default().registration()
        }
        async fn on_event_batch(
            &self,
            ctx: &RequestContext,
            _: &EventProcessingRequest,
        ) -> Result<EventProcessingResponse, PartnerError> {
            let remaining = ctx.remaining().unwrap();
            assert!(remaining <= Duration::from_secs(3) && remaining > Duration::from_secs(1));
            *self.0.lock().unwrap() = Some(format!(
                "{}|{:?}|{}|{}|{:?}",
                ctx.request_id(),
                ctx.alias(),
                ctx.account_id().unwrap(),
                ctx.settings().string("region")?,
                ctx.settings()
            ));
            Ok(EventProcessingResponse::default())
        }
    }
    let d = testing::dispatcher(Inspect(Mutex::new(None)));
    let payload = messages::EventBatch::new(42)
        .setting("apiKey", "s3cr3t-value")
        .setting("region", "eu")
        .event(custom("a"))
        .to_json();
    let invocation = InvocationBuilder::new()
        .request_id("req-1")
        .deadline_in(Duration::from_secs(3))
        .alias("production")
        .build();
    testing::invoke_with(&d, payload, invocation).await.unwrap();
    let seen = d.partner().0.lock().unwrap().clone().unwrap();
    assert!(
        seen.starts_with("req-1|Some(\"production\")|42|eu|"),
        "{seen}"
    );
    assert!(
        !seen.contains("s3cr3t-value"),
        "a confidential value was formatted: {seen}"
    );
    assert!(seen.contains("<redacted>"), "{seen}");
}

#[test]
fn account_debug_never_shows_setting_values() {
    // The account does not know the registration, so it shows no value at all.
    let account = Account::new(1)
        .with_setting("apiKey", "s3cr3t-value")
        .with_setting("region", "eu");
    let text = format!("{account:?}");
    assert!(!text.contains("s3cr3t-value"), "{text}");
    assert!(!text.contains("\"eu\""), "{text}");
    assert!(
        text.contains("region") && text.contains("<redacted>"),
        "{text}"
    );
}

#[tokio::test]
async fn each_dispatcher_redacts_its_own_confidential_settings() {
    /// Registers `label` as a confidential setting when `secret_label` is set, and records how
    /// its request context formats the settings.
    struct Labeled {
        secret_label: bool,
        seen: Mutex<Option<String>>,
    }
    #[async_trait]
    impl Partner for Labeled {
        fn registration(&self) -> ModuleRegistrationResponse {
            let mut label = Setting::text("label", "Label");
            if self.secret_label {
                label = label.confidential();
            }
            ModuleRegistrationResponse::new("Labeled", "1.0.0").with_event_processing(
                EventProcessingRegistration::new()
                    .with_account_setting(label)
                    .with_event_types([EventType::CustomEvent]),
            )
        }
        async fn on_event_batch(
            &self,
            ctx: &RequestContext,
            _batch: &EventProcessingRequest,
        ) -> Result<EventProcessingResponse, PartnerError> {
            *self.seen.lock().unwrap() = Some(format!("{:?}", ctx.settings()));
            Ok(EventProcessingResponse::default())
        }
    }
    let secret = testing::dispatcher(Labeled {
        secret_label: true,
        seen: Mutex::new(None),
    });
    let plain = testing::dispatcher(Labeled {
        secret_label: false,
        seen: Mutex::new(None),
    });
    let payload = messages::EventBatch::new(7)
        .setting("label", "gold-tier")
        .event(custom("a"))
        .to_json();
    for d in [&secret, &plain] {
        testing::invoke(d, payload.clone()).await.unwrap();
    }
    let seen = |d: &Dispatcher<Labeled>| d.partner().seen.lock().unwrap().clone().unwrap();
    assert!(!seen(&secret).contains("gold-tier"), "{}", seen(&secret));
    assert!(seen(&secret).contains("<redacted>"), "{}", seen(&secret));
    // The other dispatcher in the same process registered nothing confidential.
    assert!(seen(&plain).contains("gold-tier"), "{}", seen(&plain));
}

#[test]
fn aliases_are_read_from_the_invoked_arn() {
    use mparticle_firehose::partner::Invocation;
    let alias_of = |arn: &str| {
        let ctx_arn = Invocation {
            invoked_function_arn: arn.into(),
            ..Invocation::default()
        };
        // Build a context through a real dispatch-free path: the alias parser is on the context.
        let ctx = testing::context_for(ctx_arn);
        ctx.alias().map(str::to_owned)
    };
    assert_eq!(
        alias_of("arn:aws:lambda:us-east-1:123456789012:function:f:production").as_deref(),
        Some("production")
    );
    assert_eq!(
        alias_of("arn:aws:lambda:us-east-1:123456789012:function:f:7"),
        None
    );
    assert_eq!(
        alias_of("arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST"),
        None
    );
    assert_eq!(
        alias_of("arn:aws:lambda:us-east-1:123456789012:function:f"),
        None
    );
    assert_eq!(alias_of("function-arn"), None);
}
