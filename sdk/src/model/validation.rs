//! Registration checks: what mParticle rejects or silently misbehaves on, found before the
//! function serves its first request.

use compact_str::CompactString;
use std::collections::HashSet;
use std::fmt;

use super::enums::DsrType;
use super::event::EventType;
use super::registration::{
    AudienceProcessingRegistration, DsrProcessingRegistration, EventProcessingRegistration,
    ModuleRegistrationResponse, Setting,
};

/// The longest description mParticle accepts, in characters (it must be shorter than 230).
pub const MAX_DESCRIPTION_CHARS: usize = 229;

/// One problem with a registration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationViolation {
    /// `name` is missing or empty.
    #[error("the registration has no name")]
    MissingName,
    /// `version` is missing or empty.
    #[error("the registration has no version")]
    MissingVersion,
    /// `description` is 230 characters or longer.
    #[error("the description has {chars} characters; mParticle requires fewer than 230")]
    DescriptionTooLong {
        /// Its length in characters.
        chars: usize,
    },
    /// A setting has an empty or missing `id`.
    #[error("a setting in {list} has no id")]
    EmptySettingId {
        /// The settings list (e.g. `event_processing_registration.account_settings`).
        list: String,
    },
    /// A setting has an empty or missing `name`.
    #[error("setting {id:?} in {list} has no name")]
    EmptySettingName {
        /// The settings list.
        list: String,
        /// The setting id.
        id: String,
    },
    /// Two settings of one list share an id.
    #[error("setting id {id:?} appears more than once in {list}")]
    DuplicateSettingId {
        /// The settings list.
        list: String,
        /// The repeated id.
        id: String,
    },
    /// `push_message_receipt` is supported without `push_messaging_provider_id`.
    #[error("push_message_receipt is supported but push_messaging_provider_id is not set")]
    MissingPushMessagingProviderId,
    /// More than one partner identity permission.
    #[error("{count} partner identity permissions are registered; mParticle allows one")]
    TooManyPartnerIdentities {
        /// How many are registered.
        count: usize,
    },
    /// A DSR type other than `erasure`.
    #[error("DSR type {value:?} is not supported; only erasure is")]
    UnsupportedDsrType {
        /// The type.
        value: String,
    },
    /// `max_data_age_hours` is neither -1 nor positive.
    #[error("max_data_age_hours is {value}; it must be -1 (all data) or positive")]
    InvalidMaxDataAge {
        /// The value.
        value: i32,
    },
    /// An event type that needs a permission is supported without it.
    #[error("{event_type} is supported but needs the {permission} permission")]
    MissingPermission {
        /// The event type.
        event_type: String,
        /// What it needs.
        permission: &'static str,
    },
    /// A value the protocol does not know (an `Other` enum value).
    #[error("{field} contains {value:?}, which is not a known value")]
    UnknownValue {
        /// Where.
        field: &'static str,
        /// The value.
        value: String,
    },
}

/// Every violation of a registration, at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RegistrationErrors(pub Vec<RegistrationViolation>);

impl fmt::Display for RegistrationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the registration is invalid:")?;
        for v in &self.0 {
            write!(f, "\n  - {v}")?;
        }
        Ok(())
    }
}

impl ModuleRegistrationResponse {
    /// Checks the registration against mParticle's rules and returns every violation found.
    pub fn validate(&self) -> Result<(), RegistrationErrors> {
        let mut found = Vec::new();
        let blank = |s: &Option<CompactString>| s.as_deref().is_none_or(|s| s.trim().is_empty());
        if blank(&self.name) {
            found.push(RegistrationViolation::MissingName);
        }
        if blank(&self.version) {
            found.push(RegistrationViolation::MissingVersion);
        }
        if let Some(d) = &self.description {
            let chars = d.chars().count();
            if chars > MAX_DESCRIPTION_CHARS {
                found.push(RegistrationViolation::DescriptionTooLong { chars });
            }
        }
        let permissions = self.permissions.clone().unwrap_or_default();
        if permissions.partner_identities.len() > 1 {
            found.push(RegistrationViolation::TooManyPartnerIdentities {
                count: permissions.partner_identities.len(),
            });
        }
        if let Some(ev) = &self.event_processing_registration {
            check_settings(ev.setting_lists(), &mut found);
            if ev.max_data_age_hours != -1 && ev.max_data_age_hours <= 0 {
                found.push(RegistrationViolation::InvalidMaxDataAge {
                    value: ev.max_data_age_hours,
                });
            }
            for t in &ev.supported_event_types {
                match t {
                    EventType::PushMessageReceipt if blank(&ev.push_messaging_provider_id) => {
                        found.push(RegistrationViolation::MissingPushMessagingProviderId);
                    }
                    EventType::UserAttributeChange if !permissions.allow_user_attributes => {
                        found.push(RegistrationViolation::MissingPermission {
                            event_type: t.to_string(),
                            permission: "allow_user_attributes",
                        });
                    }
                    EventType::UserIdentityChange if permissions.user_identities.is_empty() => {
                        found.push(RegistrationViolation::MissingPermission {
                            event_type: t.to_string(),
                            permission: "user_identities (at least one user identity)",
                        });
                    }
                    EventType::Other(value) => found.push(RegistrationViolation::UnknownValue {
                        field: "supported_event_types",
                        value: value.clone(),
                    }),
                    _ => {}
                }
            }
            let runtimes = ev.supported_runtime_environments.iter();
            let unknown_runtimes = runtimes
                .filter(|r| !r.is_known())
                .map(|r| ("supported_runtime_environments", r.to_string()));
            let notifications = ev.supported_system_notification_types.iter();
            let unknown_notifications = notifications
                .filter(|n| !n.is_known())
                .map(|n| ("supported_system_notification_types", n.to_string()));
            for (field, value) in unknown_runtimes.chain(unknown_notifications) {
                found.push(RegistrationViolation::UnknownValue { field, value });
            }
        }
        if let Some(au) = &self.audience_processing_registration {
            check_settings(au.setting_lists(), &mut found);
        }
        if let Some(dsr) = &self.dsr_processing_registration {
            check_settings(dsr.setting_lists(), &mut found);
            for t in dsr
                .supported_dsr_types
                .iter()
                .filter(|t| **t != DsrType::Erasure)
            {
                found.push(RegistrationViolation::UnsupportedDsrType {
                    value: t.to_string(),
                });
            }
        }
        if found.is_empty() {
            Ok(())
        } else {
            Err(RegistrationErrors(found))
        }
    }

    /// Every setting the registration declares, from all lists.
    pub fn all_settings(&self) -> impl Iterator<Item = &Setting> {
        let ev = self
            .event_processing_registration
            .iter()
            .flat_map(EventProcessingRegistration::setting_lists);
        let au = self
            .audience_processing_registration
            .iter()
            .flat_map(AudienceProcessingRegistration::setting_lists);
        let dsr = self
            .dsr_processing_registration
            .iter()
            .flat_map(DsrProcessingRegistration::setting_lists);
        ev.chain(au).chain(dsr).flat_map(|(_, settings)| settings)
    }
}

/// Each settings list of a registration, with its path for violations.
type SettingLists<'a, const N: usize> = [(&'static str, &'a [Setting]); N];

impl EventProcessingRegistration {
    fn setting_lists(&self) -> SettingLists<'_, 2> {
        [
            (
                "event_processing_registration.account_settings",
                &self.account_settings,
            ),
            (
                "event_processing_registration.event_connection_settings",
                &self.event_connection_settings,
            ),
        ]
    }
}

impl AudienceProcessingRegistration {
    fn setting_lists(&self) -> SettingLists<'_, 2> {
        [
            (
                "audience_processing_registration.account_settings",
                &self.account_settings,
            ),
            (
                "audience_processing_registration.audience_subscription_settings",
                &self.audience_subscription_settings,
            ),
        ]
    }
}

impl DsrProcessingRegistration {
    fn setting_lists(&self) -> SettingLists<'_, 1> {
        [(
            "dsr_processing_registration.account_settings",
            &self.account_settings,
        )]
    }
}

fn check_settings<const N: usize>(
    lists: SettingLists<'_, N>,
    found: &mut Vec<RegistrationViolation>,
) {
    for (list, settings) in lists {
        check_list(list, settings, found);
    }
}

fn check_list(list: &str, settings: &[Setting], found: &mut Vec<RegistrationViolation>) {
    let mut seen = HashSet::new();
    for s in settings {
        let id = s.header.id.as_deref().unwrap_or_default();
        if id.trim().is_empty() {
            found.push(RegistrationViolation::EmptySettingId {
                list: list.to_owned(),
            });
            continue;
        }
        if s.header.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            found.push(RegistrationViolation::EmptySettingName {
                list: list.to_owned(),
                id: id.to_owned(),
            });
        }
        if !seen.insert(id) {
            found.push(RegistrationViolation::DuplicateSettingId {
                list: list.to_owned(),
                id: id.to_owned(),
            });
        }
    }
}
