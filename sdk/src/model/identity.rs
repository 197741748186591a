//! Identities (`type`, `encoding`, `value`) and the identity permissions of a registration.

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::enums::{DeviceIdentityType, IdentityEncoding, UserIdentityType};
use crate::codec::DecodeErrorKind;
use crate::codec::error::marked;
use crate::codec::lenient as l;

/// The `type` of an identity: a [`UserIdentityType`], a [`DeviceIdentityType`], or a partner's
/// own free-form name (a `String`).
pub trait IdentityKind: Clone + PartialEq + std::fmt::Debug + Send + Sync + 'static {
    /// Reads the wire string.
    fn from_wire(s: &str) -> Self;
    /// The wire string.
    fn wire(&self) -> &str;
}

impl IdentityKind for UserIdentityType {
    fn from_wire(s: &str) -> Self {
        s.into()
    }
    fn wire(&self) -> &str {
        self.as_str()
    }
}

impl IdentityKind for DeviceIdentityType {
    fn from_wire(s: &str) -> Self {
        s.into()
    }
    fn wire(&self) -> &str {
        self.as_str()
    }
}

impl IdentityKind for String {
    fn from_wire(s: &str) -> Self {
        s.to_owned()
    }
    fn wire(&self) -> &str {
        self
    }
}

/// Declares, for each identity kind, its [`Identity`] and its [`IdentityPermission`].
macro_rules! identity_aliases {
    ($(
        $kind:ty => $(#[$idoc:meta])* $identity:ident, $(#[$pdoc:meta])* $permission:ident;
    )*) => {$(
        $(#[$idoc])*
        pub type $identity = Identity<$kind>;
        $(#[$pdoc])*
        pub type $permission = IdentityPermission<$kind>;
    )*};
}

identity_aliases! {
    UserIdentityType =>
        /// A user identity (email, customer id, ...).
        UserIdentity,
        /// Permission to receive a user identity.
        UserIdentityPermission;
    DeviceIdentityType =>
        /// A device identity (advertising ids, push tokens, ...).
        DeviceIdentity,
        /// Permission to receive a device identity.
        DeviceIdentityPermission;
    String =>
        /// A partner identity, whose type is the partner's own name for it (e.g. `partner_id`).
        PartnerIdentity,
        /// Permission to receive the partner's own identity (only one may be registered).
        PartnerIdentityPermission;
}

/// An identity of a user or device. All three fields are required: an identity missing one of
/// them fails the message with [`DecodeErrorKind::InvalidIdentity`].
#[derive(Debug, Clone, PartialEq)]
pub struct Identity<K: IdentityKind> {
    /// What kind of identity this is (wire `type`).
    pub identity_type: K,
    /// How `value` is encoded.
    pub encoding: IdentityEncoding,
    /// The identity value (never empty).
    pub value: String,
}

impl<K: IdentityKind> Identity<K> {
    /// A new identity.
    pub fn new(identity_type: K, encoding: IdentityEncoding, value: impl Into<String>) -> Self {
        Self {
            identity_type,
            encoding,
            value: value.into(),
        }
    }
}

#[derive(serde::Deserialize)]
struct RawIdentity {
    #[serde(rename = "type", default, deserialize_with = "l::string")]
    identity_type: Option<String>,
    #[serde(default, deserialize_with = "l::string")]
    encoding: Option<String>,
    #[serde(default, deserialize_with = "l::string")]
    value: Option<String>,
    #[serde(default, deserialize_with = "l::opt_bool")]
    required: Option<bool>,
}

impl RawIdentity {
    /// Reads an identity or identity permission (`what`, for errors) with its `type` and
    /// `encoding`, which both require.
    fn read<'de, D: Deserializer<'de>, K: IdentityKind>(
        d: D,
        what: &str,
    ) -> Result<(Self, K, IdentityEncoding), D::Error> {
        let raw = Self::deserialize(d)?;
        let (identity_type, encoding) = raw
            .type_and_encoding::<K>(what)
            .map_err(serde::de::Error::custom)?;
        Ok((raw, identity_type, encoding))
    }

    fn type_and_encoding<K: IdentityKind>(
        &self,
        what: &str,
    ) -> Result<(K, IdentityEncoding), String> {
        let invalid = |reason: &str| {
            marked(
                DecodeErrorKind::InvalidIdentity,
                "",
                format_args!("{what} {reason}"),
            )
        };
        let identity_type = match self.identity_type.as_deref() {
            Some(t) if !t.is_empty() => K::from_wire(t),
            Some(_) => return Err(invalid("has an empty `type`")),
            None => return Err(invalid("has no `type`")),
        };
        let encoding = match self.encoding.as_deref() {
            Some(e) if !e.is_empty() => IdentityEncoding::from(e),
            _ => return Err(invalid("has no `encoding`")),
        };
        Ok((identity_type, encoding))
    }
}

impl<'de, K: IdentityKind> Deserialize<'de> for Identity<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (raw, identity_type, encoding) = RawIdentity::read::<D, K>(d, "the identity")?;
        match raw.value {
            Some(value) if !value.is_empty() => Ok(Self {
                identity_type,
                encoding,
                value,
            }),
            _ => Err(serde::de::Error::custom(marked(
                DecodeErrorKind::InvalidIdentity,
                "",
                "the identity has no `value`",
            ))),
        }
    }
}

impl<K: IdentityKind> Serialize for Identity<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Identity", 3)?;
        st.serialize_field("type", self.identity_type.wire())?;
        st.serialize_field("encoding", &self.encoding)?;
        if self.value.is_empty() {
            st.skip_field("value")?;
        } else {
            st.serialize_field("value", &self.value)?;
        }
        st.end()
    }
}

/// Permission to receive one identity type, in one encoding (registration `permissions`).
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityPermission<K: IdentityKind> {
    /// The identity type (wire `type`).
    pub identity_type: K,
    /// The encoding mParticle should send it in.
    pub encoding: IdentityEncoding,
    /// When any registered identity is required, mParticle sends only users or devices that have
    /// at least one of the required identities.
    pub required: bool,
}

impl<K: IdentityKind> IdentityPermission<K> {
    /// An optional identity permission.
    pub fn new(identity_type: K, encoding: IdentityEncoding) -> Self {
        Self {
            identity_type,
            encoding,
            required: false,
        }
    }

    /// Marks the identity as required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
}

impl<'de, K: IdentityKind> Deserialize<'de> for IdentityPermission<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (raw, identity_type, encoding) =
            RawIdentity::read::<D, K>(d, "the identity permission")?;
        Ok(Self {
            identity_type,
            encoding,
            required: raw.required.unwrap_or(false),
        })
    }
}

impl<K: IdentityKind> Serialize for IdentityPermission<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("IdentityPermission", 3)?;
        st.serialize_field("type", self.identity_type.wire())?;
        st.serialize_field("encoding", &self.encoding)?;
        st.serialize_field("required", &self.required)?;
        st.end()
    }
}
