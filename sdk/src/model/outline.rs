//! A batch's outline: where its events are, without decoding them.
//!
//! Streamed delivery ([`EventDelivery::Streamed`](crate::partner::EventDelivery)) hands a
//! batch's events to the partner a slice at a time, so that a large batch never exists as a whole
//! model. One pass over the payload finds the `events` array and counts its elements, keeping
//! nothing per element. The rest of the batch is decoded as usual from a copy of the payload with
//! the array emptied, so its fields, errors and invalid elements are exactly those of the whole
//! decode; each event is found again and decoded when the partner asks for it ([`RawEvents`]).
//!
//! Anything unusual (not UTF-8, not a batch, no events, a repeated key, broken JSON) gives no
//! outline, and the caller decodes the payload whole: its answer and its errors stay the whole
//! decoder's.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::MessageType;

/// A batch split for streamed delivery.
pub(crate) struct Outline<'a> {
    /// The payload with its `events` array emptied (`"events":[]`).
    pub(crate) rest: Vec<u8>,
    /// The events, still JSON.
    pub(crate) events: RawEvents<'a>,
}

/// The elements of a batch's `events` array, read one at a time from the payload.
#[derive(Clone, Copy)]
pub(crate) struct RawEvents<'a> {
    /// From the first element's first byte to the last element's last byte: elements, commas
    /// and whitespace, checked to be so by the outline's pass.
    inside: &'a str,
    /// Where the next element (or the whitespace and comma before it) starts.
    at: usize,
    len: usize,
}

impl<'a> RawEvents<'a> {
    /// How many elements the array holds.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The next element, if any.
    pub(crate) fn next_element(&mut self) -> Option<&'a RawValue> {
        let rest = self
            .inside
            .get(self.at..)?
            .trim_start_matches(|c| c == ',' || is_json_space(c));
        if rest.is_empty() {
            return None;
        }
        let mut de = serde_json::Deserializer::from_str(rest);
        let raw = <&RawValue>::deserialize(&mut de).ok()?;
        self.at = offset_in(self.inside, raw.get())? + raw.get().len();
        Some(raw)
    }
}

/// The two fields the outline reads; serde skips every other one without building it.
#[derive(Deserialize)]
struct Fields<'a> {
    #[serde(rename = "type", borrow, default)]
    message_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    events: Option<Elements<'a>>,
}

/// An array seen through once: its element count and where its elements start and end.
#[derive(Default)]
struct Elements<'a> {
    len: usize,
    first: Option<&'a RawValue>,
    last: Option<&'a RawValue>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Elements<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(ElementsVisitor(std::marker::PhantomData))
    }
}

struct ElementsVisitor<'a>(std::marker::PhantomData<Elements<'a>>);

impl<'de: 'a, 'a> Visitor<'de> for ElementsVisitor<'a> {
    type Value = Elements<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut elements = Elements::default();
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            elements.len += 1;
            elements.first.get_or_insert(raw);
            elements.last = Some(raw);
        }
        Ok(elements)
    }
}

/// The outline of `payload` if it is an event batch with at least one event.
pub(crate) fn outline(payload: &[u8]) -> Option<Outline<'_>> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut de = serde_json::Deserializer::from_str(text);
    let fields = Fields::deserialize(&mut de).ok()?;
    de.end().ok()?;
    if fields.message_type.as_deref() != Some(MessageType::EventProcessingRequest.as_str()) {
        return None;
    }
    let elements = fields.events?;
    let (first, last) = (elements.first?, elements.last?);
    // Only whitespace separates the brackets from the first and the last element.
    let start = offset_in(text, first.get())?;
    let end = offset_in(text, last.get())? + last.get().len();
    let open = text[..start]
        .trim_end_matches(is_json_space)
        .len()
        .checked_sub(1)?;
    let close = end + (text[end..].len() - text[end..].trim_start_matches(is_json_space).len());
    if text.as_bytes().get(open) != Some(&b'[') || text.as_bytes().get(close) != Some(&b']') {
        return None;
    }
    let mut rest = Vec::with_capacity(payload.len() - (close - open - 1));
    rest.extend_from_slice(&payload[..=open]);
    rest.extend_from_slice(&payload[close..]);
    let events = RawEvents {
        inside: &text[start..end],
        at: 0,
        len: elements.len,
    };
    Some(Outline { rest, events })
}

fn is_json_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Where `part`, a slice of `whole`, starts in it.
fn offset_in(whole: &str, part: &str) -> Option<usize> {
    let offset = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (offset + part.len() <= whole.len()).then_some(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(json: &str) -> Option<(String, Vec<&str>)> {
        let outline = outline(json.as_bytes())?;
        let rest = String::from_utf8(outline.rest).expect("UTF-8");
        let mut events = outline.events;
        let len = events.len();
        let elements: Vec<&str> = std::iter::from_fn(|| events.next_element())
            .map(RawValue::get)
            .collect();
        assert_eq!(elements.len(), len);
        assert!(events.next_element().is_none());
        Some((rest, elements))
    }

    #[test]
    fn a_batch_is_split_into_its_events_and_the_rest() {
        let json = r#"{"type":"event_processing_request","events":[{"event_type":"custom_event"}, 7 ,"x"],"mpid":"1"}"#;
        let (rest, events) = split(json).expect("an outline");
        assert_eq!(
            rest,
            r#"{"type":"event_processing_request","events":[],"mpid":"1"}"#
        );
        assert_eq!(
            events,
            vec![r#"{"event_type":"custom_event"}"#, "7", r#""x""#]
        );
    }

    #[test]
    fn whitespace_around_the_elements_goes_with_the_array() {
        let json = "{ \"events\" : [\n\t{\"a\":[1]} ,\r\n {} ,\"[,]\",[ ], 2\n] , \"type\" : \"event_processing_request\" }";
        let (rest, events) = split(json).expect("an outline");
        assert_eq!(
            rest,
            "{ \"events\" : [] , \"type\" : \"event_processing_request\" }"
        );
        assert_eq!(events, vec![r#"{"a":[1]}"#, "{}", r#""[,]""#, "[ ]", "2"]);
    }

    #[test]
    fn an_escaped_type_is_read() {
        let json = r#"{"type":"event_processing\u005frequest","events":[{}]}"#;
        assert!(split(json).is_some());
    }

    #[test]
    fn anything_unusual_has_no_outline() {
        for json in [
            r#"{"type":"event_processing_request","events":[]}"#,
            r#"{"type":"event_processing_request","events":null}"#,
            r#"{"type":"event_processing_request"}"#,
            r#"{"type":"audience_subscription_request","events":[{}]}"#,
            r#"{"events":[{}]}"#,
            r#"{"type":"event_processing_request","events":[{}],"events":[{}]}"#,
            r#"{"type":"event_processing_request","type":"event_processing_request","events":[{}]}"#,
            r#"{"type":"event_processing_request","events":{"0":{}}}"#,
            r#"{"type":"event_processing_request","events":[{}]"#,
            r#"{"type":"event_processing_request","events":[{}]} {}"#,
            r#"{"type":"event_processing_request","events":[{]}"#,
            r#"[{"type":"event_processing_request","events":[{}]}]"#,
            "",
        ] {
            assert!(split(json).is_none(), "{json}");
        }
        let mut bytes = br#"{"type":"event_processing_request","events":[{}],"x":""#.to_vec();
        bytes.extend_from_slice(b"\xff\"}");
        assert!(outline(&bytes).is_none());
    }
}
