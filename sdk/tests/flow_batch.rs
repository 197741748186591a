//! Inside one invocation: bounded per-user fan-out (paused clock) and chunking for bulk APIs.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mparticle_firehose::PartnerError;
use mparticle_firehose::flow::{ChunkLimits, chunk, chunk_json, fan_out_by_user, json_size};
use mparticle_firehose::model::{AudienceMembershipChangeRequest, CustomEvent, Event, MessageBody};
use mparticle_firehose::testing::messages;

/// Tracks calls in flight and the order each user's items were sent in.
#[derive(Default)]
struct Probe {
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    sent: Mutex<Vec<(u32, u32)>>,
}

impl Probe {
    async fn send(&self, (user, ts): (u32, u32)) -> Result<(), PartnerError> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        // Different users take different times, so that they interleave.
        tokio::time::sleep(Duration::from_millis(u64::from(10 + (user * 7 + ts) % 13))).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.sent.lock().unwrap().push((user, ts));
        Ok(())
    }

    fn sent_by(&self, user: u32) -> Vec<u32> {
        let sent = self.sent.lock().unwrap();
        sent.iter().filter(|s| s.0 == user).map(|s| s.1).collect()
    }
}

fn items() -> Vec<(u32, u32)> {
    // 12 users, 5 events each, timestamps shuffled within each user.
    let mut items = Vec::new();
    for round in [3, 1, 4, 0, 2] {
        for user in 0..12 {
            items.push((user, (round * 10 + user) % 50));
        }
    }
    items
}

#[tokio::test(start_paused = true)]
async fn fan_out_bounds_the_calls_in_flight_and_keeps_each_users_order() {
    let probe = Probe::default();
    fan_out_by_user(items(), 4, |i| i.0, |i| i.1, |i| probe.send(i))
        .await
        .unwrap();
    assert_eq!(probe.sent.lock().unwrap().len(), 60);
    assert_eq!(probe.peak.load(Ordering::SeqCst), 4);
    for user in 0..12 {
        let sent = probe.sent_by(user);
        assert_eq!(sent.len(), 5);
        assert!(sent.is_sorted(), "user {user}: {sent:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn one_in_flight_is_sequential_and_zero_counts_as_one() {
    let probe = Probe::default();
    fan_out_by_user(items(), 0, |i| i.0, |i| i.1, |i| probe.send(i))
        .await
        .unwrap();
    assert_eq!(probe.peak.load(Ordering::SeqCst), 1);
    assert_eq!(probe.sent.lock().unwrap().len(), 60);
}

#[tokio::test(start_paused = true)]
async fn equal_timestamps_keep_their_input_order() {
    let sent = Mutex::new(Vec::new());
    let items = vec![
        ("ann", 5, 'a'),
        ("ann", 1, 'b'),
        ("ann", 5, 'c'),
        ("ann", 5, 'd'),
    ];
    fan_out_by_user(
        items,
        8,
        |i| i.0,
        |i| i.1,
        |i| {
            let sent = &sent;
            async move {
                sent.lock().unwrap().push(i.2);
                Ok(())
            }
        },
    )
    .await
    .unwrap();
    assert_eq!(sent.into_inner().unwrap(), ['b', 'a', 'c', 'd']);
}

#[tokio::test(start_paused = true)]
async fn a_retryable_failure_stops_that_user_and_new_calls() {
    let sent = Mutex::new(Vec::new());
    let items: Vec<(u32, u32)> = (0..3).flat_map(|u| (0..4).map(move |t| (u, t))).collect();
    let outcome = fan_out_by_user(
        items,
        2,
        |i| i.0,
        |i| i.1,
        |i| {
            let sent = &sent;
            async move {
                tokio::time::sleep(Duration::from_millis(10)).await;
                if i == (1, 1) {
                    return Err(PartnerError::retry_after("429", Duration::from_secs(3)));
                }
                sent.lock().unwrap().push(i);
                Ok(())
            }
        },
    )
    .await;
    assert_eq!(
        outcome,
        Err(PartnerError::retry_after("429", Duration::from_secs(3)))
    );
    let sent = sent.into_inner().unwrap();
    // User 1 stopped at its failed item: its later items were not sent out of order.
    assert!(sent.contains(&(1, 0)));
    assert!(!sent.contains(&(1, 2)) && !sent.contains(&(1, 3)));
    // User 2 had not started when the failure came: it was not started afterwards.
    assert!(sent.iter().all(|s| s.0 != 2), "{sent:?}");
}

#[tokio::test(start_paused = true)]
async fn permanent_failures_are_skipped_and_suspension_wins() {
    let sent = Mutex::new(Vec::new());
    let items: Vec<(u32, u32)> = (0..2).flat_map(|u| (0..3).map(move |t| (u, t))).collect();
    fan_out_by_user(
        items.clone(),
        2,
        |i| i.0,
        |i| i.1,
        |i| {
            let sent = &sent;
            async move {
                if i.1 == 1 {
                    return Err(PartnerError::permanent("rejected"));
                }
                sent.lock().unwrap().push(i);
                Ok(())
            }
        },
    )
    .await
    .unwrap();
    assert_eq!(sent.lock().unwrap().len(), 4);

    let outcome = fan_out_by_user(
        items,
        2,
        |i| i.0,
        |i| i.1,
        |i| async move {
            match i {
                (0, 0) => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    Err(PartnerError::retry_later("503"))
                }
                (1, 0) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    Err(PartnerError::suspend("revoked"))
                }
                _ => Ok(()),
            }
        },
    )
    .await;
    assert_eq!(outcome, Err(PartnerError::suspend("revoked")));
}

#[tokio::test(start_paused = true)]
async fn fan_out_over_an_audience_membership_change() {
    let message = messages::audience_membership(
        7,
        &[
            (
                "a@example.com",
                1,
                mparticle_firehose::model::AudienceAction::Add,
            ),
            (
                "b@example.com",
                1,
                mparticle_firehose::model::AudienceAction::Delete,
            ),
            (
                "c@example.com",
                2,
                mparticle_firehose::model::AudienceAction::Add,
            ),
        ],
    );
    let MessageBody::AudienceMembershipChangeRequest(AudienceMembershipChangeRequest {
        user_profiles: Some(profiles),
        ..
    }) = message.body
    else {
        panic!("not a membership change");
    };
    let calls = AtomicUsize::new(0);
    fan_out_by_user(
        profiles,
        2,
        |p| p.user_identities.first().map(|i| i.value.clone()),
        |_| 0,
        |_| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(())
        },
    )
    .await
    .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[test]
fn chunks_respect_count_and_bytes_in_order() {
    let sizes = [3usize, 4, 2, 9, 1, 1, 1, 1, 1, 12, 5];
    let chunked = chunk(
        sizes.iter().copied().enumerate(),
        ChunkLimits::new(3, 10),
        |i| i.1,
    );
    let chunks: Vec<Vec<usize>> = chunked
        .chunks
        .iter()
        .map(|c| c.iter().map(|i| i.0).collect())
        .collect();
    assert_eq!(
        chunks,
        vec![vec![0, 1, 2], vec![3, 4], vec![5, 6, 7], vec![8, 10]]
    );
    assert_eq!(chunked.oversized, vec![(9, 12)]);
    for c in &chunked.chunks {
        assert!(c.len() <= 3);
        assert!(c.iter().map(|i| i.1).sum::<usize>() <= 10);
    }
}

#[test]
fn json_chunks_fit_their_encoded_bodies() {
    let events: Vec<Event> = (0..200)
        .map(|i| {
            Event::new(
                1_700_000_000_000 + i,
                CustomEvent {
                    name: Some(format!("event-{}", "x".repeat((i % 17) as usize)).into()),
                    ..Default::default()
                },
            )
        })
        .collect();
    let envelope = r#"{"events":}"#.len();
    let limits = ChunkLimits::json_array(50, 4_000).with_envelope(envelope);
    let chunked = chunk_json(events.clone(), limits).unwrap();
    assert!(chunked.oversized.is_empty());
    assert_eq!(chunked.chunks.iter().map(Vec::len).sum::<usize>(), 200);
    let flattened: Vec<_> = chunked.chunks.iter().flatten().cloned().collect();
    assert_eq!(flattened, events, "order is kept");
    for c in &chunked.chunks {
        let body = serde_json::to_vec(&serde_json::json!({ "events": c })).unwrap();
        assert!(c.len() <= 50);
        assert!(body.len() <= 4_000, "{} bytes", body.len());
        assert_eq!(
            json_size(&serde_json::json!({ "events": c })).unwrap(),
            body.len()
        );
    }
    assert!(chunked.chunks.len() >= 4);

    // One item larger than the limit on its own is set aside.
    let big = ChunkLimits::json_array(10, 50);
    let chunked = chunk_json(vec!["short".to_owned(), "y".repeat(60)], big).unwrap();
    assert_eq!(chunked.chunks, vec![vec!["short".to_owned()]]);
    assert_eq!(chunked.oversized.len(), 1);
    let none: Vec<u8> = Vec::new();
    assert!(chunk_json(none, big).unwrap().chunks.is_empty());
}
