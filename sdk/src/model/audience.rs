//! Audiences: subscription (connection) changes and membership changes.

use compact_str::CompactString;

use super::account::Account;
use super::enums::{AttributeAction, AudienceAction, SubscriptionAction};
use super::identity::{DeviceIdentity, PartnerIdentity, UserIdentity};
use super::list::List;
use super::string_map::StringMap;

wire_struct! {
    /// A customer connected, updated or removed an audience connection
    /// (`audience_subscription_request`).
    pub struct AudienceSubscriptionRequest {
        /// The subscribing account and its setting values.
        pub account: Option<Account>,
        /// The audience id.
        pub audience_id: i32,
        /// The audience name.
        pub audience_name: Option<CompactString>,
        /// The audience description.
        pub audience_description: Option<CompactString>,
        /// Current values of the connection's settings.
        pub audience_subscription_settings: StringMap,
        /// Previous values, on update.
        pub previous_audience_subscription_settings: StringMap,
        /// What happened to the connection.
        pub action: Option<SubscriptionAction>,
    }

    /// The answer to an audience subscription change.
    pub struct AudienceSubscriptionResponse {
        /// Values for (typically hidden) subscription settings to store with the connection;
        /// mParticle sends them back in later membership changes. Keys must be registered.
        pub audience_subscription_settings: StringMap,
    }

    /// Users joined or left audiences (`audience_membership_change_request`).
    ///
    /// mParticle periodically sends verification requests without `user_profiles`
    /// (`user_profiles == None`); the dispatcher answers those without calling the partner.
    pub struct AudienceMembershipChangeRequest {
        /// The subscribing account and its setting values.
        pub account: Option<Account>,
        /// The users whose membership changed; `None` on verification requests.
        #[serde(skip_serializing_if = "super::list::opt_is_blank")]
        pub user_profiles: Option<List<UserProfile>>,
    }

    /// The answer to an audience membership change.
    pub struct AudienceMembershipChangeResponse {
        /// `true` faults the audience connection: mParticle stops sending until the customer
        /// resumes it. Always written.
        pub suspend_subscription: bool,
    }

    /// One user in a membership change.
    pub struct UserProfile {
        /// User identities.
        pub user_identities: List<UserIdentity>,
        /// Device identities.
        pub device_identities: List<DeviceIdentity>,
        /// Partner identities (2.2.0).
        pub partner_identities: List<PartnerIdentity>,
        /// Audiences the user was added to, removed from, or had attributes updated in.
        pub audiences: List<Audience>,
        /// The mParticle id (needs `allow_access_mpid`).
        pub mpid: Option<CompactString>,
    }

    /// One audience membership change of a user.
    pub struct Audience {
        /// The audience id.
        pub audience_id: i32,
        /// The audience name.
        pub audience_name: Option<CompactString>,
        /// The connection's subscription settings (including hidden ones the integration set).
        pub audience_subscription_settings: StringMap,
        /// Added, deleted, or attributes updated.
        pub action: Option<AudienceAction>,
        /// Shared user attributes (needs `allow_audience_user_attributes`).
        pub user_attributes: List<UserAttributeAudienceEvent>,
    }

    /// A user attribute shared with an audience.
    pub struct UserAttributeAudienceEvent {
        /// Attribute name.
        pub key: Option<CompactString>,
        /// Scalar value (absent for tags and list values).
        pub value: Option<CompactString>,
        /// Upsert or delete.
        pub action: Option<AttributeAction>,
        /// List value.
        pub list_value: List<Option<CompactString>>,
    }
}
