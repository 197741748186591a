//! `firehose simulate`: acts as mParticle against an integration, with a stub partner API, and
//! reports what arrived.
//!
//! The run:
//!
//! 1. starts the stub partner API on `127.0.0.1`: the example integration's fake of the Acme
//!    Events API (`example-integration/API.md`), with fault injection and a quota ([`stub`]);
//! 2. starts `--concurrency` execution environments of the example integration in this
//!    process, each with its own `ExampleIntegration` (own HTTP client, rate limiter of
//!    quota ÷ concurrency per second, back-off memory), invoked through the SDK's Lambda
//!    handler ([`Dispatcher::handle`]) with a real deadline; or, with `--invoke-url`, callers of
//!    a Lambda Invoke API ([`target`]);
//! 3. sends the registration probe and the two verification requests, then the generated
//!    event batches and audience membership changes of one customer account, shaped by the
//!    registration as mParticle shapes them ([`traffic`]);
//! 4. retries every failed invocation with jittered exponential back-off, as mParticle does
//!    ([`sender`]);
//! 5. compares what the stub accepted with what it should have received, and measures the
//!    SDK's overhead in a calibration pass.

mod queue;
mod report;
mod sender;
mod sqs;
mod stub;
mod target;
mod traffic;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use example_integration::stub::AcmeApi;
use example_integration::{Config, ExampleIntegration};
use indicatif::{ProgressBar, ProgressStyle};
use mparticle_firehose::dispatch::Dispatcher;
use mparticle_firehose::model::{Message, MessageBody, ModuleRegistrationResponse};
use mparticle_firehose::testing::messages;
use tokio::task::JoinSet;

use report::{Overhead, Summary};
use sender::{Policy, Pool, Sent, Stats};
use stub::{FaultRates, Stub, StubConfig};
use target::{Environment, Factory, InProcess, Remote};
use traffic::{Filter, Shape, Traffic};

/// The stub's port with `--invoke-url` when `--stub-port` is not given: the `PARTNER_API_URL`
/// the README gives the example integration under `cargo lambda watch`.
const INVOKE_STUB_PORT: u16 = 8787;
/// The function timeout of --mode direct when --timeout is not given.
const DIRECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Messages of the calibration pass that measures the SDK's overhead.
const CALIBRATION_MESSAGES: usize = 60;
/// Verification requests of the calibration pass.
const CALIBRATION_VERIFICATIONS: usize = 40;

/// Arguments of `firehose simulate`.
#[derive(clap::Args, Debug)]
#[command(after_long_help = report::LONG_HELP)]
pub struct Args {
    /// Event batches to send after the registration probe and the verification requests.
    #[arg(long, default_value_t = 600)]
    batches: usize,
    /// Events generated per batch (mParticle then keeps the event types the integration
    /// registered for).
    #[arg(long, default_value_t = 20)]
    events_per_batch: usize,
    /// One audience membership change after every N batches (0: none).
    #[arg(long, value_name = "N", default_value_t = 25)]
    audience_every: usize,
    /// User profiles per audience membership change.
    #[arg(long, default_value_t = 20)]
    profiles_per_change: usize,
    /// Execution environments (the function's reserved concurrency).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    concurrency: u32,
    /// Messages per second mParticle receives: an invocation that finds every environment busy
    /// is throttled and retried. Without it, mParticle keeps every environment busy and nothing
    /// is throttled.
    #[arg(long, value_name = "PER_SECOND")]
    rate: Option<f64>,
    /// The function timeout: each invocation's deadline (`3`, `2.5s`, `800ms`; default 3 s,
    /// and 30 s with --mode queue, where the producer answers at once and only the consumer
    /// needs the time).
    #[arg(long, value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// Retries of a failed invocation before its message counts as lost.
    #[arg(long, default_value_t = 10)]
    max_retries: u32,
    /// mParticle's back-off ceiling before the first retry, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 100)]
    backoff_base_ms: u64,
    /// The cap of mParticle's back-off ceiling, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 2_000)]
    backoff_cap_ms: u64,
    /// Share of partner requests that fail (0 to 1), split evenly among 429, 5xx, slow answers
    /// and connection resets unless a finer flag sets a kind's share.
    #[arg(long, value_name = "F", default_value_t = 0.05, value_parser = parse_share)]
    fault_rate: f64,
    /// Share of requests answered 429 with Retry-After (overrides its part of --fault-rate).
    #[arg(long, value_name = "F", value_parser = parse_share)]
    fault_429: Option<f64>,
    /// Share of requests answered 503.
    #[arg(long, value_name = "F", value_parser = parse_share)]
    fault_5xx: Option<f64>,
    /// Share of requests answered only after the slow delay (data accepted).
    #[arg(long, value_name = "F", value_parser = parse_share)]
    fault_slow: Option<f64>,
    /// Share of requests whose connection is closed without an answer.
    #[arg(long, value_name = "F", value_parser = parse_share)]
    fault_reset: Option<f64>,
    /// How long a slow answer takes (default: the timeout, past any client timeout).
    #[arg(long, value_parser = parse_duration)]
    slow: Option<Duration>,
    /// The partner's quota: requests beyond it in the current second get 429. Each
    /// environment limits itself to quota ÷ concurrency.
    #[arg(long, value_name = "PER_SECOND", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    quota: u32,
    /// Seeds the generated traffic and the fault draws.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Invoke a function behind this Lambda Invoke API (plain HTTP, e.g. `cargo lambda watch`:
    /// http://127.0.0.1:9000/2015-03-31/functions/example-integration/invocations) instead of
    /// the example integration in process. Point its PARTNER_API_URL at the stub.
    #[arg(long, value_name = "URL")]
    invoke_url: Option<String>,
    /// The stub's port (default: a free one; 8787 with --invoke-url).
    #[arg(long)]
    stub_port: Option<u16>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
    /// --mode and the queue mode's options.
    #[command(flatten)]
    queue: Box<queue::QueueArgs>,
}

impl Args {
    /// mParticle's invocation and retry policy for this run, with the function timeout.
    fn policy(&self, timeout: Duration) -> Policy {
        Policy {
            max_retries: self.max_retries,
            backoff_base: Duration::from_millis(self.backoff_base_ms),
            backoff_cap: Duration::from_millis(self.backoff_cap_ms),
            timeout,
            open_loop: self.rate.is_some(),
        }
    }

    /// How much traffic to send, and of what shape.
    fn shape(&self) -> Shape {
        Shape {
            batches: self.batches,
            events_per_batch: self.events_per_batch,
            audience_every: self.audience_every,
            profiles_per_change: self.profiles_per_change,
        }
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else {
        (text.strip_suffix('s').unwrap_or(text), 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (3, 2.5s, 800ms)"))?;
    if !(value > 0.0 && value * scale <= 3_600.0) {
        return Err(format!("{text:?} must be between 0 and an hour"));
    }
    Ok(Duration::from_secs_f64(value * scale))
}

fn parse_share(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("{text:?} is not a share between 0 and 1")),
    }
}

/// Exit status 0 when everything arrived, 1 when anything was lost, 2 when the run could not
/// be set up (the target is unreachable, the registration probe failed, ...).
pub fn run(args: Args) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let json = args.json;
    let outcome = match args.queue.mode {
        queue::Mode::Direct => runtime
            .block_on(simulate(args))
            .map(queue::ModeSummary::direct),
        queue::Mode::Queue => runtime.block_on(queue::simulate(&args)),
    };
    match outcome {
        Ok(summary) => {
            let printed = if json {
                summary.print_json()
            } else {
                summary.print_table()
            };
            if let Err(e) = printed {
                eprintln!("error: cannot print the summary: {e}");
                return ExitCode::from(2);
            }
            if summary.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// The faults the flags ask for.
fn fault_rates(args: &Args) -> Result<FaultRates, String> {
    let even = FaultRates::split(args.fault_rate);
    let rates = FaultRates {
        too_many_requests: args.fault_429.unwrap_or(even.too_many_requests),
        unavailable: args.fault_5xx.unwrap_or(even.unavailable),
        slow: args.fault_slow.unwrap_or(even.slow),
        reset: args.fault_reset.unwrap_or(even.reset),
    };
    if rates.total() > 1.0 + 1e-9 {
        return Err(format!(
            "the fault shares add up to {:.3}, more than 1",
            rates.total()
        ));
    }
    Ok(rates)
}

/// Builds a fresh example integration for a new execution environment.
fn example_factory(api_url: String, rate_limit_per_second: u32) -> Factory<ExampleIntegration> {
    Arc::new(move || {
        let mut config = Config::new(api_url.clone());
        config.rate_limit_per_second = rate_limit_per_second;
        let partner = ExampleIntegration::new(config).map_err(|e| e.to_string())?;
        Dispatcher::new(partner).map_err(|e| format!("invalid registration: {e}"))
    })
}

/// The event verification request of the simulated account: a batch with no events.
fn event_verification(api_key: &str) -> Message {
    let mut check = messages::event_verification(traffic::ACCOUNT_ID);
    if let MessageBody::EventProcessingRequest(batch) = &mut check.body {
        batch.account = Some(traffic::account(api_key));
    }
    check
}

/// Times event verification requests (answered by the SDK without the partner) through an
/// Invoke API, once the function is warm: the round trip through the Invoke API included.
async fn time_remote_verifications(
    url: &str,
    api_key: &str,
    timeout: Duration,
) -> Result<Overhead, String> {
    let remote = Remote::new(url)?;
    let payload = traffic::encode(&event_verification(api_key));
    let mut verification_us = Vec::new();
    for _ in 0..CALIBRATION_VERIFICATIONS {
        let started = Instant::now();
        if let target::Outcome::Response(_) = remote.invoke(&payload, timeout).await {
            verification_us.push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
        }
    }
    Ok(Overhead {
        batch_us: Vec::new(),
        verification_us,
    })
}

/// The SDK's own answers: the probe and the verification requests, each sent with `send` (a
/// delivery as mParticle makes it, in either mode), and the registration the probe returns.
async fn set_up<F, Fut>(api_key: &str, send: F) -> Result<ModuleRegistrationResponse, String>
where
    F: Fn(Vec<u8>) -> Fut,
    Fut: Future<Output = Result<Vec<u8>, String>>,
{
    let answer = send(traffic::encode(&messages::registration_request()))
        .await
        .map_err(|e| format!("the registration probe failed: {e}"))?;
    let registration = match Message::decode(&answer).map(|m| m.body) {
        Ok(MessageBody::ModuleRegistrationResponse(registration)) => registration,
        Ok(other) => {
            return Err(format!(
                "the registration probe was answered with a {}",
                other.type_name()
            ));
        }
        Err(e) => return Err(format!("the registration probe's answer: {e}")),
    };

    let checks = [
        ("event", event_verification(api_key)),
        (
            "audience",
            messages::audience_verification(traffic::ACCOUNT_ID),
        ),
    ];
    for (what, check) in checks {
        let answer = send(traffic::encode(&check))
            .await
            .map_err(|e| format!("the {what} verification request failed: {e}"))?;
        let body = Message::decode(&answer).map(|m| m.body);
        let expected = matches!(
            (what, &body),
            ("event", Ok(MessageBody::EventProcessingResponse(_)))
                | (
                    "audience",
                    Ok(MessageBody::AudienceMembershipChangeResponse(_))
                )
        );
        if !expected {
            return Err(format!(
                "the {what} verification request got an unexpected answer: {}",
                String::from_utf8_lossy(&answer)
            ));
        }
    }
    Ok(registration)
}

/// The integration as the report names it: its registered name and version.
fn integration_name(registration: &ModuleRegistrationResponse) -> String {
    format!(
        "{} {}",
        registration.name.as_deref().unwrap_or("(unnamed)"),
        registration.version.as_deref().unwrap_or("(no version)")
    )
}

fn progress_bar(len: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} messages ({per_sec}, eta {eta})",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Sends the traffic: closed loop (the next message waits for a free environment) or, with a
/// rate, open loop.
async fn send_traffic(
    traffic: Traffic,
    pool: &Arc<Pool<ExampleIntegration>>,
    policy: &Arc<Policy>,
    stats: &Arc<Stats>,
    rate: Option<f64>,
) -> Sent {
    let bar = progress_bar(traffic.len());
    let mut sent = Sent::default();
    let mut tasks = JoinSet::new();
    let started = tokio::time::Instant::now();
    let settle = |sent: &mut Sent, answer: Result<Vec<u8>, String>| sent.count(answer);
    for (i, message) in traffic.enumerate() {
        if message.audience {
            sent.audience_changes += 1;
        } else {
            sent.batches += 1;
        }
        sent.expected.extend(&message.expected_events);
        sent.withheld.extend(&message.withheld_events);
        sent.memberships += message.memberships;
        let lease = match rate {
            Some(rate) => {
                let due = started + Duration::from_secs_f64(i as f64 / rate);
                tokio::time::sleep_until(due).await;
                None
            }
            None => pool.checkout(false).await,
        };
        let (pool, policy, stats, bar) = (
            Arc::clone(pool),
            Arc::clone(policy),
            Arc::clone(stats),
            bar.clone(),
        );
        tasks.spawn(async move {
            let answer = sender::deliver(&pool, &policy, &stats, &message.payload, lease).await;
            bar.inc(1);
            answer
        });
        while let Some(done) = tasks.try_join_next() {
            settle(
                &mut sent,
                done.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())),
            );
        }
    }
    while let Some(done) = tasks.join_next().await {
        settle(
            &mut sent,
            done.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())),
        );
    }
    bar.finish_and_clear();
    sent
}

/// Starts the stub partner API serving a fresh fake of Acme for `api_key`.
async fn start_stub(
    config: StubConfig,
    port: u16,
    api_key: &str,
) -> std::io::Result<(Stub, Arc<AcmeApi>)> {
    let acme = Arc::new(AcmeApi::new(api_key, traffic::REGION));
    let fake = Arc::clone(&acme);
    let stub = Stub::start(config, port, move |request| fake.answer(request)).await?;
    Ok((stub, acme))
}

/// Measures the handler's time not spent waiting on the partner API: sequential invocations of
/// a fresh environment (no rate limit to wait for) against a fresh stub with no faults and no
/// quota; for each, the handler's time minus the time the stub spent serving its requests.
async fn calibrate(
    api_key: &str,
    seed: u64,
    shape: &Shape,
    filter: Filter,
    timeout: Duration,
) -> Result<Overhead, String> {
    let config = StubConfig {
        quota_per_second: None,
        faults: FaultRates::default(),
        slow_delay: timeout,
        seed,
    };
    let (stub, _acme) = start_stub(config, 0, api_key)
        .await
        .map_err(|e| format!("cannot start the calibration stub: {e}"))?;
    let mut env = InProcess::new(example_factory(stub.url(), 1_000_000));
    let verification = traffic::encode(&event_verification(api_key));
    let shape = Shape {
        batches: CALIBRATION_MESSAGES,
        ..shape.clone()
    };
    // The first invocation starts the environment (and warms the connection): not measured.
    let mut batch_us = Vec::new();
    let mut traffic = Traffic::new(seed ^ 0x5eed, api_key, shape, filter).peekable();
    if let Some(first) = traffic.peek() {
        timed(&mut env, &first.payload, timeout).await;
    }
    for message in traffic {
        let from = stub.served();
        let (elapsed, outcome) = timed(&mut env, &message.payload, timeout).await;
        if !matches!(outcome, target::Outcome::Response(_)) {
            return Err(format!("a calibration invocation failed: {outcome:?}"));
        }
        let partner = stub::union_length_us(&stub.service_since(from));
        batch_us.push(elapsed.saturating_sub(partner));
    }
    let mut verification_us = Vec::new();
    for _ in 0..CALIBRATION_VERIFICATIONS {
        verification_us.push(timed(&mut env, &verification, timeout).await.0);
    }
    Ok(Overhead {
        batch_us,
        verification_us,
    })
}

/// One invocation of `env`, with its handler time in microseconds.
async fn timed(
    env: &mut InProcess<ExampleIntegration>,
    payload: &[u8],
    timeout: Duration,
) -> (u64, target::Outcome) {
    let started = Instant::now();
    let (outcome, _) = env.invoke(payload, timeout).await;
    let elapsed = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    (elapsed, outcome)
}

async fn simulate(args: Args) -> Result<Summary, String> {
    let timeout = args.timeout.unwrap_or(DIRECT_TIMEOUT);
    let faults = fault_rates(&args)?;
    if let Some(rate) = args.rate
        && !(rate > 0.0 && rate.is_finite())
    {
        return Err(format!("--rate {rate} must be a positive number"));
    }
    let api_key = format!("acme-sim-{:016x}", args.seed);
    let stub_port = args.stub_port.unwrap_or(if args.invoke_url.is_some() {
        INVOKE_STUB_PORT
    } else {
        0
    });
    let config = StubConfig {
        quota_per_second: Some(args.quota),
        faults,
        slow_delay: args.slow.unwrap_or(timeout),
        seed: args.seed,
    };
    let (stub, acme) = start_stub(config, stub_port, &api_key)
        .await
        .map_err(|e| format!("cannot start the stub partner API on port {stub_port}: {e}"))?;
    let per_environment = (args.quota / args.concurrency).max(1);

    let envs: Vec<Environment<ExampleIntegration>> = match &args.invoke_url {
        None => {
            let factory = example_factory(stub.url(), per_environment);
            (0..args.concurrency)
                .map(|_| Environment::InProcess(InProcess::new(Arc::clone(&factory))))
                .collect()
        }
        Some(url) => {
            let remote = Remote::new(url)?;
            eprintln!(
                "stub partner API: {} (the function must use PARTNER_API_URL={}, and \
                 PARTNER_RATE_LIMIT_PER_SECOND={per_environment} for {} environments)",
                stub.url(),
                stub.url(),
                args.concurrency
            );
            (0..args.concurrency)
                .map(|_| Environment::Remote(Box::new(remote.clone())))
                .collect()
        }
    };
    let pool = Pool::new(envs);
    let policy = Arc::new(args.policy(timeout));
    let stats = Arc::new(Stats::default());

    let started = Instant::now();
    let setup_policy = policy.closed_loop();
    let (pool_ref, setup, stats_ref) = (&pool, &setup_policy, &stats);
    let registration = set_up(&api_key, |payload| async move {
        sender::deliver(pool_ref, setup, stats_ref, &payload, None).await
    })
    .await?;
    let verification_us = stats.take_latencies();
    let filter = Filter::from_registration(&registration);
    let shape = args.shape();
    let traffic = Traffic::new(args.seed, &api_key, shape.clone(), filter.clone());
    let sent = send_traffic(traffic, &pool, &policy, &stats, args.rate).await;
    let duration = started.elapsed();
    let record = stub.take_record();
    let accepted = acme.take_accepted();

    let overhead = match &args.invoke_url {
        None if filter.takes_events() => {
            Some(calibrate(&api_key, args.seed, &shape, filter, timeout).await?)
        }
        None => None,
        Some(url) => Some(time_remote_verifications(url, &api_key, timeout).await?),
    };

    let calls = stats.calls();
    Ok(Summary::new(report::Inputs {
        target: args
            .invoke_url
            .clone()
            .unwrap_or_else(|| "example integration, in process".to_owned()),
        integration: integration_name(&registration),
        stub_url: stub.url(),
        concurrency: args.concurrency,
        seed: args.seed,
        quota: args.quota,
        per_environment,
        faults,
        policy: (*policy).clone(),
        rate: args.rate,
        sent,
        calls,
        record,
        accepted,
        latencies_us: stats.take_latencies(),
        verification_us,
        overhead,
        duration,
    }))
}
