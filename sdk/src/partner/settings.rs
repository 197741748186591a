//! Typed access to the setting values of a request, with confidential values kept out of logs.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::{Arc, RwLock};

use crate::error::SettingError;

/// Setting ids registered as confidential by any partner in this process; values under these
/// ids are redacted wherever the SDK formats settings (`Debug` of [`Settings`] and of
/// [`Account`](crate::model::Account)).
static CONFIDENTIAL: RwLock<Option<HashSet<String>>> = RwLock::new(None);

/// Adds confidential setting ids to the redaction list.
pub(crate) fn register_confidential(ids: impl IntoIterator<Item = String>) {
    let mut guard = CONFIDENTIAL.write().unwrap_or_else(|e| e.into_inner());
    guard.get_or_insert_with(HashSet::new).extend(ids);
}

/// Whether the value of setting `id` must never be logged: registered as confidential, or
/// named like a secret (`...key`, `...secret`, `...token`, `...password`) as a safety net.
pub fn is_confidential(id: &str) -> bool {
    let registered = CONFIDENTIAL
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .is_some_and(|set| set.contains(id));
    if registered {
        return true;
    }
    let lower = id.to_ascii_lowercase();
    ["key", "secret", "token", "password", "credential"]
        .iter()
        .any(|w| lower.contains(w))
}

/// Formats a settings map with confidential values replaced by `<redacted>`.
pub(crate) fn fmt_redacted(
    map: &BTreeMap<String, String>,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    let mut m = f.debug_map();
    for (k, v) in map {
        if is_confidential(k) {
            m.entry(k, &"<redacted>");
        } else {
            m.entry(k, v);
        }
    }
    m.finish()
}

/// Setting values of a request (all strings on the wire), with typed accessors.
///
/// ```
/// use mparticle_firehose::partner::Settings;
///
/// let settings = Settings::from_iter([("region", "eu"), ("batchSize", "50"), ("dryRun", "TRUE")]);
/// assert_eq!(settings.string("region")?, "eu");
/// assert_eq!(settings.integer("batchSize")?, 50);
/// assert!(settings.boolean("dryRun")?);
/// assert_eq!(settings.opt_float("ratio")?, None);
/// assert_eq!(
///     settings.string("apiKey").unwrap_err().to_string(),
///     "the required setting 'apiKey' is not provided"
/// );
/// # Ok::<(), mparticle_firehose::SettingError>(())
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct Settings {
    values: Arc<BTreeMap<String, String>>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_redacted(&self.values, f)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Settings {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self::new(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl Settings {
    /// Settings from a map of values.
    pub fn new(values: BTreeMap<String, String>) -> Self {
        Self {
            values: Arc::new(values),
        }
    }

    /// The raw value, if present and not empty.
    pub fn get(&self, id: &str) -> Option<&str> {
        self.values
            .get(id)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// All values, by setting id.
    pub fn values(&self) -> &BTreeMap<String, String> {
        &self.values
    }

    fn require(&self, id: &str) -> Result<&str, SettingError> {
        self.get(id)
            .ok_or_else(|| SettingError::Missing { id: id.to_owned() })
    }

    fn invalid(&self, id: &str, expected: &'static str, value: &str) -> SettingError {
        SettingError::Invalid {
            id: id.to_owned(),
            expected,
            value: if is_confidential(id) {
                "<redacted>".to_owned()
            } else {
                format!("{value:?}")
            },
        }
    }

    /// A required text setting.
    pub fn string(&self, id: &str) -> Result<&str, SettingError> {
        self.require(id)
    }

    /// An optional text setting.
    pub fn opt_string(&self, id: &str) -> Option<&str> {
        self.get(id)
    }

    /// A required integer setting.
    pub fn integer(&self, id: &str) -> Result<i64, SettingError> {
        let v = self.require(id)?;
        v.trim()
            .parse()
            .map_err(|_| self.invalid(id, "an integer", v))
    }

    /// An optional integer setting (absent or empty is `None`, malformed is an error).
    pub fn opt_integer(&self, id: &str) -> Result<Option<i64>, SettingError> {
        self.get(id).map(|_| self.integer(id)).transpose()
    }

    /// A required floating-point setting.
    pub fn float(&self, id: &str) -> Result<f64, SettingError> {
        let v = self.require(id)?;
        match v.trim().parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(f),
            _ => Err(self.invalid(id, "a number", v)),
        }
    }

    /// An optional floating-point setting.
    pub fn opt_float(&self, id: &str) -> Result<Option<f64>, SettingError> {
        self.get(id).map(|_| self.float(id)).transpose()
    }

    /// A required boolean setting: `true` or `false`, in any case.
    pub fn boolean(&self, id: &str) -> Result<bool, SettingError> {
        let v = self.require(id)?;
        match v.trim() {
            t if t.eq_ignore_ascii_case("true") => Ok(true),
            t if t.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err(self.invalid(id, "a boolean", v)),
        }
    }

    /// An optional boolean setting.
    pub fn opt_boolean(&self, id: &str) -> Result<Option<bool>, SettingError> {
        self.get(id).map(|_| self.boolean(id)).transpose()
    }
}
