//! Events of all sixteen types, on a timeline of sessions.

use crate::model::StringMap;
use compact_str::CompactString;
use compact_str::ToCompactString;

use rust_decimal::Decimal;

use super::BatchGenerator;
use super::generator::User;
use super::tables::{CATALOG, CUSTOM_EVENTS, EVENT_WEIGHTS, Kind, SCREENS};
use crate::model::*;

/// The running state of one batch's timeline.
pub(super) struct Timeline {
    pub(super) now_ms: i64,
    pub(super) session_id: i64,
    pub(super) session_start_ms: i64,
}

impl BatchGenerator {
    pub(super) fn event(&mut self, timeline: &mut Timeline, user: &User) -> Event {
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
                source_id: self.chance(70).then(|| self.uuid().to_compact_string()),
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
                let attributes = self.sometimes(40, |g| {
                    [
                        ("referrer", g.pick(SCREENS).into()),
                        ("load_time_ms", g.rng.u32(80..3_000).to_compact_string()),
                    ]
                });
                let custom_flags =
                    self.sometimes(5, |_| [("Google.Category", "Navigation".into())]);
                ScreenViewEvent {
                    screen_name: Some(self.pick(SCREENS).into()),
                    attributes,
                    custom_flags,
                }
                .into()
            }
            Kind::Custom => {
                let (name, category) = self.pick(CUSTOM_EVENTS);
                let mut attributes = StringMap::new();
                for _ in 0..self.rng.usize(0..=5) {
                    let (k, v) = self.custom_attribute();
                    attributes.insert(k, v);
                }
                let custom_flags = self.sometimes(5, |_| {
                    [(
                        "Facebook.EventSourceUrl",
                        "https://shop.example.com/".into(),
                    )]
                });
                CustomEvent {
                    name: Some(name.into()),
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
                    message: self.pick_some(&[
                        "Network request timed out",
                        "Unexpected null in CartViewModel",
                        "Image decode failed",
                        "Payment sheet dismissed with error 402",
                    ]),
                    is_crash: crash,
                    stack_trace: crash.then(|| {
                        concat!(
                            "java.lang.IllegalStateException: cart is empty\n",
                            "\tat com.acme.shop.cart.CartViewModel.checkout(CartViewModel.kt:87)\n",
                            "\tat com.acme.shop.cart.CartFragment.onClick(CartFragment.kt:142)",
                        )
                        .into()
                    }),
                    breadcrumbs: (0..n).map(|_| Some(self.pick(SCREENS).into())).collect(),
                    attributes: StringMap::from([("build", self.app_version())]),
                }
                .into()
            }
            Kind::PrivacySettingChange => PrivacySettingChangeEvent {
                setting: Some(PrivacySetting::AppDataCollection),
                is_enabled: self.chance(80),
            }
            .into(),
            Kind::UserAttributeChange => {
                let plan = self.pick(&["free", "plus", "premium"]);
                let mut added = StringMap::from([("plan", plan)]);
                added.extend(self.sometimes(40, |g| {
                    [("loyalty_points", g.rng.u32(0..20_000).to_compact_string())]
                }));
                let removed = self.sometimes(20, |_| [("trial_ends", "2025-12-31".into())]);
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
                    added: vec![new_email].into(),
                    removed: if self.chance(60) {
                        vec![old_email].into()
                    } else {
                        Vec::new().into()
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
                token: Some(self.hex(64).into()),
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
                        .into()
                    }),
                    referral_application: None,
                    launch_parameters: (launched && self.chance(10))
                        .then(|| "{\"deep_link\":\"acme://product/SKU-10231\"}".into()),
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
                .to_compact_string();
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
                let promotions = self.several(1..=2, |g, i| Promotion {
                    id: g.pick_some(&["PROMO_SPRING25", "PROMO_FREESHIP", "PROMO_NEWIN"]),
                    name: g.pick_some(&["Spring Sale", "Free Shipping", "New Arrivals"]),
                    creative: g.pick_some(&["hero_banner", "carousel_card", "inline_tile"]),
                    position: Some(compact_str::format_compact!("slot_{}", i + 1)),
                });
                PromotionActionEvent {
                    action: Some(if self.chance(75) {
                        PromotionActionType::View
                    } else {
                        PromotionActionType::Click
                    }),
                    promotions: promotions.into(),
                    ..PromotionActionEvent::default()
                }
                .into()
            }
            Kind::Impression => {
                let impressions = self.several(1..=2, |g, _| {
                    // The number of products is drawn before the list's name.
                    let count = g.rng.usize(2..=5);
                    Impression {
                        impression_list_name: g.pick_some(&[
                            "Search Results",
                            "Recommended for you",
                            "Recently viewed",
                        ]),
                        products: (0..count).map(|i| g.product(i as i32 + 1, 1)).collect(),
                    }
                });
                ImpressionEvent {
                    impressions: impressions.into(),
                    ..ImpressionEvent::default()
                }
                .into()
            }
            Kind::Attribution => AttributionEvent {
                name: Some("attribution".into()),
                partner_name: self.pick_some(&["AppsFlyer", "Adjust", "Branch", "Kochava"]),
                publisher_name: self.pick_some(&["Google Ads", "Meta Ads", "TikTok For Business"]),
                campaign_name: self.pick_some(&[
                    "spring_sale_2025",
                    "retargeting_q4",
                    "brand_awareness",
                ]),
                attributes: StringMap::from([("click_id", self.hex(20))]),
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
            currency_code: Some(user.locale.currency.into()),
            ..ProductActionEvent::default()
        };
        if matches!(
            action,
            ProductActionType::Purchase | ProductActionType::Refund
        ) {
            let subtotal: Decimal = products
                .iter()
                .filter_map(|p| p.total_amount.as_ref()?.to_decimal().ok())
                .sum();
            let tax = (subtotal * Decimal::new(8, 2)).round_dp(2);
            let shipping = if subtotal >= Decimal::new(5_000, 2) {
                Decimal::new(0, 2)
            } else {
                Decimal::new(499, 2)
            };
            event.transaction_id = Some(compact_str::format_compact!(
                "T{}",
                self.rng.u64(10_000_000..99_999_999)
            ));
            event.affiliation = self.pick_some(&["Acme Online", "Acme App"]);
            event.total_amount = Some((subtotal + tax + shipping).into());
            event.tax_amount = Some(tax.into());
            event.shipping_amount = Some(shipping.into());
            if self.chance(25) {
                event.coupon_code = Some("SPRING25".into());
            }
        }
        event.attributes = self.sometimes(30, |g| {
            [("list", g.pick(&["search", "category", "home"]).into())]
        });
        event.products = products.into();
        event.into()
    }

    fn product(&mut self, position: i32, quantity: i64) -> Product {
        let (sku, name, brand, category, variants, cents) = self.pick(CATALOG);
        let price = Decimal::new(cents, 2);
        let quantity = Decimal::from(quantity);
        let attributes = self.sometimes(20, |g| {
            [("color", g.pick(&["black", "blue", "green"]).into())]
        });
        Product {
            id: Some(sku.into()),
            name: Some(name.into()),
            brand: Some(brand.into()),
            category: Some(category.into()),
            variant: Some(self.pick(variants).into()),
            position,
            price: Some(price.into()),
            quantity: Some(quantity.into()),
            coupon_code: None,
            total_amount: Some((price * quantity).into()),
            attributes,
        }
    }

    fn custom_attribute(&mut self) -> (CompactString, CompactString) {
        match self.rng.u8(0..6) {
            0 => (
                "query".into(),
                self.pick(&["running shoes", "rain jacket", "earbuds", "yoga"])
                    .into(),
            ),
            1 => ("results".into(), self.rng.u16(0..500).to_compact_string()),
            2 => ("source".into(), self.pick(SCREENS).into()),
            3 => ("item_id".into(), self.pick(CATALOG).0.into()),
            4 => (
                "duration_s".into(),
                compact_str::format_compact!("{:.1}", f64::from(self.rng.u16(1..6_000)) / 10.0),
            ),
            _ => (
                "experiment".into(),
                compact_str::format_compact!(
                    "exp_{}_{}",
                    self.rng.u8(1..40),
                    self.pick(&["a", "b"])
                ),
            ),
        }
    }
}
