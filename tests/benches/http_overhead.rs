//! The HTTP adapter's overhead per 100-event batch against the direct adapter's, with a partner
//! that does nothing (no partner I/O):
//!
//! * `direct`: the dispatcher alone: decode, dispatch to every event hook, encode;
//! * `http`: the same batch in a function URL event: event parse, token check (SHA-256 and a
//!   constant-time compare), body read, decode, dispatch, encode, the proxy response;
//! * `http gzip`: the same with a gzip body delivered base64-encoded;
//!
//! in process, then through `lambda_runtime`'s real loop against a mock Runtime API on loopback.
//! Rounds alternate between the shapes so that a busy machine slows them alike. Prints p50, p99
//! and the mean of each, and the ratios of the means. Target: `http` within 1.5x of `direct`.
//! Run: `cargo bench -p firehose-tests --bench http_overhead`.

use std::time::{Duration, Instant};

use firehose_tests::Noop;
use mparticle_firehose::endpoint::events::HttpEvent;
use mparticle_firehose::endpoint::{Endpoint, HttpToken};
use mparticle_firehose::lambda::Options;
use mparticle_firehose::testing::generate::BatchGenerator;
use mparticle_firehose::testing::runtime_api::{MockRuntimeApi, Outcome};
use mparticle_firehose::testing::{self, InvocationBuilder};

const WARMUP: usize = 200;
const ROUNDS: usize = 3_000;
const TOKEN: &str = "bench-token-0123456789abcdef0123456789abcdef";

struct Stats {
    p50: Duration,
    p99: Duration,
    mean: Duration,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let pick = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    Stats {
        p50: pick(0.50),
        p99: pick(0.99),
        mean,
    }
}

fn report(name: &str, s: &Stats) {
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{name:<22} p50 {:>8.1} µs   p99 {:>8.1} µs   mean {:>8.1} µs",
        us(s.p50),
        us(s.p99),
        us(s.mean)
    );
}

fn ratio(name: &str, http: &Stats, direct: &Stats) {
    println!(
        "{name:<22} p50 {:.2}x   mean {:.2}x",
        http.p50.as_secs_f64() / direct.p50.as_secs_f64(),
        http.mean.as_secs_f64() / direct.mean.as_secs_f64()
    );
}

/// Runs `ROUNDS` rounds (after `WARMUP`) of every case in turn, timing each call.
async fn alternate<F, Fut>(cases: usize, mut call: F) -> Vec<Stats>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut samples = vec![Vec::with_capacity(ROUNDS); cases];
    for round in 0..WARMUP + ROUNDS {
        for (case, samples) in samples.iter_mut().enumerate() {
            let started = Instant::now();
            call(case).await;
            let took = started.elapsed();
            if round >= WARMUP {
                samples.push(took);
            }
        }
    }
    samples.into_iter().map(stats).collect()
}

fn main() {
    let payload = testing::messages::encode(&BatchGenerator::new(7).event_batch(100));
    let event = HttpEvent::function_url(&payload).token(TOKEN).to_json();
    let gzip_event = HttpEvent::function_url(&payload)
        .token(TOKEN)
        .gzip()
        .to_json();
    println!(
        "100-event batch: {} bytes; as a function URL event: {} bytes ({} gzip, base64)",
        payload.len(),
        event.len(),
        gzip_event.len()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let dispatcher = testing::dispatcher(Noop);
        let token = HttpToken::new(TOKEN).expect("a valid token");
        let endpoint = Endpoint::new(dispatcher.clone(), Some(token.clone()));

        println!("in process:");
        let s = alternate(3, |case| {
            let (dispatcher, endpoint) = (&dispatcher, &endpoint);
            let (payload, event, gzip_event) = (&payload, &event, &gzip_event);
            async move {
                let invocation = InvocationBuilder::new().build();
                let ok = match case {
                    0 => dispatcher.handle(payload, invocation).await.is_ok(),
                    1 => endpoint.handle_event(event, invocation).await.is_ok(),
                    _ => endpoint.handle_event(gzip_event, invocation).await.is_ok(),
                };
                assert!(ok);
            }
        })
        .await;
        report("direct", &s[0]);
        report("http", &s[1]);
        report("http gzip", &s[2]);
        ratio("http / direct", &s[1], &s[0]);
        ratio("http gzip / direct", &s[2], &s[0]);

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
        let loop_task = tokio::spawn(async move {
            mparticle_firehose::lambda::serve_with(served, Options::new().http_token(token)).await
        });
        println!("through the runtime loop:");
        let s = alternate(2, |case| {
            let api = &api;
            let body = if case == 0 {
                payload.clone()
            } else {
                event.clone()
            };
            async move {
                let outcome = api.invoke(body).await.expect("an outcome");
                match outcome {
                    Outcome::Response(bytes) => {
                        // The HTTP answer is a proxy response with status 200.
                        assert!(case == 0 || bytes.starts_with(b"{\"statusCode\":200"));
                    }
                    other => panic!("{other:?}"),
                }
            }
        })
        .await;
        report("direct", &s[0]);
        report("http", &s[1]);
        ratio("http / direct", &s[1], &s[0]);
        loop_task.abort();
    });
}
