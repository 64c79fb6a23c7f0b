//! The audit log's vocabulary: who acted, what they did, how it went. Shared with the browser
//! because a connection's timeline shows these words to staff.

stored_words! {
    /// Who acted.
    pub enum ActorKind {
        /// Someone not logged in.
        Anonymous => "anonymous",
        /// A provider.
        Provider => "provider",
        /// Partner staff.
        Staff => "staff",
        /// Hint (webhooks, headless connect).
        Hint => "hint",
        /// The app itself (background jobs).
        System => "system",
        /// The partner's own product, through the service API (a service token).
        Service => "service",
    }
}

stored_words! {
    /// How it went.
    pub enum Outcome {
        Ok => "ok",
        Denied => "denied",
        Failed => "failed",
    }
}

stored_words! {
    /// What was done. One word per kind of event, so the log can be counted and filtered.
    pub enum AuditAction {
        /// An authorization code arrived (landing, manual or headless).
        CodeReceived => "code_received",
        /// A provider signed up.
        AccountCreated => "account_created",
        /// A provider logged in (or tried).
        Login => "login",
        /// A staff member logged in (or tried).
        StaffLogin => "staff_login",
        /// An exchange with Hint began (the claim was won).
        ExchangeStarted => "exchange_started",
        /// Hint gave us the practice's key.
        ExchangeSucceeded => "exchange_succeeded",
        /// Hint did not give us a key.
        ExchangeFailed => "exchange_failed",
        /// A provider said yes to connecting the practice Hint named to their account.
        ConnectionBound => "connection_bound",
        /// A practice connected by one account was connected again by another.
        OwnershipChanged => "ownership_changed",
        /// A provider finished the wizard (the integration is activated when so configured).
        OnboardingCompleted => "onboarding_completed",
        /// Staff proved the stored key against Hint.
        KeyVerified => "key_verified",
        /// The key health job found the stored key refused.
        KeyCheck => "key_check",
        /// Staff read the integration's status from Hint.
        StatusRefreshed => "status_refreshed",
        /// Staff activated the integration at Hint.
        Activated => "activated",
        /// Staff deactivated the integration at Hint.
        Deactivated => "deactivated",
        /// Staff revealed the full practice key.
        KeyRevealed => "key_revealed",
        /// Staff exported the list as CSV.
        ExportedCsv => "exported_csv",
        /// Hint's `integration.activated` webhook was applied.
        WebhookIntegrationActivated => "webhook_integration_activated",
        /// Hint's `integration.deactivated` webhook was applied.
        WebhookIntegrationDeactivated => "webhook_integration_deactivated",
        /// Hint's `practice.updated` webhook was applied (no longer acted on; kept so older
        /// timelines still read).
        WebhookPracticeUpdated => "webhook_practice_updated",
        /// Hint's `practice.deactivated` webhook was applied (no longer acted on; kept so older
        /// timelines still read).
        WebhookPracticeDeactivated => "webhook_practice_deactivated",
        /// A staff login's second factor: an authenticator code (or a recovery code) was tried.
        StaffSecondFactor => "staff_second_factor",
        /// A staff member set up their authenticator.
        StaffFactorEnrolled => "staff_factor_enrolled",
        /// A staff member's authenticator was reset (with a recovery code, or from the CLI).
        StaffFactorReset => "staff_factor_reset",
        /// A staff member confirmed their password and a code again before a sensitive action.
        StaffSteppedUp => "staff_stepped_up",
        /// Hint opened an embedded surface for one of its users (a signed handshake).
        HintHandshake => "hint_handshake",
        /// A practice's preferences were changed from inside Hint.
        PreferencesChanged => "preferences_changed",
        /// From inside Hint, a provider was invited to claim a connection nobody owns.
        OwnerInvited => "owner_invited",
        /// A provider proved their email by opening the link sent there.
        EmailVerified => "email_verified",
        /// A password reset link was asked for (for a known or an unknown address).
        PasswordResetRequested => "password_reset_requested",
        /// A password was set from a reset link.
        PasswordReset => "password_reset",
        /// A provider changed their password on the account page.
        PasswordChanged => "password_changed",
        /// A provider asked to change their email (a link went to the new one).
        EmailChangeRequested => "email_change_requested",
        /// A provider's new email was confirmed and is now the account's.
        EmailChanged => "email_changed",
        /// A provider ended one of their sessions, or all the others.
        SessionEnded => "session_ended",
        /// A staff member was invited (an enrolment link was emailed).
        StaffInvited => "staff_invited",
        /// A staff member set their password from an invitation or password link.
        StaffPasswordSet => "staff_password_set",
        /// A staff member was enabled again.
        StaffEnabled => "staff_enabled",
        /// A staff member was disabled.
        StaffDisabled => "staff_disabled",
        /// A staff member's password was reset (their sessions end; a link was emailed).
        StaffPasswordReset => "staff_password_reset",
        /// A staff member's role was changed.
        StaffRoleChanged => "staff_role_changed",
        /// A notification was queued for a connection's provider.
        NotificationQueued => "notification_queued",
        /// Someone turned a notification off from the link in an email.
        Unsubscribed => "unsubscribed",
        /// A service token was created (the detail names it).
        ServiceTokenCreated => "service_token_created",
        /// A service token was revoked (the detail names it).
        ServiceTokenRevoked => "service_token_revoked",
        /// A practice's key was read through the service API (the detail names the token).
        ServiceKeyRead => "service_key_read",
        /// An event endpoint was added (the detail is its URL).
        EventEndpointAdded => "event_endpoint_added",
        /// An event endpoint was removed (the detail is its URL).
        EventEndpointRemoved => "event_endpoint_removed",
        /// An event endpoint's signing secret was replaced (the old one signs for a day more).
        EventSecretRotated => "event_secret_rotated",
        /// Staff asked for an event to be delivered again (the detail is the event's id).
        EventResent => "event_resent",
        /// An admin exported the audit log (the detail gives the format and the filters).
        AuditExported => "audit_exported",
        /// Entries past the retention were archived and removed (the detail counts them).
        AuditRetired => "audit_retired",
    }
}

impl AuditAction {
    /// The action as staff read it on a timeline ("key revealed").
    pub fn label(self) -> String {
        self.as_str().replace('_', " ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_through_its_stored_word_and_its_json() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(*action));
            let json = serde_json::to_string(action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.as_str()));
        }
        assert_eq!(AuditAction::parse("test"), None);
    }

    #[test]
    fn stored_words_are_unique() {
        let mut words: Vec<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        words.sort_unstable();
        words.dedup();
        assert_eq!(words.len(), AuditAction::ALL.len());
    }
}
