//! Decode → re-encode → compare, for every message type, every event type, every runtime
//! environment and the protocol's surprises (spec §14).
//!
//! Fixtures written in canonical form (Java's key order, sorted map keys, compact output rules)
//! must re-encode byte for byte. Fixtures that exercise lenient input have a `.expected.json`
//! sibling with the canonical output.

mod common;

use common::{Ordered, decode, fixture, fixture_value, minify, reencode, roundtrip};
use mparticle_firehose::model::*;
use mparticle_firehose::{DecodeErrorKind, Message};
use uuid::Uuid;

/// Extracts a message body variant or fails the test.
macro_rules! body {
    ($msg:expr, $variant:ident) => {
        match &$msg.body {
            MessageBody::$variant(b) => b,
            other => panic!(
                "expected {}, got {}",
                stringify!($variant),
                other.type_name()
            ),
        }
    };
}

/// Extracts an enum variant's payload or fails the test.
macro_rules! variant {
    ($value:expr, $path:path) => {
        match $value {
            $path(v) => v,
            other => panic!("expected {}, got {other:?}", stringify!($path)),
        }
    };
}

/// A canonical fixture re-encodes to exactly its own (minified) text.
fn canonical(name: &str) -> Message {
    let input = fixture(name);
    let (message, out) = roundtrip(&input);
    assert_eq!(
        out,
        minify(&input),
        "{name} did not re-encode byte for byte"
    );
    assert_eq!(decode(out.as_bytes()), message);
    message
}

/// A lenient fixture re-encodes to exactly its `.expected.json` sibling.
fn lenient(name: &str) -> Message {
    let expected = name.replace(".json", ".expected.json");
    lenient_as(name, &expected)
}

fn lenient_as(name: &str, expected: &str) -> Message {
    let (message, out) = roundtrip(&fixture(name));
    assert_eq!(
        out,
        minify(&fixture(expected)),
        "{name} did not re-encode as {expected}"
    );
    // The expected output is itself a fixed point, and it is what the input normalizes to.
    let (again, _) = roundtrip(&fixture(expected));
    assert_eq!(again, decode(out.as_bytes()));
    message
}

fn uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).unwrap()
}

/// The strings of a string list (`<null>` for a null element).
fn texts(list: &[Option<CompactString>]) -> Vec<&str> {
    list.iter()
        .map(|s| s.as_deref().unwrap_or("<null>"))
        .collect()
}

fn dec(d: &Option<Decimal>) -> String {
    d.as_ref().expect("decimal present").to_string()
}

fn events(msg: &Message) -> &[Event] {
    &body!(msg, EventProcessingRequest).events
}

// ---------------------------------------------------------------------------------------------
// The ten message types

#[test]
fn module_registration_request() {
    let msg = canonical("module_registration_request.json");
    assert_eq!(msg.message_type(), MessageType::ModuleRegistrationRequest);
    body!(msg, ModuleRegistrationRequest);
    assert_eq!(
        msg.envelope,
        Envelope {
            id: Some(uuid("0b6f1c52-3e0a-4d7c-9a41-5f2e8c7d9a10")),
            timestamp_ms: Some(1718000000000),
            firehose_version: Some("3.2.0".into()),
        }
    );
    assert!(!msg.body.is_response());
}

#[test]
fn module_registration_request_without_version_or_envelope() {
    // The docs' own sample omits firehose_version; a bare type must be accepted too.
    let (msg, out) = roundtrip(
        br#"{"type":"module_registration_request","id":"76e558fa-f456-437c-bb81-e658f75a7bd9","timestamp_ms":1446250094767}"#,
    );
    assert_eq!(msg.envelope.firehose_version, None);
    assert!(!out.contains("firehose_version"));
    let (bare, out) = roundtrip(br#"{"type":"module_registration_request"}"#);
    assert_eq!(bare.envelope, Envelope::default());
    assert_eq!(out, r#"{"type":"module_registration_request"}"#);
}

#[test]
fn module_registration_response() {
    let msg = canonical("module_registration_response.json");
    let reg = body!(msg, ModuleRegistrationResponse);
    assert!(msg.body.is_response());
    assert_eq!(reg.sdk_version.as_deref(), Some("3.2.0"));
    assert_eq!(reg.name.as_deref(), Some("Lumen Insights"));
    assert_eq!(reg.version.as_deref(), Some("2.4.1"));
    assert!(reg.validate().is_ok(), "{:?}", reg.validate());

    let perms = reg.permissions.as_ref().unwrap();
    assert_eq!(
        perms.device_identities[0],
        DeviceIdentityPermission::new(
            DeviceIdentityType::GoogleAdvertisingId,
            IdentityEncoding::Raw
        )
        .required()
    );
    assert_eq!(
        perms.user_identities[2].identity_type,
        UserIdentityType::PhoneNumber2
    );
    assert_eq!(perms.user_identities[2].encoding, IdentityEncoding::Md5);
    assert_eq!(
        perms.partner_identities[0].identity_type,
        "lumen_visitor_id"
    );
    assert!(
        perms.allow_access_location && perms.allow_device_info && perms.allow_eventless_batches
    );
    assert!(!perms.allow_access_ip_address && !perms.allow_platform_fields);

    let ev = reg.event_processing_registration.as_ref().unwrap();
    assert_eq!(ev.account_settings.len(), 5);
    let token = &ev.account_settings[0];
    assert_eq!(token.id(), "apiToken");
    assert!(token.is_required() && token.is_confidential());
    let text = variant!(&ev.account_settings[1].kind, SettingKind::Text);
    assert_eq!(text.default_value.as_deref(), Some("eu-west"));
    let int = variant!(&ev.account_settings[2].kind, SettingKind::Integer);
    assert_eq!(
        (int.default_value, int.min_value, int.max_value),
        (Some(50), Some(1), Some(500))
    );
    let float = variant!(&ev.account_settings[3].kind, SettingKind::Float);
    assert_eq!(
        (float.default_value, float.min_value, float.max_value),
        (Some(0.25), Some(0.0), Some(1.0))
    );
    assert!(float.required);
    let boolean = variant!(&ev.account_settings[4].kind, SettingKind::Boolean);
    assert!(boolean.default_value && boolean.checked);
    assert!(!ev.event_connection_settings[0].header.visible);
    assert_eq!(
        ev.supported_event_types,
        [
            EventType::CustomEvent,
            EventType::ScreenView,
            EventType::ProductAction,
            EventType::PushMessageReceipt,
            EventType::UserAttributeChange
        ]
    );
    assert_eq!(
        ev.supported_runtime_environments,
        [
            RuntimeEnvironmentType::Android,
            RuntimeEnvironmentType::Ios,
            RuntimeEnvironmentType::MobileWeb,
            RuntimeEnvironmentType::SmartTv,
            RuntimeEnvironmentType::Alexa
        ]
    );
    assert_eq!(ev.max_data_age_hours, 48);
    let oauth = variant!(ev.authentication.as_ref().unwrap(), Authentication::OAuth2);
    assert_eq!(oauth.grant_type, Some(GrantType::AuthorizationCode));
    assert_eq!(oauth.access_token_type, Some(AccessTokenType::CustomHeader));
    assert_eq!(oauth.default_expires_in, Some(3600));
    assert_eq!(oauth.scopes.len(), 2);
    assert_eq!(oauth.scopes[1].name.as_deref(), Some("profiles.read"));

    let au = reg.audience_processing_registration.as_ref().unwrap();
    let bulk = au.bulk_configuration.as_ref().unwrap();
    assert_eq!(bulk.bulk_forward_wait_for_messages, Some(200));
    assert_eq!(bulk.bulk_forward_wait_in_minutes, Some(15));
    let ttl = variant!(
        &au.audience_subscription_settings[1].kind,
        SettingKind::Integer
    );
    assert_eq!((ttl.default_value, ttl.min_value), (None, Some(-1)));

    let dsr = reg.dsr_processing_registration.as_ref().unwrap();
    assert_eq!(dsr.supported_dsr_types, [DsrType::Erasure]);
    assert_eq!(dsr.domain.as_deref(), Some("privacy.lumen.example"));
    assert_eq!(reg.all_settings().count(), 5 + 2 + 1 + 2 + 1);
}

#[test]
fn event_processing_request() {
    let msg = canonical("event_processing_request.json");
    let req = body!(msg, EventProcessingRequest);
    let account = req.account.as_ref().unwrap();
    assert_eq!(account.account_id, 4417);
    assert_eq!(account.account_settings["sendLocation"], "true");
    assert_eq!(
        req.partner_identities,
        [PartnerIdentity::new(
            "lumen_visitor_id".into(),
            IdentityEncoding::Raw,
            "lv-55a1"
        )]
    );
    assert_eq!(
        req.user_identities[0].identity_type,
        UserIdentityType::Email
    );
    assert_eq!(
        req.user_identities[2].identity_type,
        UserIdentityType::Other4
    );
    assert_eq!(req.user_attributes["$City"], "Montréal");
    assert_eq!(
        texts(&req.user_attribute_lists["badges"]),
        ["summit", "night-owl"]
    );
    assert_eq!(req.integration_attributes["lumen_session_key"], "sk-1f2e");

    let rt = req.runtime_environment.as_ref().unwrap();
    assert_eq!(rt.platform(), RuntimeEnvironmentType::Ios);
    assert!(!rt.header.is_debug);
    assert_eq!(rt.header.client_ip_address.as_deref(), Some("203.0.113.77"));
    assert_eq!(
        rt.header.identities[2].identity_type,
        DeviceIdentityType::ApplePushNotificationToken
    );
    let ios = variant!(&rt.device, Device::Ios);
    assert_eq!(
        ios.att_authorization_status,
        Some(AttAuthorizationStatus::Authorized)
    );
    assert_eq!(
        ios.apple_search_ads_attribution["Version3.1"]["iad-campaign-id"],
        "8821"
    );
    assert_eq!(
        (ios.is_tablet, ios.is_sandboxed),
        (Some(false), Some(false))
    );
    assert_eq!(ios.timezone_offset, -4);

    let evs = &req.events;
    assert_eq!(evs.len(), 4);
    assert_eq!(evs[0].event_type(), EventType::SessionStart);
    assert_eq!(evs[0].header.session_id, Some(5512298374619023117));
    let loc = evs[0].header.location.as_ref().unwrap();
    assert_eq!(
        (loc.latitude, loc.longitude, loc.accuracy),
        (45.5019, -73.5674, 12.5)
    );
    let custom = variant!(&evs[1].data, EventData::CustomEvent);
    assert_eq!(
        custom.custom_event_type,
        Some(CustomEventType::UserPreference)
    );
    assert_eq!(custom.custom_flags["Lumen.Priority"], "high");
    let purchase = variant!(&evs[2].data, EventData::ProductAction);
    assert_eq!(purchase.action, Some(ProductActionType::Purchase));
    assert_eq!(dec(&purchase.total_amount), "129.90");
    assert_eq!(dec(&purchase.tax_amount), "16.89");
    assert_eq!(dec(&purchase.shipping_amount), "0.00");
    assert_eq!(dec(&purchase.products[0].quantity), "1");
    assert_eq!(dec(&purchase.products[1].price), "2.50");
    assert_eq!(dec(&purchase.products[1].quantity), "4.000");
    assert_eq!(purchase.products[1].position, 0);
    let end = variant!(&evs[3].data, EventData::SessionEnd);
    assert_eq!(end.session_length_ms, 11000);

    assert_eq!(req.source_channel, Some(ChannelSourceType::Native));
    let consent = req.consent_state.as_ref().unwrap();
    assert_eq!(consent.gdpr_consented("analytics"), Some(true));
    assert_eq!(consent.gdpr_consented("marketing"), Some(false));
    assert_eq!(consent.gdpr_consented("ads"), None);
    assert_eq!(consent.ccpa_opted_out(), Some(true));
    let gdpr = variant!(
        &req.system_notifications[0],
        SystemNotification::GdprConsentState
    );
    assert_eq!(gdpr.purpose.as_deref(), Some("marketing"));
    assert_eq!(
        gdpr.new_gdpr_consent_state
            .as_ref()
            .unwrap()
            .location
            .as_deref(),
        Some("settings screen")
    );
    let ccpa = variant!(
        &req.system_notifications[1],
        SystemNotification::CcpaConsentState
    );
    assert!(ccpa.old_ccpa_consent_state.is_none());
    assert_eq!(req.mpid.as_deref(), Some("-4817230558195716012"));
    let pf = req.platform_fields.as_ref().unwrap();
    assert_eq!(
        (pf.mp_account_id, pf.workspace_id, pf.dataplan_version),
        (4417, 9102, Some(6))
    );
    assert_eq!(pf.dataplan_id.as_deref(), Some("trailhead_plan"));
}

#[test]
fn event_processing_response() {
    let msg = canonical("event_processing_response.json");
    assert!(body!(msg, EventProcessingResponse).suspend_subscription);
    assert!(msg.body.is_response());
    // `if true`: the flag disappears when false.
    let quiet = Message {
        envelope: msg.envelope.clone(),
        body: EventProcessingResponse::default().into(),
    };
    assert!(!common::encode(&quiet).contains("suspend_subscription"));
}

#[test]
fn audience_subscription_request() {
    let msg = canonical("audience_subscription_request.json");
    let req = body!(msg, AudienceSubscriptionRequest);
    assert_eq!(req.audience_id, 88213);
    assert_eq!(req.action, Some(SubscriptionAction::Update));
    assert_eq!(req.audience_subscription_settings["ttlDays"], "30");
    assert_eq!(req.previous_audience_subscription_settings["ttlDays"], "14");
    assert_eq!(
        req.account.as_ref().unwrap().account_settings["audienceKey"],
        "ak_live_91f2"
    );
}

#[test]
fn audience_subscription_response() {
    let msg = canonical("audience_subscription_response.json");
    let resp = body!(msg, AudienceSubscriptionResponse);
    assert_eq!(resp.audience_subscription_settings["listId"], "L-7731");
}

#[test]
fn audience_membership_change_request() {
    let msg = canonical("audience_membership_change_request.json");
    let req = body!(msg, AudienceMembershipChangeRequest);
    let profiles = req.user_profiles.as_ref().unwrap();
    assert_eq!(profiles.len(), 2);
    let first = &profiles[0];
    assert_eq!(first.user_identities[1].value, "cust-20931");
    assert_eq!(
        first.device_identities[0].identity_type,
        DeviceIdentityType::IosAdvertisingId
    );
    assert_eq!(
        first.partner_identities[0].identity_type,
        "lumen_visitor_id"
    );
    assert_eq!(first.mpid.as_deref(), Some("-4817230558195716012"));
    let actions: Vec<_> = first.audiences.iter().map(|a| a.action.clone()).collect();
    assert_eq!(
        actions,
        [
            Some(AudienceAction::Add),
            Some(AudienceAction::Delete),
            Some(AudienceAction::AttributeUpdate)
        ]
    );
    // audience_id is an `always` int: 0 is written.
    assert_eq!(first.audiences[2].audience_id, 0);
    let attrs = &first.audiences[0].user_attributes;
    assert_eq!(attrs[0].value.as_deref(), Some("gold"));
    assert_eq!(attrs[1].value, None);
    assert_eq!(texts(&attrs[1].list_value), ["Skyline", "Ridge Loop"]);
    assert_eq!(attrs[2].action, Some(AttributeAction::Delete));
    assert!(profiles[1].mpid.is_none() && profiles[1].user_identities.is_empty());
}

#[test]
fn audience_membership_change_response_always_writes_suspend() {
    let msg = canonical("audience_membership_change_response.json");
    assert!(!body!(msg, AudienceMembershipChangeResponse).suspend_subscription);
    let out = common::encode(&msg);
    assert!(out.ends_with(r#""suspend_subscription":false}"#), "{out}");
}

#[test]
fn dsr_processing_request() {
    let msg = canonical("dsr_processing_request.json");
    let req = body!(msg, DsrProcessingRequest);
    assert_eq!(req.subject_request_type, Some(DsrType::Erasure));
    assert_eq!(req.regulation, Some(RegulationType::Gdpr));
    assert_eq!(req.api_version.as_deref(), Some("3.0"));
    let t = req.submitted_time.unwrap();
    assert_eq!(
        (t.unix_seconds(), t.subsec_nanos()),
        (1718000000, 250_000_000)
    );
    assert_eq!(t.unix_millis(), 1718000000250);
    assert_eq!(t.to_string(), "2024-06-10T06:13:20.25Z");
    let ids = &req.subject_identities;
    assert_eq!(ids.len(), 3);
    assert_eq!(
        ids[&OpenDsrIdentityType::Email].value.as_deref(),
        Some("robin.hale@example.org")
    );
    assert_eq!(
        ids[&OpenDsrIdentityType::ControllerCustomerId].encoding,
        Some(OpenDsrEncoding::Raw)
    );
}

#[test]
fn dsr_processing_response() {
    let msg = canonical("dsr_processing_response.json");
    body!(msg, DsrProcessingResponse);
    assert_eq!(msg.message_type(), MessageType::DsrProcessingResponse);
}

#[test]
fn decode_request_refuses_every_response_type() {
    for name in [
        "module_registration_response.json",
        "event_processing_response.json",
        "audience_subscription_response.json",
        "audience_membership_change_response.json",
        "dsr_processing_response.json",
    ] {
        let err = Message::decode_request(&fixture(name)).unwrap_err();
        assert_eq!(err.kind(), DecodeErrorKind::ResponseAsRequest, "{name}");
        assert_eq!(err.kind().as_str(), "response_as_request");
        assert_eq!(err.path(), "$.type");
    }
    for name in [
        "module_registration_request.json",
        "event_processing_request.json",
        "audience_subscription_request.json",
        "audience_membership_change_request.json",
        "dsr_processing_request.json",
    ] {
        let msg = Message::decode_request(&fixture(name)).unwrap();
        assert!(!msg.body.is_response(), "{name}");
        assert_eq!(msg, decode(&fixture(name)));
    }
}

#[test]
fn message_new_builds_a_fresh_envelope() {
    let a = Message::new(DsrProcessingResponse::default());
    let b = Message::new(DsrProcessingResponse::default());
    let id = a.envelope.id.unwrap();
    assert_eq!(id.get_version_num(), 4);
    assert_ne!(a.envelope.id, b.envelope.id);
    assert_eq!(a.envelope.firehose_version.as_deref(), Some("3.2.0"));
    // 2024-01-01 in ms: a clock-independent sanity bound, not a timing assertion.
    assert!(a.envelope.timestamp_ms.unwrap() > 1_704_067_200_000);
    let (back, out) = roundtrip(a.to_json().unwrap().as_bytes());
    assert_eq!(back, a);
    assert!(out.starts_with(&format!(
        r#"{{"type":"dsr_processing_response","id":"{id}","timestamp_ms":"#
    )));
}

// ---------------------------------------------------------------------------------------------
// Every event type

#[test]
fn all_sixteen_event_types() {
    let msg = canonical("events_all_types.json");
    let evs = events(&msg);
    let types: Vec<EventType> = evs.iter().map(Event::event_type).collect();
    assert_eq!(
        types,
        EventType::KNOWN,
        "one event of each type, in declaration order"
    );
    for (i, e) in evs.iter().enumerate() {
        assert_eq!(
            e.header.id,
            Some(uuid(&format!("{i:02}c1a2b3-d4e5-4f60-8172-839405a6b7c8"))),
            "event {i}"
        );
        assert!(e.type_name() == e.event_type().as_str());
    }

    assert_eq!(evs[0].header.source_id.as_deref(), Some("ev-01"));
    assert_eq!(
        variant!(&evs[1].data, EventData::SessionEnd).session_length_ms,
        600000
    );
    let custom = variant!(&evs[2].data, EventData::CustomEvent);
    assert_eq!(custom.name.as_deref(), Some("Map Opened"));
    assert_eq!(custom.custom_event_type, Some(CustomEventType::Navigation));
    assert_eq!(custom.attributes["zoom"], "14");
    // `accuracy` is an `always` double: 0.0 is written.
    assert_eq!(evs[2].header.location.as_ref().unwrap().accuracy, 0.0);
    let screen = variant!(&evs[3].data, EventData::ScreenView);
    assert_eq!(screen.screen_name.as_deref(), Some("Trail Detail"));
    let error = variant!(&evs[4].data, EventData::Error);
    assert!(!error.is_crash);
    assert!(
        error
            .stack_trace
            .as_deref()
            .unwrap()
            .contains("\n\tMapView")
    );
    // Empty strings inside lists are kept (only null elements are special).
    assert_eq!(texts(&error.breadcrumbs), ["opened map", "zoomed in", ""]);
    let privacy = variant!(&evs[5].data, EventData::PrivacySettingChange);
    assert_eq!(privacy.setting, Some(PrivacySetting::AppDataCollection));
    assert!(!privacy.is_enabled);
    let attr = variant!(&evs[6].data, EventData::UserAttributeChange);
    assert_eq!(attr.added["hiking_level"], "4");
    assert_eq!(attr.removed["beta_tester"], "true");
    let ident = variant!(&evs[7].data, EventData::UserIdentityChange);
    assert_eq!(ident.added[0].value, "robin.hale@example.org");
    assert_eq!(
        ident.removed[1].identity_type,
        UserIdentityType::MobileNumber
    );
    assert_eq!(ident.removed[1].encoding, IdentityEncoding::Sha1);
    let push = variant!(&evs[8].data, EventData::PushSubscription);
    assert_eq!(push.action, Some(PushSubscriptionAction::Subscribe));
    let state = variant!(&evs[9].data, EventData::ApplicationStateTransition);
    assert_eq!(state.application_state, Some(ApplicationState::Foreground));
    assert_eq!(
        state.launch_parameters.as_deref(),
        Some(r#"{"source":"widget"}"#)
    );
    let receipt = variant!(&evs[10].data, EventData::PushMessageReceipt);
    assert!(
        receipt
            .payload
            .as_deref()
            .unwrap()
            .starts_with(r#"{"aps":"#)
    );
    let cart = variant!(&evs[11].data, EventData::ProductAction);
    assert_eq!(cart.action, Some(ProductActionType::AddToCart));
    assert_eq!(dec(&cart.total_amount), "10.50");
    assert_eq!(dec(&cart.tax_amount), "1.365");
    assert_eq!(dec(&cart.shipping_amount), "0");
    assert_eq!(dec(&cart.products[0].quantity), "2.000");
    assert_eq!(cart.products[0].position, 3);
    let promo = variant!(&evs[12].data, EventData::PromotionAction);
    assert_eq!(promo.action, Some(PromotionActionType::Click));
    assert_eq!(promo.promotions[0].position.as_deref(), Some("hero-1"));
    assert_eq!(promo.promotions[1].name, None);
    let imp = variant!(&evs[13].data, EventData::Impression);
    assert_eq!(
        imp.impressions[0].impression_list_name.as_deref(),
        Some("Search results")
    );
    assert_eq!(dec(&imp.impressions[0].products[1].price), "149.00");
    let attribution = variant!(&evs[14].data, EventData::Attribution);
    assert_eq!(attribution.partner_name.as_deref(), Some("AdNet One"));
    assert_eq!(
        attribution.publisher_name.as_deref(),
        Some("Outdoor Weekly")
    );
    assert_eq!(attribution.campaign_name.as_deref(), Some("spring-2024"));
    let open = variant!(&evs[15].data, EventData::PushMessageOpen);
    assert_eq!(open.payload, receipt.payload);
}

#[test]
fn event_header_fields_come_right_after_type() {
    let out = common::encode(&canonical("events_all_types.json"));
    let tree = Ordered::parse(&out);
    let evs = tree.get("events").unwrap();
    let custom = evs.at(2).unwrap();
    assert_eq!(
        custom.keys(),
        [
            "type",
            "id",
            "timestamp_ms",
            "session_id",
            "location",
            "name",
            "custom_event_type",
            "attributes",
            "custom_flags"
        ]
    );
    assert_eq!(
        custom.get("location").unwrap().keys(),
        ["latitude", "longitude", "accuracy"]
    );
    let product = evs.at(11).unwrap().get("products").unwrap().at(0).unwrap();
    assert_eq!(
        product.keys(),
        [
            "id",
            "name",
            "brand",
            "category",
            "variant",
            "position",
            "price",
            "quantity",
            "coupon_code",
            "total_amount",
            "attributes"
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Every runtime environment

fn runtime(msg: &Message) -> &RuntimeEnvironment {
    body!(msg, EventProcessingRequest)
        .runtime_environment
        .as_ref()
        .unwrap()
}

fn runtime_keys(msg: &Message) -> Vec<String> {
    let tree = Ordered::parse(&common::encode(msg));
    let rt = tree.get("runtime_environment").unwrap();
    rt.keys().into_iter().map(str::to_owned).collect()
}

#[test]
fn runtime_android() {
    let msg = canonical("runtime_android.json");
    let rt = runtime(&msg);
    assert_eq!(rt.platform(), RuntimeEnvironmentType::Android);
    assert!(rt.header.is_debug);
    assert_eq!(rt.header.sdk_version.as_deref(), Some("5.48.0"));
    assert_eq!(rt.header.identities.len(), 3);
    let d = variant!(&rt.device, Device::Android);
    assert_eq!(
        (d.screen_height, d.screen_width, d.screen_dpi),
        (2400, 1080, 420)
    );
    assert_eq!((d.android_sdk_level, d.timezone_offset), (34, -5));
    assert_eq!(
        (
            d.is_tablet,
            d.supports_telephony,
            d.has_nfc,
            d.bluetooth_enabled
        ),
        (Some(false), Some(true), Some(true), Some(false))
    );
    assert_eq!(
        d.install_referrer.as_deref(),
        Some("utm_source=newsletter&utm_medium=email")
    );
    let keys = runtime_keys(&msg);
    assert_eq!(
        keys[..6],
        [
            "type",
            "is_debug",
            "client_ip_address",
            "sdk_version",
            "http_header_user_agent",
            "identities"
        ]
    );
    assert_eq!(keys.last().map(String::as_str), Some("install_referrer"));
}

#[test]
fn runtime_ios() {
    let msg = canonical("runtime_ios.json");
    let rt = runtime(&msg);
    assert_eq!(rt.platform(), RuntimeEnvironmentType::Ios);
    let d = variant!(&rt.device, Device::Ios);
    assert_eq!(d.is_sandboxed, Some(true));
    assert_eq!(
        d.att_authorization_status,
        Some(AttAuthorizationStatus::NotDetermined)
    );
    // `always` long: 0 is written.
    assert_eq!(d.att_timestamp_unixtime_ms, 0);
    assert_eq!(d.apple_search_ads_attribution.len(), 2);
    assert_eq!(
        d.apple_search_ads_attribution["Version4.0"]["iad-org-name"],
        "Trailhead"
    );
    assert_eq!(
        runtime_keys(&msg).last().map(String::as_str),
        Some("att_timestamp_unixtime_ms")
    );
}

#[test]
fn runtime_tvos() {
    let msg = canonical("runtime_tvos.json");
    let rt = runtime(&msg);
    assert_eq!(rt.platform(), RuntimeEnvironmentType::Tvos);
    let d = variant!(&rt.device, Device::Tvos);
    assert_eq!(
        d.att_authorization_status,
        Some(AttAuthorizationStatus::Denied)
    );
    assert_eq!(d.att_timestamp_unixtime_ms, 1716500000000);
    assert_eq!(d.cpu_architecture.as_deref(), Some("arm64"));
}

#[test]
fn runtime_mobileweb_uses_device_prefixes_and_string_flags() {
    let msg = canonical("runtime_mobileweb.json");
    let rt = runtime(&msg);
    assert_eq!(rt.platform(), RuntimeEnvironmentType::MobileWeb);
    let d = variant!(&rt.device, Device::MobileWeb);
    assert_eq!(d.device_manufacturer.as_deref(), Some("Framework"));
    assert_eq!(d.device_model.as_deref(), Some("Laptop 13"));
    assert_eq!(d.device_country.as_deref(), Some("DE"));
    assert_eq!(d.is_dst.as_deref(), Some("true"));
    assert_eq!(d.limit_ad_tracking.as_deref(), Some("false"));
    assert_eq!(
        d.push_token.as_deref(),
        Some("https://push.example.net/wpush/v2/gAAAAABm")
    );
    let keys = runtime_keys(&msg);
    for absent in [
        "manufacturer",
        "model",
        "country",
        "application_name",
        "timezone_name",
    ] {
        assert!(
            !keys.iter().any(|k| k == absent),
            "{absent} written for mobileweb"
        );
    }
    assert_eq!(keys[keys.len() - 2..], ["limit_ad_tracking", "is_dst"]);
}

#[test]
fn runtime_roku() {
    let msg = canonical("runtime_roku.json");
    let rt = runtime(&msg);
    assert_eq!(rt.platform(), RuntimeEnvironmentType::Roku);
    let d = variant!(&rt.device, Device::Roku);
    assert_eq!(d.timezone_offset, -6);
    assert_eq!(
        rt.header.identities[1].identity_type,
        DeviceIdentityType::RokuPublisherId
    );
    // Roku has no screen fields at all.
    assert!(!runtime_keys(&msg).iter().any(|k| k.starts_with("screen_")));
}

#[test]
fn runtime_xbox_and_firetv_share_a_shape_but_keep_their_type() {
    let xbox = canonical("runtime_xbox.json");
    let rt = runtime(&xbox);
    assert_eq!(rt.platform(), RuntimeEnvironmentType::Xbox);
    assert_eq!(
        variant!(&rt.device, Device::Xbox)
            .cpu_architecture
            .as_deref(),
        Some("x64")
    );
    assert_eq!(
        rt.header.identities[0].identity_type,
        DeviceIdentityType::MicrosoftAdvertisingId
    );

    let fire = canonical("runtime_firetv.json");
    let rt = runtime(&fire);
    assert_eq!(rt.platform(), RuntimeEnvironmentType::FireTv);
    assert_eq!(
        variant!(&rt.device, Device::FireTv).model.as_deref(),
        Some("AFTKA")
    );
    assert_eq!(
        rt.header.identities[0].identity_type,
        DeviceIdentityType::FireAdvertisingId
    );
    assert_eq!(runtime_keys(&xbox), runtime_keys(&fire));
}

#[test]
fn runtime_generic_platforms_stay_distinct() {
    let unknown = canonical("runtime_unknown.json");
    let rt = runtime(&unknown);
    assert_eq!(rt.platform(), RuntimeEnvironmentType::Unknown);
    let d = variant!(&rt.device, Device::Unknown);
    assert_eq!(
        (d.has_nfc, d.bluetooth_version.as_deref()),
        (Some(true), Some("4.2"))
    );
    assert_eq!(rt.header.client_ip_address.as_deref(), Some("2001:db8::7"));

    // Java writes smarttv and alexa back as "unknown"; this SDK keeps them.
    let smarttv = canonical("runtime_smarttv.json");
    let rt = runtime(&smarttv);
    assert_eq!(rt.platform(), RuntimeEnvironmentType::SmartTv);
    assert_eq!(variant!(&rt.device, Device::SmartTv).screen_dpi, 0);
    assert!(common::encode(&smarttv).contains(r#""runtime_environment":{"type":"smarttv","#));

    let alexa = canonical("runtime_alexa.json");
    let rt = runtime(&alexa);
    assert_eq!(rt.platform(), RuntimeEnvironmentType::Alexa);
    assert_eq!(
        variant!(&rt.device, Device::Alexa)
            .locale_country
            .as_deref(),
        Some("IE")
    );
    assert!(common::encode(&alexa).contains(r#""runtime_environment":{"type":"alexa","#));
}

#[test]
fn every_platform_has_a_fixture() {
    let mut seen = Vec::new();
    for p in RuntimeEnvironmentType::KNOWN {
        let msg = decode(&fixture(&format!("runtime_{}.json", p.as_str())));
        assert_eq!(&runtime(&msg).platform(), p);
        seen.push(p.clone());
    }
    assert_eq!(seen.len(), 10);
}

// ---------------------------------------------------------------------------------------------
// Surprises (spec §14)

#[test]
fn wishlist_spellings() {
    let msg = canonical("surprise_wishlist.json");
    let actions: Vec<_> = events(&msg)
        .iter()
        .map(|e| {
            variant!(&e.data, EventData::ProductAction)
                .action
                .clone()
                .unwrap()
        })
        .collect();
    assert_eq!(
        actions,
        [
            ProductActionType::AddToWishlist,
            ProductActionType::RemoveFromWishList,
            ProductActionType::Other("remove_from_wishlist".into()),
            ProductActionType::Other("add_to_wish_list".into()),
        ]
    );
    assert!(!actions[2].is_known());
}

#[test]
fn promotion_position_is_a_string_and_product_position_an_int() {
    let msg = lenient("surprise_positions.json");
    let evs = events(&msg);
    let products = &variant!(&evs[0].data, EventData::ProductAction).products;
    assert_eq!(
        products.iter().map(|p| p.position).collect::<Vec<_>>(),
        [0, 4, 2]
    );
    assert_eq!(dec(&products[0].price), "3.00");
    let promos = &variant!(&evs[1].data, EventData::PromotionAction).promotions;
    assert_eq!(promos[0].position.as_deref(), Some("top-banner"));
    assert_eq!(promos[1].position.as_deref(), Some("5"));
    assert_eq!(promos[2].position.as_deref(), Some(""));
}

#[test]
fn mobileweb_takes_boolean_is_dst_as_a_string_and_ignores_other_platforms_fields() {
    let msg = lenient("surprise_mobileweb_lenient.json");
    let d = variant!(&runtime(&msg).device, Device::MobileWeb);
    assert_eq!(d.is_dst.as_deref(), Some("false"));
    assert_eq!(d.limit_ad_tracking.as_deref(), Some("1"));
    assert_eq!(d.screen_height, 844);
    assert_eq!(d.is_tablet, Some(false));
}

#[test]
fn mpid_as_a_number() {
    let msg = lenient("surprise_mpid_number.json");
    assert_eq!(
        body!(msg, EventProcessingRequest).mpid.as_deref(),
        Some("-8764293081734622391")
    );
    let msg = lenient("surprise_mpid_number_profile.json");
    let profiles = body!(msg, AudienceMembershipChangeRequest)
        .user_profiles
        .as_ref()
        .unwrap();
    assert_eq!(profiles[0].mpid.as_deref(), Some("9182736450192837465"));
    assert_eq!(profiles[1].mpid.as_deref(), Some("42"));
}

#[test]
fn ccpa_purpose_defaults_only_when_absent() {
    let (msg, out) = reencode(&fixture("surprise_ccpa_purpose.json"));
    assert_eq!(out, minify(&fixture("surprise_ccpa_purpose.expected.json")));
    let notes = &body!(msg, EventProcessingRequest).system_notifications;
    let absent = variant!(&notes[0], SystemNotification::CcpaConsentState);
    assert_eq!(absent.purpose.as_deref(), Some(DEFAULT_CCPA_PURPOSE));
    let null = variant!(&notes[1], SystemNotification::CcpaConsentState);
    assert_eq!(null.purpose, None);
    assert!(!null.new_ccpa_consent_state.as_ref().unwrap().consented);
    let custom = variant!(&notes[2], SystemNotification::CcpaConsentState);
    assert_eq!(custom.purpose.as_deref(), Some("sensitive_data_opt_out"));
    // GDPR has no such default.
    let gdpr = variant!(&notes[3], SystemNotification::GdprConsentState);
    assert_eq!(gdpr.purpose, None);
    assert_eq!(
        CcpaConsentStateNotification::default().purpose.as_deref(),
        Some("data_sale_opt_out")
    );

    // The one output that is not a fixed point, exactly as in Java: a `null` purpose is not
    // written (non-empty rule), and the absent key reads back as the default. A second pass
    // is stable.
    let (again, out2) = roundtrip(out.as_bytes());
    let reread = variant!(
        &body!(again, EventProcessingRequest).system_notifications[1],
        SystemNotification::CcpaConsentState
    );
    assert_eq!(reread.purpose.as_deref(), Some(DEFAULT_CCPA_PURPOSE));
    assert_ne!(out2, out);
}

#[test]
fn events_absent_null_or_empty_mean_no_events() {
    for name in [
        "surprise_events_absent.json",
        "surprise_events_null.json",
        "surprise_events_empty.json",
    ] {
        let msg = lenient_as(name, "surprise_events_absent.json");
        assert!(events(&msg).is_empty(), "{name}");
        assert_eq!(
            body!(msg, EventProcessingRequest)
                .account
                .as_ref()
                .unwrap()
                .account_id,
            4417
        );
    }
}

#[test]
fn dsr_submitted_time_as_iso_string() {
    let msg = lenient("surprise_dsr_submitted_iso.json");
    let req = body!(msg, DsrProcessingRequest);
    let t = req.submitted_time.unwrap();
    assert_eq!(
        (t.unix_seconds(), t.subsec_nanos()),
        (1718000000, 250_000_000)
    );
    assert_eq!(req.regulation, Some(RegulationType::Ccpa));
}

#[test]
fn dsr_submitted_time_as_integer_seconds() {
    let msg = lenient("surprise_dsr_submitted_int.json");
    let req = body!(msg, DsrProcessingRequest);
    let t = req.submitted_time.unwrap();
    // Seconds, not milliseconds.
    assert_eq!((t.unix_seconds(), t.subsec_nanos()), (1718000000, 0));
    assert_eq!(t.to_string(), "2024-06-10T06:13:20Z");
    assert_eq!(req.regulation, Some(RegulationType::Unknown));
    assert!(req.subject_identities.is_empty());
}

#[test]
fn dsr_submitted_time_as_decimal_seconds_without_envelope() {
    let msg = lenient("surprise_dsr_submitted_decimal.json");
    assert_eq!(msg.envelope, Envelope::default());
    let req = body!(msg, DsrProcessingRequest);
    let t = req.submitted_time.unwrap();
    assert_eq!(
        (t.unix_seconds(), t.subsec_nanos()),
        (1718000000, 250_000_000)
    );
    assert!(
        req.subject_identities
            .contains_key(&OpenDsrIdentityType::AndroidAdvertisingId)
    );
}

#[test]
fn dsr_submitted_time_other_spellings() {
    let cases: [(&str, i64, u32); 6] = [
        (r#""2024-06-10T06:13:20Z""#, 1718000000, 0),
        (
            r#""2024-06-10T06:13:20.123456789Z""#,
            1718000000,
            123_456_789,
        ),
        (r#""1718000000.5""#, 1718000000, 500_000_000),
        ("1.71800000025E9", 1718000000, 250_000_000),
        ("-1.5", -2, 500_000_000),
        ("0", 0, 0),
    ];
    for (text, secs, nanos) in cases {
        let json = format!(r#"{{"type":"dsr_processing_request","submitted_time":{text}}}"#);
        let (msg, _) = roundtrip(json.as_bytes());
        let t = body!(msg, DsrProcessingRequest).submitted_time.unwrap();
        assert_eq!(
            (t.unix_seconds(), t.subsec_nanos()),
            (secs, nanos),
            "{text}"
        );
    }
    for bad in [r#""2024-06-10 06:13:20""#, r#""yesterday""#, "true", "{}"] {
        let json = format!(r#"{{"type":"dsr_processing_request","submitted_time":{bad}}}"#);
        let err = Message::decode(json.as_bytes()).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                DecodeErrorKind::InvalidValue | DecodeErrorKind::WrongType
            ),
            "{bad}: {err}"
        );
        assert_eq!(err.path(), "$.submitted_time", "{bad}");
    }
}

#[test]
fn registration_defaults() {
    let msg = lenient("surprise_registration_defaults.json");
    let reg = body!(msg, ModuleRegistrationResponse);
    assert_eq!(reg.permissions, Some(Permissions::default()));
    let ev = reg.event_processing_registration.as_ref().unwrap();
    // Absent max_data_age_hours is 24, and 24 is written.
    assert_eq!(ev.max_data_age_hours, 24);
    assert_eq!(
        EventProcessingRegistration::default().max_data_age_hours,
        24
    );
    let s = &ev.account_settings;
    assert!(s[0].header.visible, "absent visible is true");
    assert!(s[2].header.visible, "null visible is true");
    assert!(!s[3].header.visible);
    let flag = variant!(&s[1].kind, SettingKind::Boolean);
    assert_eq!((flag.default_value, flag.checked), (true, false));
    let ticked = variant!(&s[2].kind, SettingKind::Boolean);
    assert_eq!((ticked.default_value, ticked.checked), (false, true));
    let ratio = variant!(&s[4].kind, SettingKind::Float);
    assert_eq!(ratio.default_value, Some(0.5));
    let bulk = reg
        .audience_processing_registration
        .as_ref()
        .unwrap()
        .bulk_configuration
        .as_ref();
    assert_eq!(bulk, Some(&BulkConfiguration::default()));
}

#[test]
fn max_data_age_hours_null_reads_as_zero_like_a_java_primitive() {
    let json = br#"{"type":"module_registration_response","event_processing_registration":{"max_data_age_hours":null}}"#;
    let (msg, out) = roundtrip(json);
    let ev = body!(msg, ModuleRegistrationResponse)
        .event_processing_registration
        .as_ref()
        .unwrap();
    assert_eq!(ev.max_data_age_hours, 0);
    assert!(out.contains(r#""max_data_age_hours":0"#));
}

#[test]
fn membership_without_profiles_versus_empty_profiles() {
    let none = canonical("surprise_membership_no_profiles.json");
    assert_eq!(
        body!(none, AudienceMembershipChangeRequest).user_profiles,
        None
    );
    // `[]` is kept on input but, like Java's NON_EMPTY, not written.
    let empty = lenient_as(
        "surprise_membership_empty_profiles.json",
        "surprise_membership_no_profiles.json",
    );
    assert_eq!(
        body!(empty, AudienceMembershipChangeRequest).user_profiles,
        Some(List::new())
    );
    assert_ne!(none, empty);
}

#[test]
fn unknown_types_and_enum_values_are_kept_verbatim() {
    let msg = canonical("surprise_unknown_types.json");
    assert_eq!(msg.envelope.firehose_version.as_deref(), Some("3.3.0"));
    let req = body!(msg, EventProcessingRequest);
    assert_eq!(
        req.partner_identities[0].encoding,
        IdentityEncoding::Other("sha512".into())
    );
    assert_eq!(
        req.user_identities[0].identity_type,
        UserIdentityType::Other("other11".into())
    );
    let rt = req.runtime_environment.as_ref().unwrap();
    assert_eq!(
        rt.header.identities[0].identity_type,
        DeviceIdentityType::Other("huawei_advertising_id".into())
    );

    let evs = &req.events;
    let raw = variant!(&evs[0].data, EventData::Unrecognized);
    assert_eq!(raw.type_name(), "page_scroll");
    assert_eq!(evs[0].type_name(), "page_scroll");
    assert_eq!(evs[0].event_type(), EventType::Other("page_scroll".into()));
    // The header is still read out of the kept object.
    assert_eq!(evs[0].header.timestamp_ms, 1718399000000);
    assert_eq!(
        evs[0].header.id,
        Some(uuid("40e1b2c3-d4e5-4f60-9172-a39405b6c7d8"))
    );
    // Number spellings and escapes survive untouched.
    assert!(raw.raw_json().contains(r#""amount":2.50"#));
    assert!(raw.raw_json().contains(r#""s":"caf\u00e9""#));
    assert_eq!(raw.to_value()["nested"]["s"], "café");
    assert_eq!(
        variant!(&evs[1].data, EventData::CustomEvent).custom_event_type,
        Some(CustomEventType::Other("celebration".into()))
    );
    assert_eq!(
        variant!(&evs[2].data, EventData::ApplicationStateTransition).application_state,
        Some(ApplicationState::Other("hibernate".into()))
    );
    assert_eq!(
        variant!(&evs[3].data, EventData::ProductAction).action,
        Some(ProductActionType::Other("rent".into()))
    );
    assert_eq!(
        req.source_channel,
        Some(ChannelSourceType::Other("carrier_pigeon".into()))
    );
    let note = variant!(
        &req.system_notifications[0],
        SystemNotification::Unrecognized
    );
    assert_eq!(note.type_name(), "lgpd_consent_state");
    assert_eq!(note.to_value()["new_state"]["consented"], false);
}

#[test]
fn unknown_runtime_environment_is_kept_with_its_header() {
    let msg = canonical("surprise_unknown_runtime.json");
    let rt = runtime(&msg);
    assert_eq!(
        rt.platform(),
        RuntimeEnvironmentType::Other("vision_os".into())
    );
    let raw = variant!(&rt.device, Device::Unrecognized);
    assert_eq!(raw.to_value()["spatial"]["fov"][0], 110.5);
    assert!(rt.header.is_debug);
    assert_eq!(rt.header.sdk_version.as_deref(), Some("0.1.0"));
    assert_eq!(
        rt.header.identities[0].identity_type,
        DeviceIdentityType::IosVendorId
    );
}

#[test]
fn unknown_registration_kinds_are_kept() {
    let msg = canonical("surprise_unknown_registration.json");
    let reg = body!(msg, ModuleRegistrationResponse);
    let ev = reg.event_processing_registration.as_ref().unwrap();
    let color = &ev.account_settings[0];
    assert_eq!(color.id(), "brand");
    assert_eq!(color.header.name.as_deref(), Some("Brand color"));
    assert!(
        color.header.visible,
        "visible defaults to true for a kept setting too"
    );
    assert!(!color.is_required() && !color.is_confidential());
    let raw = variant!(&color.kind, SettingKind::Unrecognized);
    assert_eq!(raw.type_name(), "color");
    assert_eq!(
        ev.supported_event_types[1],
        EventType::Other("page_scroll".into())
    );
    assert_eq!(
        ev.supported_runtime_environments[1],
        RuntimeEnvironmentType::Other("vision_os".into())
    );
    assert_eq!(
        ev.supported_system_notification_types[0],
        SystemNotificationType::Other("lgpd_consent_state".into())
    );
    assert_eq!(ev.max_data_age_hours, -1);
    let auth = variant!(
        ev.authentication.as_ref().unwrap(),
        Authentication::Unrecognized
    );
    assert_eq!(auth.to_value()["rotate_days"], 90);
    let au_auth = reg
        .audience_processing_registration
        .as_ref()
        .unwrap()
        .authentication
        .as_ref()
        .unwrap();
    let oauth = variant!(au_auth, Authentication::OAuth2);
    assert_eq!(
        oauth.grant_type,
        Some(GrantType::Other("client_credentials".into()))
    );
    assert_eq!(
        oauth.access_token_type,
        Some(AccessTokenType::Other("query_param".into()))
    );
    let dsr = reg.dsr_processing_registration.as_ref().unwrap();
    assert_eq!(
        dsr.supported_dsr_types[1],
        DsrType::Other("portability".into())
    );
    // Kept values are flagged by validation rather than dropped.
    let problems = reg.validate().unwrap_err().0;
    assert!(
        problems.contains(&RegistrationViolation::UnsupportedDsrType {
            value: "portability".into()
        })
    );
    assert!(problems.contains(&RegistrationViolation::UnknownValue {
        field: "supported_event_types",
        value: "page_scroll".into()
    }));
}

#[test]
fn type_not_first_takes_the_slow_path_losslessly() {
    let msg = lenient("surprise_type_not_first.json");
    assert_eq!(msg.message_type(), MessageType::EventProcessingRequest);
    assert_eq!(msg.envelope.timestamp_ms, Some(1718400000000));
    let rt = runtime(&msg);
    assert_eq!(rt.platform(), RuntimeEnvironmentType::Android);
    assert_eq!(rt.header.identities[0].value, "a7c3e91f20b4d658");
    let evs = events(&msg);
    assert_eq!(
        variant!(&evs[0].data, EventData::CustomEvent)
            .name
            .as_deref(),
        Some("Late Type")
    );
    let wish = variant!(&evs[1].data, EventData::ProductAction);
    // Decimals keep their scale through the buffered re-read.
    assert_eq!(dec(&wish.total_amount), "10.50");
    assert_eq!(dec(&wish.products[0].price), "2.500");
    assert_eq!(
        variant!(&evs[2].data, EventData::Unrecognized).type_name(),
        "hologram_view"
    );
    assert_eq!(evs[2].header.timestamp_ms, 7);
}

#[test]
fn lenient_scalars() {
    let msg = lenient("surprise_lenient_scalars.json");
    assert_eq!(
        msg.envelope.id,
        Some(uuid("3c0e5a7b-9d1f-4b2a-8c6e-0f1a2b3c4d5e"))
    );
    assert_eq!(msg.envelope.timestamp_ms, Some(1718300000000));
    let req = body!(msg, EventProcessingRequest);
    assert_eq!(req.source_id.as_deref(), Some("99001"));
    let account = req.account.as_ref().unwrap();
    assert_eq!(account.account_id, 4417);
    // `null` entries are dropped on input; `""` entries are kept but not written.
    assert_eq!(account.account_settings.get("missing"), None);
    assert_eq!(
        account
            .account_settings
            .get("blank")
            .map(CompactString::as_str),
        Some("")
    );
    assert_eq!(req.user_attributes["score"], "9.5");
    let evs = &req.events;
    assert_eq!(evs[0].header.id, None);
    assert_eq!(
        evs[0].header.timestamp_ms, 1718299000000,
        "fractions truncate"
    );
    assert_eq!(evs[0].header.session_id, Some(77));
    assert_eq!(
        evs[1].header.timestamp_ms, 0,
        "null primitive is the default"
    );
    let err = variant!(&evs[1].data, EventData::Error);
    assert!(err.is_crash);
    assert_eq!(err.message.as_deref(), Some("404"));
    // A null inside a list of strings is kept, as Java keeps it.
    assert_eq!(texts(&err.breadcrumbs), ["a", "<null>", "3"]);
    assert!(variant!(&evs[2].data, EventData::PrivacySettingChange).is_enabled);
    let refund = variant!(&evs[3].data, EventData::ProductAction);
    assert_eq!(dec(&refund.total_amount), "12.30");
    assert_eq!(
        (refund.tax_amount.as_ref(), refund.shipping_amount.as_ref()),
        (None, None)
    );
    assert_eq!(dec(&refund.products[0].price), "1000");
    assert_eq!(dec(&refund.products[0].quantity), "100");
    assert_eq!(dec(&refund.products[1].price), "-0.50");
    let loc = evs[4].header.location.as_ref().unwrap();
    assert_eq!(
        (loc.latitude, loc.longitude, loc.accuracy),
        (45.5, -73.0, 0.0)
    );
    assert_eq!(req.mpid.as_deref(), Some("12345"));
}

#[test]
fn empty_values_are_dropped_on_output() {
    let msg = lenient("surprise_empty_values.json");
    assert_eq!(msg.envelope.firehose_version.as_deref(), Some(""));
    let req = body!(msg, EventProcessingRequest);
    assert_eq!(req.consent_state, Some(ConsentState::default()));
    assert_eq!(req.platform_fields, None);
    assert!(req.user_identities.is_empty() && req.partner_identities.is_empty());
}

#[test]
fn every_fixture_is_covered_and_reaches_a_fixed_point() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.ends_with(".json") {
            continue;
        }
        let (msg, out) = if name.starts_with("surprise_ccpa_purpose") {
            // Not a fixed point after one pass (see ccpa_purpose_defaults_only_when_absent);
            // it is after two.
            let (msg, out) = reencode(&fixture(&name));
            roundtrip(out.as_bytes());
            (msg, out)
        } else {
            roundtrip(&fixture(&name))
        };
        // The output carries nothing the model value does not.
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&out).unwrap(),
            serde_json::to_value(&msg).unwrap()
        );
        if name.ends_with(".expected.json") && !name.starts_with("surprise_ccpa_purpose") {
            assert_eq!(out, minify(&fixture(&name)), "{name} is not canonical");
        }
        count += 1;
    }
    assert!(count >= 50, "only {count} fixtures");
    // The JSON value comparison used by the lenient fixtures ignores number spelling; make sure
    // the fixtures themselves are plain JSON too.
    assert!(
        fixture_value("events_all_types.json")["events"]
            .as_array()
            .unwrap()
            .len()
            == 16
    );
}
