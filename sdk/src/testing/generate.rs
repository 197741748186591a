//! Deterministic, realistic Firehose messages for tests, fixtures and benchmarks.
//!
//! A [`BatchGenerator`] built from a seed always produces the same sequence of messages (ids
//! included: UUIDs come from the seeded generator, not from the system), so a generated batch can
//! be used as a fixture, a snapshot or a benchmark input.
//!
//! ```
//! use mparticle_firehose::testing::generate::BatchGenerator;
//!
//! let mut generator = BatchGenerator::new(42);
//! let batch = generator.event_batch(100);
//! let bytes = batch.encode()?;
//! assert_eq!(mparticle_firehose::Message::decode(&bytes)?, batch);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use uuid::Uuid;

use crate::model::*;

/// 2025-11-01T00:00:00Z in epoch milliseconds: where generated clocks start.
const EPOCH_START_MS: i64 = 1_761_955_200_000;

/// Event kinds and their weights (per mille), shaped like real app traffic: screen views and
/// custom events dominate, sessions and app state changes are frequent, commerce and the rest
/// are rarer. Every kind has enough weight to occur in a few hundred events.
const EVENT_WEIGHTS: &[(Kind, u32)] = &[
    (Kind::ScreenView, 270),
    (Kind::Custom, 250),
    (Kind::SessionStart, 80),
    (Kind::SessionEnd, 75),
    (Kind::ApplicationStateTransition, 60),
    (Kind::ProductAction, 70),
    (Kind::UserAttributeChange, 35),
    (Kind::Impression, 25),
    (Kind::PromotionAction, 20),
    (Kind::Error, 20),
    (Kind::PushMessageReceipt, 20),
    (Kind::PushMessageOpen, 15),
    (Kind::PushSubscription, 15),
    (Kind::UserIdentityChange, 15),
    (Kind::PrivacySettingChange, 15),
    (Kind::Attribution, 15),
];

/// Platforms and their weights (percent): mobile apps first, then the web, then the rest.
const PLATFORM_WEIGHTS: &[(Platform, u32)] = &[
    (Platform::Ios, 34),
    (Platform::Android, 34),
    (Platform::Web, 12),
    (Platform::Tvos, 4),
    (Platform::Roku, 4),
    (Platform::FireTv, 4),
    (Platform::SmartTv, 3),
    (Platform::Xbox, 2),
    (Platform::Alexa, 2),
    (Platform::Unknown, 1),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    SessionStart,
    SessionEnd,
    Custom,
    ScreenView,
    Error,
    PrivacySettingChange,
    UserAttributeChange,
    UserIdentityChange,
    PushSubscription,
    ApplicationStateTransition,
    PushMessageReceipt,
    ProductAction,
    PromotionAction,
    Impression,
    Attribution,
    PushMessageOpen,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Platform {
    Unknown,
    Android,
    Ios,
    Tvos,
    Web,
    Roku,
    Xbox,
    FireTv,
    Alexa,
    SmartTv,
}

/// Where a user is: country, language, time zone, mobile network, a city and its currency.
struct Locale {
    country: &'static str,
    language: &'static str,
    timezone: &'static str,
    utc_offset_hours: i32,
    carrier: &'static str,
    mcc: &'static str,
    mnc: &'static str,
    city: &'static str,
    latitude: f64,
    longitude: f64,
    currency: &'static str,
}

const LOCALES: &[Locale] = &[
    Locale {
        country: "US",
        language: "en",
        timezone: "America/New_York",
        utc_offset_hours: -5,
        carrier: "Verizon",
        mcc: "311",
        mnc: "480",
        city: "New York",
        latitude: 40.7128,
        longitude: -74.006,
        currency: "USD",
    },
    Locale {
        country: "US",
        language: "en",
        timezone: "America/Los_Angeles",
        utc_offset_hours: -8,
        carrier: "T-Mobile",
        mcc: "310",
        mnc: "260",
        city: "Los Angeles",
        latitude: 34.0522,
        longitude: -118.2437,
        currency: "USD",
    },
    Locale {
        country: "CA",
        language: "en",
        timezone: "America/Toronto",
        utc_offset_hours: -5,
        carrier: "Rogers",
        mcc: "302",
        mnc: "720",
        city: "Toronto",
        latitude: 43.6532,
        longitude: -79.3832,
        currency: "CAD",
    },
    Locale {
        country: "GB",
        language: "en",
        timezone: "Europe/London",
        utc_offset_hours: 0,
        carrier: "EE",
        mcc: "234",
        mnc: "30",
        city: "London",
        latitude: 51.5074,
        longitude: -0.1278,
        currency: "GBP",
    },
    Locale {
        country: "DE",
        language: "de",
        timezone: "Europe/Berlin",
        utc_offset_hours: 1,
        carrier: "Telekom.de",
        mcc: "262",
        mnc: "01",
        city: "Berlin",
        latitude: 52.52,
        longitude: 13.405,
        currency: "EUR",
    },
    Locale {
        country: "FR",
        language: "fr",
        timezone: "Europe/Paris",
        utc_offset_hours: 1,
        carrier: "Orange F",
        mcc: "208",
        mnc: "01",
        city: "Paris",
        latitude: 48.8566,
        longitude: 2.3522,
        currency: "EUR",
    },
    Locale {
        country: "BR",
        language: "pt",
        timezone: "America/Sao_Paulo",
        utc_offset_hours: -3,
        carrier: "Vivo",
        mcc: "724",
        mnc: "06",
        city: "São Paulo",
        latitude: -23.5505,
        longitude: -46.6333,
        currency: "BRL",
    },
    Locale {
        country: "AU",
        language: "en",
        timezone: "Australia/Sydney",
        utc_offset_hours: 10,
        carrier: "Telstra",
        mcc: "505",
        mnc: "01",
        city: "Sydney",
        latitude: -33.8688,
        longitude: 151.2093,
        currency: "AUD",
    },
];

/// A catalog product: SKU, name, brand, category, variants, unit price in cents.
type CatalogItem = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    i64,
);

#[rustfmt::skip]
const CATALOG: &[CatalogItem] = &[
    ("SKU-10231", "Trail Runner 2", "Stride", "Shoes/Running", &["9", "10", "11"], 12_999),
    ("SKU-10877", "Everyday Tee", "Basics Co", "Apparel/Tops", &["S", "M", "L", "XL"], 1_999),
    ("SKU-11402", "Rain Shell Jacket", "Northline", "Apparel/Outerwear", &["M", "L"], 8_950),
    ("SKU-12055", "Wool Beanie", "Northline", "Accessories/Hats", &["Grey", "Navy"], 2_400),
    ("SKU-13310", "Insulated Bottle 750ml", "Hydra", "Gear/Bottles", &["Steel", "Black"], 3_499),
    ("SKU-14021", "Canvas Backpack", "Carryall", "Bags/Backpacks", &["Olive", "Sand"], 6_500),
    ("SKU-15500", "Running Socks 3-pack", "Stride", "Apparel/Socks", &["M", "L"], 1_450),
    ("SKU-16789", "Wireless Earbuds", "Sonique", "Electronics/Audio", &["White"], 7_999),
    ("SKU-17204", "Yoga Mat", "Flowfit", "Gear/Fitness", &["Purple", "Teal"], 3_995),
    ("SKU-18830", "Fleece Hoodie", "Basics Co", "Apparel/Tops", &["S", "M", "L"], 4_999),
];

/// iPhones and iPads: model id, name, screen height and width, iOS version.
#[rustfmt::skip]
const IOS_MODELS: &[(&str, &str, i32, i32, &str)] = &[
    ("iPhone15,2", "iPhone 14 Pro", 2556, 1179, "17.4.1"),
    ("iPhone14,5", "iPhone 13", 2532, 1170, "16.7.5"),
    ("iPhone16,1", "iPhone 15 Pro", 2556, 1179, "18.1"),
    ("iPhone12,8", "iPhone SE (2nd generation)", 1334, 750, "17.6.1"),
    ("iPad13,18", "iPad (10th generation)", 2360, 1640, "17.2"),
];

/// An Android device: brand, model, name, product, screen height, width and dpi, Android
/// version, API level.
type AndroidModel = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i32,
    i32,
    i32,
    &'static str,
    i32,
);

#[rustfmt::skip]
const ANDROID_MODELS: &[AndroidModel] = &[
    ("samsung", "SM-S918B", "Galaxy S23 Ultra", "dm3qxxx", 3088, 1440, 500, "14", 34),
    ("Google", "Pixel 8", "Pixel 8", "shiba", 2400, 1080, 420, "14", 34),
    ("motorola", "moto g power (2022)", "moto g power", "tonga_g", 1600, 720, 280, "12", 31),
    ("OnePlus", "CPH2449", "OnePlus 11", "salami", 3216, 1440, 525, "13", 33),
    ("samsung", "SM-X200", "Galaxy Tab A8", "gta8wifixx", 1920, 1200, 240, "13", 33),
    ("Xiaomi", "2201117TY", "Redmi Note 11", "spes", 2400, 1080, 440, "13", 33),
];

const SCREENS: &[&str] = &[
    "Home",
    "Search",
    "Search Results",
    "Product Detail",
    "Cart",
    "Checkout",
    "Order Confirmation",
    "Account",
    "Wishlist",
    "Settings",
    "Category/Shoes",
    "Category/Apparel",
    "Onboarding/Welcome",
];

const CUSTOM_EVENTS: &[(&str, &str)] = &[
    ("Search Performed", "search"),
    ("Filter Applied", "navigation"),
    ("Tab Selected", "navigation"),
    ("Video Played", "media"),
    ("Article Shared", "social"),
    ("Review Submitted", "user_content"),
    ("Notification Preferences Updated", "user_preference"),
    ("Store Locator Opened", "location"),
    ("Coupon Applied", "transaction"),
    ("Sign Up Completed", "other"),
    ("App Rated", "unknown"),
];

const FIRST_NAMES: &[&str] = &[
    "Ava", "Liam", "Noah", "Emma", "Mia", "Lucas", "Sofia", "Hugo", "Léa", "Yuki", "Ines", "Omar",
];
const LAST_NAMES: &[&str] = &[
    "Smith", "Garcia", "Müller", "Martin", "Silva", "Brown", "Dubois", "Nguyen", "Kowalski",
];
const INTERESTS: &[&str] = &[
    "running", "outdoors", "fitness", "audio", "travel", "fashion",
];

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
    rng: fastrand::Rng,
    clock_ms: i64,
    account: Option<Account>,
}

/// The user a batch is about, so that every part of the batch agrees.
struct User {
    locale: &'static Locale,
    email_sha256: String,
    customer_id: String,
    mpid: String,
    hardware_id: String,
}

/// The running state of one batch's timeline.
struct Timeline {
    now_ms: i64,
    session_id: i64,
    session_start_ms: i64,
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
        let mut integration_attributes = BTreeMap::new();
        if self.chance(20) {
            integration_attributes.insert("client_id".to_owned(), self.hex(24));
            integration_attributes.insert("session_tracking".to_owned(), "enabled".to_owned());
        }
        let mut user_attribute_lists = BTreeMap::new();
        if self.chance(30) {
            let n = self.rng.usize(1..=3);
            let interests = self.rng.choose_multiple(INTERESTS.iter(), n);
            user_attribute_lists.insert(
                "interests".to_owned(),
                interests.into_iter().map(|s| (*s).to_owned()).collect(),
            );
        }

        EventProcessingRequest {
            source_id: Some(self.uuid().to_string()),
            account: Some(self.account()),
            partner_identities: if self.chance(15) {
                vec![PartnerIdentity::new(
                    "partner_user_id".to_owned(),
                    IdentityEncoding::Raw,
                    format!("pu_{}", self.hex(16)),
                )]
            } else {
                Vec::new()
            },
            user_identities: self.user_identities(&user),
            user_attributes: self.user_attributes(&user),
            user_attribute_lists,
            runtime_environment: Some(runtime),
            integration_attributes,
            events,
            source_channel: Some(source_channel),
            device_application_stamp: Some(self.uuid().to_string()),
            consent_state,
            system_notifications,
            mpid: Some(user.mpid),
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
        let audiences: Vec<(i32, &str, String)> = AUDIENCES
            .iter()
            .enumerate()
            .map(|(i, name)| (first_id + i as i32 * 7, *name, self.hex(10)))
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
                        audience_name: Some((*name).to_owned()),
                        audience_subscription_settings: BTreeMap::from([(
                            "list_id".to_owned(),
                            list_id.clone(),
                        )]),
                        action: Some(action),
                        user_attributes,
                    }
                })
                .collect();
            let platform = self.weighted(PLATFORM_WEIGHTS);
            profiles.push(UserProfile {
                user_identities: self.user_identities(&user),
                device_identities: self.device_identities(platform),
                partner_identities: Vec::new(),
                audiences: memberships,
                mpid: Some(user.mpid),
            });
        }
        AudienceMembershipChangeRequest {
            account: Some(account),
            user_profiles: Some(profiles),
        }
    }

    // ---- building blocks ----

    fn message(&mut self, body: impl Into<MessageBody>) -> Message {
        self.clock_ms += self.rng.i64(500..60_000);
        Message {
            envelope: Envelope {
                id: Some(self.uuid()),
                timestamp_ms: Some(self.clock_ms),
                firehose_version: Some(FIREHOSE_VERSION.to_owned()),
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

    fn user_attributes(&mut self, user: &User) -> BTreeMap<String, String> {
        let mut attributes = BTreeMap::new();
        let mut put = |k: &str, v: String| {
            attributes.insert(k.to_owned(), v);
        };
        put("$FirstName", self.pick(FIRST_NAMES).to_owned());
        put("$LastName", self.pick(LAST_NAMES).to_owned());
        put("$City", user.locale.city.to_owned());
        put("$Country", user.locale.country.to_owned());
        if self.chance(60) {
            put("$Age", self.rng.u8(18..75).to_string());
            put("$Gender", self.pick(&["F", "M"]).to_owned());
        }
        put("plan", self.pick(&["free", "plus", "premium"]).to_owned());
        put("loyalty_points", self.rng.u32(0..20_000).to_string());
        if self.chance(50) {
            put(
                "newsletter_opt_in",
                self.pick(&["true", "false"]).to_owned(),
            );
        }
        attributes
    }

    fn audience_user_attributes(&mut self, user: &User) -> Vec<UserAttributeAudienceEvent> {
        let n = self.rng.usize(1..=3);
        let interests = self
            .rng
            .choose_multiple(INTERESTS.iter(), n)
            .into_iter()
            .map(|s| (*s).to_owned())
            .collect();
        vec![
            UserAttributeAudienceEvent {
                key: Some("plan".to_owned()),
                value: Some(self.pick(&["free", "plus", "premium"]).to_owned()),
                action: Some(AttributeAction::Upsert),
                list_value: Vec::new(),
            },
            UserAttributeAudienceEvent {
                key: Some("$Country".to_owned()),
                value: Some(user.locale.country.to_owned()),
                action: Some(AttributeAction::Upsert),
                list_value: Vec::new(),
            },
            UserAttributeAudienceEvent {
                key: Some("interests".to_owned()),
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
                    .to_owned(),
            ),
            timestamp_unixtime_ms: Some(timestamp_ms),
            location: Some("https://shop.example.com/privacy".to_owned()),
            hardware_id: Some(user.hardware_id.clone()),
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
                purpose: Some("marketing".to_owned()),
                old_gdpr_consent_state: Some(old),
                new_gdpr_consent_state: Some(new),
            })
        } else {
            SystemNotification::CcpaConsentState(CcpaConsentStateNotification {
                purpose: Some(DEFAULT_CCPA_PURPOSE.to_owned()),
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
            mp_account_name: Some("Acme Retail".to_owned()),
            workspace_id: self.rng.i32(10_000..99_999),
            workspace_name: Some(self.pick(&["Production", "Staging"]).to_owned()),
            input_name: Some(input_name.to_owned()),
            app_name: Some("Acme Shop".to_owned()),
            app_version: Some(self.app_version()),
            dataplan_id: Some("acme_master_plan".to_owned()),
            dataplan_name: Some("Acme Master Plan".to_owned()),
            dataplan_version: Some(self.rng.i32(1..=12)),
        }
    }

    // ---- runtime environments ----

    fn runtime_environment(&mut self, platform: Platform, user: &User) -> RuntimeEnvironment {
        let l = user.locale;
        let some = |s: &str| Some(s.to_owned());
        let app_version = self.app_version();
        let device: Device = match platform {
            Platform::Ios => {
                let (model, name, height, width, os) = self.pick(IOS_MODELS);
                let att = self.weighted(&[
                    (AttAuthorizationStatus::Authorized, 45),
                    (AttAuthorizationStatus::Denied, 35),
                    (AttAuthorizationStatus::NotDetermined, 15),
                    (AttAuthorizationStatus::Restricted, 5),
                ]);
                let mut search_ads = BTreeMap::new();
                if self.chance(20) {
                    search_ads.insert(
                        "Version3.1".to_owned(),
                        BTreeMap::from([
                            ("iad-attribution".to_owned(), "true".to_owned()),
                            ("iad-campaign-id".to_owned(), self.rng.u32(..).to_string()),
                            ("iad-campaign-name".to_owned(), "Spring Sale".to_owned()),
                            ("iad-keyword".to_owned(), "running shoes".to_owned()),
                        ]),
                    );
                }
                IosDevice {
                    build_id: some("21E236"),
                    brand: some(model),
                    product: some(model),
                    name: some(name),
                    manufacturer: some("Apple"),
                    os_version: some(os),
                    model: some(model),
                    screen_height: height,
                    screen_width: width,
                    country: some(l.country),
                    locale_language: some(l.language),
                    locale_country: some(l.country),
                    network_country: Some(l.country.to_lowercase()),
                    network_carrier: some(l.carrier),
                    network_code: some(l.mnc),
                    network_mobile_country_code: some(l.mcc),
                    timezone_offset: l.utc_offset_hours,
                    timezone_name: some(l.timezone),
                    cpu_architecture: some("arm64"),
                    is_tablet: Some(model.starts_with("iPad")),
                    radio_access_technology: some(self.pick(&[
                        "CTRadioAccessTechnologyLTE",
                        "CTRadioAccessTechnologyNRNSA",
                        "CTRadioAccessTechnologyNR",
                    ])),
                    application_name: some("Acme Shop"),
                    application_version: Some(app_version),
                    application_package: some("com.acme.shop"),
                    is_sandboxed: Some(false),
                    apple_search_ads_attribution: search_ads,
                    att_authorization_status: Some(att),
                    att_timestamp_unixtime_ms: self.clock_ms - self.rng.i64(0..200 * 86_400_000),
                }
                .into()
            }
            Platform::Android => {
                let (brand, model, name, product, height, width, dpi, os, level) =
                    self.pick(ANDROID_MODELS);
                AndroidDevice {
                    build_id: Some(format!(
                        "UP1A.{}.00{}",
                        self.rng.u32(230_000..240_000),
                        self.rng.u8(1..9)
                    )),
                    brand: some(brand),
                    product: some(product),
                    name: some(name),
                    manufacturer: some(brand),
                    os_version: some(os),
                    model: some(model),
                    screen_height: height,
                    screen_width: width,
                    screen_dpi: dpi,
                    country: some(l.country),
                    locale_language: some(l.language),
                    locale_country: some(l.country),
                    network_country: Some(l.country.to_lowercase()),
                    network_carrier: some(l.carrier),
                    network_code: some(l.mnc),
                    network_mobile_country_code: some(l.mcc),
                    timezone_offset: l.utc_offset_hours,
                    timezone_name: some(l.timezone),
                    is_tablet: Some(name.contains("Tab")),
                    supports_telephony: Some(!name.contains("Tab")),
                    has_nfc: Some(self.chance(80)),
                    bluetooth_enabled: Some(self.chance(70)),
                    bluetooth_version: some("5.3"),
                    android_sdk_level: level,
                    application_name: some("Acme Shop"),
                    application_version: Some(app_version),
                    application_package: some("com.acme.shop"),
                    install_referrer: if self.chance(30) {
                        some("utm_source=google-play&utm_medium=organic")
                    } else {
                        None
                    },
                }
                .into()
            }
            Platform::Web => {
                let (os, height, width) = self.pick(&[
                    ("Windows 10", 1080, 1920),
                    ("Mac OS X 10.15.7", 900, 1440),
                    ("iOS 17.4", 844, 390),
                    ("Android 14", 915, 412),
                ]);
                WebDevice {
                    os_version: some(os),
                    screen_height: height,
                    screen_width: width,
                    locale_language: some(l.language),
                    locale_country: some(l.country),
                    timezone_offset: l.utc_offset_hours,
                    is_tablet: Some(false),
                    limit_ad_tracking: some("false"),
                    is_dst: some(self.pick(&["true", "false"])),
                    ..WebDevice::default()
                }
                .into()
            }
            Platform::Tvos => TvosDevice {
                build_id: some("21L569"),
                brand: some("AppleTV14,1"),
                product: some("AppleTV14,1"),
                name: some("Apple TV 4K (3rd generation)"),
                manufacturer: some("Apple"),
                os_version: some("17.4"),
                model: some("AppleTV14,1"),
                screen_height: 2160,
                screen_width: 3840,
                country: some(l.country),
                locale_language: some(l.language),
                locale_country: some(l.country),
                timezone_offset: l.utc_offset_hours,
                timezone_name: some(l.timezone),
                cpu_architecture: some("arm64"),
                application_name: some("Acme TV"),
                application_version: Some(app_version),
                application_package: some("com.acme.tv"),
                att_authorization_status: Some(AttAuthorizationStatus::NotDetermined),
                att_timestamp_unixtime_ms: 0,
            }
            .into(),
            Platform::Roku => RokuDevice {
                build_id: some("AEA.00E04209A"),
                brand: some("Roku"),
                product: some("Roku Express 4K"),
                name: some("Roku Express 4K"),
                manufacturer: some("Roku"),
                os_version: some("12.5.0"),
                model: some("3941X"),
                country: some(l.country),
                locale_language: some(l.language),
                locale_country: some(l.country),
                timezone_offset: l.utc_offset_hours,
                timezone_name: some(l.timezone),
                cpu_architecture: some("arm"),
                application_name: some("Acme TV"),
                application_version: Some(app_version),
                application_package: some("dev"),
            }
            .into(),
            Platform::Xbox | Platform::FireTv => {
                let xbox = platform == Platform::Xbox;
                let console = ConsoleDevice {
                    build_id: some(if xbox {
                        "10.0.25398.4478"
                    } else {
                        "PS7624.3337N"
                    }),
                    brand: some(if xbox { "Microsoft" } else { "Amazon" }),
                    product: some(if xbox { "Xbox Series X" } else { "AFTKA" }),
                    name: some(if xbox {
                        "Xbox Series X"
                    } else {
                        "Fire TV Stick 4K Max"
                    }),
                    manufacturer: some(if xbox { "Microsoft" } else { "Amazon" }),
                    os_version: some(if xbox {
                        "10.0.25398"
                    } else {
                        "Fire OS 7.6.6.9"
                    }),
                    model: some(if xbox { "XboxSeriesX" } else { "AFTKA" }),
                    screen_height: 2160,
                    screen_width: 3840,
                    country: some(l.country),
                    locale_language: some(l.language),
                    locale_country: some(l.country),
                    timezone_offset: l.utc_offset_hours,
                    timezone_name: some(l.timezone),
                    cpu_architecture: some(if xbox { "x64" } else { "armeabi-v7a" }),
                    application_name: some("Acme TV"),
                    application_version: Some(app_version),
                    application_package: some("com.acme.tv"),
                };
                if xbox {
                    Device::Xbox(console)
                } else {
                    Device::FireTv(console)
                }
            }
            Platform::SmartTv | Platform::Alexa | Platform::Unknown => {
                let mut generic = match platform {
                    Platform::SmartTv => GenericDevice {
                        brand: some("Samsung"),
                        name: some("Samsung Smart TV"),
                        manufacturer: some("Samsung"),
                        os_version: some("Tizen 7.0"),
                        model: some("QN55Q60C"),
                        screen_height: 1080,
                        screen_width: 1920,
                        is_tablet: Some(false),
                        application_name: some("Acme TV"),
                        application_version: Some(app_version),
                        application_package: some("com.acme.tizen"),
                        ..GenericDevice::default()
                    },
                    Platform::Alexa => GenericDevice {
                        brand: some("Amazon"),
                        name: some("Echo Show 8"),
                        manufacturer: some("Amazon"),
                        os_version: some("Fire OS 7.5.7"),
                        model: some("Echo Show 8 (2nd Gen)"),
                        screen_height: 800,
                        screen_width: 1280,
                        application_name: some("Acme Skill"),
                        application_version: Some(app_version),
                        ..GenericDevice::default()
                    },
                    _ => GenericDevice {
                        os_version: some("Linux"),
                        application_name: some("Acme Feed"),
                        ..GenericDevice::default()
                    },
                };
                generic.country = some(l.country);
                generic.locale_language = some(l.language);
                generic.locale_country = some(l.country);
                generic.timezone_offset = l.utc_offset_hours;
                generic.timezone_name = some(l.timezone);
                match platform {
                    Platform::SmartTv => Device::SmartTv(generic),
                    Platform::Alexa => Device::Alexa(generic),
                    _ => Device::Unknown(generic),
                }
            }
        };
        let sdk_version = match platform {
            Platform::Ios | Platform::Tvos => self.pick(&["8.22.0", "8.19.1", "8.27.0"]),
            Platform::Android | Platform::FireTv => self.pick(&["5.55.0", "5.50.2", "5.58.1"]),
            Platform::Web => self.pick(&["2.26.4", "2.28.0"]),
            Platform::Roku => "2.1.12",
            _ => "1.4.0",
        };
        let user_agent = match platform {
            Platform::Web => some(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/124.0.0.0 Safari/537.36",
            ),
            Platform::Ios => some("Acme%20Shop/1 CFNetwork/1494.0.7 Darwin/23.4.0"),
            Platform::Android => some("Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/UD1A)"),
            _ => None,
        };
        let client_ip_address = Some(format!(
            "{}.{}.{}.{}",
            self.rng.u8(11..223),
            self.rng.u8(0..=255),
            self.rng.u8(0..=255),
            self.rng.u8(1..255)
        ));
        RuntimeEnvironment {
            header: RuntimeHeader {
                is_debug: self.chance(3),
                client_ip_address,
                sdk_version: some(sdk_version),
                http_header_user_agent: user_agent,
                identities: self.device_identities(platform),
            },
            device,
        }
    }

    fn device_identities(&mut self, platform: Platform) -> Vec<DeviceIdentity> {
        use DeviceIdentityType as T;
        let mut out = Vec::new();
        let mut add = |t: DeviceIdentityType, value: String| {
            out.push(DeviceIdentity::new(t, IdentityEncoding::Raw, value));
        };
        match platform {
            Platform::Ios => {
                // Apple advertising and vendor ids are upper-case UUIDs.
                if self.chance(60) {
                    add(T::IosAdvertisingId, self.uuid().to_string().to_uppercase());
                }
                add(T::IosVendorId, self.uuid().to_string().to_uppercase());
                if self.chance(50) {
                    add(T::ApplePushNotificationToken, self.hex(64));
                }
            }
            Platform::Android => {
                add(T::AndroidId, self.hex(16));
                add(T::GoogleAdvertisingId, self.uuid().to_string());
                if self.chance(50) {
                    let token = format!("{}:APA91b{}", self.token(11), self.token(134));
                    add(T::GoogleCloudMessagingToken, token);
                }
            }
            Platform::Tvos => add(T::IosVendorId, self.uuid().to_string().to_uppercase()),
            Platform::Roku => {
                add(T::RokuAdvertisingId, self.uuid().to_string());
                add(T::RokuPublisherId, self.uuid().to_string());
            }
            Platform::Xbox => {
                add(T::MicrosoftAdvertisingId, self.uuid().to_string());
                add(T::MicrosoftPublisherId, self.uuid().to_string());
            }
            Platform::FireTv => {
                add(T::FireAdvertisingId, self.uuid().to_string());
                add(T::AndroidId, self.hex(16));
            }
            Platform::Web | Platform::SmartTv | Platform::Alexa | Platform::Unknown => {}
        }
        out
    }

    // ---- events ----

    fn event(&mut self, timeline: &mut Timeline, user: &User) -> Event {
        let kind = self.weighted(EVENT_WEIGHTS);
        if kind == Kind::SessionStart {
            // A new session starts after a pause.
            timeline.now_ms += self.rng.i64(60_000..3_600_000);
            timeline.session_id = self.session_id();
            timeline.session_start_ms = timeline.now_ms;
        }
        let data = self.event_data(kind, timeline, user);
        let location = self.chance(25).then(|| Location {
            latitude: self.jitter(user.locale.latitude),
            longitude: self.jitter(user.locale.longitude),
            accuracy: f64::from(self.rng.u16(50..2_000)) / 10.0,
        });
        Event {
            header: EventHeader {
                id: Some(self.uuid()),
                timestamp_ms: timeline.now_ms,
                source_id: self.chance(70).then(|| self.uuid().to_string()),
                session_id: Some(timeline.session_id),
                location,
            },
            data,
        }
    }

    fn event_data(&mut self, kind: Kind, timeline: &Timeline, user: &User) -> EventData {
        match kind {
            Kind::SessionStart => SessionStartEvent {}.into(),
            Kind::SessionEnd => SessionEndEvent {
                session_length_ms: timeline.now_ms - timeline.session_start_ms,
            }
            .into(),
            Kind::ScreenView => {
                let mut attributes = BTreeMap::new();
                if self.chance(40) {
                    attributes.insert("referrer".to_owned(), self.pick(SCREENS).to_owned());
                    attributes.insert(
                        "load_time_ms".to_owned(),
                        self.rng.u32(80..3_000).to_string(),
                    );
                }
                let mut custom_flags = BTreeMap::new();
                if self.chance(5) {
                    custom_flags.insert("Google.Category".to_owned(), "Navigation".to_owned());
                }
                ScreenViewEvent {
                    screen_name: Some(self.pick(SCREENS).to_owned()),
                    attributes,
                    custom_flags,
                }
                .into()
            }
            Kind::Custom => {
                let (name, category) = self.pick(CUSTOM_EVENTS);
                let mut attributes = BTreeMap::new();
                for _ in 0..self.rng.usize(0..=5) {
                    let (k, v) = self.custom_attribute();
                    attributes.insert(k, v);
                }
                let mut custom_flags = BTreeMap::new();
                if self.chance(5) {
                    custom_flags.insert(
                        "Facebook.EventSourceUrl".to_owned(),
                        "https://shop.example.com/".to_owned(),
                    );
                }
                CustomEvent {
                    name: Some(name.to_owned()),
                    custom_event_type: Some(CustomEventType::from(category)),
                    attributes,
                    custom_flags,
                }
                .into()
            }
            Kind::Error => {
                let crash = self.chance(10);
                let n = self.rng.usize(1..=4);
                ErrorEvent {
                    message: Some(
                        self.pick(&[
                            "Network request timed out",
                            "Unexpected null in CartViewModel",
                            "Image decode failed",
                            "Payment sheet dismissed with error 402",
                        ])
                        .to_owned(),
                    ),
                    is_crash: crash,
                    stack_trace: crash.then(|| {
                        concat!(
                            "java.lang.IllegalStateException: cart is empty\n",
                            "\tat com.acme.shop.cart.CartViewModel.checkout(CartViewModel.kt:87)\n",
                            "\tat com.acme.shop.cart.CartFragment.onClick(CartFragment.kt:142)",
                        )
                        .to_owned()
                    }),
                    breadcrumbs: (0..n).map(|_| self.pick(SCREENS).to_owned()).collect(),
                    attributes: BTreeMap::from([("build".to_owned(), self.app_version())]),
                }
                .into()
            }
            Kind::PrivacySettingChange => PrivacySettingChangeEvent {
                setting: Some(PrivacySetting::AppDataCollection),
                is_enabled: self.chance(80),
            }
            .into(),
            Kind::UserAttributeChange => {
                let mut added = BTreeMap::new();
                added.insert(
                    "plan".to_owned(),
                    self.pick(&["free", "plus", "premium"]).to_owned(),
                );
                if self.chance(40) {
                    added.insert(
                        "loyalty_points".to_owned(),
                        self.rng.u32(0..20_000).to_string(),
                    );
                }
                let mut removed = BTreeMap::new();
                if self.chance(20) {
                    removed.insert("trial_ends".to_owned(), "2025-12-31".to_owned());
                }
                UserAttributeChangeEvent { added, removed }.into()
            }
            Kind::UserIdentityChange => {
                let new_email = UserIdentity::new(
                    UserIdentityType::Email,
                    IdentityEncoding::Sha256,
                    self.hex(64),
                );
                let old_email = UserIdentity::new(
                    UserIdentityType::Email,
                    IdentityEncoding::Sha256,
                    user.email_sha256.clone(),
                );
                UserIdentityChangeEvent {
                    added: vec![new_email],
                    removed: if self.chance(60) {
                        vec![old_email]
                    } else {
                        Vec::new()
                    },
                }
                .into()
            }
            Kind::PushSubscription => PushSubscriptionEvent {
                action: Some(if self.chance(80) {
                    PushSubscriptionAction::Subscribe
                } else {
                    PushSubscriptionAction::Unsubscribe
                }),
                token: Some(self.hex(64)),
            }
            .into(),
            Kind::ApplicationStateTransition => {
                let state = self.weighted(&[
                    (ApplicationState::Foreground, 40),
                    (ApplicationState::Background, 40),
                    (ApplicationState::Initialize, 12),
                    (ApplicationState::Exit, 4),
                    (ApplicationState::Install, 2),
                    (ApplicationState::Upgrade, 2),
                ]);
                let launched = matches!(
                    state,
                    ApplicationState::Initialize | ApplicationState::Foreground
                );
                ApplicationStateTransitionEvent {
                    application_state: Some(state),
                    launch_referral: (launched && self.chance(20)).then(|| {
                        concat!(
                            "https://shop.example.com/promo/spring",
                            "?utm_source=email&utm_campaign=spring25"
                        )
                        .to_owned()
                    }),
                    referral_application: None,
                    launch_parameters: (launched && self.chance(10))
                        .then(|| "{\"deep_link\":\"acme://product/SKU-10231\"}".to_owned()),
                    source_package: None,
                }
                .into()
            }
            Kind::PushMessageReceipt | Kind::PushMessageOpen => {
                let title = self.pick(&["Back in stock", "Your order shipped", "20% off today"]);
                let body = self.pick(&[
                    "Tap to see what's new.",
                    "Track your package.",
                    "Offer ends at midnight.",
                ]);
                let payload = serde_json::json!({
                    "aps": {
                        "alert": {"title": title, "body": body},
                        "badge": 1,
                        "sound": "default",
                    },
                    "campaign_id": self.hex(12),
                })
                .to_string();
                if kind == Kind::PushMessageReceipt {
                    PushMessageReceiptEvent {
                        payload: Some(payload),
                    }
                    .into()
                } else {
                    PushMessageOpenEvent {
                        payload: Some(payload),
                    }
                    .into()
                }
            }
            Kind::ProductAction => self.product_action(user),
            Kind::PromotionAction => {
                let n = self.rng.usize(1..=2);
                let promotions = (0..n)
                    .map(|i| Promotion {
                        id: Some(
                            self.pick(&["PROMO_SPRING25", "PROMO_FREESHIP", "PROMO_NEWIN"])
                                .to_owned(),
                        ),
                        name: Some(
                            self.pick(&["Spring Sale", "Free Shipping", "New Arrivals"])
                                .to_owned(),
                        ),
                        creative: Some(
                            self.pick(&["hero_banner", "carousel_card", "inline_tile"])
                                .to_owned(),
                        ),
                        position: Some(format!("slot_{}", i + 1)),
                    })
                    .collect();
                PromotionActionEvent {
                    action: Some(if self.chance(75) {
                        PromotionActionType::View
                    } else {
                        PromotionActionType::Click
                    }),
                    attributes: BTreeMap::new(),
                    promotions,
                    custom_flags: BTreeMap::new(),
                }
                .into()
            }
            Kind::Impression => {
                let n = self.rng.usize(1..=2);
                let impressions = (0..n)
                    .map(|_| {
                        let count = self.rng.usize(2..=5);
                        Impression {
                            impression_list_name: Some(
                                self.pick(&[
                                    "Search Results",
                                    "Recommended for you",
                                    "Recently viewed",
                                ])
                                .to_owned(),
                            ),
                            products: (0..count).map(|i| self.product(i as i32 + 1, 1)).collect(),
                        }
                    })
                    .collect();
                ImpressionEvent {
                    attributes: BTreeMap::new(),
                    impressions,
                    custom_flags: BTreeMap::new(),
                }
                .into()
            }
            Kind::Attribution => AttributionEvent {
                name: Some("attribution".to_owned()),
                partner_name: Some(
                    self.pick(&["AppsFlyer", "Adjust", "Branch", "Kochava"])
                        .to_owned(),
                ),
                publisher_name: Some(
                    self.pick(&["Google Ads", "Meta Ads", "TikTok For Business"])
                        .to_owned(),
                ),
                campaign_name: Some(
                    self.pick(&["spring_sale_2025", "retargeting_q4", "brand_awareness"])
                        .to_owned(),
                ),
                attributes: BTreeMap::from([("click_id".to_owned(), self.hex(20))]),
            }
            .into(),
        }
    }

    fn product_action(&mut self, user: &User) -> EventData {
        let action = self.weighted(&[
            (ProductActionType::ViewDetail, 40),
            (ProductActionType::AddToCart, 20),
            (ProductActionType::Click, 10),
            (ProductActionType::RemoveFromCart, 6),
            (ProductActionType::Checkout, 8),
            (ProductActionType::Purchase, 8),
            (ProductActionType::AddToWishlist, 4),
            (ProductActionType::RemoveFromWishList, 1),
            (ProductActionType::CheckoutOption, 2),
            (ProductActionType::Refund, 1),
        ]);
        let n = match action {
            ProductActionType::Checkout
            | ProductActionType::Purchase
            | ProductActionType::Refund => self.rng.usize(1..=4),
            _ => 1,
        };
        let products: Vec<Product> = (0..n)
            .map(|i| {
                let quantity = if n == 1 { 1 } else { self.rng.i64(1..=3) };
                self.product(i as i32 + 1, quantity)
            })
            .collect();
        let mut event = ProductActionEvent {
            action: Some(action.clone()),
            currency_code: Some(user.locale.currency.to_owned()),
            ..ProductActionEvent::default()
        };
        if matches!(
            action,
            ProductActionType::Purchase | ProductActionType::Refund
        ) {
            let subtotal: Decimal = products.iter().filter_map(|p| p.total_amount).sum();
            let tax = (subtotal * Decimal::new(8, 2)).round_dp(2);
            let shipping = if subtotal >= Decimal::new(5_000, 2) {
                Decimal::new(0, 2)
            } else {
                Decimal::new(499, 2)
            };
            event.transaction_id = Some(format!("T{}", self.rng.u64(10_000_000..99_999_999)));
            event.affiliation = Some(self.pick(&["Acme Online", "Acme App"]).to_owned());
            event.total_amount = Some(subtotal + tax + shipping);
            event.tax_amount = Some(tax);
            event.shipping_amount = Some(shipping);
            if self.chance(25) {
                event.coupon_code = Some("SPRING25".to_owned());
            }
        }
        if self.chance(30) {
            event.attributes.insert(
                "list".to_owned(),
                self.pick(&["search", "category", "home"]).to_owned(),
            );
        }
        event.products = products;
        event.into()
    }

    fn product(&mut self, position: i32, quantity: i64) -> Product {
        let (sku, name, brand, category, variants, cents) = self.pick(CATALOG);
        let price = Decimal::new(cents, 2);
        let quantity = Decimal::from(quantity);
        let mut attributes = BTreeMap::new();
        if self.chance(20) {
            attributes.insert(
                "color".to_owned(),
                self.pick(&["black", "blue", "green"]).to_owned(),
            );
        }
        Product {
            id: Some(sku.to_owned()),
            name: Some(name.to_owned()),
            brand: Some(brand.to_owned()),
            category: Some(category.to_owned()),
            variant: Some(self.pick(variants).to_owned()),
            position,
            price: Some(price),
            quantity: Some(quantity),
            coupon_code: None,
            total_amount: Some(price * quantity),
            attributes,
        }
    }

    fn custom_attribute(&mut self) -> (String, String) {
        match self.rng.u8(0..6) {
            0 => (
                "query".to_owned(),
                self.pick(&["running shoes", "rain jacket", "earbuds", "yoga"])
                    .to_owned(),
            ),
            1 => ("results".to_owned(), self.rng.u16(0..500).to_string()),
            2 => ("source".to_owned(), self.pick(SCREENS).to_owned()),
            3 => ("item_id".to_owned(), self.pick(CATALOG).0.to_owned()),
            4 => (
                "duration_s".to_owned(),
                format!("{:.1}", f64::from(self.rng.u16(1..6_000)) / 10.0),
            ),
            _ => (
                "experiment".to_owned(),
                format!("exp_{}_{}", self.rng.u8(1..40), self.pick(&["a", "b"])),
            ),
        }
    }

    // ---- primitives ----

    /// A v4 UUID from the seeded generator.
    fn uuid(&mut self) -> Uuid {
        let mut bytes = [0u8; 16];
        self.rng.fill(&mut bytes);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    /// `len` lower-case hex digits (a SHA-256 digest is 64).
    fn hex(&mut self, len: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        (0..len)
            .map(|_| char::from(DIGITS[self.rng.usize(..16)]))
            .collect()
    }

    /// `len` characters of a push-token alphabet.
    fn token(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| match self.rng.u8(0..64) {
                62 => '-',
                63 => '_',
                _ => self.rng.alphanumeric(),
            })
            .collect()
    }

    fn session_id(&mut self) -> i64 {
        self.rng.i64(1_000_000_000_000_000..i64::MAX)
    }

    fn app_version(&mut self) -> String {
        format!("4.{}.{}", self.rng.u8(10..=14), self.rng.u8(0..4))
    }

    /// A coordinate near `center`, with five decimals (about a meter).
    fn jitter(&mut self, center: f64) -> f64 {
        let offset = f64::from(self.rng.i32(-5_000..=5_000)) / 100_000.0;
        ((center + offset) * 100_000.0).round() / 100_000.0
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u8) -> bool {
        self.rng.u8(0..100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.usize(..items.len())]
    }

    fn pick_ref<T>(&mut self, items: &'static [T]) -> &'static T {
        &items[self.rng.usize(..items.len())]
    }

    fn weighted<T: Clone>(&mut self, table: &[(T, u32)]) -> T {
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn events(message: &Message) -> &[Event] {
        match &message.body {
            MessageBody::EventProcessingRequest(request) => &request.events,
            other => panic!("not an event batch: {}", other.type_name()),
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_messages() {
        let mut a = BatchGenerator::new(7);
        let mut b = BatchGenerator::new(7);
        for n in [0, 1, 50, 300] {
            let (x, y) = (a.event_batch(n), b.event_batch(n));
            assert_eq!(x, y);
            assert_eq!(x.encode().unwrap(), y.encode().unwrap());
            assert_eq!(events(&x).len(), n);
        }
        assert_eq!(
            a.audience_membership_change(20),
            b.audience_membership_change(20)
        );

        let mut c = BatchGenerator::new(8);
        assert_ne!(BatchGenerator::new(7).event_batch(10), c.event_batch(10));
    }

    #[test]
    fn a_fixed_account_changes_nothing_else() {
        let account = Account::new(77).with_setting("apiKey", "k-77");
        let mut plain = BatchGenerator::new(9);
        let mut fixed = BatchGenerator::new(9).with_account(account.clone());
        for _ in 0..3 {
            let (a, b) = (plain.event_batch(20), fixed.event_batch(20));
            let (MessageBody::EventProcessingRequest(a), MessageBody::EventProcessingRequest(b)) =
                (a.body, b.body)
            else {
                unreachable!()
            };
            assert_eq!(b.account.as_ref(), Some(&account));
            assert_eq!(a.events, b.events);
            assert_eq!(a.mpid, b.mpid);
        }
        let change = fixed.audience_membership_change(5);
        let MessageBody::AudienceMembershipChangeRequest(change) = change.body else {
            unreachable!()
        };
        assert_eq!(change.account, Some(account));
    }

    #[test]
    fn two_thousand_events_cover_all_sixteen_event_types() {
        let batch = BatchGenerator::new(1).event_batch(2_000);
        let seen: BTreeSet<EventType> = events(&batch).iter().map(Event::event_type).collect();
        let all: BTreeSet<EventType> = EventType::KNOWN.iter().cloned().collect();
        assert_eq!(seen, all);
    }

    #[test]
    fn batches_look_like_real_traffic() {
        let mut generator = BatchGenerator::new(3);
        let mut platforms = BTreeSet::new();
        let mut last_envelope_ms = 0;
        for _ in 0..200 {
            let batch = generator.event_batch(30);
            let MessageBody::EventProcessingRequest(request) = &batch.body else {
                unreachable!()
            };
            let envelope_ms = batch.envelope.timestamp_ms.unwrap();
            assert!(envelope_ms > last_envelope_ms);
            last_envelope_ms = envelope_ms;
            assert_eq!(batch.envelope.id.unwrap().get_version_num(), 4);
            assert!(request.account.as_ref().unwrap().account_settings.len() >= 3);
            assert!(request.mpid.as_deref().unwrap().parse::<i64>().is_ok());
            let email = &request.user_identities[0];
            assert_eq!(email.identity_type, UserIdentityType::Email);
            assert_eq!(email.value.len(), 64);
            assert!(!request.user_attributes.is_empty());
            platforms.insert(request.runtime_environment.as_ref().unwrap().platform());
            let stamps: Vec<i64> = request
                .events
                .iter()
                .map(|e| e.header.timestamp_ms)
                .collect();
            assert!(
                stamps.windows(2).all(|w| w[0] < w[1]),
                "timestamps increase"
            );
            assert!(stamps.last().copied().unwrap() < envelope_ms);
            for event in &request.events {
                assert_eq!(event.header.id.unwrap().get_version_num(), 4);
            }
        }
        let all: BTreeSet<RuntimeEnvironmentType> =
            RuntimeEnvironmentType::KNOWN.iter().cloned().collect();
        assert_eq!(platforms, all, "all ten platforms occur");
    }

    #[test]
    fn prices_are_exact_decimals() {
        let batch = BatchGenerator::new(11).event_batch(1_000);
        let text = batch.to_json().unwrap();
        assert!(
            text.contains("\"price\":19.99"),
            "a catalog price is written exactly"
        );
        assert!(text.contains("\"currency_code\":"));
        assert!(text.contains("\"location\":{"));
    }

    #[test]
    fn generated_messages_survive_a_round_trip() {
        let mut generator = BatchGenerator::new(5);
        for message in [
            generator.event_batch(1_000),
            generator.event_batch(3),
            generator.audience_membership_change(100),
        ] {
            let bytes = message.encode().unwrap();
            let decoded = Message::decode(&bytes).unwrap();
            assert_eq!(decoded, message);
            assert_eq!(decoded.encode().unwrap(), bytes);
        }
    }
}
