//! Event batches: the `event_processing_request`, its events (16 types), runtime environment,
//! consent and platform fields, and the `event_processing_response`.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::de::MapAccess;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::account::Account;
use super::consent::{ConsentState, SystemNotification};
use super::enums::*;
use super::identity::{PartnerIdentity, UserIdentity};
use super::runtime::RuntimeEnvironment;
use crate::codec::DecodeErrorKind;
use crate::codec::lenient as l;
use crate::codec::tagged::{Header, Tagged, Unrecognized};

/// A batch of one user's events (`event_processing_request`).
///
/// `events` absent or `null` decodes as no events (Java throws). mParticle also sends
/// verification requests with no events; the dispatcher answers those for you.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EventProcessingRequest {
    /// Source batch id.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub source_id: Option<String>,
    /// The subscribing account and its setting values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
    /// The partner's own identities for this user (2.2.0).
    #[serde(default, deserialize_with = "l::vec", skip_serializing_if = "Vec::is_empty")]
    pub partner_identities: Vec<PartnerIdentity>,
    /// The user's identities (only the permitted types, in the permitted encodings).
    #[serde(default, deserialize_with = "l::vec", skip_serializing_if = "Vec::is_empty")]
    pub user_identities: Vec<UserIdentity>,
    /// User attributes (needs `allow_user_attributes`); values are strings.
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub user_attributes: BTreeMap<String, String>,
    /// List-valued user attributes.
    #[serde(
        default,
        deserialize_with = "l::string_list_map",
        serialize_with = "l::write_list_map",
        skip_serializing_if = "l::list_map_is_blank"
    )]
    pub user_attribute_lists: BTreeMap<String, Vec<String>>,
    /// The device and app the batch came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_environment: Option<RuntimeEnvironment>,
    /// Per-integration attributes (for example set by a client-side kit).
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub integration_attributes: BTreeMap<String, String>,
    /// The events, in the order they happened.
    #[serde(default, deserialize_with = "l::vec", skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    /// Where the batch came from.
    #[serde(default, deserialize_with = "l::opt_enum", skip_serializing_if = "Option::is_none")]
    pub source_channel: Option<ChannelSourceType>,
    /// Per device and app stamp (needs `allow_access_device_application_stamp`).
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub device_application_stamp: Option<String>,
    /// The user's consent state (needs `allow_consent_state`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_state: Option<ConsentState>,
    /// Consent changes, processed before the events.
    #[serde(default, deserialize_with = "l::vec", skip_serializing_if = "Vec::is_empty")]
    pub system_notifications: Vec<SystemNotification>,
    /// The mParticle id, a 64-bit integer carried as a string (needs `allow_access_mpid`).
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub mpid: Option<String>,
    /// mParticle workspace, input and data plan (3.2.0; needs `allow_platform_fields`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_fields: Option<PlatformFields>,
}

/// The answer to an event batch (`event_processing_response`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EventProcessingResponse {
    /// Asks mParticle to suspend the connection (written only when true).
    #[serde(default, deserialize_with = "l::bool", skip_serializing_if = "l::is_false")]
    pub suspend_subscription: bool,
}

/// mParticle platform fields of a batch (3.2.0).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PlatformFields {
    /// mParticle account id.
    #[serde(default, deserialize_with = "l::i32")]
    pub mp_account_id: i32,
    /// mParticle account name.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub mp_account_name: Option<String>,
    /// Workspace id.
    #[serde(default, deserialize_with = "l::i32")]
    pub workspace_id: i32,
    /// Workspace name.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub workspace_name: Option<String>,
    /// Input (feed or platform) name.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub input_name: Option<String>,
    /// App name.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub app_name: Option<String>,
    /// App version.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub app_version: Option<String>,
    /// Data plan id (a string).
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub dataplan_id: Option<String>,
    /// Data plan name.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub dataplan_name: Option<String>,
    /// Data plan version.
    #[serde(default, deserialize_with = "l::opt_i32", skip_serializing_if = "Option::is_none")]
    pub dataplan_version: Option<i32>,
}

/// One event of a batch: the fields every event has, and the type-specific part.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Fields common to every event type.
    pub header: EventHeader,
    /// The event type and its own fields.
    pub data: EventData,
}

impl Event {
    /// An event of the given kind, with only a timestamp and a fresh id.
    pub fn new(timestamp_ms: i64, data: impl Into<EventData>) -> Self {
        Self {
            header: EventHeader {
                id: Some(Uuid::new_v4()),
                timestamp_ms,
                ..EventHeader::default()
            },
            data: data.into(),
        }
    }

    /// The event's wire `type`.
    pub fn type_name(&self) -> &str {
        crate::codec::tagged::Body::type_name(&self.data)
    }

    /// The event's type, [`EventType::Other`] for one this SDK does not know.
    pub fn event_type(&self) -> EventType {
        EventType::from(self.type_name())
    }
}

/// The fields every event has, whatever its type.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct EventHeader {
    /// Event id (a UUID): use it to deduplicate retried batches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// When the event happened, in epoch milliseconds.
    pub timestamp_ms: i64,
    /// Source event id.
    #[serde(skip_serializing_if = "l::is_blank")]
    pub source_id: Option<String>,
    /// Session id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<i64>,
    /// Where the device was (needs `allow_access_location`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl Header for EventHeader {
    fn take<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "id" => self.id = take_field!(map, Option<Uuid>, "l::uuid"),
            "timestamp_ms" => self.timestamp_ms = take_field!(map, i64, "l::i64"),
            "source_id" => self.source_id = take_field!(map, Option<String>, "l::string"),
            "session_id" => self.session_id = take_field!(map, Option<i64>, "l::opt_i64"),
            "location" => self.location = take_field!(map, Option<Location>),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

tagged_body! {
    /// The type-specific part of an event.
    pub enum EventData {
        /// A session began.
        "session_start" => SessionStart(SessionStartEvent),
        /// A session ended.
        "session_end" => SessionEnd(SessionEndEvent),
        /// An app-defined event.
        "custom_event" => Custom(CustomEvent),
        /// A screen view.
        "screen_view" => ScreenView(ScreenViewEvent),
        /// An error or crash.
        "error" => Error(ErrorEvent),
        /// A privacy setting change.
        "privacy_setting_change" => PrivacySettingChange(PrivacySettingChangeEvent),
        /// User attributes changed.
        "user_attribute_change" => UserAttributeChange(UserAttributeChangeEvent),
        /// User identities changed.
        "user_identity_change" => UserIdentityChange(UserIdentityChangeEvent),
        /// Push subscription change.
        "push_subscription" => PushSubscription(PushSubscriptionEvent),
        /// App lifecycle transition.
        "application_state_transition" => ApplicationStateTransition(ApplicationStateTransitionEvent),
        /// A push message arrived.
        "push_message_receipt" => PushMessageReceipt(PushMessageReceiptEvent),
        /// A commerce product action.
        "product_action" => ProductAction(ProductActionEvent),
        /// A promotion action.
        "promotion_action" => PromotionAction(PromotionActionEvent),
        /// Product impressions.
        "impression" => Impression(ImpressionEvent),
        /// An attribution.
        "attribution" => Attribution(AttributionEvent),
        /// A push message was opened.
        "push_message_open" => PushMessageOpen(PushMessageOpenEvent),
    }
    unrecognized: Unknown,
}

impl Tagged for Event {
    const FAMILY: &'static str = "event";
    type Header = EventHeader;
    type Body = EventData;

    fn assemble(header: EventHeader, data: EventData) -> Self {
        Self { header, data }
    }

    fn unrecognized(raw: Unrecognized) -> Result<Self, (DecodeErrorKind, String)> {
        let header = crate::codec::tagged::header_from_raw::<EventHeader>(&raw)?;
        Ok(Self {
            header,
            data: EventData::Unknown(raw),
        })
    }

    fn header(&self) -> &EventHeader {
        &self.header
    }

    fn body(&self) -> Result<&EventData, &Unrecognized> {
        match &self.data {
            EventData::Unknown(raw) => Err(raw),
            data => Ok(data),
        }
    }
}

tagged_serde!(Event);

variant_from!(EventData {
    SessionStart(SessionStartEvent),
    SessionEnd(SessionEndEvent),
    Custom(CustomEvent),
    ScreenView(ScreenViewEvent),
    Error(ErrorEvent),
    PrivacySettingChange(PrivacySettingChangeEvent),
    UserAttributeChange(UserAttributeChangeEvent),
    UserIdentityChange(UserIdentityChangeEvent),
    PushSubscription(PushSubscriptionEvent),
    ApplicationStateTransition(ApplicationStateTransitionEvent),
    PushMessageReceipt(PushMessageReceiptEvent),
    ProductAction(ProductActionEvent),
    PromotionAction(PromotionActionEvent),
    Impression(ImpressionEvent),
    Attribution(AttributionEvent),
    PushMessageOpen(PushMessageOpenEvent),
});

/// Where the device was when the event happened (needs `allow_access_location`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct Location {
    /// Latitude in degrees.
    #[serde(default, deserialize_with = "l::f64")]
    pub latitude: f64,
    /// Longitude in degrees.
    #[serde(default, deserialize_with = "l::f64")]
    pub longitude: f64,
    /// Accuracy in meters (`0.0` when unknown).
    #[serde(default, deserialize_with = "l::f64")]
    pub accuracy: f64,
}

/// A product in a commerce event. Money and quantities are exact decimals.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct Product {
    /// Product id (SKU).
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub id: Option<String>,
    /// Product name.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub name: Option<String>,
    /// Brand.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub brand: Option<String>,
    /// Category.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub category: Option<String>,
    /// Variant.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub variant: Option<String>,
    /// Position in a list (written even when 0).
    #[serde(default, deserialize_with = "l::i32")]
    pub position: i32,
    /// Unit price.
    #[serde(
        default,
        deserialize_with = "l::decimal",
        serialize_with = "l::write_decimal",
        skip_serializing_if = "Option::is_none"
    )]
    pub price: Option<Decimal>,
    /// Quantity.
    #[serde(
        default,
        deserialize_with = "l::decimal",
        serialize_with = "l::write_decimal",
        skip_serializing_if = "Option::is_none"
    )]
    pub quantity: Option<Decimal>,
    /// Coupon code.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub coupon_code: Option<String>,
    /// Total amount for this line.
    #[serde(
        default,
        deserialize_with = "l::decimal",
        serialize_with = "l::write_decimal",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_amount: Option<Decimal>,
    /// Custom attributes.
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub attributes: BTreeMap<String, String>,
}

/// A promotion in a promotion event. Unlike a product's, its `position` is a string.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct Promotion {
    /// Promotion id.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub id: Option<String>,
    /// Promotion name.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub name: Option<String>,
    /// Creative.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub creative: Option<String>,
    /// Position, as a string.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub position: Option<String>,
}

/// A list of products the user saw.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct Impression {
    /// Name of the list (Java `listName`).
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub impression_list_name: Option<String>,
    /// Products in the list.
    #[serde(default, deserialize_with = "l::vec", skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<Product>,
}

/// `session_start`: a session began. No fields of its own.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct SessionStartEvent {}

/// `session_end`: a session ended.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct SessionEndEvent {
    /// Session length in milliseconds.
    #[serde(default, deserialize_with = "l::i64")]
    pub session_length_ms: i64,
}

/// `custom_event`: an app-defined event.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct CustomEvent {
    /// Event name.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub name: Option<String>,
    /// Category.
    #[serde(default, deserialize_with = "l::opt_enum", skip_serializing_if = "Option::is_none")]
    pub custom_event_type: Option<CustomEventType>,
    /// Custom attributes.
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub attributes: BTreeMap<String, String>,
    /// Flags for specific integrations (3.1.0).
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub custom_flags: BTreeMap<String, String>,
}

/// `screen_view`: a screen or page was viewed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct ScreenViewEvent {
    /// Screen name.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub screen_name: Option<String>,
    /// Custom attributes.
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub attributes: BTreeMap<String, String>,
    /// Flags for specific integrations (3.1.0).
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub custom_flags: BTreeMap<String, String>,
}

/// `error`: an error or crash was reported.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct ErrorEvent {
    /// Error message.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub message: Option<String>,
    /// Whether a crash reporter captured it.
    #[serde(default, deserialize_with = "l::bool")]
    pub is_crash: bool,
    /// Stack trace.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub stack_trace: Option<String>,
    /// Breadcrumbs leading to the error.
    #[serde(default, deserialize_with = "l::string_list", skip_serializing_if = "Vec::is_empty")]
    pub breadcrumbs: Vec<String>,
    /// Custom attributes.
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub attributes: BTreeMap<String, String>,
}

/// `privacy_setting_change`: a privacy setting changed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct PrivacySettingChangeEvent {
    /// The setting.
    #[serde(default, deserialize_with = "l::opt_enum", skip_serializing_if = "Option::is_none")]
    pub setting: Option<PrivacySetting>,
    /// Its new state.
    #[serde(default, deserialize_with = "l::bool")]
    pub is_enabled: bool,
}

/// `user_attribute_change`: user attributes were set or removed (needs `allow_user_attributes`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct UserAttributeChangeEvent {
    /// Attributes set.
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub added: BTreeMap<String, String>,
    /// Attributes removed.
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub removed: BTreeMap<String, String>,
}

/// `user_identity_change`: user identities were added or removed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct UserIdentityChangeEvent {
    /// Identities added.
    #[serde(default, deserialize_with = "l::vec", skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<UserIdentity>,
    /// Identities removed.
    #[serde(default, deserialize_with = "l::vec", skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<UserIdentity>,
}

/// `push_subscription`: the device subscribed to or unsubscribed from push messages.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct PushSubscriptionEvent {
    /// Subscribe or unsubscribe.
    #[serde(default, deserialize_with = "l::opt_enum", skip_serializing_if = "Option::is_none")]
    pub action: Option<PushSubscriptionAction>,
    /// The push token.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub token: Option<String>,
}

/// `application_state_transition`: the app was installed, upgraded, launched, backgrounded...
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct ApplicationStateTransitionEvent {
    /// The new state.
    #[serde(default, deserialize_with = "l::opt_enum", skip_serializing_if = "Option::is_none")]
    pub application_state: Option<ApplicationState>,
    /// URI the app was launched with.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub launch_referral: Option<String>,
    /// iOS application that launched the app.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub referral_application: Option<String>,
    /// Launch options or intent extras.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub launch_parameters: Option<String>,
    /// Android package that launched the app.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub source_package: Option<String>,
}

/// `push_message_receipt`: a push message arrived (only those carrying the registered
/// `push_messaging_provider_id`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct PushMessageReceiptEvent {
    /// The push payload, as one string.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub payload: Option<String>,
}

/// `push_message_open`: the user opened a push message.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct PushMessageOpenEvent {
    /// The push payload, as one string.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub payload: Option<String>,
}

/// `product_action`: a commerce action on products.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct ProductActionEvent {
    /// The action.
    #[serde(default, deserialize_with = "l::opt_enum", skip_serializing_if = "Option::is_none")]
    pub action: Option<ProductActionType>,
    /// Transaction id.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub transaction_id: Option<String>,
    /// Affiliation.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub affiliation: Option<String>,
    /// Total amount.
    #[serde(
        default,
        deserialize_with = "l::decimal",
        serialize_with = "l::write_decimal",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_amount: Option<Decimal>,
    /// Tax.
    #[serde(
        default,
        deserialize_with = "l::decimal",
        serialize_with = "l::write_decimal",
        skip_serializing_if = "Option::is_none"
    )]
    pub tax_amount: Option<Decimal>,
    /// Shipping.
    #[serde(
        default,
        deserialize_with = "l::decimal",
        serialize_with = "l::write_decimal",
        skip_serializing_if = "Option::is_none"
    )]
    pub shipping_amount: Option<Decimal>,
    /// ISO 4217 currency code.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub currency_code: Option<String>,
    /// Coupon code.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub coupon_code: Option<String>,
    /// Products acted on.
    #[serde(default, deserialize_with = "l::vec", skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<Product>,
    /// Custom attributes.
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub attributes: BTreeMap<String, String>,
    /// Flags for specific integrations (3.1.0).
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub custom_flags: BTreeMap<String, String>,
}

/// `promotion_action`: a promotion was viewed or clicked.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct PromotionActionEvent {
    /// The action.
    #[serde(default, deserialize_with = "l::opt_enum", skip_serializing_if = "Option::is_none")]
    pub action: Option<PromotionActionType>,
    /// Custom attributes.
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub attributes: BTreeMap<String, String>,
    /// Promotions acted on.
    #[serde(default, deserialize_with = "l::vec", skip_serializing_if = "Vec::is_empty")]
    pub promotions: Vec<Promotion>,
    /// Flags for specific integrations (3.1.0).
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub custom_flags: BTreeMap<String, String>,
}

/// `impression`: product impressions.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct ImpressionEvent {
    /// Custom attributes.
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub attributes: BTreeMap<String, String>,
    /// The impressions.
    #[serde(default, deserialize_with = "l::vec", skip_serializing_if = "Vec::is_empty")]
    pub impressions: Vec<Impression>,
    /// Flags for specific integrations (3.1.0).
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub custom_flags: BTreeMap<String, String>,
}

/// `attribution`: an install or re-engagement was attributed (2.4.0).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]

pub struct AttributionEvent {
    /// Event name.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub name: Option<String>,
    /// Attribution partner (Java `partner`).
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub partner_name: Option<String>,
    /// Publisher (Java `publisher`).
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub publisher_name: Option<String>,
    /// Campaign (Java `campaign`).
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub campaign_name: Option<String>,
    /// Custom attributes.
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub attributes: BTreeMap<String, String>,
}
