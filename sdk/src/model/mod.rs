//! The typed model of every Firehose message (protocol 3.2.0).
//!
//! Field names, types, defaults and output rules follow the Java SDK exactly, so that what this
//! crate writes equals what Java writes as a JSON value. Decoding is more tolerant than Java's:
//!
//! * unknown fields are ignored at every level (as in Java);
//! * an unknown event type, runtime environment, system notification, setting or
//!   authentication type is kept verbatim (an `Unrecognized` variant holding the raw JSON)
//!   instead of failing the whole message, and is written back unchanged;
//! * an unknown enum value is kept as `Other(String)`;
//! * `events` absent or `null` means no events; envelope fields are optional;
//! * a list element that does not decode (a `null` event, an identity without a value, ...) is
//!   kept in its place as an [`InvalidElement`] instead of failing the whole message: every list
//!   is a [`List`], which reads like a `Vec` of the valid elements;
//! * `null` inside a list of strings is kept, as in Java;
//! * money and quantities are exact decimals of any size ([`Decimal`]: `10.50` stays `10.50`);
//! * numeric strings are read into numbers and scalars into strings, as Jackson does, and
//!   32-bit fields are range-checked.

mod account;
mod audience;
mod builders;
mod consent;
mod decimal;
mod dsr;
pub(crate) mod enums;
mod event;
mod identity;
mod list;
mod message;
pub(crate) mod outline;
mod registration;
mod runtime;
mod string_map;
mod validation;
pub(crate) mod walk;

pub use crate::codec::InvalidElement;
pub use crate::codec::tagged::Unrecognized;
pub use account::Account;
pub use audience::{
    Audience, AudienceMembershipChangeRequest, AudienceMembershipChangeResponse,
    AudienceSubscriptionRequest, AudienceSubscriptionResponse, UserAttributeAudienceEvent,
    UserProfile,
};
/// The model's string: up to 24 bytes inline, longer ones on the heap; reads as a `str`.
pub use compact_str::CompactString;
pub use consent::{
    CcpaConsent, CcpaConsentStateNotification, Consent, ConsentState, DEFAULT_CCPA_PURPOSE,
    GdprConsent, GdprConsentStateNotification, SystemNotification, SystemNotificationType,
};
pub use decimal::{Decimal, DecimalRangeError, ParseDecimalError};
pub use dsr::{DsrProcessingRequest, DsrProcessingResponse, OpenDsrIdentity, SubmittedTime};
pub use enums::*;
pub use event::*;
pub use identity::{
    DeviceIdentity, DeviceIdentityPermission, Identity, IdentityKind, IdentityPermission,
    PartnerIdentity, PartnerIdentityPermission, UserIdentity, UserIdentityPermission,
};
pub use list::{List, ListElements};
pub use message::{Envelope, Message, MessageBody, MessageType};
pub use registration::*;
pub use runtime::*;
pub use string_map::StringMap;
pub use validation::{MAX_DESCRIPTION_CHARS, RegistrationErrors, RegistrationViolation};
