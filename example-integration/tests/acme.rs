//! The example integration against a scripted Acme API (`wiremock` on loopback).

use std::time::{Duration, Instant};

use example_integration::{Config, ExampleIntegration};
use mparticle_firehose::model::*;
use mparticle_firehose::testing::{self, InvocationBuilder, messages};
use mparticle_firehose::{Dispatcher, ErrorType};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A purchase of `total` euros, read from JSON so the amount keeps its exact digits.
fn purchase(total: &str) -> ProductActionEvent {
    let json = format!(r#"{{"action":"purchase","total_amount":{total},"currency_code":"EUR"}}"#);
    serde_json::from_str(&json).expect("a purchase")
}

fn integration(
    server: &MockServer,
    change: impl FnOnce(&mut Config),
) -> Dispatcher<ExampleIntegration> {
    let mut config = Config::new(format!("{}/", server.uri()));
    change(&mut config);
    testing::dispatcher(ExampleIntegration::new(config).expect("the integration builds"))
}

fn custom(name: &str, ts: i64) -> Event {
    Event::new(
        ts,
        CustomEvent {
            name: Some(name.into()),
            ..Default::default()
        },
    )
}

fn batch(events: Vec<Event>) -> Vec<u8> {
    let mut b = messages::EventBatch::new(42)
        .setting("apiKey", "key-1")
        .setting("region", "eu")
        .mpid(777);
    for e in events {
        b = b.event(e);
    }
    b.to_json()
}

fn with_deadline(secs: u64) -> mparticle_firehose::partner::Invocation {
    InvocationBuilder::new()
        .deadline_in(Duration::from_secs(secs))
        .build()
}

async fn accept_events(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(202).set_body_json(serde_json::json!({"accepted": 1})))
        .mount(server)
        .await;
}

fn body(request: &Request) -> serde_json::Value {
    serde_json::from_slice(&request.body).expect("a JSON body")
}

#[tokio::test]
async fn events_are_mapped_to_acme_and_sent_with_the_accounts_credentials() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/events"))
        .and(header("authorization", "Bearer key-1"))
        .and(header("x-acme-region", "eu"))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    let d = integration(&server, |_| {});
    let events = vec![
        custom("signup", 2),
        Event::new(
            1,
            ScreenViewEvent {
                screen_name: Some("home".into()),
                ..Default::default()
            },
        ),
        Event::new(3, purchase("19.90")),
        Event::new(4, PushMessageOpenEvent::default()), // not an Acme type: skipped
    ];
    let response = testing::invoke(&d, batch(events)).await.unwrap();
    assert_eq!(
        response.message_type(),
        MessageType::EventProcessingResponse
    );

    let requests = server.received_requests().await.unwrap();
    let sent = body(&requests[0]);
    let events = sent["events"].as_array().unwrap();
    assert_eq!(events.len(), 3);
    // Sorted by timestamp, each with the mParticle event id and the user's mpid.
    assert_eq!(events[0]["type"], "page");
    assert_eq!(events[0]["name"], "home");
    assert_eq!(events[1]["type"], "track");
    assert_eq!(events[1]["name"], "signup");
    assert_eq!(events[2]["type"], "purchase");
    assert_eq!(events[2]["revenue"], "19.90");
    assert_eq!(events[2]["currency"], "EUR");
    for e in events {
        assert_eq!(e["user_id"], "777");
        assert!(uuid_like(e["event_id"].as_str().unwrap()), "{e}");
    }
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn large_batches_are_chunked_for_the_bulk_endpoint() {
    let server = MockServer::start().await;
    accept_events(&server).await;
    let d = integration(&server, |c| c.rate_limit_per_second = 1_000);
    let events = (0..1_200).map(|i| custom(&format!("e{i}"), i)).collect();
    testing::invoke(&d, batch(events)).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    let mut sizes: Vec<usize> = requests
        .iter()
        .map(|r| body(r)["events"].as_array().unwrap().len())
        .collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [200, 500, 500]);
    for r in &requests {
        assert!(r.body.len() <= 1 << 20);
    }
}

#[tokio::test]
async fn the_rate_limit_holds_back_calls_that_would_not_fit_before_the_deadline() {
    let server = MockServer::start().await;
    accept_events(&server).await;
    // One event per call, 4 calls per second, 20 calls needed, 2 s to the deadline.
    let d = integration(&server, |c| {
        c.rate_limit_per_second = 4;
        c.max_events_per_request = 1;
    });
    let events = (0..20).map(|i| custom(&format!("e{i}"), i)).collect();
    let err = testing::invoke_with(&d, batch(events), with_deadline(2))
        .await
        .unwrap_err();
    assert_eq!(err.error_type, ErrorType::RetryLater);
    let sent = server.received_requests().await.unwrap().len();
    // The burst plus what the limiter can grant before the deadline, never all 20.
    assert!((4..=12).contains(&sent), "{sent} calls went out");
}

#[tokio::test]
async fn a_long_retry_after_fails_fast_and_later_invocations_do_not_call_acme() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "120"))
        .expect(1)
        .mount(&server)
        .await;
    let d = integration(&server, |_| {});
    let started = Instant::now();
    let err = testing::invoke_with(&d, batch(vec![custom("a", 1)]), with_deadline(3))
        .await
        .unwrap_err();
    assert_eq!(err.error_type, ErrorType::RetryLater);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the deadline was passed"
    );
    // The next invocation in this environment backs off without calling Acme (expect(1) above).
    let err = testing::invoke_with(&d, batch(vec![custom("b", 2)]), with_deadline(3))
        .await
        .unwrap_err();
    assert_eq!(err.error_type, ErrorType::RetryLater);
    server.verify().await;
}

#[tokio::test]
async fn a_503_then_success_succeeds_within_one_invocation() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    accept_events(&server).await;
    let d = integration(&server, |_| {});
    testing::invoke_with(&d, batch(vec![custom("a", 1)]), with_deadline(5))
        .await
        .unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_short_retry_after_is_waited_for() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    accept_events(&server).await;
    let d = integration(&server, |_| {});
    let started = Instant::now();
    testing::invoke_with(&d, batch(vec![custom("a", 1)]), with_deadline(5))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After was not honoured"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_hanging_partner_ends_the_invocation_as_retry_later_before_its_deadline() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(202).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let d = integration(&server, |c| c.request_timeout = Duration::from_secs(20));
    let started = Instant::now();
    let err = testing::invoke_with(&d, batch(vec![custom("a", 1)]), with_deadline(3))
        .await
        .unwrap_err();
    assert_eq!(err.error_type, ErrorType::RetryLater);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the deadline was passed: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_missing_api_key_is_an_invalid_request_naming_it() {
    let server = MockServer::start().await;
    let d = integration(&server, |_| {});
    let payload = messages::EventBatch::new(42)
        .mpid(1)
        .event(custom("a", 1))
        .to_json();
    let err = testing::invoke(&d, payload).await.unwrap_err();
    assert_eq!(err.error_type, ErrorType::InvalidRequest);
    assert!(err.message.contains("apiKey"), "{}", err.message);
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_ccpa_opt_out_is_not_forwarded() {
    let server = MockServer::start().await;
    let d = integration(&server, |_| {});
    let payload = messages::EventBatch::new(42)
        .setting("apiKey", "k")
        .mpid(1)
        .event(custom("a", 1))
        .with(|b| {
            let mut consent = ConsentState::default();
            consent.ccpa_consent_state.insert(
                DEFAULT_CCPA_PURPOSE.to_owned(),
                Consent {
                    consented: true,
                    ..Default::default()
                },
            );
            b.consent_state = Some(consent);
        })
        .to_json();
    testing::invoke(&d, payload).await.unwrap();
    assert!(server.received_requests().await.unwrap().is_empty());
}

fn membership(changes: &[(&str, i32, AudienceAction)]) -> Vec<u8> {
    let mut message = messages::audience_membership(9, changes);
    if let MessageBody::AudienceMembershipChangeRequest(r) = &mut message.body {
        r.account = Some(Account::new(9).with_setting("apiKey", "key-9"));
    }
    messages::encode(&message)
}

#[tokio::test]
async fn audience_changes_are_grouped_per_list() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let d = integration(&server, |_| {});
    let payload = membership(&[
        ("a@example.com", 1, AudienceAction::Add),
        ("b@example.com", 1, AudienceAction::Add),
        ("c@example.com", 1, AudienceAction::Delete),
        ("d@example.com", 2, AudienceAction::Add),
    ]);
    let response = testing::invoke(&d, payload).await.unwrap();
    assert!(matches!(
        response.body,
        MessageBody::AudienceMembershipChangeResponse(AudienceMembershipChangeResponse {
            suspend_subscription: false
        })
    ));
    let mut calls: Vec<(String, serde_json::Value)> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| (r.url.path().to_owned(), body(r)))
        .collect();
    calls.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.to_string().cmp(&b.1.to_string())));
    let paths: Vec<&str> = calls.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/v1/lists/mparticle-1/members",
            "/v1/lists/mparticle-1/members",
            "/v1/lists/mparticle-2/members"
        ]
    );
    let list1: Vec<&serde_json::Value> = calls
        .iter()
        .filter(|c| c.0.ends_with("-1/members"))
        .map(|c| &c.1)
        .collect();
    assert!(
        list1
            .iter()
            .any(|b| b["add"] == serde_json::json!(["a@example.com", "b@example.com"])),
        "{list1:?}"
    );
    assert!(
        list1
            .iter()
            .any(|b| b["remove"] == serde_json::json!(["c@example.com"])),
        "{list1:?}"
    );
}

#[tokio::test]
async fn a_revoked_key_suspends_the_audience_but_rate_limits_never_do() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let d = integration(&server, |_| {});
    let response = testing::invoke(&d, membership(&[("a@example.com", 1, AudienceAction::Add)]))
        .await
        .unwrap();
    assert!(matches!(
        response.body,
        MessageBody::AudienceMembershipChangeResponse(AudienceMembershipChangeResponse {
            suspend_subscription: true
        })
    ));

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "60"))
        .mount(&server)
        .await;
    let d = integration(&server, |_| {});
    for _ in 0..3 {
        let err = testing::invoke_with(
            &d,
            membership(&[("a@example.com", 1, AudienceAction::Add)]),
            with_deadline(3),
        )
        .await
        .unwrap_err();
        assert_eq!(err.error_type, ErrorType::RetryLater);
    }
}

#[tokio::test]
async fn an_audience_subscription_stores_the_list_id() {
    let server = MockServer::start().await;
    let d = integration(&server, |_| {});
    let mut message = messages::audience_subscription(9, 31, SubscriptionAction::Add);
    if let MessageBody::AudienceSubscriptionRequest(r) = &mut message.body {
        r.audience_subscription_settings
            .insert("listName".into(), "VIP Customers".into());
    }
    let response = testing::invoke(&d, messages::encode(&message))
        .await
        .unwrap();
    let MessageBody::AudienceSubscriptionResponse(r) = response.body else {
        panic!()
    };
    assert_eq!(
        r.audience_subscription_settings
            .get("listId")
            .map(CompactString::as_str),
        Some("vip-customers")
    );
}

#[tokio::test]
async fn erasures_are_forwarded() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/erasures"))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    let d = integration(&server, |_| {});
    let mut message = messages::dsr_erasure(9, "jane@example.com");
    if let MessageBody::DsrProcessingRequest(r) = &mut message.body {
        r.account = Some(Account::new(9).with_setting("apiKey", "key-9"));
    }
    testing::invoke(&d, messages::encode(&message))
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let sent = body(&requests[0]);
    assert_eq!(sent["identities"]["email"], "jane@example.com");
    assert_eq!(sent["regulation"], "gdpr");
}

#[test]
fn configuration_comes_from_the_environment() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let config = Config::from_lookup(env(&[])).unwrap();
    assert_eq!(config.api_url, example_integration::DEFAULT_API_URL);
    assert_eq!(config.rate_limit_per_second, 50); // 5,000/s shared by 100 environments
    let config = Config::from_lookup(env(&[
        ("PARTNER_QUOTA_PER_SECOND", "1000"),
        ("FUNCTION_RESERVED_CONCURRENCY", "20"),
    ]))
    .unwrap();
    assert_eq!(config.rate_limit_per_second, 50);
    let config = Config::from_lookup(env(&[
        ("PARTNER_RATE_LIMIT_PER_SECOND", "7"),
        ("PARTNER_API_URL", "http://127.0.0.1:1/"),
    ]))
    .unwrap();
    assert_eq!(
        (config.rate_limit_per_second, config.api_url.as_str()),
        (7, "http://127.0.0.1:1/")
    );
    assert!(Config::from_lookup(env(&[("PARTNER_TIMEOUT_MS", "soon")])).is_err());
}
