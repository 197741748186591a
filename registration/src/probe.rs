//! `firehose probe`: send a function what mParticle sends it, and check every answer.
//!
//! mParticle's registration tool sends a `module_registration_request` (without
//! `firehose_version`) before an integration is enabled; its monitoring then periodically sends
//! verification requests: an `event_processing_request` with no events and an
//! `audience_membership_change_request` with no `user_profiles`. The probe sends the same three,
//! in that order, checks each answer and prints the registration to hand to mParticle.
//!
//! Over HTTP (`--url`, a function URL), it sends what mParticle sends an HTTP endpoint: the
//! registration without a token, an event verification without the token and one with a wrong
//! token (both must be refused with 401), then the two verifications with `Authorization: Token`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::ArgGroup;

mod checks;
mod invoke;
mod report;
mod url;

use checks::{Call, Probe};
use invoke::{Answer, Target};

const AFTER_HELP: &str = "\
Sends, in order, what mParticle sends: the registration request (no firehose_version), an event
verification (no events) and an audience verification (no user_profiles). Checks that each answer
is the paired response type with a UUID id, timestamp_ms and firehose_version, that the audience
answer has suspend_subscription false, and that the registration decodes and passes validation
(each violation named). Warns when the verification calls average above 200 ms.

With --url (a function URL such as `cargo lambda watch`'s
http://127.0.0.1:9000/lambda-url/NAME/), POSTs as mParticle does to an HTTP endpoint: the
registration without a token, an event verification without the token and one with a wrong token
(each must be answered 401), then both verifications with `Authorization: Token <token>`. The
token is --token, else the FIREHOSE_HTTP_TOKEN environment variable (which keeps it out of `ps`).

Prints one line per check, then the registration to hand to mParticle.
Exit status: 0 all checks hold, 1 a check failed (function errors and functions that never answer
included), 2 usage error or the function cannot be reached.";

/// Arguments of `firehose probe`.
///
/// Exit status: 0 when every check holds (latency warnings do not fail), 1 when a check failed
/// (including a function error or a function that never answers), 2 for usage errors and when
/// the function cannot be reached at all. The report goes to standard output, diagnostics to
/// standard error.
#[derive(clap::Args)]
#[command(group(ArgGroup::new("target").required(true).args(["invoke_url", "function_arn", "url"])))]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Invoke the function through a Lambda Invoke API at this URL, unsigned, as served by
    /// `cargo lambda watch`:
    /// `http://127.0.0.1:9000/2015-03-31/functions/NAME/invocations`.
    #[arg(long, value_name = "URL")]
    invoke_url: Option<String>,
    /// Invoke a deployed function (the alias ARN that mParticle invokes) through the `aws` CLI,
    /// which must be on PATH; its usual configuration applies (credentials, AWS_ENDPOINT_URL).
    #[arg(long, value_name = "ARN")]
    function_arn: Option<String>,
    /// POST to an HTTP endpoint serving Firehose messages, as mParticle does: a Lambda function
    /// URL (`https://ID.lambda-url.REGION.on.aws/`), or `cargo lambda watch`'s
    /// `http://127.0.0.1:9000/lambda-url/NAME/`.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// The token for `--url` (sent as `Authorization: Token <token>`); default: the
    /// `FIREHOSE_HTTP_TOKEN` environment variable.
    #[arg(long, value_name = "TOKEN", requires = "url")]
    token: Option<String>,
    /// AWS region for `--function-arn` (passed to the aws CLI).
    #[arg(long, value_name = "REGION", requires = "function_arn")]
    region: Option<String>,
    /// AWS CLI profile for `--function-arn`.
    #[arg(long, value_name = "PROFILE", requires = "function_arn")]
    profile: Option<String>,
    /// The mParticle account id carried by the verification requests.
    #[arg(long, value_name = "ID", default_value_t = 1)]
    account_id: i32,
    /// How long to wait for each answer, in seconds (the first call may include a cold start).
    #[arg(long, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=900))]
    timeout: u64,
    /// Print one JSON object instead of the human report: `target`, `passed`, `checks` (each
    /// with `call`, `check`, `status` ok|warn|fail|skipped and `detail`), `latency_ms`,
    /// `registration` (the function's answer, or null) and `registration_valid`.
    #[arg(long)]
    json: bool,
    /// Also write the registration (pretty JSON) to this file, when it passed every check.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Runs the probe: 0 when everything holds, 1 when a check failed, 2 for transport errors.
pub fn run(args: Args) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(probe(args))
}

async fn probe(args: Args) -> ExitCode {
    let timeout = Duration::from_secs(args.timeout);
    if let Some(url) = &args.url {
        let Some(token) = args
            .token
            .clone()
            .or_else(|| std::env::var("FIREHOSE_HTTP_TOKEN").ok())
        else {
            eprintln!(
                "error: --url needs the token: --token, or FIREHOSE_HTTP_TOKEN in the environment"
            );
            return ExitCode::from(2);
        };
        let target = match url::UrlTarget::new(url, token, timeout) {
            Ok(target) => target,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        let mut probe = Probe::new(target.describe(), None);
        for call in Call::OVER_HTTP {
            let authorization = match call {
                Call::Registration => url::Authorization::Without,
                Call::WithoutToken => url::Authorization::Without,
                Call::WrongToken => url::Authorization::Wrong,
                Call::EventVerification | Call::AudienceVerification => url::Authorization::Token,
            };
            let invoked = match target
                .send(&call.request(args.account_id), authorization)
                .await
            {
                Ok(invoked) => invoked,
                Err(e) => {
                    eprintln!("error: {}: {e}", call.label());
                    return ExitCode::from(2);
                }
            };
            let answered = !matches!(invoked.answer, Answer::Silent(_));
            if matches!(call, Call::WithoutToken | Call::WrongToken) {
                probe.record_refusal(call, invoked);
            } else {
                probe.record(call, invoked);
            }
            if !answered {
                probe.skip_rest(&Call::OVER_HTTP, call);
                break;
            }
        }
        return finish(probe, &args);
    }
    let target = match (&args.invoke_url, &args.function_arn) {
        (Some(url), _) => Target::http(url, timeout),
        (None, Some(arn)) => {
            Target::aws_cli(arn, args.region.clone(), args.profile.clone(), timeout).await
        }
        // clap requires exactly one of the three.
        (None, None) => Err("give --invoke-url, --function-arn or --url".to_owned()),
    };
    let target = match target {
        Ok(target) => target,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };

    let mut probe = Probe::new(target.describe(), target.latency_note());
    for call in Call::ALL {
        let payload = call.request(args.account_id);
        let invoked = match target.invoke(&payload).await {
            Ok(invoked) => invoked,
            Err(e) => {
                eprintln!("error: {}: {e}", call.label());
                return ExitCode::from(2);
            }
        };
        let answered = !matches!(invoked.answer, Answer::Silent(_));
        probe.record(call, invoked);
        if !answered {
            // Every further call would wait as long again for a function that does not answer.
            probe.skip_rest(&Call::ALL, call);
            break;
        }
    }
    finish(probe, &args)
}

/// Reports what the probe found, writes the registration if asked, and picks the exit status.
fn finish(mut probe: Probe, args: &Args) -> ExitCode {
    probe.finish();

    let stdout = if args.json {
        report::json(&probe)
    } else {
        report::human(&probe)
    };
    let mut out = std::io::stdout().lock();
    if out
        .write_all(stdout.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        return ExitCode::from(2);
    }

    if let Some(path) = &args.output {
        match probe.valid_registration() {
            Some(registration) => {
                if let Err(e) = std::fs::write(path, report::reindent(registration) + "\n") {
                    eprintln!("error: cannot write {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
            None => eprintln!(
                "note: {} not written: there is no registration that passed every check",
                path.display()
            ),
        }
    }
    if probe.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
