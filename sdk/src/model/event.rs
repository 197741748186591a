//! Event batches: the `event_processing_request`, its events (16 types), runtime environment,
//! consent and platform fields, and the `event_processing_response`.

use compact_str::CompactString;
use std::collections::BTreeMap;

use super::decimal::Decimal;
use super::list::List;
use uuid::Uuid;

use super::account::Account;
use super::consent::{ConsentState, SystemNotification};
use super::enums::*;
use super::identity::{PartnerIdentity, UserIdentity};
use super::runtime::RuntimeEnvironment;
use super::string_map::StringMap;
use crate::codec::lenient as l;

/// `non-empty` for `source_channel`, a Java `String`.
fn channel_is_blank(v: &Option<ChannelSourceType>) -> bool {
    v.as_ref().is_none_or(|c| c.as_str().is_empty())
}

wire_struct! {
    /// A batch of one user's events (`event_processing_request`).
    ///
    /// `events` absent or `null` decodes as no events (Java throws). mParticle also sends
    /// verification requests with no events; the dispatcher answers those for you.
    pub struct EventProcessingRequest {
        /// Source batch id.
        pub source_id: Option<CompactString>,
        /// The subscribing account and its setting values.
        pub account: Option<Account>,
        /// The partner's own identities for this user (2.2.0).
        pub partner_identities: List<PartnerIdentity>,
        /// The user's identities (only the permitted types, in the permitted encodings).
        pub user_identities: List<UserIdentity>,
        /// User attributes (needs `allow_user_attributes`); values are strings.
        pub user_attributes: StringMap,
        /// List-valued user attributes.
        pub user_attribute_lists: BTreeMap<CompactString, List<Option<CompactString>>>,
        /// The device and app the batch came from.
        pub runtime_environment: Option<RuntimeEnvironment>,
        /// Per-integration attributes (for example set by a client-side kit).
        pub integration_attributes: StringMap,
        /// The events, in the order they happened.
        pub events: List<Event>,
        /// Where the batch came from. A string field in Java: a number or a boolean is kept as
        /// its text (as [`ChannelSourceType::Other`]), and an empty value is not written.
        #[serde(deserialize_with = "l::opt_enum_text", skip_serializing_if = "channel_is_blank")]
        pub source_channel: Option<ChannelSourceType>,
        /// Per device and app stamp (needs `allow_access_device_application_stamp`).
        pub device_application_stamp: Option<CompactString>,
        /// The user's consent state (needs `allow_consent_state`).
        pub consent_state: Option<ConsentState>,
        /// Consent changes, processed before the events.
        pub system_notifications: List<SystemNotification>,
        /// The mParticle id, a 64-bit integer carried as a string (needs `allow_access_mpid`).
        pub mpid: Option<CompactString>,
        /// mParticle workspace, input and data plan (3.2.0; needs `allow_platform_fields`).
        pub platform_fields: Option<PlatformFields>,
    }

    /// The answer to an event batch (`event_processing_response`).
    pub struct EventProcessingResponse {
        /// Asks mParticle to suspend the connection (written only when true).
        #[serde(deserialize_with = "l::bool", skip_serializing_if = "l::is_false")]
        pub suspend_subscription: bool,
    }

    /// mParticle platform fields of a batch (3.2.0).
    pub struct PlatformFields {
        /// mParticle account id.
        pub mp_account_id: i32,
        /// mParticle account name.
        pub mp_account_name: Option<CompactString>,
        /// Workspace id.
        pub workspace_id: i32,
        /// Workspace name.
        pub workspace_name: Option<CompactString>,
        /// Input (feed or platform) name.
        pub input_name: Option<CompactString>,
        /// App name.
        pub app_name: Option<CompactString>,
        /// App version.
        pub app_version: Option<CompactString>,
        /// Data plan id (a string).
        pub dataplan_id: Option<CompactString>,
        /// Data plan name.
        pub dataplan_name: Option<CompactString>,
        /// Data plan version.
        pub dataplan_version: Option<i32>,
    }
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

tagged_family! {
    /// The type-specific part of an event.
    pub enum EventData {
        /// A session began.
        "session_start" => SessionStart(SessionStartEvent),
        /// A session ended.
        "session_end" => SessionEnd(SessionEndEvent),
        /// An app-defined event.
        "custom_event" => CustomEvent(CustomEvent),
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
        /// A commerce product action. Boxed: at 288 bytes it is more than twice the size of
        /// any other event type, and every event in a batch would otherwise take its size
        /// (232 bytes an event with the box, 392 without). Match it as any other variant
        /// (`EventData::ProductAction(p)`, then `p.products`), and build one with `.into()`.
        "product_action" => ProductAction(Box<ProductActionEvent>),
        /// A promotion action.
        "promotion_action" => PromotionAction(PromotionActionEvent),
        /// Product impressions.
        "impression" => Impression(ImpressionEvent),
        /// An attribution.
        "attribution" => Attribution(AttributionEvent),
        /// A push message was opened.
        "push_message_open" => PushMessageOpen(PushMessageOpenEvent),
        _ => Unrecognized,
    }

    /// The sixteen event types (`Event.Type`), used in `supported_event_types`.
    pub enum EventType;

    impl Tagged("event") for Event { header: EventHeader, data };
}

wire_struct! {
    /// The fields every event has, whatever its type.
    pub struct EventHeader: Header {
        /// Event id (a UUID): use it to deduplicate retried batches.
        pub id: Option<Uuid>,
        /// When the event happened, in epoch milliseconds.
        pub timestamp_ms: i64,
        /// Source event id.
        pub source_id: Option<CompactString>,
        /// Session id.
        pub session_id: Option<i64>,
        /// Where the device was (needs `allow_access_location`).
        pub location: Option<Location>,
    }

    /// Where the device was when the event happened (needs `allow_access_location`).
    pub struct Location {
        /// Latitude in degrees.
        pub latitude: f64,
        /// Longitude in degrees.
        pub longitude: f64,
        /// Accuracy in meters (`0.0` when unknown).
        pub accuracy: f64,
    }

    /// A product in a commerce event. Money and quantities are exact decimals.
    pub struct Product {
        /// Product id (SKU).
        pub id: Option<CompactString>,
        /// Product name.
        pub name: Option<CompactString>,
        /// Brand.
        pub brand: Option<CompactString>,
        /// Category.
        pub category: Option<CompactString>,
        /// Variant.
        pub variant: Option<CompactString>,
        /// Position in a list (written even when 0).
        pub position: i32,
        /// Unit price.
        pub price: Option<Decimal>,
        /// Quantity.
        pub quantity: Option<Decimal>,
        /// Coupon code.
        pub coupon_code: Option<CompactString>,
        /// Total amount for this line.
        pub total_amount: Option<Decimal>,
        /// Custom attributes.
        pub attributes: StringMap,
    }

    /// A promotion in a promotion event. Unlike a product's, its `position` is a string.
    pub struct Promotion {
        /// Promotion id.
        pub id: Option<CompactString>,
        /// Promotion name.
        pub name: Option<CompactString>,
        /// Creative.
        pub creative: Option<CompactString>,
        /// Position, as a string.
        pub position: Option<CompactString>,
    }

    /// A list of products the user saw.
    pub struct Impression {
        /// Name of the list (Java `listName`).
        pub impression_list_name: Option<CompactString>,
        /// Products in the list.
        pub products: List<Product>,
    }

    /// `session_start`: a session began. No fields of its own.
    pub struct SessionStartEvent {}

    /// `session_end`: a session ended.
    pub struct SessionEndEvent {
        /// Session length in milliseconds.
        pub session_length_ms: i64,
    }

    /// `custom_event`: an app-defined event.
    pub struct CustomEvent {
        /// Event name.
        pub name: Option<CompactString>,
        /// Category.
        pub custom_event_type: Option<CustomEventType>,
        /// Custom attributes.
        pub attributes: StringMap,
        /// Flags for specific integrations (3.1.0).
        pub custom_flags: StringMap,
    }

    /// `screen_view`: a screen or page was viewed.
    pub struct ScreenViewEvent {
        /// Screen name.
        pub screen_name: Option<CompactString>,
        /// Custom attributes.
        pub attributes: StringMap,
        /// Flags for specific integrations (3.1.0).
        pub custom_flags: StringMap,
    }

    /// `error`: an error or crash was reported.
    pub struct ErrorEvent {
        /// Error message.
        pub message: Option<CompactString>,
        /// Whether a crash reporter captured it.
        pub is_crash: bool,
        /// Stack trace.
        pub stack_trace: Option<CompactString>,
        /// Breadcrumbs leading to the error.
        pub breadcrumbs: List<Option<CompactString>>,
        /// Custom attributes.
        pub attributes: StringMap,
    }

    /// `privacy_setting_change`: a privacy setting changed.
    pub struct PrivacySettingChangeEvent {
        /// The setting.
        pub setting: Option<PrivacySetting>,
        /// Its new state.
        pub is_enabled: bool,
    }

    /// `user_attribute_change`: user attributes were set or removed (needs
    /// `allow_user_attributes`).
    pub struct UserAttributeChangeEvent {
        /// Attributes set.
        pub added: StringMap,
        /// Attributes removed.
        pub removed: StringMap,
    }

    /// `user_identity_change`: user identities were added or removed.
    pub struct UserIdentityChangeEvent {
        /// Identities added.
        pub added: List<UserIdentity>,
        /// Identities removed.
        pub removed: List<UserIdentity>,
    }

    /// `push_subscription`: the device subscribed to or unsubscribed from push messages.
    pub struct PushSubscriptionEvent {
        /// Subscribe or unsubscribe.
        pub action: Option<PushSubscriptionAction>,
        /// The push token.
        pub token: Option<CompactString>,
    }

    /// `application_state_transition`: the app was installed, upgraded, launched, backgrounded...
    pub struct ApplicationStateTransitionEvent {
        /// The new state.
        pub application_state: Option<ApplicationState>,
        /// URI the app was launched with.
        pub launch_referral: Option<CompactString>,
        /// iOS application that launched the app.
        pub referral_application: Option<CompactString>,
        /// Launch options or intent extras.
        pub launch_parameters: Option<CompactString>,
        /// Android package that launched the app.
        pub source_package: Option<CompactString>,
    }

    /// `push_message_receipt`: a push message arrived (only those carrying the registered
    /// `push_messaging_provider_id`).
    pub struct PushMessageReceiptEvent {
        /// The push payload, as one string.
        pub payload: Option<CompactString>,
    }

    /// `push_message_open`: the user opened a push message.
    pub struct PushMessageOpenEvent {
        /// The push payload, as one string.
        pub payload: Option<CompactString>,
    }

    /// `product_action`: a commerce action on products.
    pub struct ProductActionEvent {
        /// The action.
        pub action: Option<ProductActionType>,
        /// Transaction id.
        pub transaction_id: Option<CompactString>,
        /// Affiliation.
        pub affiliation: Option<CompactString>,
        /// Total amount.
        pub total_amount: Option<Decimal>,
        /// Tax.
        pub tax_amount: Option<Decimal>,
        /// Shipping.
        pub shipping_amount: Option<Decimal>,
        /// ISO 4217 currency code.
        pub currency_code: Option<CompactString>,
        /// Coupon code.
        pub coupon_code: Option<CompactString>,
        /// Products acted on.
        pub products: List<Product>,
        /// Custom attributes.
        pub attributes: StringMap,
        /// Flags for specific integrations (3.1.0).
        pub custom_flags: StringMap,
    }

    /// `promotion_action`: a promotion was viewed or clicked.
    pub struct PromotionActionEvent {
        /// The action.
        pub action: Option<PromotionActionType>,
        /// Custom attributes.
        pub attributes: StringMap,
        /// Promotions acted on.
        pub promotions: List<Promotion>,
        /// Flags for specific integrations (3.1.0).
        pub custom_flags: StringMap,
    }

    /// `impression`: product impressions.
    pub struct ImpressionEvent {
        /// Custom attributes.
        pub attributes: StringMap,
        /// The impressions.
        pub impressions: List<Impression>,
        /// Flags for specific integrations (3.1.0).
        pub custom_flags: StringMap,
    }

    /// `attribution`: an install or re-engagement was attributed (2.4.0).
    pub struct AttributionEvent {
        /// Event name.
        pub name: Option<CompactString>,
        /// Attribution partner (Java `partner`).
        pub partner_name: Option<CompactString>,
        /// Publisher (Java `publisher`).
        pub publisher_name: Option<CompactString>,
        /// Campaign (Java `campaign`).
        pub campaign_name: Option<CompactString>,
        /// Custom attributes.
        pub attributes: StringMap,
    }
}

impl From<ProductActionEvent> for EventData {
    fn from(event: ProductActionEvent) -> Self {
        EventData::ProductAction(Box::new(event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event of a batch takes the size of the largest event type, so a large new type
    /// belongs in a box, as the product action is (392 bytes an event without it).
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn events_stay_small() {
        assert!(size_of::<EventData>() <= 128, "{}", size_of::<EventData>());
        assert!(size_of::<Event>() <= 232, "{}", size_of::<Event>());
    }
}
