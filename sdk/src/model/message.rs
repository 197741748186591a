//! The message envelope and the ten Firehose message types.

use compact_str::CompactString;
use uuid::Uuid;

use super::account::Account;
use super::audience::*;
use super::dsr::{DsrProcessingRequest, DsrProcessingResponse};
use super::event::{EventProcessingRequest, EventProcessingResponse};
use super::registration::{
    FIREHOSE_VERSION, ModuleRegistrationRequest, ModuleRegistrationResponse,
};
use crate::codec::tagged::Body;
use crate::codec::{DecodeError, DecodeErrorKind, EncodeError};

wire_struct! {
    /// Fields every message carries. All are optional on input (Java invents them when absent);
    /// responses built by this SDK always carry all three.
    pub struct Envelope: Header {
        /// Message id, a UUID.
        pub id: Option<Uuid>,
        /// When the message was created, in epoch milliseconds.
        pub timestamp_ms: Option<i64>,
        /// The protocol version of the sender.
        pub firehose_version: Option<CompactString>,
    }
}

impl Envelope {
    /// A new envelope: a random v4 id, the current time, and this SDK's protocol version.
    pub fn fresh() -> Self {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or_default();
        Self {
            id: Some(Uuid::new_v4()),
            timestamp_ms: Some(now_ms),
            firehose_version: Some(CompactString::const_new(FIREHOSE_VERSION)),
        }
    }
}

tagged_family! {
    /// The content of a message, by message type.
    pub enum MessageBody {
        /// The registration probe.
        "module_registration_request" => ModuleRegistrationRequest(ModuleRegistrationRequest),
        /// The integration's registration.
        "module_registration_response" => ModuleRegistrationResponse(ModuleRegistrationResponse),
        /// A batch of events.
        "event_processing_request" => EventProcessingRequest(EventProcessingRequest),
        /// The answer to a batch of events.
        "event_processing_response" => EventProcessingResponse(EventProcessingResponse),
        /// An audience connection changed.
        "audience_subscription_request" => AudienceSubscriptionRequest(AudienceSubscriptionRequest),
        /// The answer to an audience connection change.
        "audience_subscription_response" => AudienceSubscriptionResponse(AudienceSubscriptionResponse),
        /// Users joined or left audiences.
        "audience_membership_change_request" => AudienceMembershipChangeRequest(AudienceMembershipChangeRequest),
        /// The answer to a membership change.
        "audience_membership_change_response" => AudienceMembershipChangeResponse(AudienceMembershipChangeResponse),
        /// A data-subject request.
        "dsr_processing_request" => DsrProcessingRequest(DsrProcessingRequest),
        /// The answer to a data-subject request.
        "dsr_processing_response" => DsrProcessingResponse(DsrProcessingResponse),
    }

    /// The ten message types (`Message.Type`).
    pub enum MessageType;

    impl Tagged("message") for Message { envelope: Envelope, body };
}

impl MessageBody {
    /// The message type.
    pub fn message_type(&self) -> MessageType {
        MessageType::from(self.type_name())
    }

    /// The wire `type` of the message.
    pub fn type_name(&self) -> &str {
        Body::type_name(self)
    }

    /// Whether this is one of the five response types.
    pub fn is_response(&self) -> bool {
        self.type_name().ends_with("_response")
    }

    /// The account of a request that names one: event batches, audience subscription and
    /// membership changes, and data-subject requests.
    pub fn account(&self) -> Option<&Account> {
        match self {
            MessageBody::EventProcessingRequest(r) => r.account.as_ref(),
            MessageBody::AudienceSubscriptionRequest(r) => r.account.as_ref(),
            MessageBody::AudienceMembershipChangeRequest(r) => r.account.as_ref(),
            MessageBody::DsrProcessingRequest(r) => r.account.as_ref(),
            _ => None,
        }
    }
}

/// One Firehose message: its envelope and its content.
///
/// ```
/// use mparticle_firehose::model::{Message, MessageBody};
///
/// let msg = Message::decode(br#"{"type":"module_registration_request","id":"76e558fa-f456-437c-bb81-e658f75a7bd9","timestamp_ms":1446250094767}"#)?;
/// assert!(matches!(msg.body, MessageBody::ModuleRegistrationRequest(_)));
/// assert_eq!(msg.envelope.timestamp_ms, Some(1446250094767));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Id, timestamp and protocol version.
    pub envelope: Envelope,
    /// What the message says.
    pub body: MessageBody,
}

impl Message {
    /// A new message with a fresh envelope (random id, now, this SDK's protocol version): how
    /// responses are built.
    pub fn new(body: impl Into<MessageBody>) -> Self {
        Self {
            envelope: Envelope::fresh(),
            body: body.into(),
        }
    }

    /// Decodes a message of any of the ten types.
    pub fn decode(json: &[u8]) -> Result<Self, DecodeError> {
        crate::codec::decode_model(json)
    }

    /// Decodes a message that must be a request: a `*_response` is refused with
    /// [`DecodeErrorKind::ResponseAsRequest`].
    pub fn decode_request(json: &[u8]) -> Result<Self, DecodeError> {
        let message = Self::decode(json)?;
        if message.body.is_response() {
            return Err(DecodeError::new(
                DecodeErrorKind::ResponseAsRequest,
                "$.type",
                format!(
                    "{:?} is a response type; mParticle only sends requests",
                    message.body.type_name()
                ),
            ));
        }
        Ok(message)
    }

    /// Encodes the message as compact JSON, as Java writes it.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        crate::codec::encode(self)
    }

    /// Encodes the message as a compact JSON string.
    pub fn to_json(&self) -> Result<String, EncodeError> {
        crate::codec::encode_string(self)
    }

    /// The message type.
    pub fn message_type(&self) -> MessageType {
        self.body.message_type()
    }
}
