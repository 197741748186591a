//! Property tests: model values of every kind, wrapped in messages, survive encode → decode →
//! encode with identical JSON text and an equal model value.
//!
//! The generators produce values in the model's *normalized* form, the form decoding yields.
//! Normalizations the model applies (each has its own property below):
//!
//! * `Some("")` string fields are not written, so they read back as `None`; map entries with an
//!   empty value are not written either (Java's NON_EMPTY inclusion).
//! * `user_profiles: Some(vec![])` is not written and reads back as `None`.
//! * A CCPA notification with `purpose: None` is written without `purpose`, which reads back as
//!   `Some("data_sale_opt_out")`: the one value that needs two passes to reach a fixed point
//!   (as in Java).
//! * Decimals compare by value (`10.5 == 10.50`), but their scale is part of the text, which the
//!   text-equality property checks.
//! * Non-finite floats cannot be written as JSON numbers (serde_json writes `null`).
//! * An identity with an empty `value` is written without it and then fails to decode; the
//!   generators never build one (Java's constructor refuses them).

mod common;

use mparticle_firehose::model::{CompactString, StringMap};
use std::fmt::Debug;

use mparticle_firehose::model::*;
use mparticle_firehose::{DecodeErrorKind, Message};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

const CASES: u32 = 256;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        // Deterministic: every run explores the same cases.
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x0f12_e405_e5ed),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Scalars

/// A non-empty string, sometimes with characters JSON must escape and non-ASCII text.
fn text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 _.:/@-]{1,12}",
        1 => "[\"\\\\\n\t\u{0}\u{1f}é€😀<>&']{1,4}",
        1 => "\\PC{1,6}",
    ]
    .boxed()
}

/// A string that may be empty (list elements keep empty strings).
fn any_text() -> BoxedStrategy<String> {
    prop_oneof![1 => Just(String::new()), 5 => text()].boxed()
}

fn opt_text() -> BoxedStrategy<Option<CompactString>> {
    option::of(ctext()).boxed()
}

fn key() -> BoxedStrategy<String> {
    prop_oneof![3 => "[a-zA-Z$][a-zA-Z0-9_.-]{0,10}", 1 => text()].boxed()
}

/// A string map as the model normalizes it: no empty values.
fn string_map() -> BoxedStrategy<StringMap> {
    btree_map(ckey(), ctext(), 0..4)
        .prop_map(StringMap::from_iter)
        .boxed()
}

/// [`key`] as a model string.
fn ckey() -> BoxedStrategy<CompactString> {
    key().prop_map(CompactString::from).boxed()
}

/// [`text`] as a model string.
fn ctext() -> BoxedStrategy<CompactString> {
    text().prop_map(CompactString::from).boxed()
}

/// A value for an enum's `Other` variant: never one of the known wire values.
fn other_wire() -> BoxedStrategy<String> {
    "x_[a-z_]{1,10}".boxed()
}

/// A wire enum value: usually a known one, sometimes an unknown one kept as `Other`.
fn wire<T>(known: &'static [T]) -> BoxedStrategy<T>
where
    T: Clone + Debug + for<'a> From<&'a str> + 'static,
{
    prop_oneof![
        4 => select(known),
        1 => other_wire().prop_map(|s| T::from(s.as_str())),
    ]
    .boxed()
}

fn opt_wire<T>(known: &'static [T]) -> BoxedStrategy<Option<T>>
where
    T: Clone + Debug + for<'a> From<&'a str> + 'static,
{
    option::of(wire(known)).boxed()
}

/// Decimals of every scale the type supports, with small and 96-bit mantissas.
fn decimal() -> BoxedStrategy<Decimal> {
    prop_oneof![
        (any::<i32>(), 0u32..=4).prop_map(|(m, s)| Decimal::new(m.into(), s)),
        (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s)),
        (-(1i128 << 96) + 1..(1i128 << 96), 0u32..=28)
            .prop_map(|(m, s)| Decimal::from_i128_with_scale(m, s)),
    ]
    .boxed()
}

fn opt_decimal() -> BoxedStrategy<Option<Decimal>> {
    option::of(decimal()).boxed()
}

/// Doubles whose shortest decimal form is short (coordinates, settings).
fn nice_f64() -> BoxedStrategy<f64> {
    (any::<i32>(), 0i32..=6)
        .prop_map(|(m, k)| f64::from(m) / 10f64.powi(k))
        .boxed()
}

fn uuid() -> BoxedStrategy<Uuid> {
    any::<u128>().prop_map(Uuid::from_u128).boxed()
}

fn opt_bool() -> BoxedStrategy<Option<bool>> {
    option::of(any::<bool>()).boxed()
}

// ---------------------------------------------------------------------------------------------
// Kept unknown objects

/// A JSON value for the body of an unknown object (keys never collide with model fields).
fn raw_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        nice_f64().prop_map(Value::from),
        any_text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(Value::Array),
            btree_map("k_[a-z]{1,4}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// The text of an unknown object: `type` first, then the given known fields (already JSON
/// text), then unknown fields, and sometimes a decimal whose spelling must survive.
fn unknown_object(known_fields: Vec<(String, String)>) -> BoxedStrategy<String> {
    (
        other_wire(),
        btree_map("k_[a-z]{1,6}", raw_value(), 0..3),
        option::of((any::<i32>(), 0u32..4)),
    )
        .prop_map(move |(type_name, fields, amount)| {
            let mut text = format!("{{\"type\":{}", serde_json::to_string(&type_name).unwrap());
            for (k, v) in &known_fields {
                text.push_str(&format!(",\"{k}\":{v}"));
            }
            for (k, v) in &fields {
                text.push_str(&format!(",\"{k}\":{v}"));
            }
            if let Some((m, s)) = amount {
                text.push_str(&format!(",\"z_amount\":{}", Decimal::new(m.into(), s)));
            }
            text.push('}');
            text
        })
        .boxed()
}

/// Known header fields to put in an unknown object, as JSON text.
fn header_fields(
    candidates: Vec<(&'static str, BoxedStrategy<String>)>,
) -> BoxedStrategy<Vec<(String, String)>> {
    let parts: Vec<BoxedStrategy<Option<(String, String)>>> = candidates
        .into_iter()
        .map(|(k, s)| option::of(s.prop_map(move |v| (k.to_owned(), v))).boxed())
        .collect();
    parts
        .prop_map(|v| v.into_iter().flatten().collect())
        .boxed()
}

fn json_text(s: BoxedStrategy<String>) -> BoxedStrategy<String> {
    s.prop_map(|v| serde_json::to_string(&v).unwrap()).boxed()
}

/// Builds a family value from an unknown object's text, through its public `Deserialize`.
fn kept<T: serde::de::DeserializeOwned>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Identities, account, consent

fn user_identity() -> BoxedStrategy<UserIdentity> {
    (
        wire(UserIdentityType::KNOWN),
        wire(IdentityEncoding::KNOWN),
        text(),
    )
        .prop_map(|(t, e, v)| Identity::new(t, e, v))
        .boxed()
}

fn device_identity() -> BoxedStrategy<DeviceIdentity> {
    (
        wire(DeviceIdentityType::KNOWN),
        wire(IdentityEncoding::KNOWN),
        text(),
    )
        .prop_map(|(t, e, v)| Identity::new(t, e, v))
        .boxed()
}

fn partner_identity() -> BoxedStrategy<PartnerIdentity> {
    (text(), wire(IdentityEncoding::KNOWN), text())
        .prop_map(|(t, e, v)| Identity::new(t, e, v))
        .boxed()
}

fn account() -> BoxedStrategy<Account> {
    (any::<i32>(), string_map())
        .prop_map(|(account_id, account_settings)| Account {
            account_id,
            account_settings,
        })
        .boxed()
}

fn consent() -> BoxedStrategy<Consent> {
    (
        any::<bool>(),
        opt_text(),
        option::of(any::<i64>()),
        opt_text(),
        opt_text(),
    )
        .prop_map(
            |(consented, document, timestamp_unixtime_ms, location, hardware_id)| Consent {
                consented,
                document,
                timestamp_unixtime_ms,
                location,
                hardware_id,
            },
        )
        .boxed()
}

fn consent_state() -> BoxedStrategy<ConsentState> {
    (
        btree_map(key(), consent(), 0..3),
        btree_map(key(), consent(), 0..2),
    )
        .prop_map(|(gdpr_consent_state, ccpa_consent_state)| ConsentState {
            gdpr_consent_state,
            ccpa_consent_state,
        })
        .boxed()
}

fn system_notification() -> BoxedStrategy<SystemNotification> {
    Union::new(vec![
        (opt_text(), option::of(consent()), option::of(consent()))
            .prop_map(|(purpose, old, new)| {
                SystemNotification::from(GdprConsentStateNotification {
                    purpose,
                    old_gdpr_consent_state: old,
                    new_gdpr_consent_state: new,
                })
            })
            .boxed(),
        // `purpose: None` normalizes to the default; see the CCPA property.
        (text(), option::of(consent()), option::of(consent()))
            .prop_map(|(purpose, old, new)| {
                SystemNotification::from(CcpaConsentStateNotification {
                    purpose: Some(purpose.into()),
                    old_ccpa_consent_state: old,
                    new_ccpa_consent_state: new,
                })
            })
            .boxed(),
        unknown_object(vec![])
            .prop_map(|t| kept::<SystemNotification>(&t))
            .boxed(),
    ])
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// Events

fn location() -> BoxedStrategy<Location> {
    (nice_f64(), nice_f64(), nice_f64())
        .prop_map(|(latitude, longitude, accuracy)| Location {
            latitude,
            longitude,
            accuracy,
        })
        .boxed()
}

fn event_header() -> BoxedStrategy<EventHeader> {
    (
        option::of(uuid()),
        any::<i64>(),
        opt_text(),
        option::of(any::<i64>()),
        option::of(location()),
    )
        .prop_map(
            |(id, timestamp_ms, source_id, session_id, location)| EventHeader {
                id,
                timestamp_ms,
                source_id,
                session_id,
                location,
            },
        )
        .boxed()
}

fn product() -> BoxedStrategy<Product> {
    (
        vec(opt_text(), 6),
        any::<i32>(),
        vec(opt_decimal(), 3),
        string_map(),
    )
        .prop_map(|(s, position, d, attributes)| {
            let mut s = s.into_iter();
            let mut d = d.into_iter();
            Product {
                id: s.next().unwrap(),
                name: s.next().unwrap(),
                brand: s.next().unwrap(),
                category: s.next().unwrap(),
                variant: s.next().unwrap(),
                position,
                price: d.next().unwrap().map(Into::into),
                quantity: d.next().unwrap().map(Into::into),
                coupon_code: s.next().unwrap(),
                total_amount: d.next().unwrap().map(Into::into),
                attributes,
            }
        })
        .boxed()
}

fn promotion() -> BoxedStrategy<Promotion> {
    vec(opt_text(), 4)
        .prop_map(|s| {
            let mut s = s.into_iter();
            Promotion {
                id: s.next().unwrap(),
                name: s.next().unwrap(),
                creative: s.next().unwrap(),
                position: s.next().unwrap(),
            }
        })
        .boxed()
}

fn impression() -> BoxedStrategy<Impression> {
    (opt_text(), vec(product(), 0..3))
        .prop_map(|(impression_list_name, products)| Impression {
            impression_list_name,
            products: products.into(),
        })
        .boxed()
}

/// The type-specific part of each of the sixteen event types.
fn event_data() -> BoxedStrategy<EventData> {
    Union::new(vec![
        Just(EventData::from(SessionStartEvent {})).boxed(),
        any::<i64>()
            .prop_map(|session_length_ms| SessionEndEvent { session_length_ms }.into())
            .boxed(),
        (
            opt_text(),
            opt_wire(CustomEventType::KNOWN),
            string_map(),
            string_map(),
        )
            .prop_map(|(name, custom_event_type, attributes, custom_flags)| {
                CustomEvent {
                    name,
                    custom_event_type,
                    attributes,
                    custom_flags,
                }
                .into()
            })
            .boxed(),
        (opt_text(), string_map(), string_map())
            .prop_map(|(screen_name, attributes, custom_flags)| {
                ScreenViewEvent {
                    screen_name,
                    attributes,
                    custom_flags,
                }
                .into()
            })
            .boxed(),
        (
            opt_text(),
            any::<bool>(),
            opt_text(),
            vec(option::of(any_text().prop_map(CompactString::from)), 0..3),
            string_map(),
        )
            .prop_map(
                |(message, is_crash, stack_trace, breadcrumbs, attributes)| {
                    ErrorEvent {
                        message,
                        is_crash,
                        stack_trace,
                        breadcrumbs: breadcrumbs.into(),
                        attributes,
                    }
                    .into()
                },
            )
            .boxed(),
        (opt_wire(PrivacySetting::KNOWN), any::<bool>())
            .prop_map(|(setting, is_enabled)| {
                PrivacySettingChangeEvent {
                    setting,
                    is_enabled,
                }
                .into()
            })
            .boxed(),
        (string_map(), string_map())
            .prop_map(|(added, removed)| UserAttributeChangeEvent { added, removed }.into())
            .boxed(),
        (vec(user_identity(), 0..3), vec(user_identity(), 0..3))
            .prop_map(|(added, removed)| {
                UserIdentityChangeEvent {
                    added: added.into(),
                    removed: removed.into(),
                }
                .into()
            })
            .boxed(),
        (opt_wire(PushSubscriptionAction::KNOWN), opt_text())
            .prop_map(|(action, token)| PushSubscriptionEvent { action, token }.into())
            .boxed(),
        (opt_wire(ApplicationState::KNOWN), vec(opt_text(), 4))
            .prop_map(|(application_state, s)| {
                let mut s = s.into_iter();
                ApplicationStateTransitionEvent {
                    application_state,
                    launch_referral: s.next().unwrap(),
                    referral_application: s.next().unwrap(),
                    launch_parameters: s.next().unwrap(),
                    source_package: s.next().unwrap(),
                }
                .into()
            })
            .boxed(),
        opt_text()
            .prop_map(|payload| PushMessageReceiptEvent { payload }.into())
            .boxed(),
        (
            opt_wire(ProductActionType::KNOWN),
            vec(opt_text(), 4),
            vec(opt_decimal(), 3),
            vec(product(), 0..3),
            string_map(),
            string_map(),
        )
            .prop_map(|(action, s, d, products, attributes, custom_flags)| {
                let mut s = s.into_iter();
                let mut d = d.into_iter();
                ProductActionEvent {
                    action,
                    transaction_id: s.next().unwrap(),
                    affiliation: s.next().unwrap(),
                    total_amount: d.next().unwrap().map(Into::into),
                    tax_amount: d.next().unwrap().map(Into::into),
                    shipping_amount: d.next().unwrap().map(Into::into),
                    currency_code: s.next().unwrap(),
                    coupon_code: s.next().unwrap(),
                    products: products.into(),
                    attributes,
                    custom_flags,
                }
                .into()
            })
            .boxed(),
        (
            opt_wire(PromotionActionType::KNOWN),
            string_map(),
            vec(promotion(), 0..3),
            string_map(),
        )
            .prop_map(|(action, attributes, promotions, custom_flags)| {
                PromotionActionEvent {
                    action,
                    attributes,
                    promotions: promotions.into(),
                    custom_flags,
                }
                .into()
            })
            .boxed(),
        (string_map(), vec(impression(), 0..3), string_map())
            .prop_map(|(attributes, impressions, custom_flags)| {
                ImpressionEvent {
                    attributes,
                    impressions: impressions.into(),
                    custom_flags,
                }
                .into()
            })
            .boxed(),
        (vec(opt_text(), 4), string_map())
            .prop_map(|(s, attributes)| {
                let mut s = s.into_iter();
                AttributionEvent {
                    name: s.next().unwrap(),
                    partner_name: s.next().unwrap(),
                    publisher_name: s.next().unwrap(),
                    campaign_name: s.next().unwrap(),
                    attributes,
                }
                .into()
            })
            .boxed(),
        opt_text()
            .prop_map(|payload| PushMessageOpenEvent { payload }.into())
            .boxed(),
    ])
    .boxed()
}

fn unknown_event() -> BoxedStrategy<Event> {
    header_fields(vec![
        ("id", json_text(uuid().prop_map(|u| u.to_string()).boxed())),
        (
            "timestamp_ms",
            any::<i64>().prop_map(|t| t.to_string()).boxed(),
        ),
        (
            "session_id",
            any::<i64>().prop_map(|t| t.to_string()).boxed(),
        ),
        ("source_id", json_text(text())),
    ])
    .prop_flat_map(unknown_object)
    .prop_map(|t| kept::<Event>(&t))
    .boxed()
}

fn event() -> BoxedStrategy<Event> {
    prop_oneof![
        12 => (event_header(), event_data()).prop_map(|(header, data)| Event { header, data }),
        1 => unknown_event(),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// Runtime environments

fn strings(n: usize) -> BoxedStrategy<Vec<Option<CompactString>>> {
    vec(opt_text(), n).boxed()
}

fn ints(n: usize) -> BoxedStrategy<Vec<i32>> {
    vec(any::<i32>(), n).boxed()
}

fn flags(n: usize) -> BoxedStrategy<Vec<Option<bool>>> {
    vec(opt_bool(), n).boxed()
}

fn android() -> BoxedStrategy<Device> {
    (strings(20), ints(5), flags(4))
        .prop_map(|(s, i, b)| {
            let (mut s, mut i, mut b) = (s.into_iter(), i.into_iter(), b.into_iter());
            Device::Android(AndroidDevice {
                build_id: s.next().unwrap(),
                brand: s.next().unwrap(),
                product: s.next().unwrap(),
                name: s.next().unwrap(),
                manufacturer: s.next().unwrap(),
                os_version: s.next().unwrap(),
                model: s.next().unwrap(),
                screen_height: i.next().unwrap(),
                screen_width: i.next().unwrap(),
                screen_dpi: i.next().unwrap(),
                country: s.next().unwrap(),
                locale_language: s.next().unwrap(),
                locale_country: s.next().unwrap(),
                network_country: s.next().unwrap(),
                network_carrier: s.next().unwrap(),
                network_code: s.next().unwrap(),
                network_mobile_country_code: s.next().unwrap(),
                timezone_offset: i.next().unwrap(),
                timezone_name: s.next().unwrap(),
                is_tablet: b.next().unwrap(),
                supports_telephony: b.next().unwrap(),
                has_nfc: b.next().unwrap(),
                bluetooth_enabled: b.next().unwrap(),
                bluetooth_version: s.next().unwrap(),
                android_sdk_level: i.next().unwrap(),
                application_name: s.next().unwrap(),
                application_version: s.next().unwrap(),
                application_package: s.next().unwrap(),
                install_referrer: s.next().unwrap(),
            })
        })
        .boxed()
}

fn ios() -> BoxedStrategy<Device> {
    (
        strings(20),
        ints(3),
        flags(2),
        btree_map(
            ckey(),
            btree_map(ckey(), ctext(), 1..3).prop_map(StringMap::from_iter),
            0..3,
        ),
        opt_wire(AttAuthorizationStatus::KNOWN),
        any::<i64>(),
    )
        .prop_map(|(s, i, b, ads, att, att_ms)| {
            let (mut s, mut i, mut b) = (s.into_iter(), i.into_iter(), b.into_iter());
            Device::Ios(IosDevice {
                build_id: s.next().unwrap(),
                brand: s.next().unwrap(),
                product: s.next().unwrap(),
                name: s.next().unwrap(),
                manufacturer: s.next().unwrap(),
                os_version: s.next().unwrap(),
                model: s.next().unwrap(),
                screen_height: i.next().unwrap(),
                screen_width: i.next().unwrap(),
                country: s.next().unwrap(),
                locale_language: s.next().unwrap(),
                locale_country: s.next().unwrap(),
                network_country: s.next().unwrap(),
                network_carrier: s.next().unwrap(),
                network_code: s.next().unwrap(),
                network_mobile_country_code: s.next().unwrap(),
                timezone_offset: i.next().unwrap(),
                timezone_name: s.next().unwrap(),
                cpu_architecture: s.next().unwrap(),
                is_tablet: b.next().unwrap(),
                radio_access_technology: s.next().unwrap(),
                application_name: s.next().unwrap(),
                application_version: s.next().unwrap(),
                application_package: s.next().unwrap(),
                is_sandboxed: b.next().unwrap(),
                apple_search_ads_attribution: ads,
                att_authorization_status: att,
                att_timestamp_unixtime_ms: att_ms,
            })
        })
        .boxed()
}

fn tvos() -> BoxedStrategy<Device> {
    (
        strings(15),
        ints(3),
        opt_wire(AttAuthorizationStatus::KNOWN),
        any::<i64>(),
    )
        .prop_map(|(s, i, att, att_ms)| {
            let (mut s, mut i) = (s.into_iter(), i.into_iter());
            Device::Tvos(TvosDevice {
                build_id: s.next().unwrap(),
                brand: s.next().unwrap(),
                product: s.next().unwrap(),
                name: s.next().unwrap(),
                manufacturer: s.next().unwrap(),
                os_version: s.next().unwrap(),
                model: s.next().unwrap(),
                screen_height: i.next().unwrap(),
                screen_width: i.next().unwrap(),
                country: s.next().unwrap(),
                locale_language: s.next().unwrap(),
                locale_country: s.next().unwrap(),
                timezone_offset: i.next().unwrap(),
                timezone_name: s.next().unwrap(),
                cpu_architecture: s.next().unwrap(),
                application_name: s.next().unwrap(),
                application_version: s.next().unwrap(),
                application_package: s.next().unwrap(),
                att_authorization_status: att,
                att_timestamp_unixtime_ms: att_ms,
            })
        })
        .boxed()
}

fn web() -> BoxedStrategy<Device> {
    (strings(18), ints(4), opt_bool())
        .prop_map(|(s, i, is_tablet)| {
            let (mut s, mut i) = (s.into_iter(), i.into_iter());
            Device::MobileWeb(WebDevice {
                build_id: s.next().unwrap(),
                brand: s.next().unwrap(),
                product: s.next().unwrap(),
                name: s.next().unwrap(),
                device_manufacturer: s.next().unwrap(),
                os_version: s.next().unwrap(),
                device_model: s.next().unwrap(),
                screen_height: i.next().unwrap(),
                screen_width: i.next().unwrap(),
                screen_dpi: i.next().unwrap(),
                device_country: s.next().unwrap(),
                locale_language: s.next().unwrap(),
                locale_country: s.next().unwrap(),
                network_country: s.next().unwrap(),
                network_carrier: s.next().unwrap(),
                network_code: s.next().unwrap(),
                network_mobile_country_code: s.next().unwrap(),
                timezone_offset: i.next().unwrap(),
                push_token: s.next().unwrap(),
                is_tablet,
                radio_access_technology: s.next().unwrap(),
                limit_ad_tracking: s.next().unwrap(),
                is_dst: s.next().unwrap(),
            })
        })
        .boxed()
}

fn roku() -> BoxedStrategy<Device> {
    (strings(15), any::<i32>())
        .prop_map(|(s, timezone_offset)| {
            let mut s = s.into_iter();
            Device::Roku(RokuDevice {
                build_id: s.next().unwrap(),
                brand: s.next().unwrap(),
                product: s.next().unwrap(),
                name: s.next().unwrap(),
                manufacturer: s.next().unwrap(),
                os_version: s.next().unwrap(),
                model: s.next().unwrap(),
                country: s.next().unwrap(),
                locale_language: s.next().unwrap(),
                locale_country: s.next().unwrap(),
                timezone_offset,
                timezone_name: s.next().unwrap(),
                cpu_architecture: s.next().unwrap(),
                application_name: s.next().unwrap(),
                application_version: s.next().unwrap(),
                application_package: s.next().unwrap(),
            })
        })
        .boxed()
}

fn console() -> BoxedStrategy<ConsoleDevice> {
    (strings(15), ints(3))
        .prop_map(|(s, i)| {
            let (mut s, mut i) = (s.into_iter(), i.into_iter());
            ConsoleDevice {
                build_id: s.next().unwrap(),
                brand: s.next().unwrap(),
                product: s.next().unwrap(),
                name: s.next().unwrap(),
                manufacturer: s.next().unwrap(),
                os_version: s.next().unwrap(),
                model: s.next().unwrap(),
                screen_height: i.next().unwrap(),
                screen_width: i.next().unwrap(),
                country: s.next().unwrap(),
                locale_language: s.next().unwrap(),
                locale_country: s.next().unwrap(),
                timezone_offset: i.next().unwrap(),
                timezone_name: s.next().unwrap(),
                cpu_architecture: s.next().unwrap(),
                application_name: s.next().unwrap(),
                application_version: s.next().unwrap(),
                application_package: s.next().unwrap(),
            }
        })
        .boxed()
}

fn generic() -> BoxedStrategy<GenericDevice> {
    (strings(15), ints(4), flags(4))
        .prop_map(|(s, i, b)| {
            let (mut s, mut i, mut b) = (s.into_iter(), i.into_iter(), b.into_iter());
            GenericDevice {
                build_id: s.next().unwrap(),
                brand: s.next().unwrap(),
                product: s.next().unwrap(),
                name: s.next().unwrap(),
                manufacturer: s.next().unwrap(),
                os_version: s.next().unwrap(),
                model: s.next().unwrap(),
                screen_height: i.next().unwrap(),
                screen_width: i.next().unwrap(),
                screen_dpi: i.next().unwrap(),
                country: s.next().unwrap(),
                locale_language: s.next().unwrap(),
                locale_country: s.next().unwrap(),
                timezone_offset: i.next().unwrap(),
                timezone_name: s.next().unwrap(),
                is_tablet: b.next().unwrap(),
                supports_telephony: b.next().unwrap(),
                has_nfc: b.next().unwrap(),
                bluetooth_enabled: b.next().unwrap(),
                bluetooth_version: s.next().unwrap(),
                application_name: s.next().unwrap(),
                application_version: s.next().unwrap(),
                application_package: s.next().unwrap(),
            }
        })
        .boxed()
}

/// A device of each of the ten platforms.
fn device() -> BoxedStrategy<Device> {
    Union::new(vec![
        generic().prop_map(Device::Unknown).boxed(),
        android(),
        ios(),
        tvos(),
        web(),
        roku(),
        console().prop_map(Device::Xbox).boxed(),
        console().prop_map(Device::FireTv).boxed(),
        generic().prop_map(Device::Alexa).boxed(),
        generic().prop_map(Device::SmartTv).boxed(),
    ])
    .boxed()
}

fn runtime_environment() -> BoxedStrategy<RuntimeEnvironment> {
    let known = (
        any::<bool>(),
        vec(opt_text(), 3),
        vec(device_identity(), 0..3),
        device(),
    )
        .prop_map(|(is_debug, s, identities, device)| {
            let mut s = s.into_iter();
            RuntimeEnvironment {
                header: RuntimeHeader {
                    is_debug,
                    client_ip_address: s.next().unwrap(),
                    sdk_version: s.next().unwrap(),
                    http_header_user_agent: s.next().unwrap(),
                    identities: identities.into(),
                },
                device,
            }
        });
    let unknown = header_fields(vec![
        (
            "is_debug",
            any::<bool>().prop_map(|b| b.to_string()).boxed(),
        ),
        ("sdk_version", json_text(text())),
        (
            "identities",
            vec(device_identity(), 1..3)
                .prop_map(|ids| serde_json::to_string(&ids).unwrap())
                .boxed(),
        ),
    ])
    .prop_flat_map(unknown_object)
    .prop_map(|t| kept::<RuntimeEnvironment>(&t));
    prop_oneof![10 => known, 1 => unknown].boxed()
}

// ---------------------------------------------------------------------------------------------
// Registration

fn setting_header() -> BoxedStrategy<SettingHeader> {
    (opt_text(), opt_text(), opt_text(), any::<bool>())
        .prop_map(|(id, name, description, visible)| SettingHeader {
            id,
            name,
            description,
            visible,
        })
        .boxed()
}

fn setting_kind() -> BoxedStrategy<SettingKind> {
    Union::new(vec![
        (opt_text(), any::<bool>(), any::<bool>())
            .prop_map(|(default_value, required, confidential)| {
                TextSetting {
                    default_value,
                    required,
                    confidential,
                }
                .into()
            })
            .boxed(),
        (vec(option::of(any::<i64>()), 3), any::<bool>())
            .prop_map(|(v, required)| {
                IntegerSetting {
                    default_value: v[0],
                    min_value: v[1],
                    max_value: v[2],
                    required,
                }
                .into()
            })
            .boxed(),
        (vec(option::of(nice_f64()), 3), any::<bool>())
            .prop_map(|(v, required)| {
                FloatSetting {
                    default_value: v[0],
                    min_value: v[1],
                    max_value: v[2],
                    required,
                }
                .into()
            })
            .boxed(),
        (any::<bool>(), any::<bool>())
            .prop_map(|(default_value, checked)| {
                BooleanSetting {
                    default_value,
                    checked,
                }
                .into()
            })
            .boxed(),
    ])
    .boxed()
}

fn setting() -> BoxedStrategy<Setting> {
    let unknown = header_fields(vec![
        ("id", json_text(text())),
        ("name", json_text(text())),
        ("visible", any::<bool>().prop_map(|b| b.to_string()).boxed()),
    ])
    .prop_flat_map(unknown_object)
    .prop_map(|t| kept::<Setting>(&t));
    prop_oneof![
        8 => (setting_header(), setting_kind()).prop_map(|(header, kind)| Setting { header, kind }),
        1 => unknown,
    ]
    .boxed()
}

fn authentication() -> BoxedStrategy<Authentication> {
    let oauth = (
        vec(opt_text(), 8),
        opt_wire(GrantType::KNOWN),
        option::of(any::<i32>()),
        opt_wire(AccessTokenType::KNOWN),
        vec(
            (opt_text(), opt_text())
                .prop_map(|(name, description)| ScopeDetail { name, description }),
            0..3,
        ),
    )
        .prop_map(
            |(s, grant_type, default_expires_in, access_token_type, scopes)| {
                let mut s = s.into_iter();
                Authentication::from(OAuth2Authentication {
                    authorization_url: s.next().unwrap(),
                    refresh_url: s.next().unwrap(),
                    token_url: s.next().unwrap(),
                    grant_type,
                    default_expires_in,
                    client_id: s.next().unwrap(),
                    access_token_type,
                    custom_header_name: s.next().unwrap(),
                    param_client_id_name: s.next().unwrap(),
                    param_secret_name: s.next().unwrap(),
                    scopes: scopes.into(),
                })
            },
        );
    let unknown = unknown_object(vec![]).prop_map(|t| kept::<Authentication>(&t));
    prop_oneof![4 => oauth, 1 => unknown].boxed()
}

fn permissions() -> BoxedStrategy<Permissions> {
    let perm = |t: BoxedStrategy<String>| {
        (t, wire(IdentityEncoding::KNOWN), any::<bool>()).prop_map(|(t, e, r)| {
            let p = IdentityPermission::new(t, e);
            if r { p.required() } else { p }
        })
    };
    (
        vec(
            (
                wire(DeviceIdentityType::KNOWN),
                wire(IdentityEncoding::KNOWN),
                any::<bool>(),
            )
                .prop_map(|(t, e, required)| IdentityPermission {
                    identity_type: t,
                    encoding: e,
                    required,
                }),
            0..4,
        ),
        vec(
            (
                wire(UserIdentityType::KNOWN),
                wire(IdentityEncoding::KNOWN),
                any::<bool>(),
            )
                .prop_map(|(t, e, required)| IdentityPermission {
                    identity_type: t,
                    encoding: e,
                    required,
                }),
            0..4,
        ),
        vec(perm(text()), 0..2),
        vec(any::<bool>(), 11),
    )
        .prop_map(
            |(device_identities, user_identities, partner_identities, f)| Permissions {
                device_identities: device_identities.into(),
                user_identities: user_identities.into(),
                partner_identities: partner_identities.into(),
                allow_access_location: f[0],
                allow_access_ip_address: f[1],
                allow_access_device_application_stamp: f[2],
                allow_device_info: f[3],
                allow_user_attributes: f[4],
                allow_consent_state: f[5],
                allow_audience_user_attributes: f[6],
                allow_access_http_user_agent: f[7],
                allow_access_mpid: f[8],
                allow_platform_fields: f[9],
                allow_eventless_batches: f[10],
            },
        )
        .boxed()
}

fn event_registration() -> BoxedStrategy<EventProcessingRegistration> {
    (
        vec(setting(), 0..3),
        vec(setting(), 0..3),
        vec(wire(EventType::KNOWN), 0..4),
        vec(wire(RuntimeEnvironmentType::KNOWN), 0..4),
        vec(wire(SystemNotificationType::KNOWN), 0..3),
        any::<i32>(),
        opt_text(),
        option::of(authentication()),
    )
        .prop_map(
            |(a, c, e, r, n, max_data_age_hours, push, authentication)| {
                EventProcessingRegistration {
                    account_settings: a.into(),
                    event_connection_settings: c.into(),
                    supported_event_types: e.into(),
                    supported_runtime_environments: r.into(),
                    supported_system_notification_types: n.into(),
                    max_data_age_hours,
                    push_messaging_provider_id: push,
                    authentication,
                }
            },
        )
        .boxed()
}

fn audience_registration() -> BoxedStrategy<AudienceProcessingRegistration> {
    (
        vec(setting(), 0..3),
        option::of(authentication()),
        option::of((option::of(any::<i32>()), option::of(any::<i32>()))),
        vec(setting(), 0..3),
    )
        .prop_map(|(account_settings, authentication, bulk, subscription)| {
            AudienceProcessingRegistration {
                account_settings: account_settings.into(),
                authentication,
                bulk_configuration: bulk.map(|(m, w)| BulkConfiguration {
                    bulk_forward_wait_for_messages: m,
                    bulk_forward_wait_in_minutes: w,
                }),
                audience_subscription_settings: subscription.into(),
            }
        })
        .boxed()
}

fn dsr_registration() -> BoxedStrategy<DsrProcessingRegistration> {
    (
        vec(setting(), 0..2),
        vec(wire(DsrType::KNOWN), 0..3),
        opt_text(),
    )
        .prop_map(
            |(account_settings, supported_dsr_types, domain)| DsrProcessingRegistration {
                account_settings: account_settings.into(),
                supported_dsr_types: supported_dsr_types.into(),
                domain,
            },
        )
        .boxed()
}

fn registration() -> BoxedStrategy<ModuleRegistrationResponse> {
    (
        vec(opt_text(), 4),
        option::of(permissions()),
        option::of(event_registration()),
        option::of(audience_registration()),
        option::of(dsr_registration()),
    )
        .prop_map(|(s, permissions, ev, au, dsr)| {
            let mut s = s.into_iter();
            ModuleRegistrationResponse {
                sdk_version: s.next().unwrap(),
                name: s.next().unwrap(),
                description: s.next().unwrap(),
                version: s.next().unwrap(),
                permissions,
                event_processing_registration: ev,
                audience_processing_registration: au,
                dsr_processing_registration: dsr,
            }
        })
        .boxed()
}

// ---------------------------------------------------------------------------------------------
// Requests and responses

fn platform_fields() -> BoxedStrategy<PlatformFields> {
    (
        any::<i32>(),
        any::<i32>(),
        vec(opt_text(), 7),
        option::of(any::<i32>()),
    )
        .prop_map(|(mp_account_id, workspace_id, s, dataplan_version)| {
            let mut s = s.into_iter();
            PlatformFields {
                mp_account_id,
                mp_account_name: s.next().unwrap(),
                workspace_id,
                workspace_name: s.next().unwrap(),
                input_name: s.next().unwrap(),
                app_name: s.next().unwrap(),
                app_version: s.next().unwrap(),
                dataplan_id: s.next().unwrap(),
                dataplan_name: s.next().unwrap(),
                dataplan_version,
            }
        })
        .boxed()
}

fn event_batch() -> BoxedStrategy<EventProcessingRequest> {
    let who = (
        opt_text(),
        option::of(account()),
        vec(partner_identity(), 0..2),
        vec(user_identity(), 0..3),
        string_map(),
        btree_map(
            ckey(),
            vec(option::of(any_text().prop_map(CompactString::from)), 1..3).prop_map(List::from),
            0..3,
        ),
        option::of(runtime_environment()),
        string_map(),
    );
    let what = (
        vec(event(), 0..5),
        opt_wire(ChannelSourceType::KNOWN),
        opt_text(),
        option::of(consent_state()),
        vec(system_notification(), 0..3),
        opt_text(),
        option::of(platform_fields()),
    );
    (who, what)
        .prop_map(|(who, what)| EventProcessingRequest {
            source_id: who.0,
            account: who.1,
            partner_identities: who.2.into(),
            user_identities: who.3.into(),
            user_attributes: who.4,
            user_attribute_lists: who.5,
            runtime_environment: who.6,
            integration_attributes: who.7,
            events: what.0.into(),
            source_channel: what.1,
            device_application_stamp: what.2,
            consent_state: what.3,
            system_notifications: what.4.into(),
            mpid: what.5,
            platform_fields: what.6,
        })
        .boxed()
}

fn audience() -> BoxedStrategy<Audience> {
    let attribute = (
        opt_text(),
        opt_text(),
        opt_wire(AttributeAction::KNOWN),
        vec(option::of(any_text().prop_map(CompactString::from)), 0..3),
    )
        .prop_map(
            |(key, value, action, list_value)| UserAttributeAudienceEvent {
                key,
                value,
                action,
                list_value: list_value.into(),
            },
        );
    (
        any::<i32>(),
        opt_text(),
        string_map(),
        opt_wire(AudienceAction::KNOWN),
        vec(attribute, 0..3),
    )
        .prop_map(
            |(audience_id, audience_name, settings, action, user_attributes)| Audience {
                audience_id,
                audience_name,
                audience_subscription_settings: settings,
                action,
                user_attributes: user_attributes.into(),
            },
        )
        .boxed()
}

fn user_profile() -> BoxedStrategy<UserProfile> {
    (
        vec(user_identity(), 0..3),
        vec(device_identity(), 0..3),
        vec(partner_identity(), 0..2),
        vec(audience(), 0..3),
        prop_oneof![
            opt_text(),
            any::<i64>().prop_map(|m| Some(m.to_string().into()))
        ],
    )
        .prop_map(
            |(user_identities, device_identities, partner_identities, audiences, mpid)| {
                UserProfile {
                    user_identities: user_identities.into(),
                    device_identities: device_identities.into(),
                    partner_identities: partner_identities.into(),
                    audiences: audiences.into(),
                    mpid,
                }
            },
        )
        .boxed()
}

fn submitted_time() -> BoxedStrategy<SubmittedTime> {
    prop_oneof![
        (0i64..4_102_444_800, 0u32..1_000_000_000),
        (any::<i64>(), 0u32..1_000_000_000),
    ]
    .prop_map(|(s, n)| SubmittedTime::from_unix(s, n))
    .boxed()
}

fn dsr_request() -> BoxedStrategy<DsrProcessingRequest> {
    (
        option::of(account()),
        opt_text(),
        opt_wire(DsrType::KNOWN),
        option::of(submitted_time()),
        btree_map(
            wire(OpenDsrIdentityType::KNOWN),
            (opt_wire(OpenDsrEncoding::KNOWN), opt_text())
                .prop_map(|(encoding, value)| OpenDsrIdentity { encoding, value }),
            0..4,
        ),
        opt_text(),
        opt_wire(RegulationType::KNOWN),
    )
        .prop_map(
            |(account, id, kind, submitted_time, subject_identities, api_version, regulation)| {
                DsrProcessingRequest {
                    account,
                    subject_request_id: id,
                    subject_request_type: kind,
                    submitted_time,
                    subject_identities,
                    api_version,
                    regulation,
                }
            },
        )
        .boxed()
}

fn body() -> BoxedStrategy<MessageBody> {
    Union::new(vec![
        Just(MessageBody::from(ModuleRegistrationRequest {})).boxed(),
        registration().prop_map(MessageBody::from).boxed(),
        event_batch().prop_map(MessageBody::from).boxed(),
        any::<bool>()
            .prop_map(|suspend_subscription| {
                EventProcessingResponse {
                    suspend_subscription,
                }
                .into()
            })
            .boxed(),
        (
            option::of(account()),
            any::<i32>(),
            opt_text(),
            opt_text(),
            string_map(),
            string_map(),
            opt_wire(SubscriptionAction::KNOWN),
        )
            .prop_map(
                |(account, audience_id, name, description, now, before, action)| {
                    AudienceSubscriptionRequest {
                        account,
                        audience_id,
                        audience_name: name,
                        audience_description: description,
                        audience_subscription_settings: now,
                        previous_audience_subscription_settings: before,
                        action,
                    }
                    .into()
                },
            )
            .boxed(),
        string_map()
            .prop_map(|audience_subscription_settings| {
                AudienceSubscriptionResponse {
                    audience_subscription_settings,
                }
                .into()
            })
            .boxed(),
        // `Some(vec![])` normalizes to `None`; see its own property.
        (option::of(account()), option::of(vec(user_profile(), 1..3)))
            .prop_map(|(account, user_profiles)| {
                AudienceMembershipChangeRequest {
                    account,
                    user_profiles: user_profiles.map(Into::into),
                }
                .into()
            })
            .boxed(),
        any::<bool>()
            .prop_map(|suspend_subscription| {
                AudienceMembershipChangeResponse {
                    suspend_subscription,
                }
                .into()
            })
            .boxed(),
        dsr_request().prop_map(MessageBody::from).boxed(),
        Just(MessageBody::from(DsrProcessingResponse {})).boxed(),
    ])
    .boxed()
}

fn envelope() -> BoxedStrategy<Envelope> {
    (option::of(uuid()), option::of(any::<i64>()), opt_text())
        .prop_map(|(id, timestamp_ms, firehose_version)| Envelope {
            id,
            timestamp_ms,
            firehose_version,
        })
        .boxed()
}

fn message() -> BoxedStrategy<Message> {
    (envelope(), body())
        .prop_map(|(envelope, body)| Message { envelope, body })
        .boxed()
}

/// A batch whose events are one of each kind in turn, so that every event type and platform is
/// exercised in a modest number of cases.
fn batch_with_every_event_type() -> BoxedStrategy<Message> {
    (envelope(), vec(event(), 16), runtime_environment())
        .prop_map(|(envelope, events, runtime)| Message {
            envelope,
            body: EventProcessingRequest {
                events: events.into(),
                runtime_environment: Some(runtime),
                ..EventProcessingRequest::default()
            }
            .into(),
        })
        .boxed()
}

// ---------------------------------------------------------------------------------------------
// Properties

/// encode → decode gives the same value; encoding that gives the same text.
fn assert_round_trip(message: &Message) -> Result<(), TestCaseError> {
    let first = message.to_json().expect("encode");
    let decoded = Message::decode(first.as_bytes())
        .map_err(|e| TestCaseError::fail(format!("{e} in {first}")))?;
    prop_assert_eq!(&decoded, message, "decode(encode(x)) != x for {}", first);
    let second = decoded.to_json().expect("encode");
    prop_assert_eq!(&second, &first);
    common::check_key_order(&first);
    // Requests pass decode_request; responses are refused by it.
    match Message::decode_request(first.as_bytes()) {
        Ok(m) => prop_assert!(!m.body.is_response()),
        Err(e) => {
            prop_assert!(message.body.is_response());
            prop_assert_eq!(e.kind(), DecodeErrorKind::ResponseAsRequest);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_message_type_round_trips(message in message()) {
        assert_round_trip(&message)?;
    }

    #[test]
    fn every_event_type_and_platform_round_trips(message in batch_with_every_event_type()) {
        assert_round_trip(&message)?;
    }

    #[test]
    fn every_message_type_is_written_as_serde_json_writes_it(message in message()) {
        prop_assert_eq!(message.encode().expect("encode"), serde_json::to_vec(&message).expect("encode"));
    }

    #[test]
    fn every_event_type_is_written_as_serde_json_writes_it(message in batch_with_every_event_type()) {
        prop_assert_eq!(message.encode().expect("encode"), serde_json::to_vec(&message).expect("encode"));
    }

    #[test]
    fn every_setting_kind_round_trips(settings in vec(setting(), 1..6), auth in authentication()) {
        let mut registration = ModuleRegistrationResponse::new("p", "1").with_event_processing(
            EventProcessingRegistration::new()
                .with_authentication(auth)
                .with_account_setting(settings[0].clone()),
        );
        registration
            .event_processing_registration
            .as_mut()
            .unwrap()
            .event_connection_settings = settings.into();
        assert_round_trip(&Message::new(registration))?;
    }

    #[test]
    fn decimals_keep_their_scale(amounts in vec(decimal(), 1..8)) {
        let products: Vec<Product> = amounts
            .iter()
            .map(|d| Product { price: Some((*d).into()), ..Product::default() })
            .collect();
        let message = Message::new(EventProcessingRequest {
            events: vec![Event::new(1, ProductActionEvent { products: products.into(), ..Default::default() })].into(),
            ..Default::default()
        });
        let text = message.to_json().unwrap();
        let decoded = Message::decode(text.as_bytes()).unwrap();
        let MessageBody::EventProcessingRequest(req) = &decoded.body else { unreachable!() };
        let EventData::ProductAction(action) = &req.events[0].data else { unreachable!() };
        for (d, p) in amounts.iter().zip(&action.products) {
            let back = p.price.as_ref().unwrap().to_decimal().unwrap();
            prop_assert_eq!(back.scale(), d.scale());
            prop_assert_eq!(back.to_string(), d.to_string());
            let written = format!("\"price\":{d}");
            prop_assert!(text.contains(&written), "{} not in {}", written, text);
        }
    }

    #[test]
    fn submitted_time_round_trips_to_the_nanosecond(t in submitted_time()) {
        let message = Message::new(DsrProcessingRequest {
            submitted_time: Some(t),
            ..Default::default()
        });
        let text = message.to_json().unwrap();
        let decoded = Message::decode(text.as_bytes()).unwrap();
        let MessageBody::DsrProcessingRequest(req) = &decoded.body else { unreachable!() };
        let back = req.submitted_time.unwrap();
        prop_assert_eq!((back.unix_seconds(), back.subsec_nanos()), (t.unix_seconds(), t.subsec_nanos()));
        // Java's form: decimal seconds with exactly nine fraction digits.
        let written = text.split("\"submitted_time\":").nth(1).unwrap();
        let number: String = written.chars().take_while(|c| *c == '-' || *c == '.' || c.is_ascii_digit()).collect();
        prop_assert_eq!(number.split('.').nth(1).map(str::len), Some(9));
    }

    /// Normalization: empty strings and empty map values are not written, so they read back as
    /// absent; everything else survives.
    #[test]
    fn empty_strings_normalize_to_absent(
        name in prop_oneof![Just(Some(CompactString::default())), opt_text()],
        attributes in btree_map(ckey(), any_text().prop_map(CompactString::from), 0..5),
        mpid in prop_oneof![Just(Some(CompactString::default())), opt_text()],
    ) {
        let message = Message::new(EventProcessingRequest {
            events: vec![Event::new(7, CustomEvent { name: name.clone(), attributes: attributes.iter().map(|(k, v)| (k.clone(), v.clone())).collect(), ..Default::default() })].into(),
            mpid: mpid.clone(),
            ..Default::default()
        });
        let (decoded, out) = common::roundtrip(message.to_json().unwrap().as_bytes());
        let MessageBody::EventProcessingRequest(req) = &decoded.body else { unreachable!() };
        let EventData::CustomEvent(custom) = &req.events[0].data else { unreachable!() };
        let non_empty = |s: &Option<CompactString>| s.clone().filter(|s| !s.is_empty());
        prop_assert_eq!(&custom.name, &non_empty(&name));
        prop_assert_eq!(&req.mpid, &non_empty(&mpid));
        let kept: StringMap =
            attributes.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        prop_assert_eq!(&custom.attributes, &kept);
        fn no_empty_strings(v: &Value) -> bool {
            match v {
                Value::String(s) => !s.is_empty(),
                Value::Array(items) => items.iter().all(no_empty_strings),
                Value::Object(map) => map.values().all(no_empty_strings),
                _ => true,
            }
        }
        prop_assert!(no_empty_strings(&serde_json::from_str(&out).unwrap()), "{}", out);
    }

    /// Any finite double survives a round trip bit for bit (coordinates, float settings).
    #[test]
    fn doubles_round_trip_exactly(values in vec(any::<f64>().prop_filter("finite", |f| f.is_finite()), 3)) {
        let location = Location { latitude: values[0], longitude: values[1], accuracy: values[2] };
        let message = Message::new(EventProcessingRequest {
            events: vec![Event {
                header: EventHeader { location: Some(location), ..EventHeader::default() },
                data: SessionStartEvent {}.into(),
            }].into(),
            ..Default::default()
        });
        let decoded = Message::decode(message.to_json().unwrap().as_bytes()).unwrap();
        let MessageBody::EventProcessingRequest(req) = &decoded.body else { unreachable!() };
        let back = req.events[0].header.location.as_ref().unwrap();
        prop_assert_eq!(
            [back.latitude.to_bits(), back.longitude.to_bits(), back.accuracy.to_bits()],
            [values[0].to_bits(), values[1].to_bits(), values[2].to_bits()]
        );
    }

    /// Normalization: a CCPA purpose of `None` reads back as the default, and that is stable.
    #[test]
    fn ccpa_purpose_none_normalizes_to_the_default(consented in any::<bool>()) {
        let note = CcpaConsentStateNotification {
            purpose: None,
            old_ccpa_consent_state: None,
            new_ccpa_consent_state: Some(Consent { consented, ..Default::default() }),
        };
        let message = Message::new(EventProcessingRequest {
            system_notifications: vec![note.into()].into(),
            ..Default::default()
        });
        let once = Message::decode(message.to_json().unwrap().as_bytes()).unwrap();
        let MessageBody::EventProcessingRequest(req) = &once.body else { unreachable!() };
        let SystemNotification::CcpaConsentState(n) = &req.system_notifications[0] else { unreachable!() };
        prop_assert_eq!(n.purpose.as_deref(), Some(DEFAULT_CCPA_PURPOSE));
        prop_assert_eq!(n.new_ccpa_consent_state.as_ref().unwrap().consented, consented);
        assert_round_trip(&once)?;
    }
}

#[test]
fn empty_user_profiles_normalize_to_none() {
    let message = Message::new(AudienceMembershipChangeRequest {
        account: Some(Account::new(7)),
        user_profiles: Some(vec![].into()),
    });
    let decoded = Message::decode(message.to_json().unwrap().as_bytes()).unwrap();
    let MessageBody::AudienceMembershipChangeRequest(req) = &decoded.body else {
        unreachable!()
    };
    assert_eq!(req.user_profiles, None);
}

#[test]
fn non_finite_floats_are_written_as_null() {
    let message = Message::new(EventProcessingRequest {
        events: vec![Event {
            header: EventHeader {
                location: Some(Location {
                    latitude: f64::NAN,
                    longitude: f64::INFINITY,
                    accuracy: 1.5,
                }),
                ..EventHeader::default()
            },
            data: SessionStartEvent {}.into(),
        }]
        .into(),
        ..Default::default()
    });
    let text = message.to_json().unwrap();
    assert!(
        text.contains(r#""location":{"latitude":null,"longitude":null,"accuracy":1.5}"#),
        "{text}"
    );
    let decoded = Message::decode(text.as_bytes()).unwrap();
    let MessageBody::EventProcessingRequest(req) = &decoded.body else {
        unreachable!()
    };
    let loc = req.events[0].header.location.as_ref().unwrap();
    assert_eq!((loc.latitude, loc.longitude), (0.0, 0.0));
}

#[test]
fn an_identity_with_an_empty_value_does_not_survive_encoding() {
    let message = Message::new(EventProcessingRequest {
        user_identities: vec![Identity::new(
            UserIdentityType::Email,
            IdentityEncoding::Raw,
            "",
        )]
        .into(),
        ..Default::default()
    });
    let text = message.to_json().unwrap();
    assert!(text.contains(r#""user_identities":[{"type":"email","encoding":"raw"}]"#));
    // Read back, it is an invalid element: kept, and written back as it came.
    let decoded = Message::decode(text.as_bytes()).unwrap();
    let invalid = decoded.invalid_elements();
    assert_eq!(invalid.len(), 1);
    assert_eq!(invalid[0].kind(), DecodeErrorKind::InvalidIdentity);
    assert_eq!(invalid[0].path(), "$.user_identities[0]");
    assert_eq!(decoded.to_json().unwrap(), text);
}

#[test]
fn seventeen_digit_coordinates_survive_a_round_trip() {
    let input = r#"{"type":"event_processing_request","events":[{"type":"session_start","timestamp_ms":1,"location":{"latitude":10.938711676632721,"longitude":-57.179661383605676,"accuracy":13.346133595589677}}]}"#;
    let decoded = Message::decode(input.as_bytes()).unwrap();
    assert_eq!(decoded.to_json().unwrap(), input);
}

#[test]
fn short_coordinates_survive_a_round_trip() {
    let input = r#"{"type":"event_processing_request","events":[{"type":"session_start","timestamp_ms":1,"location":{"latitude":47.6062095,"longitude":-122.3320708,"accuracy":0.0}}]}"#;
    let decoded = Message::decode(input.as_bytes()).unwrap();
    assert_eq!(decoded.to_json().unwrap(), input);
}
