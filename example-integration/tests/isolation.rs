//! The issue's examples of element-level damage, through the real runtime loop: the example
//! binary answers success and forwards the good events to its (stub) Acme API.

mod common;

use mparticle_firehose::testing::runtime_api::{FunctionProcess, MockRuntimeApi, Outcome};
use serde_json::Value;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const GOOD_1: &str = "11111111-1111-4111-8111-111111111111";
const GOOD_2: &str = "22222222-2222-4222-8222-222222222222";
const BAD: &str = "33333333-3333-4333-8333-333333333333";

fn start(api: &MockRuntimeApi, partner_url: &str) -> FunctionProcess {
    common::start_example(api, partner_url, &[])
}

const ACCOUNT: &str = r#""account":{"account_id":5,"account_settings":{"apiKey":"key-5"}}"#;

fn batch(extra: &str, events: &str) -> Vec<u8> {
    format!(
        r#"{{"type":"event_processing_request","id":"a3e1f9c2-6b04-4d7a-8e52-1c9f0b7d3e68",{ACCOUNT},"mpid":"42"{extra},"events":{events}}}"#
    )
    .into_bytes()
}

fn custom(id: &str) -> String {
    format!(r#"{{"type":"custom_event","id":"{id}","timestamp_ms":1,"name":"signup"}}"#)
}

/// The issue's examples: (what, message, the event ids Acme must receive).
fn examples() -> Vec<(&'static str, Vec<u8>, Vec<&'static str>)> {
    let good = |bad: &str| format!("[{},{bad},{}]", custom(GOOD_1), custom(GOOD_2));
    let mut out: Vec<(&'static str, Vec<u8>, Vec<&'static str>)> = [
        ("a null event", "null".to_owned()),
        ("a number event", "5".to_owned()),
        ("a string event", r#""custom_event""#.to_owned()),
        ("an array event", "[]".to_owned()),
        ("an event without type", r#"{"timestamp_ms":1}"#.to_owned()),
        ("an event with an object type", r#"{"type":{}}"#.to_owned()),
        (
            "an event with a string timestamp",
            format!(r#"{{"type":"custom_event","id":"{BAD}","timestamp_ms":"soon","name":"x"}}"#),
        ),
    ]
    .into_iter()
    .map(|(what, bad)| (what, batch("", &good(&bad)), vec![GOOD_1, GOOD_2]))
    .collect();
    out.push((
        "a null system notification",
        batch(r#","system_notifications":[null]"#, &good("null")),
        vec![GOOD_1, GOOD_2],
    ));
    out.push((
        "huge and tiny amounts",
        batch(
            "",
            &format!(
                r#"[{},{{"type":"product_action","id":"{GOOD_2}","timestamp_ms":2,"action":"purchase","currency_code":"USD","total_amount":123456789012345678901234567890.5,"tax_amount":1e-400,"products":[{{"id":"p","price":0.0000000000000000000000000000001}}]}}]"#,
                custom(GOOD_1)
            ),
        ),
        vec![GOOD_1, GOOD_2],
    ));
    out.push((
        "a null in a user attribute list",
        batch(
            r#","user_attribute_lists":{"k":["a",null]}"#,
            &format!("[{}]", custom(GOOD_1)),
        ),
        vec![GOOD_1],
    ));
    out.push((
        "a number source channel",
        batch(r#","source_channel":5"#, &format!("[{}]", custom(GOOD_1))),
        vec![GOOD_1],
    ));
    out.push((
        "a boolean source channel",
        batch(
            r#","source_channel":true"#,
            &format!("[{}]", custom(GOOD_1)),
        ),
        vec![GOOD_1],
    ));
    out
}

fn response(outcome: Outcome) -> Value {
    common::json(outcome)
}

async fn forwarded(acme: &MockServer) -> Vec<Value> {
    acme.received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/v1/events")
        .flat_map(|r| {
            let body: Value = serde_json::from_slice(&r.body).expect("a JSON body");
            body["events"].as_array().cloned().unwrap_or_default()
        })
        .collect()
}

#[tokio::test]
async fn element_damage_is_answered_with_success_and_the_good_events_are_forwarded() {
    let acme = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&acme)
        .await;
    let api = MockRuntimeApi::start().await.unwrap();
    let _function = start(&api, &acme.uri());

    for (what, message, expected) in examples() {
        acme.reset().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(202))
            .mount(&acme)
            .await;
        let answer = response(api.invoke(message).await.unwrap());
        assert_eq!(answer["type"], "event_processing_response", "{what}");
        let events = forwarded(&acme).await;
        let mut ids: Vec<&str> = events
            .iter()
            .filter_map(|e| e["event_id"].as_str())
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, expected, "{what}");
        if what == "huge and tiny amounts" {
            let purchase = events
                .iter()
                .find(|e| e["type"] == "purchase")
                .expect("a purchase");
            assert_eq!(
                purchase["revenue"], "123456789012345678901234567890.5",
                "{what}"
            );
        }
    }
}

#[tokio::test]
async fn null_and_malformed_user_profiles_do_not_stop_the_good_ones() {
    let acme = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&acme)
        .await;
    let api = MockRuntimeApi::start().await.unwrap();
    let _function = start(&api, &acme.uri());

    let membership = format!(
        r#"{{"type":"audience_membership_change_request",{ACCOUNT},"user_profiles":[null,{{"mpid":{{}}}},{{"mpid":"42","user_identities":[{{"type":"email"}}],"audiences":[{{"audience_id":12,"action":"add"}},{{"audience_id":"twelve","action":"add"}}]}},7]}}"#
    );
    let answer = response(api.invoke(membership.into_bytes()).await.unwrap());
    assert_eq!(answer["type"], "audience_membership_change_response");
    assert_eq!(answer["suspend_subscription"], false);
    let sent: Vec<(String, Value)> = acme
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.url.path().to_owned(),
                serde_json::from_slice(&r.body).unwrap(),
            )
        })
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, "/v1/lists/mparticle-12/members");
    assert_eq!(sent[0].1["add"], serde_json::json!(["42"]));
}
