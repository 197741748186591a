//! What the probe sends and what it checks in each answer.

use std::time::Duration;

use mparticle_firehose::model::{Message, MessageBody};
use mparticle_firehose::testing::messages;
use serde::Serialize;
use serde_json::Value;

use super::invoke::{Answer, Invoked, snippet};

/// mParticle's expectation for the average Lambda call.
pub const LATENCY_BUDGET: Duration = Duration::from_millis(200);

/// The three requests mParticle sends, in the order the probe sends them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// The registration tool's `module_registration_request`.
    Registration,
    /// Monitoring's `event_processing_request` with no events.
    EventVerification,
    /// Monitoring's `audience_membership_change_request` with no `user_profiles`.
    AudienceVerification,
    /// Over HTTP: an event verification without the `Authorization` header, to be refused.
    WithoutToken,
    /// Over HTTP: an event verification with a token that is not the function's, to be refused.
    WrongToken,
}

impl Call {
    /// All calls, in order.
    pub const ALL: [Call; 3] = [
        Call::Registration,
        Call::EventVerification,
        Call::AudienceVerification,
    ];

    /// Over HTTP (a function URL), in order: the registration without the token, the two
    /// requests that must be refused, then the verifications with the token.
    pub const OVER_HTTP: [Call; 5] = [
        Call::Registration,
        Call::WithoutToken,
        Call::WrongToken,
        Call::EventVerification,
        Call::AudienceVerification,
    ];

    /// The name used in the report.
    pub fn label(self) -> &'static str {
        match self {
            Call::Registration => "registration",
            Call::EventVerification => "event verification",
            Call::AudienceVerification => "audience verification",
            Call::WithoutToken => "without the token",
            Call::WrongToken => "with a wrong token",
        }
    }

    /// The name used in JSON output.
    pub fn key(self) -> &'static str {
        match self {
            Call::Registration => "registration",
            Call::EventVerification => "event_verification",
            Call::AudienceVerification => "audience_verification",
            Call::WithoutToken => "without_token",
            Call::WrongToken => "wrong_token",
        }
    }

    /// The request, encoded as mParticle sends it.
    pub fn request(self, account_id: i32) -> Vec<u8> {
        messages::encode(&match self {
            Call::Registration => messages::registration_request(),
            Call::EventVerification | Call::WithoutToken | Call::WrongToken => {
                messages::event_verification(account_id)
            }
            Call::AudienceVerification => messages::audience_verification(account_id),
        })
    }

    /// The answer's expected `type`.
    pub fn response_type(self) -> &'static str {
        match self {
            Call::Registration => "module_registration_response",
            Call::EventVerification | Call::WithoutToken | Call::WrongToken => {
                "event_processing_response"
            }
            Call::AudienceVerification => "audience_membership_change_response",
        }
    }
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It holds.
    Ok,
    /// Worth knowing; does not fail the probe.
    Warn,
    /// It does not hold: the probe fails.
    Fail,
    /// Not checked.
    Skipped,
}

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Which call (`registration`, `event_verification`, `audience_verification`, `latency`).
    pub call: &'static str,
    /// What was checked (`answer`, `type`, `id`, ...).
    pub check: &'static str,
    /// The outcome.
    pub status: Status,
    /// What was found, in words.
    pub detail: String,
    /// The call's label for the human report.
    #[serde(skip)]
    pub label: &'static str,
}

/// Everything the probe found.
pub struct Probe {
    /// What was probed.
    pub target: String,
    /// Why latencies are not the function's alone (the aws CLI), if so.
    pub latency_note: Option<String>,
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// How long each call that was answered took.
    pub latencies: Vec<(Call, Duration)>,
    /// The function's `module_registration_response`, parsed.
    pub registration: Option<Value>,
    /// The same, as the function wrote it.
    pub registration_text: Option<String>,
}

impl Probe {
    /// An empty probe of `target`.
    pub fn new(target: String, latency_note: Option<String>) -> Self {
        Self {
            target,
            latency_note,
            checks: Vec::new(),
            latencies: Vec::new(),
            registration: None,
            registration_text: None,
        }
    }

    fn push(&mut self, call: Call, check: &'static str, status: Status, detail: String) {
        self.checks.push(Check {
            call: call.key(),
            check,
            status,
            detail,
            label: call.label(),
        });
    }

    /// Records and checks the answer to `call`.
    pub fn record(&mut self, call: Call, invoked: Invoked) {
        let ms = invoked.elapsed.as_millis();
        match invoked.answer {
            Answer::Silent(reason) => self.push(call, "answer", Status::Fail, reason),
            Answer::FunctionError {
                error_type,
                message,
            } => {
                self.latencies.push((call, invoked.elapsed));
                let detail = if message.trim().is_empty() {
                    format!("function error {error_type} after {ms} ms")
                } else {
                    format!("function error {error_type} after {ms} ms: {message}")
                };
                self.push(call, "answer", Status::Fail, detail);
            }
            Answer::Response(body) => {
                self.latencies.push((call, invoked.elapsed));
                self.push(call, "answer", Status::Ok, format!("answered in {ms} ms"));
                self.check_response(call, &body);
            }
            Answer::Status { status, body } => {
                self.latencies.push((call, invoked.elapsed));
                let detail = format!("HTTP {status} after {ms} ms: {}", http_error(&body));
                self.push(call, "answer", Status::Fail, detail);
            }
        }
    }

    /// Records the answer to a request the function must refuse (sent without the token, or
    /// with a wrong one): 401, and nothing else, holds.
    pub fn record_refusal(&mut self, call: Call, invoked: Invoked) {
        let (status, detail) = match invoked.answer {
            Answer::Silent(reason) => (Status::Fail, reason),
            Answer::Status { status: 401, body } => (
                Status::Ok,
                format!("refused with 401 ({})", http_error(&body)),
            ),
            Answer::Status { status: 503, body }
                if http_error(&body).starts_with("Firehose.NotConfigured") =>
            {
                (
                    Status::Fail,
                    "refused with 503: the function has no token configured (FIREHOSE_HTTP_TOKEN), so it refuses mParticle too".to_owned(),
                )
            }
            Answer::Status { status, body } => (
                Status::Fail,
                format!("answered HTTP {status}, not 401: {}", http_error(&body)),
            ),
            Answer::Response(_) => (
                Status::Fail,
                "answered 200: the function serves requests without a valid token, anyone could send it data".to_owned(),
            ),
            Answer::FunctionError {
                error_type,
                message,
            } => (
                Status::Fail,
                format!("function error {error_type}, not 401: {message}"),
            ),
        };
        self.push(call, "refused", status, detail);
    }

    /// Marks every call of `calls` after `after` as not sent.
    pub fn skip_rest(&mut self, calls: &[Call], after: Call) {
        for call in calls.iter().copied().skip_while(|c| *c != after).skip(1) {
            self.push(
                call,
                "answer",
                Status::Skipped,
                format!("not sent: the {} call got no answer", after.label()),
            );
        }
    }

    fn check_response(&mut self, call: Call, body: &[u8]) {
        let value: Value = match serde_json::from_slice(body) {
            Ok(value) => value,
            Err(e) => {
                let detail = format!("the answer is not JSON ({e}): {}", snippet(body));
                return self.push(call, "json", Status::Fail, detail);
            }
        };
        let Some(object) = value.as_object() else {
            let detail = format!("the answer is not a JSON object: {}", snippet(body));
            return self.push(call, "json", Status::Fail, detail);
        };

        let expected = call.response_type();
        let type_ok = match object.get("type") {
            Some(Value::String(t)) if t == expected => {
                self.push(call, "type", Status::Ok, format!("type is {t}"));
                true
            }
            Some(other) => {
                let detail = format!("type is {other}; expected \"{expected}\"");
                self.push(call, "type", Status::Fail, detail);
                false
            }
            None => {
                let detail = format!("no type; expected \"{expected}\"");
                self.push(call, "type", Status::Fail, detail);
                false
            }
        };

        let (status, detail) = match object.get("id") {
            Some(Value::String(id)) if is_uuid(id) => (Status::Ok, format!("id {id} is a UUID")),
            Some(Value::String(id)) => (Status::Fail, format!("id \"{id}\" is not a UUID")),
            Some(other) => (Status::Fail, format!("id {other} is not a UUID string")),
            None => (Status::Fail, "no id".to_owned()),
        };
        self.push(call, "id", status, detail);

        let (status, detail) = match object.get("timestamp_ms") {
            Some(Value::Number(n)) if n.as_i64().is_some_and(|t| t > 0) => {
                (Status::Ok, format!("timestamp_ms {n}"))
            }
            Some(other) => (
                Status::Fail,
                format!("timestamp_ms {other} is not a positive integer"),
            ),
            None => (Status::Fail, "no timestamp_ms".to_owned()),
        };
        self.push(call, "timestamp_ms", status, detail);

        let (status, detail) = match object.get("firehose_version") {
            Some(Value::String(v)) if !v.trim().is_empty() => {
                (Status::Ok, format!("firehose_version {v}"))
            }
            Some(other) => (
                Status::Fail,
                format!("firehose_version {other} is not a version"),
            ),
            None => (Status::Fail, "no firehose_version".to_owned()),
        };
        self.push(call, "firehose_version", status, detail);

        if !type_ok {
            return;
        }
        if call == Call::Registration {
            self.registration = Some(value.clone());
            self.registration_text = Some(String::from_utf8_lossy(body).into_owned());
        }
        let message = match Message::decode(body) {
            Ok(message) => message,
            Err(e) => {
                let detail = format!(
                    "does not decode: {} at {}: {}",
                    e.kind(),
                    e.path(),
                    e.reason()
                );
                return self.push(call, "decodes", Status::Fail, detail);
            }
        };
        self.push(
            call,
            "decodes",
            Status::Ok,
            format!("decodes as {expected}"),
        );

        match (&message.body, call) {
            (MessageBody::ModuleRegistrationResponse(registration), Call::Registration) => {
                match registration.validate() {
                    Ok(()) => {
                        let name = registration.name.as_deref().unwrap_or_default();
                        let version = registration.version.as_deref().unwrap_or_default();
                        let detail = format!("\"{name}\" {version} passes validation");
                        self.push(call, "valid", Status::Ok, detail);
                    }
                    Err(errors) => {
                        for violation in errors.0 {
                            let detail = format!("invalid: {violation}");
                            self.push(call, "valid", Status::Fail, detail);
                        }
                    }
                }
            }
            (MessageBody::AudienceMembershipChangeResponse(_), Call::AudienceVerification) => {
                let (status, detail) = match object.get("suspend_subscription") {
                    Some(Value::Bool(false)) => {
                        (Status::Ok, "suspend_subscription is false".to_owned())
                    }
                    Some(Value::Bool(true)) => (
                        Status::Fail,
                        "suspend_subscription is true: mParticle would stop sending to this \
                         connection"
                            .to_owned(),
                    ),
                    Some(other) => (
                        Status::Fail,
                        format!("suspend_subscription {other} is not false"),
                    ),
                    None => (
                        Status::Warn,
                        "no suspend_subscription (read as false)".to_owned(),
                    ),
                };
                self.push(call, "suspend_subscription", status, detail);
            }
            _ => {}
        }
    }

    /// Adds the latency check, once every call is recorded. mParticle's monitoring measures the
    /// periodic verification calls; the one-off registration call often includes a cold start.
    pub fn finish(&mut self) {
        let verification: Vec<Duration> = self
            .latencies
            .iter()
            .filter(|(call, _)| *call != Call::Registration)
            .map(|(_, elapsed)| *elapsed)
            .collect();
        let Some(count) = u32::try_from(verification.len()).ok().filter(|n| *n > 0) else {
            return;
        };
        let average = verification.iter().sum::<Duration>() / count;
        let ms = average.as_millis();
        let budget = LATENCY_BUDGET.as_millis();
        let (status, detail) = if let Some(note) = &self.latency_note {
            (
                Status::Ok,
                format!(
                    "verification calls averaged {ms} ms; not compared with mParticle's {budget} ms: {note}"
                ),
            )
        } else if average > LATENCY_BUDGET {
            (
                Status::Warn,
                format!(
                    "verification calls averaged {ms} ms; mParticle expects under {budget} ms on average"
                ),
            )
        } else {
            (
                Status::Ok,
                format!(
                    "verification calls averaged {ms} ms (mParticle expects under {budget} ms)"
                ),
            )
        };
        self.checks.push(Check {
            call: "latency",
            check: "average",
            status,
            detail,
            label: "latency",
        });
    }

    /// Whether no check failed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Fail)
    }

    /// The registration as the function wrote it, when every check of the registration call
    /// holds.
    pub fn valid_registration(&self) -> Option<&str> {
        let registration_ok = self
            .checks
            .iter()
            .filter(|c| c.call == Call::Registration.key())
            .all(|c| c.status == Status::Ok);
        self.registration_text
            .as_deref()
            .filter(|_| registration_ok)
    }
}

/// `errorType: errorMessage` of an HTTP error answer, or the start of its body.
fn http_error(body: &[u8]) -> String {
    let value: Option<Value> = serde_json::from_slice(body).ok();
    let field = |name| {
        value
            .as_ref()
            .and_then(|v| v.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match (field("errorType"), field("errorMessage")) {
        (Some(t), Some(m)) => format!("{t}: {m}"),
        (Some(t), None) => t,
        _ => snippet(body),
    }
}

/// A UUID in the canonical hyphenated form that mParticle writes and reads.
fn is_uuid(text: &str) -> bool {
    text.len() == 36 && uuid::Uuid::try_parse(text).is_ok()
}
