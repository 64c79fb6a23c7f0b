//! What Hint shows of us inside its own pages: the settings surface of one practice, opened with
//! a session key from a signed handshake.

use serde::{Deserialize, Serialize};

use super::connection::ConnectionStatus;

/// What the settings surface shows for its session key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmbeddedView {
    /// No key, or one that expired or was never issued: the surface says to open it from Hint.
    NoSession,
    /// The practice of the key has no connection with us yet.
    NotConnected { practice_name: Option<String> },
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
