//! `firehose bench`: codec throughput on the same bytes, typed against untyped.
//!
//! For each input it times, in interleaved rounds after a warm-up, the typed decode
//! (`Message::decode`), parsing into a `serde_json::Value`, and the typed encode
//! (`Message::encode`), and prints the median throughput of each, with the typed/Value ratio.

use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use mparticle_firehose::Message;
use mparticle_firehose::testing::generate::BatchGenerator;

/// Timed rounds per operation; the median is reported.
const ROUNDS: usize = 7;
/// Time budget per input when neither `--iterations` nor `--seconds` is given.
const DEFAULT_SECONDS: f64 = 2.0;
/// Seed of the generated batches, so that runs compare the same bytes.
const SEED: u64 = 42;

/// Arguments of `firehose bench`.
#[derive(clap::Args)]
pub struct Args {
    /// A message file (`-` reads standard input); without it, generated event batches of 100
    /// and 1,000 events.
    file: Option<PathBuf>,
    /// Iterations of each operation per timed round (the warm-up runs as many).
    #[arg(long, value_name = "N", conflicts_with = "seconds", value_parser = clap::value_parser!(u32).range(1..))]
    iterations: Option<u32>,
    /// Time budget per input, in seconds [default: 2].
    #[arg(long, value_name = "S", value_parser = positive_seconds)]
    seconds: Option<f64>,
}

fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 => Ok(s),
        _ => Err(format!("{text:?} is not a positive number of seconds")),
    }
}

/// How long to measure each input.
#[derive(Clone, Copy)]
enum Budget {
    Iterations(u32),
    Seconds(f64),
}

/// One input: a label and its bytes.
struct Input {
    label: String,
    bytes: Vec<u8>,
}

/// Exit status 0 on success, 1 when an input is not a valid message, 2 when it cannot be read.
pub fn run(args: Args) -> ExitCode {
    let budget = match (args.iterations, args.seconds) {
        (Some(n), _) => Budget::Iterations(n),
        (None, Some(s)) => Budget::Seconds(s),
        (None, None) => Budget::Seconds(DEFAULT_SECONDS),
    };
    let inputs = match &args.file {
        Some(path) => match crate::input::read(Some(path)) {
            Ok(bytes) => vec![Input {
                label: path.display().to_string(),
                bytes,
            }],
            Err(e) => {
                eprintln!("error: cannot read the message: {e}");
                return ExitCode::from(2);
            }
        },
        None => {
            let mut generator = BatchGenerator::new(SEED);
            let mut inputs = Vec::new();
            for n in [100, 1_000] {
                match generator.event_batch(n).encode() {
                    Ok(bytes) => inputs.push(Input {
                        label: format!("generated event batch, {n} events"),
                        bytes,
                    }),
                    Err(e) => {
                        eprintln!("error: cannot encode the generated batch: {e}");
                        return ExitCode::from(2);
                    }
                }
            }
            inputs
        }
    };
    if cfg!(debug_assertions) {
        eprintln!("note: debug build; build with --release for meaningful figures");
    }
    for input in &inputs {
        if let Err(code) = bench_one(input, budget) {
            return code;
        }
    }
    ExitCode::SUCCESS
}

/// Medians of one input, in MB/s (10^6 bytes per second).
struct Figures {
    decode: f64,
    value: f64,
    encode: f64,
    iterations: u32,
}

fn bench_one(input: &Input, budget: Budget) -> Result<(), ExitCode> {
    let bytes = input.bytes.as_slice();
    let message = Message::decode(bytes).map_err(|e| {
        eprintln!("error: {}: {}", input.label, e.kind());
        eprintln!("  path: {}", e.path());
        eprintln!("  reason: {}", e.reason());
        ExitCode::from(1)
    })?;
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(bytes) {
        eprintln!("error: {}: not JSON: {e}", input.label);
        return Err(ExitCode::from(1));
    }
    let encoded_len = match message.encode() {
        Ok(encoded) => encoded.len(),
        Err(e) => {
            eprintln!("error: {}: {e}", input.label);
            return Err(ExitCode::from(1));
        }
    };

    let mut decode = || {
        black_box(Message::decode(black_box(bytes)).ok());
    };
    let mut value = || {
        black_box(serde_json::from_slice::<serde_json::Value>(black_box(bytes)).ok());
    };
    let mut encode = || {
        black_box(black_box(&message).encode().ok());
    };
    let figures = measure(
        budget,
        [
            (&mut decode as &mut dyn FnMut(), bytes.len()),
            (&mut value, bytes.len()),
            (&mut encode, encoded_len),
        ],
    );

    println!("{} ({} bytes)", input.label, bytes.len());
    println!("  typed decode:  {:>9.1} MB/s", figures.decode);
    println!("  Value parse:   {:>9.1} MB/s", figures.value);
    println!(
        "  ratio:         {:>9.2}   (typed decode / Value parse)",
        figures.decode / figures.value
    );
    println!("  encode:        {:>9.1} MB/s", figures.encode);
    println!(
        "  median of {ROUNDS} rounds of {} iterations; MB = 10^6 bytes",
        figures.iterations
    );
    Ok(())
}

/// Warms up, then times `ROUNDS` rounds in which each operation runs the same number of
/// iterations, interleaved so that drifts of the machine affect them alike.
fn measure(budget: Budget, mut ops: [(&mut dyn FnMut(), usize); 3]) -> Figures {
    let iterations = match budget {
        Budget::Iterations(n) => {
            for (op, _) in ops.iter_mut() {
                run_timed(*op, n);
            }
            n
        }
        Budget::Seconds(seconds) => {
            // A tenth of the budget warms up and estimates the cost of one iteration of all
            // three operations together; the rest is split into the rounds.
            let warm_up = Duration::from_secs_f64(seconds / 10.0);
            let start = Instant::now();
            let mut done = 0u32;
            while done == 0 || start.elapsed() < warm_up {
                for (op, _) in ops.iter_mut() {
                    op();
                }
                done += 1;
            }
            let per_iteration = start.elapsed().as_secs_f64() / f64::from(done);
            let per_round = seconds * 0.9 / ROUNDS as f64;
            (per_round / per_iteration).clamp(1.0, f64::from(u32::MAX)) as u32
        }
    };
    let mut rates: [Vec<f64>; 3] = Default::default();
    for _ in 0..ROUNDS {
        for ((op, len), rates) in ops.iter_mut().zip(rates.iter_mut()) {
            let elapsed = run_timed(*op, iterations).as_secs_f64().max(1e-9);
            rates.push(*len as f64 * f64::from(iterations) / elapsed / 1e6);
        }
    }
    let [decode, value, encode] = rates.map(median);
    Figures {
        decode,
        value,
        encode,
        iterations,
    }
}

fn run_timed(op: &mut dyn FnMut(), iterations: u32) -> Duration {
    let start = Instant::now();
    for _ in 0..iterations {
        op();
    }
    start.elapsed()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn seconds_must_be_positive() {
        assert_eq!(positive_seconds("0.5"), Ok(0.5));
        assert!(positive_seconds("0").is_err());
        assert!(positive_seconds("-1").is_err());
        assert!(positive_seconds("inf").is_err());
        assert!(positive_seconds("x").is_err());
    }
}
