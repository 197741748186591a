//! The partner API client against local servers (wiremock, raw sockets; 127.0.0.1 only), in
//! real time with short timeouts: classification, `Retry-After`, deadline-aware retries, back-off
//! memory, rate limits, custom classifiers and the authorization policy.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use mparticle_firehose::flow::{RateLimit, RetryPolicy};
use mparticle_firehose::http::{
    ApiErrorKind, AuthFailure, Classification, KeyBy, PartnerApi, PartnerApiBuilder, StatusCode,
    classify_status, header::HeaderMap,
};
use mparticle_firehose::model::{
    AudienceAction, AudienceMembershipChangeRequest, AudienceMembershipChangeResponse,
    AudienceProcessingRegistration, MessageBody, ModuleRegistrationResponse,
};
use mparticle_firehose::prelude::{Partner, PartnerError, RequestContext, async_trait};
use mparticle_firehose::testing::{self, InvocationBuilder, context_for, context_with_settings};
use wiremock::matchers::{body_json, header, header_regex, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MS: Duration = Duration::from_millis(1);

/// A context with `left` before its deadline, whose setting `account` tells accounts apart
/// (`context_with_settings` always uses account 0; the test clients key by that setting).
fn ctx(left: Duration, account: i32) -> RequestContext {
    context_with_settings(
        InvocationBuilder::new().deadline_in(left).build(),
        [("account", account.to_string())],
    )
}

/// A client of `server` keyed by the `account` setting, with fast back-off for tests.
fn client(server: &MockServer) -> PartnerApiBuilder {
    PartnerApi::builder(format!("{}/v2", server.uri()))
        .key_by(KeyBy::Setting("account".into()))
        .retry(RetryPolicy::new(3).with_delays(20 * MS, 100 * MS))
        .request_timeout(Duration::from_secs(2))
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

fn retry_after_of(e: &PartnerError) -> Option<Duration> {
    match e {
        PartnerError::RetryLater { retry_after, .. } => *retry_after,
        _ => None,
    }
}

#[tokio::test]
async fn a_call_sends_the_user_agent_default_headers_auth_and_json() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/events"))
        .and(header_regex(
            "user-agent",
            r"^mparticle-firehose/\d+\.\d+\.\d+ acme/1\.0$",
        ))
        .and(header("x-acme-source", "mparticle"))
        .and(header("authorization", "Bearer secret-key"))
        .and(header("content-type", "application/json"))
        .and(header_regex("accept-encoding", "gzip"))
        .and(body_json(serde_json::json!({ "name": "purchase" })))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({ "id": "e1" })))
        .expect(1)
        .mount(&server)
        .await;
    let api = client(&server)
        .user_agent_product("acme/1.0")
        .header("x-acme-source", "mparticle")
        .gzip(true)
        .build()
        .unwrap();
    let response = api
        .post("/events")
        .bearer_auth("secret-key")
        .json(&serde_json::json!({ "name": "purchase" }))
        .send(&ctx(Duration::from_secs(10), 1))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.attempts(), 1);
    #[derive(serde::Deserialize)]
    struct Created {
        id: String,
    }
    assert_eq!(response.json::<Created>().unwrap().id, "e1");
    // Debug output never shows the credentials.
    assert!(!format!("{api:?}").contains("secret"));
}

#[tokio::test]
async fn a_503_then_success_is_retried_within_the_invocation() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/track"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/v2/track"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let api = client(&server).build().unwrap();
    let response = api
        .get("track")
        .query(&[("q", "a b&c")])
        .send(&ctx(Duration::from_secs(10), 1))
        .await
        .unwrap();
    assert_eq!(response.attempts(), 2);
    assert_eq!(requests(&server).await, 2);
    let received = server.received_requests().await.unwrap();
    assert_eq!(received[1].url.query(), Some("q=a+b%26c"));
}

#[tokio::test]
async fn persistent_5xx_stops_after_max_attempts_as_retry_later() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/track"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let api = client(&server).build().unwrap();
    let e = api
        .get("track")
        .send(&ctx(Duration::from_secs(10), 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ApiErrorKind::Retryable);
    assert_eq!(e.status(), Some(StatusCode::BAD_GATEWAY));
    assert_eq!(e.attempts(), 3);
    assert_eq!(requests(&server).await, 3);
    assert!(e.to_string().contains("after 3 attempts"), "{e}");
    assert!(matches!(
        PartnerError::from(e),
        PartnerError::RetryLater {
            retry_after: None,
            ..
        }
    ));

    // The per-request override.
    let e = api
        .get("track")
        .max_attempts(1)
        .send(&ctx(Duration::from_secs(10), 2))
        .await
        .unwrap_err();
    assert_eq!(e.attempts(), 1);
    assert_eq!(requests(&server).await, 4);
}

#[tokio::test]
async fn a_short_retry_after_in_seconds_is_waited_then_retried() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/track"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/v2/track"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let api = client(&server).build().unwrap();
    let start = Instant::now();
    let response = api
        .get("track")
        .send(&ctx(Duration::from_secs(10), 1))
        .await
        .unwrap();
    assert_eq!(response.attempts(), 2);
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
}

#[tokio::test]
async fn a_long_retry_after_fails_fast_and_later_calls_do_not_reach_the_partner() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/track"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "60"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/v2/track"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let api = client(&server)
        .on_auth_failure(AuthFailure::Suspend)
        .build()
        .unwrap();

    let e = api
        .get("track")
        .send(&ctx(Duration::from_secs(10), 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ApiErrorKind::Retryable);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(60)));
    assert_eq!(e.attempts(), 1);
    let e = PartnerError::from(e);
    assert_eq!(retry_after_of(&e), Some(Duration::from_secs(60)));
    assert_eq!(requests(&server).await, 1);

    // Later invocations for the same key fail fast without calling the partner.
    for _ in 0..3 {
        let e = api
            .get("track")
            .send(&ctx(Duration::from_secs(25), 1))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ApiErrorKind::BackingOff);
        assert_eq!(e.attempts(), 0);
        let left = e.retry_after().unwrap();
        assert!(left > Duration::from_secs(55) && left <= Duration::from_secs(60));
        assert!(matches!(
            PartnerError::from(e),
            PartnerError::RetryLater { .. }
        ));
    }
    assert_eq!(requests(&server).await, 1);
    assert!(api.backoff_memory().blocked_for("setting:1").is_some());

    // Another key still reaches the partner.
    api.get("track")
        .send(&ctx(Duration::from_secs(10), 2))
        .await
        .unwrap();
    assert_eq!(requests(&server).await, 2);

    // Once the back-off is over (forgotten here), the key is called again.
    api.backoff_memory().forget("setting:1");
    api.get("track")
        .send(&ctx(Duration::from_secs(10), 1))
        .await
        .unwrap();
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn the_back_off_ends_when_its_time_has_passed() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/track"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/v2/track"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let api = client(&server).build().unwrap();
    // 1.2 s to the deadline, 500 ms headroom: a 1 s wait does not fit.
    let e = api
        .get("track")
        .send(&ctx(Duration::from_millis(1_200), 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ApiErrorKind::Retryable);
    let e = api
        .get("track")
        .send(&ctx(Duration::from_millis(1_200), 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ApiErrorKind::BackingOff);
    assert_eq!(requests(&server).await, 1);

    tokio::time::sleep(Duration::from_millis(1_100)).await;
    api.get("track")
        .send(&ctx(Duration::from_millis(1_200), 1))
        .await
        .unwrap();
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn a_retry_after_http_date_is_understood() {
    let server = MockServer::start().await;
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
    Mock::given(path("/v2/track"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", date.as_str()))
        .mount(&server)
        .await;
    let api = client(&server).build().unwrap();
    let e = api
        .get("track")
        .send(&ctx(Duration::from_secs(20), 1))
        .await
        .unwrap_err();
    let wait = e.retry_after().unwrap();
    assert!(
        wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
        "{wait:?}"
    );
    assert_eq!(requests(&server).await, 1);
    let e = PartnerError::from(e);
    assert_eq!(retry_after_of(&e), Some(wait));
}

#[tokio::test]
async fn a_slow_answer_times_out_and_is_retried() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let api = client(&server)
        .request_timeout(Duration::from_millis(200))
        .max_attempts(2)
        .build()
        .unwrap();
    let e = api
        .get("slow")
        .send(&ctx(Duration::from_secs(10), 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ApiErrorKind::Timeout);
    assert_eq!(e.attempts(), 2);
    assert_eq!(requests(&server).await, 2);
    assert!(matches!(
        PartnerError::from(e),
        PartnerError::RetryLater { .. }
    ));
}

#[tokio::test]
async fn the_request_timeout_is_capped_by_the_deadline() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(10)))
        .mount(&server)
        .await;
    let api = client(&server)
        .request_timeout(Duration::from_secs(30))
        .max_attempts(5)
        .build()
        .unwrap();
    let invocation = InvocationBuilder::new()
        .deadline_in(Duration::from_millis(1_500))
        .build();
    let deadline = invocation.deadline.unwrap();
    let e = api
        .get("slow")
        .send(&context_for(invocation))
        .await
        .unwrap_err();
    assert!(Instant::now() < deadline, "the deadline was passed");
    assert_eq!(e.kind(), ApiErrorKind::Timeout);
    assert_eq!(e.attempts(), 1);
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn retries_never_pass_the_deadline() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/track"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let api = client(&server)
        .retry(RetryPolicy::new(1_000).with_delays(100 * MS, 300 * MS))
        .build()
        .unwrap();
    let invocation = InvocationBuilder::new()
        .deadline_in(Duration::from_secs(2))
        .build();
    let deadline = invocation.deadline.unwrap();
    let e = api
        .get("track")
        .send(&context_for(invocation))
        .await
        .unwrap_err();
    assert!(Instant::now() < deadline, "the deadline was passed");
    let n = requests(&server).await;
    assert!((3..1_000).contains(&n), "{n} requests");
    assert_eq!(e.attempts() as usize, n);
}

#[tokio::test]
async fn an_unknown_deadline_uses_the_default_budget() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/track"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let api = client(&server)
        .retry(RetryPolicy::new(1_000).with_delays(100 * MS, 200 * MS))
        .default_budget(Duration::from_secs(1))
        .build()
        .unwrap();
    let start = Instant::now();
    let e = api
        .get("track")
        .send(&context_for(InvocationBuilder::new().no_deadline().build()))
        .await
        .unwrap_err();
    // The budget bounds the call (with slack for a loaded machine).
    assert!(start.elapsed() < Duration::from_secs(3));
    assert!((2..1_000).contains(&e.attempts()));
}

#[tokio::test]
async fn no_time_left_means_no_call() {
    let server = MockServer::start().await;
    let api = client(&server).build().unwrap();
    let e = api
        .get("track")
        .send(&ctx(Duration::from_millis(400), 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ApiErrorKind::DeadlineReached);
    assert_eq!(e.attempts(), 0);
    assert_eq!(requests(&server).await, 0);
    assert!(matches!(
        PartnerError::from(e),
        PartnerError::RetryLater { .. }
    ));
}

/// A raw TCP server on 127.0.0.1 that accepts connections and drops them at once.
async fn resetting_server() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (format!("http://{addr}/"), accepted)
}

#[tokio::test]
async fn a_dropped_connection_is_retryable() {
    let (url, accepted) = resetting_server().await;
    let api = PartnerApi::builder(url)
        .retry(RetryPolicy::new(3).with_delays(10 * MS, 50 * MS))
        .build()
        .unwrap();
    let e = api
        .post("events")
        .json(&[1, 2, 3])
        .send(&ctx(Duration::from_secs(10), 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ApiErrorKind::Connection, "{e}");
    assert_eq!(e.attempts(), 3);
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
    assert!(e.status().is_none());
    assert!(matches!(
        PartnerError::from(e),
        PartnerError::RetryLater { .. }
    ));
}

#[tokio::test]
async fn a_refused_connection_is_retryable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let api = PartnerApi::builder(format!("http://127.0.0.1:{port}"))
        .retry(RetryPolicy::new(2).with_delays(10 * MS, 50 * MS))
        .build()
        .unwrap();
    let e = api
        .get("x")
        .send(&ctx(Duration::from_secs(10), 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ApiErrorKind::Connection, "{e}");
    assert_eq!(e.attempts(), 2);
}

/// The texts of `e` and of every cause in its chain, Display and Debug.
fn chain_texts(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut texts = Vec::new();
    let mut next = Some(e);
    while let Some(error) = next {
        texts.push(error.to_string());
        texts.push(format!("{error:?}"));
        next = error.source();
    }
    texts
}

#[tokio::test]
async fn a_transport_failure_keeps_its_cause_without_the_query_or_the_token() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let api = PartnerApi::builder(format!("http://127.0.0.1:{port}/v2"))
        .max_attempts(1)
        .build()
        .unwrap();
    let e = api
        .get("users")
        .query(&[("api_key", "query-secret-7f3a")])
        .bearer_auth("bearer-secret-91c2")
        .send(&ctx(Duration::from_secs(10), 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ApiErrorKind::Connection, "{e}");
    let cause = std::error::Error::source(&e).expect("the transport error is the source");
    // The chain goes down to the operating system's refusal, for callers that inspect it.
    let mut refused = false;
    let mut next = Some(cause);
    while let Some(error) = next {
        refused |= error
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused);
        next = error.source();
    }
    assert!(refused, "{e:?}");
    let texts = chain_texts(&e);
    assert!(texts.len() >= 4, "{texts:?}");
    for text in texts {
        for secret in [
            "query-secret-7f3a",
            "api_key",
            "bearer-secret-91c2",
            "Bearer",
        ] {
            assert!(!text.contains(secret), "{secret:?} in {text}");
        }
    }
    let reason = PartnerError::from(e).to_string();
    assert!(!reason.contains("query-secret-7f3a") && !reason.contains("bearer-secret-91c2"));
}

#[tokio::test]
async fn an_answer_that_is_not_the_expected_json_keeps_the_decode_error() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/me"))
        .respond_with(ResponseTemplate::new(200).set_body_string("not json"))
        .mount(&server)
        .await;
    let api = client(&server).build().unwrap();
    let response = api
        .get("me")
        .query(&[("token", "query-secret-5d0e")])
        .send(&ctx(Duration::from_secs(10), 1))
        .await
        .unwrap();
    let e = response.json::<serde_json::Value>().unwrap_err();
    assert_eq!(e.kind(), ApiErrorKind::InvalidResponse);
    let cause = std::error::Error::source(&e).expect("the decode error is the source");
    assert!(cause.is::<serde_json::Error>(), "{cause:?}");
    for text in chain_texts(&e) {
        assert!(!text.contains("query-secret-5d0e"), "{text}");
    }
}

#[tokio::test]
async fn a_custom_classifier_reads_error_codes_in_200_answers() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/event/track"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({ "code": 40100, "message": "QPS limit" })),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/v2/event/track"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({ "code": 0 })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/v2/event/track"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({ "code": 40002 })),
        )
        .mount(&server)
        .await;
    let classifier = |status: StatusCode, headers: &HeaderMap, body: &[u8]| {
        #[derive(serde::Deserialize)]
        struct Answer {
            code: i64,
        }
        match serde_json::from_slice::<Answer>(body) {
            Ok(Answer { code: 0 }) => Classification::Success,
            Ok(Answer { code: 40100 }) => {
                Classification::retry(Some(50 * MS)).with_detail("QPS limit (40100)")
            }
            Ok(Answer { code }) => Classification::reject().with_detail(format!("code {code}")),
            Err(_) => classify_status(status, headers),
        }
    };
    let api = client(&server).classifier(classifier).build().unwrap();
    let ok = api
        .post("event/track")
        .json(&serde_json::json!({}))
        .send(&ctx(Duration::from_secs(10), 1))
        .await
        .unwrap();
    assert_eq!(ok.attempts(), 2);

    let e = api
        .post("event/track")
        .json(&serde_json::json!({}))
        .send(&ctx(Duration::from_secs(10), 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ApiErrorKind::Rejected);
    assert!(e.to_string().contains("code 40002"), "{e}");
    assert!(e.body().is_some_and(|b| !b.is_empty()));
    assert!(matches!(
        PartnerError::from(e),
        PartnerError::Permanent { .. }
    ));
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn other_4xx_are_permanent_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/track"))
        .respond_with(ResponseTemplate::new(422).set_body_string("bad email"))
        .mount(&server)
        .await;
    let api = client(&server).build().unwrap();
    let e = api
        .get("track")
        .send(&ctx(Duration::from_secs(10), 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ApiErrorKind::Rejected);
    assert_eq!(e.body(), Some(&b"bad email"[..]));
    assert_eq!(requests(&server).await, 1);
    assert!(matches!(
        PartnerError::from(e),
        PartnerError::Permanent { .. }
    ));
}

#[tokio::test]
async fn authorization_failures_follow_the_policy_and_are_not_retried() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/401"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(path("/v2/403"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let c = ctx(Duration::from_secs(10), 1);

    let api = client(&server).build().unwrap();
    let e = api.get("401").send(&c).await.unwrap_err();
    assert_eq!(e.kind(), ApiErrorKind::Unauthorized);
    assert_eq!(e.attempts(), 1);
    assert!(matches!(
        PartnerError::from(e.clone()),
        PartnerError::RetryLater { .. }
    ));
    assert!(matches!(
        e.with_auth_failure(AuthFailure::Suspend)
            .into_partner_error(),
        PartnerError::SuspendSubscription { .. }
    ));

    let suspending = client(&server)
        .on_auth_failure(AuthFailure::Suspend)
        .build()
        .unwrap();
    let e = suspending.get("403").send(&c).await.unwrap_err();
    assert!(matches!(
        PartnerError::from(e),
        PartnerError::SuspendSubscription { .. }
    ));
    let e = suspending
        .get("403")
        .on_auth_failure(AuthFailure::Permanent)
        .send(&c)
        .await
        .unwrap_err();
    assert!(matches!(
        PartnerError::from(e),
        PartnerError::Permanent { .. }
    ));
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn repeated_429s_never_suspend() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/track"))
        .respond_with(ResponseTemplate::new(429))
        .mount(&server)
        .await;
    // Even a classifier that calls a 429 an authorization failure cannot make it suspend.
    let confused = |status: StatusCode, _: &HeaderMap, _: &[u8]| {
        if status.is_success() {
            Classification::Success
        } else {
            Classification::unauthorized()
        }
    };
    for api in [
        client(&server)
            .on_auth_failure(AuthFailure::Suspend)
            .build()
            .unwrap(),
        client(&server)
            .on_auth_failure(AuthFailure::Suspend)
            .classifier(confused)
            .build()
            .unwrap(),
    ] {
        for account in 0..3 {
            let e = api
                .get("track")
                .send(&ctx(Duration::from_secs(10), account))
                .await
                .unwrap_err();
            assert!(
                matches!(PartnerError::from(e), PartnerError::RetryLater { .. }),
                "a 429 must stay retry-later"
            );
        }
    }
}

#[tokio::test]
async fn the_rate_limit_fails_fast_per_key_without_calling_the_partner() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/track"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let api = client(&server)
        .rate_limit(RateLimit::per_minute(1).unwrap())
        .build()
        .unwrap();
    let c1 = ctx(Duration::from_secs(10), 1);
    api.get("track").send(&c1).await.unwrap();
    let e = api.get("track").send(&c1).await.unwrap_err();
    assert_eq!(e.kind(), ApiErrorKind::RateLimited);
    assert_eq!(e.attempts(), 0);
    assert!(e.retry_after().is_some_and(|w| w > Duration::from_secs(50)));
    assert!(matches!(
        PartnerError::from(e),
        PartnerError::RetryLater { .. }
    ));
    assert_eq!(requests(&server).await, 1);
    api.get("track")
        .send(&ctx(Duration::from_secs(10), 2))
        .await
        .unwrap();
    assert_eq!(requests(&server).await, 2);
    // An explicit key overrides the client's.
    api.get("track").key("other").send(&c1).await.unwrap();
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn the_rate_limit_waits_when_the_permit_comes_in_time() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/track"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let api = client(&server)
        .rate_limit(RateLimit::per_second(20).unwrap().with_burst(1))
        .build()
        .unwrap();
    let c = ctx(Duration::from_secs(10), 1);
    let start = Instant::now();
    for _ in 0..5 {
        api.get("track").send(&c).await.unwrap();
    }
    assert!(start.elapsed() >= Duration::from_millis(200));
    assert_eq!(requests(&server).await, 5);
}

#[tokio::test]
async fn keys_by_account_by_default() {
    let server = MockServer::start().await;
    let api = PartnerApi::builder(server.uri()).build().unwrap();
    let c = context_with_settings(InvocationBuilder::new().build(), [("apiKey", "k")]);
    assert_eq!(api.key_for(&c), "account:0");
    assert_eq!(
        api.key_for(&context_for(InvocationBuilder::new().build())),
        "global"
    );
    let by_key = PartnerApi::builder(server.uri())
        .key_by(KeyBy::Setting("apiKey".into()))
        .build()
        .unwrap();
    assert_eq!(by_key.key_for(&c), "setting:k");
}

#[tokio::test]
async fn invalid_requests_and_clients_are_reported_without_secrets() {
    let server = MockServer::start().await;
    let api = client(&server).build().unwrap();
    let e = api
        .get("track")
        .header("x-token", "line\nbreak-secret")
        .send(&ctx(Duration::from_secs(10), 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ApiErrorKind::InvalidRequest);
    assert!(!e.to_string().contains("secret"), "{e}");
    assert!(matches!(
        PartnerError::from(e),
        PartnerError::InvalidRequest { .. }
    ));
    assert_eq!(requests(&server).await, 0);

    assert!(PartnerApi::builder("not a url").build().is_err());
    assert!(PartnerApi::builder("ftp://127.0.0.1/").build().is_err());
    let e = PartnerApi::builder(server.uri())
        .header("x-token", "bad\nsecret")
        .build()
        .unwrap_err();
    assert!(!e.to_string().contains("secret"));
}

#[tokio::test]
async fn answers_larger_than_the_limit_are_refused() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/big"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(10_000)))
        .mount(&server)
        .await;
    let api = client(&server).max_response_bytes(1_000).build().unwrap();
    let e = api
        .get("big")
        .send(&ctx(Duration::from_secs(10), 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ApiErrorKind::InvalidResponse);
    assert_eq!(e.attempts(), 1);
}

/// An audience integration that suspends the connection when its credentials are refused.
struct Audiences {
    api: PartnerApi,
}

#[async_trait]
impl Partner for Audiences {
    fn registration(&self) -> ModuleRegistrationResponse {
        ModuleRegistrationResponse::new("Audiences", "1.0")
            .with_audience_processing(AudienceProcessingRegistration::new())
    }

    async fn on_audience_membership_change(
        &self,
        ctx: &RequestContext,
        request: &AudienceMembershipChangeRequest,
    ) -> Result<AudienceMembershipChangeResponse, PartnerError> {
        let profiles = request.user_profiles.clone().unwrap_or_default();
        mparticle_firehose::flow::fan_out_by_user(
            profiles,
            4,
            |p| p.mpid.clone(),
            |_| 0,
            |p| async move {
                self.api
                    .post("lists/members")
                    .json(&serde_json::json!({ "mpid": p.mpid }))
                    .on_auth_failure(AuthFailure::Suspend)
                    .send(ctx)
                    .await?;
                Ok(())
            },
        )
        .await?;
        Ok(AudienceMembershipChangeResponse::default())
    }
}

#[tokio::test]
async fn an_audience_hook_suspends_the_subscription_on_revoked_credentials() {
    let server = MockServer::start().await;
    Mock::given(path("/lists/members"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let dispatcher = testing::dispatcher(Audiences {
        api: PartnerApi::builder(server.uri()).build().unwrap(),
    });
    let payload = testing::messages::encode(&testing::messages::audience_membership(
        7,
        &[
            ("a@example.com", 1, AudienceAction::Add),
            ("b@example.com", 1, AudienceAction::Add),
        ],
    ));
    let response = testing::invoke(&dispatcher, payload).await.unwrap();
    assert!(matches!(
        response.body,
        MessageBody::AudienceMembershipChangeResponse(AudienceMembershipChangeResponse {
            suspend_subscription: true
        })
    ));
}
