//! The onboarding wizard's server functions: read where the provider is, save each step, go
//! back, connect. The wizard's state lives on the server, so a reload or another device resumes
//! at the same step.

use leptos::prelude::*;

use crate::domain::connection::{ConnectionSummary, Onboarding};
use crate::domain::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    use crate::api::caller::{caller, Caller, CONNECTION_KEY};
    use crate::domain::account::CurrentUser;
    use crate::domain::AppError;
    use crate::server::auth;
    use crate::server::connect::{self, ConnectionRow};

    /// The logged-in provider and the connection their session brought, if it is theirs.
    pub async fn current() -> Result<(Caller, Option<CurrentUser>, Option<ConnectionRow>), AppError>
    {
        let caller = caller().await?;
        let user = auth::current_user(&caller.state.db, &caller.session).await?;
        let Some(id) = auth::session_value(&caller.session, CONNECTION_KEY).await? else {
            return Ok((caller, user, None));
        };
        let row = connect::load(&caller.state, &id).await?;
        let row = match (row, &user) {
            (Some(row), Some(user)) if row.user_id.is_none() => {
                connect::claim_for_user(&caller.state, &row.summary.id, &user.id).await?;
                connect::load(&caller.state, &row.summary.id).await?
            }
            (Some(row), Some(user)) if row.user_id.as_deref() == Some(&user.id) => Some(row),
            (Some(row), None) => Some(row),
            _ => None,
        };
        Ok((caller, user, row))
    }

    /// The provider and their connection, or the error that says what is missing.
    pub async fn owned() -> Result<(Caller, CurrentUser, ConnectionRow), AppError> {
        let (caller, user, row) = current().await?;
        let user = user.ok_or(AppError::Unauthenticated)?;
        let row = row.ok_or_else(|| {
            AppError::invalid("There is no connection in progress. Start from Hint: open our integration there and click Connect.")
        })?;
        Ok((caller, user, row))
    }
}

/// Where the provider stands in the wizard.
#[server(prefix = "/api", endpoint = "onboarding")]
pub async fn get_onboarding() -> Result<Onboarding, AppError> {
    use crate::domain::connection::{ConnectionStatus, WizardStep};

    let (_caller, user, row) = ssr::current().await?;
    let step = match (&user, &row) {
        (None, _) => WizardStep::Account,
        (Some(_), Some(row))
            if matches!(
                row.summary.status,
                ConnectionStatus::Connected | ConnectionStatus::AwaitingActivation
            ) =>
        {
            WizardStep::Done
        }
        (Some(_), Some(row)) => row.step.max(WizardStep::Practice).min(WizardStep::Review),
        (Some(_), None) => WizardStep::Practice,
    };
    let answers = row.as_ref().map(|r| r.answers.clone()).unwrap_or_default();
    Ok(Onboarding {
        user,
        connection: row.map(|r| r.summary),
        step,
        answers,
    })
}

/// Saves the "Your practice" step.
#[server(prefix = "/api", endpoint = "onboarding/practice")]
pub async fn save_practice_step(
    name: String,
    phone: String,
    clinicians: String,
) -> Result<(), AppError> {
    use crate::domain::connection::PracticeAnswers;

    let (caller, _user, row) = ssr::owned().await?;
    let clinicians = clinicians.trim().parse().map_err(|_| {
        AppError::invalid("Enter how many clinicians see patients at the practice (1 to 500).")
    })?;
    crate::server::connect::save_practice(
        &caller.state,
        &row,
        PracticeAnswers {
            name,
            phone,
            clinicians,
        },
    )
    .await
}

/// Saves the "You and your preferences" step. Checkboxes are absent from a form when unticked.
#[server(prefix = "/api", endpoint = "onboarding/profile")]
pub async fn save_profile_step(
    role: String,
    contact_phone: String,
    alerts_by_email: Option<String>,
    weekly_summary: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::connection::ProfileAnswers;

    let (caller, _user, row) = ssr::owned().await?;
    let answers = ProfileAnswers {
        role,
        contact_phone,
        alerts_by_email: alerts_by_email.is_some(),
        weekly_summary: weekly_summary.is_some(),
    };
    crate::server::connect::save_profile(&caller.state, &row, answers).await
}

/// Goes back one step, keeping the answers.
#[server(prefix = "/api", endpoint = "onboarding/back")]
pub async fn step_back() -> Result<(), AppError> {
    let (caller, _user, row) = ssr::owned().await?;
    crate::server::connect::go_back(&caller.state, &row).await
}

/// Exchanges the code with Hint (at most once, however often this is called).
#[server(prefix = "/api", endpoint = "onboarding/connect")]
pub async fn connect_practice() -> Result<ConnectionSummary, AppError> {
    let (caller, user, row) = ssr::owned().await?;
    let hint = caller.state.hint.clone();
    crate::server::connect::exchange(
        &caller.state,
        &hint,
        &row.summary.id,
        crate::server::connect::ExchangeActor::Provider(&user.id),
        caller.ip.as_deref(),
    )
    .await
}

/// The logged-in provider's practices.
#[server(prefix = "/api", endpoint = "my_connections")]
pub async fn my_connections() -> Result<Vec<ConnectionSummary>, AppError> {
    let caller = super::caller::caller().await?;
    let user = crate::server::auth::require_user(&caller.state.db, &caller.session).await?;
    crate::server::connect::list_for_user(&caller.state, &user.id).await
}
