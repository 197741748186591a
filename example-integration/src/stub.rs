//! A fake of the Acme Events API (`API.md`), for local runs and tests: it checks each request as
//! Acme does and records what it accepted. Available with the cargo feature `stub` (the Lambda
//! binary does not carry it).
//!
//! [`AcmeApi::answer`] answers one request: `Authorization: Bearer <apiKey>`, `X-Acme-Region`,
//! a JSON body within the size limits and valid events, then `202`/`200`; otherwise `400` or
//! `401` with `{"error": "..."}`, and `404`/`405` for unknown endpoints and methods. It only
//! answers: serving it on loopback, with a quota and faults, is up to the caller (`firehose
//! simulate` does both, with the SDK's `testing::serve_loopback`).
//!
//! ```
//! use bytes::Bytes;
//! use example_integration::stub::AcmeApi;
//! use http::{Request, StatusCode};
//!
//! let acme = AcmeApi::new("key-1", "us");
//! let request = Request::post("/v1/erasures")
//!     .header("authorization", "Bearer key-1")
//!     .header("x-acme-region", "us")
//!     .header("content-type", "application/json")
//!     .body(Bytes::from_static(br#"{"identities":{"email":"ann@example.com"}}"#))?;
//! assert_eq!(acme.answer(&request).status(), StatusCode::ACCEPTED);
//! assert_eq!(acme.take_accepted().erasures, 1);
//! # Ok::<(), http::Error>(())
//! ```

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use serde::Deserialize;
use uuid::Uuid;

/// Most events in one `POST /v1/events`.
const MAX_EVENTS: usize = 500;
/// Most bytes in one request body (1 MiB).
const MAX_BODY_BYTES: usize = 1 << 20;
/// Most user ids in one list membership call.
const MAX_MEMBERS: usize = 1_000;
/// The event types Acme takes.
const EVENT_TYPES: [&str; 4] = ["track", "page", "identify", "purchase"];

/// What the fake accepted.
#[derive(Debug, Default)]
pub struct Accepted {
    /// Accepted events by id, with how many times each was accepted.
    pub events: HashMap<Uuid, u32>,
    /// Accepted membership changes: (list, user, added).
    pub memberships: HashSet<(String, String, bool)>,
    /// Accepted erasure requests.
    pub erasures: u64,
    /// The first `400`/`401` answer (`"<status>: <error>"`), for a report.
    pub first_rejection: Option<String>,
}

/// A fake of the Acme Events API for one account: its API key and region. Share it (in an
/// `Arc`) between the server that calls [`answer`](Self::answer) and whoever reads what it
/// accepted.
#[derive(Debug)]
pub struct AcmeApi {
    api_key: String,
    region: String,
    accepted: Mutex<Accepted>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// An answer `{"error": message}` with `status`.
fn error(status: StatusCode, message: &str) -> Response<Bytes> {
    answer(status, serde_json::json!({ "error": message }))
}

impl AcmeApi {
    /// A fake that takes requests carrying `api_key` and naming `region`.
    pub fn new(api_key: impl Into<String>, region: impl Into<String>) -> Self {
        Self {
            api_key: api_key.into(),
            region: region.into(),
            accepted: Mutex::new(Accepted::default()),
        }
    }

    /// Takes what the fake accepted so far, leaving it empty.
    pub fn take_accepted(&self) -> Accepted {
        std::mem::take(&mut *lock(&self.accepted))
    }

    /// Checks `request` as Acme does, records what it carries if it is valid, and answers.
    pub fn answer(&self, request: &Request<Bytes>) -> Response<Bytes> {
        let path = request.uri().path();
        let list = path
            .strip_prefix("/v1/lists/")
            .and_then(|rest| rest.strip_suffix("/members"))
            .filter(|id| !id.is_empty() && !id.contains('/'));
        let known = path == "/v1/events" || path == "/v1/erasures" || list.is_some();
        if !known {
            return error(StatusCode::NOT_FOUND, "no such endpoint");
        }
        if request.method() != Method::POST {
            return error(StatusCode::METHOD_NOT_ALLOWED, "only POST");
        }
        let body = request.body();
        if let Err((status, message)) = self.check_headers(request.headers(), body) {
            return self.rejected(status, message);
        }
        let outcome = if path == "/v1/events" {
            self.accept_events(body)
        } else if let Some(list) = list {
            self.accept_members(list, body)
        } else {
            self.accept_erasure(body)
        };
        outcome.unwrap_or_else(|message| self.rejected(StatusCode::BAD_REQUEST, message))
    }

    fn rejected(&self, status: StatusCode, message: String) -> Response<Bytes> {
        lock(&self.accepted)
            .first_rejection
            .get_or_insert_with(|| format!("{}: {message}", status.as_u16()));
        error(status, &message)
    }

    fn check_headers(&self, headers: &HeaderMap, body: &Bytes) -> Result<(), (StatusCode, String)> {
        let text = |name| {
            headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        let token = text(AUTHORIZATION.as_str()).and_then(|v| v.strip_prefix("Bearer "));
        if token != Some(self.api_key.as_str()) {
            return Err((
                StatusCode::UNAUTHORIZED,
                "missing or unknown API key (Authorization: Bearer <apiKey>)".to_owned(),
            ));
        }
        match text("x-acme-region") {
            Some(region) if region == self.region => {}
            other => {
                return Err((
                    StatusCode::BAD_REQUEST,
                    format!(
                        "X-Acme-Region must name the account's region {:?}, not {other:?}",
                        self.region
                    ),
                ));
            }
        }
        let json = text(CONTENT_TYPE.as_str()).is_some_and(|v| v.starts_with("application/json"));
        if !json {
            return Err((
                StatusCode::BAD_REQUEST,
                "Content-Type must be application/json".to_owned(),
            ));
        }
        if body.len() > MAX_BODY_BYTES {
            return Err((
                StatusCode::BAD_REQUEST,
                format!("the body is larger than {MAX_BODY_BYTES} bytes"),
            ));
        }
        Ok(())
    }

    fn accept_events(&self, body: &Bytes) -> Result<Response<Bytes>, String> {
        let parsed: EventsBody =
            serde_json::from_slice(body).map_err(|e| format!("invalid events body: {e}"))?;
        if parsed.events.is_empty() || parsed.events.len() > MAX_EVENTS {
            return Err(format!(
                "a request carries 1 to {MAX_EVENTS} events, not {}",
                parsed.events.len()
            ));
        }
        let mut ids = Vec::with_capacity(parsed.events.len());
        for event in &parsed.events {
            ids.push(event.check()?);
        }
        let mut accepted = lock(&self.accepted);
        for id in &ids {
            *accepted.events.entry(*id).or_insert(0) += 1;
        }
        drop(accepted);
        Ok(answer(
            StatusCode::ACCEPTED,
            serde_json::json!({ "accepted": ids.len() }),
        ))
    }

    fn accept_members(&self, list: &str, body: &Bytes) -> Result<Response<Bytes>, String> {
        let parsed: MembersBody =
            serde_json::from_slice(body).map_err(|e| format!("invalid members body: {e}"))?;
        let count = parsed.add.len() + parsed.remove.len();
        if count == 0 || count > MAX_MEMBERS {
            return Err(format!(
                "a request carries 1 to {MAX_MEMBERS} user ids, not {count}"
            ));
        }
        let mut accepted = lock(&self.accepted);
        for (users, added) in [(parsed.add, true), (parsed.remove, false)] {
            for user in users {
                accepted.memberships.insert((list.to_owned(), user, added));
            }
        }
        drop(accepted);
        Ok(answer(StatusCode::OK, serde_json::json!({})))
    }

    fn accept_erasure(&self, body: &Bytes) -> Result<Response<Bytes>, String> {
        let parsed: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| format!("invalid erasure body: {e}"))?;
        if parsed.get("identities").is_none_or(|i| !i.is_object()) {
            return Err("an erasure names identities".to_owned());
        }
        lock(&self.accepted).erasures += 1;
        Ok(answer(StatusCode::ACCEPTED, serde_json::json!({})))
    }
}

/// One event as Acme takes it.
#[derive(Deserialize)]
struct AcmeEvent {
    event_id: String,
    user_id: String,
    #[serde(rename = "type")]
    kind: String,
    name: String,
    #[serde(rename = "timestamp")]
    _timestamp: i64,
    #[serde(default, rename = "properties")]
    _properties: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    revenue: Option<String>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default, rename = "platform")]
    _platform: Option<String>,
}

impl AcmeEvent {
    /// The event's id, if Acme takes the event.
    fn check(&self) -> Result<Uuid, String> {
        let id = Uuid::parse_str(&self.event_id)
            .map_err(|_| format!("event_id {:?} is not a UUID", self.event_id))?;
        if self.user_id.is_empty() || self.name.is_empty() {
            return Err(format!("event {id}: user_id and name must not be empty"));
        }
        if !EVENT_TYPES.contains(&self.kind.as_str()) {
            return Err(format!("event {id}: unknown type {:?}", self.kind));
        }
        if let Some(revenue) = &self.revenue {
            let decimal = !revenue.is_empty()
                && revenue.trim_start_matches('-').split('.').count() <= 2
                && revenue
                    .trim_start_matches('-')
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.');
            if !decimal || self.currency.as_deref().is_none_or(|c| c.len() != 3) {
                return Err(format!(
                    "event {id}: revenue must be a decimal string with a 3-letter currency"
                ));
            }
        }
        Ok(id)
    }
}

#[derive(Deserialize)]
struct EventsBody {
    events: Vec<AcmeEvent>,
}

#[derive(Deserialize)]
struct MembersBody {
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = r#"{"events":[{"event_id":"0f0e0d0c-0b0a-4908-8706-050403020100","user_id":"u1","type":"purchase","name":"purchase","timestamp":1,"revenue":"19.99","currency":"USD"}]}"#;

    fn post(path: &str, key: &str, region: &str, body: &str) -> Request<Bytes> {
        Request::post(path)
            .header("authorization", format!("Bearer {key}"))
            .header("x-acme-region", region)
            .header("content-type", "application/json")
            .body(Bytes::from(body.to_owned()))
            .unwrap()
    }

    fn text(response: &Response<Bytes>) -> String {
        String::from_utf8_lossy(response.body()).into_owned()
    }

    #[test]
    fn valid_calls_are_accepted_and_recorded() {
        let acme = AcmeApi::new("key-1", "us");
        for _ in 0..2 {
            let answer = acme.answer(&post("/v1/events", "key-1", "us", EVENT));
            assert_eq!(answer.status(), StatusCode::ACCEPTED);
            assert_eq!(text(&answer), r#"{"accepted":1}"#);
        }
        let members = r#"{"add":["u1","u2"],"remove":["u3"]}"#;
        let answer = acme.answer(&post("/v1/lists/l-1/members", "key-1", "us", members));
        assert_eq!(answer.status(), StatusCode::OK);
        let erasure = r#"{"request_id":"r1","regulation":"gdpr","identities":{"email":"a@b.c"}}"#;
        let answer = acme.answer(&post("/v1/erasures", "key-1", "us", erasure));
        assert_eq!(answer.status(), StatusCode::ACCEPTED);
        let accepted = acme.take_accepted();
        assert_eq!(accepted.events.values().copied().collect::<Vec<_>>(), [2]);
        assert!(
            accepted
                .memberships
                .contains(&("l-1".into(), "u3".into(), false))
        );
        assert_eq!((accepted.memberships.len(), accepted.erasures), (3, 1));
        assert!(accepted.first_rejection.is_none());
        assert!(acme.take_accepted().events.is_empty());
    }

    #[test]
    fn invalid_calls_are_refused_with_the_reason() {
        let acme = AcmeApi::new("key-1", "us");
        let answer = acme.answer(&post("/v1/events", "other-key", "us", EVENT));
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
        let answer = acme.answer(&post("/v1/events", "key-1", "eu", EVENT));
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        assert!(text(&answer).contains("X-Acme-Region"), "{}", text(&answer));
        let bad = EVENT.replace("purchase\",\"name", "click\",\"name");
        let answer = acme.answer(&post("/v1/events", "key-1", "us", &bad));
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        assert!(text(&answer).contains("unknown type"), "{}", text(&answer));
        let no_currency = EVENT.replace(r#","currency":"USD""#, "");
        let answer = acme.answer(&post("/v1/events", "key-1", "us", &no_currency));
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        let answer = acme.answer(&post("/v1/lists/l-1/members", "key-1", "us", "{}"));
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        let answer = acme.answer(&post("/v1/nothing", "key-1", "us", EVENT));
        assert_eq!(answer.status(), StatusCode::NOT_FOUND);
        let get = Request::get("/v1/events").body(Bytes::new()).unwrap();
        assert_eq!(acme.answer(&get).status(), StatusCode::METHOD_NOT_ALLOWED);
        let accepted = acme.take_accepted();
        assert!(accepted.events.is_empty());
        assert!(accepted.first_rejection.unwrap().starts_with("401: "));
    }
}
