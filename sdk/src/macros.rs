//! Declarative helpers shared by the model modules: a struct's serde attributes from its field
//! types, the wire enums, and the polymorphic families.

/// Declares model structs (one or several) whose serde attributes follow from their field types,
/// as Java's inclusion rules do (spec §2.1 and §15). Every field is read leniently (the coercions
/// of [`lenient`](crate::codec::lenient)), absent fields keep the struct's [`Default`], and:
///
/// | field type | written | read with |
/// | --- | --- | --- |
/// | `i32`, `i64`, `f64`, `bool` | always | `lenient::i32`, ... |
/// | `Option<CompactString>` | unless `None` or `""` | `lenient::string` |
/// | `Option<i32>`, `Option<i64>`, `Option<f64>`, `Option<bool>` | unless `None` | `opt_i32`, ... |
/// | `Option<Decimal>` | unless `None`, exactly as read | `Decimal::lenient` |
/// | `Option<Uuid>` | unless `None` | `lenient::uuid` |
/// | `Option<T>` (objects, wire enums) | unless `None` | `T`'s own `Deserialize` |
/// | `List<Option<CompactString>>` | unless blank (`null` items kept) | `list::strings` |
/// | `List<T>` | unless blank (no valid and no invalid element) | `List`'s own (`null` is empty; elements that fail are kept as invalid) |
/// | `StringMap` | unless no entry has a value | `lenient::string_map` |
/// | `BTreeMap<CompactString, List<Option<CompactString>>>` | the same | `list::string_lists` |
/// | `BTreeMap<CompactString, StringMap>` | the same | `lenient::nested_string_map` |
/// | `BTreeMap<K, V>` | unless empty | `lenient::map` |
///
/// A field with a `#[serde(...)]` attribute of its own gets that attribute instead (Java's
/// `if true` flags, and the few fields read or written their own way). `= value` after a field's
/// type sets its default (otherwise the type's default). Field order is output order.
///
/// `pub struct Name: Header { ... }` declares the shared fields of a polymorphic family instead:
/// written the same way, and read by the codec as it streams the variant's fields
/// ([`Header`](crate::codec::tagged::Header)).
macro_rules! wire_struct {
    // The fields are read one at a time, in two steps each (`@type` finds the field's attribute,
    // `@push` adds the field and reads the next one's docs, own attribute and name): every step
    // nests, and the structs of some thirty fields must stay within the recursion limit.
    //
    // `$k` is `[struct [fields read] [docs pub name:] [type, default and the fields after]]`, the
    // field read in `{[docs pub name:] [attribute] type default}`; `@type` also gets the field's
    // own attribute (`[]` if none), then its type and the tokens after it.
    (@start $h:tt $(#[doc = $d:literal])* $(#[serde($($own:tt)*)])? pub $f:ident: $($r:tt)*) => {
        wire_struct!(@type [$h [] [$(#[doc = $d])* pub $f:] [$($r)*]] [$($($own)*)?] $($r)*);
    };
    (@start $h:tt) => { wire_struct!(@end $h []); };

    // A field's serde attribute and its fast reader (see `codec::fast`): its own attribute and
    // serde's reading of it (a Java `if true` flag is read by the fast reader's own), or its
    // type's (most specific type first). `@opt` is an option read with a lenient reader and left
    // out when `None`, `@read` a value always written.
    (@type $k:tt [deserialize_with = "l::bool", $($a:tt)*] $($r:tt)*) => {
        wire_struct!(@push $k [deserialize_with = "l::bool", $($a)*] {crate::codec::fast::bool});
    };
    (@type $k:tt [$($a:tt)+] $($r:tt)*) => { wire_struct!(@push $k [$($a)*] {via}); };
    (@type $k:tt [] Option<CompactString> $($r:tt)*) => { wire_struct!(@push $k [
        deserialize_with = "crate::codec::lenient::string",
        skip_serializing_if = "crate::codec::lenient::is_blank"
    ] {crate::codec::fast::opt_text}); };
    (@type $k:tt [] Option<i32> $($r:tt)*) => {
        wire_struct!(@opt $k "crate::codec::lenient::opt_i32" crate::codec::fast::opt_i32);
    };
    (@type $k:tt [] Option<i64> $($r:tt)*) => {
        wire_struct!(@opt $k "crate::codec::lenient::opt_i64" crate::codec::fast::opt_i64);
    };
    (@type $k:tt [] Option<f64> $($r:tt)*) => {
        wire_struct!(@opt $k "crate::codec::lenient::opt_f64" crate::codec::fast::opt_f64);
    };
    (@type $k:tt [] Option<bool> $($r:tt)*) => {
        wire_struct!(@opt $k "crate::codec::lenient::opt_bool" crate::codec::fast::opt_bool);
    };
    (@type $k:tt [] Option<Uuid> $($r:tt)*) => {
        wire_struct!(@opt $k "crate::codec::lenient::uuid" crate::codec::fast::uuid);
    };
    (@type $k:tt [] Option<Decimal> $($r:tt)*) => {
        wire_struct!(@opt $k "crate::model::Decimal::lenient" crate::model::Decimal::fast_lenient);
    };
    (@type $k:tt [] Option<$t:ty> $($r:tt)*) => {
        wire_struct!(@push $k [skip_serializing_if = "Option::is_none"] {crate::codec::fast::option});
    };
    (@type $k:tt [] i32 $($r:tt)*) => {
        wire_struct!(@read $k "crate::codec::lenient::i32" crate::codec::fast::i32);
    };
    (@type $k:tt [] i64 $($r:tt)*) => {
        wire_struct!(@read $k "crate::codec::lenient::i64" crate::codec::fast::i64);
    };
    (@type $k:tt [] f64 $($r:tt)*) => {
        wire_struct!(@read $k "crate::codec::lenient::f64" crate::codec::fast::f64);
    };
    (@type $k:tt [] bool $($r:tt)*) => {
        wire_struct!(@read $k "crate::codec::lenient::bool" crate::codec::fast::bool);
    };
    (@type $k:tt [] List<Option<CompactString>> $($r:tt)*) => { wire_struct!(@push $k [
        deserialize_with = "crate::model::list::strings",
        skip_serializing_if = "crate::model::List::is_blank"
    ] {crate::model::list::fast_strings}); };
    (@type $k:tt [] List<$t:ty> $($r:tt)*) => { wire_struct!(@push $k [
        skip_serializing_if = "crate::model::List::is_blank"
    ] {crate::model::list::fast_list}); };
    (@type $k:tt [] StringMap $($r:tt)*) => { wire_struct!(@push $k [
        deserialize_with = "crate::codec::lenient::string_map",
        serialize_with = "crate::codec::lenient::write_string_map",
        skip_serializing_if = "crate::codec::lenient::map_is_blank"
    ] {crate::codec::fast::string_map}); };
    (@type $k:tt [] BTreeMap<CompactString, List<Option<CompactString>>> $($r:tt)*) => { wire_struct!(@push $k [
        deserialize_with = "crate::model::list::string_lists",
        serialize_with = "crate::model::list::write_lists",
        skip_serializing_if = "crate::model::list::lists_are_blank"
    ] {via}); };
    (@type $k:tt [] BTreeMap<CompactString, StringMap> $($r:tt)*) => {
        wire_struct!(@push $k [
            deserialize_with = "crate::codec::lenient::nested_string_map",
            serialize_with = "crate::codec::lenient::write_nested_map",
            skip_serializing_if = "crate::codec::lenient::nested_map_is_blank"
        ] {via});
    };
    (@type $k:tt [] BTreeMap<$kt:ty, $t:ty> $($r:tt)*) => { wire_struct!(@push $k [
        deserialize_with = "crate::codec::lenient::map", skip_serializing_if = "BTreeMap::is_empty"
    ] {via}); };
    (@opt $k:tt $read:literal $fast:path) => {
        wire_struct!(@push $k [deserialize_with = $read, skip_serializing_if = "Option::is_none"] {$fast});
    };
    (@read $k:tt $read:literal $fast:path) => { wire_struct!(@push $k [deserialize_with = $read] {$fast}); };

    // Adds the field with its attribute, then reads the next one; with none left, the struct.
    (@push [$h:tt [$($e:tt)*] $p:tt [$t:ty $(= $v:expr)?,
        $(#[doc = $d:literal])* $(#[serde($($own:tt)*)])? pub $f:ident: $($r:tt)*]] $a:tt $fast:tt) => {
        wire_struct!(@type [$h [$($e)* {$p $a $fast $t $(= $v)?}] [$(#[doc = $d])* pub $f:] [$($r)*]]
            [$($($own)*)?] $($r)*);
    };
    (@push [$h:tt [$($e:tt)*] $p:tt [$t:ty $(= $v:expr)?,]] $a:tt $fast:tt) => {
        wire_struct!(@end $h [$($e)* {$p $a $fast $t $(= $v)?}]);
    };

    // Every field read: the struct, its `Default` (each field's `= value`, or its type's), and
    // for a header, its reader.
    (@end [$header:tt $name:ident [$($meta:tt)*]]
        [$({[$(#[doc = $d:literal])* pub $f:ident:] [$($a:tt)*] $fast:tt $t:ty $(= $v:expr)?})*]) => {
        wire_struct!(@struct $header $($meta)* pub struct $name {
            $($(#[doc = $d])* #[serde($($a)*)] pub $f: $t,)*
        });

        impl Default for $name {
            fn default() -> Self {
                Self { $($f: wire_struct!(@default $($v)?),)* }
            }
        }

        wire_struct!(@header $header $name $($f: $t [$($a)*] $fast,)*);
    };
    (@default) => { ::core::default::Default::default() };
    (@default $v:expr) => { $v };

    (@struct [] $($item:tt)*) => {
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(default)]
        $($item)*
    };
    (@struct [Header] $($item:tt)*) => {
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize)]
        $($item)*
    };

    // A plain struct: its fast reader, field by field (a field read twice gives up, as serde's
    // derived decoder refuses it).
    (@header [] $name:ident $($f:ident: $t:ty [$($a:tt)*] $fast:tt,)*) => {
        impl $crate::codec::fast::FastFields for $name {
            #[allow(unused_variables)]
            fn fast_field(
                &mut self,
                key: &str,
                r: &mut $crate::codec::fast::Reader<'_>,
                seen: &mut u64,
            ) -> $crate::codec::fast::Fast<bool> {
                #[allow(dead_code)]
                const NAMES: &[&str] = &[$(stringify!($f)),*];
                let known = match key {
                    $(
                        stringify!($f) => {
                            const BIT: u64 = $crate::codec::fast::field_bit(NAMES, stringify!($f));
                            $crate::codec::fast::first_time(seen, BIT)?;
                            self.$f = wire_struct!(@fast r $fast [$($a)*] $t);
                            true
                        }
                    )*
                    _ => false,
                };
                Ok(known)
            }
        }

        impl $crate::codec::fast::FastRead for $name {
            fn fast_read(r: &mut $crate::codec::fast::Reader<'_>) -> $crate::codec::fast::Fast<Self> {
                $crate::codec::fast::fast_struct(r)
            }
        }
    };
    // A family's header: its serde reader and its fast reader, which both keep the last of a
    // repeated field.
    (@header [Header] $name:ident $($f:ident: $t:ty [$($a:tt)*] $fast:tt,)*) => {
        impl $crate::codec::tagged::Header for $name {
            fn take<'de, A: ::serde::de::MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> Result<bool, A::Error> {
                match key {
                    $(
                        stringify!($f) => {
                            #[derive(::serde::Deserialize)]
                            struct Field(#[serde($($a)*)] $t);
                            self.$f = map.next_value::<Field>()?.0;
                        }
                    )*
                    _ => return Ok(false),
                }
                Ok(true)
            }

            fn fast_take(
                &mut self,
                key: &str,
                r: &mut $crate::codec::fast::Reader<'_>,
            ) -> $crate::codec::fast::Fast<bool> {
                match key {
                    $( stringify!($f) => self.$f = wire_struct!(@fast r $fast [$($a)*] $t), )*
                    _ => return Ok(false),
                }
                Ok(true)
            }
        }
    };

    // A field's value, read by the fast reader: by serde (the field's own attribute) on the
    // value's text alone, or by the reader the field's type names.
    (@fast $r:ident {via} [$($a:tt)*] $t:ty) => {{
        #[derive(::serde::Deserialize)]
        struct Field(#[serde($($a)*)] $t);
        $r.via_serde::<Field>()?.0
    }};
    (@fast $r:ident {$read:path} $a:tt $t:ty) => { $read($r)? };

    ($($(#[$meta:meta])* pub struct $name:ident $(: $header:ident)? { $($fields:tt)* })*) => {$(
        wire_struct!(@start [[$($header)?] $name [$(#[$meta])*]] $($fields)*);
    )*};
}

/// Declares a wire enum: known values with their exact wire strings, plus `Other(String)`.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )*
        }
    ) => {
        $(#[$meta])*
        ///
        /// Serialized as its lower-case wire string. Reading is case-sensitive, as in Java; a value
        /// this SDK does not know is kept as [`Other`](Self::Other) and written back unchanged.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = concat!("Wire value `", $wire, "`.")] $variant, )*
            /// A value this SDK version does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// Every value this SDK knows, in the protocol's declaration order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// The wire string.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )*
                    $name::Other(s) => s,
                }
            }

            /// Whether this is a value the SDK knows (not [`Other`](Self::Other)).
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(match s {
                    $( $wire => $name::$variant, )*
                    other => $name::Other(other.to_owned()),
                })
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s.parse() {
                    Ok(v) => v,
                    Err(never) => match never {},
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl $crate::codec::fast::FastRead for $name {
            fn fast_read(r: &mut $crate::codec::fast::Reader<'_>) -> $crate::codec::fast::Fast<Self> {
                $crate::codec::fast::wire_enum(r)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                match $crate::codec::lenient::opt_enum::<D, $name>(d)? {
                    Some(v) => Ok(v),
                    None => Err($crate::codec::error::de_error(
                        $crate::codec::DecodeErrorKind::WrongType,
                        concat!("expected a ", stringify!($name), " string, found null"),
                    )),
                }
            }
        }
    };
}

/// Declares a polymorphic family (spec §3) from one list of its variants:
///
/// * the enum of its variants, one per wire `type`, each holding its struct, plus with
///   `_ => Unrecognized` a catch-all holding an [`Unrecognized`](crate::model::Unrecognized)
///   object;
/// * the wire enum of its `type` names (`EventType` for `EventData`, ...), same variant names;
/// * `From` each variant's struct, except for a struct that several variants share (`shared`);
/// * the codec of the family type named by `impl Tagged`: the enum itself, or a struct of a
///   [`wire_struct!`] header and the enum.
macro_rules! tagged_family {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $wire:literal => $variant:ident($ty:ty) $($shared:ident)?, )*
            $( _ => $unrec:ident, )?
        }

        $(#[$kmeta:meta])*
        pub enum $kind:ident;

        impl Tagged($family:literal) for $tagged:ident $({ $h:ident: $header:ty, $b:ident })?;
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

        wire_enum! {
            $(#[$kmeta])*
            pub enum $kind {
                $( $(#[$vmeta])* $variant = $wire, )*
            }
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

            fn fast_body<H: $crate::codec::tagged::Header>(
                tag: &str,
                r: &mut $crate::codec::fast::Reader<'_>,
                header: &mut H,
            ) -> $crate::codec::fast::Fast<Self> {
                match tag {
                    $( $wire => $crate::codec::tagged::fast_variant::<$ty, H>(r, header).map($name::$variant), )*
                    _ => Err($crate::codec::fast::Bail),
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

        $( tagged_family!(@from $name $variant($ty) $($shared)?); )*

        tagged_family!(@tagged $family $tagged $name [$($unrec)?] $({ $h: $header, $b })?);

        impl ::serde::Serialize for $tagged {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $crate::codec::tagged::serialize(self, s)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $tagged {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::codec::tagged::deserialize::<Self, D>(d)
            }
        }

        impl $crate::codec::fast::FastRead for $tagged {
            fn fast_read(r: &mut $crate::codec::fast::Reader<'_>) -> $crate::codec::fast::Fast<Self> {
                $crate::codec::tagged::fast_read::<Self>(r)
            }
        }
    };

    (@from $name:ident $variant:ident($ty:ty)) => {
        impl From<$ty> for $name {
            fn from(v: $ty) -> Self {
                $name::$variant(v)
            }
        }
    };
    (@from $name:ident $variant:ident($ty:ty) shared) => {};

    // The family is the enum itself, with no shared fields.
    (@tagged $family:literal $tagged:ident $name:ident [$unrec:ident]) => {
        impl $crate::codec::tagged::Tagged for $tagged {
            const FAMILY: &'static str = $family;
            type Header = $crate::codec::tagged::NoHeader;
            type Body = $name;

            fn assemble(_: $crate::codec::tagged::NoHeader, body: $name) -> Self {
                body
            }

            fn unrecognized(
                raw: $crate::model::Unrecognized,
            ) -> Result<Self, ($crate::codec::DecodeErrorKind, String)> {
                Ok($name::$unrec(raw))
            }

            fn header(&self) -> &$crate::codec::tagged::NoHeader {
                &$crate::codec::tagged::NoHeader
            }

            fn body(&self) -> Result<&$name, &$crate::model::Unrecognized> {
                match self {
                    $name::$unrec(raw) => Err(raw),
                    body => Ok(body),
                }
            }
        }
    };
    // The family is a struct of a header and the enum.
    (@tagged $family:literal $tagged:ident $name:ident [$($unrec:ident)?]
        { $h:ident: $header:ty, $b:ident }) => {
        impl $crate::codec::tagged::Tagged for $tagged {
            const FAMILY: &'static str = $family;
            type Header = $header;
            type Body = $name;

            fn assemble($h: $header, $b: $name) -> Self {
                Self { $h, $b }
            }

            fn unrecognized(
                raw: $crate::model::Unrecognized,
            ) -> Result<Self, ($crate::codec::DecodeErrorKind, String)> {
                tagged_family!(@keep raw [$($unrec)?] $name { $h: $header, $b })
            }

            fn header(&self) -> &$header {
                &self.$h
            }

            fn body(&self) -> Result<&$name, &$crate::model::Unrecognized> {
                tagged_family!(@body &self.$b, [$($unrec)?] $name)
            }
        }
    };
    (@body $body:expr, [$unrec:ident] $name:ident) => {
        match $body {
            $name::$unrec(raw) => Err(raw),
            body => Ok(body),
        }
    };
    (@body $body:expr, [] $name:ident) => {
        Ok($body)
    };
    // An unknown `type`: kept whole, its header fields read too; or refused (messages).
    (@keep $raw:ident [$unrec:ident] $name:ident { $h:ident: $header:ty, $b:ident }) => {
        Ok(Self {
            $h: $crate::codec::tagged::header_from_raw::<$header>(&$raw)?,
            $b: $name::$unrec($raw),
        })
    };
    (@keep $raw:ident [] $name:ident { $h:ident: $header:ty, $b:ident }) => {
        Err((
            $crate::codec::DecodeErrorKind::UnknownType,
            format!("{:?} is not a Firehose {} type", $raw.type_name(), Self::FAMILY),
        ))
    };
}

/// Builder methods that change one field and return the value. Each is written
/// `method(argument: Type) => field = value;` or `=> field.method(arguments);`, the field
/// without `self.`.
macro_rules! builder_methods {
    ($(
        $(#[$doc:meta])*
        $method:ident($($arg:ident: $ty:ty)?)
            => $($field:ident).+ $(($($call:tt)*))? $(= $value:expr)?;
    )*) => {$(
        $(#[$doc])*
        pub fn $method(mut self $(, $arg: $ty)?) -> Self {
            self.$($field).+ $(($($call)*))? $(= $value)?;
            self
        }
    )*};
}
