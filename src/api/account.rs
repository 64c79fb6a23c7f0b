//! Provider sign-up, log-in and log-out.

use leptos::prelude::*;

use crate::domain::account::CurrentUser;
use crate::domain::AppError;

/// Creates an account, logs it in, and continues the connection that brought the provider here.
#[server(prefix = "/api", endpoint = "sign_up")]
pub async fn sign_up(name: String, email: String, password: String) -> Result<(), AppError> {
    use crate::domain::account::{Email, NewPassword, PersonName};
    use crate::server::auth::login;

    let caller = super::caller::caller().await?;
    let name = PersonName::parse(&name).map_err(AppError::Invalid)?;
    let email = Email::parse(&email).map_err(AppError::Invalid)?;
    let password = NewPassword::parse(&password).map_err(AppError::Invalid)?;
    let ip = caller.ip.as_deref();
    login::sign_up(
        &caller.state,
        caller.browser(),
        &name,
        &email,
        &password,
        ip,
    )
    .await?;
    continue_after_login(&caller).await
}

/// Logs a provider in and continues the connection that brought them here.
#[server(prefix = "/api", endpoint = "log_in")]
pub async fn log_in(email: String, password: String) -> Result<(), AppError> {
    use crate::server::auth::login::{LoggedIn, Principal};

    let caller = super::caller::caller().await?;
    match caller
        .log_in(Principal::Provider, &email, &password)
        .await?
    {
        LoggedIn::Provider(_) => continue_after_login(&caller).await,
        LoggedIn::Staff(..) => Err(AppError::Internal),
    }
}

/// Sends the provider on: to the wizard when their browser brought a code (to confirm it there),
/// or to their practices.
#[cfg(feature = "ssr")]
async fn continue_after_login(caller: &super::caller::Caller) -> Result<(), AppError> {
    // The connection is not bound here: the wizard asks the provider to confirm it first.
    match crate::server::auth::session_connection(&caller.session).await? {
        Some(_) => leptos_axum::redirect("/onboarding"),
        None => leptos_axum::redirect("/practices"),
    }
    Ok(())
}

/// Ends the session on the server.
#[server(prefix = "/api", endpoint = "log_out")]
pub async fn log_out() -> Result<(), AppError> {
    let caller = super::caller::caller().await?;
    crate::server::auth::end_session(&caller.state, caller.browser()).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Who this browser is signed in as (for the page header).
#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<crate::domain::account::Identity, AppError> {
    use crate::server::auth;

    let caller = super::caller::caller().await?;
    Ok(crate::domain::account::Identity {
        provider: auth::current_user(&caller.state, &caller.session).await?,
        staff: auth::current_staff(&caller.state, &caller.staff).await?,
        development: caller.state.config.is_development(),
    })
}

/// The logged-in provider, if any.
#[server(prefix = "/api", endpoint = "current_user")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    let caller = super::caller::caller().await?;
    crate::server::auth::current_user(&caller.state, &caller.session).await
}
