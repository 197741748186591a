//! Runtime environments: a plausible device of each platform, with its identities.

use crate::model::StringMap;
use compact_str::{CompactString, ToCompactString};
use std::collections::BTreeMap;

use super::BatchGenerator;
use super::generator::User;
use super::tables::{ANDROID_MODELS, IOS_MODELS, Locale, Platform};
use crate::model::*;

impl BatchGenerator {
    pub(super) fn runtime_environment(
        &mut self,
        platform: Platform,
        user: &User,
    ) -> RuntimeEnvironment {
        let locale = LocaleFields::new(user.locale);
        let some = |s: &str| Some(s.into());
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
                        "Version3.1".into(),
                        StringMap::from([
                            ("iad-attribution", "true".into()),
                            ("iad-campaign-id", self.rng.u32(..).to_compact_string()),
                            ("iad-campaign-name", "Spring Sale".into()),
                            ("iad-keyword", "running shoes".into()),
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
                    ..IosDevice::default()
                }
                .localize(&locale)
                .into()
            }
            Platform::Android => {
                let (brand, model, name, product, height, width, dpi, os, level) =
                    self.pick(ANDROID_MODELS);
                AndroidDevice {
                    build_id: Some(compact_str::format_compact!(
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
                    ..AndroidDevice::default()
                }
                .localize(&locale)
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
                    is_tablet: Some(false),
                    limit_ad_tracking: some("false"),
                    is_dst: some(self.pick(&["true", "false"])),
                    ..WebDevice::default()
                }
                .localize(&locale)
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
                cpu_architecture: some("arm64"),
                application_name: some("Acme TV"),
                application_version: Some(app_version),
                application_package: some("com.acme.tv"),
                att_authorization_status: Some(AttAuthorizationStatus::NotDetermined),
                att_timestamp_unixtime_ms: 0,
                ..TvosDevice::default()
            }
            .localize(&locale)
            .into(),
            Platform::Roku => RokuDevice {
                build_id: some("AEA.00E04209A"),
                brand: some("Roku"),
                product: some("Roku Express 4K"),
                name: some("Roku Express 4K"),
                manufacturer: some("Roku"),
                os_version: some("12.5.0"),
                model: some("3941X"),
                cpu_architecture: some("arm"),
                application_name: some("Acme TV"),
                application_version: Some(app_version),
                application_package: some("dev"),
                ..RokuDevice::default()
            }
            .localize(&locale)
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
                    cpu_architecture: some(if xbox { "x64" } else { "armeabi-v7a" }),
                    application_name: some("Acme TV"),
                    application_version: Some(app_version),
                    application_package: some("com.acme.tv"),
                    ..ConsoleDevice::default()
                }
                .localize(&locale);
                if xbox {
                    Device::Xbox(console)
                } else {
                    Device::FireTv(console)
                }
            }
            Platform::SmartTv | Platform::Alexa | Platform::Unknown => {
                let generic = match platform {
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
                }
                .localize(&locale);
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
        let client_ip_address = Some(compact_str::format_compact!(
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
                identities: self.device_identities(platform).into(),
            },
            device,
        }
    }

    pub(super) fn device_identities(&mut self, platform: Platform) -> Vec<DeviceIdentity> {
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
}

/// A device with the locale fields of its type filled in from the user's locale.
trait Localize {
    fn localize(self, locale: &LocaleFields) -> Self;
}

/// A user's locale as the device fields carry it, each value named after its field.
struct LocaleFields {
    country: Option<CompactString>,
    locale_language: Option<CompactString>,
    locale_country: Option<CompactString>,
    network_country: Option<CompactString>,
    network_carrier: Option<CompactString>,
    network_code: Option<CompactString>,
    network_mobile_country_code: Option<CompactString>,
    timezone_offset: i32,
    timezone_name: Option<CompactString>,
}

impl LocaleFields {
    fn new(l: &Locale) -> Self {
        let some = |s: &str| Some(s.into());
        Self {
            country: some(l.country),
            locale_language: some(l.language),
            locale_country: some(l.country),
            network_country: Some(l.country.to_lowercase().into()),
            network_carrier: some(l.carrier),
            network_code: some(l.mnc),
            network_mobile_country_code: some(l.mcc),
            timezone_offset: l.utc_offset_hours,
            timezone_name: some(l.timezone),
        }
    }
}

/// Implements [`Localize`] from a table: device types, and the locale fields they have.
macro_rules! localize {
    ($([$($device:ty),* $(,)?] => $fields:tt;)*) => {
        $($(localize!(@one $device, $fields);)*)*
    };
    (@one $device:ty, [$($field:ident),* $(,)?]) => {
        impl Localize for $device {
            fn localize(mut self, locale: &LocaleFields) -> Self {
                $(self.$field = locale.$field.clone();)*
                self
            }
        }
    };
}

localize! {
    [IosDevice, AndroidDevice] => [
        country,
        locale_language,
        locale_country,
        network_country,
        network_carrier,
        network_code,
        network_mobile_country_code,
        timezone_offset,
        timezone_name,
    ];
    [TvosDevice, RokuDevice, ConsoleDevice, GenericDevice] => [
        country,
        locale_language,
        locale_country,
        timezone_offset,
        timezone_name,
    ];
    [WebDevice] => [locale_language, locale_country, timezone_offset];
}
