//! Builders for the requests mParticle sends, for tests.
//!
//! ```
//! use mparticle_firehose::model::*;
//! use mparticle_firehose::testing::messages;
//!
//! let batch = messages::EventBatch::new(1234)
//!     .setting("apiKey", "k-123")
//!     .user_identity(UserIdentityType::Email, "jane@example.com")
//!     .event(Event::new(1_700_000_000_000, CustomEvent { name: Some("signup".into()), ..Default::default() }))
//!     .build();
//! assert_eq!(batch.message_type(), MessageType::EventProcessingRequest);
//! ```

use compact_str::ToCompactString;
use std::collections::BTreeMap;

use crate::model::*;

/// The registration probe as mParticle's registration tool sends it (no `firehose_version`).
pub fn registration_request() -> Message {
    let mut message = Message::new(ModuleRegistrationRequest::default());
    message.envelope.firehose_version = None;
    message
}

/// An event verification request: a batch with no events.
pub fn event_verification(account_id: i32) -> Message {
    EventBatch::new(account_id).build()
}

/// An audience verification request: a membership change with no `user_profiles`.
pub fn audience_verification(account_id: i32) -> Message {
    Message::new(AudienceMembershipChangeRequest {
        account: Some(Account::new(account_id)),
        user_profiles: None,
    })
}

/// An audience subscription (connection) change.
pub fn audience_subscription(
    account_id: i32,
    audience_id: i32,
    action: SubscriptionAction,
) -> Message {
    Message::new(AudienceSubscriptionRequest {
        account: Some(Account::new(account_id)),
        audience_id,
        audience_name: Some(compact_str::format_compact!("Audience {audience_id}")),
        action: Some(action),
        ..Default::default()
    })
}

/// A membership change: each `(email, audience_id, action)` becomes a user profile.
pub fn audience_membership(account_id: i32, changes: &[(&str, i32, AudienceAction)]) -> Message {
    let user_profiles = changes
        .iter()
        .map(|(email, audience_id, action)| UserProfile {
            user_identities: vec![UserIdentity::new(
                UserIdentityType::Email,
                IdentityEncoding::Raw,
                *email,
            )]
            .into(),
            audiences: vec![Audience {
                audience_id: *audience_id,
                audience_name: Some(compact_str::format_compact!("Audience {audience_id}")),
                action: Some(action.clone()),
                ..Default::default()
            }]
            .into(),
            ..Default::default()
        })
        .collect();
    Message::new(AudienceMembershipChangeRequest {
        account: Some(Account::new(account_id)),
        user_profiles: Some(user_profiles),
    })
}

/// A GDPR erasure request for an email address.
pub fn dsr_erasure(account_id: i32, email: &str) -> Message {
    let mut identities = BTreeMap::new();
    identities.insert(
        OpenDsrIdentityType::Email,
        OpenDsrIdentity {
            encoding: Some(OpenDsrEncoding::Raw),
            value: Some(email.into()),
        },
    );
    Message::new(DsrProcessingRequest {
        account: Some(Account::new(account_id)),
        subject_request_id: Some(uuid::Uuid::new_v4().to_compact_string()),
        subject_request_type: Some(DsrType::Erasure),
        submitted_time: Some(SubmittedTime::from_unix(1_700_000_000, 0)),
        subject_identities: identities,
        api_version: Some("3.0".into()),
        regulation: Some(RegulationType::Gdpr),
    })
}

/// Builds an `event_processing_request`.
#[derive(Debug, Clone)]
pub struct EventBatch {
    batch: EventProcessingRequest,
}

impl EventBatch {
    /// A batch for an account, with no events yet.
    pub fn new(account_id: i32) -> Self {
        Self {
            batch: EventProcessingRequest {
                source_id: Some(uuid::Uuid::new_v4().to_compact_string()),
                account: Some(Account::new(account_id)),
                ..Default::default()
            },
        }
    }

    /// Adds an account setting value.
    pub fn setting(mut self, id: &str, value: &str) -> Self {
        if let Some(account) = self.batch.account.as_mut() {
            account.account_settings.insert(id.into(), value.into());
        }
        self
    }

    /// Adds a raw user identity.
    pub fn user_identity(mut self, identity_type: UserIdentityType, value: &str) -> Self {
        self.batch.user_identities.push(UserIdentity::new(
            identity_type,
            IdentityEncoding::Raw,
            value,
        ));
        self
    }

    /// Sets the mParticle id.
    pub fn mpid(mut self, mpid: i64) -> Self {
        self.batch.mpid = Some(mpid.to_compact_string());
        self
    }

    /// Adds an event.
    pub fn event(mut self, event: Event) -> Self {
        self.batch.events.push(event);
        self
    }

    /// Adds a system notification.
    pub fn notification(mut self, notification: impl Into<SystemNotification>) -> Self {
        self.batch.system_notifications.push(notification.into());
        self
    }

    /// Changes the batch in any other way.
    pub fn with(mut self, change: impl FnOnce(&mut EventProcessingRequest)) -> Self {
        change(&mut self.batch);
        self
    }

    /// The request message.
    pub fn build(self) -> Message {
        Message::new(self.batch)
    }

    /// The request as JSON bytes.
    pub fn to_json(self) -> Vec<u8> {
        encode(&self.build())
    }
}

/// Encodes a test message (panics only if the model cannot encode, which is a bug).
pub fn encode(message: &Message) -> Vec<u8> {
    match message.encode() {
        Ok(bytes) => bytes,
        Err(e) => panic!("test message does not encode: {e}"),
    }
}
