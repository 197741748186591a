//! [`StringMap`]: the model's string-to-string map (attributes, custom flags, settings).

use std::cmp::Ordering;
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
    /// Sorts the pairs in place (not at all when they arrive in order, as mParticle writes
    /// them) and keeps the last of equal keys: the vector read is the map's own storage.
    fn from_pairs(mut pairs: Vec<(CompactString, CompactString)>) -> Self {
        if !pairs.is_sorted_by(|a, b| key_order(&a.0, &b.0).is_lt()) {
            pairs.sort_by(|a, b| key_order(&a.0, &b.0));
            // `dedup_by` keeps the first of a run; moving each later value into it keeps the
            // last value, as a JSON reader that overwrites would.
            pairs.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    std::mem::swap(&mut later.1, &mut kept.1);
                }
                same
            });
        }
        Self(LiteMap::from_sorted_store_unchecked(pairs))
    }

    fn entries(&self) -> impl Iterator<Item = (&CompactString, &CompactString)> {
        self.0.iter()
    }
}

/// The order of `str`, computed here: attribute keys mostly differ within their first eight
/// bytes, compared as one big-endian word, and otherwise byte by byte without a call to
/// `memcmp`, which for keys this short costs more than the comparison (sorting the attributes
/// of each event was a twentieth of decoding a batch).
fn key_order(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if let (Some(x), Some(y)) = (a.first_chunk::<8>(), b.first_chunk::<8>()) {
        let order = u64::from_be_bytes(*x).cmp(&u64::from_be_bytes(*y));
        if order.is_ne() {
            return order;
        }
    }
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::lenient::TextMap;

    fn pairs(list: &[(&str, &str)]) -> Vec<(CompactString, CompactString)> {
        list.iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn read_pairs_keep_the_last_of_equal_keys_in_key_order() {
        for (read, expected) in [
            (&[("a", "1"), ("b", "2")][..], &[("a", "1"), ("b", "2")][..]),
            (&[("a", "1"), ("a", "2")], &[("a", "2")]),
            (
                &[("b", "1"), ("a", "2"), ("b", "3")],
                &[("a", "2"), ("b", "3")],
            ),
            (
                &[("c", "1"), ("c", "2"), ("c", "3"), ("a", "4")],
                &[("a", "4"), ("c", "3")],
            ),
            (&[], &[]),
        ] {
            let map = StringMap::from_pairs(pairs(read));
            let got: Vec<(&str, &str)> =
                map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            assert_eq!(got, expected, "{read:?}");
            assert_eq!(map, read.iter().copied().collect::<StringMap>(), "{read:?}");
        }
    }

    proptest::proptest! {
        /// Keys sort as `str` sorts them, prefixes and shared first words included.
        #[test]
        fn keys_order_as_str_orders_them(
            a in "(abcdefgh|ab|)[a-c\\x{e9}\\x{10000}]{0,12}",
            b in "(abcdefgh|ab|)[a-c\\x{e9}\\x{10000}]{0,12}",
        ) {
            proptest::prop_assert_eq!(key_order(&a, &b), a.cmp(&b));
        }
    }
}
