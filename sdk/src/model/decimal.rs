//! [`Decimal`]: money and quantities (Java `BigDecimal`), exact whatever their size.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserialize, Deserializer};
use serde::ser::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::codec::DecodeErrorKind;
use crate::codec::error::de_error;
use crate::codec::fast;

/// An exact decimal number: a price, an amount, a quantity (Java `BigDecimal`).
///
/// It keeps the value exactly as sent, whatever its size: `10.50` stays `10.50`, and a
/// 40-digit amount or `1e-400` is kept and written back as it came. Values that fit
/// [`rust_decimal::Decimal`] (up to 28 fraction digits and 96 bits of digits, which is every
/// real-world amount) are written as that type writes them (`1E+3` as `1000`, equal as a value);
/// others keep their own text.
///
/// For arithmetic, [`to_decimal`](Decimal::to_decimal) says whether the value fits
/// `rust_decimal`, and [`to_f64`](Decimal::to_f64) gives an approximation.
///
/// ```
/// use mparticle_firehose::model::Decimal;
///
/// let price: Decimal = "10.50".parse()?;
/// assert_eq!(price.to_string(), "10.50");
/// assert_eq!(price.to_decimal()?, rust_decimal::Decimal::new(1050, 2));
///
/// let huge: Decimal = "123456789012345678901234567890.5".parse()?;
/// assert_eq!(huge.to_string(), "123456789012345678901234567890.5");
/// assert!(huge.to_decimal().is_err());
/// assert_eq!(huge.to_f64(), Some(1.2345678901234568e29));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Decimal(Repr);

#[derive(Clone)]
enum Repr {
    /// Fits `rust_decimal` exactly (scale included).
    Fits(rust_decimal::Decimal),
    /// Does not: the number's text, as a valid JSON number.
    Text(Box<str>),
}

/// A [`Decimal`] does not fit [`rust_decimal::Decimal`] (more than 28 fraction digits, or more
/// than 96 bits of digits).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value} does not fit a 96-bit decimal (28 fraction digits at most)")]
pub struct DecimalRangeError {
    value: String,
}

/// Text that is not a decimal number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a decimal number")]
pub struct ParseDecimalError;

impl Decimal {
    /// The value as a [`rust_decimal::Decimal`], when it fits one exactly.
    pub fn to_decimal(&self) -> Result<rust_decimal::Decimal, DecimalRangeError> {
        match &self.0 {
            Repr::Fits(d) => Ok(*d),
            Repr::Text(t) => Err(DecimalRangeError {
                value: t.to_string(),
            }),
        }
    }

    /// The nearest `f64`; `None` when the value is beyond `f64`'s range. (Very small values
    /// round to zero.)
    pub fn to_f64(&self) -> Option<f64> {
        let f = match &self.0 {
            Repr::Fits(d) => rust_decimal::prelude::ToPrimitive::to_f64(d)?,
            Repr::Text(t) => t.parse::<f64>().ok()?,
        };
        f.is_finite().then_some(f)
    }

    /// Whether the value fits [`rust_decimal::Decimal`] (see [`to_decimal`](Self::to_decimal)).
    pub fn fits_decimal(&self) -> bool {
        matches!(self.0, Repr::Fits(_))
    }

    /// Reads a field leniently, as Jackson does: a JSON number or a numeric string (blank is
    /// absent); `null` is absent.
    pub(crate) fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
        let raw: &RawValue = Deserialize::deserialize(d)?;
        let text = raw.get();
        let wrong = |found: &str| {
            de_error(
                DecodeErrorKind::WrongType,
                format_args!("expected a decimal number, found {found}"),
            )
        };
        let parse = |s: &str| {
            s.parse::<Decimal>().map_err(|_| {
                de_error(
                    DecodeErrorKind::InvalidValue,
                    format_args!("{s:?} is not a decimal number"),
                )
            })
        };
        match text.as_bytes().first() {
            Some(b'n') => Ok(None),
            Some(b'"') => {
                let s: String = serde_json::from_str(text).map_err(de::Error::custom)?;
                if s.trim().is_empty() {
                    Ok(None)
                } else {
                    parse(&s).map(Some)
                }
            }
            Some(b'-' | b'0'..=b'9') => parse(text).map(Some),
            Some(b'{') => Err(wrong("an object")),
            Some(b'[') => Err(wrong("an array")),
            _ => Err(wrong("a boolean")),
        }
    }
}

impl Decimal {
    /// [`lenient`](Self::lenient) for the fast reader.
    pub(crate) fn fast_lenient(r: &mut fast::Reader<'_>) -> fast::Fast<Option<Self>> {
        match fast::decimal_text(r)? {
            None => Ok(None),
            Some(text) => text.as_str().parse().map(Some).map_err(|_| fast::Bail),
        }
    }
}

/// The parts of a decimal number's text.
struct Parts<'a> {
    negative: bool,
    int: &'a str,
    frac: &'a str,
    /// `e`/`E`, its sign as written, and its digits.
    exp: Option<(char, &'a str, &'a str)>,
}

fn split(s: &str) -> Option<Parts<'_>> {
    fn digits(s: &str) -> (&str, &str) {
        let end = s
            .bytes()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(s.len());
        s.split_at(end)
    }
    let (negative, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, rest) = digits(rest);
    let (frac, rest) = match rest.strip_prefix('.') {
        Some(after) => digits(after),
        None => ("", rest),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let exp = match rest.chars().next() {
        None => None,
        Some(e @ ('e' | 'E')) => {
            let after = &rest[1..];
            let (sign, after) = match after.as_bytes().first() {
                Some(b'-') => ("-", &after[1..]),
                Some(b'+') => ("+", &after[1..]),
                _ => ("", after),
            };
            let (exp_digits, tail) = digits(after);
            if exp_digits.is_empty() || !tail.is_empty() {
                return None;
            }
            Some((e, sign, exp_digits))
        }
        Some(_) => return None,
    };
    Some(Parts {
        negative,
        int,
        frac,
        exp,
    })
}

/// The value as `rust_decimal` holds it, when it fits exactly; scale as written (an exponent
/// moves it, and a positive one multiplies into the digits, as `rust_decimal` does).
fn fit(p: &Parts<'_>) -> Option<rust_decimal::Decimal> {
    // The digits of `int` then `frac`, without leading zeros: 29 at most fit 96 bits.
    let mut mantissa: i128 = 0;
    let mut significant = 0;
    for b in p.int.bytes().chain(p.frac.bytes()) {
        if significant == 0 && b == b'0' {
            continue;
        }
        significant += 1;
        if significant > 29 {
            return None;
        }
        mantissa = mantissa * 10 + i128::from(b - b'0');
    }
    let exponent: i128 = match p.exp {
        None => 0,
        Some((_, sign, d)) => {
            // More than 6 digits of exponent can never fit (and cannot overflow here).
            let d = d.trim_start_matches('0');
            if d.len() > 6 {
                return None;
            }
            let e: i128 = if d.is_empty() { 0 } else { d.parse().ok()? };
            if sign == "-" { -e } else { e }
        }
    };
    let mut scale = i128::try_from(p.frac.len()).ok()? - exponent;
    if scale < 0 {
        if mantissa != 0 {
            let factor = 10i128.checked_pow(u32::try_from(-scale).ok()?)?;
            mantissa = mantissa.checked_mul(factor)?;
        }
        scale = 0;
    }
    if scale > 28 {
        return None;
    }
    if p.negative {
        mantissa = -mantissa;
    }
    rust_decimal::Decimal::try_from_i128_with_scale(mantissa, u32::try_from(scale).ok()?).ok()
}

/// The number as a valid JSON number, digit for digit.
fn json_text(p: &Parts<'_>) -> String {
    let mut out = String::new();
    if p.negative {
        out.push('-');
    }
    let int = p.int.trim_start_matches('0');
    out.push_str(if int.is_empty() { "0" } else { int });
    if !p.frac.is_empty() {
        out.push('.');
        out.push_str(p.frac);
    }
    if let Some((e, sign, d)) = p.exp {
        out.push(e);
        out.push_str(sign);
        out.push_str(d);
    }
    out
}

/// Reads a decimal number: JSON number syntax, also with a leading `+`, a leading or trailing
/// `.`, or leading zeros (numeric strings); surrounding whitespace is ignored.
impl FromStr for Decimal {
    type Err = ParseDecimalError;

    fn from_str(s: &str) -> Result<Self, ParseDecimalError> {
        let parts = split(s.trim()).ok_or(ParseDecimalError)?;
        Ok(match fit(&parts) {
            Some(d) => Self(Repr::Fits(d)),
            None => Self(Repr::Text(json_text(&parts).into_boxed_str())),
        })
    }
}

impl From<rust_decimal::Decimal> for Decimal {
    fn from(d: rust_decimal::Decimal) -> Self {
        Self(Repr::Fits(d))
    }
}

impl From<i64> for Decimal {
    fn from(n: i64) -> Self {
        Self(Repr::Fits(n.into()))
    }
}

impl TryFrom<Decimal> for rust_decimal::Decimal {
    type Error = DecimalRangeError;

    fn try_from(d: Decimal) -> Result<Self, DecimalRangeError> {
        d.to_decimal()
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Fits(d) => fmt::Display::fmt(d, f),
            Repr::Text(t) => f.write_str(t),
        }
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Values that fit `rust_decimal` compare by value (`10.5 == 10.50`); others by their text.
impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Repr::Fits(a), Repr::Fits(b)) => a == b,
            (Repr::Text(a), Repr::Text(b)) => a == b,
            _ => false,
        }
    }
}

impl PartialEq<rust_decimal::Decimal> for Decimal {
    fn eq(&self, other: &rust_decimal::Decimal) -> bool {
        matches!(&self.0, Repr::Fits(d) if d == other)
    }
}

/// Written as a JSON number with its exact digits.
impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; PLAIN_MAX];
        let text = match &self.0 {
            Repr::Fits(d) => plain(d, &mut buf),
            Repr::Text(t) => t,
        };
        // A raw value borrowed from the text: checked to be one JSON number, never allocated.
        let raw: &RawValue = serde_json::from_str(text).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

/// The longest [`plain`] text: a sign, 29 digits (96 bits), a leading `0` and the point.
const PLAIN_MAX: usize = 32;

/// `d` as its `Display` writes it (the sign, the digits, the point at the scale, no exponent),
/// without the formatting machinery: writing a batch's amounts is a hot path of encoding.
fn plain<'b>(d: &rust_decimal::Decimal, buf: &'b mut [u8; PLAIN_MAX]) -> &'b str {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(d.mantissa().unsigned_abs()).as_bytes();
    let scale = d.scale() as usize;
    let mut len = 0;
    let mut put = |bytes: &[u8]| {
        buf[len..len + bytes.len()].copy_from_slice(bytes);
        len += bytes.len();
    };
    if d.is_sign_negative() {
        put(b"-");
    }
    if scale == 0 {
        put(digits);
    } else if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        put(int);
        put(b".");
        put(frac);
    } else {
        put(b"0.");
        for _ in digits.len()..scale {
            put(b"0");
        }
        put(digits);
    }
    // Only ASCII digits, `-` and `.` were written.
    std::str::from_utf8(&buf[..len]).unwrap_or("0")
}

/// Read from a JSON number or a numeric string (`null` is refused: optional fields are
/// `Option<Decimal>`).
impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::lenient(d)?.ok_or_else(|| {
            de_error(
                DecodeErrorKind::WrongType,
                "expected a decimal number, found null",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The encoder's digit writer agrees with `rust_decimal`'s `Display`, sign of zero
        /// included, for every 96-bit mantissa and scale.
        #[test]
        fn plain_writes_what_display_writes(
            lo: u32, mid: u32, hi: u32, negative: bool, scale in 0u32..=28,
        ) {
            let d = rust_decimal::Decimal::from_parts(lo, mid, hi, negative, scale);
            let mut buf = [0u8; PLAIN_MAX];
            prop_assert_eq!(plain(&d, &mut buf), d.to_string());
            let zero = rust_decimal::Decimal::from_parts(0, 0, 0, negative, scale);
            prop_assert_eq!(plain(&zero, &mut buf), zero.to_string());
            let small = rust_decimal::Decimal::from_parts(lo % 1000, 0, 0, negative, scale);
            let json = serde_json::to_string(&Decimal(Repr::Fits(small))).unwrap();
            prop_assert_eq!(json, small.to_string());
        }
    }

    fn text(s: &str) -> String {
        s.parse::<Decimal>().unwrap().to_string()
    }

    #[test]
    fn values_that_fit_are_written_as_before() {
        for (input, written) in [
            ("10.50", "10.50"),
            ("1E+3", "1000"),
            ("1.5e2", "150"),
            ("1e-3", "0.001"),
            ("-1.50E+1", "-15.0"),
            ("0.0e-10", "0.00000000000"),
            ("0e5", "0"),
            ("-0", "0"),
            ("-0.0", "0.0"),
            ("+5", "5"),
            (".5", "0.5"),
            ("5.", "5"),
            ("0005", "5"),
            (" 7 ", "7"),
            (
                "79228162514264337593543950335",
                "79228162514264337593543950335",
            ),
            (
                "-0.0000000000000000000000000001",
                "-0.0000000000000000000000000001",
            ),
            ("1e28", "10000000000000000000000000000"),
        ] {
            assert_eq!(text(input), written, "{input}");
            assert!(input.parse::<Decimal>().unwrap().fits_decimal(), "{input}");
        }
    }

    #[test]
    fn values_that_do_not_fit_keep_their_text() {
        for (input, written) in [
            (
                "123456789012345678901234567890.5",
                "123456789012345678901234567890.5",
            ),
            (
                "79228162514264337593543950336",
                "79228162514264337593543950336",
            ),
            (
                "0.0000000000000000000000000000001",
                "0.0000000000000000000000000000001",
            ),
            ("1E+400", "1E+400"),
            ("1e-400", "1e-400"),
            ("1e29", "1e29"),
            ("1.0e-28", "1.0e-28"),
            ("-1e99999999999999999999", "-1e99999999999999999999"),
            // No digit is lost where rust_decimal would round.
            (
                "1.23456789012345678901234567890123e5",
                "1.23456789012345678901234567890123e5",
            ),
            // Numeric strings become valid JSON numbers.
            ("+.5e-400", "0.5e-400"),
            ("007e-99", "7e-99"),
        ] {
            let d: Decimal = input.parse().unwrap();
            assert_eq!(d.to_string(), written, "{input}");
            assert!(!d.fits_decimal(), "{input}");
            assert!(d.to_decimal().is_err());
            assert!(serde_json::from_str::<Box<RawValue>>(written).is_ok());
        }
        assert_eq!("1e-400".parse::<Decimal>().unwrap().to_f64(), Some(0.0));
        assert_eq!("1E+400".parse::<Decimal>().unwrap().to_f64(), None);
    }

    #[test]
    fn malformed_text_is_refused() {
        for input in [
            "", "-", ".", "e5", "1e", "1e+", "1.2.3", "1x", "0x10", "1_000", "--1",
        ] {
            assert!(input.parse::<Decimal>().is_err(), "{input}");
        }
    }

    #[test]
    fn equality_and_conversions() {
        let a: Decimal = "10.5".parse().unwrap();
        let b: Decimal = "10.50".parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(a, rust_decimal::Decimal::new(105, 1));
        assert_eq!(
            Decimal::from(rust_decimal::Decimal::new(1050, 2)).to_string(),
            "10.50"
        );
        assert_eq!(Decimal::from(-3).to_string(), "-3");
        assert_eq!(a.to_f64(), Some(10.5));
        let big: Decimal = "1e-400".parse().unwrap();
        assert_ne!(big, a);
        assert_eq!(big.clone(), big);
    }

    #[test]
    fn json_in_and_out() {
        #[derive(serde::Deserialize, serde::Serialize)]
        struct P {
            #[serde(default, deserialize_with = "Decimal::lenient")]
            p: Option<Decimal>,
        }
        for (input, output) in [
            (r#"{"p":10.50}"#, r#"{"p":10.50}"#),
            (r#"{"p":"10.50"}"#, r#"{"p":10.50}"#),
            (r#"{"p":1E+400}"#, r#"{"p":1E+400}"#),
            (r#"{"p":"1e-400"}"#, r#"{"p":1e-400}"#),
            (r#"{"p":null}"#, r#"{"p":null}"#),
            (r#"{"p":" "}"#, r#"{"p":null}"#),
        ] {
            let p: P = serde_json::from_str(input).unwrap();
            assert_eq!(serde_json::to_string(&p).unwrap(), output, "{input}");
        }
        for bad in [
            r#"{"p":"ten"}"#,
            r#"{"p":true}"#,
            r#"{"p":[]}"#,
            r#"{"p":{}}"#,
        ] {
            assert!(serde_json::from_str::<P>(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<Decimal>("null").is_err());
        assert_eq!(
            serde_json::from_str::<Decimal>("2.50").unwrap().to_string(),
            "2.50"
        );
    }
}
