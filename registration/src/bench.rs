//! `firehose bench`: codec throughput on the same bytes, typed against untyped.
//!
//! For each input it times, in interleaved rounds after a warm-up, five operations and prints
//! the median throughput of each:
//!
//! * `decode`: the typed decode (`Message::decode`);
//! * `value_parse`: parsing into a `serde_json::Value`;
//! * `scan`: serde_json validating the same bytes into `IgnoredAny`, which builds nothing: the
//!   floor for any typed decoder on the same parser;
//! * `encode`: the typed encode (`Message::encode`), per byte written;
//! * `roundtrip`: decode then encode, per input byte (what an invocation costs the SDK's codec).
//!
//! `--json` prints the same figures as one JSON document:
//!
//! ```text
//! {"unit":"MB/s","mb":1000000,"rounds":7,"inputs":[
//!   {"label":"generated event batch, 100 events","bytes":32571,"events":100,"iterations":120,
//!    "decode_mb_s":..,"value_parse_mb_s":..,"scan_mb_s":..,"encode_mb_s":..,"roundtrip_mb_s":..,
//!    "decode_to_scan":..,"roundtrip_to_scan":..,"roundtrip_cpu_s_per_million_events":..}]}
//! ```
//!
//! There is one element of `inputs` per input, also for a single FILE; `events` and
//! `roundtrip_cpu_s_per_million_events` are `null` for a message that is not an event batch.

use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use mparticle_firehose::Message;
use mparticle_firehose::model::MessageBody;
use mparticle_firehose::testing::generate::BatchGenerator;
use mparticle_firehose::testing::realistic::{RealisticBatch, Storefront};
use serde::de::IgnoredAny;

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
    /// Also measure realistic retail batches written as mParticle writes them (an iOS app and a
    /// web shop, 100 and 1,000 events each); only without FILE.
    #[arg(long, conflicts_with = "file")]
    realistic: bool,
    /// Print the figures as one JSON document (`{"inputs":[...]}`, see the module docs).
    #[arg(long)]
    json: bool,
    /// Also write each input to DIR (one `.json` file per input, named after its label), to
    /// profile the same bytes or to feed them to other tools.
    #[arg(long, value_name = "DIR")]
    save_inputs: Option<PathBuf>,
    /// Run only OP (decode, value, scan, encode or roundtrip) on each input, `--iterations`
    /// times, untimed and silent: for instruction counters such as `valgrind --tool=callgrind`
    /// (the difference between two iteration counts is the cost of the extra iterations).
    #[arg(long, value_name = "OP", requires = "iterations", value_parser = ["decode", "value", "scan", "encode", "roundtrip"])]
    repeat_only: Option<String>,
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
            if args.realistic {
                for (storefront, name) in [
                    (Storefront::IosApp, "iOS app"),
                    (Storefront::WebShop, "web shop"),
                ] {
                    for n in [100, 1_000] {
                        inputs.push(Input {
                            label: format!("realistic {name} batch, {n} events"),
                            bytes: RealisticBatch::new(SEED, storefront).event_batch(n),
                        });
                    }
                }
            }
            inputs
        }
    };
    if let Some(dir) = &args.save_inputs
        && let Err(e) = save(dir, &inputs)
    {
        eprintln!("error: cannot save the inputs to {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    if cfg!(debug_assertions) {
        eprintln!("note: debug build; build with --release for meaningful figures");
    }
    let mut reports = Vec::with_capacity(inputs.len());
    for input in &inputs {
        if let (Some(op), Budget::Iterations(n)) = (&args.repeat_only, budget) {
            if let Err(code) = repeat_only(input, op, n) {
                return code;
            }
            continue;
        }
        match bench_one(input, budget) {
            Ok(figures) => {
                if !args.json {
                    print_human(input, &figures);
                }
                reports.push(json_report(input, &figures));
            }
            Err(code) => return code,
        }
    }
    if args.repeat_only.is_some() {
        return ExitCode::SUCCESS;
    }
    if args.json {
        let document = serde_json::json!({
            "unit": "MB/s",
            "mb": 1_000_000,
            "rounds": ROUNDS,
            "inputs": reports,
        });
        println!("{document}");
    }
    ExitCode::SUCCESS
}

/// Writes each input to `dir/<label>.json`, the label made file-name safe.
fn save(dir: &std::path::Path, inputs: &[Input]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for input in inputs {
        let name: String = input
            .label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect::<String>()
            .split('-')
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        std::fs::write(dir.join(format!("{name}.json")), &input.bytes)?;
    }
    Ok(())
}

/// Medians of one input, in MB/s (10^6 bytes per second).
struct Figures {
    decode: f64,
    value: f64,
    scan: f64,
    encode: f64,
    roundtrip: f64,
    iterations: u32,
    /// The number of events, for an event batch.
    events: Option<usize>,
}

impl Figures {
    /// CPU seconds for decoding and encoding a million events, at the measured roundtrip rate.
    fn roundtrip_s_per_million_events(&self, bytes: usize) -> Option<f64> {
        let events = self.events.filter(|&n| n > 0)?;
        let seconds_per_batch = bytes as f64 / (self.roundtrip * 1e6);
        Some(seconds_per_batch / events as f64 * 1e6)
    }
}

/// Runs one operation `n` times on `input`, for an instruction counter.
fn repeat_only(input: &Input, op: &str, n: u32) -> Result<(), ExitCode> {
    let bytes = input.bytes.as_slice();
    let message = Message::decode(bytes).map_err(|e| {
        eprintln!("error: {}: {e}", input.label);
        ExitCode::from(1)
    })?;
    for _ in 0..n {
        match op {
            "decode" => drop(black_box(Message::decode(black_box(bytes)).ok())),
            "value" => drop(black_box(
                serde_json::from_slice::<serde_json::Value>(black_box(bytes)).ok(),
            )),
            "scan" => drop(black_box(
                serde_json::from_slice::<IgnoredAny>(black_box(bytes)).ok(),
            )),
            "encode" => drop(black_box(black_box(&message).encode().ok())),
            _ => {
                let decoded = Message::decode(black_box(bytes)).ok();
                drop(black_box(decoded.and_then(|m| m.encode().ok())));
            }
        }
    }
    Ok(())
}

fn bench_one(input: &Input, budget: Budget) -> Result<Figures, ExitCode> {
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
    let mut scan = || {
        black_box(serde_json::from_slice::<IgnoredAny>(black_box(bytes)).ok());
    };
    let mut encode = || {
        black_box(black_box(&message).encode().ok());
    };
    let mut roundtrip = || {
        let decoded = Message::decode(black_box(bytes)).ok();
        black_box(decoded.and_then(|m| m.encode().ok()));
    };
    let [decode, value, scan, encode, roundtrip] = measure(
        budget,
        [
            (&mut decode as &mut dyn FnMut(), bytes.len()),
            (&mut value, bytes.len()),
            (&mut scan, bytes.len()),
            (&mut encode, encoded_len),
            (&mut roundtrip, bytes.len()),
        ],
    );
    let events = match &message.body {
        MessageBody::EventProcessingRequest(request) => Some(request.events.len()),
        _ => None,
    };
    Ok(Figures {
        decode: decode.0,
        value: value.0,
        scan: scan.0,
        encode: encode.0,
        roundtrip: roundtrip.0,
        iterations: decode.1,
        events,
    })
}

fn print_human(input: &Input, figures: &Figures) {
    println!("{} ({} bytes)", input.label, input.bytes.len());
    println!("  typed decode:  {} MB/s", rate(figures.decode));
    println!("  Value parse:   {} MB/s", rate(figures.value));
    println!(
        "  ratio:         {:>9.2}   (typed decode / Value parse)",
        figures.decode / figures.value
    );
    println!("  encode:        {} MB/s", rate(figures.encode));
    println!(
        "  scan floor:    {} MB/s   (serde_json into IgnoredAny)",
        rate(figures.scan)
    );
    println!(
        "  decode/scan:   {:>9.2}   (typed decode / scan floor)",
        figures.decode / figures.scan
    );
    println!(
        "  roundtrip:     {} MB/s   (decode then encode, per input byte)",
        rate(figures.roundtrip)
    );
    println!(
        "  roundtrip/scan:{:>9.2}   (roundtrip / scan floor)",
        figures.roundtrip / figures.scan
    );
    if let Some(s) = figures.roundtrip_s_per_million_events(input.bytes.len()) {
        println!("  CPU time:      {s:>9.2} s per million events (roundtrip)");
    }
    println!(
        "  median of {ROUNDS} rounds of {} iterations; MB = 10^6 bytes",
        figures.iterations
    );
}

/// Formats a throughput with at least three significant digits, so that the printed ratios
/// can be recomputed from the printed figures even for slow (debug) builds.
fn rate(mb_s: f64) -> String {
    let places = if mb_s >= 100.0 {
        1
    } else if mb_s >= 10.0 {
        2
    } else {
        3
    };
    format!("{mb_s:>9.places$}")
}

fn json_report(input: &Input, figures: &Figures) -> serde_json::Value {
    let round = |x: f64, places: i32| {
        let scale = 10f64.powi(places);
        (x * scale).round() / scale
    };
    serde_json::json!({
        "label": input.label,
        "bytes": input.bytes.len(),
        "events": figures.events,
        "iterations": figures.iterations,
        "decode_mb_s": round(figures.decode, 1),
        "value_parse_mb_s": round(figures.value, 1),
        "scan_mb_s": round(figures.scan, 1),
        "encode_mb_s": round(figures.encode, 1),
        "roundtrip_mb_s": round(figures.roundtrip, 1),
        "decode_to_scan": round(figures.decode / figures.scan, 3),
        "roundtrip_to_scan": round(figures.roundtrip / figures.scan, 3),
        "roundtrip_cpu_s_per_million_events": figures
            .roundtrip_s_per_million_events(input.bytes.len())
            .map(|s| round(s, 3)),
    })
}

/// Warms up, then times `ROUNDS` rounds in which each operation runs the same number of
/// iterations, interleaved so that drifts of the machine affect them alike. Returns each
/// operation's median rate and the iterations per round.
fn measure<const N: usize>(
    budget: Budget,
    mut ops: [(&mut dyn FnMut(), usize); N],
) -> [(f64, u32); N] {
    let iterations = match budget {
        Budget::Iterations(n) => {
            for (op, _) in ops.iter_mut() {
                run_timed(*op, n);
            }
            n
        }
        Budget::Seconds(seconds) => {
            // A tenth of the budget warms up and estimates the cost of one iteration of all
            // the operations together; the rest is split into the rounds.
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
    let mut rates: [Vec<f64>; N] = std::array::from_fn(|_| Vec::with_capacity(ROUNDS));
    for _ in 0..ROUNDS {
        for ((op, len), rates) in ops.iter_mut().zip(rates.iter_mut()) {
            let elapsed = run_timed(*op, iterations).as_secs_f64().max(1e-9);
            rates.push(*len as f64 * f64::from(iterations) / elapsed / 1e6);
        }
    }
    rates.map(|r| (median(r), iterations))
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
