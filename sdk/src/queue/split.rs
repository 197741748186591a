//! Splitting a message that is larger than the queue takes into valid smaller messages.
//!
//! An event batch becomes sub-batches of its events, each with the batch's envelope, account
//! and user fields (the system notifications go with the first part only, so that they are
//! processed once); an audience membership change becomes changes of fewer user profiles, each
//! with the same envelope and account. Other messages are small and are never split.

use serde::Serialize;

use crate::codec::EncodeError;
use crate::model::{List, Message, MessageBody};

/// A message cannot be put on the queue as it is, nor split into parts that fit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SplitError {
    /// The message (or a part) does not encode.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The message is too large and its type is never split.
    #[error(
        "the {message_type} is {bytes} bytes, more than the queue's {max_bytes}, and is not split"
    )]
    NotSplittable {
        /// The message's wire type.
        message_type: String,
        /// Its encoded size.
        bytes: usize,
        /// The queue's limit.
        max_bytes: usize,
    },
    /// One item (an event, a user profile) with the message's other fields is larger than the
    /// queue takes on its own.
    #[error(
        "{what} {index} does not fit in one queue message of {max_bytes} bytes, even alone ({bytes} bytes with the message's other fields)"
    )]
    ItemTooLarge {
        /// `"event"` or `"user profile"`.
        what: &'static str,
        /// Its position in the message.
        index: usize,
        /// Its size with the message's other fields.
        bytes: usize,
        /// The queue's limit.
        max_bytes: usize,
    },
}

/// Encodes `message` as queue message bodies of at most `max_bytes` bytes each: one body when
/// it fits, otherwise the bodies of its parts, in order. Every body is a complete Firehose
/// message that decodes on its own; together the parts carry every event or user profile of
/// the message exactly once.
///
/// ```
/// use mparticle_firehose::model::{CustomEvent, Event, Message, MessageBody};
/// use mparticle_firehose::queue::split;
///
/// let mut batch = mparticle_firehose::model::EventProcessingRequest::default();
/// batch.mpid = Some("42".into());
/// for i in 0..100 {
///     batch.events.push(Event::new(i, CustomEvent { name: Some(format!("event {i}").into()), ..Default::default() }));
/// }
/// let message = Message::new(batch);
/// let parts = split(&message, 2_000)?;
/// assert!(parts.len() > 1);
/// let mut events = 0;
/// for part in &parts {
///     assert!(part.len() <= 2_000);
///     let MessageBody::EventProcessingRequest(sub) = Message::decode(part.as_bytes())?.body else { unreachable!() };
///     assert_eq!(sub.mpid.as_deref(), Some("42"));
///     events += sub.events.len();
/// }
/// assert_eq!(events, 100);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn split(message: &Message, max_bytes: usize) -> Result<Vec<String>, SplitError> {
    let whole = encode_body(message)?;
    if whole.len() <= max_bytes {
        return Ok(vec![whole]);
    }
    match &message.body {
        MessageBody::EventProcessingRequest(batch) if !batch.events.is_empty() => {
            let rest = {
                let mut template = batch.clone();
                template.system_notifications.clear();
                template
            };
            let build = |first: bool, range: std::ops::Range<usize>| {
                let mut part = if first { batch.clone() } else { rest.clone() };
                part.events = part_of(&batch.events, first, range);
                Message {
                    envelope: message.envelope.clone(),
                    body: part.into(),
                }
            };
            split_items(&batch.events, "event", max_bytes, build)
        }
        MessageBody::AudienceMembershipChangeRequest(change) => match &change.user_profiles {
            Some(profiles) if !profiles.is_empty() => {
                let build = |first: bool, range: std::ops::Range<usize>| {
                    let mut part = change.clone();
                    part.user_profiles = Some(part_of(profiles, first, range));
                    Message {
                        envelope: message.envelope.clone(),
                        body: part.into(),
                    }
                };
                split_items(profiles, "user profile", max_bytes, build)
            }
            _ => Err(not_splittable(message, whole.len(), max_bytes)),
        },
        _ => Err(not_splittable(message, whole.len(), max_bytes)),
    }
}

/// The elements `range` of a list; the first part also carries the list's invalid elements (as
/// the JSON they arrived as, after its valid ones), so that the consumer reports them.
fn part_of<T: Clone>(list: &List<T>, first: bool, range: std::ops::Range<usize>) -> List<T> {
    let invalid = if first {
        list.invalid().cloned().collect()
    } else {
        Vec::new()
    };
    List::from_parts(list[range].to_vec(), invalid)
}

fn not_splittable(message: &Message, bytes: usize, max_bytes: usize) -> SplitError {
    SplitError::NotSplittable {
        message_type: message.body.type_name().to_owned(),
        bytes,
        max_bytes,
    }
}

/// Packs `items` greedily, in order, into parts within `max_bytes`, and encodes each part.
///
/// A part of items `a..b` encodes to `frame + Σ size(item) + (b - a - 1)` bytes (one comma
/// between items), where `frame` is the size of the part with one item minus that item's size.
/// The first part may carry more fields (the system notifications), so it has its own frame.
/// Every encoded part is checked against the limit all the same.
fn split_items<T: Serialize>(
    items: &[T],
    what: &'static str,
    max_bytes: usize,
    build: impl Fn(bool, std::ops::Range<usize>) -> Message,
) -> Result<Vec<String>, SplitError> {
    let sizes = items
        .iter()
        .map(|item| encode_body(item).map(|body| body.len()))
        .collect::<Result<Vec<_>, _>>()?;
    let frame = |first: bool| -> Result<usize, SplitError> {
        let one = encode_body(&build(first, 0..1))?.len();
        Ok(one.saturating_sub(sizes[0]))
    };
    let (first_frame, other_frame) = (frame(true)?, frame(false)?);

    let mut parts = Vec::new();
    let mut start = 0;
    while start < items.len() {
        let first = parts.is_empty();
        let mut bytes = if first { first_frame } else { other_frame };
        let mut end = start;
        while end < items.len() {
            let added = sizes[end] + usize::from(end > start);
            if bytes + added > max_bytes {
                break;
            }
            bytes += added;
            end += 1;
        }
        if end == start {
            return Err(SplitError::ItemTooLarge {
                what,
                index: start,
                bytes: bytes + sizes[start],
                max_bytes,
            });
        }
        let body = encode_body(&build(first, start..end))?;
        // The arithmetic above is exact for compact JSON; this guards the promise regardless.
        if body.len() > max_bytes {
            return Err(SplitError::ItemTooLarge {
                what,
                index: start,
                bytes: body.len(),
                max_bytes,
            });
        }
        parts.push(body);
        start = end;
    }
    Ok(parts)
}

/// Encodes a value as a queue message body: compact JSON in which the two characters SQS
/// refuses in a body (U+FFFE and U+FFFF, which JSON allows raw inside strings) are written as
/// `\ufffe` and `\uffff` escapes, with the same meaning.
pub(crate) fn encode_body<T: Serialize + ?Sized>(value: &T) -> Result<String, EncodeError> {
    let json = crate::codec::encode_string(value)?;
    if !json.contains(['\u{fffe}', '\u{ffff}']) {
        return Ok(json);
    }
    Ok(json
        .replace('\u{fffe}', "\\ufffe")
        .replace('\u{ffff}', "\\uffff"))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::model::*;
    use crate::testing::messages;

    fn big_batch(events: usize, name_bytes: usize) -> Message {
        let mut batch = messages::EventBatch::new(7)
            .setting("apiKey", "k")
            .mpid(1234)
            .user_identity(UserIdentityType::Email, "ann@example.com")
            .notification(CcpaConsentStateNotification::default());
        for i in 0..events {
            let name = format!("{i:06}-{}", "x".repeat(name_bytes));
            batch = batch.event(Event::new(
                i64::try_from(i).unwrap_or_default(),
                CustomEvent {
                    name: Some(name.into()),
                    ..Default::default()
                },
            ));
        }
        batch.build()
    }

    fn decode_batch(body: &str) -> (Envelope, EventProcessingRequest) {
        let message = Message::decode(body.as_bytes()).expect("every part decodes");
        match message.body {
            MessageBody::EventProcessingRequest(batch) => (message.envelope, batch),
            other => panic!("a part is a {}", other.type_name()),
        }
    }

    #[test]
    fn a_message_that_fits_is_one_body_equal_to_its_encoding() {
        let message = big_batch(3, 10);
        let parts = split(&message, 1 << 20).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].as_bytes(), message.encode().unwrap());
    }

    #[test]
    fn an_oversized_batch_becomes_sub_batches_with_the_same_envelope_and_user() {
        let message = big_batch(400, 200);
        let MessageBody::EventProcessingRequest(original) = &message.body else {
            unreachable!()
        };
        let whole = message.encode().unwrap().len();
        let max = 16 * 1024;
        assert!(whole > 4 * max);
        let parts = split(&message, max).unwrap();
        assert!(parts.len() >= whole / max, "{} parts", parts.len());

        let mut ids = Vec::new();
        let mut notifications = 0;
        for (i, part) in parts.iter().enumerate() {
            assert!(part.len() <= max, "part {i} is {} bytes", part.len());
            let (envelope, batch) = decode_batch(part);
            assert_eq!(envelope, message.envelope);
            assert_eq!(batch.account, original.account);
            assert_eq!(batch.mpid, original.mpid);
            assert_eq!(batch.user_identities, original.user_identities);
            assert!(!batch.events.is_empty());
            notifications += batch.system_notifications.len();
            ids.extend(batch.events.iter().map(|e| e.header.id));
        }
        // Every event exactly once, in order; the notification once, in the first part.
        let expected: Vec<_> = original.events.iter().map(|e| e.header.id).collect();
        assert_eq!(ids, expected);
        assert_eq!(notifications, 1);
        assert_eq!(decode_batch(&parts[0]).1.system_notifications.len(), 1);
        // Greedy packing: every part but the last is nearly full.
        for part in &parts[..parts.len() - 1] {
            assert!(part.len() > max - 400, "{} bytes", part.len());
        }
    }

    #[test]
    fn invalid_events_of_an_oversized_batch_travel_in_the_first_part() {
        let mut json: serde_json::Value =
            serde_json::from_slice(&big_batch(200, 200).encode().unwrap()).unwrap();
        let events = json["events"].as_array_mut().unwrap();
        events.insert(3, serde_json::json!(42));
        events.insert(
            150,
            serde_json::json!({"event_type": "custom_event", "data": 7}),
        );
        let message = Message::decode(json.to_string().as_bytes()).unwrap();
        let MessageBody::EventProcessingRequest(original) = &message.body else {
            unreachable!()
        };
        assert_eq!(original.events.invalid().count(), 2);

        let parts = split(&message, 16 * 1024).unwrap();
        assert!(parts.len() > 2);
        let (_, first) = decode_batch(&parts[0]);
        let kept: Vec<String> = first
            .events
            .invalid()
            .map(|e| e.raw_json().to_owned())
            .collect();
        assert_eq!(kept.len(), 2, "both invalid events in the first part");
        assert_eq!(kept[0], "42");
        let mut ids = Vec::new();
        for part in &parts {
            assert!(part.len() <= 16 * 1024);
            let (_, batch) = decode_batch(part);
            if !std::ptr::eq(part, &parts[0]) {
                assert_eq!(batch.events.invalid().count(), 0);
            }
            ids.extend(batch.events.iter().map(|e| e.header.id));
        }
        let expected: Vec<_> = original.events.iter().map(|e| e.header.id).collect();
        assert_eq!(ids, expected);
    }

    #[test]
    fn an_oversized_membership_change_is_split_by_user_profiles() {
        let changes: Vec<(String, i32, AudienceAction)> = (0..300)
            .map(|i| (format!("user-{i}@example.com"), i % 3, AudienceAction::Add))
            .collect();
        let borrowed: Vec<(&str, i32, AudienceAction)> = changes
            .iter()
            .map(|(e, a, x)| (e.as_str(), *a, x.clone()))
            .collect();
        let message = messages::audience_membership(7, &borrowed);
        let MessageBody::AudienceMembershipChangeRequest(original) = &message.body else {
            unreachable!()
        };
        let max = 8 * 1024;
        let parts = split(&message, max).unwrap();
        assert!(parts.len() > 2);
        let mut profiles = Vec::new();
        for part in &parts {
            assert!(part.len() <= max);
            let decoded = Message::decode(part.as_bytes()).unwrap();
            assert_eq!(decoded.envelope, message.envelope);
            let MessageBody::AudienceMembershipChangeRequest(change) = decoded.body else {
                panic!("not a membership change")
            };
            assert_eq!(change.account, original.account);
            profiles.extend(change.user_profiles.unwrap_or_default());
        }
        assert_eq!(Some(List::from(profiles)), original.user_profiles);
    }

    #[test]
    fn what_cannot_be_split_says_why() {
        let dsr = messages::dsr_erasure(7, &format!("{}@example.com", "a".repeat(5_000)));
        assert!(matches!(
            split(&dsr, 1_000),
            Err(SplitError::NotSplittable { ref message_type, .. }) if message_type == "dsr_processing_request"
        ));
        let huge_event = big_batch(2, 20_000);
        let error = split(&huge_event, 10_000).unwrap_err();
        assert!(
            matches!(
                error,
                SplitError::ItemTooLarge {
                    what: "event",
                    index: 0,
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn characters_sqs_refuses_are_escaped_and_decode_back() {
        let message = messages::EventBatch::new(7)
            .event(Event::new(
                1,
                CustomEvent {
                    name: Some("odd \u{fffe} and \u{ffff}".into()),
                    ..Default::default()
                },
            ))
            .build();
        let parts = split(&message, 1 << 20).unwrap();
        assert!(!parts[0].contains(['\u{fffe}', '\u{ffff}']));
        assert!(parts[0].contains("\\ufffe"));
        let (_, batch) = decode_batch(&parts[0]);
        let EventData::CustomEvent(event) = &batch.events[0].data else {
            panic!("not a custom event")
        };
        assert_eq!(event.name.as_deref(), Some("odd \u{fffe} and \u{ffff}"));
    }

    #[test]
    fn splitting_is_exact_across_many_limits() {
        let message = big_batch(60, 37);
        let MessageBody::EventProcessingRequest(original) = &message.body else {
            unreachable!()
        };
        let expected: BTreeSet<_> = original.events.iter().map(|e| e.header.id).collect();
        for max in (1_200..6_000).step_by(97) {
            let parts = split(&message, max).unwrap();
            let mut seen = BTreeSet::new();
            let mut count = 0;
            for part in &parts {
                assert!(part.len() <= max, "{} > {max}", part.len());
                let (_, batch) = decode_batch(part);
                count += batch.events.len();
                seen.extend(batch.events.iter().map(|e| e.header.id));
            }
            assert_eq!((count, &seen), (expected.len(), &expected), "max {max}");
        }
    }
}
