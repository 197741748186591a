//! Nothing lost to one bad value: list elements that do not decode are kept as invalid elements,
//! in place, and the rest of the message is processed; damage outside list elements still fails
//! the message with a typed error.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::decode;
use mparticle_firehose::model::*;
use mparticle_firehose::prelude::{Partner, PartnerError, RequestContext, async_trait};
use mparticle_firehose::testing;
use mparticle_firehose::{DecodeErrorKind, ErrorType};

const GOOD_1: &str = "11111111-1111-4111-8111-111111111111";
const GOOD_2: &str = "22222222-2222-4222-8222-222222222222";
const BAD: &str = "33333333-3333-4333-8333-333333333333";

fn batch(events: &str) -> String {
    format!(
        r#"{{"type":"event_processing_request","id":"a3e1f9c2-6b04-4d7a-8e52-1c9f0b7d3e68","account":{{"account_id":7,"account_settings":{{"apiKey":"k"}}}},"mpid":"42","events":{events}}}"#
    )
}

fn custom(id: &str, name: &str) -> String {
    format!(r#"{{"type":"custom_event","id":"{id}","timestamp_ms":1,"name":"{name}"}}"#)
}

/// The malformed events of the issue, between two good ones: each with the element's path.
fn bad_events() -> Vec<(&'static str, String, DecodeErrorKind)> {
    vec![
        ("null", "null".into(), DecodeErrorKind::WrongType),
        ("a number", "5".into(), DecodeErrorKind::WrongType),
        (
            "a string",
            r#""custom_event""#.into(),
            DecodeErrorKind::WrongType,
        ),
        (
            "an array",
            r#"[{"type":"custom_event"}]"#.into(),
            DecodeErrorKind::WrongType,
        ),
        (
            "an object without type",
            r#"{"timestamp_ms":1}"#.into(),
            DecodeErrorKind::MissingType,
        ),
        (
            "an object with a null type",
            r#"{"type":null}"#.into(),
            DecodeErrorKind::MissingType,
        ),
        (
            "an object type",
            r#"{"type":{"x":1}}"#.into(),
            DecodeErrorKind::WrongType,
        ),
        (
            "an array type",
            r#"{"type":["custom_event"]}"#.into(),
            DecodeErrorKind::WrongType,
        ),
        (
            "a string where a number belongs",
            format!(r#"{{"type":"custom_event","id":"{BAD}","timestamp_ms":"soon","name":"bad"}}"#),
            DecodeErrorKind::InvalidValue,
        ),
        (
            "a string where a number belongs, type last",
            format!(r#"{{"id":"{BAD}","timestamp_ms":"soon","type":"screen_view"}}"#),
            DecodeErrorKind::InvalidValue,
        ),
        (
            "a malformed id",
            r#"{"type":"custom_event","id":"not-a-uuid"}"#.into(),
            DecodeErrorKind::InvalidValue,
        ),
        (
            "a repeated field",
            r#"{"type":"custom_event","name":"a","name":"b"}"#.into(),
            DecodeErrorKind::InvalidValue,
        ),
    ]
}

/// Decodes and re-encodes, checking that the output is a fixed point. (No key-order check:
/// invalid elements are written back as they came, `type` wherever it was.)
fn roundtrip(json: &[u8]) -> (Message, String) {
    let message = decode(json);
    let out = message.to_json().unwrap();
    let again = decode(out.as_bytes());
    assert_eq!(again.to_json().unwrap(), out, "not a fixed point");
    assert_eq!(
        again.invalid_elements().len(),
        message.invalid_elements().len()
    );
    (message, out)
}

fn events_of(msg: &Message) -> &EventProcessingRequest {
    match &msg.body {
        MessageBody::EventProcessingRequest(r) => r,
        other => panic!("{other:?}"),
    }
}

fn ids(req: &EventProcessingRequest) -> Vec<String> {
    req.events
        .iter()
        .map(|e| e.header.id.map(|id| id.to_string()).unwrap_or_default())
        .collect()
}

#[test]
fn each_malformed_event_is_kept_in_place_and_the_good_ones_decode() {
    for (what, bad, kind) in bad_events() {
        let json = batch(&format!(
            "[{},{bad},{}]",
            custom(GOOD_1, "one"),
            custom(GOOD_2, "two")
        ));
        let (msg, out) = roundtrip(json.as_bytes());
        let req = events_of(&msg);
        assert_eq!(ids(req), [GOOD_1, GOOD_2], "{what}");
        let invalid = msg.invalid_elements();
        assert_eq!(invalid.len(), 1, "{what}");
        let e = invalid[0];
        assert_eq!(
            (e.path(), e.index(), e.kind()),
            ("$.events[1]", 1, kind),
            "{what}: {e:?}"
        );
        assert!(e.error().path().starts_with("$.events[1]"), "{what}: {e:?}");
        assert_eq!(e.raw_json(), bad, "{what}");
        // Written back verbatim, in its place.
        assert!(out.contains(&format!(",{bad},")), "{what}: {out}");
    }
}

#[test]
fn errors_inside_an_invalid_element_name_the_field() {
    let json = batch(&format!(
        r#"[{},{{"type":"custom_event","id":"{BAD}","timestamp_ms":"soon"}},{{"timestamp_ms":[],"type":"screen_view"}}]"#,
        custom(GOOD_1, "one")
    ));
    let msg = decode(json.as_bytes());
    let paths: Vec<(&str, &str)> = msg
        .invalid_elements()
        .iter()
        .map(|e| (e.path(), e.error().path()))
        .collect();
    assert_eq!(
        paths,
        [
            ("$.events[1]", "$.events[1].timestamp_ms"),
            ("$.events[2]", "$.events[2].timestamp_ms"),
        ]
    );
}

#[test]
fn nested_lists_isolate_their_own_elements() {
    let json = batch(&format!(
        r#"[{{"type":"product_action","id":"{GOOD_1}","timestamp_ms":1,"action":"purchase","products":[{{"id":"p1","price":"1.50"}},{{"id":"p2","price":{{}}}},null],"total_amount":3}},{{"type":"impression","id":"{GOOD_2}","timestamp_ms":2,"impressions":[{{"impression_list_name":"l","products":[7,{{"id":"p3"}}]}}]}}]"#
    ));
    let (msg, _) = roundtrip(json.as_bytes());
    let req = events_of(&msg);
    assert_eq!(ids(req), [GOOD_1, GOOD_2]);
    let paths: Vec<&str> = msg.invalid_elements().iter().map(|e| e.path()).collect();
    assert_eq!(
        paths,
        [
            "$.events[0].products[1]",
            "$.events[0].products[2]",
            "$.events[1].impressions[0].products[0]",
        ]
    );
    let EventData::ProductAction(p) = &req.events[0].data else {
        panic!()
    };
    assert_eq!(p.products.len(), 1);
    assert_eq!(
        p.products[0]
            .price
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("1.50")
    );
}

#[test]
fn null_and_malformed_system_notifications_are_kept() {
    let json = format!(
        r#"{{"type":"event_processing_request","system_notifications":[null,{{"type":"gdpr_consent_state","purpose":"ads"}},{{"purpose":"p"}}],"events":[{}]}}"#,
        custom(GOOD_1, "one")
    );
    let (msg, out) = roundtrip(json.as_bytes());
    let req = events_of(&msg);
    assert_eq!(req.system_notifications.len(), 1);
    let paths: Vec<&str> = msg.invalid_elements().iter().map(|e| e.path()).collect();
    assert_eq!(
        paths,
        ["$.system_notifications[0]", "$.system_notifications[2]"]
    );
    assert!(out.contains(r#""system_notifications":[null,{"type":"gdpr_consent_state","purpose":"ads"},{"purpose":"p"}]"#), "{out}");
}

#[test]
fn null_and_malformed_user_profiles_are_kept() {
    let json = r#"{"type":"audience_membership_change_request","account":{"account_id":7},"user_profiles":[null,{"mpid":{}},{"mpid":"42","user_identities":[{"type":"email","encoding":"raw","value":"a@example.com"},{"type":"email"}],"audiences":[{"audience_id":12,"action":"add"},{"audience_id":"twelve"}]},5]}"#;
    let (msg, out) = roundtrip(json.as_bytes());
    let MessageBody::AudienceMembershipChangeRequest(req) = &msg.body else {
        panic!()
    };
    let profiles = req.user_profiles.as_ref().unwrap();
    assert_eq!(profiles.len(), 1);
    assert_eq!(profiles[0].mpid.as_deref(), Some("42"));
    assert_eq!(profiles[0].user_identities.len(), 1);
    assert_eq!(profiles[0].audiences.len(), 1);
    let paths: Vec<(&str, DecodeErrorKind)> = msg
        .invalid_elements()
        .iter()
        .map(|e| (e.path(), e.kind()))
        .collect();
    assert_eq!(
        paths,
        [
            ("$.user_profiles[0]", DecodeErrorKind::WrongType),
            ("$.user_profiles[1]", DecodeErrorKind::WrongType),
            (
                "$.user_profiles[2].user_identities[1]",
                DecodeErrorKind::InvalidIdentity
            ),
            (
                "$.user_profiles[2].audiences[1]",
                DecodeErrorKind::InvalidValue
            ),
            ("$.user_profiles[3]", DecodeErrorKind::WrongType),
        ]
    );
    assert!(
        out.contains(r#""user_profiles":[null,{"mpid":{}},{"#),
        "{out}"
    );
}

#[test]
fn amounts_of_any_size_are_kept_exactly() {
    let json = batch(&format!(
        r#"[{{"type":"product_action","id":"{GOOD_1}","timestamp_ms":1,"action":"purchase","total_amount":123456789012345678901234567890.5,"tax_amount":0.0000000000000000000000000000001,"shipping_amount":"1e-400","products":[{{"id":"p","price":1E+400,"quantity":2.50}}]}}]"#
    ));
    let (msg, out) = roundtrip(json.as_bytes());
    assert!(msg.invalid_elements().is_empty());
    let req = events_of(&msg);
    let EventData::ProductAction(p) = &req.events[0].data else {
        panic!()
    };
    let text = |d: &Option<Decimal>| d.as_ref().map(ToString::to_string).unwrap_or_default();
    assert_eq!(text(&p.total_amount), "123456789012345678901234567890.5");
    assert_eq!(text(&p.tax_amount), "0.0000000000000000000000000000001");
    assert_eq!(text(&p.shipping_amount), "1e-400");
    assert_eq!(text(&p.products[0].price), "1E+400");
    assert!(p.total_amount.as_ref().unwrap().to_decimal().is_err());
    assert_eq!(
        p.products[0]
            .quantity
            .as_ref()
            .unwrap()
            .to_decimal()
            .unwrap()
            .to_string(),
        "2.50"
    );
    for kept in [
        r#""total_amount":123456789012345678901234567890.5"#,
        r#""tax_amount":0.0000000000000000000000000000001"#,
        r#""shipping_amount":1e-400"#,
        r#""price":1E+400"#,
        r#""quantity":2.50"#,
    ] {
        assert!(out.contains(kept), "{kept} in {out}");
    }
}

#[test]
fn nulls_in_string_lists_are_kept_as_java_keeps_them() {
    let json = format!(
        r#"{{"type":"event_processing_request","user_attribute_lists":{{"k":["a",null,3],"e":[],"n":null}},"events":[{{"type":"error","id":"{GOOD_1}","timestamp_ms":1,"breadcrumbs":[null,"b"]}}]}}"#
    );
    let (msg, out) = roundtrip(json.as_bytes());
    let req = events_of(&msg);
    assert_eq!(
        *req.user_attribute_lists["k"],
        vec![Some("a".into()), None, Some("3".into())]
    );
    assert!(
        out.contains(r#""user_attribute_lists":{"k":["a",null,"3"]}"#),
        "{out}"
    );
    assert!(out.contains(r#""breadcrumbs":[null,"b"]"#), "{out}");
}

#[test]
fn scalar_source_channels_are_read_as_text() {
    for (given, kept, written) in [
        (
            "5",
            ChannelSourceType::Other("5".into()),
            Some(r#""source_channel":"5""#),
        ),
        (
            "true",
            ChannelSourceType::Other("true".into()),
            Some(r#""source_channel":"true""#),
        ),
        (
            "1.50",
            ChannelSourceType::Other("1.50".into()),
            Some(r#""source_channel":"1.50""#),
        ),
        (
            r#""native""#,
            ChannelSourceType::Native,
            Some(r#""source_channel":"native""#),
        ),
        (r#""""#, ChannelSourceType::Other(String::new()), None),
    ] {
        let json = format!(r#"{{"type":"event_processing_request","source_channel":{given}}}"#);
        let (msg, out) = roundtrip(json.as_bytes());
        assert_eq!(events_of(&msg).source_channel, Some(kept), "{given}");
        match written {
            Some(w) => assert!(out.contains(w), "{given}: {out}"),
            None => assert!(!out.contains("source_channel"), "{given}: {out}"),
        }
    }
    let e =
        Message::decode(br#"{"type":"event_processing_request","source_channel":{}}"#).unwrap_err();
    assert_eq!(
        (e.kind(), e.path()),
        (DecodeErrorKind::WrongType, "$.source_channel")
    );
}

#[test]
fn damage_outside_list_elements_still_fails_the_message() {
    let cases: [(&str, DecodeErrorKind, &str); 8] = [
        (r#"{"events":[null]}"#, DecodeErrorKind::MissingType, "$"),
        (
            r#"{"type":"event_processing_reply","events":[null]}"#,
            DecodeErrorKind::UnknownType,
            "$",
        ),
        (
            r#"{"type":"event_processing_request","events":[null,"#,
            DecodeErrorKind::Truncated,
            "$",
        ),
        (
            r#"{"type":"event_processing_request","events":[nul]}"#,
            DecodeErrorKind::NotJson,
            "$",
        ),
        (
            r#"{"type":"event_processing_request","events":[null],"account":{"account_id":{}}}"#,
            DecodeErrorKind::WrongType,
            "$.account.account_id",
        ),
        (
            r#"{"type":"event_processing_request","account":{"account_id":3000000000},"events":[5]}"#,
            DecodeErrorKind::OutOfRange,
            "$.account.account_id",
        ),
        (
            r#"{"type":"event_processing_request","events":"none"}"#,
            DecodeErrorKind::WrongType,
            "$.events",
        ),
        (
            r#"{"type":"event_processing_request","events":[5],"runtime_environment":{"type":"ios","screen_width":[]}}"#,
            DecodeErrorKind::WrongType,
            "$.runtime_environment.screen_width",
        ),
    ];
    for (json, kind, path) in cases {
        let e = Message::decode(json.as_bytes()).unwrap_err();
        if matches!(kind, DecodeErrorKind::Truncated | DecodeErrorKind::NotJson) {
            // Where broken JSON breaks is the parser's business; its kind is the contract.
            assert_eq!(e.kind(), kind, "{json}: {e}");
        } else {
            assert_eq!((e.kind(), e.path()), (kind, path), "{json}: {e}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Through the dispatcher

#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<String>>,
    answer: Option<PartnerError>,
}

impl Recorder {
    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

#[async_trait]
impl Partner for Recorder {
    fn registration(&self) -> ModuleRegistrationResponse {
        ModuleRegistrationResponse::new("Recorder", "1.0").with_event_processing(
            EventProcessingRegistration::new().with_event_types([EventType::CustomEvent]),
        )
    }

    async fn on_invalid_element(
        &self,
        _: &RequestContext,
        element: &InvalidElement,
    ) -> Result<(), PartnerError> {
        self.seen
            .lock()
            .unwrap()
            .push(format!("invalid {} {}", element.path(), element.kind()));
        match &self.answer {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    async fn on_custom_event(
        &self,
        _: &RequestContext,
        _: &EventProcessingRequest,
        header: &EventHeader,
        _: &CustomEvent,
    ) -> Result<(), PartnerError> {
        let id = header.id.map(|id| id.to_string()).unwrap_or_default();
        self.seen.lock().unwrap().push(format!("event {id}"));
        Ok(())
    }

    async fn on_audience_membership_change(
        &self,
        _: &RequestContext,
        request: &AudienceMembershipChangeRequest,
    ) -> Result<AudienceMembershipChangeResponse, PartnerError> {
        for profile in request.user_profiles.iter().flatten() {
            let mpid = profile.mpid.clone().unwrap_or_default();
            self.seen.lock().unwrap().push(format!("profile {mpid}"));
        }
        Ok(AudienceMembershipChangeResponse::default())
    }
}

fn mixed_batch() -> String {
    batch(&format!(
        r#"[{},null,{{"type":"custom_event","id":"{BAD}","timestamp_ms":"soon"}},{}]"#,
        custom(GOOD_1, "one"),
        custom(GOOD_2, "two")
    ))
}

#[tokio::test]
async fn the_hook_sees_each_invalid_element_before_the_good_events_are_processed() {
    let dispatcher = testing::dispatcher(Recorder::default());
    let answer = testing::invoke(&dispatcher, mixed_batch()).await.unwrap();
    assert_eq!(answer.message_type(), MessageType::EventProcessingResponse);
    assert_eq!(
        dispatcher.partner().seen(),
        [
            "invalid $.events[1] wrong_type".to_owned(),
            "invalid $.events[2] invalid_value".to_owned(),
            format!("event {GOOD_1}"),
            format!("event {GOOD_2}"),
        ]
    );

    let membership =
        r#"{"type":"audience_membership_change_request","user_profiles":[null,{"mpid":"42"}]}"#;
    testing::invoke(&dispatcher, membership).await.unwrap();
    assert!(dispatcher.partner().seen().ends_with(&[
        "invalid $.user_profiles[0] wrong_type".to_owned(),
        "profile 42".to_owned()
    ]));
}

#[tokio::test]
async fn a_batch_of_invalid_events_only_reaches_the_hook_but_no_event_hook() {
    let dispatcher = testing::dispatcher(Recorder::default());
    let answer = testing::invoke(&dispatcher, batch("[null,7]"))
        .await
        .unwrap();
    assert_eq!(answer.message_type(), MessageType::EventProcessingResponse);
    assert_eq!(
        dispatcher.partner().seen(),
        [
            "invalid $.events[0] wrong_type",
            "invalid $.events[1] wrong_type"
        ]
    );
}

#[tokio::test]
async fn hook_errors_follow_the_error_contract() {
    let with = |answer: PartnerError| {
        testing::dispatcher(Recorder {
            answer: Some(answer),
            ..Default::default()
        })
    };
    // Permanent: logged and dropped, the good events go on.
    let d = with(PartnerError::permanent("no"));
    testing::invoke(&d, mixed_batch()).await.unwrap();
    assert_eq!(d.partner().seen().len(), 4);
    // Retry later: the message fails, nothing else is processed.
    let d = with(PartnerError::retry_later("busy"));
    let e = testing::invoke(&d, mixed_batch()).await.unwrap_err();
    assert_eq!(e.error_type, ErrorType::RetryLater);
    assert_eq!(d.partner().seen().len(), 1);
    // Suspend: answered on the message's flag.
    let d = with(PartnerError::suspend("revoked"));
    let answer = testing::invoke(&d, mixed_batch()).await.unwrap();
    let MessageBody::EventProcessingResponse(r) = answer.body else {
        panic!()
    };
    assert!(r.suspend_subscription);
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[derive(Default)]
struct Quiet;

#[async_trait]
impl Partner for Quiet {
    fn registration(&self) -> ModuleRegistrationResponse {
        ModuleRegistrationResponse::new("Quiet", "1.0").with_event_processing(
            EventProcessingRegistration::new().with_event_types([EventType::CustomEvent]),
        )
    }
}

#[tokio::test]
async fn the_default_hook_logs_the_path_and_kind_but_never_the_content() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let dispatcher = testing::dispatcher(Quiet);
    let secret = batch(&format!(
        r#"[{},{{"type":"custom_event","timestamp_ms":"jane.doe@example.com"}}]"#,
        custom(GOOD_1, "one")
    ));
    testing::invoke(&dispatcher, secret).await.unwrap();
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("WARN"), "{logs}");
    assert!(
        logs.contains("$.events[1]") && logs.contains("invalid_value"),
        "{logs}"
    );
    assert!(!logs.contains("jane.doe"), "{logs}");
}
