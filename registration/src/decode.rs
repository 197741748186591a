//! `firehose decode`: decode one message and print its canonical re-encoding.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use mparticle_firehose::Message;

/// Arguments of `firehose decode`.
#[derive(clap::Args)]
pub struct Args {
    /// Pretty-print the output instead of writing compact JSON (the wire form).
    #[arg(long)]
    pretty: bool,
    /// The message file; `-` or nothing reads standard input.
    file: Option<PathBuf>,
}

/// Exit status 0 on success, 1 when the message does not decode, 2 when it cannot be read.
pub fn run(args: Args) -> ExitCode {
    let bytes = match crate::input::read(args.file.as_deref()) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: cannot read the message: {e}");
            return ExitCode::from(2);
        }
    };
    let message = match Message::decode(&bytes) {
        Ok(message) => message,
        Err(e) => {
            eprintln!("error: {}", e.kind());
            eprintln!("  path: {}", e.path());
            eprintln!("  reason: {}", e.reason());
            return ExitCode::from(1);
        }
    };
    // List elements that did not decode are kept (and written back as they came); say so.
    for element in message.invalid_elements() {
        eprintln!(
            "warning: kept an invalid element at {}: {} at {}",
            element.path(),
            element.kind(),
            element.error().path()
        );
    }
    let encoded = if args.pretty {
        serde_json::to_string_pretty(&message)
    } else {
        serde_json::to_string(&message)
    };
    match encoded {
        Ok(text) => {
            let mut out = std::io::stdout().lock();
            if writeln!(out, "{text}").is_err() {
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot encode the message: {e}");
            ExitCode::from(2)
        }
    }
}
