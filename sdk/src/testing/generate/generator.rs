//! The generator: its state, the messages it makes, and the users, accounts and consent they
//! are about.

use crate::model::StringMap;
use compact_str::CompactString;
use compact_str::ToCompactString;
use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use uuid::Uuid;

use super::events::Timeline;
use super::tables::{
    EPOCH_START_MS, FIRST_NAMES, INTERESTS, LAST_NAMES, LOCALES, Locale, PLATFORM_WEIGHTS, Platform,
};
use crate::model::*;

/// Generates realistic, deterministic Firehose messages.
///
/// Each call advances the generator's random state and its clock: two generators built from
/// the same seed produce equal sequences of messages; consecutive batches of one generator are
/// different users, later in time.
///
/// Event batches carry an account with settings, hashed and raw user identities, user
/// attributes, a runtime environment of one of the ten platforms (iOS and Android most often)
/// with plausible device fields and device identities, an mpid, and events of all sixteen types
/// in proportions like real traffic, with strictly increasing timestamps, v4 UUIDs, sessions,
/// a location on some events, exact decimal prices, and sometimes consent state, a consent
/// notification and platform fields.
#[derive(Debug, Clone)]
pub struct BatchGenerator {
    pub(super) rng: fastrand::Rng,
    pub(super) clock_ms: i64,
    account: Option<Account>,
}

/// The user a batch is about, so that every part of the batch agrees.
pub(super) struct User {
    pub(super) locale: &'static Locale,
    pub(super) email_sha256: String,
    pub(super) customer_id: String,
    pub(super) mpid: String,
    pub(super) hardware_id: String,
}

impl BatchGenerator {
    /// A generator whose output depends only on `seed`.
    pub fn new(seed: u64) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let clock_ms = EPOCH_START_MS + rng.i64(0..30 * 24 * 3_600_000);
        Self {
            rng,
            clock_ms,
            account: None,
        }
    }

    /// Uses `account` (its id and its settings) in every message instead of a generated one, as
    /// when one customer's connection sends to an integration. The random sequence is
    /// unchanged: a seed gives the same users and events with or without it.
    ///
    /// ```
    /// use mparticle_firehose::model::{Account, MessageBody};
    /// use mparticle_firehose::testing::generate::BatchGenerator;
    ///
    /// let account = Account::new(4242).with_setting("apiKey", "k-1");
    /// let batch = BatchGenerator::new(1).with_account(account.clone()).event_batch(5);
    /// let MessageBody::EventProcessingRequest(request) = batch.body else { unreachable!() };
    /// assert_eq!(request.account, Some(account));
    /// ```
    pub fn with_account(mut self, account: Account) -> Self {
        self.account = Some(account);
        self
    }

    /// An `event_processing_request` message of `n_events` events, with a generated envelope
    /// (id, a timestamp just after the last event, protocol version [`FIREHOSE_VERSION`]).
    pub fn event_batch(&mut self, n_events: usize) -> Message {
        let request = self.event_processing_request(n_events);
        self.message(request)
    }

    /// The body of [`event_batch`](Self::event_batch): one user's batch of `n_events` events.
    pub fn event_processing_request(&mut self, n_events: usize) -> EventProcessingRequest {
        let user = self.user();
        let platform = self.weighted(PLATFORM_WEIGHTS);
        let runtime = self.runtime_environment(platform, &user);
        let source_channel = match platform {
            Platform::Web => ChannelSourceType::Javascript,
            _ if self.chance(5) => ChannelSourceType::ServerToServer,
            _ => ChannelSourceType::Native,
        };

        let mut timeline = Timeline {
            now_ms: self.clock_ms,
            session_id: self.session_id(),
            session_start_ms: self.clock_ms - self.rng.i64(1_000..600_000),
        };
        let mut events = Vec::with_capacity(n_events);
        for _ in 0..n_events {
            timeline.now_ms += self.rng.i64(150..=20_000);
            events.push(self.event(&mut timeline, &user));
        }
        self.clock_ms = timeline.now_ms;

        let consent_state = self.chance(60).then(|| self.consent_state(&user));
        let system_notifications = if self.chance(10) {
            vec![self.consent_notification(&user)]
        } else {
            Vec::new()
        };
        let platform_fields = self.chance(60).then(|| self.platform_fields(platform));
        let integration_attributes = self.sometimes(20, |g| {
            [
                ("client_id", g.hex(24).into()),
                ("session_tracking", "enabled".into()),
            ]
        });
        let mut user_attribute_lists = BTreeMap::new();
        if self.chance(30) {
            let n = self.rng.usize(1..=3);
            let interests = self.rng.choose_multiple(INTERESTS.iter(), n);
            user_attribute_lists.insert(
                "interests".into(),
                interests.into_iter().map(|s| Some((*s).into())).collect(),
            );
        }

        EventProcessingRequest {
            source_id: Some(self.uuid().to_compact_string()),
            account: Some(self.account()),
            partner_identities: if self.chance(15) {
                vec![PartnerIdentity::new(
                    "partner_user_id".to_owned(),
                    IdentityEncoding::Raw,
                    format!("pu_{}", self.hex(16)),
                )]
                .into()
            } else {
                Vec::new().into()
            },
            user_identities: self.user_identities(&user).into(),
            user_attributes: self.user_attributes(&user),
            user_attribute_lists,
            runtime_environment: Some(runtime),
            integration_attributes,
            events: events.into(),
            source_channel: Some(source_channel),
            device_application_stamp: Some(self.uuid().to_compact_string()),
            consent_state,
            system_notifications: system_notifications.into(),
            mpid: Some(user.mpid.into()),
            platform_fields,
        }
    }

    /// An `audience_membership_change_request` message for `n_profiles` users, with a generated
    /// envelope.
    pub fn audience_membership_change(&mut self, n_profiles: usize) -> Message {
        let request = self.audience_membership_change_request(n_profiles);
        self.clock_ms += self.rng.i64(1_000..120_000);
        self.message(request)
    }

    /// The body of [`audience_membership_change`](Self::audience_membership_change): users of
    /// one account joining or leaving a few of its audiences.
    pub fn audience_membership_change_request(
        &mut self,
        n_profiles: usize,
    ) -> AudienceMembershipChangeRequest {
        const AUDIENCES: &[&str] = &[
            "High-value shoppers",
            "Cart abandoners (7d)",
            "Lapsed users (30d)",
            "Newsletter subscribers",
            "Running enthusiasts",
        ];
        let account = self.account();
        let first_id = self.rng.i32(10_000..90_000);
        let audiences: Vec<(i32, &str, CompactString)> = AUDIENCES
            .iter()
            .enumerate()
            .map(|(i, name)| (first_id + i as i32 * 7, *name, self.hex(10).into()))
            .collect();
        let mut profiles = Vec::with_capacity(n_profiles);
        for _ in 0..n_profiles {
            let user = self.user();
            let n = self.rng.usize(1..=3);
            let chosen = self.rng.choose_multiple(audiences.iter(), n);
            let memberships = chosen
                .into_iter()
                .map(|(id, name, list_id)| {
                    let action = self.weighted(&[
                        (AudienceAction::Add, 70),
                        (AudienceAction::Delete, 25),
                        (AudienceAction::AttributeUpdate, 5),
                    ]);
                    let user_attributes = if self.chance(30) {
                        self.audience_user_attributes(&user)
                    } else {
                        Vec::new()
                    };
                    Audience {
                        audience_id: *id,
                        audience_name: Some((*name).into()),
                        audience_subscription_settings: StringMap::from([(
                            "list_id",
                            list_id.clone(),
                        )]),
                        action: Some(action),
                        user_attributes: user_attributes.into(),
                    }
                })
                .collect();
            let platform = self.weighted(PLATFORM_WEIGHTS);
            profiles.push(UserProfile {
                user_identities: self.user_identities(&user).into(),
                device_identities: self.device_identities(platform).into(),
                partner_identities: Vec::new().into(),
                audiences: memberships,
                mpid: Some(user.mpid.into()),
            });
        }
        AudienceMembershipChangeRequest {
            account: Some(account),
            user_profiles: Some(profiles.into()),
        }
    }

    // ---- building blocks ----

    fn message(&mut self, body: impl Into<MessageBody>) -> Message {
        self.clock_ms += self.rng.i64(500..60_000);
        Message {
            envelope: Envelope {
                id: Some(self.uuid()),
                timestamp_ms: Some(self.clock_ms),
                firehose_version: Some(FIREHOSE_VERSION.into()),
            },
            body: body.into(),
        }
    }

    fn user(&mut self) -> User {
        User {
            locale: self.pick_ref(LOCALES),
            email_sha256: self.hex(64),
            customer_id: format!("C{:08}", self.rng.u32(1..100_000_000)),
            // mpids are signed 64-bit integers, carried as strings.
            mpid: self.rng.i64(..).to_string(),
            hardware_id: self.uuid().to_string().to_uppercase(),
        }
    }

    fn account(&mut self) -> Account {
        let generated = self.generated_account();
        self.account.clone().unwrap_or(generated)
    }

    fn generated_account(&mut self) -> Account {
        Account::new(self.rng.i32(1_000..999_999))
            .with_setting("api_key", self.hex(32))
            .with_setting(
                "region",
                self.pick(&["us-east-1", "eu-west-1", "ap-southeast-2"]),
            )
            .with_setting("forward_location", self.pick(&["true", "false"]))
            .with_setting("event_name_prefix", "mp_")
    }

    fn user_identities(&mut self, user: &User) -> Vec<UserIdentity> {
        let mut identities = vec![
            UserIdentity::new(
                UserIdentityType::Email,
                IdentityEncoding::Sha256,
                user.email_sha256.clone(),
            ),
            UserIdentity::new(
                UserIdentityType::Customer,
                IdentityEncoding::Raw,
                user.customer_id.clone(),
            ),
        ];
        if self.chance(25) {
            identities.push(UserIdentity::new(
                UserIdentityType::MobileNumber,
                IdentityEncoding::Sha256,
                self.hex(64),
            ));
        }
        identities
    }

    fn user_attributes(&mut self, user: &User) -> StringMap {
        let mut attributes = StringMap::new();
        let mut put = |k: &str, v: CompactString| {
            attributes.insert(k.into(), v);
        };
        put("$FirstName", self.pick(FIRST_NAMES).into());
        put("$LastName", self.pick(LAST_NAMES).into());
        put("$City", user.locale.city.into());
        put("$Country", user.locale.country.into());
        if self.chance(60) {
            put("$Age", self.rng.u8(18..75).to_compact_string());
            put("$Gender", self.pick(&["F", "M"]).into());
        }
        put("plan", self.pick(&["free", "plus", "premium"]).into());
        put(
            "loyalty_points",
            self.rng.u32(0..20_000).to_compact_string(),
        );
        if self.chance(50) {
            put("newsletter_opt_in", self.pick(&["true", "false"]).into());
        }
        attributes
    }

    fn audience_user_attributes(&mut self, user: &User) -> Vec<UserAttributeAudienceEvent> {
        let n = self.rng.usize(1..=3);
        let interests = self
            .rng
            .choose_multiple(INTERESTS.iter(), n)
            .into_iter()
            .map(|s| Some((*s).into()))
            .collect();
        vec![
            UserAttributeAudienceEvent {
                key: Some("plan".into()),
                value: Some(self.pick(&["free", "plus", "premium"]).into()),
                action: Some(AttributeAction::Upsert),
                list_value: Vec::new().into(),
            },
            UserAttributeAudienceEvent {
                key: Some("$Country".into()),
                value: Some(user.locale.country.into()),
                action: Some(AttributeAction::Upsert),
                list_value: Vec::new().into(),
            },
            UserAttributeAudienceEvent {
                key: Some("interests".into()),
                value: None,
                action: Some(if self.chance(90) {
                    AttributeAction::Upsert
                } else {
                    AttributeAction::Delete
                }),
                list_value: interests,
            },
        ]
    }

    fn consent(&mut self, user: &User, timestamp_ms: i64) -> Consent {
        Consent {
            consented: self.chance(70),
            document: Some(
                self.pick(&["privacy_policy_v3", "privacy_policy_v4"])
                    .into(),
            ),
            timestamp_unixtime_ms: Some(timestamp_ms),
            location: Some("https://shop.example.com/privacy".into()),
            hardware_id: Some(user.hardware_id.as_str().into()),
        }
    }

    fn consent_state(&mut self, user: &User) -> ConsentState {
        let given_ms = self.clock_ms - self.rng.i64(86_400_000..90 * 86_400_000);
        let mut state = ConsentState::default();
        for purpose in ["marketing", "analytics"] {
            let consent = self.consent(user, given_ms);
            state.gdpr_consent_state.insert(purpose.to_owned(), consent);
        }
        if self.chance(40) {
            let consent = self.consent(user, given_ms);
            state
                .ccpa_consent_state
                .insert(DEFAULT_CCPA_PURPOSE.to_owned(), consent);
        }
        state
    }

    fn consent_notification(&mut self, user: &User) -> SystemNotification {
        let old = self.consent(user, self.clock_ms - 30 * 86_400_000);
        let mut new = self.consent(user, self.clock_ms);
        new.consented = !old.consented;
        if self.chance(70) {
            SystemNotification::GdprConsentState(GdprConsentStateNotification {
                purpose: Some("marketing".into()),
                old_gdpr_consent_state: Some(old),
                new_gdpr_consent_state: Some(new),
            })
        } else {
            SystemNotification::CcpaConsentState(CcpaConsentStateNotification {
                purpose: Some(DEFAULT_CCPA_PURPOSE.into()),
                old_ccpa_consent_state: Some(old),
                new_ccpa_consent_state: Some(new),
            })
        }
    }

    fn platform_fields(&mut self, platform: Platform) -> PlatformFields {
        let input_name = match platform {
            Platform::Ios => "iOS",
            Platform::Android => "Android",
            Platform::Web => "Web",
            Platform::Tvos => "tvOS",
            Platform::Roku => "Roku",
            Platform::FireTv => "Fire TV",
            Platform::Xbox => "Xbox",
            Platform::SmartTv => "Smart TV",
            Platform::Alexa => "Alexa",
            Platform::Unknown => "Custom Feed",
        };
        PlatformFields {
            mp_account_id: self.rng.i32(1_000..99_999),
            mp_account_name: Some("Acme Retail".into()),
            workspace_id: self.rng.i32(10_000..99_999),
            workspace_name: Some(self.pick(&["Production", "Staging"]).into()),
            input_name: Some(input_name.into()),
            app_name: Some("Acme Shop".into()),
            app_version: Some(self.app_version()),
            dataplan_id: Some("acme_master_plan".into()),
            dataplan_name: Some("Acme Master Plan".into()),
            dataplan_version: Some(self.rng.i32(1..=12)),
        }
    }

    // ---- primitives ----

    /// A v4 UUID from the seeded generator.
    pub(super) fn uuid(&mut self) -> Uuid {
        let mut bytes = [0u8; 16];
        self.rng.fill(&mut bytes);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    /// `len` lower-case hex digits (a SHA-256 digest is 64).
    pub(super) fn hex(&mut self, len: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        (0..len)
            .map(|_| char::from(DIGITS[self.rng.usize(..16)]))
            .collect()
    }

    /// `len` characters of a push-token alphabet.
    pub(super) fn token(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| match self.rng.u8(0..64) {
                62 => '-',
                63 => '_',
                _ => self.rng.alphanumeric(),
            })
            .collect()
    }

    pub(super) fn session_id(&mut self) -> i64 {
        self.rng.i64(1_000_000_000_000_000..i64::MAX)
    }

    pub(super) fn app_version(&mut self) -> CompactString {
        compact_str::format_compact!("4.{}.{}", self.rng.u8(10..=14), self.rng.u8(0..4))
    }

    /// A coordinate near `center`, with five decimals (about a meter).
    pub(super) fn jitter(&mut self, center: f64) -> f64 {
        let offset = f64::from(self.rng.i32(-5_000..=5_000)) / 100_000.0;
        ((center + offset) * 100_000.0).round() / 100_000.0
    }

    /// True with probability `percent`/100.
    pub(super) fn chance(&mut self, percent: u8) -> bool {
        self.rng.u8(0..100) < percent
    }

    /// The entries `make` gives (drawn after the chance), with probability `percent`/100; no
    /// entries otherwise.
    pub(super) fn sometimes<const N: usize>(
        &mut self,
        percent: u8,
        make: impl FnOnce(&mut Self) -> [(&'static str, CompactString); N],
    ) -> StringMap {
        if self.chance(percent) {
            make(self).into_iter().collect()
        } else {
            StringMap::new()
        }
    }

    /// A count drawn from `counts`, then that many items, each made from its index.
    pub(super) fn several<T>(
        &mut self,
        counts: RangeInclusive<usize>,
        mut item: impl FnMut(&mut Self, usize) -> T,
    ) -> Vec<T> {
        let n = self.rng.usize(counts);
        (0..n).map(|i| item(self, i)).collect()
    }

    pub(super) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.usize(..items.len())]
    }

    /// One of `items`, owned, as an optional model string.
    pub(super) fn pick_some(&mut self, items: &[&str]) -> Option<CompactString> {
        Some(self.pick(items).into())
    }

    pub(super) fn pick_ref<T>(&mut self, items: &'static [T]) -> &'static T {
        &items[self.rng.usize(..items.len())]
    }

    pub(super) fn weighted<T: Clone>(&mut self, table: &[(T, u32)]) -> T {
        let total: u32 = table.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.u32(..total);
        for (value, weight) in table {
            if roll < *weight {
                return value.clone();
            }
            roll -= weight;
        }
        table[table.len() - 1].0.clone()
    }
}
