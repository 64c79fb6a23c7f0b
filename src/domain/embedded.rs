//! What Hint shows of us inside its own pages: the settings surface of one practice, opened with
//! a session key from a signed handshake.

use serde::{Deserialize, Serialize};

use super::connection::ConnectionStatus;

stored_words! {
    /// What a Hint session may do on the surface, least first.
    #[derive(PartialOrd, Ord)]
    pub enum SurfaceAccess {
        /// Nothing: the surface says so.
        None => "none",
        /// Read the connection and the preferences.
        View => "view",
        /// Read, and change the preferences.
        Edit => "edit",
    }
}

/// Hint's `access_context` for a session opened by Hint's own staff.
pub const SUPPORT_CONTEXT: &str = "platform_support";

/// What a handshake allows, and whether it is a Hint support session.
///
/// - `partner_roles` are this app's roles, as Hint's app configuration maps them for the user:
///   `admin` or `editor` may edit, `viewer` may view; other words are ignored. An empty list means
///   no access. A handshake without the field (Hint's published contract and its audit do not
///   send it) keeps the access the surface always had: edit.
/// - `access_context`: absent or `practice` is the practice's own user; `platform_support` is
///   Hint's staff, who may at most view; any other word gets no access (the most restrictive).
pub fn surface_access(
    partner_roles: Option<&[String]>,
    access_context: Option<&str>,
) -> (SurfaceAccess, bool) {
    let by_role = match partner_roles {
        None => SurfaceAccess::Edit,
        Some(roles) => roles
            .iter()
            .map(|role| match role.trim().to_ascii_lowercase().as_str() {
                "admin" | "editor" => SurfaceAccess::Edit,
                "viewer" => SurfaceAccess::View,
                _ => SurfaceAccess::None,
            })
            .max()
            .unwrap_or(SurfaceAccess::None),
    };
    match access_context.map(str::trim) {
        None | Some("practice") => (by_role, false),
        Some(SUPPORT_CONTEXT) => (by_role.min(SurfaceAccess::View), true),
        Some(_) => (SurfaceAccess::None, false),
    }
}

/// What the settings surface shows for its session key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmbeddedView {
    /// No key, or one that expired or was never issued: the surface says to open it from Hint.
    NoSession,
    /// The Hint user's roles give no access to this surface.
    NoAccess,
    /// The practice of the key has no connection with us yet.
    NotConnected {
        practice_name: Option<String>,
        /// A Hint support session (Hint's own staff).
        support_session: bool,
    },
    /// The practice's connection.
    Connected(PracticeSettings),
}

/// One practice's connection as the practice sees it inside Hint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PracticeSettings {
    pub practice_name: String,
    pub status: ConnectionStatus,
    /// Unix seconds.
    pub connected_at: Option<i64>,
    /// Who connected it (the provider's name, or who activated it in Hint).
    pub connected_by: Option<String>,
    /// When the stored key last worked against Hint (unix seconds).
    pub last_verified_at: Option<i64>,
    /// Email the provider when the connection needs attention.
    pub alerts_by_email: bool,
    /// Send the provider a weekly summary.
    pub weekly_summary: bool,
    /// Whether this session may change the preferences.
    pub can_edit: bool,
    /// A Hint support session (Hint's own staff): shown, and never writes.
    pub support_session: bool,
    /// Whether a provider account owns the connection (a headless install has none until someone
    /// invited from inside Hint claims it).
    pub claimed: bool,
}

impl PracticeSettings {
    /// What the practice should do now, in words, given the status.
    pub fn next_step(&self) -> &'static str {
        match self.status {
            ConnectionStatus::Connected => "Nothing to do: the connection works.",
            ConnectionStatus::AwaitingActivation => {
                "Activate the integration in Hint's marketplace to finish connecting."
            }
            ConnectionStatus::NeedsReconnect | ConnectionStatus::Disconnected => {
                "Connect again from Hint's marketplace: click Connect on our listing and sign in."
            }
            ConnectionStatus::Failed => {
                "The last attempt did not finish. Click Connect on our listing in Hint to try again."
            }
            ConnectionStatus::Pending | ConnectionStatus::Exchanging => {
                "Connecting is under way; come back in a minute."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(words: &[&str]) -> Vec<String> {
        words.iter().map(|word| word.to_string()).collect()
    }

    #[test]
    fn roles_and_context_decide_what_a_session_may_do() {
        use SurfaceAccess as A;
        assert_eq!(
            surface_access(Some(&roles(&["admin"])), None),
            (A::Edit, false)
        );
        assert_eq!(
            surface_access(Some(&roles(&["viewer"])), Some("practice")),
            (A::View, false)
        );
        assert_eq!(
            surface_access(Some(&roles(&["viewer", "editor"])), None),
            (A::Edit, false)
        );
        assert_eq!(
            surface_access(Some(&[]), None),
            (A::None, false),
            "empty: no access"
        );
        assert_eq!(
            surface_access(Some(&roles(&["billing"])), None),
            (A::None, false)
        );
        assert_eq!(
            surface_access(None, None),
            (A::Edit, false),
            "the field absent, as before"
        );
        assert_eq!(
            surface_access(Some(&roles(&["admin"])), Some(SUPPORT_CONTEXT)),
            (A::View, true),
            "Hint's staff may look, never write"
        );
        assert_eq!(
            surface_access(None, Some("impersonation")),
            (A::None, false),
            "unknown: most restrictive"
        );
    }
}
