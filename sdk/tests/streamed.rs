//! Streamed delivery: a partner that takes its batches as a stream sees the same batch, the same
//! events and the same invalid elements as whole delivery shows it, and gets the same answer to
//! mParticle, a slice at a time.

use std::sync::Mutex;

use mparticle_firehose::model::*;
use mparticle_firehose::partner::{EventDelivery, EventStream, process_event_stream};
use mparticle_firehose::prelude::{Partner, PartnerError, RequestContext, async_trait};
use mparticle_firehose::testing::generate::BatchGenerator;
use mparticle_firehose::testing::realistic::{RealisticBatch, Storefront};
use mparticle_firehose::testing::{self, messages};
use mparticle_firehose::{Dispatcher, ErrorType, FunctionError};

/// Streamed delivery with every batch's events decoded as they are read.
const READ: EventDelivery = EventDelivery::Streamed { from_bytes: 0 };
/// Streamed delivery with every batch decoded whole first (as a small batch is).
const DECODED: EventDelivery = EventDelivery::Streamed {
    from_bytes: usize::MAX,
};

/// Writes down what it is handed: the batch without its events, each event as JSON, each invalid
/// element. Whole or streamed, as told; streamed, it reads slices of `slice` events.
struct Recorder {
    delivery: EventDelivery,
    slice: usize,
    /// What `on_invalid_element` answers.
    invalid_answer: Option<PartnerError>,
    batches: Mutex<Vec<String>>,
    events: Mutex<Vec<String>>,
    invalid: Mutex<Vec<String>>,
    slices: Mutex<Vec<usize>>,
    /// The hooks in the order they were called.
    order: Mutex<Vec<&'static str>>,
}

impl Recorder {
    fn new(delivery: EventDelivery) -> Self {
        Self {
            delivery,
            slice: 64,
            invalid_answer: None,
            batches: Mutex::default(),
            events: Mutex::default(),
            invalid: Mutex::default(),
            slices: Mutex::default(),
            order: Mutex::default(),
        }
    }

    fn record_batch(&self, batch: &EventProcessingRequest) {
        let mut batch = batch.clone();
        batch.events = List::new();
        let json = Message::new(batch).to_json().unwrap();
        // The envelope is the fresh one of `Message::new`: keep the body only.
        let body = serde_json::from_str::<serde_json::Value>(&json).unwrap();
        let mut body = body.as_object().unwrap().clone();
        for key in ["id", "timestamp_ms"] {
            body.remove(key);
        }
        self.batches
            .lock()
            .unwrap()
            .push(serde_json::to_string(&body).unwrap());
    }

    fn record_events(&self, events: &[Event]) {
        let mut seen = self.events.lock().unwrap();
        for event in events {
            seen.push(serde_json::to_string(event).unwrap());
        }
    }

    fn seen(&self) -> (Vec<String>, Vec<String>, Vec<String>) {
        (
            self.batches.lock().unwrap().clone(),
            self.events.lock().unwrap().clone(),
            self.invalid.lock().unwrap().clone(),
        )
    }
}

#[async_trait]
impl Partner for Recorder {
    fn registration(&self) -> ModuleRegistrationResponse {
        ModuleRegistrationResponse::new("Recorder", "1.0").with_event_processing(
            EventProcessingRegistration::new().with_event_types([EventType::CustomEvent]),
        )
    }

    fn event_delivery(&self) -> EventDelivery {
        self.delivery
    }

    async fn on_event_batch(
        &self,
        _: &RequestContext,
        batch: &EventProcessingRequest,
    ) -> Result<EventProcessingResponse, PartnerError> {
        self.record_batch(batch);
        self.record_events(&batch.events);
        Ok(EventProcessingResponse::default())
    }

    async fn on_event_stream(
        &self,
        _: &RequestContext,
        batch: &EventProcessingRequest,
        events: &mut EventStream<'_>,
    ) -> Result<EventProcessingResponse, PartnerError> {
        assert!(batch.events.is_empty() && !batch.events.has_invalid());
        self.order.lock().unwrap().push("stream");
        self.record_batch(batch);
        let total = events.len();
        while let Some(slice) = events.next_slice(self.slice).await? {
            assert!(!slice.is_empty() && slice.len() <= self.slice);
            assert!(events.remaining() <= total);
            self.slices.lock().unwrap().push(slice.len());
            self.record_events(&slice);
        }
        assert_eq!(events.remaining(), 0);
        Ok(EventProcessingResponse::default())
    }

    async fn on_invalid_element(
        &self,
        _: &RequestContext,
        element: &InvalidElement,
    ) -> Result<(), PartnerError> {
        self.order.lock().unwrap().push("invalid");
        self.invalid.lock().unwrap().push(format!(
            "{} {} {} {} {}",
            element.index(),
            element.path(),
            element.kind(),
            element.error().path(),
            element.raw_json()
        ));
        match &self.invalid_answer {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

/// The answer as something comparable: the body of a response (its envelope is fresh), or the
/// function error.
fn outcome(answer: Result<Message, FunctionError>) -> Result<MessageBody, (ErrorType, String)> {
    answer
        .map(|m| m.body)
        .map_err(|e| (e.error_type, e.message))
}

/// Serves `payload` whole and streamed (read as it goes, and decoded whole first), and checks
/// that the partners saw and answered the same.
async fn same_either_way(payload: &[u8]) -> (Vec<String>, Vec<String>, Vec<String>) {
    let whole = testing::dispatcher(Recorder::new(EventDelivery::Whole));
    let whole_answer = outcome(testing::invoke(&whole, payload).await);
    let text = String::from_utf8_lossy(payload);
    for delivery in [READ, DECODED] {
        let streamed = testing::dispatcher(Recorder::new(delivery));
        let streamed_answer = outcome(testing::invoke(&streamed, payload).await);
        assert_eq!(whole_answer, streamed_answer, "{delivery:?}: {text}");
        assert_eq!(
            whole.partner().seen(),
            streamed.partner().seen(),
            "{delivery:?}: {text}"
        );
    }
    whole.partner().seen()
}

fn batch(events: &str) -> String {
    format!(
        r#"{{"type":"event_processing_request","id":"a3e1f9c2-6b04-4d7a-8e52-1c9f0b7d3e68","timestamp_ms":1700000000000,"account":{{"account_id":7,"account_settings":{{"apiKey":"k"}}}},"mpid":"42","events":{events},"user_identities":[{{"type":"email","encoding":"raw","value":"a@b.c"}}]}}"#
    )
}

fn custom(n: u32) -> String {
    format!(
        r#"{{"type":"custom_event","id":"11111111-1111-4111-8111-1111111111{n:02}","timestamp_ms":{n},"name":"event {n}","attributes":{{"n":"{n}"}}}}"#
    )
}

#[tokio::test]
async fn generated_and_realistic_batches_are_seen_the_same_either_way() {
    for (seed, n) in [(1, 1), (2, 3), (3, 65), (4, 300)] {
        let payload = messages::encode(&BatchGenerator::new(seed).event_batch(n));
        let (batches, events, invalid) = same_either_way(&payload).await;
        assert_eq!((batches.len(), events.len(), invalid.len()), (1, n, 0));
    }
    for storefront in [Storefront::IosApp, Storefront::WebShop] {
        let payload = RealisticBatch::new(5, storefront).event_batch(200);
        let (_, events, invalid) = same_either_way(&payload).await;
        assert!(events.len() >= 200 && invalid.is_empty());
    }
}

#[tokio::test]
async fn the_payload_size_decides_whether_events_are_read_as_they_go() {
    let payload = batch(&format!("[{},null]", custom(1)));
    for (from_bytes, order) in [
        // Read as it goes: the invalid event is met after the partner is called.
        (payload.len(), ["stream", "invalid"]),
        // Decoded whole first: it is handed over before.
        (payload.len() + 1, ["invalid", "stream"]),
    ] {
        let dispatcher = testing::dispatcher(Recorder::new(EventDelivery::Streamed { from_bytes }));
        testing::invoke(&dispatcher, &payload).await.unwrap();
        assert_eq!(*dispatcher.partner().order.lock().unwrap(), order);
    }
}

#[tokio::test]
async fn slices_are_full_but_the_last() {
    let payload = messages::encode(&BatchGenerator::new(9).event_batch(150));
    let dispatcher = testing::dispatcher(Recorder::new(READ));
    testing::invoke(&dispatcher, &payload).await.unwrap();
    assert_eq!(*dispatcher.partner().slices.lock().unwrap(), [64, 64, 22]);
}

/// Events that do not decode, each between good ones; and events that decode but hold invalid
/// elements of their own or need their exact text.
fn damaged_events() -> Vec<String> {
    vec![
        "null".into(),
        "5".into(),
        r#""custom_event""#.into(),
        r#"[{"type":"custom_event"}]"#.into(),
        r#"{"timestamp_ms":1}"#.into(),
        r#"{"type":null}"#.into(),
        r#"{"type":{"x":1}}"#.into(),
        r#"{"type":"custom_event","timestamp_ms":"soon","name":"bad"}"#.into(),
        r#"{"id":"3","timestamp_ms":"soon","type":"screen_view"}"#.into(),
        r#"{"type":"custom_event","id":"not-a-uuid"}"#.into(),
        r#"{"type":"custom_event","name":12.50,"attributes":{"price":10.10}}"#.into(),
        r#"{"type":"custom_event","name":"caf\u00e9 \"quoted\"\n"}"#.into(),
        r#"{"type":"a_type_from_the_future","x":[1,{"y":null}]}"#.into(),
        r#"{"type":"product_action","action":"purchase","products":[{"id":"p1","price":"1.5"},null,{"id":"p2","quantity":"many"}],"total_amount":19.990}"#.into(),
        r#"{"type":"user_attribute_change","key":"k","new":["a",null,"b"]}"#.into(),
    ]
}

#[tokio::test]
async fn damaged_events_are_handed_over_as_whole_delivery_hands_them() {
    for damaged in damaged_events() {
        for events in [
            format!("[{},{damaged},{}]", custom(1), custom(2)),
            format!("[{damaged}]"),
            format!("[ \n {damaged} ,\t{}\r\n]", custom(3)),
        ] {
            same_either_way(batch(&events).as_bytes()).await;
        }
    }
    let all = damaged_events().join(",");
    let (_, events, invalid) = same_either_way(batch(&format!("[{all}]")).as_bytes()).await;
    assert!(events.len() >= 5, "{events:?}");
    assert!(invalid.len() >= 10, "{invalid:?}");
}

#[tokio::test]
async fn damage_outside_the_events_is_answered_as_whole_delivery_answers_it() {
    let good = format!("[{},{}]", custom(1), custom(2));
    for payload in [
        // Invalid elements of other lists, next to good events.
        batch(&good).replace(r#""user_identities":[{"#, r#""user_identities":[null,7,{"#),
        // Damage to the message itself.
        batch(&good).replace(r#""mpid":"42""#, r#""mpid":{"x":1}"#),
        batch(&good).replace(r#""account_id":7"#, r#""account_id":"seven""#),
        batch(&good).replace(
            r#""id":"a3e1f9c2-6b04-4d7a-8e52-1c9f0b7d3e68""#,
            r#""id":"nope""#,
        ),
        batch(&good).replace(r#""user_identities":["#, r#""user_identities":{"#),
        format!("{} ", batch(&good)),
        format!("{}x", batch(&good)),
        batch(&good).replace(
            r#""type":"event_processing_request""#,
            r#""type":"event_processing_response""#,
        ),
        // No events: a verification request, answered by the SDK.
        batch("[]"),
        batch("null"),
    ] {
        same_either_way(payload.as_bytes()).await;
    }
}

#[tokio::test]
async fn errors_from_the_invalid_element_hook_follow_the_contract() {
    // The invalid event after the first good one, and before it (read before the partner is
    // called, to tell a batch from a verification request).
    for events in [
        format!("[{},null,{}]", custom(1), custom(2)),
        format!("[null,{},{}]", custom(1), custom(2)),
    ] {
        let payload = batch(&events);
        let with = |answer: PartnerError| {
            testing::dispatcher(Recorder {
                invalid_answer: Some(answer),
                ..Recorder::new(READ)
            })
        };
        // Permanent: dropped, the batch goes on.
        let d = with(PartnerError::permanent("no"));
        testing::invoke(&d, &payload).await.unwrap();
        assert_eq!(d.partner().seen().1.len(), 2);
        // Retry later: the batch fails and mParticle retries it.
        let d = with(PartnerError::retry_later("busy"));
        let e = testing::invoke(&d, &payload).await.unwrap_err();
        assert_eq!(e.error_type, ErrorType::RetryLater);
        // Suspend: answered on the response's flag.
        let d = with(PartnerError::suspend("revoked"));
        let answer = testing::invoke(&d, &payload).await.unwrap();
        let MessageBody::EventProcessingResponse(r) = answer.body else {
            panic!("{answer:?}")
        };
        assert!(r.suspend_subscription);
        // Each way, whole delivery answers the same.
        for answer in [
            PartnerError::permanent("no"),
            PartnerError::retry_later("busy"),
            PartnerError::suspend("revoked"),
        ] {
            let whole = testing::dispatcher(Recorder {
                invalid_answer: Some(answer.clone()),
                ..Recorder::new(EventDelivery::Whole)
            });
            let expected = outcome(testing::invoke(&whole, &payload).await);
            for delivery in [READ, DECODED] {
                let streamed = testing::dispatcher(Recorder {
                    invalid_answer: Some(answer.clone()),
                    ..Recorder::new(delivery)
                });
                assert_eq!(
                    expected,
                    outcome(testing::invoke(&streamed, &payload).await)
                );
            }
        }
    }
}

#[tokio::test]
async fn a_batch_decoded_whole_is_streamed_from_its_events() {
    // Queue and HTTP modes hand the dispatcher a decoded message: a streamed partner still gets
    // its stream, and the invalid elements once, before it.
    let payload = batch(&format!("[{},null,{}]", custom(1), custom(2)));
    let message = Message::decode(payload.as_bytes()).unwrap();
    let dispatcher: Dispatcher<Recorder> = testing::dispatcher(Recorder::new(READ));
    let answer = dispatcher
        .dispatch(message, testing::InvocationBuilder::new().build())
        .await
        .unwrap();
    assert_eq!(answer.message_type(), MessageType::EventProcessingResponse);
    let (batches, events, invalid) = dispatcher.partner().seen();
    assert_eq!((batches.len(), events.len(), invalid.len()), (1, 2, 1));
    assert_eq!(*dispatcher.partner().slices.lock().unwrap(), [2]);
}

/// Counts each hook of the default walk, with the batch's events as it sees them.
#[derive(Default)]
struct Walker {
    delivery: EventDelivery,
    seen: Mutex<Vec<String>>,
}

#[async_trait]
impl Partner for Walker {
    fn registration(&self) -> ModuleRegistrationResponse {
        ModuleRegistrationResponse::new("Walker", "1.0").with_event_processing(
            EventProcessingRegistration::new().with_event_types([EventType::CustomEvent]),
        )
    }

    fn event_delivery(&self) -> EventDelivery {
        self.delivery
    }

    async fn on_ccpa_consent_change(
        &self,
        _: &RequestContext,
        _: &EventProcessingRequest,
        _: &CcpaConsentStateNotification,
    ) -> Result<(), PartnerError> {
        self.seen.lock().unwrap().push("ccpa".into());
        Ok(())
    }

    async fn on_custom_event(
        &self,
        _: &RequestContext,
        _: &EventProcessingRequest,
        header: &EventHeader,
        event: &CustomEvent,
    ) -> Result<(), PartnerError> {
        let name = event.name.as_deref().unwrap_or_default();
        if name == "stop" {
            return Err(PartnerError::suspend("stop"));
        }
        if name == "skip" {
            return Err(PartnerError::permanent("skip"));
        }
        self.seen
            .lock()
            .unwrap()
            .push(format!("custom {:?} {name}", header.timestamp_ms));
        Ok(())
    }

    async fn on_screen_view(
        &self,
        _: &RequestContext,
        _: &EventProcessingRequest,
        header: &EventHeader,
        _: &ScreenViewEvent,
    ) -> Result<(), PartnerError> {
        self.seen
            .lock()
            .unwrap()
            .push(format!("screen {:?}", header.timestamp_ms));
        Ok(())
    }

    async fn on_unknown_event(
        &self,
        _: &RequestContext,
        _: &EventProcessingRequest,
        _: &EventHeader,
        event: &Unrecognized,
    ) -> Result<(), PartnerError> {
        self.seen
            .lock()
            .unwrap()
            .push(format!("unknown {}", event.type_name()));
        Ok(())
    }
}

#[tokio::test]
async fn the_default_stream_walk_calls_the_hooks_the_batch_walk_calls() {
    let mut events: Vec<String> = (0..600)
        .map(|n| match n % 3 {
            0 => format!(r#"{{"type":"custom_event","timestamp_ms":{n},"name":"n{n}"}}"#),
            1 => format!(r#"{{"type":"screen_view","timestamp_ms":{n}}}"#),
            _ => format!(r#"{{"type":"custom_event","timestamp_ms":{n},"name":"skip"}}"#),
        })
        .collect();
    events.insert(300, r#"{"type":"from_the_future"}"#.into());
    let notifications = r#","system_notifications":[{"type":"ccpa_consent_state","ccpa_consent_state":{"data_sale_opt_out":{"consented":false,"timestamp_unixtime_ms":1}}}]"#;
    let complete = batch(&format!("[{}]", events.join(",")))
        .replace(r#""mpid":"42""#, &format!(r#""mpid":"42"{notifications}"#));
    // And a batch the walk stops in: suspended after event 450.
    events.insert(450, r#"{"type":"custom_event","name":"stop"}"#.into());
    let stopped = batch(&format!("[{}]", events.join(",")));
    for payload in [complete, stopped] {
        let mut seen = Vec::new();
        let mut answers = Vec::new();
        for delivery in [EventDelivery::Whole, READ, DECODED] {
            let dispatcher = testing::dispatcher(Walker {
                delivery,
                ..Walker::default()
            });
            answers.push(outcome(testing::invoke(&dispatcher, &payload).await));
            seen.push(dispatcher.partner().seen.lock().unwrap().clone());
        }
        assert!(answers.iter().all(|a| *a == answers[0]));
        assert!(seen.iter().all(|s| *s == seen[0]));
        assert!(seen[0].len() > 300, "{}", seen[0].len());
    }
}

#[tokio::test]
async fn process_event_stream_is_the_default_hook() {
    // A partner can also call it from its own `on_event_stream`, after a check of its own.
    struct Gate;
    #[async_trait]
    impl Partner for Gate {
        fn registration(&self) -> ModuleRegistrationResponse {
            ModuleRegistrationResponse::new("Gate", "1.0")
        }
        fn event_delivery(&self) -> EventDelivery {
            READ
        }
        async fn on_event_stream(
            &self,
            ctx: &RequestContext,
            batch: &EventProcessingRequest,
            events: &mut EventStream<'_>,
        ) -> Result<EventProcessingResponse, PartnerError> {
            if batch.mpid.as_deref() == Some("0") {
                return Err(PartnerError::permanent("no user"));
            }
            process_event_stream(self, ctx, batch, events).await
        }
    }
    let dispatcher = testing::dispatcher(Gate);
    let payload = batch(&format!("[{}]", custom(1)));
    testing::invoke(&dispatcher, &payload).await.unwrap();
    testing::invoke(
        &dispatcher,
        payload.replace(r#""mpid":"42""#, r#""mpid":"0""#),
    )
    .await
    .unwrap();
}
