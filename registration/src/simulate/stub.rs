//! The stub partner API of a simulation: a fake of the partner's API (for the example
//! integration, `example_integration::stub::AcmeApi`) served on loopback, with a quota and
//! fault injection, timing every request.
//!
//! Every request is timed (for the highest rate in any one-second window). A request is first
//! counted against the quota of the current second (seconds since the stub started): beyond the
//! quota it gets `429` with `Retry-After: 1`. Otherwise one fault may be drawn for it:
//!
//! | Fault | What the stub does |
//! | --- | --- |
//! | `429` | answers `429 Too Many Requests` with `Retry-After: 1` |
//! | `5xx` | answers `503 Service Unavailable` |
//! | slow | lets the fake accept the data, then answers only after the slow delay (past the client timeout): the client gives up although the data arrived, so a retry duplicates it |
//! | reset | reads the request and closes the connection without answering |
//!
//! A request with no fault is answered by the fake, whose answers are counted by status.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use hyper::{Request, Response, StatusCode};
use mparticle_firehose::testing::{LoopbackServer, serve_loopback};

/// How often each fault is injected, as a probability per request.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FaultRates {
    /// `429` with `Retry-After`.
    pub too_many_requests: f64,
    /// `503`.
    pub unavailable: f64,
    /// An answer slower than the client waits.
    pub slow: f64,
    /// The connection closed without an answer.
    pub reset: f64,
}

impl FaultRates {
    /// `total` split evenly among the four kinds.
    pub fn split(total: f64) -> Self {
        let each = total / 4.0;
        Self {
            too_many_requests: each,
            unavailable: each,
            slow: each,
            reset: each,
        }
    }

    /// The probability that a request gets any fault.
    pub fn total(&self) -> f64 {
        self.too_many_requests + self.unavailable + self.slow + self.reset
    }
}

/// How the stub behaves.
#[derive(Debug, Clone)]
pub struct StubConfig {
    /// Requests per second beyond which the stub answers `429`; `None` for no quota.
    pub quota_per_second: Option<u32>,
    /// Fault probabilities.
    pub faults: FaultRates,
    /// How long a slow answer takes.
    pub slow_delay: Duration,
    /// Seeds the fault draws.
    pub seed: u64,
}

/// What the stub did with the requests it got.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Requests answered with success.
    pub ok: u64,
    /// `429` answers for requests beyond the quota.
    pub over_quota: u64,
    /// Injected `429` answers.
    pub fault_too_many_requests: u64,
    /// Injected `503` answers.
    pub fault_unavailable: u64,
    /// Injected slow answers (their data was accepted).
    pub fault_slow: u64,
    /// Injected connection resets.
    pub fault_reset: u64,
    /// `400` answers (invalid data or headers), and other refusals of the fake.
    pub bad_request: u64,
    /// `401` answers (a missing or wrong API key).
    pub unauthorized: u64,
    /// `404`/`405` answers.
    pub not_found: u64,
}

/// Everything the stub recorded (what the fake accepted, the fake records).
#[derive(Debug, Default)]
pub struct Record {
    /// When each request arrived, in microseconds since the stub started.
    pub arrivals_us: Vec<u64>,
    /// Answers by kind.
    pub tally: Tally,
    /// When each successful request was served (start, end), in microseconds since the stub
    /// started: the time spent "inside the partner".
    pub service_us: Vec<(u64, u64)>,
}

/// The fake partner API the stub serves: checks a request, records what it accepts, answers.
type Fake = dyn Fn(&Request<Bytes>) -> Response<Bytes> + Send + Sync;

struct State {
    config: StubConfig,
    fake: Box<Fake>,
    started: Instant,
    rng: Mutex<fastrand::Rng>,
    /// The current quota window: (second since start, requests in it).
    window: Mutex<(u64, u32)>,
    record: Mutex<Record>,
}

/// The stub, serving on `127.0.0.1` until dropped.
pub struct Stub {
    server: LoopbackServer,
    state: Arc<State>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Stub {
    /// Binds `127.0.0.1:port` (`0`: a free port) and starts serving `fake`.
    pub async fn start(
        config: StubConfig,
        port: u16,
        fake: impl Fn(&Request<Bytes>) -> Response<Bytes> + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let state = Arc::new(State {
            rng: Mutex::new(fastrand::Rng::with_seed(config.seed)),
            config,
            fake: Box::new(fake),
            started: Instant::now(),
            window: Mutex::new((0, 0)),
            record: Mutex::new(Record::default()),
        });
        let served = Arc::clone(&state);
        // A reset fault ends the connection with an error, and clients hang up on slow
        // answers: neither is reported.
        let server =
            serve_loopback(port, move |request| serve(Arc::clone(&served), request)).await?;
        Ok(Self { server, state })
    }

    /// The base URL, `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Takes what the stub recorded so far, leaving an empty record.
    pub fn take_record(&self) -> Record {
        std::mem::take(&mut *lock(&self.state.record))
    }

    /// How many successful requests were served so far.
    pub fn served(&self) -> usize {
        lock(&self.state.record).service_us.len()
    }

    /// The (start, end) of the successful requests served since the `from`-th one.
    pub fn service_since(&self, from: usize) -> Vec<(u64, u64)> {
        lock(&self.state.record)
            .service_us
            .get(from..)
            .map(<[_]>::to_vec)
            .unwrap_or_default()
    }
}

/// The fault drawn for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    TooManyRequests,
    Unavailable,
    Slow,
    Reset,
}

/// The error a handler returns to have the connection closed without an answer.
#[derive(Debug)]
struct ResetConnection;

impl std::fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by the stub (injected fault)")
    }
}

impl std::error::Error for ResetConnection {}

fn error(status: StatusCode, message: &str) -> Response<Bytes> {
    let body = serde_json::json!({ "error": message }).to_string();
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn too_many_requests(message: &str) -> Response<Bytes> {
    let mut response = error(StatusCode::TOO_MANY_REQUESTS, message);
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

impl State {
    fn micros_since_start(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.started).as_micros()).unwrap_or(u64::MAX)
    }

    /// Counts the request against the quota of the current second; `false` when over it.
    fn within_quota(&self, at: Instant) -> bool {
        let Some(quota) = self.config.quota_per_second else {
            return true;
        };
        let second = at.saturating_duration_since(self.started).as_secs();
        let mut window = lock(&self.window);
        if window.0 != second {
            *window = (second, 0);
        }
        window.1 = window.1.saturating_add(1);
        window.1 <= quota
    }

    fn draw_fault(&self) -> Option<Fault> {
        let rates = self.config.faults;
        if rates.total() <= 0.0 {
            return None;
        }
        let roll = lock(&self.rng).f64();
        let mut bound = 0.0;
        for (rate, fault) in [
            (rates.too_many_requests, Fault::TooManyRequests),
            (rates.unavailable, Fault::Unavailable),
            (rates.slow, Fault::Slow),
            (rates.reset, Fault::Reset),
        ] {
            bound += rate;
            if roll < bound {
                return Some(fault);
            }
        }
        None
    }

    /// Counts the fake's refusal of a request.
    fn count_refusal(&self, status: StatusCode) {
        let mut record = lock(&self.record);
        match status {
            StatusCode::UNAUTHORIZED => record.tally.unauthorized += 1,
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => record.tally.not_found += 1,
            _ => record.tally.bad_request += 1,
        }
    }
}

/// One request (read whole): the quota, a fault maybe, then the fake's answer.
async fn serve(
    state: Arc<State>,
    request: Request<Bytes>,
) -> Result<Response<Bytes>, ResetConnection> {
    let arrived = Instant::now();
    lock(&state.record)
        .arrivals_us
        .push(state.micros_since_start(arrived));

    if !state.within_quota(arrived) {
        lock(&state.record).tally.over_quota += 1;
        return Ok(too_many_requests("over quota"));
    }
    let fault = state.draw_fault();
    match fault {
        Some(Fault::TooManyRequests) => {
            lock(&state.record).tally.fault_too_many_requests += 1;
            return Ok(too_many_requests("slow down (injected fault)"));
        }
        Some(Fault::Unavailable) => {
            lock(&state.record).tally.fault_unavailable += 1;
            return Ok(error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable (injected fault)",
            ));
        }
        Some(Fault::Reset) => {
            lock(&state.record).tally.fault_reset += 1;
            return Err(ResetConnection);
        }
        Some(Fault::Slow) | None => {}
    }

    let response = (state.fake)(&request);
    if response.status().is_success() {
        let mut record = lock(&state.record);
        let served = (
            state.micros_since_start(arrived),
            state.micros_since_start(Instant::now()),
        );
        record.service_us.push(served);
        if fault == Some(Fault::Slow) {
            record.tally.fault_slow += 1;
        } else {
            record.tally.ok += 1;
        }
    } else {
        state.count_refusal(response.status());
    }
    if fault == Some(Fault::Slow) {
        tokio::time::sleep(state.config.slow_delay).await;
    }
    Ok(response)
}

/// The most requests in any window `[t, t + 1 s)`.
pub fn max_per_second(arrivals_us: &[u64]) -> usize {
    let mut sorted = arrivals_us.to_vec();
    sorted.sort_unstable();
    let mut best = 0;
    let mut first = 0;
    for (last, &t) in sorted.iter().enumerate() {
        while sorted[first] + 1_000_000 <= t {
            first += 1;
        }
        best = best.max(last + 1 - first);
    }
    best
}

/// The total length of the union of `intervals`.
pub fn union_length_us(intervals: &[(u64, u64)]) -> u64 {
    let mut sorted = intervals.to_vec();
    sorted.sort_unstable();
    let mut total = 0;
    let mut current: Option<(u64, u64)> = None;
    for (start, end) in sorted {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                total += e - s;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    total + current.map_or(0, |(s, e)| e - s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busiest_second_is_found() {
        assert_eq!(max_per_second(&[]), 0);
        assert_eq!(max_per_second(&[5]), 1);
        // 0, 0.5 s and 0.999 s share a window; 1.0 s starts a new one.
        assert_eq!(
            max_per_second(&[0, 500_000, 999_999, 1_000_000, 1_900_000]),
            3
        );
        assert_eq!(max_per_second(&[3_000_000, 10, 20, 30]), 3);
    }

    #[test]
    fn overlapping_intervals_count_once() {
        assert_eq!(union_length_us(&[]), 0);
        assert_eq!(union_length_us(&[(0, 10), (5, 15), (20, 25)]), 20);
        assert_eq!(union_length_us(&[(20, 25), (0, 30)]), 30);
    }

    use example_integration::stub::AcmeApi;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A stub serving a fake of Acme for the API key `key-1` in region `us`.
    async fn start(quota: Option<u32>, faults: FaultRates) -> (Stub, Arc<AcmeApi>) {
        let config = StubConfig {
            quota_per_second: quota,
            faults,
            slow_delay: Duration::from_millis(50),
            seed: 1,
        };
        let acme = Arc::new(AcmeApi::new("key-1", "us"));
        let fake = Arc::clone(&acme);
        let stub = Stub::start(config, 0, move |request| fake.answer(request))
            .await
            .unwrap();
        (stub, acme)
    }

    /// Sends one request on a fresh connection and reads until the stub closes it.
    async fn exchange(stub: &Stub, path: &str, key: &str, body: &str) -> String {
        let mut stream = tokio::net::TcpStream::connect(stub.server.addr())
            .await
            .unwrap();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: acme\r\nConnection: close\r\n\
             Authorization: Bearer {key}\r\nX-Acme-Region: us\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    }

    const EVENT: &str = r#"{"events":[{"event_id":"0f0e0d0c-0b0a-4908-8706-050403020100","user_id":"u1","type":"purchase","name":"purchase","timestamp":1,"revenue":"19.99","currency":"USD"}]}"#;

    #[tokio::test]
    async fn accepted_events_are_recorded_with_their_duplicates() {
        let (stub, acme) = start(None, FaultRates::default()).await;
        for _ in 0..2 {
            let answer = exchange(&stub, "/v1/events", "key-1", EVENT).await;
            assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
            assert!(answer.ends_with(r#"{"accepted":1}"#), "{answer}");
        }
        let members = r#"{"add":["u1","u2"],"remove":["u3"]}"#;
        let answer = exchange(&stub, "/v1/lists/l-1/members", "key-1", members).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        let record = stub.take_record();
        let accepted = acme.take_accepted();
        assert_eq!(accepted.events.values().copied().collect::<Vec<_>>(), [2]);
        assert_eq!(accepted.memberships.len(), 3);
        assert_eq!(record.arrivals_us.len(), 3);
        assert_eq!(record.tally.ok, 3);
    }

    #[tokio::test]
    async fn bad_keys_and_bad_events_are_refused() {
        let (stub, acme) = start(None, FaultRates::default()).await;
        let answer = exchange(&stub, "/v1/events", "other-key", EVENT).await;
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
        let bad = EVENT.replace("purchase\",\"name", "click\",\"name");
        let answer = exchange(&stub, "/v1/events", "key-1", &bad).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        assert!(answer.contains("unknown type"), "{answer}");
        let answer = exchange(&stub, "/v1/nothing", "key-1", EVENT).await;
        assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
        let record = stub.take_record();
        let accepted = acme.take_accepted();
        assert!(accepted.events.is_empty());
        assert_eq!(
            (record.tally.unauthorized, record.tally.bad_request),
            (1, 1)
        );
        assert_eq!(record.tally.not_found, 1);
        assert!(accepted.first_rejection.unwrap().starts_with("401"));
    }

    #[tokio::test]
    async fn requests_beyond_the_quota_get_429_with_retry_after() {
        let (stub, _acme) = start(Some(2), FaultRates::default()).await;
        let mut statuses = Vec::new();
        for _ in 0..4 {
            let answer = exchange(&stub, "/v1/events", "key-1", EVENT).await;
            statuses.push(answer[9..12].to_owned());
            if answer.starts_with("HTTP/1.1 429") {
                assert!(answer.to_lowercase().contains("retry-after: 1"), "{answer}");
            }
        }
        // The four requests may straddle a second boundary: at most two per second pass.
        let passed = statuses.iter().filter(|s| *s == "202").count();
        assert!((2..=4).contains(&passed), "{statuses:?}");
        assert_eq!(stub.take_record().tally.over_quota, 4 - passed as u64);
    }

    #[tokio::test]
    async fn a_reset_closes_the_connection_without_an_answer() {
        let faults = FaultRates {
            reset: 1.0,
            ..FaultRates::default()
        };
        let (stub, acme) = start(None, faults).await;
        let answer = exchange(&stub, "/v1/events", "key-1", EVENT).await;
        assert_eq!(answer, "");
        let record = stub.take_record();
        assert!(acme.take_accepted().events.is_empty());
        assert_eq!(record.tally.fault_reset, 1);
    }

    #[tokio::test]
    async fn a_slow_answer_accepts_the_data_then_answers_late() {
        let faults = FaultRates {
            slow: 1.0,
            ..FaultRates::default()
        };
        let (stub, acme) = start(None, faults).await;
        let answer = exchange(&stub, "/v1/events", "key-1", EVENT).await;
        assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
        let record = stub.take_record();
        assert_eq!(acme.take_accepted().events.len(), 1);
        assert_eq!((record.tally.fault_slow, record.tally.ok), (1, 0));
    }

    #[test]
    fn faults_split_evenly() {
        let rates = FaultRates::split(0.2);
        assert!((rates.slow - 0.05).abs() < 1e-12);
        assert!((rates.total() - 0.2).abs() < 1e-12);
    }
}
