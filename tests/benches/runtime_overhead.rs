//! SDK overhead per invocation for a 100-event batch, with a partner that does nothing (no
//! partner I/O), measured two ways:
//!
//! * `dispatcher`: decode, dispatch to every event hook, encode the response, in-process;
//! * `streamed`: the same in streamed delivery, each event to its hook by the default
//!   `on_event_stream` (a batch this small is decoded whole first);
//! * `streamed, read`: the same with the events decoded as they are read, as streamed delivery
//!   reads a large batch;
//! * `runtime loop`: the same through `lambda_runtime`'s real loop against a mock Runtime API on
//!   loopback (adds the loop's HTTP round trips to the Runtime API, as on Lambda).
//!
//! Prints p50, p99 and the mean of each. Run: `cargo bench -p firehose-tests --bench runtime_overhead`.

use std::time::{Duration, Instant};

use firehose_tests::Noop;
use mparticle_firehose::Dispatcher;
use mparticle_firehose::prelude::*;
use mparticle_firehose::testing::generate::BatchGenerator;
use mparticle_firehose::testing::runtime_api::{MockRuntimeApi, Outcome};
use mparticle_firehose::testing::{self, InvocationBuilder};

/// [`Noop`] in streamed delivery.
struct Streamed(EventDelivery);

#[async_trait]
impl Partner for Streamed {
    fn registration(&self) -> ModuleRegistrationResponse {
        Noop.registration()
    }

    fn event_delivery(&self) -> EventDelivery {
        self.0
    }
}

const WARMUP: usize = 200;
const ROUNDS: usize = 3_000;

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let pick = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{name:<14} p50 {:>8.1} µs   p99 {:>8.1} µs   mean {:>8.1} µs   ({} invocations)",
        pick(0.50).as_secs_f64() * 1e6,
        pick(0.99).as_secs_f64() * 1e6,
        mean.as_secs_f64() * 1e6,
        samples.len()
    );
}

/// The time of each in-process invocation after the warm-up.
async fn in_process<P: Partner>(dispatcher: &Dispatcher<P>, payload: &[u8]) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(ROUNDS);
    for i in 0..WARMUP + ROUNDS {
        let started = Instant::now();
        let out = dispatcher
            .handle(payload, InvocationBuilder::new().build())
            .await;
        let took = started.elapsed();
        assert!(out.is_ok());
        if i >= WARMUP {
            samples.push(took);
        }
    }
    samples
}

fn main() {
    let payload = testing::messages::encode(&BatchGenerator::new(7).event_batch(100));
    println!("100-event batch: {} bytes", payload.len());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let dispatcher = testing::dispatcher(Noop);

        // In-process: decode, dispatch, encode.
        report("dispatcher", in_process(&dispatcher, &payload).await);

        // The same in streamed delivery: decoded whole first, then read as it goes.
        for (name, delivery) in [
            ("streamed", EventDelivery::streamed()),
            ("streamed, read", EventDelivery::Streamed { from_bytes: 0 }),
        ] {
            let streamed = testing::dispatcher(Streamed(delivery));
            report(name, in_process(&streamed, &payload).await);
        }

        // Through lambda_runtime's loop, against a mock Runtime API on loopback.
        let api = MockRuntimeApi::start().await.expect("a mock Runtime API");
        for (key, value) in api.env() {
            // SAFETY: set before the runtime loop reads them; no other thread reads the environment.
            #[allow(unsafe_code)]
            unsafe {
                std::env::set_var(key, value);
            }
        }
        let served = dispatcher.clone();
        let loop_task =
            tokio::spawn(async move { mparticle_firehose::lambda::serve(served).await });
        let mut samples = Vec::with_capacity(ROUNDS);
        for i in 0..WARMUP + ROUNDS {
            let started = Instant::now();
            let outcome = api.invoke(payload.clone()).await.expect("an outcome");
            let took = started.elapsed();
            assert!(matches!(outcome, Outcome::Response(_)));
            if i >= WARMUP {
                samples.push(took);
            }
        }
        report("runtime loop", samples);
        loop_task.abort();
    });
}
