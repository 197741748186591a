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

use super::enums::*;
use super::identity::{
    DeviceIdentityPermission, PartnerIdentityPermission, UserIdentityPermission,
};
use super::registration::*;

impl ModuleRegistrationResponse {
    /// A registration with a name and a version; `sdk_version` is this SDK's protocol version.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            sdk_version: Some(FIREHOSE_VERSION.to_owned()),
            name: Some(name.into()),
            version: Some(version.into()),
            ..Self::default()
        }
    }

    /// Sets the description (under 230 characters; inline HTML links allowed).
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the permissions.
    pub fn with_permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = Some(permissions);
        self
    }

    /// Registers for event batches.
    pub fn with_event_processing(mut self, registration: EventProcessingRegistration) -> Self {
        self.event_processing_registration = Some(registration);
        self
    }

    /// Registers for audiences.
    pub fn with_audience_processing(
        mut self,
        registration: AudienceProcessingRegistration,
    ) -> Self {
        self.audience_processing_registration = Some(registration);
        self
    }

    /// Registers for data-subject requests.
    pub fn with_dsr_processing(mut self, registration: DsrProcessingRegistration) -> Self {
        self.dsr_processing_registration = Some(registration);
        self
    }
}

macro_rules! allow_flags {
    ($($(#[$doc:meta])* $method:ident => $field:ident,)*) => {
        $(
            $(#[$doc])*
            pub fn $method(mut self) -> Self {
                self.$field = true;
                self
            }
        )*
    };
}

impl Permissions {
    /// No permissions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a user identity permission.
    pub fn with_user_identity(mut self, permission: UserIdentityPermission) -> Self {
        self.user_identities.push(permission);
        self
    }

    /// Adds a device identity permission.
    pub fn with_device_identity(mut self, permission: DeviceIdentityPermission) -> Self {
        self.device_identities.push(permission);
        self
    }

    /// Sets the partner identity permission (mParticle allows only one).
    pub fn with_partner_identity(mut self, permission: PartnerIdentityPermission) -> Self {
        self.partner_identities = vec![permission];
        self
    }

    allow_flags! {
        /// Receive event locations.
        allow_location => allow_access_location,
        /// Receive the client IP address.
        allow_ip_address => allow_access_ip_address,
        /// Receive the device application stamp.
        allow_device_application_stamp => allow_access_device_application_stamp,
        /// Receive device information.
        allow_device_info => allow_device_info,
        /// Receive user attributes and `user_attribute_change` events.
        allow_user_attributes => allow_user_attributes,
        /// Receive the consent state.
        allow_consent_state => allow_consent_state,
        /// Receive user attributes with audience membership changes.
        allow_audience_user_attributes => allow_audience_user_attributes,
        /// Receive the HTTP user agent.
        allow_http_user_agent => allow_access_http_user_agent,
        /// Receive the mParticle id.
        allow_mpid => allow_access_mpid,
        /// Receive platform fields.
        allow_platform_fields => allow_platform_fields,
        /// Receive batches without events.
        allow_eventless_batches => allow_eventless_batches,
    }
}

impl EventProcessingRegistration {
    /// An event registration with the default data age (24 hours) and nothing else.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an account-level setting.
    pub fn with_account_setting(mut self, setting: Setting) -> Self {
        self.account_settings.push(setting);
        self
    }

    /// Adds a connection-level setting.
    pub fn with_connection_setting(mut self, setting: Setting) -> Self {
        self.event_connection_settings.push(setting);
        self
    }

    /// Sets the event types to receive.
    pub fn with_event_types(mut self, types: impl IntoIterator<Item = EventType>) -> Self {
        self.supported_event_types = types.into_iter().collect();
        self
    }

    /// Sets the platforms to receive data from.
    pub fn with_runtime_environments(
        mut self,
        types: impl IntoIterator<Item = RuntimeEnvironmentType>,
    ) -> Self {
        self.supported_runtime_environments = types.into_iter().collect();
        self
    }

    /// Sets the system notifications to receive.
    pub fn with_system_notifications(
        mut self,
        types: impl IntoIterator<Item = SystemNotificationType>,
    ) -> Self {
        self.supported_system_notification_types = types.into_iter().collect();
        self
    }

    /// Sets the oldest event age accepted, in hours (`-1` for all data).
    pub fn with_max_data_age_hours(mut self, hours: i32) -> Self {
        self.max_data_age_hours = hours;
        self
    }

    /// Sets the push messaging provider id (required with `push_message_receipt`).
    pub fn with_push_messaging_provider_id(mut self, id: impl Into<String>) -> Self {
        self.push_messaging_provider_id = Some(id.into());
        self
    }

    /// Sets the authentication configuration.
    pub fn with_authentication(mut self, authentication: impl Into<Authentication>) -> Self {
        self.authentication = Some(authentication.into());
        self
    }
}

impl AudienceProcessingRegistration {
    /// An empty audience registration.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an account-level setting.
    pub fn with_account_setting(mut self, setting: Setting) -> Self {
        self.account_settings.push(setting);
        self
    }

    /// Adds a per-connection (subscription) setting.
    pub fn with_subscription_setting(mut self, setting: Setting) -> Self {
        self.audience_subscription_settings.push(setting);
        self
    }

    /// Sets how mParticle batches membership messages.
    pub fn with_bulk_configuration(mut self, wait_for_messages: i32, wait_in_minutes: i32) -> Self {
        self.bulk_configuration = Some(BulkConfiguration {
            bulk_forward_wait_for_messages: Some(wait_for_messages),
            bulk_forward_wait_in_minutes: Some(wait_in_minutes),
        });
        self
    }

    /// Sets the authentication configuration.
    pub fn with_authentication(mut self, authentication: impl Into<Authentication>) -> Self {
        self.authentication = Some(authentication.into());
        self
    }
}

impl DsrProcessingRegistration {
    /// A DSR registration for erasure requests, with status callbacks to `domain`.
    pub fn erasure(domain: impl Into<String>) -> Self {
        Self {
            account_settings: Vec::new(),
            supported_dsr_types: vec![DsrType::Erasure],
            domain: Some(domain.into()),
        }
    }

    /// Adds an account-level setting.
    pub fn with_account_setting(mut self, setting: Setting) -> Self {
        self.account_settings.push(setting);
        self
    }
}

impl Setting {
    fn with_kind(id: impl Into<String>, name: impl Into<String>, kind: SettingKind) -> Self {
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
    pub fn text(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self::with_kind(id, name, TextSetting::default().into())
    }

    /// An integer setting.
    pub fn integer(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self::with_kind(id, name, IntegerSetting::default().into())
    }

    /// A floating-point setting.
    pub fn float(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self::with_kind(id, name, FloatSetting::default().into())
    }

    /// A boolean setting.
    pub fn boolean(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self::with_kind(id, name, BooleanSetting::default().into())
    }

    /// Sets the tooltip.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.header.description = Some(description.into());
        self
    }

    /// Hides the setting from customers (the integration sets its value).
    pub fn hidden(mut self) -> Self {
        self.header.visible = false;
        self
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
