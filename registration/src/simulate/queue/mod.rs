//! `firehose simulate --mode queue`: mParticle's traffic through producer environments onto a
//! queue, drained by an emulated event source mapping into consumer environments, into the
//! stub partner API.
//!
//! * Producers: `--concurrency` execution environments of the example integration in queue
//!   mode ([`Producer`]), invoked as mParticle invokes (closed loop, or `--rate`), retried with
//!   mParticle's back-off on failure. Their latency is mParticle's view: `ack_latency_*`.
//! * The queue: in this process with SQS semantics ([`sqs::InProcessQueue`]), or on a real SQS
//!   API (`--sqs-endpoint`), with a dead-letter queue and a redrive policy.
//! * The event source mapping: `--consumers` pollers (its `MaximumConcurrency`), each with its
//!   own consumer execution environment ([`Consumer`]), receiving up to `--batch-size` records
//!   (gathered for at most `--batch-window-ms`), invoking with the function timeout as the
//!   deadline, deleting what the partial batch response does not list, as Lambda does.
//! * The partner: each consumer environment limits itself to quota ÷ consumers per second.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use example_integration::{Config, ExampleIntegration};
use mparticle_firehose::dispatch::Dispatcher;
use mparticle_firehose::partner::Invocation;
use mparticle_firehose::queue::{
    Consumer, ConsumerConfig, OutgoingMessage, Producer, QueueApi, QueueError, RecordOutcome,
    SQS_MAX_MESSAGE_BYTES, SqsBatchResponse, SqsEvent, SqsMessage, VisibilityChange,
};
use mparticle_firehose::testing::TEST_FUNCTION_ARN;
use serde::Serialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use super::Args;
use super::report::{self, Summary};
use super::sender::{Policy, Sent, Stats};
use super::sqs::{self, InProcessQueue, QueueSpec, RealQueue, Received, SimQueue};
use super::stub::StubConfig;
use super::traffic::{Filter, Traffic};

mod mapping;
mod producers;

use mapping::*;
use producers::*;

/// How mParticle is served.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// mParticle invokes, the function calls the partner, then answers.
    #[default]
    Direct,
    /// The function enqueues and answers; an event source mapping drains the queue into the
    /// partner.
    Queue,
}

impl Mode {
    /// The name in the summary.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Queue => "queue",
        }
    }
}

/// The options of `--mode queue`.
#[derive(clap::Args, Debug, Clone)]
pub struct QueueArgs {
    /// direct: mParticle waits for the partner call; queue: the function enqueues to SQS and
    /// answers, an event source mapping drains the queue into the partner.
    #[arg(long, value_enum, default_value_t = Mode::Direct)]
    pub mode: Mode,
    /// Queue mode: consumer environments, the event source mapping's MaximumConcurrency
    /// (default: quota / --consumer-rate).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(2..=1000))]
    consumers: Option<u32>,
    /// Queue mode: the partner requests per second one consumer environment may send, to
    /// derive --consumers (a partner's Retry-After pauses one environment: the smaller its
    /// share, the less of the quota a pause costs).
    #[arg(long, value_name = "PER_SECOND", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    consumer_rate: u32,
    /// Queue mode: records per consumer invocation (default: three seconds of one
    /// environment's partner calls, 1 to 10).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10))]
    batch_size: Option<u32>,
    /// Queue mode: how long the mapping gathers records for a batch.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    batch_window_ms: u64,
    /// Queue mode: the redrive policy's maxReceiveCount.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    max_receive_count: u32,
    /// Queue mode: the queue's visibility timeout (default: 6 times --timeout).
    #[arg(long, value_parser = super::parse_duration)]
    visibility_timeout: Option<Duration>,
    /// Queue mode: how long a record that comes back without a Retry-After stays hidden on its
    /// first receive, doubling per receive (FIREHOSE_QUEUE_RETRY_DELAY_SECONDS, scaled down).
    #[arg(long, default_value = "1s", value_parser = super::parse_duration)]
    retry_delay: Duration,
    /// Queue mode: a FIFO queue (message group per user).
    #[arg(long)]
    fifo: bool,
    /// Queue mode: the queue's largest message; larger messages are split.
    #[arg(long, value_name = "BYTES", default_value_t = SQS_MAX_MESSAGE_BYTES, value_parser = parse_message_bytes)]
    max_message_bytes: usize,
    /// Queue mode: a real SQS API (e.g. moto's server: http://127.0.0.1:5000) on which the run
    /// creates its queue and dead-letter queue; default: a queue in this process.
    #[arg(long, value_name = "URL")]
    sqs_endpoint: Option<String>,
    /// Queue mode: the longest the run waits for the queue to drain after the traffic.
    #[arg(long, default_value = "300s", value_parser = super::parse_duration)]
    drain_timeout: Duration,
}

fn parse_message_bytes(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1_024..=SQS_MAX_MESSAGE_BYTES).contains(&n) => Ok(n),
        _ => Err(format!(
            "{text:?} is not a message size from 1024 to {SQS_MAX_MESSAGE_BYTES} bytes"
        )),
    }
}

/// What the queue-mode run adds to the summary.
#[derive(Debug, Serialize)]
pub struct QueueFigures {
    queue: String,
    fifo: bool,
    consumers: u32,
    batch_size: u32,
    batch_window_ms: u64,
    visibility_timeout_s: u64,
    max_receive_count: u32,
    retry_delay_ms: u128,
    max_message_bytes: usize,
    enqueued_messages: u64,
    consumer_invocations: u64,
    consumer_cold_starts: u64,
    consumer_timeouts: u64,
    consumer_function_errors: u64,
    records_received: u64,
    records_returned: u64,
    returned_by_reason: BTreeMap<&'static str, u64>,
    visibility_changes: u64,
    consumer_busy_share: f64,
    dead_lettered: u64,
    left_in_queue: u64,
    backlog_s: f64,
    partner_requests_in_backlog: usize,
    partner_utilization: f64,
    ack_latency_p50_ms: f64,
    ack_latency_p99_ms: f64,
    queue_age_p50_ms: f64,
    queue_age_p99_ms: f64,
    drain_s: f64,
}

/// The summary of a run, with its mode (and the queue figures in queue mode).
#[derive(Debug, Serialize)]
pub struct ModeSummary {
    mode: &'static str,
    #[serde(flatten)]
    summary: Summary,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    queue: Option<QueueFigures>,
}

impl ModeSummary {
    /// A direct-mode summary.
    pub fn direct(summary: Summary) -> Self {
        Self {
            mode: Mode::Direct.as_str(),
            summary,
            queue: None,
        }
    }

    /// Whether nothing was lost (nor left behind in the queues).
    pub fn ok(&self) -> bool {
        self.summary.ok
    }

    /// Prints one JSON object.
    pub fn print_json(&self) -> std::io::Result<()> {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        serde_json::to_writer(&mut out, self)?;
        writeln!(out)
    }

    /// Prints the table.
    pub fn print_table(&self) -> std::io::Result<()> {
        use std::io::Write;
        self.summary.print_table()?;
        let Some(q) = &self.queue else {
            return Ok(());
        };
        let mut out = std::io::stdout().lock();
        writeln!(out)?;
        writeln!(
            out,
            "queue mode: {} ({}), {} consumers, batch {} (window {} ms), visibility {} s, maxReceiveCount {}",
            q.queue,
            if q.fifo { "FIFO" } else { "standard" },
            q.consumers,
            q.batch_size,
            q.batch_window_ms,
            q.visibility_timeout_s,
            q.max_receive_count
        )?;
        writeln!(
            out,
            "  mParticle     acknowledged in p50 {} ms, p99 {} ms; {} queue messages",
            q.ack_latency_p50_ms, q.ack_latency_p99_ms, q.enqueued_messages
        )?;
        writeln!(
            out,
            "  consumers     {} invocations ({} cold starts, {} timeouts, {} function errors), {} records, {} returned",
            q.consumer_invocations,
            q.consumer_cold_starts,
            q.consumer_timeouts,
            q.consumer_function_errors,
            q.records_received,
            q.records_returned
        )?;
        writeln!(
            out,
            "  partner       utilization {:.3} ({} requests in {:.1} s of backlog), queue age p50 {} ms, p99 {} ms",
            q.partner_utilization,
            q.partner_requests_in_backlog,
            q.backlog_s,
            q.queue_age_p50_ms,
            q.queue_age_p99_ms
        )?;
        writeln!(
            out,
            "  queues        dead-lettered {}, left {}, drained in {:.1} s",
            q.dead_lettered, q.left_in_queue, q.drain_s
        )
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// The longest wait inside a consumer invocation (`PARTNER_MAX_WAIT_MS` of queue mode): nobody
/// waits on the consumer, so it may wait for its rate-limit permits longer than mParticle would.
const QUEUE_MAX_WAIT: Duration = Duration::from_secs(20);

/// Builds a fresh example integration, configured as queue mode deploys it, for a new
/// execution environment.
fn example_factory(
    api_url: String,
    rate_limit_per_second: u32,
) -> Arc<dyn Fn() -> Result<Dispatcher<ExampleIntegration>, String> + Send + Sync> {
    Arc::new(move || {
        let mut config = Config::new(api_url.clone());
        config.rate_limit_per_second = rate_limit_per_second;
        config.max_wait = QUEUE_MAX_WAIT;
        let partner = ExampleIntegration::new(config).map_err(|e| e.to_string())?;
        Dispatcher::new(partner).map_err(|e| format!("invalid registration: {e}"))
    })
}

/// The function timeout of --mode queue when --timeout is not given: the producer answers
/// mParticle at once, so only the consumer needs the time.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(30);

/// The queue-mode run (see the [module docs](self)).
pub async fn simulate(args: &Args) -> Result<ModeSummary, String> {
    let q = &args.queue;
    if args.invoke_url.is_some() {
        return Err(
            "--mode queue runs the example integration in process: drop --invoke-url".into(),
        );
    }
    let faults = super::fault_rates(args)?;
    if let Some(rate) = args.rate
        && !(rate > 0.0 && rate.is_finite())
    {
        return Err(format!("--rate {rate} must be a positive number"));
    }
    if std::env::var_os("RUST_LOG").is_some() {
        // The SDK's logs on standard error, to see why records come back.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .try_init();
    }
    let timeout = args.timeout.unwrap_or(QUEUE_TIMEOUT);
    let api_key = format!("acme-sim-{:016x}", args.seed);
    let t0 = Instant::now();
    let config = StubConfig {
        quota_per_second: Some(args.quota),
        faults,
        slow_delay: args.slow.unwrap_or(timeout),
        seed: args.seed,
    };
    let (stub, acme) = super::start_stub(config, args.stub_port.unwrap_or(0), &api_key)
        .await
        .map_err(|e| format!("cannot start the stub partner API: {e}"))?;

    let consumers = q
        .consumers
        .unwrap_or_else(|| args.quota.div_ceil(q.consumer_rate).clamp(2, 1_000));
    let per_environment = (args.quota / consumers).max(1);
    // About three seconds of one environment's partner calls: enough records that a slow
    // partner call overlaps with others, few enough that the backlog waits in the queue,
    // where any free consumer can take it.
    let batch_size = q
        .batch_size
        .unwrap_or_else(|| per_environment.saturating_mul(3).clamp(1, 10));
    let visibility_timeout = q
        .visibility_timeout
        .unwrap_or_else(|| Duration::from_secs((timeout.as_secs_f64() * 6.0).ceil() as u64));
    let spec = QueueSpec {
        name: format!("firehose-sim-{:08x}", fastrand::u32(..)),
        fifo: q.fifo,
        visibility_timeout,
        max_receive_count: q.max_receive_count,
    };
    let queue: Arc<dyn SimQueue> = match &q.sqs_endpoint {
        Some(endpoint) => Arc::new(RealQueue::create(endpoint, &spec).await?),
        None => Arc::new(InProcessQueue::new(spec)),
    };

    let enqueued = Arc::new(AtomicU64::new(0));
    let producer_factory: ProducerFactory = {
        let build = example_factory(stub.url(), per_environment);
        let api: Arc<dyn QueueApi> = Arc::new(Counting {
            inner: queue.api(),
            sent: Arc::clone(&enqueued),
        });
        let (url, max) = (queue.url().to_owned(), q.max_message_bytes);
        Arc::new(move || {
            Ok(Producer::new(build()?, Arc::clone(&api), url.clone()).with_max_message_bytes(max))
        })
    };
    let consumer_factory: Arc<
        dyn Fn() -> Result<Consumer<ExampleIntegration>, String> + Send + Sync,
    > = {
        let build = example_factory(stub.url(), per_environment);
        let (api, url) = (queue.api(), queue.url().to_owned());
        let mut config = ConsumerConfig::default();
        // A second of headroom suits a 30 s function; scale it to short simulated timeouts.
        config.headroom = (timeout / 10).min(Duration::from_secs(1));
        config.retry_delay = Some(q.retry_delay);
        Arc::new(move || {
            Ok(Consumer::new(build()?)
                .with_queue(Arc::clone(&api))
                .with_queue_url(url.clone())
                .with_config(config.clone()))
        })
    };

    let mapping = Arc::new(Mapping {
        batch_size: batch_size as usize,
        window: Duration::from_millis(q.batch_window_ms),
        timeout,
        poll_wait: if q.sqs_endpoint.is_some() {
            Duration::from_secs(1)
        } else {
            Duration::from_millis(200)
        },
    });
    let mapping_stats = Arc::new(MappingStats::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut pollers = JoinSet::new();
    for _ in 0..consumers {
        pollers.spawn(poll(
            Arc::clone(&queue),
            Arc::clone(&consumer_factory),
            Arc::clone(&mapping),
            Arc::clone(&mapping_stats),
            Arc::clone(&stop),
        ));
    }
    let stop_sampler = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn(sample_backlog(
        Arc::clone(&queue),
        Arc::clone(&mapping_stats),
        Arc::clone(&stop_sampler),
        t0,
    ));

    let producers = Arc::new(Producers::new(
        args.concurrency as usize,
        producer_factory,
        timeout,
    ));
    let policy = Arc::new(args.policy(timeout));
    let stats = Arc::new(Stats::default());
    let started = Instant::now();
    let setup_policy = policy.closed_loop();
    let (producers_ref, setup, stats_ref) = (&*producers, &setup_policy, &*stats);
    let registration = super::set_up(&api_key, |payload| async move {
        deliver(producers_ref, setup, stats_ref, &payload, None).await
    })
    .await?;
    let verification_us = stats.take_latencies();
    let filter = Filter::from_registration(&registration);
    let shape = args.shape();

    // mParticle's traffic.
    let mut sent = Sent::default();
    let mut tasks = JoinSet::new();
    let traffic_started = tokio::time::Instant::now();
    for (i, message) in Traffic::new(args.seed, &api_key, shape.clone(), filter.clone()).enumerate()
    {
        if message.audience {
            sent.audience_changes += 1;
        } else {
            sent.batches += 1;
        }
        sent.expected.extend(&message.expected_events);
        sent.withheld.extend(&message.withheld_events);
        sent.memberships += message.memberships;
        let permit = match args.rate {
            Some(rate) => {
                tokio::time::sleep_until(
                    traffic_started + Duration::from_secs_f64(i as f64 / rate),
                )
                .await;
                None
            }
            None => producers.permit(false).await,
        };
        let (producers, policy, stats) = (
            Arc::clone(&producers),
            Arc::clone(&policy),
            Arc::clone(&stats),
        );
        tasks.spawn(
            async move { deliver(&producers, &policy, &stats, &message.payload, permit).await },
        );
        while let Some(done) = tasks.try_join_next() {
            count_answer(&mut sent, done);
        }
    }
    while let Some(done) = tasks.join_next().await {
        count_answer(&mut sent, done);
    }

    // Drain.
    let drain_started = Instant::now();
    let counts = loop {
        let counts = queue.counts().await?;
        let idle = mapping_stats.active.load(Ordering::SeqCst) == 0;
        if (counts.visible + counts.hidden == 0 && idle)
            || drain_started.elapsed() > q.drain_timeout
        {
            break counts;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let drained = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    while pollers.join_next().await.is_some() {}
    stop_sampler.store(true, Ordering::Relaxed);
    let backlog = sampler.await.unwrap_or_default();
    let counts = queue.counts().await.unwrap_or(counts);
    let record = stub.take_record();
    let accepted = acme.take_accepted();

    let overhead = if filter.takes_events() {
        Some(super::calibrate(&api_key, args.seed, &shape, filter, timeout).await?)
    } else {
        None
    };

    // Partner utilization while a backlog exists.
    let backlog_us: u64 = backlog.iter().map(|(s, e)| e - s).sum();
    let in_backlog = record
        .arrivals_us
        .iter()
        .filter(|t| backlog.iter().any(|(s, e)| (*s..*e).contains(*t)))
        .count();
    let utilization = if backlog_us == 0 {
        0.0
    } else {
        in_backlog as f64 / (backlog_us as f64 / 1e6) / f64::from(args.quota)
    };
    let latencies_us = stats.take_latencies();
    let ages = std::mem::take(&mut *lock(&mapping_stats.queue_ages_us));
    let enqueued_messages = enqueued.load(Ordering::Relaxed);
    let mut calls = stats.calls();
    calls.first_error = calls
        .first_error
        .or_else(|| lock(&mapping_stats.first_error).clone());

    let mut summary = Summary::new(report::Inputs {
        target: format!(
            "example integration, in process, queue mode ({})",
            queue.describe()
        ),
        integration: super::integration_name(&registration),
        stub_url: stub.url(),
        concurrency: consumers,
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
        latencies_us: latencies_us.clone(),
        verification_us,
        overhead,
        duration: drained,
    });
    let left = counts.visible + counts.hidden;
    summary.ok = summary.ok && counts.dead == 0 && left == 0;
    let quantile = report::quantile_ms;
    let figures = QueueFigures {
        queue: queue.describe(),
        fifo: q.fifo,
        consumers,
        batch_size,
        batch_window_ms: q.batch_window_ms,
        visibility_timeout_s: visibility_timeout.as_secs(),
        max_receive_count: q.max_receive_count,
        retry_delay_ms: q.retry_delay.as_millis(),
        max_message_bytes: q.max_message_bytes,
        enqueued_messages,
        consumer_invocations: mapping_stats.invocations.load(Ordering::Relaxed),
        consumer_cold_starts: mapping_stats.cold_starts.load(Ordering::Relaxed),
        consumer_timeouts: mapping_stats.timeouts.load(Ordering::Relaxed),
        consumer_function_errors: mapping_stats.function_errors.load(Ordering::Relaxed),
        records_received: mapping_stats.received.load(Ordering::Relaxed),
        records_returned: mapping_stats.returned.load(Ordering::Relaxed),
        returned_by_reason: lock(&mapping_stats.reasons).clone(),
        visibility_changes: mapping_stats.visibility_changes.load(Ordering::Relaxed),
        consumer_busy_share: {
            let busy = lock(&mapping_stats.busy).as_secs_f64();
            (busy / (f64::from(consumers) * drained.as_secs_f64().max(1e-9)) * 1_000.0).round()
                / 1_000.0
        },
        dead_lettered: counts.dead,
        left_in_queue: left,
        backlog_s: (backlog_us as f64 / 1e6 * 1_000.0).round() / 1_000.0,
        partner_requests_in_backlog: in_backlog,
        partner_utilization: (utilization * 1_000.0).round() / 1_000.0,
        ack_latency_p50_ms: quantile(&latencies_us, 0.5),
        ack_latency_p99_ms: quantile(&latencies_us, 0.99),
        queue_age_p50_ms: quantile(&ages, 0.5),
        queue_age_p99_ms: quantile(&ages, 0.99),
        drain_s: (drained.as_secs_f64() * 1_000.0).round() / 1_000.0,
    };
    Ok(ModeSummary {
        mode: Mode::Queue.as_str(),
        summary,
        queue: Some(figures),
    })
}

/// The producers' queue API, counting the messages the queue accepted.
struct Counting {
    inner: Arc<dyn QueueApi>,
    sent: Arc<AtomicU64>,
}

#[mparticle_firehose::async_trait]
impl QueueApi for Counting {
    async fn send(&self, queue_url: &str, message: OutgoingMessage) -> Result<(), QueueError> {
        self.inner.send(queue_url, message).await?;
        self.sent.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    async fn change_visibility(
        &self,
        queue_url: &str,
        changes: Vec<VisibilityChange>,
    ) -> Result<(), QueueError> {
        self.inner.change_visibility(queue_url, changes).await
    }
}

fn count_answer(sent: &mut Sent, done: Result<Result<Vec<u8>, String>, tokio::task::JoinError>) {
    sent.count(done.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())));
}
