//! Event batches written as JSON text, the way mParticle's Java serializer writes them, for
//! benchmarks and decode tests that must not depend on this crate's own encoder.
//!
//! [`generate`](super::generate) builds batches through the typed model and encodes them with
//! this SDK. The batches here are written field by field instead, in Java's key order (`type`
//! first, then the base fields, then the subtype's), compact, with what real traffic is heavy in:
//! commerce events with several products and their attributes, long user attribute maps, user and
//! device identities, a full device block with Apple Search Ads attribution, GDPR and CCPA
//! consent, non-ASCII text and escaped JSON inside push payloads.
//!
//! ```
//! use mparticle_firehose::Message;
//! use mparticle_firehose::testing::realistic::{RealisticBatch, Storefront};
//!
//! let bytes = RealisticBatch::new(7, Storefront::IosApp).event_batch(100);
//! let message = Message::decode(&bytes)?;
//! assert_eq!(message.body.type_name(), "event_processing_request");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod json;
mod tables;

use json::Json;
use tables::*;

/// Where the batch comes from: it decides the runtime environment and the event mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storefront {
    /// A retail iOS app: an `ios` runtime with device identities and Apple Search Ads
    /// attribution, app state transitions, push messages and commerce.
    IosApp,
    /// A retail web shop: a `mobileweb` runtime, page views with long attribute maps and
    /// commerce (web SDK traffic carries more attributes per event).
    WebShop,
}

/// Writes realistic `event_processing_request` messages as JSON bytes; the same seed gives the
/// same bytes.
pub struct RealisticBatch {
    rng: fastrand::Rng,
    storefront: Storefront,
    clock_ms: i64,
}

impl RealisticBatch {
    /// A writer for one storefront, seeded.
    pub fn new(seed: u64, storefront: Storefront) -> Self {
        Self {
            rng: fastrand::Rng::with_seed(seed),
            storefront,
            // 2025-11-03T09:00:00Z.
            clock_ms: 1_762_160_400_000,
        }
    }

    /// One user's batch of `n_events` events, as compact JSON.
    pub fn event_batch(&mut self, n_events: usize) -> Vec<u8> {
        let mut w = Json::default();
        let city = CITIES[self.rng.usize(..CITIES.len())];
        let first = self.pick(FIRST_NAMES);
        let last = self.pick(LAST_NAMES);
        let mpid = self.rng.i64(..).to_string();
        let customer_id = format!("C{:09}", self.rng.u32(..1_000_000_000));
        let email = format!(
            "{}.{}@example.com",
            lowercase(first),
            lowercase(last).replace('\'', "")
        );
        let device_id = self.uuid();
        self.clock_ms += self.rng.i64(60_000..3_600_000);

        w.open();
        w.str("type", "event_processing_request");
        w.str("id", &self.uuid());
        w.num("timestamp_ms", self.clock_ms + 900_000);
        w.str("firehose_version", "3.2.0");
        w.str("source_id", &self.uuid());
        w.obj("account", |w| {
            w.num("account_id", 48_211);
            w.obj("account_settings", |w| {
                w.str("apiKey", "ak_live_5f0c2e7d9b8a4c61");
                w.str("region", "eu-central-1");
                w.str("forwardUserAttributes", "true");
                w.str("eventNameMapping", "{\"Order Completed\":\"purchase\"}");
            });
        });
        if self.rng.u8(..100) < 20 {
            w.arr("partner_identities", |w| {
                identity(w, "acme_user_id", "raw", &format!("acme-{}", self.hex(12)));
            });
        }
        w.arr("user_identities", |w| {
            identity(w, "customer", "raw", &customer_id);
            identity(w, "email", "raw", &email);
            identity(w, "email", "sha256", &self.hex(64));
            if self.rng.bool() {
                let number = format!("+4915{:08}", self.rng.u32(..100_000_000));
                identity(w, "mobile_number", "raw", &number);
            }
        });
        w.obj("user_attributes", |w| {
            w.str("$FirstName", first);
            w.str("$LastName", last);
            w.str("$City", city.0);
            w.str("$Country", city.1);
            w.str("$Zip", city.2);
            w.str("$Gender", self.pick(&["F", "M", "X"]));
            w.str("$Age", &self.rng.u8(18..80).to_string());
            w.str(
                "$Mobile",
                &format!("+4917{:08}", self.rng.u32(..100_000_000)),
            );
            w.str(
                "loyalty_tier",
                self.pick(&["bronze", "silver", "gold", "platinum"]),
            );
            w.str("loyalty_points", &self.rng.u32(..50_000).to_string());
            w.str(
                "lifetime_value",
                &format!("{}.{:02}", self.rng.u32(..9_000), self.rng.u8(..100)),
            );
            w.str(
                "preferred_store",
                &format!("{} {}", city.0, self.pick(&["Mitte", "Centre", "Downtown"])),
            );
            w.str("newsletter_opt_in", self.pick(&["true", "false"]));
            w.str("signup_date", "2023-04-17");
            w.str("last_purchase_date", "2025-10-29T18:22:05Z");
            w.str(
                "favorite_category",
                self.pick(&["Footwear", "Outerwear", "Camping"]),
            );
            w.str("shoe_size", "42");
            w.str("app_theme", "dark");
        });
        w.obj("user_attribute_lists", |w| {
            w.list("interests", &["trail running", "camping", "bouldering"]);
            w.list("owned_brands", &["Northpeak", "Lumora"]);
        });
        w.obj("runtime_environment", |w| self.runtime(w, &device_id, city));
        w.obj("integration_attributes", |w| {
            w.str("acme_session_key", &self.hex(24));
        });
        w.arr("events", |w| {
            let mut session_id = self.rng.i64(1..i64::MAX);
            let mut session_start = self.clock_ms;
            for i in 0..n_events {
                self.clock_ms += self.rng.i64(400..45_000);
                let new_session = i == 0 || self.rng.u8(..100) < 3;
                if new_session {
                    if i > 0 {
                        let end = self.clock_ms;
                        w.item_obj(|w| {
                            self.event_header(w, "session_end", end, session_id, city);
                            w.num("session_length_ms", end - session_start);
                        });
                        self.clock_ms += self.rng.i64(600_000..7_200_000);
                        session_id = self.rng.i64(1..i64::MAX);
                    }
                    session_start = self.clock_ms;
                    let at = self.clock_ms;
                    w.item_obj(|w| self.event_header(w, "session_start", at, session_id, city));
                    continue;
                }
                let at = self.clock_ms;
                w.item_obj(|w| self.event(w, at, session_id, city));
            }
        });
        self.row(&mut w, &SOURCE_CHANNEL, city.1);
        w.str("device_application_stamp", &device_id);
        w.obj("consent_state", |w| {
            w.obj("gdpr_consent_state", |w| {
                for purpose in ["analytics", "personalisation", "marketing_email"] {
                    w.obj(purpose, |w| {
                        w.bool("consented", self.rng.u8(..100) < 70);
                        w.str("document", "privacy_policy_v4.2");
                        w.num("timestamp_unixtime_ms", self.clock_ms - 86_400_000 * 30);
                        w.str("location", "onboarding/consent-sheet");
                        w.str("hardware_id", &device_id);
                    });
                }
            });
            w.obj("ccpa_consent_state", |w| {
                w.obj("data_sale_opt_out", |w| {
                    w.bool("consented", false);
                    w.str("document", "ccpa_notice_2025");
                    w.num("timestamp_unixtime_ms", self.clock_ms - 86_400_000 * 12);
                    w.str("location", "settings/privacy");
                    w.str("hardware_id", &device_id);
                });
            });
        });
        if self.rng.u8(..100) < 15 {
            w.arr("system_notifications", |w| {
                w.item_obj(|w| {
                    w.str("type", "gdpr_consent_state");
                    w.str("purpose", "marketing_email");
                    w.obj("old_gdpr_consent_state", |w| {
                        w.bool("consented", false);
                        w.str("document", "privacy_policy_v4.1");
                        w.num("timestamp_unixtime_ms", self.clock_ms - 86_400_000 * 90);
                    });
                    w.obj("new_gdpr_consent_state", |w| {
                        w.bool("consented", true);
                        w.str("document", "privacy_policy_v4.2");
                        w.num("timestamp_unixtime_ms", self.clock_ms - 60_000);
                        w.str("location", "settings/privacy");
                    });
                });
            });
        }
        w.str("mpid", &mpid);
        w.obj("platform_fields", |w| {
            w.num("mp_account_id", 3_190);
            w.str("mp_account_name", "Northpeak Outdoor GmbH");
            w.num("workspace_id", 7_822);
            w.str("workspace_name", "Production EU");
            self.row(w, &INPUT_NAME, city.1);
            w.str("app_name", "Northpeak Shop");
            w.str("app_version", "5.14.2");
            w.str("dataplan_id", "northpeak_master_plan");
            w.str("dataplan_name", "Northpeak Master Plan");
            w.num("dataplan_version", 12);
        });
        w.close();
        w.0.into_bytes()
    }

    fn runtime(&mut self, w: &mut Json, device_id: &str, city: (&str, &str, &str, f64, f64)) {
        self.fields(w, RUNTIME, city.1);
        w.arr("identities", |w| match self.storefront {
            Storefront::IosApp => {
                identity(w, "ios_vendor_id", "raw", device_id);
                let advertising_id = self.uuid().to_ascii_uppercase();
                identity(w, "ios_advertising_id", "raw", &advertising_id);
                identity(w, "apple_push_notification_token", "raw", &self.hex(64));
            }
            Storefront::WebShop => identity(w, "other", "raw", device_id),
        });
        self.fields(w, DEVICE, city.1);
    }

    /// The fields of a table, in order, as this storefront has them.
    fn fields(&self, w: &mut Json, table: &[Row], country: &str) {
        for row in table {
            self.row(w, row, country);
        }
    }

    /// A field of a table as this storefront has it.
    fn row(&self, w: &mut Json, (key, ios_app, web_shop): &Row, country: &str) {
        let value = match self.storefront {
            Storefront::IosApp => ios_app,
            Storefront::WebShop => web_shop,
        };
        field(w, key, value, country);
    }

    fn event_header(
        &mut self,
        w: &mut Json,
        kind: &str,
        at: i64,
        session_id: i64,
        city: (&str, &str, &str, f64, f64),
    ) {
        w.str("type", kind);
        w.str("id", &self.uuid());
        w.num("timestamp_ms", at);
        w.str("source_id", &self.uuid());
        w.num("session_id", session_id);
        if self.storefront == Storefront::IosApp && self.rng.u8(..100) < 40 {
            w.obj("location", |w| {
                w.float("latitude", city.3 + self.rng.f64() / 100.0);
                w.float("longitude", city.4 + self.rng.f64() / 100.0);
                w.float("accuracy", f64::from(self.rng.u16(50..2_000)) / 10.0);
            });
        }
    }

    fn event(
        &mut self,
        w: &mut Json,
        at: i64,
        session_id: i64,
        city: (&str, &str, &str, f64, f64),
    ) {
        let roll = self.rng.u8(..100);
        let web = self.storefront == Storefront::WebShop;
        let kind = match roll {
            0..30 => "screen_view",
            30..50 => "custom_event",
            50..72 => "product_action",
            72..78 => "impression",
            78..82 => "promotion_action",
            82..86 if !web => "application_state_transition",
            86..90 if !web => "push_message_receipt",
            90..92 if !web => "push_message_open",
            92..95 => "user_attribute_change",
            95..97 => "error",
            97..98 => "user_identity_change",
            98..99 => "attribution",
            _ => "screen_view",
        };
        self.event_header(w, kind, at, session_id, city);
        match kind {
            "screen_view" => {
                let screen = self.pick(SCREENS);
                w.str("screen_name", screen);
                w.obj("attributes", |w| {
                    w.str("previous_screen", self.pick(SCREENS));
                    w.str("load_time_ms", &self.rng.u32(80..3_000).to_string());
                    if web {
                        w.str("page_url", &format!("https://shop.northpeak.example/de/{}?utm_source=newsletter&utm_medium=email&utm_campaign=autumn_trail", lowercase(screen).replace(' ', "-")));
                        w.str("page_title", &format!("{screen} | Northpeak"));
                        w.str("referrer", "https://www.search.example/");
                        w.str("viewport", "1728x1117");
                        w.str("color_scheme", "light");
                        w.str("ab_test_variant", "checkout_v2_b");
                    }
                });
            }
            "custom_event" => {
                let (name, category) = CUSTOM_EVENTS[self.rng.usize(..CUSTOM_EVENTS.len())];
                w.str("name", name);
                w.str("custom_event_type", category);
                w.obj("attributes", |w| {
                    w.str(
                        "query",
                        self.pick(&[
                            "trail shoes waterproof",
                            "daunenjacke",
                            "thermos",
                            "socks merino 3 pack",
                        ]),
                    );
                    w.str("result_count", &self.rng.u16(..400).to_string());
                    w.str("sort", "relevance");
                    w.str(
                        "filters",
                        "{\"size\":[\"42\",\"43\"],\"brand\":[\"Northpeak\"]}",
                    );
                    w.str("screen", self.pick(SCREENS));
                    w.str("experiment", "search_ranking_v7");
                    w.str("is_logged_in", "true");
                    if web {
                        w.str("page_url", "https://shop.northpeak.example/de/search");
                        w.str("gclid", &self.hex(32));
                    }
                });
                if self.rng.u8(..100) < 10 {
                    w.obj("custom_flags", |w| {
                        w.str("Google.Category", "Search");
                        w.str("Google.Label", name);
                    });
                }
            }
            "product_action" => {
                let action = self.pick(&[
                    "view_detail",
                    "view_detail",
                    "add_to_cart",
                    "add_to_cart",
                    "remove_from_cart",
                    "checkout",
                    "purchase",
                    "add_to_wishlist",
                ]);
                w.str("action", action);
                let purchase = action == "purchase";
                if purchase {
                    w.str(
                        "transaction_id",
                        &format!("NP-{}-{}", 2025, self.rng.u32(100_000..999_999)),
                    );
                    w.str("affiliation", "Northpeak Online Store");
                    w.raw(
                        "total_amount",
                        &format!("{}.{:02}", self.rng.u16(20..600), self.rng.u8(..100)),
                    );
                    w.raw(
                        "tax_amount",
                        &format!("{}.{:02}", self.rng.u16(3..100), self.rng.u8(..100)),
                    );
                    w.raw("shipping_amount", self.pick(&["0.00", "4.95", "9.90"]));
                }
                w.str("currency_code", "EUR");
                if purchase && self.rng.bool() {
                    w.str("coupon_code", "AUTUMN15");
                }
                let n = if purchase || action == "checkout" {
                    self.rng.usize(1..=5)
                } else {
                    1
                };
                w.arr("products", |w| {
                    for position in 1..=n {
                        w.item_obj(|w| self.product(w, position));
                    }
                });
                w.obj("attributes", |w| {
                    w.str(
                        "list",
                        self.pick(&["search results", "recommendations", "cart"]),
                    );
                    w.str("checkout_step", &self.rng.u8(1..4).to_string());
                    if purchase {
                        w.str(
                            "payment_method",
                            self.pick(&["card", "paypal", "klarna", "apple_pay"]),
                        );
                        w.str("shipping_method", "DHL Standard");
                    }
                });
                if purchase {
                    w.obj("custom_flags", |w| {
                        w.str(
                            "Facebook.EventSourceUrl",
                            "https://shop.northpeak.example/de/checkout/confirmation",
                        );
                        w.str("Google.Category", "Ecommerce");
                    });
                }
            }
            "impression" => {
                w.obj("attributes", |w| {
                    w.str("placement", "home_carousel");
                });
                w.arr("impressions", |w| {
                    w.item_obj(|w| {
                        w.str("impression_list_name", "Recommended for you");
                        w.arr("products", |w| {
                            for position in 1..=self.rng.usize(2..=6) {
                                w.item_obj(|w| self.product(w, position));
                            }
                        });
                    });
                });
            }
            "promotion_action" => {
                w.str("action", self.pick(&["view", "click"]));
                w.obj("attributes", |w| {
                    w.str("placement", "hero_banner");
                });
                w.arr("promotions", |w| {
                    w.item_obj(|w| {
                        w.str("id", "PROMO-AUTUMN-15");
                        w.str("name", "Autumn Trail Sale – 15 % off");
                        w.str("creative", "hero_1920x600_v3.jpg");
                        w.str("position", "slot_1");
                    });
                });
            }
            "application_state_transition" => {
                let state = self.pick(&["foreground", "background", "initialize"]);
                w.str("application_state", state);
                if state == "initialize" {
                    w.str(
                        "launch_referral",
                        "northpeak://product/SKU-88213-BLK?utm_source=push",
                    );
                    w.str("referral_application", "com.apple.mobilesafari");
                }
            }
            "push_message_receipt" | "push_message_open" => {
                w.str(
                    "payload",
                    &format!(
                        "{{\"aps\":{{\"alert\":{{\"title\":\"Nur heute: 15 % auf Trail Runner\",\"body\":\"Hallo {}, dein Lieblingsschuh ist wieder da.\"}},\"badge\":1,\"sound\":\"default\"}},\"m_cid\":\"{}\",\"deeplink\":\"northpeak://product/SKU-88213-BLK\"}}",
                        self.pick(FIRST_NAMES),
                        self.hex(16)
                    ),
                );
            }
            "user_attribute_change" => {
                w.obj("added", |w| {
                    w.str("loyalty_points", &self.rng.u32(..50_000).to_string());
                    w.str("loyalty_tier", self.pick(&["silver", "gold"]));
                });
                if self.rng.bool() {
                    w.obj("removed", |w| {
                        w.str("trial_ends", "2025-12-31");
                    });
                }
            }
            "error" => {
                w.str("message", "Payment sheet dismissed with error 402");
                w.bool("is_crash", false);
                w.list(
                    "breadcrumbs",
                    &["Cart", "Checkout › Shipping", "Checkout › Payment"],
                );
                w.obj("attributes", |w| {
                    w.str("build", "5.14.2 (51402)");
                    w.str("psp", "adyen");
                });
            }
            "user_identity_change" => {
                w.arr("added", |w| identity(w, "email", "sha256", &self.hex(64)));
            }
            _ => {
                w.str("name", "attribution");
                w.str("partner_name", "Adjust");
                w.str("publisher_name", "Meta");
                w.str("campaign_name", "autumn_trail_2025_retargeting");
                w.obj("attributes", |w| {
                    w.str("adgroup", "lookalike_de_25_44");
                    w.str("creative", "carousel_v2");
                });
            }
        }
    }

    fn product(&mut self, w: &mut Json, position: usize) {
        let (sku, name, brand, category, variant) = PRODUCTS[self.rng.usize(..PRODUCTS.len())];
        let price = self.pick(PRICES);
        w.str("id", sku);
        w.str("name", name);
        w.str("brand", brand);
        w.str("category", category);
        if !variant.is_empty() {
            w.str("variant", variant);
        }
        w.num("position", position as i64);
        w.raw("price", price);
        let quantity = self.rng.u8(1..=3);
        w.raw("quantity", &quantity.to_string());
        w.raw("total_amount", price);
        w.obj("attributes", |w| {
            w.str(
                "color",
                self.pick(&["black", "forest green", "copper", "navy"]),
            );
            w.str("in_stock", "true");
            w.str("rating", self.pick(&["4.6", "4.8", "3.9"]));
            w.str(
                "material",
                self.pick(&["Gore-Tex®", "merino wool", "recycled polyester"]),
            );
        });
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.rng.usize(..from.len())]
    }

    fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        for _ in 0..len {
            s.push(char::from(b"0123456789abcdef"[self.rng.usize(..16)]));
        }
        s
    }

    fn uuid(&mut self) -> String {
        let bytes = self.rng.u128(..).to_be_bytes();
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }
}

/// An identity object of an identity list.
fn identity(w: &mut Json, kind: &str, encoding: &str, value: &str) {
    w.item_obj(|w| {
        w.str("type", kind);
        w.str("encoding", encoding);
        w.str("value", value);
    });
}

/// A field of a fixed table, unless it is absent; `country` is the user's country code.
fn field(w: &mut Json, key: &str, value: &Field, country: &str) {
    match value {
        Field::Str(text) => w.str(key, text),
        Field::Num(number) => w.num(key, *number),
        Field::Bool(value) => w.bool(key, *value),
        Field::Country => w.str(key, country),
        Field::CountryLower => w.str(key, &lowercase(country)),
        Field::Obj(inner) => w.obj(key, |w| {
            for (key, value) in *inner {
                field(w, key, value, country);
            }
        }),
        Field::Absent => {}
    }
}

fn lowercase(s: &str) -> String {
    s.to_lowercase()
}

#[cfg(test)]
mod tests;
