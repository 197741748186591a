//! mParticle data in Acme's shapes (see `API.md`).

use std::collections::BTreeMap;

use mparticle_firehose::model::*;
use serde::Serialize;

/// One event as Acme takes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AcmeEvent {
    /// The mParticle event id: Acme deduplicates on it, so retried batches are harmless.
    pub event_id: String,
    /// Who did it.
    pub user_id: String,
    /// `track`, `page`, `identify` or `purchase`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Event name.
    pub name: CompactString,
    /// When, in epoch milliseconds.
    pub timestamp: i64,
    /// Attributes.
    #[serde(skip_serializing_if = "StringMap::is_empty")]
    pub properties: StringMap,
    /// Purchase revenue, as an exact decimal string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revenue: Option<String>,
    /// ISO 4217 currency of `revenue`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<CompactString>,
    /// The platform (`ios`, `android`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

/// Acme's user id for a set of identities: the mParticle id, else the customer id, else the
/// email; `None` when there is nothing to identify the user by.
pub fn user_id(mpid: Option<&str>, identities: &[UserIdentity]) -> Option<String> {
    let find = |wanted: UserIdentityType| {
        identities
            .iter()
            .find(|i| i.identity_type == wanted)
            .map(|i| i.value.clone())
    };
    mpid.filter(|m| !m.is_empty())
        .map(str::to_owned)
        .or_else(|| find(UserIdentityType::Customer))
        .or_else(|| find(UserIdentityType::Email))
}

/// Maps one event; `None` for types Acme does not take (and unknown types).
pub fn event(user_id: &str, platform: Option<&str>, event: &Event) -> Option<AcmeEvent> {
    let (kind, name, properties, revenue, currency) = match &event.data {
        EventData::CustomEvent(e) => ("track", e.name.clone()?, e.attributes.clone(), None, None),
        EventData::ScreenView(e) => (
            "page",
            e.screen_name.clone()?,
            e.attributes.clone(),
            None,
            None,
        ),
        EventData::SessionStart(_) => (
            "track",
            "session_start".into(),
            StringMap::new(),
            None,
            None,
        ),
        EventData::SessionEnd(e) => {
            let props = StringMap::from([("session_length_ms", e.session_length_ms.to_string())]);
            ("track", "session_end".into(), props, None, None)
        }
        EventData::ProductAction(e) => {
            let action = e.action.as_ref()?;
            let mut props = e.attributes.clone();
            if let Some(id) = &e.transaction_id {
                props.insert("transaction_id".into(), id.clone());
            }
            props.insert("products".into(), e.products.len().to_string().into());
            if *action == ProductActionType::Purchase {
                let revenue = e.total_amount.as_ref().map(ToString::to_string);
                (
                    "purchase",
                    "purchase".into(),
                    props,
                    revenue,
                    e.currency_code.clone(),
                )
            } else {
                (
                    "track",
                    format!("product_{action}").into(),
                    props,
                    None,
                    None,
                )
            }
        }
        EventData::UserAttributeChange(e) => {
            let mut props = e.added.clone();
            props.extend(
                e.removed
                    .keys()
                    .map(|k| (k.clone(), CompactString::default())),
            );
            ("identify", "user_attributes".into(), props, None, None)
        }
        _ => return None,
    };
    Some(AcmeEvent {
        event_id: event.header.id.map(|id| id.to_string()).unwrap_or_default(),
        user_id: user_id.to_owned(),
        kind,
        name,
        timestamp: event.header.timestamp_ms,
        properties,
        revenue,
        currency,
        platform: platform.map(str::to_owned),
    })
}

/// The Acme list an audience maps to: the `listId` the integration stored with the connection,
/// else one derived from the audience id.
pub fn list_id(audience: &Audience) -> String {
    audience
        .audience_subscription_settings
        .get(crate::LIST_ID_SETTING)
        .filter(|v| !v.is_empty())
        .map(ToString::to_string)
        .unwrap_or_else(|| default_list_id(audience.audience_id))
}

/// The list id for an audience that has none stored.
pub fn default_list_id(audience_id: i32) -> String {
    format!("mparticle-{audience_id}")
}

/// The membership changes of one list.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct ListChanges {
    /// Users to add.
    pub add: Vec<String>,
    /// Users to remove.
    pub remove: Vec<String>,
}

/// Groups a membership change per Acme list.
pub fn list_changes(request: &AudienceMembershipChangeRequest) -> BTreeMap<String, ListChanges> {
    let mut lists: BTreeMap<String, ListChanges> = BTreeMap::new();
    for profile in request.user_profiles.iter().flatten() {
        let Some(user) = user_id(profile.mpid.as_deref(), &profile.user_identities) else {
            tracing::warn!("skipping a user profile with no usable identity");
            continue;
        };
        for audience in &profile.audiences {
            let changes = lists.entry(list_id(audience)).or_default();
            match audience.action {
                Some(AudienceAction::Add) => changes.add.push(user.clone()),
                Some(AudienceAction::Delete) => changes.remove.push(user.clone()),
                _ => {}
            }
        }
    }
    lists.retain(|_, c| !c.add.is_empty() || !c.remove.is_empty());
    lists
}
