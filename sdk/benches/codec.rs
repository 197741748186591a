//! Codec throughput on realistic event batches: typed decode against untyped
//! `serde_json::Value` parsing of the same bytes, and typed encode.
//!
//! `cargo bench -p mparticle-firehose` (about half a minute). The goal is a typed decode at
//! least as fast as parsing into a `Value`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mparticle_firehose::Message;
use mparticle_firehose::testing::generate::BatchGenerator;

fn codec(c: &mut Criterion) {
    let mut group = c.benchmark_group("codec");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for n_events in [100, 1_000] {
        let bytes = BatchGenerator::new(42)
            .event_batch(n_events)
            .encode()
            .expect("a generated batch encodes");
        let message = Message::decode(&bytes).expect("a generated batch decodes");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("typed_decode", n_events),
            &bytes,
            |b, bytes| b.iter(|| Message::decode(black_box(bytes)).unwrap()),
        );
        group.bench_with_input(
            BenchmarkId::new("value_parse", n_events),
            &bytes,
            |b, bytes| {
                b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(bytes)).unwrap());
            },
        );
        group.bench_with_input(
            BenchmarkId::new("typed_encode", n_events),
            &message,
            |b, message| b.iter(|| black_box(message).encode().unwrap()),
        );
    }
    group.finish();
}

criterion_group!(benches, codec);
criterion_main!(benches);
