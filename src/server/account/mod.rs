//! What a provider can do about their own account: sign up (without telling anyone which emails
//! have accounts), prove their email, reset a forgotten password, change password or email, and
//! see and end their sessions. Every change is audited, and every link goes by email.

mod passwords;
mod sessions;
pub mod users;

use passwords::check_current_password;
pub use passwords::{
    change_password, dead_reset_link, forgot_password, reset_link_works, reset_password,
};
pub use sessions::{end_sessions, sessions};

use crate::domain::account::{CurrentUser, Email, NewPassword, PersonName};
use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::AppError;
use crate::server::account_tokens::{self, TokenPurpose};
use crate::server::audit::{self, Entry};
use crate::server::auth::session_store::session_key;
use crate::server::auth::Browser;
use crate::server::mail::{self, templates};
use crate::server::state::AppState;
use crate::server::throttle;
use users::SignedUp;

/// A link into the app, as emails carry it.
pub(super) fn link(state: &AppState, path: &str, token: Option<&str>) -> String {
    match token {
        Some(token) => format!("{}{path}?token={token}", state.public_base_url),
        None => format!("{}{path}", state.public_base_url),
    }
}

pub(super) async fn audit_provider(
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
    match users::sign_up(&state.db, &state.passwords, name, email, password).await? {
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
            // Past the owner's mail budget the notice is skipped without a word: refusing would
            // tell the caller the address has an account.
            if throttle::reserve_mail(&state.db, &owner.id, &owner.email)
                .await?
                .is_ok()
            {
                let notice = templates::sign_up_attempt(
                    &owner.name,
                    &link(state, "/login", None),
                    &link(state, "/forgot-password", None),
                );
                mail::queue(state, &owner.email, notice).await?;
            }
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
pub(super) async fn redeem(
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
pub(super) async fn one_time_link(
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

/// Emails `user` a link that proves their address (the older links stop working); refused
/// past the account's mail budget.
pub async fn send_verification(state: &AppState, user: &CurrentUser) -> Result<(), AppError> {
    mail_budget(state, &user.id, &user.email).await?;
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
    let verified = users::mark_verified(&state.db, &used.owner_id, &used.email, now).await?;
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

/// The stored key of this browser's session, if it has one.
/// Counts one requested email from `account_id` to `address`; refused, with how long to wait,
/// past either's budget.
async fn mail_budget(state: &AppState, account_id: &str, address: &str) -> Result<(), AppError> {
    throttle::reserve_mail(&state.db, account_id, address)
        .await?
        .map_err(|wait| AppError::RateLimited {
            retry_after_seconds: wait,
        })
}

pub(super) fn this_session(browser: Browser<'_>) -> Option<String> {
    browser.session.id().map(|id| session_key(&id))
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
    // Counted whether or not the address has an account, so the answer does not tell.
    mail_budget(state, &user.id, new_email.as_str()).await?;
    if users::by_email(&state.db, new_email).await?.is_none() {
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
    let Some(before) = users::find(&state.db, &used.owner_id).await? else {
        return Ok(false);
    };
    if !users::set_verified_email(&state.db, &used.owner_id, &used.email, now).await? {
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
