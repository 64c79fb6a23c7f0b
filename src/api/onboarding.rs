//! The onboarding wizard's server functions: read where the provider is, save each step, go
//! back, connect. The wizard's state lives on the server (`server::connections::onboarding`), so
//! a reload or another device resumes at the same step.

use leptos::prelude::*;

use crate::domain::connection::ConnectionSummary;
use crate::domain::onboarding::Onboarding;
use crate::domain::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    use crate::api::caller::{caller, Caller};
    use crate::domain::account::CurrentUser;
    use crate::domain::AppError;
    use crate::server::auth;
    use crate::server::connections::{onboarding, ConnectionRow};

    /// The logged-in provider and the connection their session brought, as they may see it.
    pub async fn current() -> Result<(Caller, Option<CurrentUser>, Option<ConnectionRow>), AppError>
    {
        let caller = caller().await?;
        let user = auth::current_user(&caller.state.db, &caller.session).await?;
        let connection_id = auth::session_connection(&caller.session).await?;
        let row =
            onboarding::session_connection(&caller.state, user.as_ref(), connection_id.as_deref())
                .await?;
        Ok((caller, user, row))
    }

    /// The provider and their connection, or the error that says what is missing.
    pub async fn owned() -> Result<(Caller, CurrentUser, ConnectionRow), AppError> {
        let (caller, user, row) = current().await?;
        let user = user.ok_or(AppError::Unauthenticated)?;
        Ok((caller, user, onboarding::in_progress(row)?))
    }
}

/// Where the provider stands in the wizard.
#[server(prefix = "/api", endpoint = "onboarding")]
pub async fn get_onboarding() -> Result<Onboarding, AppError> {
    let (_caller, user, row) = ssr::current().await?;
    Ok(crate::server::connections::onboarding::view(user, row))
}

/// Saves the "Your practice" step.
#[server(prefix = "/api", endpoint = "onboarding/practice")]
pub async fn save_practice_step(
    name: String,
    phone: String,
    clinicians: String,
) -> Result<(), AppError> {
    use crate::domain::onboarding::PracticeAnswers;

    let (caller, _user, row) = ssr::owned().await?;
    let clinicians = clinicians.trim().parse().map_err(|_| {
        AppError::invalid("Enter how many clinicians see patients at the practice (1 to 500).")
    })?;
    let answers = PracticeAnswers {
        name,
        phone,
        clinicians,
    };
    crate::server::connections::onboarding::save_practice(&caller.state, &row, answers).await
}

/// Saves the "You and your preferences" step. Checkboxes are absent from a form when unticked.
#[server(prefix = "/api", endpoint = "onboarding/profile")]
pub async fn save_profile_step(
    role: String,
    contact_phone: String,
    alerts_by_email: Option<String>,
    weekly_summary: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::onboarding::ProfileAnswers;

    let (caller, _user, row) = ssr::owned().await?;
    let answers = ProfileAnswers {
        role,
        contact_phone,
        alerts_by_email: alerts_by_email.is_some(),
        weekly_summary: weekly_summary.is_some(),
    };
    crate::server::connections::onboarding::save_profile(&caller.state, &row, answers).await
}

/// Goes back one step, keeping the answers.
#[server(prefix = "/api", endpoint = "onboarding/back")]
pub async fn step_back() -> Result<(), AppError> {
    let (caller, _user, row) = ssr::owned().await?;
    crate::server::connections::onboarding::go_back(&caller.state, &row).await
}

/// Exchanges the code with Hint (at most once, however often this is called).
#[server(prefix = "/api", endpoint = "onboarding/connect")]
pub async fn connect_practice() -> Result<ConnectionSummary, AppError> {
    use crate::server::connections::exchange::{exchange, ExchangeActor};

    let (caller, user, row) = ssr::owned().await?;
    let actor = ExchangeActor::Provider(user.id.clone());
    exchange(&caller.state, &row.summary.id, actor, caller.ip.as_deref()).await
}
