//! The wizard's answers as the `connections` row keeps them: the provider's email choices in
//! columns of their own (`alerts_by_email`, `weekly_summary`), so the jobs that send email find
//! them with an index; everything else as JSON in `wizard_data`. One copy of each answer.

use crate::domain::onboarding::WizardAnswers;
use crate::domain::AppError;

/// The email choices, as their columns hold them (0 or 1: sqlx's `Any` driver reads no SQLite
/// booleans).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Preferences {
    /// "Email me if the connection needs attention".
    pub alerts_by_email: bool,
    /// "Send me a weekly summary".
    pub weekly_summary: bool,
}

impl<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> for Preferences {
    fn from_row(row: &'r sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;

        Ok(Self {
            alerts_by_email: row.try_get::<i64, _>("alerts_by_email")? != 0,
            weekly_summary: row.try_get::<i64, _>("weekly_summary")? != 0,
        })
    }
}

/// `answers` split for storing: the JSON (without the choices) and the choices.
pub fn stored(answers: &WizardAnswers) -> Result<(String, Preferences), AppError> {
    let preferences = answers
        .profile
        .as_ref()
        .map(|profile| Preferences {
            alerts_by_email: profile.alerts_by_email,
            weekly_summary: profile.weekly_summary,
        })
        .unwrap_or_default();
    let mut value = serde_json::to_value(answers).map_err(|_| AppError::Internal)?;
    if let Some(profile) = value
        .get_mut("profile")
        .and_then(serde_json::Value::as_object_mut)
    {
        profile.remove("alerts_by_email");
        profile.remove("weekly_summary");
    }
    Ok((value.to_string(), preferences))
}

/// The answers a row holds, the choices put back into the profile step's answers.
pub fn read(data: &str, preferences: Preferences) -> WizardAnswers {
    let mut answers: WizardAnswers = serde_json::from_str(data).unwrap_or_default();
    if let Some(profile) = answers.profile.as_mut() {
        profile.alerts_by_email = preferences.alerts_by_email;
        profile.weekly_summary = preferences.weekly_summary;
    }
    answers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::onboarding::{PracticeAnswers, ProfileAnswers};

    #[test]
    fn the_choices_leave_the_json_and_come_back() {
        let answers = WizardAnswers {
            practice: Some(PracticeAnswers {
                name: "Maple".into(),
                phone: "555 0100".into(),
                clinicians: 2,
            }),
            profile: Some(ProfileAnswers {
                role: "physician".into(),
                contact_phone: "555 0101".into(),
                alerts_by_email: true,
                weekly_summary: false,
            }),
        };
        let (data, preferences) = stored(&answers).unwrap();
        assert!(!data.contains("alerts_by_email") && !data.contains("weekly_summary"));
        assert_eq!(
            preferences,
            Preferences {
                alerts_by_email: true,
                weekly_summary: false
            }
        );
        assert_eq!(read(&data, preferences), answers);
    }

    #[test]
    fn answers_stored_before_the_columns_still_read() {
        let old = r#"{"practice":null,"profile":{"role":"physician","contact_phone":"5550101","alerts_by_email":true,"weekly_summary":true}}"#;
        let answers = read(old, Preferences::default());
        let profile = answers.profile.expect("the profile is kept");
        assert_eq!(profile.role, "physician");
        // The columns decide, not a copy left in the JSON.
        assert!(!profile.alerts_by_email && !profile.weekly_summary);
    }
}
