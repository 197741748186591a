//! Declarative helpers shared by the model modules.

/// Declares the body enum of a polymorphic family: one variant per wire `type`, optionally a
/// catch-all variant holding an [`Unrecognized`](crate::model::Unrecognized) object.
macro_rules! tagged_body {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $wire:literal => $variant:ident($ty:ty), )*
        }
        $(unrecognized: $unrec:ident,)?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        // One value per message (or per event): boxing the large variants would only make
        // partners' pattern matching clumsier.
        #[allow(clippy::large_enum_variant)]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = concat!("\n\nWire `type`: `", $wire, "`.")] $variant($ty), )*
            $(
                /// An object whose `type` this SDK version does not know, kept verbatim: it is
                /// never dropped, and re-encoding writes it back unchanged.
                $unrec($crate::model::Unrecognized),
            )?
        }

        impl $crate::codec::tagged::Body for $name {
            fn is_known(tag: &str) -> bool {
                matches!(tag, $($wire)|*)
            }

            fn decode<'de, D: ::serde::Deserializer<'de>>(tag: &str, d: D) -> Result<Self, D::Error> {
                match tag {
                    $( $wire => <$ty as ::serde::Deserialize>::deserialize(d).map($name::$variant), )*
                    other => Err(::serde::de::Error::custom(format_args!("unknown type {other:?}"))),
                }
            }

            fn type_name(&self) -> &str {
                match self {
                    $( $name::$variant(_) => $wire, )*
                    $( $name::$unrec(u) => u.type_name(), )?
                }
            }

            fn write_fields<M: ::serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
                match self {
                    $( $name::$variant(v) => $crate::codec::tagged::write_struct_fields(v, map), )*
                    $( $name::$unrec(_) => Ok(()), )?
                }
            }
        }
    };
}

/// Implements `From<Variant struct>` for an enum whose variants each wrap a distinct type.
macro_rules! variant_from {
    ($name:ident { $($variant:ident($ty:ty)),* $(,)? }) => {$(
        impl From<$ty> for $name {
            fn from(v: $ty) -> Self {
                $name::$variant(v)
            }
        }
    )*};
}

/// Implements `Serialize` and `Deserialize` for a [`Tagged`](crate::codec::tagged::Tagged) type.
macro_rules! tagged_serde {
    ($($ty:ty),*) => {$(
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $crate::codec::tagged::serialize(self, s)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::codec::tagged::deserialize::<Self, D>(d)
            }
        }
    )*};
}

/// Takes one header field out of a map, decoding it with a lenient field decoder.
macro_rules! take_field {
    ($map:expr, $ty:ty, $func:tt) => {{
        #[derive(::serde::Deserialize)]
        struct Field(#[serde(deserialize_with = $func)] $ty);
        $map.next_value::<Field>()?.0
    }};
    ($map:expr, $ty:ty) => {{ $map.next_value::<$ty>()? }};
}
