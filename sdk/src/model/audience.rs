//! Audiences: subscription (connection) changes and membership changes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::account::Account;
use super::enums::{AttributeAction, AudienceAction, SubscriptionAction};
use super::identity::{DeviceIdentity, PartnerIdentity, UserIdentity};
use crate::codec::lenient as l;

/// A customer connected, updated or removed an audience connection
/// (`audience_subscription_request`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AudienceSubscriptionRequest {
    /// The subscribing account and its setting values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
    /// The audience id.
    #[serde(default, deserialize_with = "l::i32")]
    pub audience_id: i32,
    /// The audience name.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub audience_name: Option<String>,
    /// The audience description.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub audience_description: Option<String>,
    /// Current values of the connection's settings.
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub audience_subscription_settings: BTreeMap<String, String>,
    /// Previous values, on update.
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub previous_audience_subscription_settings: BTreeMap<String, String>,
    /// What happened to the connection.
    #[serde(default, deserialize_with = "l::opt_enum", skip_serializing_if = "Option::is_none")]
    pub action: Option<SubscriptionAction>,
}

/// The answer to an audience subscription change.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AudienceSubscriptionResponse {
    /// Values for (typically hidden) subscription settings to store with the connection;
    /// mParticle sends them back in later membership changes. Keys must be registered.
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub audience_subscription_settings: BTreeMap<String, String>,
}

/// Users joined or left audiences (`audience_membership_change_request`).
///
/// mParticle periodically sends verification requests without `user_profiles`
/// (`user_profiles == None`); the dispatcher answers those without calling the partner.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AudienceMembershipChangeRequest {
    /// The subscribing account and its setting values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
    /// The users whose membership changed; `None` on verification requests.
    #[serde(default, skip_serializing_if = "l::opt_vec_is_empty")]
    pub user_profiles: Option<Vec<UserProfile>>,
}

/// The answer to an audience membership change.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AudienceMembershipChangeResponse {
    /// `true` faults the audience connection: mParticle stops sending until the customer
    /// resumes it. Always written.
    #[serde(default, deserialize_with = "l::bool")]
    pub suspend_subscription: bool,
}

/// One user in a membership change.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UserProfile {
    /// User identities.
    #[serde(default, deserialize_with = "l::vec", skip_serializing_if = "Vec::is_empty")]
    pub user_identities: Vec<UserIdentity>,
    /// Device identities.
    #[serde(default, deserialize_with = "l::vec", skip_serializing_if = "Vec::is_empty")]
    pub device_identities: Vec<DeviceIdentity>,
    /// Partner identities (2.2.0).
    #[serde(default, deserialize_with = "l::vec", skip_serializing_if = "Vec::is_empty")]
    pub partner_identities: Vec<PartnerIdentity>,
    /// Audiences the user was added to, removed from, or had attributes updated in.
    #[serde(default, deserialize_with = "l::vec", skip_serializing_if = "Vec::is_empty")]
    pub audiences: Vec<Audience>,
    /// The mParticle id (needs `allow_access_mpid`).
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub mpid: Option<String>,
}

/// One audience membership change of a user.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Audience {
    /// The audience id.
    #[serde(default, deserialize_with = "l::i32")]
    pub audience_id: i32,
    /// The audience name.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub audience_name: Option<String>,
    /// The connection's subscription settings (including hidden ones the integration set).
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub audience_subscription_settings: BTreeMap<String, String>,
    /// Added, deleted, or attributes updated.
    #[serde(default, deserialize_with = "l::opt_enum", skip_serializing_if = "Option::is_none")]
    pub action: Option<AudienceAction>,
    /// Shared user attributes (needs `allow_audience_user_attributes`).
    #[serde(default, deserialize_with = "l::vec", skip_serializing_if = "Vec::is_empty")]
    pub user_attributes: Vec<UserAttributeAudienceEvent>,
}

/// A user attribute shared with an audience.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UserAttributeAudienceEvent {
    /// Attribute name.
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub key: Option<String>,
    /// Scalar value (absent for tags and list values).
    #[serde(default, deserialize_with = "l::string", skip_serializing_if = "l::is_blank")]
    pub value: Option<String>,
    /// Upsert or delete.
    #[serde(default, deserialize_with = "l::opt_enum", skip_serializing_if = "Option::is_none")]
    pub action: Option<AttributeAction>,
    /// List value.
    #[serde(default, deserialize_with = "l::string_list", skip_serializing_if = "Vec::is_empty")]
    pub list_value: Vec<String>,
}
