//! The browsers signed in to a provider's account, and ending them.

use super::{audit_provider, this_session};
use crate::domain::account::{AccountSession, CurrentUser};
use crate::domain::audit::{AuditAction, Outcome};
use crate::domain::AppError;
use crate::server::auth::session_store::{self};
use crate::server::auth::Browser;
use crate::server::state::AppState;

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
