//! Typed access to the setting values of a request, with confidential values kept out of logs.

use crate::model::StringMap;
use compact_str::CompactString;
use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use crate::error::SettingError;

/// Words that mark a setting id as a secret even when the registration does not say so: a
/// safety net for values that must never reach a log.
const SECRET_WORDS: [&str; 5] = ["key", "secret", "token", "password", "credential"];

/// Whether a setting id is named like a secret (`apiKey`, `clientSecret`, `authToken`, ...).
fn named_like_secret(id: &str) -> bool {
    let lower = id.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| lower.contains(w))
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
///
/// `Debug` prints `<redacted>` for the values of settings the registration marks confidential,
/// and of settings named like secrets (`...key`, `...secret`, `...token`, `...password`,
/// `...credential`), so that logging the settings never leaks an API key. The confidential ids
/// belong to the [`Dispatcher`](crate::Dispatcher) that serves the request: two dispatchers in
/// one process keep their own.
#[derive(Clone, Default, PartialEq)]
pub struct Settings {
    values: Arc<StringMap>,
    confidential: Arc<BTreeSet<String>>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (id, value) in self.values.iter() {
            if self.is_confidential(id) {
                map.entry(id, &"<redacted>");
            } else {
                map.entry(id, value);
            }
        }
        map.finish()
    }
}

impl<K: Into<CompactString>, V: Into<CompactString>> FromIterator<(K, V)> for Settings {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self::new(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl Settings {
    /// Settings from a map of values. Only ids named like secrets are treated as confidential;
    /// see [`with_confidential`](Self::with_confidential).
    pub fn new(values: StringMap) -> Self {
        Self {
            values: Arc::new(values),
            confidential: Arc::default(),
        }
    }

    /// Marks more setting ids as confidential (the dispatcher passes those its registration
    /// marks confidential).
    ///
    /// ```
    /// use mparticle_firehose::partner::Settings;
    ///
    /// let settings = Settings::from_iter([("clientRef", "c-123"), ("region", "eu")])
    ///     .with_confidential(["clientRef"]);
    /// assert_eq!(format!("{settings:?}"), r#"{"clientRef": "<redacted>", "region": "eu"}"#);
    /// assert!(settings.is_confidential("clientRef") && settings.is_confidential("apiKey"));
    /// ```
    pub fn with_confidential<I>(mut self, ids: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Arc::make_mut(&mut self.confidential).extend(ids.into_iter().map(Into::into));
        self
    }

    /// Settings sharing an already built set of confidential ids.
    pub(crate) fn with_confidential_set(
        values: StringMap,
        confidential: Arc<BTreeSet<String>>,
    ) -> Self {
        Self {
            values: Arc::new(values),
            confidential,
        }
    }

    /// Whether the value of setting `id` must never be logged: marked confidential, or named
    /// like a secret as a safety net.
    pub fn is_confidential(&self, id: &str) -> bool {
        self.confidential.contains(id) || named_like_secret(id)
    }

    /// The raw value, if present and not empty.
    pub fn get(&self, id: &str) -> Option<&str> {
        self.values
            .get(id)
            .map(CompactString::as_str)
            .filter(|v| !v.is_empty())
    }

    /// All values, by setting id.
    pub fn values(&self) -> &StringMap {
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
            value: if self.is_confidential(id) {
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
