//! [`List`]: the model's lists, which keep the elements that could not be decoded.

use compact_str::CompactString;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Deref, DerefMut};

use serde::de::{DeserializeOwned, Deserializer};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::codec::InvalidElement;
use crate::codec::fast;
use crate::codec::isolate;
use crate::codec::lenient as l;

/// A list of the model: the elements that decoded, and the ones that did not, kept in place.
///
/// It reads like a `Vec<T>` of the valid elements (it derefs to one, iterates over them, and
/// `len()`, `is_empty()`, indexing and `push` are the `Vec`'s), so code that walks
/// `&batch.events` sees only events that decoded. The elements that did not decode are
/// [`invalid`](List::invalid) ones: raw JSON with a typed error and a path. Re-encoding writes
/// valid and invalid elements back in their original order, so nothing is lost.
///
/// ```
/// use mparticle_firehose::model::List;
///
/// let list: List<u32> = vec![1, 2].into();
/// assert_eq!(list.len(), 2);
/// assert_eq!(list.invalid().count(), 0);
/// let total: u32 = list.iter().sum();
/// assert_eq!(total, 3);
/// ```
#[derive(Clone)]
pub struct List<T> {
    valid: Vec<T>,
    /// In the order of their positions.
    invalid: Vec<InvalidElement>,
}

impl<T> List<T> {
    /// An empty list.
    pub const fn new() -> Self {
        Self {
            valid: Vec::new(),
            invalid: Vec::new(),
        }
    }

    /// The elements that could not be decoded, in their order in the message.
    pub fn invalid(&self) -> std::slice::Iter<'_, InvalidElement> {
        self.invalid.iter()
    }

    /// Whether some elements could not be decoded.
    pub fn has_invalid(&self) -> bool {
        !self.invalid.is_empty()
    }

    /// Whether the list has no element at all, valid or not: what decides whether the list is
    /// written (a list of invalid elements only is written back whole).
    pub fn is_blank(&self) -> bool {
        self.valid.is_empty() && self.invalid.is_empty()
    }

    /// The valid elements, dropping the invalid ones.
    pub fn into_vec(self) -> Vec<T> {
        self.valid
    }

    /// The valid elements and the invalid ones.
    pub fn into_parts(self) -> (Vec<T>, Vec<InvalidElement>) {
        (self.valid, self.invalid)
    }

    /// Removes the invalid elements from the list and returns them (for example, once handled,
    /// so that they are not written back).
    pub fn take_invalid(&mut self) -> Vec<InvalidElement> {
        std::mem::take(&mut self.invalid)
    }

    /// The same list with each valid element converted; invalid elements stay as they are.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> List<U> {
        List {
            valid: self.valid.into_iter().map(f).collect(),
            invalid: self.invalid,
        }
    }

    /// Every element in its original order: `Ok` for a valid one, `Err` for an invalid one.
    pub fn elements(&self) -> ListElements<'_, T> {
        ListElements {
            valid: self.valid.iter(),
            invalid: self.invalid.iter().peekable(),
            position: 0,
        }
    }

    pub(crate) fn from_parts(valid: Vec<T>, invalid: Vec<InvalidElement>) -> Self {
        Self { valid, invalid }
    }
}

/// Every element of a [`List`] in its original order (see [`List::elements`]).
pub struct ListElements<'a, T> {
    valid: std::slice::Iter<'a, T>,
    invalid: std::iter::Peekable<std::slice::Iter<'a, InvalidElement>>,
    position: usize,
}

impl<'a, T> Iterator for ListElements<'a, T> {
    type Item = Result<&'a T, &'a InvalidElement>;

    fn next(&mut self) -> Option<Self::Item> {
        // An invalid element goes where it was; the valid ones fill the other positions. (If the
        // valid elements were edited since, the invalid ones keep their relative places and any
        // beyond the end come last.)
        let due = self
            .invalid
            .peek()
            .is_some_and(|e| e.index() <= self.position);
        let item = if due {
            self.invalid.next().map(Err)
        } else {
            match self.valid.next() {
                Some(v) => Some(Ok(v)),
                None => self.invalid.next().map(Err),
            }
        };
        if item.is_some() {
            self.position += 1;
        }
        item
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.valid.len() + self.invalid.len();
        (n, Some(n))
    }
}

impl<T> Default for List<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Deref for List<T> {
    type Target = Vec<T>;

    fn deref(&self) -> &Vec<T> {
        &self.valid
    }
}

impl<T> DerefMut for List<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.valid
    }
}

impl<T> From<Vec<T>> for List<T> {
    fn from(valid: Vec<T>) -> Self {
        Self {
            valid,
            invalid: Vec::new(),
        }
    }
}

impl<T> From<List<T>> for Vec<T> {
    fn from(list: List<T>) -> Self {
        list.valid
    }
}

impl<T, const N: usize> From<[T; N]> for List<T> {
    fn from(items: [T; N]) -> Self {
        Vec::from(items).into()
    }
}

impl<T> FromIterator<T> for List<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Vec::from_iter(iter).into()
    }
}

impl<T> Extend<T> for List<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        self.valid.extend(iter);
    }
}

impl<T> IntoIterator for List<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.valid.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a List<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.valid.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut List<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.valid.iter_mut()
    }
}

impl<T: PartialEq> PartialEq for List<T> {
    fn eq(&self, other: &Self) -> bool {
        self.valid == other.valid && self.invalid == other.invalid
    }
}

/// A list equals a `Vec`, an array or a slice when it has no invalid element and its valid
/// elements are equal.
impl<T: PartialEq<U>, U> PartialEq<Vec<U>> for List<T> {
    fn eq(&self, other: &Vec<U>) -> bool {
        self.invalid.is_empty() && self.valid == *other
    }
}

impl<T: PartialEq<U>, U, const N: usize> PartialEq<[U; N]> for List<T> {
    fn eq(&self, other: &[U; N]) -> bool {
        self.invalid.is_empty() && self.valid == *other
    }
}

impl<T: PartialEq<U>, U> PartialEq<&[U]> for List<T> {
    fn eq(&self, other: &&[U]) -> bool {
        self.invalid.is_empty() && self.valid == *other
    }
}

/// Prints like a `Vec` of the valid elements when every element is valid; otherwise names the
/// invalid ones too (by path and error kind, never their content).
impl<T: fmt::Debug> fmt::Debug for List<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.invalid.is_empty() {
            return self.valid.fmt(f);
        }
        f.debug_struct("List")
            .field("valid", &self.valid)
            .field("invalid", &self.invalid)
            .finish()
    }
}

/// Writes valid and invalid elements merged back in their original order, the invalid ones as
/// the JSON they arrived as.
impl<T: Serialize> Serialize for List<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.invalid.is_empty() {
            return self.valid.serialize(s);
        }
        let mut seq = s.serialize_seq(Some(self.valid.len() + self.invalid.len()))?;
        for element in self.elements() {
            match element {
                Ok(v) => seq.serialize_element(v)?,
                Err(e) => seq.serialize_element(e)?,
            }
        }
        seq.end()
    }
}

/// `null` is an empty list. When a message fails to decode strictly, it is decoded again with
/// each element of each list on its own, and the elements that fail are kept as invalid ones.
impl<'de, T: DeserializeOwned> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let elements = isolate::decode_list::<D, T>(d)?;
        Ok(Self::from_parts(elements.valid, elements.invalid))
    }
}

// ---------------------------------------------------------------------------------------------
// Lists of strings, as Java reads `List<String>` (spec §2, §2.3)

/// One string of a list, read leniently: a number or boolean becomes its text, `null` stays.
struct Text(Option<CompactString>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        l::string(d).map(Text)
    }
}

/// A list of strings: scalars are read as their text, `null` elements are kept (Java writes
/// them back as `null`); an object or an array is an invalid element.
pub(crate) fn strings<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<List<Option<CompactString>>, D::Error> {
    Ok(List::<Text>::deserialize(d)?.map(|t| t.0))
}

/// [`strings`] for the fast reader.
pub(crate) fn fast_strings(r: &mut fast::Reader<'_>) -> fast::Fast<List<Option<CompactString>>> {
    fast::text_elements(r).map(List::from)
}

/// A list's elements for the fast reader: they all read, or the pass gives up (the serde passes
/// then keep the ones that do not as invalid elements).
pub(crate) fn fast_list<T: fast::FastRead>(r: &mut fast::Reader<'_>) -> fast::Fast<List<T>> {
    fast::elements(r).map(List::from)
}

/// A map of string lists (`user_attribute_lists`); `null` is an empty map, and so is a `null`
/// entry.
pub(crate) fn string_lists<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<CompactString, List<Option<CompactString>>>, D::Error> {
    struct Entry(List<Option<CompactString>>);
    impl<'de> Deserialize<'de> for Entry {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            strings(d).map(Entry)
        }
    }
    let map: BTreeMap<CompactString, Entry> = l::map(d)?;
    Ok(map.into_iter().map(|(k, v)| (k, v.0)).collect())
}

/// `non-empty` for a map of lists: omitted when every entry would be dropped.
pub(crate) fn lists_are_blank<T>(m: &BTreeMap<CompactString, List<T>>) -> bool {
    m.values().all(List::is_blank)
}

/// Writes a map of lists without its empty entries (Java's content inclusion).
pub(crate) fn write_lists<T: Serialize, S: Serializer>(
    m: &BTreeMap<CompactString, List<T>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    l::write_entries(m.iter().filter(|(_, v)| !v.is_blank()), s)
}

/// `non-empty` for an optional list.
pub(crate) fn opt_is_blank<T>(v: &Option<List<T>>) -> bool {
    v.as_ref().is_none_or(List::is_blank)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::DecodeErrorKind;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Doc {
        #[serde(default, skip_serializing_if = "List::is_blank")]
        items: List<i32>,
    }

    fn isolating(text: &str) -> Doc {
        crate::codec::decode::<Doc>(text.as_bytes()).expect("decodes")
    }

    #[test]
    fn reads_like_a_vec() {
        let mut list: List<i32> = vec![3, 1].into();
        list.push(2);
        list.sort();
        assert_eq!(list, vec![1, 2, 3]);
        assert_eq!(list.len(), 3);
        assert_eq!((&list).into_iter().sum::<i32>(), 6);
        for x in &mut list {
            *x *= 2;
        }
        assert_eq!(list.iter().copied().collect::<Vec<_>>(), [2, 4, 6]);
        assert_eq!(format!("{list:?}"), "[2, 4, 6]");
        assert_eq!(list.clone().into_iter().count(), 3);
        let collected: List<i32> = (0..2).collect();
        assert_eq!(collected, List::from([0, 1]));
        assert!(List::<i32>::default().is_blank());
    }

    #[test]
    fn invalid_elements_stay_in_place() {
        let doc = isolating(r#"{"items":[1,"x",2,{"a":1},null,3]}"#);
        assert_eq!(*doc.items, vec![1, 2, 3]);
        let invalid: Vec<(usize, &str, &str)> = doc
            .items
            .invalid()
            .map(|e| (e.index(), e.path(), e.raw_json()))
            .collect();
        assert_eq!(
            invalid,
            vec![
                (1, "$.items[1]", r#""x""#),
                (3, "$.items[3]", r#"{"a":1}"#),
                (4, "$.items[4]", "null"),
            ]
        );
        assert!(
            doc.items
                .invalid()
                .all(|e| e.kind() == DecodeErrorKind::WrongType)
        );
        assert_eq!(
            serde_json::to_string(&doc).unwrap(),
            r#"{"items":[1,"x",2,{"a":1},null,3]}"#
        );
        let debug = format!("{:?}", doc.items);
        assert!(
            debug.contains("$.items[3]") && !debug.contains("\"a\""),
            "{debug}"
        );
    }

    #[test]
    fn a_list_of_invalid_elements_only_is_still_written() {
        let doc = isolating(r#"{"items":[null]}"#);
        assert!(doc.items.is_empty() && !doc.items.is_blank());
        assert_eq!(serde_json::to_string(&doc).unwrap(), r#"{"items":[null]}"#);
        assert_eq!(
            serde_json::to_string(&isolating(r#"{"items":null}"#)).unwrap(),
            "{}"
        );
    }

    #[test]
    fn edited_lists_still_write_every_element() {
        let mut doc = isolating(r#"{"items":["x",1,2,"y"]}"#);
        doc.items.clear();
        assert_eq!(
            serde_json::to_string(&doc).unwrap(),
            r#"{"items":["x","y"]}"#
        );
        doc.items.extend([7, 8, 9]);
        assert_eq!(
            serde_json::to_string(&doc).unwrap(),
            r#"{"items":["x",7,8,"y",9]}"#
        );
        let taken = doc.items.take_invalid();
        assert_eq!(taken.len(), 2);
        assert_eq!(serde_json::to_string(&doc).unwrap(), r#"{"items":[7,8,9]}"#);
    }

    #[derive(Debug, Serialize, Deserialize)]
    struct Strings {
        #[serde(default, deserialize_with = "strings", skip_serializing_if = "List::is_blank")]
        list: List<Option<CompactString>>,
        #[serde(
            default,
            deserialize_with = "string_lists",
            serialize_with = "write_lists",
            skip_serializing_if = "lists_are_blank"
        )]
        lists: BTreeMap<CompactString, List<Option<CompactString>>>,
    }

    #[test]
    fn string_lists_keep_nulls_and_coerce_scalars_as_java_does() {
        let doc: Strings = crate::codec::decode(
            br#"{"list":["a",null,5,true,1.50],"lists":{"k":[null,"b"],"e":[],"n":null,"bad":[{},"c"]}}"#,
        )
        .expect("decodes");
        assert_eq!(
            *doc.list,
            vec![
                Some("a".into()),
                None,
                Some("5".into()),
                Some("true".into()),
                Some("1.50".into())
            ]
        );
        assert_eq!(
            doc.lists["bad"].invalid().next().map(InvalidElement::path),
            Some("$.lists.bad[0]")
        );
        assert_eq!(
            serde_json::to_string(&doc).unwrap(),
            r#"{"list":["a",null,"5","true","1.50"],"lists":{"bad":[{},"c"],"k":[null,"b"]}}"#
        );
    }

    #[test]
    fn map_keeps_the_invalid_elements() {
        let doc = isolating(r#"{"items":[1,[],2]}"#);
        let strings = doc.items.map(|n| n.to_string());
        assert_eq!(*strings, vec!["1".to_owned(), "2".to_owned()]);
        assert_eq!(strings.invalid().count(), 1);
        assert_eq!(strings.elements().count(), 3);
    }
}
