//! The module registration: what the integration is, what it may receive and which settings
//! customers fill in. mParticle reads it once, from the `module_registration_response`.

use super::consent::SystemNotificationType;
use super::enums::*;
use super::event::EventType;
use super::identity::{
    DeviceIdentityPermission, PartnerIdentityPermission, UserIdentityPermission,
};
use super::list::List;
use super::runtime::RuntimeEnvironmentType;
use crate::codec::lenient as l;
use compact_str::CompactString;

/// The Firehose protocol version this SDK speaks (`firehose_version`, registration `sdk_version`).
pub const FIREHOSE_VERSION: &str = "3.2.0";

wire_struct! {
    /// The registration probe (`module_registration_request`): no fields beyond the envelope.
    pub struct ModuleRegistrationRequest {}

    /// The answer to the registration probe: the integration's description, permissions and
    /// settings. Build it with [`ModuleRegistrationResponse::new`] and the `with_*` methods.
    pub struct ModuleRegistrationResponse {
        /// The Firehose SDK version ([`FIREHOSE_VERSION`] when built by this SDK).
        pub sdk_version: Option<CompactString>,
        /// The integration's title (required).
        pub name: Option<CompactString>,
        /// Description, under 230 characters; inline HTML links are allowed.
        pub description: Option<CompactString>,
        /// The integration's version (required).
        pub version: Option<CompactString>,
        /// What data the integration may receive.
        pub permissions: Option<Permissions>,
        /// Present to receive event batches.
        pub event_processing_registration: Option<EventProcessingRegistration>,
        /// Present to receive audiences.
        pub audience_processing_registration: Option<AudienceProcessingRegistration>,
        /// Present to receive data-subject requests (2.9.0).
        pub dsr_processing_registration: Option<DsrProcessingRegistration>,
    }

    /// Event stream registration.
    pub struct EventProcessingRegistration {
        /// Account-level settings, filled in per customer account.
        pub account_settings: List<Setting>,
        /// Connection-level settings, filled in per connection.
        pub event_connection_settings: List<Setting>,
        /// Only these event types are forwarded.
        pub supported_event_types: List<EventType>,
        /// Platforms to receive data from.
        pub supported_runtime_environments: List<RuntimeEnvironmentType>,
        /// Consent-change notifications to receive.
        pub supported_system_notification_types: List<SystemNotificationType>,
        /// Oldest event age accepted, in hours; `-1` for all data. Defaults to 24.
        pub max_data_age_hours: i32 = 24,
        /// Required when `push_message_receipt` is supported: only receipts whose payload carries
        /// this provider key are forwarded.
        pub push_messaging_provider_id: Option<CompactString>,
        /// OAuth2 configuration (2.8.0).
        pub authentication: Option<Authentication>,
    }

    /// Audience stream registration.
    pub struct AudienceProcessingRegistration {
        /// Account-level settings.
        pub account_settings: List<Setting>,
        /// OAuth2 configuration (2.7.0).
        pub authentication: Option<Authentication>,
        /// How mParticle batches membership messages (3.0.0).
        pub bulk_configuration: Option<BulkConfiguration>,
        /// Per-audience-connection settings. Visible ones are entered by the customer; hidden ones
        /// are set by the integration in its `audience_subscription_response`.
        pub audience_subscription_settings: List<Setting>,
    }
}

/// A setting customers fill in: fields every kind has, and the kind-specific part. Values come
/// back as strings in `account_settings` maps, keyed by [`SettingHeader::id`].
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// Fields every setting kind has.
    pub header: SettingHeader,
    /// The kind of value and its constraints.
    pub kind: SettingKind,
}

wire_struct! {
    /// Fields every setting has.
    pub struct SettingHeader: Header {
        /// Key under which the value is sent (required, unique within its list).
        pub id: Option<CompactString>,
        /// Label shown to the customer (required).
        pub name: Option<CompactString>,
        /// Tooltip: short, no markdown or links.
        pub description: Option<CompactString>,
        /// Whether the customer sees the setting (hidden ones are set by the integration).
        /// Absent or `null` reads as visible (Java cannot read settings back at all).
        #[serde(deserialize_with = "l::bool_default_true")]
        pub visible: bool = true,
    }

    /// A text setting.
    pub struct TextSetting {
        /// Default value.
        pub default_value: Option<CompactString>,
        /// Whether the customer must fill it in.
        pub required: bool,
        /// Whether the value is masked once set (API keys, secrets).
        pub confidential: bool,
    }

    /// An integer setting.
    pub struct IntegerSetting {
        /// Default value.
        pub default_value: Option<i64>,
        /// Smallest allowed value.
        pub min_value: Option<i64>,
        /// Largest allowed value.
        pub max_value: Option<i64>,
        /// Whether the customer must fill it in.
        pub required: bool,
    }

    /// A floating-point setting.
    pub struct FloatSetting {
        /// Default value.
        pub default_value: Option<f64>,
        /// Smallest allowed value.
        pub min_value: Option<f64>,
        /// Largest allowed value.
        pub max_value: Option<f64>,
        /// Whether the customer must fill it in.
        pub required: bool,
    }

    /// A boolean setting (a checkbox).
    pub struct BooleanSetting {
        /// Default value.
        pub default_value: bool,
        /// Whether the box is checked by default (overlaps `default_value`; both are sent).
        pub checked: bool,
    }
}

tagged_family! {
    /// The kind of a setting.
    pub enum SettingKind {
        /// Text.
        "text" => Text(TextSetting),
        /// Integer.
        "integer" => Integer(IntegerSetting),
        /// Floating point.
        "float" => Float(FloatSetting),
        /// Boolean.
        "boolean" => Boolean(BooleanSetting),
        _ => Unrecognized,
    }

    /// Registration setting kinds.
    pub enum SettingType;

    impl Tagged("setting") for Setting { header: SettingHeader, kind };
}

tagged_family! {
    /// How customers authenticate with the partner (2.7.0).
    pub enum Authentication {
        /// OAuth2.
        "oauth2" => OAuth2(OAuth2Authentication),
        _ => Unrecognized,
    }

    /// Authentication configuration kinds.
    pub enum AuthenticationType;

    impl Tagged("authentication") for Authentication;
}

wire_struct! {
    /// What the integration may receive. Every flag defaults to false and is written only when set.
    pub struct Permissions {
        /// Device identities the integration may receive.
        pub device_identities: List<DeviceIdentityPermission>,
        /// User identities the integration may receive.
        pub user_identities: List<UserIdentityPermission>,
        /// The partner's own identity (at most one).
        pub partner_identities: List<PartnerIdentityPermission>,
        /// Event `location`.
        #[serde(deserialize_with = "l::bool", skip_serializing_if = "l::is_false")]
        pub allow_access_location: bool,
        /// `runtime_environment.client_ip_address`.
        #[serde(deserialize_with = "l::bool", skip_serializing_if = "l::is_false")]
        pub allow_access_ip_address: bool,
        /// The request's `device_application_stamp`.
        #[serde(deserialize_with = "l::bool", skip_serializing_if = "l::is_false")]
        pub allow_access_device_application_stamp: bool,
        /// Device information in `runtime_environment`.
        #[serde(deserialize_with = "l::bool", skip_serializing_if = "l::is_false")]
        pub allow_device_info: bool,
        /// User attributes, and `user_attribute_change` events.
        #[serde(deserialize_with = "l::bool", skip_serializing_if = "l::is_false")]
        pub allow_user_attributes: bool,
        /// The request's `consent_state`.
        #[serde(deserialize_with = "l::bool", skip_serializing_if = "l::is_false")]
        pub allow_consent_state: bool,
        /// User attributes in audience membership changes.
        #[serde(deserialize_with = "l::bool", skip_serializing_if = "l::is_false")]
        pub allow_audience_user_attributes: bool,
        /// `runtime_environment.http_header_user_agent`.
        #[serde(deserialize_with = "l::bool", skip_serializing_if = "l::is_false")]
        pub allow_access_http_user_agent: bool,
        /// The mParticle id (`mpid`) on requests and user profiles.
        #[serde(deserialize_with = "l::bool", skip_serializing_if = "l::is_false")]
        pub allow_access_mpid: bool,
        /// The request's `platform_fields` (3.2.0).
        #[serde(deserialize_with = "l::bool", skip_serializing_if = "l::is_false")]
        pub allow_platform_fields: bool,
        /// Batches with no events (3.2.0).
        #[serde(deserialize_with = "l::bool", skip_serializing_if = "l::is_false")]
        pub allow_eventless_batches: bool,
    }

    /// How mParticle should batch audience membership messages (3.0.0).
    pub struct BulkConfiguration {
        /// Forward once this many messages have accumulated.
        pub bulk_forward_wait_for_messages: Option<i32>,
        /// Forward once this many minutes have passed.
        pub bulk_forward_wait_in_minutes: Option<i32>,
    }

    /// Data-subject request support (since 2.9.0).
    pub struct DsrProcessingRegistration {
        /// Account settings for DSR forwarding.
        pub account_settings: List<Setting>,
        /// Supported request types (only `erasure` is valid).
        pub supported_dsr_types: List<DsrType>,
        /// The domain for OpenDSR status callbacks.
        pub domain: Option<CompactString>,
    }

    /// One OAuth2 scope offered to the customer.
    pub struct ScopeDetail {
        /// Scope name.
        pub name: Option<CompactString>,
        /// What the scope grants.
        pub description: Option<CompactString>,
    }

    /// OAuth2 configuration for integrations that authenticate customers with OAuth2.
    pub struct OAuth2Authentication {
        /// Authorization endpoint (required by mParticle).
        pub authorization_url: Option<CompactString>,
        /// Token refresh endpoint.
        pub refresh_url: Option<CompactString>,
        /// Token endpoint (required by mParticle).
        pub token_url: Option<CompactString>,
        /// Grant type (only `authorization_code`).
        pub grant_type: Option<GrantType>,
        /// Token lifetime in seconds.
        pub default_expires_in: Option<i32>,
        /// OAuth2 client id (the docs call it required).
        pub client_id: Option<CompactString>,
        /// How the token is sent.
        pub access_token_type: Option<AccessTokenType>,
        /// Header name, for `custom_header`.
        pub custom_header_name: Option<CompactString>,
        /// The provider's name for `client_id`.
        pub param_client_id_name: Option<CompactString>,
        /// The provider's name for `client_secret`.
        pub param_secret_name: Option<CompactString>,
        /// Scopes.
        pub scopes: List<ScopeDetail>,
    }
}
