//! Practice connections: the authorization code, the states a connection moves through, the
//! onboarding wizard's steps and answers.

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

    /// Reads a stored word.
    pub fn parse(word: &str) -> Option<Self> {
        [
            Self::CodeRejected,
            Self::HintUnavailable,
            Self::NoAnswer,
            Self::PartnerMisconfigured,
        ]
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

/// The onboarding wizard's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum WizardStep {
    /// Sign up or log in.
    Account = 0,
    /// The practice being connected.
    Practice = 1,
    /// The provider's role, contact details and preferences.
    Profile = 2,
    /// Review everything and connect.
    Review = 3,
    /// Connected.
    Done = 4,
}

impl WizardStep {
    /// The steps shown in the progress indicator.
    pub const SHOWN: [Self; 4] = [Self::Account, Self::Practice, Self::Profile, Self::Review];

    /// From the stored number.
    pub fn from_index(index: i64) -> Self {
        match index {
            i64::MIN..=0 => Self::Account,
            1 => Self::Practice,
            2 => Self::Profile,
            3 => Self::Review,
            _ => Self::Done,
        }
    }

    /// The stored number.
    pub fn index(self) -> i64 {
        self as i64
    }

    /// The step's title.
    pub fn title(self) -> &'static str {
        match self {
            Self::Account => "Your account",
            Self::Practice => "Your practice",
            Self::Profile => "You and your preferences",
            Self::Review => "Review and connect",
            Self::Done => "Connected",
        }
    }

    /// The step before this one (never before the account step).
    pub fn previous(self) -> Self {
        Self::from_index(self.index() - 1)
    }
}

/// The provider's role at the practice.
pub const ROLES: [(&str, &str); 5] = [
    ("physician", "Physician"),
    ("nurse_practitioner", "Nurse practitioner"),
    ("physician_assistant", "Physician assistant"),
    ("practice_manager", "Practice manager"),
    ("other", "Other"),
];

/// Answers of the "Your practice" step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PracticeAnswers {
    /// The practice's name as the provider knows it.
    pub name: String,
    /// The practice's main phone number.
    pub phone: String,
    /// How many clinicians see patients there.
    pub clinicians: u32,
}

/// Answers of the "You and your preferences" step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileAnswers {
    /// One of `ROLES`' keys.
    pub role: String,
    /// A phone number we may call about the integration.
    pub contact_phone: String,
    /// Email the provider when the connection needs attention.
    pub alerts_by_email: bool,
    /// Send a weekly summary.
    pub weekly_summary: bool,
}

/// Everything the wizard collected so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WizardAnswers {
    pub practice: Option<PracticeAnswers>,
    pub profile: Option<ProfileAnswers>,
}

fn phone_ok(phone: &str) -> bool {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    (7..=15).contains(&digits)
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
}

impl PracticeAnswers {
    /// Checks and tidies the answers; the error names the field to fix.
    pub fn validate(mut self) -> Result<Self, String> {
        self.name = self.name.trim().to_owned();
        self.phone = self.phone.trim().to_owned();
        if self.name.is_empty() || self.name.chars().count() > 200 {
            return Err("Enter the practice's name (up to 200 characters).".into());
        }
        if !phone_ok(&self.phone) {
            return Err("Enter the practice's phone number, like 512-555-0142.".into());
        }
        if !(1..=500).contains(&self.clinicians) {
            return Err(
                "Enter how many clinicians see patients at the practice (1 to 500).".into(),
            );
        }
        Ok(self)
    }
}

impl ProfileAnswers {
    /// Checks and tidies the answers; the error names the field to fix.
    pub fn validate(mut self) -> Result<Self, String> {
        self.contact_phone = self.contact_phone.trim().to_owned();
        if !ROLES.iter().any(|(key, _)| *key == self.role) {
            return Err("Choose your role at the practice.".into());
        }
        if !phone_ok(&self.contact_phone) {
            return Err("Enter a phone number we can reach you at, like 512-555-0142.".into());
        }
        Ok(self)
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

/// Everything the wizard page needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Onboarding {
    pub user: Option<super::account::CurrentUser>,
    /// The connection being set up, if a code arrived in this session.
    pub connection: Option<ConnectionSummary>,
    pub step: WizardStep,
    pub answers: WizardAnswers,
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
    fn practice_answers_are_checked() {
        let good = PracticeAnswers {
            name: " Riverbend DPC ".into(),
            phone: "512-555-0142".into(),
            clinicians: 3,
        };
        assert_eq!(good.clone().validate().unwrap().name, "Riverbend DPC");
        assert!(PracticeAnswers {
            phone: "call me".into(),
            ..good.clone()
        }
        .validate()
        .is_err());
        assert!(PracticeAnswers {
            clinicians: 0,
            ..good
        }
        .validate()
        .is_err());
    }

    #[test]
    fn profile_answers_need_a_known_role() {
        let good = ProfileAnswers {
            role: "physician".into(),
            contact_phone: "+1 512 555 0142".into(),
            ..Default::default()
        };
        assert!(good.clone().validate().is_ok());
        assert!(ProfileAnswers {
            role: "wizard".into(),
            ..good
        }
        .validate()
        .is_err());
    }

    #[test]
    fn steps_go_back_but_never_before_the_account() {
        assert_eq!(WizardStep::Review.previous(), WizardStep::Profile);
        assert_eq!(WizardStep::Account.previous(), WizardStep::Account);
    }
}
