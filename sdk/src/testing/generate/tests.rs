//! The generator's own tests.

use std::collections::BTreeSet;

use super::BatchGenerator;
use crate::model::*;

fn events(message: &Message) -> &[Event] {
    match &message.body {
        MessageBody::EventProcessingRequest(request) => &request.events,
        other => panic!("not an event batch: {}", other.type_name()),
    }
}

#[test]
fn the_same_seed_gives_the_same_messages() {
    let mut a = BatchGenerator::new(7);
    let mut b = BatchGenerator::new(7);
    for n in [0, 1, 50, 300] {
        let (x, y) = (a.event_batch(n), b.event_batch(n));
        assert_eq!(x, y);
        assert_eq!(x.encode().unwrap(), y.encode().unwrap());
        assert_eq!(events(&x).len(), n);
    }
    assert_eq!(
        a.audience_membership_change(20),
        b.audience_membership_change(20)
    );

    let mut c = BatchGenerator::new(8);
    assert_ne!(BatchGenerator::new(7).event_batch(10), c.event_batch(10));
}

#[test]
fn a_fixed_account_changes_nothing_else() {
    let account = Account::new(77).with_setting("apiKey", "k-77");
    let mut plain = BatchGenerator::new(9);
    let mut fixed = BatchGenerator::new(9).with_account(account.clone());
    for _ in 0..3 {
        let (a, b) = (plain.event_batch(20), fixed.event_batch(20));
        let (MessageBody::EventProcessingRequest(a), MessageBody::EventProcessingRequest(b)) =
            (a.body, b.body)
        else {
            unreachable!()
        };
        assert_eq!(b.account.as_ref(), Some(&account));
        assert_eq!(a.events, b.events);
        assert_eq!(a.mpid, b.mpid);
    }
    let change = fixed.audience_membership_change(5);
    let MessageBody::AudienceMembershipChangeRequest(change) = change.body else {
        unreachable!()
    };
    assert_eq!(change.account, Some(account));
}

#[test]
fn two_thousand_events_cover_all_sixteen_event_types() {
    let batch = BatchGenerator::new(1).event_batch(2_000);
    let seen: BTreeSet<EventType> = events(&batch).iter().map(Event::event_type).collect();
    let all: BTreeSet<EventType> = EventType::KNOWN.iter().cloned().collect();
    assert_eq!(seen, all);
}

#[test]
fn batches_look_like_real_traffic() {
    let mut generator = BatchGenerator::new(3);
    let mut platforms = BTreeSet::new();
    let mut last_envelope_ms = 0;
    for _ in 0..200 {
        let batch = generator.event_batch(30);
        let MessageBody::EventProcessingRequest(request) = &batch.body else {
            unreachable!()
        };
        let envelope_ms = batch.envelope.timestamp_ms.unwrap();
        assert!(envelope_ms > last_envelope_ms);
        last_envelope_ms = envelope_ms;
        assert_eq!(batch.envelope.id.unwrap().get_version_num(), 4);
        assert!(request.account.as_ref().unwrap().account_settings.len() >= 3);
        assert!(request.mpid.as_deref().unwrap().parse::<i64>().is_ok());
        let email = &request.user_identities[0];
        assert_eq!(email.identity_type, UserIdentityType::Email);
        assert_eq!(email.value.len(), 64);
        assert!(!request.user_attributes.is_empty());
        platforms.insert(request.runtime_environment.as_ref().unwrap().platform());
        let stamps: Vec<i64> = request
            .events
            .iter()
            .map(|e| e.header.timestamp_ms)
            .collect();
        assert!(
            stamps.windows(2).all(|w| w[0] < w[1]),
            "timestamps increase"
        );
        assert!(stamps.last().copied().unwrap() < envelope_ms);
        for event in &request.events {
            assert_eq!(event.header.id.unwrap().get_version_num(), 4);
        }
    }
    let all: BTreeSet<RuntimeEnvironmentType> =
        RuntimeEnvironmentType::KNOWN.iter().cloned().collect();
    assert_eq!(platforms, all, "all ten platforms occur");
}

#[test]
fn prices_are_exact_decimals() {
    let batch = BatchGenerator::new(11).event_batch(1_000);
    let text = batch.to_json().unwrap();
    assert!(
        text.contains("\"price\":19.99"),
        "a catalog price is written exactly"
    );
    assert!(text.contains("\"currency_code\":"));
    assert!(text.contains("\"location\":{"));
}

#[test]
fn generated_messages_survive_a_round_trip() {
    let mut generator = BatchGenerator::new(5);
    for message in [
        generator.event_batch(1_000),
        generator.event_batch(3),
        generator.audience_membership_change(100),
    ] {
        let bytes = message.encode().unwrap();
        let decoded = Message::decode(&bytes).unwrap();
        assert_eq!(decoded, message);
        assert_eq!(decoded.encode().unwrap(), bytes);
    }
}

#[test]
fn the_sdk_writes_generated_and_realistic_batches_as_serde_json_writes_them() {
    use crate::testing::realistic::{RealisticBatch, Storefront};
    let mut generator = BatchGenerator::new(17);
    let mut messages = vec![
        generator.event_batch(500),
        generator.audience_membership_change(50),
    ];
    for storefront in [Storefront::IosApp, Storefront::WebShop] {
        let bytes = RealisticBatch::new(17, storefront).event_batch(500);
        messages.push(Message::decode(&bytes).unwrap());
    }
    for message in messages {
        assert_eq!(
            message.encode().unwrap(),
            serde_json::to_vec(&message).unwrap()
        );
    }
}
