//! The onboarding wizard: its steps, the answers each step collects, and what the wizard page
//! needs to render where the provider stands.

use serde::{Deserialize, Serialize};

use super::connection::ConnectionSummary;

/// The onboarding wizard's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum WizardStep {
    /// Sign up or log in.
    Account,
    /// Say yes to connecting the practice Hint named to this account. Never stored: a
    /// connection is at this step until it is bound to an account.
    Confirm,
    /// The practice being connected.
    Practice,
    /// The provider's role, contact details and preferences.
    Profile,
    /// Review everything and connect.
    Review,
    /// Connected.
    Done,
}

impl WizardStep {
    /// The steps shown in the progress indicator.
    pub const SHOWN: [Self; 5] = [
        Self::Account,
        Self::Confirm,
        Self::Practice,
        Self::Profile,
        Self::Review,
    ];

    /// From the number stored on a connection.
    pub fn from_index(index: i64) -> Self {
        match index {
            i64::MIN..=0 => Self::Account,
            1 => Self::Practice,
            2 => Self::Profile,
            3 => Self::Review,
            _ => Self::Done,
        }
    }

    /// The number stored on a connection (the confirmation is not a stored step).
    pub fn index(self) -> i64 {
        match self {
            Self::Account | Self::Confirm => 0,
            Self::Practice => 1,
            Self::Profile => 2,
            Self::Review => 3,
            Self::Done => 4,
        }
    }

    /// The step's title.
    pub fn title(self) -> &'static str {
        match self {
            Self::Account => "Your account",
            Self::Confirm => "Confirm the practice",
            Self::Practice => "Your practice",
            Self::Profile => "You and your preferences",
            Self::Review => "Review and connect",
            Self::Done => "Connected",
        }
    }

    /// The stored step before this one (never before the account step).
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
    /// Email the provider when the connection needs attention (stored in a column of its own, so
    /// absent from the stored answers).
    #[serde(default)]
    pub alerts_by_email: bool,
    /// Send a weekly summary (stored like `alerts_by_email`).
    #[serde(default)]
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

/// Everything the wizard page needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Onboarding {
    pub user: Option<super::account::CurrentUser>,
    /// At the confirmation step: the landed connection the "yes" binds (the form sends it back,
    /// so a link landing meanwhile cannot swap what is bound).
    pub landed_id: Option<String>,
    /// The connection being set up, if a code arrived in this session.
    pub connection: Option<ConnectionSummary>,
    pub step: WizardStep,
    pub answers: WizardAnswers,
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn stored_steps_round_trip_and_keep_their_order() {
        for step in [
            WizardStep::Practice,
            WizardStep::Profile,
            WizardStep::Review,
            WizardStep::Done,
        ] {
            assert_eq!(WizardStep::from_index(step.index()), step);
        }
        assert!(
            WizardStep::Account < WizardStep::Confirm && WizardStep::Confirm < WizardStep::Practice
        );
    }
}
