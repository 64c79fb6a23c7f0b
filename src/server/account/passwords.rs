//! A provider's password: a forgotten one reset by an emailed link, a known one changed. Each
//! change ends the account's other sessions and is told to the owner by email.

use super::{audit_provider, link, one_time_link, redeem, this_session};
use crate::domain::account::{CurrentUser, Email, NewPassword};
use crate::domain::audit::{AuditAction, Outcome};
use crate::domain::AppError;
use crate::server::account::users;
use crate::server::account_tokens::{self, TokenPurpose};
use crate::server::auth::session_store::{self};
use crate::server::auth::Browser;
use crate::server::mail::{self, templates};
use crate::server::state::AppState;
use crate::server::throttle::{self, LoginKeys};

/// Emails a reset link if `email` has an account. The answer is the same either way; requests
/// are braked per address and per client like logins.
pub async fn forgot_password(
    state: &AppState,
    email: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    throttle::reserve_attempt(&state.db, &LoginKeys::new("reset", email, ip)).await?;
    let user = match Email::parse(email) {
        Ok(email) => users::by_email(&state.db, &email).await?,
        Err(_) => None,
    };
    let Some(user) = user else {
        audit_provider(
            state,
            None,
            AuditAction::PasswordResetRequested,
            Outcome::Denied,
            ip,
            Some("no such account"),
        )
        .await;
        return Ok(());
    };
    let minutes = state.settings.mail.reset_link_minutes;
    let lifetime = minutes as i64 * 60;
    let url = one_time_link(
        state,
        TokenPurpose::ResetPassword,
        &user.id,
        &user.email,
        lifetime,
        "/reset-password",
    )
    .await?;
    let message = templates::password_reset(&user.name, &url, minutes);
    mail::queue(state, &user.email, message).await?;
    audit_provider(
        state,
        Some(user.id.as_str()),
        AuditAction::PasswordResetRequested,
        Outcome::Ok,
        ip,
        None,
    )
    .await;
    Ok(())
}

/// Whether a reset link still works (the page shows its form, or says to ask again).
pub async fn reset_link_works(state: &AppState, token: &str) -> Result<bool, AppError> {
    Ok(account_tokens::is_live(
        &state.db,
        TokenPurpose::ResetPassword,
        token,
        state.clock.now(),
    )
    .await?)
}

/// The message for a link that is used, expired or made up.
pub fn dead_reset_link() -> AppError {
    AppError::invalid("That reset link has expired or was already used. Ask for a new one below.")
}

/// Sets a new password from a reset link, and ends every session of the account (someone who
/// knew the old password is logged out). The provider then logs in with the new one.
pub async fn reset_password(
    state: &AppState,
    token: &str,
    password: &NewPassword,
    ip: Option<&str>,
) -> Result<(), AppError> {
    // Hashed first: a saturated pool must not use the link up.
    let hash = state.passwords.hash(password.expose().to_owned()).await?;
    let now = state.clock.now();
    let Some(used) = redeem(
        state,
        TokenPurpose::ResetPassword,
        AuditAction::PasswordReset,
        token,
        ip,
    )
    .await?
    else {
        return Err(dead_reset_link());
    };
    users::set_password_hash(&state.db, &used.owner_id, &hash, now).await?;
    // The link came to this address, so the address is proven too.
    users::mark_verified(&state.db, &used.owner_id, &used.email, now).await?;
    let ended = session_store::end_all_of_user(&state.db, &used.owner_id, None).await?;
    let retired = account_tokens::retire_all_of_user(&state.db, &used.owner_id, now).await?;
    let detail = format!("{ended} sessions ended, {retired} emailed links retired");
    audit_provider(
        state,
        Some(used.owner_id.as_str()),
        AuditAction::PasswordReset,
        Outcome::Ok,
        ip,
        Some(detail.as_str()),
    )
    .await;
    if let Some(user) = users::find(&state.db, &used.owner_id).await? {
        let notice =
            templates::password_changed(&user.name, &link(state, "/forgot-password", None));
        mail::queue(state, &user.email, notice).await?;
    }
    Ok(())
}

/// Checks the signed-in provider's current password, braked like a login.
pub(super) async fn check_current_password(
    state: &AppState,
    user: &CurrentUser,
    password: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let keys = LoginKeys::new("provider", &user.email, ip);
    throttle::reserve_attempt(&state.db, &keys).await?;
    let hash = users::password_hash(&state.db, &user.id).await?;
    let checked = state.passwords.verify(password.to_owned(), hash).await;
    let checked = throttle::unless_busy(&state.db, &keys, checked.map_err(AppError::from)).await;
    if !checked? {
        return Err(AppError::invalid("Your current password is not right."));
    }
    throttle::succeeded(&state.db, &keys).await
}

/// Changes the password of the signed-in provider; their other sessions end.
pub async fn change_password(
    state: &AppState,
    browser: Browser<'_>,
    user: &CurrentUser,
    current: &str,
    new: &NewPassword,
    ip: Option<&str>,
) -> Result<(), AppError> {
    check_current_password(state, user, current, ip).await?;
    let hash = state.passwords.hash(new.expose().to_owned()).await?;
    let now = state.clock.now();
    users::set_password_hash(&state.db, &user.id, &hash, now).await?;
    let keep = this_session(browser);
    let ended = session_store::end_all_of_user(&state.db, &user.id, keep.as_deref()).await?;
    let retired = account_tokens::retire_all_of_user(&state.db, &user.id, now).await?;
    let detail = format!("{ended} other sessions ended, {retired} emailed links retired");
    audit_provider(
        state,
        Some(user.id.as_str()),
        AuditAction::PasswordChanged,
        Outcome::Ok,
        ip,
        Some(detail.as_str()),
    )
    .await;
    let notice = templates::password_changed(&user.name, &link(state, "/forgot-password", None));
    mail::queue(state, &user.email, notice).await
}
