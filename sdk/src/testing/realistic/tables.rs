//! What the realistic batches are made of: screens, events, products, prices, places and names.

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
