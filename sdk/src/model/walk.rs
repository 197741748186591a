//! Finding the invalid list elements of a message ([`Message::invalid_elements`]).

use std::collections::BTreeMap;

use super::list::List;
use super::message::Message;
use crate::codec::InvalidElement;

/// A part of the model that may hold lists, and so invalid elements.
pub(crate) trait Walk {
    /// Appends the invalid elements found in `self`, in document order.
    fn walk<'a>(&'a self, found: &mut Vec<&'a InvalidElement>);
}

impl<T: Walk> Walk for List<T> {
    fn walk<'a>(&'a self, found: &mut Vec<&'a InvalidElement>) {
        for element in self.elements() {
            match element {
                Ok(valid) => valid.walk(found),
                Err(invalid) => found.push(invalid),
            }
        }
    }
}

impl<T: Walk> Walk for Option<T> {
    fn walk<'a>(&'a self, found: &mut Vec<&'a InvalidElement>) {
        if let Some(value) = self {
            value.walk(found);
        }
    }
}

impl<K, T: Walk> Walk for BTreeMap<K, T> {
    fn walk<'a>(&'a self, found: &mut Vec<&'a InvalidElement>) {
        for value in self.values() {
            value.walk(found);
        }
    }
}

impl Walk for Message {
    fn walk<'a>(&'a self, _found: &mut Vec<&'a InvalidElement>) {}
}

impl Message {
    /// The list elements of the message that could not be decoded, in document order (empty for
    /// a message that decoded whole). They stay in place in their lists; the dispatcher hands
    /// each to [`Partner::on_invalid_element`](crate::Partner::on_invalid_element) before the
    /// message's own hook.
    pub fn invalid_elements(&self) -> Vec<&InvalidElement> {
        let mut found = Vec::new();
        self.walk(&mut found);
        found
    }
}
