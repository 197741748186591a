//! What a hook knows about the invocation it serves.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use uuid::Uuid;

use super::settings::Settings;
use crate::model::MessageType;

/// Facts about one Lambda invocation, before its payload is read.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    /// The Lambda request id.
    pub request_id: String,
    /// When Lambda will stop the invocation; `None` when unknown.
    pub deadline: Option<Instant>,
    /// The ARN the function was invoked with (alias-qualified when invoked through an alias).
    pub invoked_function_arn: String,
}

/// Deadlines before this are not real (local emulators send small placeholder numbers).
const EARLIEST_PLAUSIBLE_DEADLINE_MS: u64 = 978_307_200_000; // 2001-01-01

impl Invocation {
    /// From the context `lambda_runtime` hands to a handler.
    pub fn from_lambda(ctx: &lambda_runtime::Context) -> Self {
        Self {
            request_id: ctx.request_id.clone(),
            deadline: deadline_from_epoch_ms(ctx.deadline),
            invoked_function_arn: ctx.invoked_function_arn.clone(),
        }
    }
}

/// Converts Lambda's epoch-milliseconds deadline into a monotonic instant; implausible values
/// (emulators send `600000`) mean "unknown".
pub(crate) fn deadline_from_epoch_ms(deadline_ms: u64) -> Option<Instant> {
    if deadline_ms < EARLIEST_PLAUSIBLE_DEADLINE_MS {
        return None;
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_millis();
    let left = u128::from(deadline_ms).saturating_sub(now_ms);
    Some(Instant::now() + Duration::from_millis(u64::try_from(left).unwrap_or(u64::MAX / 2)))
}

/// What a hook knows about the request it serves: the invocation (request id, deadline, ARN and
/// alias), the message (type, id), the account and its settings.
#[derive(Debug, Clone)]
pub struct RequestContext {
    invocation: Invocation,
    message_type: MessageType,
    message_id: Option<Uuid>,
    account_id: Option<i32>,
    settings: Settings,
}

impl RequestContext {
    pub(crate) fn new(
        invocation: Invocation,
        message_type: MessageType,
        message_id: Option<Uuid>,
        account_id: Option<i32>,
        settings: Settings,
    ) -> Self {
        Self {
            invocation,
            message_type,
            message_id,
            account_id,
            settings,
        }
    }

    /// The Lambda request id.
    pub fn request_id(&self) -> &str {
        &self.invocation.request_id
    }

    /// When Lambda stops the invocation, if known.
    pub fn deadline(&self) -> Option<Instant> {
        self.invocation.deadline
    }

    /// Time left before the deadline (zero once passed); `None` when the deadline is unknown.
    pub fn remaining(&self) -> Option<Duration> {
        self.invocation
            .deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// The ARN the function was invoked with.
    pub fn invoked_function_arn(&self) -> &str {
        &self.invocation.invoked_function_arn
    }

    /// The alias the function was invoked through (`production`), if any: `None` for an
    /// unqualified ARN, a version number, `$LATEST`, or an ARN that does not parse.
    pub fn alias(&self) -> Option<&str> {
        let qualifier = self.invocation.invoked_function_arn.split(':').nth(7)?;
        let is_version = qualifier.chars().all(|c| c.is_ascii_digit());
        (!qualifier.is_empty() && !is_version && qualifier != "$LATEST").then_some(qualifier)
    }

    /// The message type being served.
    pub fn message_type(&self) -> &MessageType {
        &self.message_type
    }

    /// The id of the message being served.
    pub fn message_id(&self) -> Option<Uuid> {
        self.message_id
    }

    /// The mParticle account id, when the message names an account.
    pub fn account_id(&self) -> Option<i32> {
        self.account_id
    }

    /// The account's setting values (for event batches: account and connection settings).
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The invocation facts.
    pub fn invocation(&self) -> &Invocation {
        &self.invocation
    }
}
