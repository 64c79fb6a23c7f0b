//! What a provider can do about their own account: sign up (without telling anyone which emails
//! have accounts), prove their email, reset a forgotten password, change password or email, and
//! see and end their sessions. Every change is audited, and every link goes by email.

use super::session_store::{self, session_key};
use crate::server::throttle::{self, LoginKeys};
use super::Browser;
use crate::domain::account::{AccountSession, CurrentUser, Email, NewPassword, PersonName};
use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::AppError;
use crate::server::account::{self, SignedUp};
use crate::server::account_tokens::{self, TokenPurpose};
use crate::server::audit::{self, Entry};
use crate::server::mail::{self, templates};
use crate::server::state::AppState;

/// A link into the app, as emails carry it.
fn link(state: &AppState, path: &str, token: Option<&str>) -> String {
    match token {
        Some(token) => format!("{}{path}?token={token}", state.public_base_url),
        None => format!("{}{path}", state.public_base_url),
    }
}

async fn audit_provider(
    state: &AppState,
    user_id: Option<&str>,
    action: AuditAction,
    outcome: Outcome,
    ip: Option<&str>,
    detail: Option<&str>,
) {
    let actor = match user_id {
        Some(_) => ActorKind::Provider,
        None => ActorKind::Anonymous,
    };
    let entry = Entry {
        actor_id: user_id,
        ip,
        detail,
        ..Entry::new(actor, action, outcome)
    };
    audit::record(&state.db, entry).await;
}

/// Creates an account and emails a verification link; or, when the email already has an
/// account, emails its owner that someone tried. Both answer alike and take the same time (the
/// password is hashed and one email queued either way). The provider then logs in.
pub async fn sign_up(
    state: &AppState,
    name: &PersonName,
    email: &Email,
    password: &NewPassword,
    ip: Option<&str>,
) -> Result<(), AppError> {
    match account::sign_up(&state.db, &state.passwords, name, email, password).await? {
        SignedUp::Created(user) => {
            send_verification(state, &user).await?;
            audit_provider(
                state,
                Some(user.id.as_str()),
                AuditAction::AccountCreated,
                Outcome::Ok,
                ip,
                None,
            )
            .await;
        }
        SignedUp::Taken(owner) => {
            let notice = templates::sign_up_attempt(
                &owner.name,
                &link(state, "/login", None),
                &link(state, "/forgot-password", None),
            );
            mail::queue(state, &owner.email, notice).await?;
            audit_provider(
                state,
                None,
                AuditAction::AccountCreated,
                Outcome::Denied,
                ip,
                Some("email already has an account; its owner was told"),
            )
            .await;
        }
    }
    Ok(())
}

/// Uses up a one-time link of `purpose`; a dead one is audited as a denied `action`.
async fn redeem(
    state: &AppState,
    purpose: TokenPurpose,
    action: AuditAction,
    token: &str,
    ip: Option<&str>,
) -> Result<Option<account_tokens::Redeemed>, AppError> {
    let used = account_tokens::redeem(&state.db, purpose, token, state.clock.now()).await?;
    if used.is_none() {
        let detail = Some("link not valid");
        audit_provider(state, None, action, Outcome::Denied, ip, detail).await;
    }
    Ok(used)
}

/// A fresh one-time link of `purpose` to `path`, for account `owner_id`, sent to `email`,
/// working for `lifetime_seconds` (older links of the purpose stop working).
async fn one_time_link(
    state: &AppState,
    purpose: TokenPurpose,
    owner_id: &str,
    email: &str,
    lifetime_seconds: i64,
    path: &str,
) -> Result<String, AppError> {
    let now = state.clock.now();
    let token =
        account_tokens::issue(&state.db, purpose, owner_id, email, now, lifetime_seconds).await?;
    Ok(link(state, path, Some(token.as_str())))
}

/// Emails `user` a link that proves their address (the older links stop working).
pub async fn send_verification(state: &AppState, user: &CurrentUser) -> Result<(), AppError> {
    let hours = state.settings.mail.verify_link_hours;
    let lifetime = hours as i64 * 3600;
    let url = one_time_link(
        state,
        TokenPurpose::VerifyEmail,
        &user.id,
        &user.email,
        lifetime,
        "/verify-email",
    )
    .await?;
    let email = templates::verify_email(&user.name, &url, hours);
    mail::queue(state, &user.email, email).await
}

/// Uses a verification link: `Ok(true)` if the account's email is now verified.
pub async fn verify_email(
    state: &AppState,
    token: &str,
    ip: Option<&str>,
) -> Result<bool, AppError> {
    let now = state.clock.now();
    let Some(used) = redeem(
        state,
        TokenPurpose::VerifyEmail,
        AuditAction::EmailVerified,
        token,
        ip,
    )
    .await?
    else {
        return Ok(false);
    };
    let verified = account::mark_verified(&state.db, &used.owner_id, &used.email, now).await?;
    let outcome = if verified {
        Outcome::Ok
    } else {
        Outcome::Denied
    };
    let detail = (!verified).then_some("the account's email changed since");
    audit_provider(
        state,
        Some(used.owner_id.as_str()),
        AuditAction::EmailVerified,
        outcome,
        ip,
        detail,
    )
    .await;
    Ok(verified)
}

/// Emails a reset link if `email` has an account. The answer is the same either way; requests
/// are braked per address and per client like logins.
pub async fn forgot_password(
    state: &AppState,
    email: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    throttle::reserve_attempt(&state.db, &LoginKeys::new("reset", email, ip)).await?;
    let user = match Email::parse(email) {
        Ok(email) => account::by_email(&state.db, &email).await?,
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
    account::set_password_hash(&state.db, &used.owner_id, &hash, now).await?;
    // The link came to this address, so the address is proven too.
    account::mark_verified(&state.db, &used.owner_id, &used.email, now).await?;
    let ended = session_store::end_all_of_user(&state.db, &used.owner_id, None).await?;
    let detail = format!("{ended} sessions ended");
    audit_provider(
        state,
        Some(used.owner_id.as_str()),
        AuditAction::PasswordReset,
        Outcome::Ok,
        ip,
        Some(detail.as_str()),
    )
    .await;
    if let Some(user) = account::find(&state.db, &used.owner_id).await? {
        let notice =
            templates::password_changed(&user.name, &link(state, "/forgot-password", None));
        mail::queue(state, &user.email, notice).await?;
    }
    Ok(())
}

/// Checks the signed-in provider's current password, braked like a login.
async fn check_current_password(
    state: &AppState,
    user: &CurrentUser,
    password: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let keys = LoginKeys::new("provider", &user.email, ip);
    throttle::reserve_attempt(&state.db, &keys).await?;
    let hash = account::password_hash(&state.db, &user.id).await?;
    if !state.passwords.verify(password.to_owned(), hash).await? {
        return Err(AppError::invalid("Your current password is not right."));
    }
    throttle::succeeded(&state.db, &keys).await
}

/// The stored key of this browser's session, if it has one.
fn this_session(browser: Browser<'_>) -> Option<String> {
    browser.session.id().map(|id| session_key(&id))
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
    account::set_password_hash(&state.db, &user.id, &hash, state.clock.now()).await?;
    let keep = this_session(browser);
    let ended = session_store::end_all_of_user(&state.db, &user.id, keep.as_deref()).await?;
    let detail = format!("{ended} other sessions ended");
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

/// Starts a change of email: the new address gets a link, and the old one stays until it is
/// opened. Needs the current password. An address that already has an account gets nothing, and
/// the answer does not say so.
pub async fn request_email_change(
    state: &AppState,
    user: &CurrentUser,
    new_email: &Email,
    password: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    check_current_password(state, user, password, ip).await?;
    if new_email.as_str() == user.email {
        return Err(AppError::invalid("That is already your email."));
    }
    if account::by_email(&state.db, new_email).await?.is_none() {
        let hours = state.settings.mail.verify_link_hours;
        let lifetime = hours as i64 * 3600;
        let to = new_email.as_str();
        let url = one_time_link(
            state,
            TokenPurpose::ChangeEmail,
            &user.id,
            to,
            lifetime,
            "/confirm-email",
        )
        .await?;
        let message = templates::change_email(&user.name, &url, hours);
        mail::queue(state, new_email.as_str(), message).await?;
    }
    audit_provider(
        state,
        Some(user.id.as_str()),
        AuditAction::EmailChangeRequested,
        Outcome::Ok,
        ip,
        None,
    )
    .await;
    Ok(())
}

/// Uses a change-of-email link: the new address becomes the account's (verified), and the old
/// one is told. `Ok(false)` for a dead link or an address taken meanwhile.
pub async fn confirm_email_change(
    state: &AppState,
    token: &str,
    ip: Option<&str>,
) -> Result<bool, AppError> {
    let now = state.clock.now();
    let Some(used) = redeem(
        state,
        TokenPurpose::ChangeEmail,
        AuditAction::EmailChanged,
        token,
        ip,
    )
    .await?
    else {
        return Ok(false);
    };
    let Some(before) = account::find(&state.db, &used.owner_id).await? else {
        return Ok(false);
    };
    if !account::set_verified_email(&state.db, &used.owner_id, &used.email, now).await? {
        audit_provider(
            state,
            Some(used.owner_id.as_str()),
            AuditAction::EmailChanged,
            Outcome::Denied,
            ip,
            Some("address taken meanwhile"),
        )
        .await;
        return Ok(false);
    }
    audit_provider(
        state,
        Some(used.owner_id.as_str()),
        AuditAction::EmailChanged,
        Outcome::Ok,
        ip,
        None,
    )
    .await;
    let notice = templates::email_changed(
        &before.name,
        &used.email,
        &link(state, "/forgot-password", None),
    );
    mail::queue(state, &before.email, notice).await?;
    Ok(true)
}

/// The signed-in provider's live sessions, this one marked.
pub async fn sessions(
    state: &AppState,
    browser: Browser<'_>,
    user: &CurrentUser,
) -> Result<Vec<AccountSession>, AppError> {
    let current = this_session(browser);
    let rows = session_store::of_user(&state.db, &user.id, state.clock.now()).await?;
    Ok(rows
        .into_iter()
        .map(
            |(handle, device, ip, signed_in_at, last_seen_at)| AccountSession {
                current: current.as_deref() == Some(handle.as_str()),
                handle,
                device: device.unwrap_or_else(|| "Unknown browser".into()),
                ip,
                signed_in_at,
                last_seen_at,
            },
        )
        .collect())
}

/// Ends one of the signed-in provider's other sessions (`handle` from `sessions`), or all of
/// them but this one (`None`).
pub async fn end_sessions(
    state: &AppState,
    browser: Browser<'_>,
    user: &CurrentUser,
    handle: Option<&str>,
    ip: Option<&str>,
) -> Result<u64, AppError> {
    let keep = this_session(browser);
    let ended = match handle {
        Some(handle) if Some(handle) == keep.as_deref() => {
            return Err(AppError::invalid("To end this session, log out."));
        }
        Some(handle) => u64::from(session_store::end_of_user(&state.db, &user.id, handle).await?),
        None => session_store::end_all_of_user(&state.db, &user.id, keep.as_deref()).await?,
    };
    let detail = format!("{ended} ended");
    audit_provider(
        state,
        Some(user.id.as_str()),
        AuditAction::SessionEnded,
        Outcome::Ok,
        ip,
        Some(detail.as_str()),
    )
    .await;
    Ok(ended)
}
