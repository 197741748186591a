//! What the realistic batches are made of: screens, events, products, prices, places, names, and
//! the runtime environment of each storefront.

pub(super) const SCREENS: &[&str] = &[
    "Home",
    "Search Results",
    "Product Detail",
    "Cart",
    "Checkout › Shipping",
    "Checkout › Payment",
    "Order Confirmation",
    "Account Settings",
    "Wishlist",
    "Store Locator",
];

pub(super) const CUSTOM_EVENTS: &[(&str, &str)] = &[
    ("Search Performed", "search"),
    ("Filter Applied", "navigation"),
    ("Store Selected", "location"),
    ("Review Submitted", "user_content"),
    ("Notification Preferences Updated", "user_preference"),
    ("Shared Product", "social"),
    ("Loyalty Tier Reached", "other"),
    ("Video Played", "other"),
];

pub(super) const PRODUCTS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "SKU-88213-BLK",
        "Trail Runner GTX \"Storm\" Edition",
        "Northpeak",
        "Footwear/Running",
        "42 EU",
    ),
    (
        "SKU-10044",
        "Merino Crew Sock 3-Pack",
        "Woolfield",
        "Apparel/Socks",
        "M",
    ),
    (
        "SKU-55120-GRN",
        "Packable Down Jacket",
        "Northpeak",
        "Apparel/Outerwear",
        "Forest",
    ),
    (
        "SKU-70001",
        "Café Thermos 750 ml",
        "Kupfer & Co.",
        "Outdoor/Hydration",
        "Copper",
    ),
    (
        "SKU-31415",
        "Headlamp 400 lm",
        "Lumora",
        "Outdoor/Lighting",
        "",
    ),
    (
        "SKU-27182-XL",
        "Softshell Trousers",
        "Woolfield",
        "Apparel/Trousers",
        "XL Long",
    ),
];

pub(super) const PRICES: &[&str] = &["19.99", "7.50", "149.00", "34.95", "59.9", "89.00"];

pub(super) const CITIES: &[(&str, &str, &str, f64, f64)] = &[
    ("Berlin", "DE", "10115", 52.52, 13.405),
    ("München", "DE", "80331", 48.137, 11.575),
    ("Lyon", "FR", "69001", 45.764, 4.8357),
    ("Austin", "US", "78701", 30.2672, -97.7431),
    ("Zürich", "CH", "8001", 47.3769, 8.5417),
];

pub(super) const FIRST_NAMES: &[&str] = &["Anna", "Jörg", "Chloé", "Marcus", "Priya", "Søren"];
pub(super) const LAST_NAMES: &[&str] =
    &["Schmidt", "Dubois", "O'Neill", "Nakamura", "García", "Weiß"];

/// A fixed field value, or one that depends on the user.
pub(super) enum Field {
    Str(&'static str),
    Num(i64),
    Bool(bool),
    /// The country code of the user's city.
    Country,
    /// The country code of the user's city, in lower case.
    CountryLower,
    Obj(&'static [(&'static str, Field)]),
    /// Not written: the storefront has no such field.
    Absent,
}

/// A field in both storefronts: its key, its value in the iOS app, its value in the web shop.
pub(super) type Row = (&'static str, Field, Field);

use Field::{Absent, Bool, Country, CountryLower, Num, Obj, Str};

/// The runtime environment's fields before its device identities.
pub(super) const RUNTIME: &[Row] = &[
    ("type", Str("ios"), Str("mobileweb")),
    (
        "client_ip_address",
        Str("203.0.113.57"),
        Str("198.51.100.23"),
    ),
    ("sdk_version", Str("8.27.4"), Str("2.35.0")),
    (
        "http_header_user_agent",
        Str("Northpeak/5.14.2 (iPhone; iOS 18.1; Scale/3.00)"),
        Str(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        ),
    ),
];

/// The runtime environment's fields after its device identities: the device.
pub(super) const DEVICE: &[Row] = &[
    ("build_id", Str("22B83"), Str("web-2025.11.02-4f1c9e")),
    ("brand", Str("iPhone"), Str("Apple")),
    ("product", Str("iPhone16,2"), Str("Safari")),
    ("name", Str("Anna’s iPhone"), Str("Safari 18.1")),
    ("manufacturer", Str("Apple"), Absent),
    ("device_manufacturer", Absent, Str("Apple")),
    ("os_version", Str("18.1"), Str("macOS 15.1")),
    ("model", Str("iPhone16,2"), Absent),
    ("device_model", Absent, Str("Macintosh")),
    ("screen_height", Num(2796), Num(1117)),
    ("screen_width", Num(1290), Num(1728)),
    ("screen_dpi", Absent, Num(2)),
    ("country", Country, Absent),
    ("device_country", Absent, Country),
    ("locale_language", Str("de"), Str("de-DE")),
    ("locale_country", Country, Country),
    ("network_country", CountryLower, Absent),
    ("network_carrier", Str("Telekom.de"), Absent),
    ("network_code", Str("01"), Absent),
    ("network_mobile_country_code", Str("262"), Absent),
    ("timezone_offset", Num(1), Num(1)),
    ("timezone_name", Str("Europe/Berlin"), Absent),
    ("cpu_architecture", Str("arm64e"), Absent),
    ("is_tablet", Bool(false), Bool(false)),
    (
        "radio_access_technology",
        Str("CTRadioAccessTechnologyNR"),
        Absent,
    ),
    ("application_name", Str("Northpeak Shop"), Absent),
    ("application_version", Str("5.14.2"), Absent),
    ("application_package", Str("com.northpeak.shop"), Absent),
    ("is_sandboxed", Bool(false), Absent),
    (
        "apple_search_ads_attribution",
        Obj(&[("Version3.1", Obj(SEARCH_ADS_ATTRIBUTION))]),
        Absent,
    ),
    ("att_authorization_status", Str("authorized"), Absent),
    ("att_timestamp_unixtime_ms", Num(1_727_694_161_000), Absent),
    ("is_dst", Absent, Str("false")),
];

const SEARCH_ADS_ATTRIBUTION: &[(&str, Field)] = &[
    ("iad-attribution", Str("true")),
    ("iad-org-name", Str("Northpeak Outdoor GmbH")),
    ("iad-campaign-id", Str("1234567890")),
    ("iad-campaign-name", Str("Autumn Trail 2025")),
    ("iad-conversion-type", Str("Download")),
    ("iad-click-date", Str("2025-09-30T11:02:41Z")),
    ("iad-keyword", Str("trail running shoes")),
];

/// Where the batch was sent from.
pub(super) const SOURCE_CHANNEL: Row = ("source_channel", Str("native"), Str("javascript"));

/// The name of the mParticle input the batch came in through.
pub(super) const INPUT_NAME: Row = ("input_name", Str("iOS"), Str("Web"));
