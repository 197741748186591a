//! Typed builders for the registration, so that a partner writes what they mean:
//!
//! ```
//! use mparticle_firehose::model::*;
//!
//! let registration = ModuleRegistrationResponse::new("Acme Analytics", "1.0.0")
//!     .with_description("Sends events to Acme.")
//!     .with_permissions(
//!         Permissions::new()
//!             .with_user_identity(UserIdentityPermission::new(UserIdentityType::Email, IdentityEncoding::Sha256))
//!             .allow_mpid(),
//!     )
//!     .with_event_processing(
//!         EventProcessingRegistration::new()
//!             .with_account_setting(Setting::text("apiKey", "API key").required().confidential())
//!             .with_event_types([EventType::CustomEvent, EventType::SessionStart]),
//!     );
//! assert!(registration.validate().is_ok());
//! ```

use super::consent::SystemNotificationType;
use super::enums::*;
use super::event::EventType;
use super::identity::{
    DeviceIdentityPermission, PartnerIdentityPermission, UserIdentityPermission,
};
use super::registration::*;
use super::runtime::RuntimeEnvironmentType;
use compact_str::CompactString;

impl ModuleRegistrationResponse {
    /// A registration with a name and a version; `sdk_version` is this SDK's protocol version.
    pub fn new(name: impl Into<CompactString>, version: impl Into<CompactString>) -> Self {
        Self {
            sdk_version: Some(CompactString::const_new(FIREHOSE_VERSION)),
            name: Some(name.into()),
            version: Some(version.into()),
            ..Self::default()
        }
    }

    builder_methods! {
        /// Sets the description (under 230 characters; inline HTML links allowed).
        with_description(description: impl Into<CompactString>) => description = Some(description.into());
        /// Sets the permissions.
        with_permissions(permissions: Permissions) => permissions = Some(permissions);
        /// Registers for event batches.
        with_event_processing(registration: EventProcessingRegistration)
            => event_processing_registration = Some(registration);
        /// Registers for audiences.
        with_audience_processing(registration: AudienceProcessingRegistration)
            => audience_processing_registration = Some(registration);
        /// Registers for data-subject requests.
        with_dsr_processing(registration: DsrProcessingRegistration)
            => dsr_processing_registration = Some(registration);
    }
}

impl Permissions {
    /// No permissions.
    pub fn new() -> Self {
        Self::default()
    }

    builder_methods! {
        /// Adds a user identity permission.
        with_user_identity(permission: UserIdentityPermission) => user_identities.push(permission);
        /// Adds a device identity permission.
        with_device_identity(permission: DeviceIdentityPermission)
            => device_identities.push(permission);
        /// Sets the partner identity permission (mParticle allows only one).
        with_partner_identity(permission: PartnerIdentityPermission)
            => partner_identities = vec![permission].into();
        /// Receive event locations.
        allow_location() => allow_access_location = true;
        /// Receive the client IP address.
        allow_ip_address() => allow_access_ip_address = true;
        /// Receive the device application stamp.
        allow_device_application_stamp() => allow_access_device_application_stamp = true;
        /// Receive device information.
        allow_device_info() => allow_device_info = true;
        /// Receive user attributes and `user_attribute_change` events.
        allow_user_attributes() => allow_user_attributes = true;
        /// Receive the consent state.
        allow_consent_state() => allow_consent_state = true;
        /// Receive user attributes with audience membership changes.
        allow_audience_user_attributes() => allow_audience_user_attributes = true;
        /// Receive the HTTP user agent.
        allow_http_user_agent() => allow_access_http_user_agent = true;
        /// Receive the mParticle id.
        allow_mpid() => allow_access_mpid = true;
        /// Receive platform fields.
        allow_platform_fields() => allow_platform_fields = true;
        /// Receive batches without events.
        allow_eventless_batches() => allow_eventless_batches = true;
    }
}

impl EventProcessingRegistration {
    /// An event registration with the default data age (24 hours) and nothing else.
    pub fn new() -> Self {
        Self::default()
    }

    builder_methods! {
        /// Adds an account-level setting.
        with_account_setting(setting: Setting) => account_settings.push(setting);
        /// Adds a connection-level setting.
        with_connection_setting(setting: Setting) => event_connection_settings.push(setting);
        /// Sets the event types to receive.
        with_event_types(types: impl IntoIterator<Item = EventType>)
            => supported_event_types = types.into_iter().collect();
        /// Sets the platforms to receive data from.
        with_runtime_environments(types: impl IntoIterator<Item = RuntimeEnvironmentType>)
            => supported_runtime_environments = types.into_iter().collect();
        /// Sets the system notifications to receive.
        with_system_notifications(types: impl IntoIterator<Item = SystemNotificationType>)
            => supported_system_notification_types = types.into_iter().collect();
        /// Sets the oldest event age accepted, in hours (`-1` for all data).
        with_max_data_age_hours(hours: i32) => max_data_age_hours = hours;
        /// Sets the push messaging provider id (required with `push_message_receipt`).
        with_push_messaging_provider_id(id: impl Into<CompactString>)
            => push_messaging_provider_id = Some(id.into());
        /// Sets the authentication configuration.
        with_authentication(authentication: impl Into<Authentication>)
            => authentication = Some(authentication.into());
    }
}

impl AudienceProcessingRegistration {
    /// An empty audience registration.
    pub fn new() -> Self {
        Self::default()
    }

    builder_methods! {
        /// Adds an account-level setting.
        with_account_setting(setting: Setting) => account_settings.push(setting);
        /// Adds a per-connection (subscription) setting.
        with_subscription_setting(setting: Setting) => audience_subscription_settings.push(setting);
        /// Sets the authentication configuration.
        with_authentication(authentication: impl Into<Authentication>)
            => authentication = Some(authentication.into());
    }

    /// Sets how mParticle batches membership messages.
    pub fn with_bulk_configuration(mut self, wait_for_messages: i32, wait_in_minutes: i32) -> Self {
        self.bulk_configuration = Some(BulkConfiguration {
            bulk_forward_wait_for_messages: Some(wait_for_messages),
            bulk_forward_wait_in_minutes: Some(wait_in_minutes),
        });
        self
    }
}

impl DsrProcessingRegistration {
    /// A DSR registration for erasure requests, with status callbacks to `domain`.
    pub fn erasure(domain: impl Into<CompactString>) -> Self {
        Self {
            account_settings: Vec::new().into(),
            supported_dsr_types: vec![DsrType::Erasure].into(),
            domain: Some(domain.into()),
        }
    }

    builder_methods! {
        /// Adds an account-level setting.
        with_account_setting(setting: Setting) => account_settings.push(setting);
    }
}

impl Setting {
    fn with_kind(
        id: impl Into<CompactString>,
        name: impl Into<CompactString>,
        kind: SettingKind,
    ) -> Self {
        Self {
            header: SettingHeader {
                id: Some(id.into()),
                name: Some(name.into()),
                ..SettingHeader::default()
            },
            kind,
        }
    }

    /// A text setting.
    pub fn text(id: impl Into<CompactString>, name: impl Into<CompactString>) -> Self {
        Self::with_kind(id, name, TextSetting::default().into())
    }

    /// An integer setting.
    pub fn integer(id: impl Into<CompactString>, name: impl Into<CompactString>) -> Self {
        Self::with_kind(id, name, IntegerSetting::default().into())
    }

    /// A floating-point setting.
    pub fn float(id: impl Into<CompactString>, name: impl Into<CompactString>) -> Self {
        Self::with_kind(id, name, FloatSetting::default().into())
    }

    /// A boolean setting.
    pub fn boolean(id: impl Into<CompactString>, name: impl Into<CompactString>) -> Self {
        Self::with_kind(id, name, BooleanSetting::default().into())
    }

    builder_methods! {
        /// Sets the tooltip.
        with_description(description: impl Into<CompactString>)
            => header.description = Some(description.into());
        /// Hides the setting from customers (the integration sets its value).
        hidden() => header.visible = false;
    }

    /// Makes the setting required. Boolean settings have no required flag on the wire, so this
    /// leaves them unchanged.
    pub fn required(mut self) -> Self {
        match &mut self.kind {
            SettingKind::Text(s) => s.required = true,
            SettingKind::Integer(s) => s.required = true,
            SettingKind::Float(s) => s.required = true,
            SettingKind::Boolean(_) | SettingKind::Unrecognized(_) => {}
        }
        self
    }

    /// Masks a text setting's value once set (API keys, secrets). Only text settings can be
    /// confidential; other kinds are left unchanged.
    pub fn confidential(mut self) -> Self {
        if let SettingKind::Text(s) = &mut self.kind {
            s.confidential = true;
        }
        self
    }

    /// The setting id (the key of its value in `account_settings`).
    pub fn id(&self) -> &str {
        self.header.id.as_deref().unwrap_or_default()
    }

    /// Whether the setting's value is confidential and must never be logged.
    pub fn is_confidential(&self) -> bool {
        matches!(&self.kind, SettingKind::Text(s) if s.confidential)
    }

    /// Whether customers must fill the setting in.
    pub fn is_required(&self) -> bool {
        match &self.kind {
            SettingKind::Text(s) => s.required,
            SettingKind::Integer(s) => s.required,
            SettingKind::Float(s) => s.required,
            SettingKind::Boolean(_) | SettingKind::Unrecognized(_) => false,
        }
    }
}
