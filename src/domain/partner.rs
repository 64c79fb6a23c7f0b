//! The partner's own product as a client: the scopes a service token carries, the events a
//! connection's changes send, and what the dashboard shows of tokens, endpoints and deliveries.

use serde::{Deserialize, Serialize};

use super::connection::ConnectionStatus;

/// The prefix every service token starts with, so a leaked one is recognised (by people and
/// by secret scanners).
pub const TOKEN_PREFIX: &str = "pcs_";
/// The prefix of an event endpoint's signing secret.
pub const SIGNING_SECRET_PREFIX: &str = "whsec_";
/// The header an event's signature travels in.
pub const SIGNATURE_HEADER: &str = "Practice-Connect-Signature";

stored_words! {
    /// What a service token may do.
    pub enum Scope {
        /// List and read connections (never a key).
        ConnectionsRead => "connections:read",
        /// Read a connected practice's API key.
        KeysRead => "keys:read",
    }
}

impl Scope {
    /// Reads a comma-separated list (`connections:read,keys:read`); an unknown word is an error
    /// that names it. Each scope appears once, in the order of [`Scope::ALL`].
    pub fn parse_list(text: &str) -> Result<Vec<Scope>, String> {
        let mut scopes = Vec::new();
        for word in text
            .split(',')
            .map(str::trim)
            .filter(|word| !word.is_empty())
        {
            let scope = Scope::parse(word).ok_or_else(|| {
                let known: Vec<&str> = Scope::ALL.iter().map(|scope| scope.as_str()).collect();
                format!("unknown scope {word:?} (known: {})", known.join(", "))
            })?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        if scopes.is_empty() {
            return Err("a token needs at least one scope".into());
        }
        scopes.sort_by_key(|scope| Scope::ALL.iter().position(|known| known == scope));
        Ok(scopes)
    }

    /// The list as stored and shown: `connections:read,keys:read`.
    pub fn join(scopes: &[Scope]) -> String {
        let words: Vec<&str> = scopes.iter().map(|scope| scope.as_str()).collect();
        words.join(",")
    }
}

stored_words! {
    /// What happened to a connection, as an event names it.
    pub enum EventKind {
        /// The practice is connected: its key works and the integration is active.
        Connected => "connection.connected",
        /// The key is stored; the integration waits for activation at Hint.
        AwaitingActivation => "connection.awaiting_activation",
        /// Hint refuses the stored key: the practice must connect again.
        NeedsReconnect => "connection.needs_reconnect",
        /// A practice that needed a reconnect is connected again.
        Recovered => "connection.recovered",
        /// The integration was deactivated (by the practice in Hint or by staff); the key is gone.
        Disconnected => "connection.disconnected",
        /// Another provider account took the connection over.
        OwnerChanged => "connection.owner_changed",
    }
}

impl EventKind {
    /// The event a change of status from `before` to `after` sends, if any; `reconnecting`:
    /// the connection needed a reconnect and has been in its in-between steps since (a new
    /// code, an exchange, awaiting activation). A status that did not change, and the steps
    /// before a key exists (pending, exchanging, failed), send none.
    pub fn for_change(
        before: Option<ConnectionStatus>,
        reconnecting: bool,
        after: ConnectionStatus,
    ) -> Option<Self> {
        if before == Some(after) {
            return None;
        }
        match after {
            ConnectionStatus::Connected if reconnecting => Some(Self::Recovered),
            ConnectionStatus::Connected => Some(Self::Connected),
            ConnectionStatus::AwaitingActivation => Some(Self::AwaitingActivation),
            ConnectionStatus::NeedsReconnect => Some(Self::NeedsReconnect),
            ConnectionStatus::Disconnected => Some(Self::Disconnected),
            ConnectionStatus::Pending | ConnectionStatus::Exchanging | ConnectionStatus::Failed => {
                None
            }
        }
    }
}

/// A service token as the dashboard lists it (never the token).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceTokenView {
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

stored_words! {
    /// Where one event stands with one endpoint.
    pub enum DeliveryStatus {
        /// Not delivered yet: due at `next_attempt_at`.
        Pending => "pending",
        /// The endpoint answered 2xx.
        Delivered => "delivered",
        /// Every attempt for the retry window failed.
        GaveUp => "gave_up",
        /// The endpoint was removed before it was delivered.
        Cancelled => "cancelled",
    }
}

/// One event's delivery to one endpoint, as the dashboard lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub event_id: String,
    pub kind: String,
    pub connection_id: String,
    pub created_at: i64,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
}

/// An event endpoint and its latest deliveries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointView {
    pub url: String,
    pub created_at: i64,
    /// Events not delivered yet.
    pub pending: i64,
    pub recent: Vec<DeliveryView>,
}

/// The dashboard's page on the partner API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartnerApiOverview {
    pub tokens: Vec<ServiceTokenView>,
    pub endpoints: Vec<EndpointView>,
    pub now: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConnectionStatus as S;

    #[test]
    fn scopes_read_as_a_list_once_each_and_an_unknown_one_is_named() {
        let scopes = Scope::parse_list(" keys:read,connections:read,keys:read ").unwrap();
        assert_eq!(scopes, vec![Scope::ConnectionsRead, Scope::KeysRead]);
        assert_eq!(Scope::join(&scopes), "connections:read,keys:read");
        let error = Scope::parse_list("connections:read,keys:write").unwrap_err();
        assert!(error.contains("\"keys:write\""), "{error}");
        assert!(Scope::parse_list(" , ").is_err());
    }

    #[test]
    fn each_lifecycle_change_names_its_event_and_no_change_names_none() {
        let kind = |before, after| EventKind::for_change(before, false, after);
        assert_eq!(
            kind(Some(S::Exchanging), S::Connected),
            Some(EventKind::Connected)
        );
        assert_eq!(
            kind(Some(S::AwaitingActivation), S::Connected),
            Some(EventKind::Connected)
        );
        assert_eq!(
            kind(Some(S::Connected), S::NeedsReconnect),
            Some(EventKind::NeedsReconnect)
        );
        assert_eq!(
            kind(Some(S::Connected), S::Disconnected),
            Some(EventKind::Disconnected)
        );
        assert_eq!(
            kind(Some(S::Exchanging), S::AwaitingActivation),
            Some(EventKind::AwaitingActivation)
        );
        assert_eq!(kind(Some(S::Connected), S::Connected), None);
        assert_eq!(kind(Some(S::Exchanging), S::Pending), None);
        assert_eq!(kind(Some(S::Exchanging), S::Failed), None);
    }
}
