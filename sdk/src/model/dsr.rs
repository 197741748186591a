//! Data-subject requests (OpenDSR), since protocol 2.9.0.

use compact_str::CompactString;
use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::de::{self, Deserialize, Deserializer};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use super::account::Account;
use super::enums::{DsrType, OpenDsrEncoding, OpenDsrIdentityType, RegulationType};
use crate::codec::DecodeErrorKind;
use crate::codec::error::de_error;

wire_struct! {
    /// A data-subject request (`dsr_processing_request`), for example a GDPR erasure.
    pub struct DsrProcessingRequest {
        /// The subscribing account (2.9.2; absent in older traffic).
        pub account: Option<Account>,
        /// mParticle's id for the request.
        pub subject_request_id: Option<CompactString>,
        /// What is requested (only `erasure`).
        pub subject_request_type: Option<DsrType>,
        /// When the data subject submitted the request.
        pub submitted_time: Option<SubmittedTime>,
        /// The data subject's identities, by OpenDSR identity type.
        pub subject_identities: BTreeMap<OpenDsrIdentityType, OpenDsrIdentity>,
        /// The OpenDSR API version, e.g. `3.0`.
        pub api_version: Option<CompactString>,
        /// The regulation the request is made under.
        pub regulation: Option<RegulationType>,
    }

    /// The answer to a data-subject request: no fields beyond the envelope.
    pub struct DsrProcessingResponse {}

    /// One identity of a data subject.
    pub struct OpenDsrIdentity {
        /// How the value is encoded (only `raw`).
        pub encoding: Option<OpenDsrEncoding>,
        /// The identity value.
        pub value: Option<CompactString>,
    }
}

/// An instant with nanosecond precision: the `submitted_time` of a data-subject request.
///
/// Read from an ISO-8601 string (`2021-11-01T15:00:00Z`, with `Z` or an offset), or from a JSON
/// number of epoch **seconds**, fraction allowed. Written as Java writes it: decimal epoch seconds
/// with nine fraction digits (`1714592744.067235000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubmittedTime {
    seconds: i64,
    nanos: u32,
}

impl SubmittedTime {
    /// An instant from epoch seconds and nanoseconds (0..1e9).
    pub fn from_unix(seconds: i64, nanos: u32) -> Self {
        Self {
            seconds: seconds + i64::from(nanos / 1_000_000_000),
            nanos: nanos % 1_000_000_000,
        }
    }

    /// Seconds since the Unix epoch (rounded down).
    pub fn unix_seconds(&self) -> i64 {
        self.seconds
    }

    /// Nanoseconds past [`unix_seconds`](Self::unix_seconds).
    pub fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_millis(&self) -> i64 {
        self.seconds
            .saturating_mul(1000)
            .saturating_add(i64::from(self.nanos / 1_000_000))
    }

    /// As a `SystemTime`.
    pub fn to_system_time(&self) -> SystemTime {
        let since = Duration::new(self.seconds.unsigned_abs(), 0);
        let base = if self.seconds >= 0 {
            UNIX_EPOCH + since
        } else {
            UNIX_EPOCH - since
        };
        base + Duration::from_nanos(u64::from(self.nanos))
    }

    fn total_nanos(&self) -> i128 {
        i128::from(self.seconds) * 1_000_000_000 + i128::from(self.nanos)
    }

    fn from_total_nanos(total: i128) -> Option<Self> {
        let seconds = i64::try_from(total.div_euclid(1_000_000_000)).ok()?;
        let nanos = u32::try_from(total.rem_euclid(1_000_000_000)).ok()?;
        Some(Self { seconds, nanos })
    }

    /// Parses an ISO-8601 / RFC 3339 instant.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let parsed = time::OffsetDateTime::parse(
            text.trim(),
            &time::format_description::well_known::Rfc3339,
        )
        .ok()?;
        Self::from_total_nanos(parsed.unix_timestamp_nanos())
    }

    /// Parses epoch seconds written as a decimal number (`1714592744.067235000`, `1.7E9`).
    pub fn parse_epoch_seconds(text: &str) -> Option<Self> {
        let text = text.trim();
        let seconds = if text.contains(['e', 'E']) {
            Decimal::from_scientific(text).ok()?
        } else {
            Decimal::from_str_exact(text).ok()?
        };
        // Floor, so that a negative fraction lands on the earlier nanosecond, as Java does.
        let total = seconds.checked_mul(Decimal::from(1_000_000_000))?.floor();
        Self::from_total_nanos(total.to_i128()?)
    }
}

impl fmt::Display for SubmittedTime {
    /// RFC 3339, in UTC.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match time::OffsetDateTime::from_unix_timestamp_nanos(self.total_nanos())
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }) {
            Some(text) => f.write_str(&text),
            None => write!(f, "{}.{:09}", self.seconds, self.nanos),
        }
    }
}

impl Serialize for SubmittedTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let decimal = Decimal::try_from_i128_with_scale(self.total_nanos(), 9)
            .map_err(serde::ser::Error::custom)?;
        let raw = RawValue::from_string(decimal.to_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

impl<'de> Deserialize<'de> for SubmittedTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: &RawValue = Deserialize::deserialize(d)?;
        let text = raw.get();
        let parsed = match text.as_bytes().first() {
            Some(b'"') => {
                let s: String = serde_json::from_str(text).map_err(de::Error::custom)?;
                SubmittedTime::parse_rfc3339(&s).or_else(|| SubmittedTime::parse_epoch_seconds(&s))
            }
            Some(b'-' | b'0'..=b'9') => SubmittedTime::parse_epoch_seconds(text),
            _ => {
                return Err(de_error(
                    DecodeErrorKind::WrongType,
                    format_args!("expected an ISO-8601 instant or epoch seconds, found {text}"),
                ));
            }
        };
        parsed.ok_or_else(|| {
            de_error(
                DecodeErrorKind::InvalidValue,
                format_args!("{text} is not an ISO-8601 instant or epoch seconds"),
            )
        })
    }
}
