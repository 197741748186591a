//! The typed decode error and the marker that carries its kind through serde.

use std::fmt;

/// Why a message could not be decoded. The string form ([`DecodeErrorKind::as_str`]) is stable
/// and safe to match on in logs, alarms and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input is not JSON (a syntax error), or not a JSON object at the top level.
    NotJson,
    /// The input ends in the middle of a JSON value.
    Truncated,
    /// A polymorphic object (message, event, setting, ...) has no `type`, or a `null` one.
    MissingType,
    /// The top-level message `type` is not one of the ten Firehose message types.
    UnknownType,
    /// A `*_response` message was sent where a request was expected.
    ResponseAsRequest,
    /// An identity lacks its `type`, `encoding` or `value`.
    InvalidIdentity,
    /// A value has the wrong JSON type (an object where a string is declared, ...).
    WrongType,
    /// A number does not fit its field (an `int` field outside the 32-bit range, ...).
    OutOfRange,
    /// A value has the right JSON type but cannot be used (a malformed UUID or date, ...).
    InvalidValue,
    /// The JSON nests deeper than the decoder allows.
    TooDeep,
}

impl DecodeErrorKind {
    /// The stable snake_case name of this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotJson => "not_json",
            Self::Truncated => "truncated",
            Self::MissingType => "missing_type",
            Self::UnknownType => "unknown_type",
            Self::ResponseAsRequest => "response_as_request",
            Self::InvalidIdentity => "invalid_identity",
            Self::WrongType => "wrong_type",
            Self::OutOfRange => "out_of_range",
            Self::InvalidValue => "invalid_value",
            Self::TooDeep => "too_deep",
        }
    }

    fn from_str(s: &str) -> Option<Self> {
        Some(match s {
            "not_json" => Self::NotJson,
            "truncated" => Self::Truncated,
            "missing_type" => Self::MissingType,
            "unknown_type" => Self::UnknownType,
            "response_as_request" => Self::ResponseAsRequest,
            "invalid_identity" => Self::InvalidIdentity,
            "wrong_type" => Self::WrongType,
            "out_of_range" => Self::OutOfRange,
            "invalid_value" => Self::InvalidValue,
            "too_deep" => Self::TooDeep,
            _ => return None,
        })
    }
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message that could not be decoded: what went wrong, where (a JSON path such as
/// `$.events[2].timestamp_ms`), and a human-readable reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at {path}: {reason}")]
pub struct DecodeError {
    kind: DecodeErrorKind,
    path: String,
    reason: String,
}

impl DecodeError {
    pub(crate) fn new(
        kind: DecodeErrorKind,
        path: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// The stable kind of the failure.
    pub fn kind(&self) -> DecodeErrorKind {
        self.kind
    }

    /// The JSON path of the offending value (`$` for the whole message).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// A human-readable explanation.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Builds the error from what `serde_path_to_error` reports.
    pub(crate) fn from_serde(err: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let outer = json_path(&err.path().to_string());
        let inner = err.into_inner();
        let (kind, sub_path, reason) = classify(&inner);
        let path = if sub_path.is_empty() {
            outer
        } else if outer == "$" {
            format!("${sub_path}")
        } else {
            format!("{outer}{sub_path}")
        };
        Self::new(kind, path, reason)
    }
}

/// Turns `serde_path_to_error`'s `a.b[2]` (or `.` for the root) into `$.a.b[2]`.
fn json_path(raw: &str) -> String {
    format!("${}", relative_path(raw))
}

/// `serde_path_to_error`'s `a.b[2]` (or `.` for the root) as a path to append to another:
/// `.a.b[2]`, `[2].a`, or empty for the root.
pub(crate) fn relative_path(raw: &str) -> String {
    // `?` marks a segment serde_path_to_error could not name (a key not yet read).
    let raw = raw.trim_end_matches(".?").trim_end_matches('?');
    if raw.is_empty() || raw == "." {
        String::new()
    } else if raw.starts_with('[') {
        raw.to_owned()
    } else {
        format!(".{raw}")
    }
}

/// Separates the fields of a kind marker inside a serde custom error message.
const MARK: char = '\u{1f}';

/// Formats a serde custom error that carries its kind (and, for errors raised while decoding a
/// buffered sub-object, the path inside it) through serde's string-only error channel.
pub(crate) fn marked(kind: DecodeErrorKind, sub_path: &str, reason: impl fmt::Display) -> String {
    format!("{MARK}{}{MARK}{sub_path}{MARK}{reason}", kind.as_str())
}

/// Creates a serde error of any deserializer's type with a kind marker.
pub(crate) fn de_error<E: serde::de::Error>(kind: DecodeErrorKind, reason: impl fmt::Display) -> E {
    E::custom(marked(kind, "", reason))
}

/// The message of a serde_json error without its " at line L column C" suffix.
pub(crate) fn bare_message(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(pos) if err.line() > 0 => text[..pos].to_owned(),
        _ => text,
    }
}

/// Kind, sub-path and reason of a serde_json error, reading our marker when present.
pub(crate) fn classify(err: &serde_json::Error) -> (DecodeErrorKind, String, String) {
    use serde_json::error::Category;
    let message = bare_message(err);
    if let Some(rest) = message.strip_prefix(MARK) {
        let mut parts = rest.splitn(3, MARK);
        let kind = parts.next().and_then(DecodeErrorKind::from_str);
        let sub_path = parts.next().unwrap_or_default().to_owned();
        let reason = parts.next().unwrap_or_default().to_owned();
        if let Some(kind) = kind {
            return (kind, sub_path, reason);
        }
    }
    let kind = match err.classify() {
        Category::Eof => DecodeErrorKind::Truncated,
        Category::Io => DecodeErrorKind::NotJson,
        Category::Syntax if message.contains("recursion limit") => DecodeErrorKind::TooDeep,
        Category::Syntax => DecodeErrorKind::NotJson,
        Category::Data if message.starts_with("invalid type") => DecodeErrorKind::WrongType,
        Category::Data => DecodeErrorKind::InvalidValue,
    };
    let reason = if err.line() > 0
        && matches!(
            kind,
            DecodeErrorKind::NotJson | DecodeErrorKind::Truncated | DecodeErrorKind::TooDeep
        ) {
        format!("{message} (line {}, column {})", err.line(), err.column())
    } else {
        message
    };
    (kind, String::new(), reason)
}
