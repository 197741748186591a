//! The messages mParticle sends: generated event batches and audience membership changes for one
//! customer account, shaped by the integration's registration as mParticle shapes them.

use mparticle_firehose::model::{
    Account, AudienceAction, ConsentState, EventType, Message, MessageBody,
    ModuleRegistrationResponse, RuntimeEnvironmentType, SystemNotification, SystemNotificationType,
};
use mparticle_firehose::testing::generate::BatchGenerator;
use uuid::Uuid;

/// The mParticle account the simulated customer sends from.
pub const ACCOUNT_ID: i32 = 424_242;
/// The customer's Acme region (the `region` account setting).
pub const REGION: &str = "us";

/// How much traffic, and of what shape.
#[derive(Debug, Clone)]
pub struct Shape {
    /// Event batches.
    pub batches: usize,
    /// Events generated per batch, before the registration's event-type filter.
    pub events_per_batch: usize,
    /// One audience membership change after every this many batches (0: none).
    pub audience_every: usize,
    /// User profiles per audience membership change.
    pub profiles_per_change: usize,
}

/// What mParticle forwards to this integration, read from its registration.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    event_batches: bool,
    event_types: Vec<EventType>,
    runtime_environments: Vec<RuntimeEnvironmentType>,
    notifications: Vec<SystemNotificationType>,
    audiences: bool,
}

impl Filter {
    /// The filter of a registration: event types, platforms and notification types the
    /// integration registered for, and whether it takes audiences.
    pub fn from_registration(registration: &ModuleRegistrationResponse) -> Self {
        let events = registration.event_processing_registration.as_ref();
        Self {
            event_batches: events.is_some_and(|e| !e.supported_event_types.is_empty()),
            event_types: events
                .map(|e| e.supported_event_types.to_vec())
                .unwrap_or_default(),
            runtime_environments: events
                .map(|e| e.supported_runtime_environments.to_vec())
                .unwrap_or_default(),
            notifications: events
                .map(|e| e.supported_system_notification_types.to_vec())
                .unwrap_or_default(),
            audiences: registration.audience_processing_registration.is_some(),
        }
    }

    /// Whether the integration takes event batches.
    pub fn takes_events(&self) -> bool {
        self.event_batches
    }
}

/// One message to deliver, with what the partner should receive from it.
#[derive(Debug)]
pub struct Outgoing {
    /// The request, encoded.
    pub payload: Vec<u8>,
    /// Whether it is an audience membership change (else an event batch).
    pub audience: bool,
    /// Ids of the events the partner should receive.
    pub expected_events: Vec<Uuid>,
    /// Ids of the events of a user who opted out of the sale of their data (CCPA): mParticle
    /// sends them, the integration should not forward them.
    pub withheld_events: Vec<Uuid>,
    /// Membership additions and removals the partner should receive.
    pub memberships: usize,
}

/// Produces the messages of a run, in order: batches, with an audience membership change after
/// every `audience_every` of them.
pub struct Traffic {
    generator: BatchGenerator,
    shape: Shape,
    filter: Filter,
    batches_made: usize,
    changes_made: usize,
}

/// The account the simulated customer connected, with its settings.
pub fn account(api_key: &str) -> Account {
    Account::new(ACCOUNT_ID)
        .with_setting("apiKey", api_key)
        .with_setting("region", REGION)
}

impl Traffic {
    /// The traffic of one run.
    pub fn new(seed: u64, api_key: &str, shape: Shape, filter: Filter) -> Self {
        Self {
            generator: BatchGenerator::new(seed).with_account(account(api_key)),
            shape,
            filter,
            batches_made: 0,
            changes_made: 0,
        }
    }

    /// The event batches of the run.
    pub fn batches(&self) -> usize {
        if self.filter.event_batches {
            self.shape.batches
        } else {
            0
        }
    }

    /// The audience membership changes of the run.
    pub fn audience_changes(&self) -> usize {
        match self.shape.audience_every {
            0 => 0,
            _ if !self.filter.audiences => 0,
            every => self.shape.batches / every,
        }
    }

    /// The messages of the run.
    pub fn len(&self) -> usize {
        self.batches() + self.audience_changes()
    }

    fn event_batch(&mut self) -> Outgoing {
        // mParticle sends nothing for a batch whose events all fall to the filter, nor for a
        // platform the integration did not register: draw another.
        for _ in 0..1_000 {
            let mut message = self.generator.event_batch(self.shape.events_per_batch);
            let MessageBody::EventProcessingRequest(batch) = &mut message.body else {
                continue;
            };
            let filter = &self.filter;
            if !filter.runtime_environments.is_empty() {
                let platform = batch
                    .runtime_environment
                    .as_ref()
                    .map(mparticle_firehose::model::RuntimeEnvironment::platform);
                if !platform.is_some_and(|p| filter.runtime_environments.contains(&p)) {
                    continue;
                }
            }
            batch
                .events
                .retain(|e| filter.event_types.contains(&e.event_type()));
            batch.system_notifications.retain(|n| {
                let kind = match n {
                    SystemNotification::GdprConsentState(_) => {
                        SystemNotificationType::GdprConsentState
                    }
                    SystemNotification::CcpaConsentState(_) => {
                        SystemNotificationType::CcpaConsentState
                    }
                    _ => return false,
                };
                filter.notifications.contains(&kind)
            });
            if batch.events.is_empty() {
                continue;
            }
            let ids = batch.events.iter().filter_map(|e| e.header.id).collect();
            let opted_out = batch
                .consent_state
                .as_ref()
                .and_then(ConsentState::ccpa_opted_out)
                == Some(true);
            let (expected_events, withheld_events) = if opted_out {
                (Vec::new(), ids)
            } else {
                (ids, Vec::new())
            };
            return Outgoing {
                payload: encode(&message),
                audience: false,
                expected_events,
                withheld_events,
                memberships: 0,
            };
        }
        unreachable!("the registration's filter lets no generated batch through")
    }

    fn audience_change(&mut self) -> Outgoing {
        let message = self
            .generator
            .audience_membership_change(self.shape.profiles_per_change);
        let memberships = match &message.body {
            MessageBody::AudienceMembershipChangeRequest(change) => change
                .user_profiles
                .iter()
                .flatten()
                .flat_map(|p| &p.audiences)
                .filter(|a| {
                    matches!(
                        a.action,
                        Some(AudienceAction::Add) | Some(AudienceAction::Delete)
                    )
                })
                .count(),
            _ => 0,
        };
        Outgoing {
            payload: encode(&message),
            audience: true,
            expected_events: Vec::new(),
            withheld_events: Vec::new(),
            memberships,
        }
    }
}

impl Iterator for Traffic {
    type Item = Outgoing;

    fn next(&mut self) -> Option<Outgoing> {
        let every = self.shape.audience_every;
        let change_due = self.changes_made < self.audience_changes()
            && self.batches_made >= (self.changes_made + 1) * every;
        if change_due {
            self.changes_made += 1;
            return Some(self.audience_change());
        }
        if self.batches_made < self.batches() {
            self.batches_made += 1;
            return Some(self.event_batch());
        }
        None
    }
}

/// Encodes a generated message (the generator's messages always encode).
pub fn encode(message: &Message) -> Vec<u8> {
    message
        .encode()
        .unwrap_or_else(|e| unreachable!("a generated message does not encode: {e}"))
}

#[cfg(test)]
mod tests {
    use mparticle_firehose::model::{
        AudienceProcessingRegistration, EventProcessingRegistration, ModuleRegistrationResponse,
    };

    use super::*;

    fn shape(batches: usize, audience_every: usize) -> Shape {
        Shape {
            batches,
            events_per_batch: 20,
            audience_every,
            profiles_per_change: 10,
        }
    }

    fn registration() -> ModuleRegistrationResponse {
        ModuleRegistrationResponse::new("Test", "1.0.0")
            .with_event_processing(
                EventProcessingRegistration::new()
                    .with_event_types([EventType::CustomEvent, EventType::ScreenView]),
            )
            .with_audience_processing(AudienceProcessingRegistration::new())
    }

    #[test]
    fn only_registered_event_types_are_sent_and_changes_are_interleaved() {
        let filter = Filter::from_registration(&registration());
        let traffic = Traffic::new(1, "k", shape(10, 4), filter);
        assert_eq!((traffic.batches(), traffic.audience_changes()), (10, 2));
        let messages: Vec<Outgoing> = traffic.collect();
        assert_eq!(messages.len(), 12);
        let kinds: Vec<bool> = messages.iter().map(|m| m.audience).collect();
        assert!(kinds[4] && kinds[9]);
        assert_eq!(kinds.iter().filter(|a| **a).count(), 2);
        for message in &messages {
            let decoded = Message::decode(&message.payload).unwrap();
            match decoded.body {
                MessageBody::EventProcessingRequest(batch) => {
                    assert!(!batch.events.is_empty());
                    assert!(batch.events.iter().all(|e| matches!(
                        e.event_type(),
                        EventType::CustomEvent | EventType::ScreenView
                    )));
                    assert_eq!(batch.account, Some(account("k")));
                    assert_eq!(
                        message.expected_events.len() + message.withheld_events.len(),
                        batch.events.len()
                    );
                }
                MessageBody::AudienceMembershipChangeRequest(change) => {
                    assert_eq!(change.user_profiles.unwrap().len(), 10);
                    assert!(message.memberships > 0);
                }
                other => panic!("unexpected {}", other.type_name()),
            }
        }
    }

    #[test]
    fn an_integration_without_audiences_gets_none() {
        let registration = ModuleRegistrationResponse::new("Test", "1.0.0").with_event_processing(
            EventProcessingRegistration::new().with_event_types([EventType::CustomEvent]),
        );
        let traffic = Traffic::new(
            1,
            "k",
            shape(10, 2),
            Filter::from_registration(&registration),
        );
        assert_eq!((traffic.batches(), traffic.audience_changes()), (10, 0));
        assert_eq!(traffic.count(), 10);
    }
}
