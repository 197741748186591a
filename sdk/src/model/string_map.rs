//! [`StringMap`]: the model's string-to-string map (attributes, custom flags, settings).

use std::fmt;
use std::ops::{Deref, DerefMut, Index};

use compact_str::CompactString;
use litemap::LiteMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codec::lenient;

/// A map of strings to strings, kept as one vector of pairs sorted by key.
///
/// Most maps of a batch hold a handful of entries: as a vector they cost one allocation of
/// 48 bytes an entry, where a `BTreeMap` node costs over 500 bytes however few entries it holds.
/// Reads like a `BTreeMap`: lookups by `&str`, iteration in key order, indexing that panics on a
/// missing key; the methods not listed here come from [`LiteMap`], which it dereferences to.
/// [`insert`](LiteMap::insert) shifts the entries after the new key, so build a large map with
/// `collect` or `extend`, which sort once.
///
/// ```
/// use mparticle_firehose::model::StringMap;
///
/// let mut flags = StringMap::from([("b", "2"), ("a", "1")]);
/// flags.insert("c".into(), "3".into());
/// assert_eq!(flags.get("a").map(|v| v.as_str()), Some("1"));
/// assert_eq!(flags["b"], "2");
/// assert_eq!(flags.keys().map(|k| k.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct StringMap(LiteMap<CompactString, CompactString>);

impl StringMap {
    /// An empty map.
    pub const fn new() -> Self {
        Self(LiteMap::new())
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Deref for StringMap {
    type Target = LiteMap<CompactString, CompactString>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for StringMap {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Index<&str> for StringMap {
    type Output = CompactString;
    /// The value of `key`; panics when there is none, as `BTreeMap` does.
    fn index(&self, key: &str) -> &CompactString {
        match self.0.get(key) {
            Some(value) => value,
            None => panic!("no entry for the key {key:?}"),
        }
    }
}

impl fmt::Debug for StringMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter()).finish()
    }
}

impl<K: Into<CompactString>, V: Into<CompactString>> FromIterator<(K, V)> for StringMap {
    /// Collects the pairs, sorting once; of two equal keys the last one wins, as in a
    /// `BTreeMap`.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl<K: Into<CompactString>, V: Into<CompactString>> Extend<(K, V)> for StringMap {
    /// Adds the pairs, sorting once (not once a pair); a new value replaces an existing one.
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        self.0
            .extend(iter.into_iter().map(|(k, v)| (k.into(), v.into())));
    }
}

impl<K: Into<CompactString>, V: Into<CompactString>, const N: usize> From<[(K, V); N]>
    for StringMap
{
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl IntoIterator for StringMap {
    type Item = (CompactString, CompactString);
    type IntoIter = <LiteMap<CompactString, CompactString> as IntoIterator>::IntoIter;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a StringMap {
    type Item = (&'a CompactString, &'a CompactString);
    type IntoIter = <&'a LiteMap<CompactString, CompactString> as IntoIterator>::IntoIter;
    fn into_iter(self) -> Self::IntoIter {
        (&self.0).into_iter()
    }
}

/// Written as a JSON object, in key order.
impl Serialize for StringMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter())
    }
}

/// Read as the model reads attribute maps: scalars as their text, `null` values dropped, `null`
/// as an empty map.
impl<'de> Deserialize<'de> for StringMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient::string_map(d)
    }
}

impl lenient::TextMap for StringMap {
    fn entries(&self) -> impl Iterator<Item = (&CompactString, &CompactString)> {
        self.0.iter()
    }
}
