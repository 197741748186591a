//! Runtime environments: the device and app a batch came from.
//!
//! `smarttv` and `alexa` are kept distinct from `unknown` (Java collapses all three into
//! `unknown` when it re-encodes), and an unregistered platform id is kept verbatim.

use compact_str::CompactString;
use std::collections::BTreeMap;

use super::enums::AttAuthorizationStatus;
use super::identity::DeviceIdentity;
use super::list::List;
use super::string_map::StringMap;
use crate::codec::lenient as l;

/// The device and app a batch came from: fields common to every platform, and the
/// platform-specific device fields.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeEnvironment {
    /// Fields every platform has.
    pub header: RuntimeHeader,
    /// The platform and its device fields.
    pub device: Device,
}

impl RuntimeEnvironment {
    /// A runtime environment for the given platform.
    pub fn new(device: impl Into<Device>) -> Self {
        Self {
            header: RuntimeHeader::default(),
            device: device.into(),
        }
    }

    /// The platform, [`RuntimeEnvironmentType::Other`] for one this SDK does not know.
    pub fn platform(&self) -> RuntimeEnvironmentType {
        RuntimeEnvironmentType::from(crate::codec::tagged::Body::type_name(&self.device))
    }
}

wire_struct! {
    /// Fields every runtime environment has.
    pub struct RuntimeHeader: Header {
        /// Whether the app runs in debug or development mode (written only when true).
        #[serde(deserialize_with = "l::bool", skip_serializing_if = "l::is_false")]
        pub is_debug: bool,
        /// Client IP address (needs `allow_access_ip_address`).
        pub client_ip_address: Option<CompactString>,
        /// Version of the mParticle client SDK (not the Firehose SDK).
        pub sdk_version: Option<CompactString>,
        /// HTTP user agent (needs `allow_access_http_user_agent`).
        pub http_header_user_agent: Option<CompactString>,
        /// Device identities.
        pub identities: List<DeviceIdentity>,
    }
}

tagged_family! {
    /// The platform of a runtime environment and its device fields.
    pub enum Device {
        /// A platform mParticle could not classify.
        "unknown" => Unknown(GenericDevice) shared,
        /// Android.
        "android" => Android(AndroidDevice),
        /// iOS.
        "ios" => Ios(IosDevice),
        /// tvOS.
        "tvos" => Tvos(TvosDevice),
        /// The web.
        "mobileweb" => MobileWeb(WebDevice),
        /// Roku.
        "roku" => Roku(RokuDevice),
        /// Xbox.
        "xbox" => Xbox(ConsoleDevice) shared,
        /// Fire TV.
        "firetv" => FireTv(ConsoleDevice) shared,
        /// Alexa.
        "alexa" => Alexa(GenericDevice) shared,
        /// Smart TVs.
        "smarttv" => SmartTv(GenericDevice) shared,
        _ => Unrecognized,
    }

    /// Runtime environment (platform) types, used in `supported_runtime_environments`.
    pub enum RuntimeEnvironmentType;

    impl Tagged("runtime environment") for RuntimeEnvironment { header: RuntimeHeader, device };
}

/// Declares the device structs. Each names its fields in its wire order (spec §6.3); each field
/// is declared once, in the table below, and [`wire_struct!`] gives it its serde attribute.
macro_rules! device_structs {
    ($($(#[$meta:meta])* pub struct $name:ident { $($field:ident),* $(,)? })*) => {$(
        device_structs!(@next [$(#[$meta])* pub struct $name] [] $($field)*);
    )*};
    (@next [$($head:tt)*] [$($done:tt)*]) => {
        wire_struct! { $($head)* { $($done)* } }
    };
    (@next $h:tt [$($d:tt)*] build_id $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Build id.
            pub build_id: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] brand $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Brand.
            pub brand: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] product $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Product.
            pub product: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] name $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Device name.
            pub name: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] manufacturer $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Manufacturer.
            pub manufacturer: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] device_manufacturer $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Manufacturer.
            pub device_manufacturer: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] os_version $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// OS version.
            pub os_version: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] model $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Model.
            pub model: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] device_model $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Model.
            pub device_model: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] screen_height $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Screen height in pixels (0 when unknown).
            pub screen_height: i32,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] screen_width $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Screen width in pixels (0 when unknown).
            pub screen_width: i32,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] screen_dpi $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Screen density (0 when unknown).
            pub screen_dpi: i32,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] country $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Device country.
            pub country: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] device_country $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Device country.
            pub device_country: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] locale_language $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Locale language.
            pub locale_language: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] locale_country $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Locale country.
            pub locale_country: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] network_country $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Mobile network country.
            pub network_country: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] network_carrier $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Mobile network carrier.
            pub network_carrier: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] network_code $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Mobile network code.
            pub network_code: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] network_mobile_country_code $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Mobile country code.
            pub network_mobile_country_code: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] timezone_offset $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Offset from UTC in hours.
            pub timezone_offset: i32,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] timezone_name $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Time zone name.
            pub timezone_name: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] cpu_architecture $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// CPU architecture.
            pub cpu_architecture: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] push_token $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Web push token.
            pub push_token: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] is_tablet $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Whether the device is a tablet.
            pub is_tablet: Option<bool>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] supports_telephony $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Whether the device supports telephony.
            pub supports_telephony: Option<bool>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] has_nfc $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Whether the device has NFC.
            pub has_nfc: Option<bool>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] bluetooth_enabled $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Whether Bluetooth is enabled.
            pub bluetooth_enabled: Option<bool>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] bluetooth_version $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Bluetooth version.
            pub bluetooth_version: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] radio_access_technology $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Radio access technology.
            pub radio_access_technology: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] limit_ad_tracking $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Limit-ad-tracking flag, as a string.
            pub limit_ad_tracking: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] is_dst $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Whether daylight saving time is in effect, as a string.
            pub is_dst: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] android_sdk_level $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Android API level (0 when unknown).
            pub android_sdk_level: i32,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] application_name $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Application name.
            pub application_name: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] application_version $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Application version.
            pub application_version: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] application_package $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Application package (the bundle id on iOS and tvOS).
            pub application_package: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] install_referrer $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Google Play install referrer.
            pub install_referrer: Option<CompactString>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] is_sandboxed $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Whether the app runs in the sandbox (development) environment.
            pub is_sandboxed: Option<bool>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] apple_search_ads_attribution $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// Apple Search Ads attribution, by version key (e.g. `Version3.1`).
            pub apple_search_ads_attribution: BTreeMap<CompactString, StringMap>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] att_authorization_status $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// App Tracking Transparency status (2.6.0).
            pub att_authorization_status: Option<AttAuthorizationStatus>,] $($n)*);
    };
    (@next $h:tt [$($d:tt)*] att_timestamp_unixtime_ms $($n:ident)*) => {
        device_structs!(@next $h [$($d)*
            /// When the ATT status was set, in epoch milliseconds (0 when unknown).
            pub att_timestamp_unixtime_ms: i64,] $($n)*);
    };
}

device_structs! {
    /// Device fields of an `android` runtime environment.
    pub struct AndroidDevice {
        build_id, brand, product, name, manufacturer, os_version, model, screen_height,
        screen_width, screen_dpi, country, locale_language, locale_country, network_country,
        network_carrier, network_code, network_mobile_country_code, timezone_offset,
        timezone_name, is_tablet, supports_telephony, has_nfc, bluetooth_enabled,
        bluetooth_version, android_sdk_level, application_name, application_version,
        application_package, install_referrer,
    }

    /// Device fields of an `ios` runtime environment.
    pub struct IosDevice {
        build_id, brand, product, name, manufacturer, os_version, model, screen_height,
        screen_width, country, locale_language, locale_country, network_country,
        network_carrier, network_code, network_mobile_country_code, timezone_offset,
        timezone_name, cpu_architecture, is_tablet, radio_access_technology, application_name,
        application_version, application_package, is_sandboxed, apple_search_ads_attribution,
        att_authorization_status, att_timestamp_unixtime_ms,
    }

    /// Device fields of a `tvos` runtime environment.
    pub struct TvosDevice {
        build_id, brand, product, name, manufacturer, os_version, model, screen_height,
        screen_width, country, locale_language, locale_country, timezone_offset, timezone_name,
        cpu_architecture, application_name, application_version, application_package,
        att_authorization_status, att_timestamp_unixtime_ms,
    }

    /// Device fields of a `mobileweb` runtime environment. Note the `device_` prefixes and the
    /// string-typed `limit_ad_tracking` and `is_dst`.
    pub struct WebDevice {
        build_id, brand, product, name, device_manufacturer, os_version, device_model,
        screen_height, screen_width, screen_dpi, device_country, locale_language, locale_country,
        network_country, network_carrier, network_code, network_mobile_country_code,
        timezone_offset, push_token, is_tablet, radio_access_technology, limit_ad_tracking,
        is_dst,
    }

    /// Device fields of a `roku` runtime environment.
    pub struct RokuDevice {
        build_id, brand, product, name, manufacturer, os_version, model, country,
        locale_language, locale_country, timezone_offset, timezone_name, cpu_architecture,
        application_name, application_version, application_package,
    }

    /// Device fields of an `xbox` or `firetv` runtime environment (both have this shape).
    pub struct ConsoleDevice {
        build_id, brand, product, name, manufacturer, os_version, model, screen_height,
        screen_width, country, locale_language, locale_country, timezone_offset, timezone_name,
        cpu_architecture, application_name, application_version, application_package,
    }

    /// Device fields of the generic runtime environments `unknown`, `smarttv` and `alexa`.
    pub struct GenericDevice {
        build_id, brand, product, name, manufacturer, os_version, model, screen_height,
        screen_width, screen_dpi, country, locale_language, locale_country, timezone_offset,
        timezone_name, is_tablet, supports_telephony, has_nfc, bluetooth_enabled,
        bluetooth_version, application_name, application_version, application_package,
    }
}
