//! The summary of a run: figures, the human table and the JSON object.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use example_integration::stub::Accepted;
use serde::Serialize;
use uuid::Uuid;

use super::sender::{Calls, Policy, Sent};
use super::stub::{self, FaultRates, Record, Tally};

/// What `firehose simulate --help` explains after the options.
pub const LONG_HELP: &str = "\
What it does:
  Acts as mParticle: the registration probe, the event and audience verification requests,
  then the event batches (one customer account; mixed event types, identities, platforms,
  consent) and audience membership changes, keeping the event types, platforms and
  notifications the integration registered for. Each message is one invocation of the
  integration's Lambda handler, with a deadline of --timeout.

  By default the example integration runs in this process, in --concurrency execution
  environments that each build their own ExampleIntegration (own HTTP client, rate limiter of
  quota / concurrency per second, back-off memory), as on Lambda; an environment whose
  invocation times out is rebuilt (a cold start). With --invoke-url, the messages go to a Lambda
  Invoke API instead (200: response; 500 or X-Amz-Function-Error: function error; 429:
  throttle).

mParticle's retries (scaled for a local run):
  A function error, a timeout or a throttle is retried after a jittered exponential back-off:
  the wait before retry n is uniform between half and all of
  min(--backoff-cap-ms, --backoff-base-ms * 2^(n-1)) (100 ms, 200 ms, ... capped at 2 s).
  A message still failing after --max-retries retries is lost. mParticle sees only the error
  type, never a Retry-After.

The stub partner API (example-integration/API.md) on 127.0.0.1:
  Beyond --quota requests in the current second: 429 with Retry-After: 1. Otherwise, at the
  --fault-rate split evenly (or the finer --fault-* flags): 429 with Retry-After: 1; 503; a slow
  answer (the data is accepted, the answer comes after --slow, past the client's timeout, so a
  retry duplicates it); a connection closed without an answer. Every accepted event is recorded
  by event_id, duplicates counted, and every request is timed.

The summary:
  events_sent: events of registered types the partner should receive (users who opted out of
  data sale under CCPA are counted apart, as events_withheld); events_accepted: those the stub
  accepted; lost: sent but never accepted. max_rate_per_s: the most partner requests (refused
  ones included) in any 1 s window. Each environment's limiter grants at most
  burst + 1 s / interval permits in a second, and the arrival jitter at a window's edges can add
  one request per environment, so the rate stays within quota + burst_allowance_per_s,
  concurrency * (max(1, quota / concurrency / 10) + 1) (the SDK's default burst is a tenth of
  the rate). latency_*: invocation latency as mParticle sees it. sdk_overhead_*: the handler's
  time not spent waiting on the partner API, from a calibration pass after the run (in process
  only): sequential invocations of a fresh environment without rate limit against a stub
  without faults, each measured as handler time minus the time the stub spent serving that
  invocation's requests (the loopback transfer counts as overhead);
  verification_p50_ms: requests the SDK answers without the partner.

Exit status: 0 when nothing was lost, 1 when events, memberships or messages were lost, 2
when the run could not be set up.";

/// The calibration pass's measurements.
#[derive(Debug, Default)]
pub struct Overhead {
    /// Per message: handler time minus partner time, in microseconds.
    pub batch_us: Vec<u64>,
    /// Handler time of verification requests, in microseconds.
    pub verification_us: Vec<u64>,
}

/// Everything a summary is made from.
pub struct Inputs {
    pub target: String,
    pub integration: String,
    pub stub_url: String,
    pub concurrency: u32,
    pub seed: u64,
    pub quota: u32,
    pub per_environment: u32,
    pub faults: FaultRates,
    pub policy: Policy,
    pub rate: Option<f64>,
    pub sent: Sent,
    pub calls: Calls,
    pub record: Record,
    pub accepted: Accepted,
    pub latencies_us: Vec<u64>,
    pub verification_us: Vec<u64>,
    pub overhead: Option<Overhead>,
    pub duration: Duration,
}

/// The stub's answers, by kind.
#[derive(Debug, Serialize)]
pub struct StubAnswers {
    ok: u64,
    over_quota_429: u64,
    fault_429: u64,
    fault_5xx: u64,
    fault_slow: u64,
    fault_reset: u64,
    rejected_400: u64,
    rejected_401: u64,
    not_found: u64,
    first_rejection: Option<String>,
}

/// The summary of a run.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// Whether nothing was lost.
    pub ok: bool,
    target: String,
    integration: String,
    stub_url: String,
    concurrency: u32,
    seed: u64,
    arrival_rate_per_s: Option<f64>,
    timeout_ms: u128,
    max_retries: u32,
    backoff_base_ms: u128,
    backoff_cap_ms: u128,
    fault_rate: f64,
    batches: usize,
    audience_changes: usize,
    messages: usize,
    invocations: u64,
    retries: u64,
    throttles: u64,
    timeouts: u64,
    cold_starts: u64,
    function_errors: BTreeMap<String, u64>,
    first_error: Option<String>,
    lost_messages: u64,
    suspensions: u64,
    unexpected_answers: u64,
    events_sent: usize,
    events_accepted: usize,
    lost: usize,
    duplicates: u64,
    events_withheld: usize,
    withheld_forwarded: usize,
    memberships_sent: usize,
    memberships_accepted: usize,
    memberships_lost: usize,
    partner_requests: usize,
    max_rate_per_s: usize,
    quota_per_s: u32,
    rate_limit_per_environment: u32,
    burst_allowance_per_s: u32,
    stub: StubAnswers,
    latency_p50_ms: f64,
    latency_p99_ms: f64,
    latency_max_ms: f64,
    verification_p50_ms: Option<f64>,
    sdk_overhead_p50_ms: Option<f64>,
    sdk_overhead_p99_ms: Option<f64>,
    sdk_overhead_method: &'static str,
    duration_s: f64,
}

/// The `q` quantile (0 to 1) of `values`, in milliseconds; 0 when there are none.
pub(super) fn quantile_ms(values: &[u64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    round3(sorted[rank - 1] as f64 / 1_000.0)
}

fn round3(x: f64) -> f64 {
    (x * 1_000.0).round() / 1_000.0
}

const OVERHEAD_METHOD: &str = "handler time minus the time the stub spent serving the \
    handler's requests, over sequential invocations of a fresh in-process environment without \
    rate limit against a stub without faults";
const OVERHEAD_UNAVAILABLE: &str = "not measured: with --invoke-url only verification requests \
    (answered by the SDK without the partner) are timed, sequentially after the run, the Invoke \
    API's round trip included";

impl Summary {
    /// Computes the figures.
    pub fn new(inputs: Inputs) -> Self {
        let Inputs {
            record,
            accepted: acme,
            overhead,
            ..
        } = &inputs;
        let accepted = |id: &Uuid| acme.events.contains_key(id);
        let events_accepted = inputs
            .sent
            .expected
            .iter()
            .filter(|id| accepted(id))
            .count();
        let lost = inputs.sent.expected.len() - events_accepted;
        let duplicates = acme
            .events
            .values()
            .map(|n| u64::from(n.saturating_sub(1)))
            .sum();
        let withheld_forwarded = inputs
            .sent
            .withheld
            .iter()
            .filter(|id| accepted(id))
            .count();
        let memberships_accepted = acme.memberships.len();
        let memberships_lost = inputs.sent.memberships.saturating_sub(memberships_accepted);
        let burst = (inputs.per_environment / 10).max(1);
        let Tally {
            ok,
            over_quota,
            fault_too_many_requests,
            fault_unavailable,
            fault_slow,
            fault_reset,
            bad_request,
            unauthorized,
            not_found,
        } = record.tally.clone();
        let verification_us = match overhead {
            Some(o) if !o.verification_us.is_empty() => &o.verification_us,
            _ => &inputs.verification_us,
        };
        let batch_us = overhead
            .as_ref()
            .map(|o| &o.batch_us[..])
            .filter(|b| !b.is_empty());
        let policy = &inputs.policy;
        Self {
            ok: lost == 0 && inputs.calls.lost_messages == 0 && memberships_lost == 0,
            target: inputs.target.clone(),
            integration: inputs.integration.clone(),
            stub_url: inputs.stub_url.clone(),
            concurrency: inputs.concurrency,
            seed: inputs.seed,
            arrival_rate_per_s: inputs.rate,
            timeout_ms: policy.timeout.as_millis(),
            max_retries: policy.max_retries,
            backoff_base_ms: policy.backoff_base.as_millis(),
            backoff_cap_ms: policy.backoff_cap.as_millis(),
            fault_rate: round3(inputs.faults.total()),
            batches: inputs.sent.batches,
            audience_changes: inputs.sent.audience_changes,
            messages: inputs.sent.batches + inputs.sent.audience_changes,
            invocations: inputs.calls.invocations,
            retries: inputs.calls.retries,
            throttles: inputs.calls.throttles,
            timeouts: inputs.calls.timeouts,
            cold_starts: inputs.calls.cold_starts,
            function_errors: inputs.calls.function_errors.clone(),
            first_error: inputs.calls.first_error.clone(),
            lost_messages: inputs.calls.lost_messages,
            suspensions: inputs.sent.suspensions,
            unexpected_answers: inputs.sent.odd_answers,
            events_sent: inputs.sent.expected.len(),
            events_accepted,
            lost,
            duplicates,
            events_withheld: inputs.sent.withheld.len(),
            withheld_forwarded,
            memberships_sent: inputs.sent.memberships,
            memberships_accepted,
            memberships_lost,
            partner_requests: record.arrivals_us.len(),
            max_rate_per_s: stub::max_per_second(&record.arrivals_us),
            quota_per_s: inputs.quota,
            rate_limit_per_environment: inputs.per_environment,
            burst_allowance_per_s: inputs.concurrency * (burst + 1),
            stub: StubAnswers {
                ok,
                over_quota_429: over_quota,
                fault_429: fault_too_many_requests,
                fault_5xx: fault_unavailable,
                fault_slow,
                fault_reset,
                rejected_400: bad_request,
                rejected_401: unauthorized,
                not_found,
                first_rejection: acme.first_rejection.clone(),
            },
            latency_p50_ms: quantile_ms(&inputs.latencies_us, 0.50),
            latency_p99_ms: quantile_ms(&inputs.latencies_us, 0.99),
            latency_max_ms: quantile_ms(&inputs.latencies_us, 1.0),
            verification_p50_ms: (!verification_us.is_empty())
                .then(|| quantile_ms(verification_us, 0.5)),
            sdk_overhead_p50_ms: batch_us.map(|b| quantile_ms(b, 0.5)),
            sdk_overhead_p99_ms: batch_us.map(|b| quantile_ms(b, 0.99)),
            sdk_overhead_method: if batch_us.is_some() {
                OVERHEAD_METHOD
            } else {
                OVERHEAD_UNAVAILABLE
            },
            duration_s: round3(inputs.duration.as_secs_f64()),
        }
    }

    /// Prints the summary as a table on standard output.
    pub fn print_table(&self) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        let s = self;
        let opt = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), |v| format!("{v} ms"));
        let errors = if s.function_errors.is_empty() {
            "none".to_owned()
        } else {
            s.function_errors
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(out, "firehose simulate: {}", s.integration)?;
        writeln!(
            out,
            "  target        {} ({} environments, timeout {} ms, seed {})",
            s.target, s.concurrency, s.timeout_ms, s.seed
        )?;
        writeln!(
            out,
            "  partner stub  {} (quota {}/s, {}/s per environment, faults {:.1}%)",
            s.stub_url,
            s.quota_per_s,
            s.rate_limit_per_environment,
            s.fault_rate * 100.0
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "  messages      {} ({} event batches, {} audience membership changes) in {:.1} s",
            s.messages, s.batches, s.audience_changes, s.duration_s
        )?;
        writeln!(
            out,
            "  invocations   {} (retries {}, throttles {}, timeouts {}, cold starts {})",
            s.invocations, s.retries, s.throttles, s.timeouts, s.cold_starts
        )?;
        writeln!(out, "  errors        {errors}")?;
        writeln!(
            out,
            "  events        sent {}, accepted {}, lost {}, duplicates {}",
            s.events_sent, s.events_accepted, s.lost, s.duplicates
        )?;
        writeln!(
            out,
            "  CCPA opt-out  {} events of users who opted out of data sale, {} of them forwarded",
            s.events_withheld, s.withheld_forwarded
        )?;
        writeln!(
            out,
            "  memberships   sent {}, accepted {}, lost {}",
            s.memberships_sent, s.memberships_accepted, s.memberships_lost
        )?;
        writeln!(
            out,
            "  messages lost {} (retries exhausted), suspensions {}",
            s.lost_messages, s.suspensions
        )?;
        writeln!(
            out,
            "  partner API   {} requests, at most {}/s in any 1 s (quota {}/s + burst allowance {})",
            s.partner_requests, s.max_rate_per_s, s.quota_per_s, s.burst_allowance_per_s
        )?;
        let a = &s.stub;
        writeln!(
            out,
            "  stub answers  ok {}, over quota {}, injected 429 {} / 5xx {} / slow {} / reset {}, \
             rejected 400 {} / 401 {}",
            a.ok,
            a.over_quota_429,
            a.fault_429,
            a.fault_5xx,
            a.fault_slow,
            a.fault_reset,
            a.rejected_400,
            a.rejected_401
        )?;
        if let Some(rejection) = &a.first_rejection {
            writeln!(out, "  first refusal {rejection}")?;
        }
        writeln!(
            out,
            "  latency       p50 {} ms, p99 {} ms, max {} ms (per invocation)",
            s.latency_p50_ms, s.latency_p99_ms, s.latency_max_ms
        )?;
        writeln!(
            out,
            "  SDK overhead  p50 {}, p99 {} per message; verification p50 {}",
            opt(s.sdk_overhead_p50_ms),
            opt(s.sdk_overhead_p99_ms),
            opt(s.verification_p50_ms)
        )?;
        writeln!(out, "                ({})", s.sdk_overhead_method)?;
        if let Some(first) = &s.first_error {
            writeln!(out, "  first error   {first}")?;
        }
        writeln!(out)?;
        if s.ok {
            writeln!(out, "OK: everything sent was accepted")?;
        } else {
            writeln!(
                out,
                "LOST: {} events, {} memberships, {} messages never reached the partner",
                s.lost, s.memberships_lost, s.lost_messages
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let values: Vec<u64> = (1..=100).map(|v| v * 1_000).collect();
        assert_eq!(quantile_ms(&values, 0.5), 50.0);
        assert_eq!(quantile_ms(&values, 0.99), 99.0);
        assert_eq!(quantile_ms(&values, 1.0), 100.0);
        assert_eq!(quantile_ms(&[], 0.5), 0.0);
        assert_eq!(quantile_ms(&[1_500], 0.99), 1.5);
    }
}
