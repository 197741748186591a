//! `firehose`: decode, probe, simulate and benchmark mParticle Firehose integrations.
#![warn(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench;
mod decode;
mod input;
mod probe;
mod simulate;

/// Tools for mParticle Firehose integrations built with the Rust SDK.
#[derive(Parser)]
#[command(name = "firehose", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode one message and print its canonical re-encoding.
    Decode(decode::Args),
    /// Measure codec throughput: typed decode against `serde_json::Value`, and encode.
    Bench(bench::Args),
    /// Send a function what mParticle sends it (registration, verifications); check the answers.
    Probe(probe::Args),
    /// Act as mParticle against an integration, with a stub partner API, and report what arrived.
    Simulate(simulate::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode(args) => decode::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Probe(args) => probe::run(args),
    }
}
