//! The word lists, weights and device tables the generator draws from.

/// 2025-11-01T00:00:00Z in epoch milliseconds: where generated clocks start.
pub(super) const EPOCH_START_MS: i64 = 1_761_955_200_000;

/// Declares an enum of the kinds of something and its weight table from one list, so that
/// each kind is named once and has its weight.
macro_rules! weighted_kinds {
    ($(#[$doc:meta])* $table:ident: $name:ident { $($kind:ident = $weight:literal,)* }) => {
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub(super) enum $name {
            $($kind,)*
        }

        $(#[$doc])*
        pub(super) const $table: &[($name, u32)] = &[$(($name::$kind, $weight),)*];
    };
}

weighted_kinds! {
    /// Event kinds and their weights (per mille), shaped like real app traffic: screen views and
    /// custom events dominate, sessions and app state changes are frequent, commerce and the
    /// rest are rarer. Every kind has enough weight to occur in a few hundred events.
    EVENT_WEIGHTS: Kind {
        ScreenView = 270, Custom = 250, SessionStart = 80, SessionEnd = 75,
        ApplicationStateTransition = 60, ProductAction = 70, UserAttributeChange = 35,
        Impression = 25, PromotionAction = 20, Error = 20, PushMessageReceipt = 20,
        PushMessageOpen = 15, PushSubscription = 15, UserIdentityChange = 15,
        PrivacySettingChange = 15, Attribution = 15,
    }
}

weighted_kinds! {
    /// Platforms and their weights (percent): mobile apps first, then the web, then the rest.
    PLATFORM_WEIGHTS: Platform {
        Ios = 34, Android = 34, Web = 12,
        Tvos = 4, Roku = 4, FireTv = 4, SmartTv = 3, Xbox = 2, Alexa = 2, Unknown = 1,
    }
}

/// Where a user is: country, language, time zone, mobile network, a city and its currency.
pub(super) struct Locale {
    pub(super) country: &'static str,
    pub(super) language: &'static str,
    pub(super) timezone: &'static str,
    pub(super) utc_offset_hours: i32,
    pub(super) carrier: &'static str,
    pub(super) mcc: &'static str,
    pub(super) mnc: &'static str,
    pub(super) city: &'static str,
    pub(super) latitude: f64,
    pub(super) longitude: f64,
    pub(super) currency: &'static str,
}

pub(super) const LOCALES: &[Locale] = &[
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
pub(super) type CatalogItem = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    i64,
);

#[rustfmt::skip]
pub(super) const CATALOG: &[CatalogItem] = &[
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
pub(super) const IOS_MODELS: &[(&str, &str, i32, i32, &str)] = &[
    ("iPhone15,2", "iPhone 14 Pro", 2556, 1179, "17.4.1"),
    ("iPhone14,5", "iPhone 13", 2532, 1170, "16.7.5"),
    ("iPhone16,1", "iPhone 15 Pro", 2556, 1179, "18.1"),
    ("iPhone12,8", "iPhone SE (2nd generation)", 1334, 750, "17.6.1"),
    ("iPad13,18", "iPad (10th generation)", 2360, 1640, "17.2"),
];

/// An Android device: brand, model, name, product, screen height, width and dpi, Android
/// version, API level.
pub(super) type AndroidModel = (
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
pub(super) const ANDROID_MODELS: &[AndroidModel] = &[
    ("samsung", "SM-S918B", "Galaxy S23 Ultra", "dm3qxxx", 3088, 1440, 500, "14", 34),
    ("Google", "Pixel 8", "Pixel 8", "shiba", 2400, 1080, 420, "14", 34),
    ("motorola", "moto g power (2022)", "moto g power", "tonga_g", 1600, 720, 280, "12", 31),
    ("OnePlus", "CPH2449", "OnePlus 11", "salami", 3216, 1440, 525, "13", 33),
    ("samsung", "SM-X200", "Galaxy Tab A8", "gta8wifixx", 1920, 1200, 240, "13", 33),
    ("Xiaomi", "2201117TY", "Redmi Note 11", "spes", 2400, 1080, 440, "13", 33),
];

pub(super) const SCREENS: &[&str] = &[
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

pub(super) const CUSTOM_EVENTS: &[(&str, &str)] = &[
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

pub(super) const FIRST_NAMES: &[&str] = &[
    "Ava", "Liam", "Noah", "Emma", "Mia", "Lucas", "Sofia", "Hugo", "Léa", "Yuki", "Ines", "Omar",
];
pub(super) const LAST_NAMES: &[&str] = &[
    "Smith", "Garcia", "Müller", "Martin", "Silva", "Brown", "Dubois", "Nguyen", "Kowalski",
];
pub(super) const INTERESTS: &[&str] = &[
    "running", "outdoors", "fitness", "audio", "travel", "fashion",
];
