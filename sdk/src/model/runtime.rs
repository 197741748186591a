//! Runtime environments: the device and app a batch came from.
//!
//! `smarttv` and `alexa` are kept distinct from `unknown` (Java collapses all three into
//! `unknown` when it re-encodes), and an unregistered platform id is kept verbatim.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::MapAccess;

use super::enums::{AttAuthorizationStatus, RuntimeEnvironmentType};
use super::identity::DeviceIdentity;
use crate::codec::DecodeErrorKind;
use crate::codec::lenient as l;
use crate::codec::tagged::{Header, Tagged, Unrecognized};

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

/// Fields every runtime environment has.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct RuntimeHeader {
    /// Whether the app runs in debug or development mode (written only when true).
    #[serde(skip_serializing_if = "l::is_false")]
    pub is_debug: bool,
    /// Client IP address (needs `allow_access_ip_address`).
    #[serde(skip_serializing_if = "l::is_blank")]
    pub client_ip_address: Option<String>,
    /// Version of the mParticle client SDK (not the Firehose SDK).
    #[serde(skip_serializing_if = "l::is_blank")]
    pub sdk_version: Option<String>,
    /// HTTP user agent (needs `allow_access_http_user_agent`).
    #[serde(skip_serializing_if = "l::is_blank")]
    pub http_header_user_agent: Option<String>,
    /// Device identities.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<DeviceIdentity>,
}

impl Header for RuntimeHeader {
    fn take<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "is_debug" => self.is_debug = take_field!(map, bool, "l::bool"),
            "client_ip_address" => {
                self.client_ip_address = take_field!(map, Option<String>, "l::string")
            }
            "sdk_version" => self.sdk_version = take_field!(map, Option<String>, "l::string"),
            "http_header_user_agent" => {
                self.http_header_user_agent = take_field!(map, Option<String>, "l::string")
            }
            "identities" => self.identities = take_field!(map, Vec<DeviceIdentity>, "l::vec"),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

tagged_body! {
    /// The platform of a runtime environment and its device fields.
    pub enum Device {
        /// A platform mParticle could not classify.
        "unknown" => Unknown(GenericDevice),
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
        "xbox" => Xbox(ConsoleDevice),
        /// Fire TV.
        "firetv" => FireTv(ConsoleDevice),
        /// Alexa.
        "alexa" => Alexa(GenericDevice),
        /// Smart TVs.
        "smarttv" => SmartTv(GenericDevice),
    }
    unrecognized: Unrecognized,
}

impl Tagged for RuntimeEnvironment {
    const FAMILY: &'static str = "runtime environment";
    type Header = RuntimeHeader;
    type Body = Device;

    fn assemble(header: RuntimeHeader, device: Device) -> Self {
        Self { header, device }
    }

    fn unrecognized(raw: Unrecognized) -> Result<Self, (DecodeErrorKind, String)> {
        let header = crate::codec::tagged::header_from_raw::<RuntimeHeader>(&raw)?;
        Ok(Self {
            header,
            device: Device::Unrecognized(raw),
        })
    }

    fn header(&self) -> &RuntimeHeader {
        &self.header
    }

    fn body(&self) -> Result<&Device, &Unrecognized> {
        match &self.device {
            Device::Unrecognized(raw) => Err(raw),
            device => Ok(device),
        }
    }
}

tagged_serde!(RuntimeEnvironment);

variant_from!(Device {
    Android(AndroidDevice),
    Ios(IosDevice),
    Tvos(TvosDevice),
    MobileWeb(WebDevice),
    Roku(RokuDevice),
});

wire_struct! {
    /// Device fields of an `android` runtime environment.
    pub struct AndroidDevice {
        /// Build id.
        pub build_id: Option<String>,
        /// Brand.
        pub brand: Option<String>,
        /// Product.
        pub product: Option<String>,
        /// Device name.
        pub name: Option<String>,
        /// Manufacturer.
        pub manufacturer: Option<String>,
        /// OS version.
        pub os_version: Option<String>,
        /// Model.
        pub model: Option<String>,
        /// Screen height in pixels (0 when unknown).
        pub screen_height: i32,
        /// Screen width in pixels (0 when unknown).
        pub screen_width: i32,
        /// Screen density (0 when unknown).
        pub screen_dpi: i32,
        /// Device country.
        pub country: Option<String>,
        /// Locale language.
        pub locale_language: Option<String>,
        /// Locale country.
        pub locale_country: Option<String>,
        /// Mobile network country.
        pub network_country: Option<String>,
        /// Mobile network carrier.
        pub network_carrier: Option<String>,
        /// Mobile network code.
        pub network_code: Option<String>,
        /// Mobile country code.
        pub network_mobile_country_code: Option<String>,
        /// Offset from UTC in hours.
        pub timezone_offset: i32,
        /// Time zone name.
        pub timezone_name: Option<String>,
        /// Whether the device is a tablet.
        pub is_tablet: Option<bool>,
        /// Whether the device supports telephony.
        pub supports_telephony: Option<bool>,
        /// Whether the device has NFC.
        pub has_nfc: Option<bool>,
        /// Whether Bluetooth is enabled.
        pub bluetooth_enabled: Option<bool>,
        /// Bluetooth version.
        pub bluetooth_version: Option<String>,
        /// Android API level (0 when unknown).
        pub android_sdk_level: i32,
        /// Application name.
        pub application_name: Option<String>,
        /// Application version.
        pub application_version: Option<String>,
        /// Application package.
        pub application_package: Option<String>,
        /// Google Play install referrer.
        pub install_referrer: Option<String>,
    }

    /// Device fields of an `ios` runtime environment.
    pub struct IosDevice {
        /// Build id.
        pub build_id: Option<String>,
        /// Brand.
        pub brand: Option<String>,
        /// Product.
        pub product: Option<String>,
        /// Device name.
        pub name: Option<String>,
        /// Manufacturer.
        pub manufacturer: Option<String>,
        /// OS version.
        pub os_version: Option<String>,
        /// Model.
        pub model: Option<String>,
        /// Screen height in pixels (0 when unknown).
        pub screen_height: i32,
        /// Screen width in pixels (0 when unknown).
        pub screen_width: i32,
        /// Device country.
        pub country: Option<String>,
        /// Locale language.
        pub locale_language: Option<String>,
        /// Locale country.
        pub locale_country: Option<String>,
        /// Mobile network country.
        pub network_country: Option<String>,
        /// Mobile network carrier.
        pub network_carrier: Option<String>,
        /// Mobile network code.
        pub network_code: Option<String>,
        /// Mobile country code.
        pub network_mobile_country_code: Option<String>,
        /// Offset from UTC in hours.
        pub timezone_offset: i32,
        /// Time zone name.
        pub timezone_name: Option<String>,
        /// CPU architecture.
        pub cpu_architecture: Option<String>,
        /// Whether the device is a tablet.
        pub is_tablet: Option<bool>,
        /// Radio access technology.
        pub radio_access_technology: Option<String>,
        /// Application name.
        pub application_name: Option<String>,
        /// Application version.
        pub application_version: Option<String>,
        /// Application package (bundle id).
        pub application_package: Option<String>,
        /// Whether the app runs in the sandbox (development) environment.
        pub is_sandboxed: Option<bool>,
        /// Apple Search Ads attribution, by version key (e.g. `Version3.1`).
        pub apple_search_ads_attribution: BTreeMap<String, BTreeMap<String, String>>,
        /// App Tracking Transparency status (2.6.0).
        pub att_authorization_status: Option<AttAuthorizationStatus>,
        /// When the ATT status was set, in epoch milliseconds (0 when unknown).
        pub att_timestamp_unixtime_ms: i64,
    }

    /// Device fields of a `tvos` runtime environment.
    pub struct TvosDevice {
        /// Build id.
        pub build_id: Option<String>,
        /// Brand.
        pub brand: Option<String>,
        /// Product.
        pub product: Option<String>,
        /// Device name.
        pub name: Option<String>,
        /// Manufacturer.
        pub manufacturer: Option<String>,
        /// OS version.
        pub os_version: Option<String>,
        /// Model.
        pub model: Option<String>,
        /// Screen height in pixels (0 when unknown).
        pub screen_height: i32,
        /// Screen width in pixels (0 when unknown).
        pub screen_width: i32,
        /// Device country.
        pub country: Option<String>,
        /// Locale language.
        pub locale_language: Option<String>,
        /// Locale country.
        pub locale_country: Option<String>,
        /// Offset from UTC in hours.
        pub timezone_offset: i32,
        /// Time zone name.
        pub timezone_name: Option<String>,
        /// CPU architecture.
        pub cpu_architecture: Option<String>,
        /// Application name.
        pub application_name: Option<String>,
        /// Application version.
        pub application_version: Option<String>,
        /// Application package (bundle id).
        pub application_package: Option<String>,
        /// App Tracking Transparency status (2.6.0).
        pub att_authorization_status: Option<AttAuthorizationStatus>,
        /// When the ATT status was set, in epoch milliseconds (0 when unknown).
        pub att_timestamp_unixtime_ms: i64,
    }

    /// Device fields of a `mobileweb` runtime environment. Note the `device_` prefixes and the
    /// string-typed `limit_ad_tracking` and `is_dst`.
    pub struct WebDevice {
        /// Build id.
        pub build_id: Option<String>,
        /// Brand.
        pub brand: Option<String>,
        /// Product.
        pub product: Option<String>,
        /// Device name.
        pub name: Option<String>,
        /// Manufacturer.
        pub device_manufacturer: Option<String>,
        /// OS version.
        pub os_version: Option<String>,
        /// Model.
        pub device_model: Option<String>,
        /// Screen height in pixels (0 when unknown).
        pub screen_height: i32,
        /// Screen width in pixels (0 when unknown).
        pub screen_width: i32,
        /// Screen density (0 when unknown).
        pub screen_dpi: i32,
        /// Device country.
        pub device_country: Option<String>,
        /// Locale language.
        pub locale_language: Option<String>,
        /// Locale country.
        pub locale_country: Option<String>,
        /// Mobile network country.
        pub network_country: Option<String>,
        /// Mobile network carrier.
        pub network_carrier: Option<String>,
        /// Mobile network code.
        pub network_code: Option<String>,
        /// Mobile country code.
        pub network_mobile_country_code: Option<String>,
        /// Offset from UTC in hours.
        pub timezone_offset: i32,
        /// Web push token.
        pub push_token: Option<String>,
        /// Whether the device is a tablet.
        pub is_tablet: Option<bool>,
        /// Radio access technology.
        pub radio_access_technology: Option<String>,
        /// Limit-ad-tracking flag, as a string.
        pub limit_ad_tracking: Option<String>,
        /// Whether daylight saving time is in effect, as a string.
        pub is_dst: Option<String>,
    }

    /// Device fields of a `roku` runtime environment.
    pub struct RokuDevice {
        /// Build id.
        pub build_id: Option<String>,
        /// Brand.
        pub brand: Option<String>,
        /// Product.
        pub product: Option<String>,
        /// Device name.
        pub name: Option<String>,
        /// Manufacturer.
        pub manufacturer: Option<String>,
        /// OS version.
        pub os_version: Option<String>,
        /// Model.
        pub model: Option<String>,
        /// Device country.
        pub country: Option<String>,
        /// Locale language.
        pub locale_language: Option<String>,
        /// Locale country.
        pub locale_country: Option<String>,
        /// Offset from UTC in hours.
        pub timezone_offset: i32,
        /// Time zone name.
        pub timezone_name: Option<String>,
        /// CPU architecture.
        pub cpu_architecture: Option<String>,
        /// Application name.
        pub application_name: Option<String>,
        /// Application version.
        pub application_version: Option<String>,
        /// Application package.
        pub application_package: Option<String>,
    }

    /// Device fields of an `xbox` or `firetv` runtime environment (both have this shape).
    pub struct ConsoleDevice {
        /// Build id.
        pub build_id: Option<String>,
        /// Brand.
        pub brand: Option<String>,
        /// Product.
        pub product: Option<String>,
        /// Device name.
        pub name: Option<String>,
        /// Manufacturer.
        pub manufacturer: Option<String>,
        /// OS version.
        pub os_version: Option<String>,
        /// Model.
        pub model: Option<String>,
        /// Screen height in pixels (0 when unknown).
        pub screen_height: i32,
        /// Screen width in pixels (0 when unknown).
        pub screen_width: i32,
        /// Device country.
        pub country: Option<String>,
        /// Locale language.
        pub locale_language: Option<String>,
        /// Locale country.
        pub locale_country: Option<String>,
        /// Offset from UTC in hours.
        pub timezone_offset: i32,
        /// Time zone name.
        pub timezone_name: Option<String>,
        /// CPU architecture.
        pub cpu_architecture: Option<String>,
        /// Application name.
        pub application_name: Option<String>,
        /// Application version.
        pub application_version: Option<String>,
        /// Application package.
        pub application_package: Option<String>,
    }

    /// Device fields of the generic runtime environments `unknown`, `smarttv` and `alexa`.
    pub struct GenericDevice {
        /// Build id.
        pub build_id: Option<String>,
        /// Brand.
        pub brand: Option<String>,
        /// Product.
        pub product: Option<String>,
        /// Device name.
        pub name: Option<String>,
        /// Manufacturer.
        pub manufacturer: Option<String>,
        /// OS version.
        pub os_version: Option<String>,
        /// Model.
        pub model: Option<String>,
        /// Screen height in pixels (0 when unknown).
        pub screen_height: i32,
        /// Screen width in pixels (0 when unknown).
        pub screen_width: i32,
        /// Screen density (0 when unknown).
        pub screen_dpi: i32,
        /// Device country.
        pub country: Option<String>,
        /// Locale language.
        pub locale_language: Option<String>,
        /// Locale country.
        pub locale_country: Option<String>,
        /// Offset from UTC in hours.
        pub timezone_offset: i32,
        /// Time zone name.
        pub timezone_name: Option<String>,
        /// Whether the device is a tablet.
        pub is_tablet: Option<bool>,
        /// Whether the device supports telephony.
        pub supports_telephony: Option<bool>,
        /// Whether the device has NFC.
        pub has_nfc: Option<bool>,
        /// Whether Bluetooth is enabled.
        pub bluetooth_enabled: Option<bool>,
        /// Bluetooth version.
        pub bluetooth_version: Option<String>,
        /// Application name.
        pub application_name: Option<String>,
        /// Application version.
        pub application_version: Option<String>,
        /// Application package.
        pub application_package: Option<String>,
    }
}
