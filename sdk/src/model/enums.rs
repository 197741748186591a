//! The enumerations of the protocol (spec §9), each with an `Other` variant so that a value
//! this SDK does not know yet is kept instead of failing the whole message (Java fails).
//!
//! The `type` names of the polymorphic families (`MessageType`, `EventType`,
//! `RuntimeEnvironmentType`, `SystemNotificationType`, `SettingType`, `AuthenticationType`) are
//! declared with their family, from the same list as its variants.

wire_enum! {
    /// OAuth2 grant types.
    pub enum GrantType {
        AuthorizationCode = "authorization_code",
    }
}

wire_enum! {
    /// How an OAuth2 access token is sent to the partner.
    pub enum AccessTokenType {
        /// `Authorization: Bearer <token>`.
        Bearer = "bearer",
        /// A header named by `custom_header_name`.
        CustomHeader = "custom_header",
    }
}

wire_enum! {
    /// How an identity value is encoded. Hashes are over the trimmed, lower-cased value.
    pub enum IdentityEncoding {
        Raw = "raw",
        Md5 = "md5",
        Sha1 = "sha1",
        Sha256 = "sha256",
    }
}

wire_enum! {
    /// User identity types.
    pub enum UserIdentityType {
        /// The generic "other" identity (not to be confused with [`UserIdentityType::Other`]).
        OtherId = "other",
        Customer = "customer",
        Facebook = "facebook",
        Twitter = "twitter",
        Google = "google",
        Microsoft = "microsoft",
        Yahoo = "yahoo",
        Email = "email",
        Other2 = "other2",
        Other3 = "other3",
        Other4 = "other4",
        Other5 = "other5",
        Other6 = "other6",
        Other7 = "other7",
        Other8 = "other8",
        Other9 = "other9",
        Other10 = "other10",
        MobileNumber = "mobile_number",
        PhoneNumber2 = "phone_number_2",
        PhoneNumber3 = "phone_number_3",
    }
}

wire_enum! {
    /// Device identity types.
    pub enum DeviceIdentityType {
        AndroidId = "android_id",
        GoogleAdvertisingId = "google_advertising_id",
        IosAdvertisingId = "ios_advertising_id",
        IosVendorId = "ios_vendor_id",
        GoogleCloudMessagingToken = "google_cloud_messaging_token",
        ApplePushNotificationToken = "apple_push_notification_token",
        RokuAdvertisingId = "roku_advertising_id",
        MicrosoftAdvertisingId = "microsoft_advertising_id",
        MicrosoftPublisherId = "microsoft_publisher_id",
        FireAdvertisingId = "fire_advertising_id",
        RokuPublisherId = "roku_publisher_id",
    }
}

wire_enum! {
    /// Apple App Tracking Transparency authorization status.
    pub enum AttAuthorizationStatus {
        Authorized = "authorized",
        Denied = "denied",
        NotDetermined = "not_determined",
        Restricted = "restricted",
    }
}

wire_enum! {
    /// Custom event categories.
    pub enum CustomEventType {
        Unknown = "unknown",
        Navigation = "navigation",
        Location = "location",
        Search = "search",
        Transaction = "transaction",
        UserContent = "user_content",
        UserPreference = "user_preference",
        Social = "social",
        /// The "other" category (not to be confused with [`CustomEventType::Other`]).
        OtherType = "other",
        Media = "media",
    }
}

wire_enum! {
    /// Privacy settings that a `privacy_setting_change` event reports.
    pub enum PrivacySetting {
        AppDataCollection = "app_data_collection",
    }
}

wire_enum! {
    /// Push subscription actions.
    pub enum PushSubscriptionAction {
        Subscribe = "subscribe",
        Unsubscribe = "unsubscribe",
    }
}

wire_enum! {
    /// Application state transitions.
    pub enum ApplicationState {
        Install = "install",
        Upgrade = "upgrade",
        Initialize = "initialize",
        Exit = "exit",
        Background = "background",
        Foreground = "foreground",
    }
}

wire_enum! {
    /// Commerce product actions (note `add_to_wishlist` but `remove_from_wish_list`).
    pub enum ProductActionType {
        AddToWishlist = "add_to_wishlist",
        RemoveFromWishList = "remove_from_wish_list",
        AddToCart = "add_to_cart",
        RemoveFromCart = "remove_from_cart",
        Checkout = "checkout",
        Purchase = "purchase",
        Refund = "refund",
        CheckoutOption = "checkout_option",
        Click = "click",
        ViewDetail = "view_detail",
    }
}

wire_enum! {
    /// Promotion actions.
    pub enum PromotionActionType {
        Unknown = "unknown",
        View = "view",
        Click = "click",
    }
}

wire_enum! {
    /// What happened to an audience connection.
    pub enum SubscriptionAction {
        /// A customer connected the audience.
        Add = "add",
        /// The connection's settings or the audience name changed.
        Update = "update",
        /// The connection was removed.
        Remove = "remove",
    }
}

wire_enum! {
    /// What happened to a user's membership in an audience.
    pub enum AudienceAction {
        Add = "add",
        Delete = "delete",
        AttributeUpdate = "attribute_update",
    }
}

wire_enum! {
    /// What happened to a user attribute shared with an audience.
    pub enum AttributeAction {
        Upsert = "upsert",
        Delete = "delete",
    }
}

wire_enum! {
    /// Data-subject request types (only `erasure` is valid at registration).
    pub enum DsrType {
        Erasure = "erasure",
    }
}

wire_enum! {
    /// The regulation a data-subject request is made under.
    pub enum RegulationType {
        Unknown = "unknown",
        Ccpa = "ccpa",
        Gdpr = "gdpr",
    }
}

wire_enum! {
    /// How an OpenDSR identity value is encoded.
    pub enum OpenDsrEncoding {
        Raw = "raw",
    }
}

wire_enum! {
    /// OpenDSR identity types (the keys of `subject_identities`). These are OpenDSR names, not
    /// the Firehose device identity names (`android_advertising_id`, not `google_advertising_id`).
    pub enum OpenDsrIdentityType {
        ControllerCustomerId = "controller_customer_id",
        AndroidAdvertisingId = "android_advertising_id",
        AndroidId = "android_id",
        Email = "email",
        FireAdvertisingId = "fire_advertising_id",
        IosAdvertisingId = "ios_advertising_id",
        IosVendorId = "ios_vendor_id",
        MicrosoftAdvertisingId = "microsoft_advertising_id",
        MicrosoftPublisherId = "microsoft_publisher_id",
        RokuPublisherId = "roku_publisher_id",
        RokuAdvertisingId = "roku_advertising_id",
    }
}

wire_enum! {
    /// Where a batch came from (`source_channel`). A plain string on the wire.
    pub enum ChannelSourceType {
        Unknown = "unknown",
        /// The iOS, Android and Roku SDKs.
        Native = "native",
        /// The web SDK.
        Javascript = "javascript",
        Pixel = "pixel",
        /// Partner feeds.
        Partner = "partner",
        /// The server-to-server API.
        ServerToServer = "server_to_server",
    }
}
