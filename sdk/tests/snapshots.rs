//! A complete registration response built with the typed builders, pinned as a snapshot of the
//! pretty-printed wire JSON (spec §4.3, §5).

mod common;

use common::{Ordered, roundtrip};
use mparticle_firehose::Message;
use mparticle_firehose::model::*;
use uuid::Uuid;

fn oauth2(scopes: &[(&str, &str)]) -> OAuth2Authentication {
    OAuth2Authentication {
        authorization_url: Some("https://auth.lumen.example/oauth/authorize".into()),
        refresh_url: Some("https://auth.lumen.example/oauth/refresh".into()),
        token_url: Some("https://auth.lumen.example/oauth/token".into()),
        grant_type: Some(GrantType::AuthorizationCode),
        default_expires_in: Some(7200),
        client_id: Some("mparticle-lumen".into()),
        access_token_type: Some(AccessTokenType::CustomHeader),
        custom_header_name: Some("X-Lumen-Access".into()),
        param_client_id_name: Some("lumen_app".into()),
        param_secret_name: Some("lumen_secret".into()),
        scopes: scopes
            .iter()
            .map(|(name, description)| ScopeDetail {
                name: Some((*name).into()),
                description: Some((*description).into()),
            })
            .collect(),
    }
}

fn integer(id: &str, name: &str, default: Option<i64>, min: i64, max: i64) -> Setting {
    let mut setting = Setting::integer(id, name);
    let SettingKind::Integer(kind) = &mut setting.kind else {
        unreachable!()
    };
    kind.default_value = default;
    kind.min_value = Some(min);
    kind.max_value = Some(max);
    setting
}

fn float(id: &str, name: &str, default: f64, min: f64, max: f64) -> Setting {
    let mut setting = Setting::float(id, name);
    let SettingKind::Float(kind) = &mut setting.kind else {
        unreachable!()
    };
    kind.default_value = Some(default);
    kind.min_value = Some(min);
    kind.max_value = Some(max);
    setting
}

fn boolean(id: &str, name: &str, default_value: bool, checked: bool) -> Setting {
    let mut setting = Setting::boolean(id, name);
    let SettingKind::Boolean(kind) = &mut setting.kind else {
        unreachable!()
    };
    kind.default_value = default_value;
    kind.checked = checked;
    setting
}

fn text_with_default(id: &str, name: &str, default: &str) -> Setting {
    let mut setting = Setting::text(id, name);
    let SettingKind::Text(kind) = &mut setting.kind else {
        unreachable!()
    };
    kind.default_value = Some(default.into());
    setting
}

fn registration() -> ModuleRegistrationResponse {
    let encodings = IdentityEncoding::KNOWN;
    let mut permissions = Permissions::new();
    for (i, t) in DeviceIdentityType::KNOWN.iter().enumerate() {
        let p = DeviceIdentityPermission::new(t.clone(), encodings[i % 4].clone());
        permissions = permissions.with_device_identity(if i == 0 { p.required() } else { p });
    }
    for (i, t) in UserIdentityType::KNOWN.iter().enumerate() {
        let p = UserIdentityPermission::new(t.clone(), encodings[(i + 1) % 4].clone());
        permissions = permissions.with_user_identity(if *t == UserIdentityType::Email {
            p.required()
        } else {
            p
        });
    }
    let permissions = permissions
        .with_partner_identity(PartnerIdentityPermission::new(
            "Lumen_VisitorId".to_owned(),
            IdentityEncoding::Raw,
        ))
        .allow_location()
        .allow_ip_address()
        .allow_device_info()
        .allow_user_attributes()
        .allow_consent_state()
        .allow_http_user_agent()
        .allow_mpid()
        .allow_platform_fields();

    let events = EventProcessingRegistration::new()
        .with_account_setting(
            Setting::text("apiKey", "API key")
                .with_description("Your Lumen project key")
                .required()
                .confidential(),
        )
        .with_account_setting(text_with_default("region", "Data region", "eu-central"))
        .with_account_setting(integer("batchSize", "Batch size", Some(100), 1, 1000).required())
        .with_account_setting(float("sampleRate", "Sample rate", 1.0, 0.0, 1.0))
        .with_account_setting(boolean("sendLocation", "Send location", true, true))
        .with_connection_setting(Setting::text("workspaceTag", "Workspace tag").hidden())
        .with_connection_setting(boolean("dryRun", "Dry run", false, false))
        .with_connection_setting(integer("retries", "Retries", None, 0, 5))
        .with_event_types(EventType::KNOWN.iter().cloned())
        .with_runtime_environments(RuntimeEnvironmentType::KNOWN.iter().cloned())
        .with_system_notifications(SystemNotificationType::KNOWN.iter().cloned())
        .with_max_data_age_hours(72)
        .with_push_messaging_provider_id("lumen-push")
        .with_authentication(oauth2(&[
            ("events:write", "Send events to Lumen"),
            ("profiles:read", "Read Lumen profiles"),
        ]));

    let audiences = AudienceProcessingRegistration::new()
        .with_account_setting(
            Setting::text("audienceKey", "Audience key")
                .required()
                .confidential(),
        )
        .with_subscription_setting(
            Setting::text("listId", "Lumen list id")
                .with_description("Set by the integration")
                .hidden(),
        )
        .with_subscription_setting(integer(
            "ttlDays",
            "Membership TTL (days)",
            Some(30),
            -1,
            365,
        ))
        .with_bulk_configuration(500, 15)
        .with_authentication(OAuth2Authentication {
            access_token_type: Some(AccessTokenType::Bearer),
            custom_header_name: None,
            ..oauth2(&[("audiences:write", "Manage Lumen lists")])
        });

    let dsr = DsrProcessingRegistration::erasure("privacy.lumen.example")
        .with_account_setting(boolean("hardDelete", "Delete permanently", false, true));

    ModuleRegistrationResponse::new("Lumen Insights", "2.4.1")
        .with_description(
            "Sends events and audiences to <a href=\"https://lumen.example\">Lumen</a>.",
        )
        .with_permissions(permissions)
        .with_event_processing(events)
        .with_audience_processing(audiences)
        .with_dsr_processing(dsr)
}

fn message() -> Message {
    let mut message = Message::new(registration());
    // A fixed envelope, so that the snapshot is stable.
    message.envelope = Envelope {
        id: Some(Uuid::parse_str("5d1e7a20-8c43-4b9e-b2f6-3a7c0e9d4b21").unwrap()),
        timestamp_ms: Some(1718000000000),
        firehose_version: Some(FIREHOSE_VERSION.into()),
    };
    message
}

#[test]
fn registration_response_snapshot() {
    let message = message();
    let pretty = serde_json::to_string_pretty(&message).unwrap();
    insta::assert_snapshot!("registration_response", pretty);
}

#[test]
fn registration_built_with_builders_is_valid_and_round_trips() {
    let message = message();
    let MessageBody::ModuleRegistrationResponse(reg) = &message.body else {
        panic!()
    };
    assert_eq!(reg.validate(), Ok(()));
    assert_eq!(reg.sdk_version.as_deref(), Some("3.2.0"));
    assert_eq!(reg.all_settings().count(), 12);
    assert_eq!(
        reg.all_settings().filter(|s| s.is_confidential()).count(),
        2
    );

    let compact = message.to_json().unwrap();
    let (decoded, out) = roundtrip(compact.as_bytes());
    assert_eq!(decoded, message);
    assert_eq!(out, compact);
    // The pretty form is the same JSON.
    let pretty = serde_json::to_string_pretty(&message).unwrap();
    assert_eq!(Ordered::parse(&pretty), Ordered::parse(&compact));
}

#[test]
fn registration_key_order_and_inclusion() {
    let compact = message().to_json().unwrap();
    let tree = Ordered::parse(&compact);
    assert_eq!(
        tree.keys(),
        [
            "type",
            "id",
            "timestamp_ms",
            "firehose_version",
            "sdk_version",
            "name",
            "description",
            "version",
            "permissions",
            "event_processing_registration",
            "audience_processing_registration",
            "dsr_processing_registration"
        ]
    );
    let permissions = tree.get("permissions").unwrap();
    // Only the flags that were set, in Java's order; the unset ones are omitted.
    assert_eq!(
        permissions.keys(),
        [
            "device_identities",
            "user_identities",
            "partner_identities",
            "allow_access_location",
            "allow_access_ip_address",
            "allow_device_info",
            "allow_user_attributes",
            "allow_consent_state",
            "allow_access_http_user_agent",
            "allow_access_mpid",
            "allow_platform_fields"
        ]
    );
    let device = permissions.get("device_identities").unwrap().at(1).unwrap();
    assert_eq!(device.keys(), ["type", "encoding", "required"]);
    let events = tree.get("event_processing_registration").unwrap();
    assert_eq!(
        events.keys(),
        [
            "account_settings",
            "event_connection_settings",
            "supported_event_types",
            "supported_runtime_environments",
            "supported_system_notification_types",
            "max_data_age_hours",
            "push_messaging_provider_id",
            "authentication"
        ]
    );
    let settings = events.get("account_settings").unwrap();
    assert_eq!(
        settings.at(0).unwrap().keys(),
        [
            "type",
            "id",
            "name",
            "description",
            "visible",
            "required",
            "confidential"
        ]
    );
    assert_eq!(
        settings.at(2).unwrap().keys(),
        [
            "type",
            "id",
            "name",
            "visible",
            "default_value",
            "min_value",
            "max_value",
            "required"
        ]
    );
    assert_eq!(
        settings.at(4).unwrap().keys(),
        ["type", "id", "name", "visible", "default_value", "checked"]
    );
    let auth = events.get("authentication").unwrap();
    assert_eq!(auth.keys()[0], "type");
    assert_eq!(auth.keys().last(), Some(&"scopes"));
    let audiences = tree.get("audience_processing_registration").unwrap();
    assert_eq!(
        audiences.keys(),
        [
            "account_settings",
            "authentication",
            "bulk_configuration",
            "audience_subscription_settings"
        ]
    );
    assert!(compact.contains(
        r#""bulk_configuration":{"bulk_forward_wait_for_messages":500,"bulk_forward_wait_in_minutes":15}"#
    ));
    assert!(compact.contains(
        r#""dsr_processing_registration":{"account_settings":[{"type":"boolean","id":"hardDelete","name":"Delete permanently","visible":true,"default_value":false,"checked":true}],"supported_dsr_types":["erasure"],"domain":"privacy.lumen.example"}"#
    ));
}

#[test]
fn an_empty_registration_writes_only_what_java_writes() {
    let mut message = Message::new(ModuleRegistrationResponse::new("Bare", "1"));
    message.envelope = Envelope::default();
    assert_eq!(
        message.to_json().unwrap(),
        r#"{"type":"module_registration_response","sdk_version":"3.2.0","name":"Bare","version":"1"}"#
    );
    let with_empty_parts = ModuleRegistrationResponse::new("Bare", "1")
        .with_permissions(Permissions::new())
        .with_event_processing(EventProcessingRegistration::new());
    let message = Message {
        envelope: Envelope::default(),
        body: with_empty_parts.into(),
    };
    // Objects are never "empty" for Java's NON_EMPTY rule; the `always` int is written.
    assert_eq!(
        message.to_json().unwrap(),
        r#"{"type":"module_registration_response","sdk_version":"3.2.0","name":"Bare","version":"1","permissions":{},"event_processing_registration":{"max_data_age_hours":24}}"#
    );
}
