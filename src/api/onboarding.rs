//! The onboarding wizard's server functions: read where the provider is, confirm the practice,
//! save each step, go back, connect. The state lives on the server
//! (`server::connections::onboarding`), so a reload or another device resumes at the same step.

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
    use crate::server::connections::onboarding::{binding, SessionConnection};
    use crate::server::connections::{onboarding, ConnectionRow};

    /// The signed-in provider (if any) and the connection this browser session landed, as they
    /// may see it.
    pub async fn current() -> Result<(Caller, Option<CurrentUser>, SessionConnection), AppError> {
        let caller = caller().await?;
        let user = auth::current_user(&caller.state, &caller.session).await?;
        let connection_id = auth::session_connection(&caller.session).await?;
        let landing_key = auth::landing_key(&caller.session).await?;
        let connection = binding::session_connection(
            &caller.state,
            user.as_ref(),
            connection_id.as_deref(),
            landing_key.as_deref(),
        )
        .await?;
        Ok((caller, user, connection))
    }

    /// The signed-in provider and the connection they are setting up, or what is missing.
    pub async fn owned() -> Result<(Caller, CurrentUser, ConnectionRow), AppError> {
        let (caller, user, connection) = current().await?;
        let user = user.ok_or(AppError::Unauthenticated)?;
        Ok((caller, user, onboarding::in_progress(connection)?))
    }
}

/// Where the provider stands in the wizard. For a signed-in provider whose browser brought a
/// code not yet confirmed, this first asks Hint which practice it is for (an exchange with
/// `activate: false`, at most once per code), so the confirmation can name it.
#[server(prefix = "/api", endpoint = "onboarding")]
pub async fn get_onboarding() -> Result<Onboarding, AppError> {
    use crate::server::connections::onboarding::{self, binding};

    let (caller, user, connection) = ssr::current().await?;
    let connection = match &user {
        Some(user) => {
            let ip = caller.ip.as_deref();
            binding::preview(&caller.state, user, connection, ip).await?
        }
        None => connection,
    };
    Ok(onboarding::view(user, connection))
}

/// Binds the practice the confirmation page named to the signed-in provider: their explicit yes.
#[server(prefix = "/api", endpoint = "onboarding/confirm")]
pub async fn confirm_practice(landed_id: String) -> Result<(), AppError> {
    use crate::server::connections::onboarding::binding;

    let (caller, user, connection) = ssr::current().await?;
    let user = user.ok_or(AppError::Unauthenticated)?;
    let ip = caller.ip.as_deref();
    binding::bind(&caller.state, &user, connection, &landed_id, ip).await?;
    Ok(())
}

/// Forgets the connection this browser brought: the provider says it is not theirs.
#[server(prefix = "/api", endpoint = "onboarding/discard")]
pub async fn discard_connection() -> Result<(), AppError> {
    let caller = super::caller::caller().await?;
    crate::server::auth::clear_session_connection(&caller.session).await?;
    leptos_axum::redirect("/practices");
    Ok(())
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
    crate::server::connections::onboarding::wizard::save_practice(&caller.state, &row, answers)
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
    use crate::domain::onboarding::ProfileAnswers;

    let (caller, _user, row) = ssr::owned().await?;
    let answers = ProfileAnswers {
        role,
        contact_phone,
        alerts_by_email: alerts_by_email.is_some(),
        weekly_summary: weekly_summary.is_some(),
    };
    crate::server::connections::onboarding::wizard::save_profile(&caller.state, &row, answers).await
}

/// Goes back one step, keeping the answers.
#[server(prefix = "/api", endpoint = "onboarding/back")]
pub async fn step_back() -> Result<(), AppError> {
    let (caller, _user, row) = ssr::owned().await?;
    crate::server::connections::onboarding::wizard::go_back(&caller.state, &row).await
}

/// Finishes the wizard: the integration is activated at Hint (at most once, however often this
/// is called).
#[server(prefix = "/api", endpoint = "onboarding/connect")]
pub async fn connect_practice() -> Result<ConnectionSummary, AppError> {
    use crate::server::connections::onboarding::wizard;

    let (caller, user, row) = ssr::owned().await?;
    wizard::complete(&caller.state, &user, &row, caller.ip.as_deref()).await
}
