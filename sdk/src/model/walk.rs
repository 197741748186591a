//! Finding the invalid list elements of a message ([`Message::invalid_elements`]).

use compact_str::CompactString;
use std::collections::BTreeMap;

use super::list::List;
use super::*;
use crate::codec::InvalidElement;

/// A part of the model that may hold lists, and so invalid elements.
pub(crate) trait Walk {
    /// Appends the invalid elements found in `self`, in document order.
    fn walk<'a>(&'a self, found: &mut Vec<&'a InvalidElement>);
}

impl<T: Walk> Walk for List<T> {
    fn walk<'a>(&'a self, found: &mut Vec<&'a InvalidElement>) {
        for element in self.elements() {
            match element {
                Ok(valid) => valid.walk(found),
                Err(invalid) => found.push(invalid),
            }
        }
    }
}

impl<T: Walk> Walk for Option<T> {
    fn walk<'a>(&'a self, found: &mut Vec<&'a InvalidElement>) {
        if let Some(value) = self {
            value.walk(found);
        }
    }
}

impl<K, T: Walk> Walk for BTreeMap<K, T> {
    fn walk<'a>(&'a self, found: &mut Vec<&'a InvalidElement>) {
        for value in self.values() {
            value.walk(found);
        }
    }
}

/// Parts of the model without lists.
macro_rules! leaf {
    ($($ty:ty),* $(,)?) => {$(
        impl Walk for $ty {
            fn walk<'a>(&'a self, _: &mut Vec<&'a InvalidElement>) {}
        }
    )*};
}

/// A struct, by the fields that may hold lists.
macro_rules! fields {
    ($($ty:ty { $($field:ident),* $(,)? })*) => {$(
        impl Walk for $ty {
            fn walk<'a>(&'a self, found: &mut Vec<&'a InvalidElement>) {
                $( self.$field.walk(found); )*
            }
        }
    )*};
}

leaf!(
    CompactString,
    Product,
    Promotion,
    SystemNotification,
    Setting,
    ScopeDetail,
    EventType,
    RuntimeEnvironmentType,
    SystemNotificationType,
    DsrType,
);

impl<K: IdentityKind> Walk for Identity<K> {
    fn walk<'a>(&'a self, _: &mut Vec<&'a InvalidElement>) {}
}

impl<K: IdentityKind> Walk for IdentityPermission<K> {
    fn walk<'a>(&'a self, _: &mut Vec<&'a InvalidElement>) {}
}

fields! {
    EventProcessingRequest {
        partner_identities,
        user_identities,
        user_attribute_lists,
        runtime_environment,
        events,
        system_notifications,
    }
    RuntimeHeader { identities }
    Impression { products }
    ErrorEvent { breadcrumbs }
    UserIdentityChangeEvent { added, removed }
    ProductActionEvent { products }
    PromotionActionEvent { promotions }
    ImpressionEvent { impressions }
    AudienceMembershipChangeRequest { user_profiles }
    UserProfile { user_identities, device_identities, partner_identities, audiences }
    Audience { user_attributes }
    UserAttributeAudienceEvent { list_value }
    ModuleRegistrationResponse {
        permissions,
        event_processing_registration,
        audience_processing_registration,
        dsr_processing_registration,
    }
    Permissions { device_identities, user_identities, partner_identities }
    EventProcessingRegistration {
        account_settings,
        event_connection_settings,
        supported_event_types,
        supported_runtime_environments,
        supported_system_notification_types,
        authentication,
    }
    AudienceProcessingRegistration { account_settings, authentication, audience_subscription_settings }
    DsrProcessingRegistration { account_settings, supported_dsr_types }
    OAuth2Authentication { scopes }
}

impl Walk for RuntimeEnvironment {
    fn walk<'a>(&'a self, found: &mut Vec<&'a InvalidElement>) {
        self.header.walk(found);
    }
}

impl Walk for Event {
    fn walk<'a>(&'a self, found: &mut Vec<&'a InvalidElement>) {
        match &self.data {
            EventData::Error(e) => e.walk(found),
            EventData::UserIdentityChange(e) => e.walk(found),
            EventData::ProductAction(e) => e.walk(found),
            EventData::PromotionAction(e) => e.walk(found),
            EventData::Impression(e) => e.walk(found),
            // No lists in these (listed, so that a new variant is thought about here).
            EventData::SessionStart(_)
            | EventData::SessionEnd(_)
            | EventData::CustomEvent(_)
            | EventData::ScreenView(_)
            | EventData::PrivacySettingChange(_)
            | EventData::UserAttributeChange(_)
            | EventData::PushSubscription(_)
            | EventData::ApplicationStateTransition(_)
            | EventData::PushMessageReceipt(_)
            | EventData::Attribution(_)
            | EventData::PushMessageOpen(_)
            | EventData::Unrecognized(_) => {}
        }
    }
}

impl Walk for Authentication {
    fn walk<'a>(&'a self, found: &mut Vec<&'a InvalidElement>) {
        match self {
            Authentication::OAuth2(o) => o.walk(found),
            Authentication::Unrecognized(_) => {}
        }
    }
}

impl Walk for Message {
    fn walk<'a>(&'a self, found: &mut Vec<&'a InvalidElement>) {
        match &self.body {
            MessageBody::EventProcessingRequest(r) => r.walk(found),
            MessageBody::AudienceMembershipChangeRequest(r) => r.walk(found),
            MessageBody::ModuleRegistrationResponse(r) => r.walk(found),
            _ => {}
        }
    }
}

impl Message {
    /// The list elements of the message that could not be decoded, in document order (empty for
    /// a message that decoded whole). They stay in place in their lists; the dispatcher hands
    /// each to [`Partner::on_invalid_element`](crate::Partner::on_invalid_element) before the
    /// message's own hook.
    pub fn invalid_elements(&self) -> Vec<&InvalidElement> {
        let mut found = Vec::new();
        self.walk(&mut found);
        found
    }
}
