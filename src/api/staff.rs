//! Staff log-in in its steps (password, then an authenticator code or setting one up), the
//! step-up confirmation, and log-out. Each step sends the browser on to the page of the next.

use leptos::prelude::*;

use crate::domain::staff::Enrolment;
use crate::domain::AppError;

/// The first step: email and password. Sends the browser to the second factor, to setting up an
/// authenticator, or (support staff where that is allowed without one) to the dashboard.
#[server(prefix = "/api", endpoint = "staff/log_in")]
pub async fn staff_log_in(email: String, password: String) -> Result<(), AppError> {
    use crate::server::auth::login::{LoggedIn, Principal};

    let caller = super::caller::caller().await?;
    match caller.log_in(Principal::Staff, &email, &password).await? {
        LoggedIn::Staff(_, stage) => leptos_axum::redirect(stage.page()),
        LoggedIn::Provider(_) => return Err(AppError::Internal),
    }
    Ok(())
}

/// The second step: a code from the authenticator, or a recovery code (which resets the
/// authenticator: setting up a new one comes next).
#[server(prefix = "/api", endpoint = "staff/second_factor")]
pub async fn staff_second_factor(code: String) -> Result<(), AppError> {
    use crate::server::auth::staff_login;

    let caller = super::caller::caller().await?;
    let ip = caller.ip.as_deref();
    let stage = staff_login::second_factor(&caller.state, caller.browser(), &code, ip).await?;
    leptos_axum::redirect(stage.page());
    Ok(())
}

/// The authenticator to set up: its QR code and secret, and a new set of recovery codes (only
/// while the login waits for it).
#[server(prefix = "/api", endpoint = "staff/enrolment")]
pub async fn staff_enrolment() -> Result<Enrolment, AppError> {
    let caller = super::caller::caller().await?;
    crate::server::auth::staff_login::enrolment(&caller.state, &caller.staff).await
}

/// Finishes setting up the authenticator with a first code; the login is complete.
#[server(prefix = "/api", endpoint = "staff/enrol")]
pub async fn staff_enrol(code: String) -> Result<(), AppError> {
    let caller = super::caller::caller().await?;
    let ip = caller.ip.as_deref();
    crate::server::auth::staff_login::enrol(&caller.state, caller.browser(), &code, ip).await?;
    leptos_axum::redirect("/admin");
    Ok(())
}

/// Confirms the password and a fresh code again, for the actions that need a recent one.
#[server(prefix = "/api", endpoint = "staff/step_up")]
pub async fn staff_step_up(password: String, code: String) -> Result<(), AppError> {
    let caller = super::caller::caller().await?;
    let ip = caller.ip.as_deref();
    crate::server::auth::staff_login::step_up(&caller.state, caller.browser(), &password, &code, ip)
        .await
}

/// Ends the staff session.
#[server(prefix = "/api", endpoint = "staff/log_out")]
pub async fn staff_log_out() -> Result<(), AppError> {
    let caller = super::caller::caller().await?;
    crate::server::auth::end_session(&caller.state, caller.browser()).await?;
    leptos_axum::redirect("/admin/login");
    Ok(())
}

/// Whether a staff invitation or password link still works.
#[server(prefix = "/api", endpoint = "staff/welcome_link")]
pub async fn staff_link_works(token: String) -> Result<bool, AppError> {
    let caller = super::caller::caller().await?;
    crate::server::staff::links::works(&caller.state, &token).await
}

/// Chooses a staff member's password from their invitation or password link; they log in next
/// (and set up their authenticator then).
#[server(prefix = "/api", endpoint = "staff/welcome")]
pub async fn choose_staff_password(token: String, password: String) -> Result<(), AppError> {
    use crate::domain::account::NewPassword;

    let caller = super::caller::caller().await?;
    let password = NewPassword::parse(&password).map_err(AppError::Invalid)?;
    crate::server::staff::links::choose_password(
        &caller.state,
        &token,
        &password,
        caller.ip.as_deref(),
    )
    .await?;
    leptos_axum::redirect("/admin/login?password=set");
    Ok(())
}

/// Every staff member, for admins.
#[server(prefix = "/api", endpoint = "staff/list")]
pub async fn staff_list() -> Result<Vec<crate::domain::staff::StaffListing>, AppError> {
    use crate::domain::staff::StaffRole;

    let caller = super::caller::caller().await?;
    crate::server::auth::require_staff(&caller.state, caller.browser(), StaffRole::Admin).await?;
    crate::server::staff::roster(&caller.state.db).await
}
