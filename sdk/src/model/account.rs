//! The subscribing mParticle account and the values of its settings.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use super::string_map::StringMap;
use crate::codec::lenient as l;

/// The mParticle account a request is for, with the values of the settings the integration
/// registered (keyed by setting `id`; values are always strings on the wire).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// The numeric mParticle account id.
    #[serde(default, deserialize_with = "l::i32")]
    pub account_id: i32,
    /// Setting values by setting id: account settings, and for event batches the connection
    /// settings too.
    #[serde(
        default,
        deserialize_with = "l::string_map",
        serialize_with = "l::write_string_map",
        skip_serializing_if = "l::map_is_blank"
    )]
    pub account_settings: StringMap,
}

impl Account {
    /// An account with no settings.
    pub fn new(account_id: i32) -> Self {
        Self {
            account_id,
            account_settings: StringMap::new(),
        }
    }

    /// Adds a setting value.
    pub fn with_setting(
        mut self,
        id: impl Into<CompactString>,
        value: impl Into<CompactString>,
    ) -> Self {
        self.account_settings.insert(id.into(), value.into());
        self
    }
}

/// Setting values are never printed: which settings are confidential is known to the
/// registration, not to the account. `Debug` lists the setting ids with `<redacted>` values;
/// a request context's `settings()` prints the values that are not confidential.
impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        struct Redacted<'a>(&'a StringMap);
        impl std::fmt::Debug for Redacted<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_map()
                    .entries(self.0.keys().map(|id| (id, "<redacted>")))
                    .finish()
            }
        }
        f.debug_struct("Account")
            .field("account_id", &self.account_id)
            .field("account_settings", &Redacted(&self.account_settings))
            .finish()
    }
}
