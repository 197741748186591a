//! Consent: the user's consent state (a snapshot) and consent-change system notifications.

use compact_str::CompactString;
use std::collections::BTreeMap;

wire_struct! {
    /// One consent decision (Java `GDPRConsent` and `CCPAConsent`, which have the same fields).
    pub struct Consent {
        /// Whether the user consented (for CCPA `data_sale_opt_out`: whether they opted out).
        pub consented: bool,
        /// The consent document.
        pub document: Option<CompactString>,
        /// When consent was given, in epoch milliseconds.
        pub timestamp_unixtime_ms: Option<i64>,
        /// Where consent was collected (free text).
        pub location: Option<CompactString>,
        /// The hardware id of the device that collected it.
        pub hardware_id: Option<CompactString>,
    }
}

/// A GDPR consent decision.
pub type GdprConsent = Consent;
/// A CCPA consent decision.
pub type CcpaConsent = Consent;

/// The purpose CCPA consent is recorded under.
pub const DEFAULT_CCPA_PURPOSE: &str = "data_sale_opt_out";

wire_struct! {
    /// The user's consent state, by purpose (needs `allow_consent_state`).
    pub struct ConsentState {
        /// GDPR consent by customer-defined purpose.
        pub gdpr_consent_state: BTreeMap<String, GdprConsent>,
        /// CCPA consent by purpose (in practice one key, `data_sale_opt_out`) (2.5.0).
        pub ccpa_consent_state: BTreeMap<String, CcpaConsent>,
    }
}

impl ConsentState {
    /// Whether the user opted out of the sale of their data under CCPA. `None` when the batch
    /// carries no CCPA consent.
    pub fn ccpa_opted_out(&self) -> Option<bool> {
        self.ccpa_consent_state
            .get(DEFAULT_CCPA_PURPOSE)
            .map(|c| c.consented)
    }

    /// Whether the user gave GDPR consent for `purpose`. `None` when the batch says nothing
    /// about that purpose: decide yourself what absence means for your integration.
    pub fn gdpr_consented(&self, purpose: &str) -> Option<bool> {
        self.gdpr_consent_state.get(purpose).map(|c| c.consented)
    }
}

wire_struct! {
    /// `gdpr_consent_state` notification: GDPR consent for one purpose changed.
    pub struct GdprConsentStateNotification {
        /// The consent purpose.
        pub purpose: Option<CompactString>,
        /// The state before the change.
        pub old_gdpr_consent_state: Option<GdprConsent>,
        /// The state after the change.
        pub new_gdpr_consent_state: Option<GdprConsent>,
    }

    /// `ccpa_consent_state` notification: CCPA consent changed (2.5.0).
    pub struct CcpaConsentStateNotification {
        /// The purpose: `data_sale_opt_out` when the key is absent (an explicit `null` stays
        /// `None`).
        pub purpose: Option<CompactString> = Some(CompactString::const_new(DEFAULT_CCPA_PURPOSE)),
        /// The state before the change.
        pub old_ccpa_consent_state: Option<CcpaConsent>,
        /// The state after the change.
        pub new_ccpa_consent_state: Option<CcpaConsent>,
    }
}

tagged_family! {
    /// A system notification of a batch (consent changes), processed before its events.
    pub enum SystemNotification {
        /// GDPR consent changed.
        "gdpr_consent_state" => GdprConsentState(GdprConsentStateNotification),
        /// CCPA consent changed.
        "ccpa_consent_state" => CcpaConsentState(CcpaConsentStateNotification),
        _ => Unrecognized,
    }

    /// System notification types, used in `supported_system_notification_types`.
    pub enum SystemNotificationType;

    impl Tagged("system notification") for SystemNotification;
}
