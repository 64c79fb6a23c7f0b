//! Practice connections: the authorization code, the states a connection moves through, and what
//! a provider sees of one. The wizard that collects answers is in `onboarding`.

use serde::{Deserialize, Serialize};

/// An authorization code as Hint appends it to our redirect URL. Only its shape is checked here;
/// Hint decides whether it is valid.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthCode(String);

impl AuthCode {
    /// 8 to 256 characters of letters, digits and `-._~` (the URL-safe set).
    pub fn parse(raw: &str) -> Option<Self> {
        let shape_ok = (8..=256).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        shape_ok.then(|| Self(raw.to_owned()))
    }

    /// The code, to send to Hint.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AuthCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthCode(…)")
    }
}

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// A code arrived; nothing was sent to Hint yet.
    Pending,
    /// One request holds the claim and is talking to Hint.
    Exchanging,
    /// Hint gave us the practice's key and the integration is active.
    Connected,
    /// Exchanged with `activate: false`; waiting for activation at Hint.
    AwaitingActivation,
    /// Hint refused the code; a new one is needed.
    Failed,
    /// Deactivated by staff or by the practice in Hint.
    Disconnected,
    /// Hint refuses the stored key; the practice must connect again.
    NeedsReconnect,
}

impl ConnectionStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [Self; 7] = [
        Self::Pending,
        Self::Exchanging,
        Self::Connected,
        Self::AwaitingActivation,
        Self::Failed,
        Self::Disconnected,
        Self::NeedsReconnect,
    ];

    /// The word stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Exchanging => "exchanging",
            Self::Connected => "connected",
            Self::AwaitingActivation => "awaiting_activation",
            Self::Failed => "failed",
            Self::Disconnected => "disconnected",
            Self::NeedsReconnect => "needs_reconnect",
        }
    }

    /// Reads a stored word.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == word)
    }

    /// Our status for Hint's word for an integration or installation (`status` in Hint's
    /// answers and webhooks), read conservatively: only `connected` and `active` are connected;
    /// `inactive` and `deactivated` are disconnected; `pending`, `requested` and `onboarding`
    /// await activation; a word we do not know is not shown as connected (it awaits activation,
    /// and [`ConnectionStatus::is_known_hint_word`] lets the caller log it). No word at all (an
    /// exchange's answer without one) is the connection the exchange just made.
    pub fn from_hint(word: Option<&str>) -> Self {
        match word {
            None | Some("connected" | "active") => Self::Connected,
            Some("inactive" | "deactivated") => Self::Disconnected,
            Some(_) => Self::AwaitingActivation,
        }
    }

    /// Whether `word` is one of Hint's status words we know.
    pub fn is_known_hint_word(word: &str) -> bool {
        matches!(
            word,
            "connected"
                | "active"
                | "inactive"
                | "deactivated"
                | "pending"
                | "requested"
                | "onboarding"
        )
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Not connected yet",
            Self::Exchanging => "Connecting…",
            Self::Connected => "Connected",
            Self::AwaitingActivation => "Awaiting activation",
            Self::Failed => "Failed",
            Self::Disconnected => "Disconnected",
            Self::NeedsReconnect => "Needs reconnect",
        }
    }
}

impl TryFrom<String> for ConnectionStatus {
    type Error = String;

    /// Reads a stored word (database rows decode through this).
    fn try_from(word: String) -> Result<Self, Self::Error> {
        Self::parse(&word).ok_or_else(|| format!("unknown connection status {word:?}"))
    }
}

/// Why the last attempt to connect did not succeed, with what the provider should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectProblem {
    /// Hint refused the code: used, expired or unknown.
    CodeRejected,
    /// Hint could not be reached or was overloaded; nothing was lost.
    HintUnavailable,
    /// Hint did not answer in time; it may or may not have acted.
    NoAnswer,
    /// Hint refused our partner credentials: staff must fix the configuration.
    PartnerMisconfigured,
}

impl ConnectProblem {
    /// The word stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CodeRejected => "code_rejected",
            Self::HintUnavailable => "hint_unavailable",
            Self::NoAnswer => "no_answer",
            Self::PartnerMisconfigured => "partner_misconfigured",
        }
    }

    /// Every problem.
    pub const ALL: [Self; 4] = [
        Self::CodeRejected,
        Self::HintUnavailable,
        Self::NoAnswer,
        Self::PartnerMisconfigured,
    ];

    /// Reads a stored word.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|problem| problem.as_str() == word)
    }

    /// What the provider reads.
    pub fn message(self) -> &'static str {
        match self {
            Self::CodeRejected => {
                "Hint did not accept this connection link: it was already used or has expired. \
                 Start again from Hint: open our integration there and click Connect."
            }
            Self::HintUnavailable => {
                "Hint is not reachable right now. Your answers are saved: try again in a minute."
            }
            Self::NoAnswer => {
                "Hint did not answer in time. Your answers are saved: try again. If Hint says the link was \
                 already used, start again from Hint."
            }
            Self::PartnerMisconfigured => {
                "We could not connect because of a problem on our side. Our team has been alerted; \
                 your answers are saved, so try again later."
            }
        }
    }

    /// Whether trying again with the same code can work.
    pub fn retryable(self) -> bool {
        !matches!(self, Self::CodeRejected)
    }
}

/// A connection as its provider sees it: never the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionSummary {
    pub id: String,
    pub status: ConnectionStatus,
    pub practice_id: Option<String>,
    pub practice_name: Option<String>,
    /// Hint's own word for the integration's status.
    pub hint_status: Option<String>,
    /// Unix seconds.
    pub connected_at: Option<i64>,
    pub problem: Option<ConnectProblem>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hint_shaped_codes_are_accepted() {
        assert!(AuthCode::parse("2jK3jlOOOpejk7xnKEl").is_some());
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in [
            "",
            "short",
            "has space in it",
            "semi;colon1",
            "<script>alert(1)</script>",
            &"a".repeat(257),
        ] {
            assert!(AuthCode::parse(bad).is_none(), "{bad} should be refused");
        }
    }

    #[test]
    fn codes_never_show_in_debug_output() {
        assert_eq!(
            format!("{:?}", AuthCode::parse("2jK3jlOOOpejk7xnKEl").unwrap()),
            "AuthCode(…)"
        );
    }

    #[test]
    fn statuses_round_trip_through_their_stored_words() {
        for status in ConnectionStatus::ALL {
            assert_eq!(ConnectionStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ConnectionStatus::parse("bogus"), None);
    }

    #[test]
    fn hint_words_map_to_our_statuses() {
        assert_eq!(
            ConnectionStatus::from_hint(Some("inactive")),
            ConnectionStatus::Disconnected
        );
        assert_eq!(
            ConnectionStatus::from_hint(Some("pending")),
            ConnectionStatus::AwaitingActivation
        );
        assert_eq!(
            ConnectionStatus::from_hint(Some("requested")),
            ConnectionStatus::AwaitingActivation
        );
        assert_eq!(
            ConnectionStatus::from_hint(Some("active")),
            ConnectionStatus::Connected
        );
        assert_eq!(
            ConnectionStatus::from_hint(None),
            ConnectionStatus::Connected
        );
        // Hint's installations API.
        assert_eq!(
            ConnectionStatus::from_hint(Some("deactivated")),
            ConnectionStatus::Disconnected
        );
        assert_eq!(
            ConnectionStatus::from_hint(Some("onboarding")),
            ConnectionStatus::AwaitingActivation
        );
        // A word we do not know is never shown as connected.
        assert_eq!(
            ConnectionStatus::from_hint(Some("suspended_for_review")),
            ConnectionStatus::AwaitingActivation
        );
        assert!(!ConnectionStatus::is_known_hint_word(
            "suspended_for_review"
        ));
    }
}
