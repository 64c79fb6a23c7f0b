//! Provider sign-up, log-in and log-out.

use leptos::prelude::*;

use crate::domain::account::CurrentUser;
use crate::domain::AppError;

/// Creates an account (or, for an email that has one, tells its owner by email) and sends the
/// provider on to log in: both cases answer alike, so the form tells nobody which emails have
/// accounts.
#[server(prefix = "/api", endpoint = "sign_up")]
pub async fn sign_up(name: String, email: String, password: String) -> Result<(), AppError> {
    use crate::domain::account::{Email, NewPassword, PersonName};

    let caller = super::caller::caller().await?;
    let name = PersonName::parse(&name).map_err(AppError::Invalid)?;
    let email = Email::parse(&email).map_err(AppError::Invalid)?;
    let password = NewPassword::parse(&password).map_err(AppError::Invalid)?;
    crate::server::account::sign_up(
        &caller.state,
        &name,
        &email,
        &password,
        caller.ip.as_deref(),
    )
    .await?;
    // The wizard (when Hint's code landed in this browser) or the log-in page, with a notice and
    // the email they typed filled in: the same answer whether the address was new or taken.
    let page = match crate::server::auth::session_connection(&caller.session).await? {
        Some(_) => "/onboarding",
        None => "/login",
    };
    let email = crate::domain::urls::encode_component(email.as_str());
    leptos_axum::redirect(&format!("{page}?account=created&email={email}"));
    Ok(())
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
        development: caller.state.settings.is_development(),
    })
}

/// The logged-in provider, if any.
#[server(prefix = "/api", endpoint = "current_user")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    let caller = super::caller::caller().await?;
    crate::server::auth::current_user(&caller.state, &caller.session).await
}

/// Emails a password reset link if the address has an account (the answer is the same if not).
#[server(prefix = "/api", endpoint = "forgot_password")]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    let caller = super::caller::caller().await?;
    crate::server::account::forgot_password(&caller.state, &email, caller.ip.as_deref()).await?;
    leptos_axum::redirect("/forgot-password?sent=1");
    Ok(())
}

/// Whether a password reset link still works.
#[server(prefix = "/api", endpoint = "reset_link")]
pub async fn reset_link_works(token: String) -> Result<bool, AppError> {
    let caller = super::caller::caller().await?;
    crate::server::account::reset_link_works(&caller.state, &token).await
}

/// Sets a new password from a reset link; every session of the account ends.
#[server(prefix = "/api", endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    use crate::domain::account::NewPassword;

    let caller = super::caller::caller().await?;
    let password = NewPassword::parse(&password).map_err(AppError::Invalid)?;
    crate::server::account::reset_password(&caller.state, &token, &password, caller.ip.as_deref())
        .await?;
    leptos_axum::redirect("/login?account=reset");
    Ok(())
}

/// Confirms an email address from the link sent to it.
#[server(prefix = "/api", endpoint = "verify_email")]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    let caller = super::caller::caller().await?;
    let ip = caller.ip.as_deref();
    if !crate::server::account::verify_email(&caller.state, &token, ip).await? {
        return Err(AppError::invalid(
            "That link has expired or was already used. Log in and ask for a new one on your account page.",
        ));
    }
    after_link(&caller, "verified").await
}

/// Makes a new email the account's, from the link sent to it.
#[server(prefix = "/api", endpoint = "confirm_email")]
pub async fn confirm_email(token: String) -> Result<(), AppError> {
    let caller = super::caller::caller().await?;
    let ip = caller.ip.as_deref();
    if !crate::server::account::confirm_email_change(&caller.state, &token, ip).await? {
        return Err(AppError::invalid(
            "That link has expired or was already used (or the address now belongs to another account). \
             Ask for the change again on your account page.",
        ));
    }
    after_link(&caller, "email-changed").await
}

/// Where a used link sends the browser: the account page when logged in, else the log-in page.
#[cfg(feature = "ssr")]
async fn after_link(caller: &super::caller::Caller, what: &str) -> Result<(), AppError> {
    let signed_in = crate::server::auth::current_user(&caller.state, &caller.session)
        .await?
        .is_some();
    let page = if signed_in { "/account" } else { "/login" };
    leptos_axum::redirect(&format!("{page}?account={what}"));
    Ok(())
}

/// The signed-in provider's account and sessions.
#[server(prefix = "/api", endpoint = "account")]
pub async fn get_account() -> Result<crate::domain::account::AccountOverview, AppError> {
    let caller = super::caller::caller().await?;
    let user = crate::server::auth::require_user(&caller.state, &caller.session).await?;
    let sessions = crate::server::account::sessions(&caller.state, caller.browser(), &user).await?;
    Ok(crate::domain::account::AccountOverview {
        user,
        sessions,
        now: caller.state.clock.now(),
    })
}

/// Sends a new verification link to the signed-in provider's email.
#[server(prefix = "/api", endpoint = "account/verify_again")]
pub async fn send_verification() -> Result<(), AppError> {
    let caller = super::caller::caller().await?;
    let user = crate::server::auth::require_user(&caller.state, &caller.session).await?;
    if !user.email_verified {
        crate::server::account::send_verification(&caller.state, &user).await?;
    }
    leptos_axum::redirect("/account?account=verification-sent");
    Ok(())
}

/// Changes the signed-in provider's password (their other sessions end).
#[server(prefix = "/api", endpoint = "account/password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use crate::domain::account::NewPassword;

    let caller = super::caller::caller().await?;
    let user = crate::server::auth::require_user(&caller.state, &caller.session).await?;
    let new = NewPassword::parse(&new_password).map_err(AppError::Invalid)?;
    crate::server::account::change_password(
        &caller.state,
        caller.browser(),
        &user,
        &current_password,
        &new,
        caller.ip.as_deref(),
    )
    .await?;
    leptos_axum::redirect("/account?account=password-changed");
    Ok(())
}

/// Starts a change of the signed-in provider's email (a link goes to the new address).
#[server(prefix = "/api", endpoint = "account/email")]
pub async fn change_email(new_email: String, password: String) -> Result<(), AppError> {
    use crate::domain::account::Email;

    let caller = super::caller::caller().await?;
    let user = crate::server::auth::require_user(&caller.state, &caller.session).await?;
    let new_email = Email::parse(&new_email).map_err(AppError::Invalid)?;
    crate::server::account::request_email_change(
        &caller.state,
        &user,
        &new_email,
        &password,
        caller.ip.as_deref(),
    )
    .await?;
    leptos_axum::redirect("/account?account=email-sent");
    Ok(())
}

/// Ends one other session of the signed-in provider (`handle` from the list), or all others
/// (no handle).
#[server(prefix = "/api", endpoint = "account/end_sessions")]
pub async fn end_sessions(#[server(default)] handle: Option<String>) -> Result<(), AppError> {
    let caller = super::caller::caller().await?;
    let user = crate::server::auth::require_user(&caller.state, &caller.session).await?;
    let handle = handle.filter(|handle| !handle.is_empty());
    crate::server::account::end_sessions(
        &caller.state,
        caller.browser(),
        &user,
        handle.as_deref(),
        caller.ip.as_deref(),
    )
    .await?;
    leptos_axum::redirect("/account?account=sessions-ended");
    Ok(())
}

/// Turns off what an email's unsubscribe link names (attention emails about one practice, or
/// the weekly summary). Needs no login: the link itself is the proof, and it cannot be altered.
#[server(prefix = "/api", endpoint = "unsubscribe")]
pub async fn unsubscribe(k: String, t: String) -> Result<(), AppError> {
    use crate::server::notifications;

    let caller = super::caller::caller().await?;
    let topic = notifications::topic_of(&caller.state, &k, &t).ok_or_else(|| {
        AppError::invalid("That link is not one of ours, or it was cut short. Copy the whole link from the email.")
    })?;
    notifications::unsubscribe(&caller.state, &topic, caller.ip.as_deref()).await?;
    leptos_axum::redirect("/unsubscribe?done=1");
    Ok(())
}
