//! Which connection a browser session may see, and binding it to an account.
//!
//! A code is bound to an account only by an explicit, same-origin POST from the confirmation
//! page, which names both sides ("Hint practice X will be connected to you@example.com"), from
//! the browser session that landed the code, within the code's lifetime. To name the practice,
//! the code is first exchanged with `activate: false` (the "preview"): the integration stays
//! pending at Hint until the provider finishes the wizard.

use super::landing::sha256_hex;
use crate::domain::account::CurrentUser;
use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::connection::ConnectionStatus;
use crate::domain::onboarding::WizardStep;
use crate::domain::AppError;
use crate::server::audit::{self, Entry};
use crate::server::connections::exchange::{self, ExchangeActor};
use crate::server::connections::{load, ConnectionRow};
use crate::server::state::AppState;

/// The row a code landed as, before following a merge: it carries the landing's binding.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Landed {
    id: String,
    user_id: Option<String>,
    landing_key_hash: Option<String>,
}

/// What a browser session has in progress.
#[derive(Debug, Clone)]
pub enum SessionConnection {
    /// Nothing this session may see.
    None,
    /// A code this session landed, not yet bound to an account (`landed_id` is the landed row;
    /// `row` the practice's row, after a merge).
    Unbound {
        landed_id: String,
        row: ConnectionRow,
    },
    /// This account's connection.
    Bound(ConnectionRow),
}

/// The connection the session landed (`connection_id` and `landing_key`, both kept in the
/// session), as the caller may see it: only the session holding the landing key sees it at
/// all, and once bound only the account that owns the practice's row now.
pub async fn session_connection(
    state: &AppState,
    user: Option<&CurrentUser>,
    connection_id: Option<&str>,
    landing_key: Option<&str>,
) -> Result<SessionConnection, AppError> {
    let (Some(id), Some(key)) = (connection_id, landing_key) else {
        return Ok(SessionConnection::None);
    };
    let landed: Option<Landed> =
        sqlx::query_as("SELECT id, user_id, landing_key_hash FROM connections WHERE id = $1")
            .bind(id)
            .fetch_optional(state.db.pool())
            .await?;
    let Some(landed) = landed.filter(|l| l.landing_key_hash.as_deref() == Some(&sha256_hex(key)))
    else {
        return Ok(SessionConnection::None);
    };
    let Some(row) = load(state, &landed.id).await? else {
        return Ok(SessionConnection::None);
    };
    // Ownership is the practice's row's, as it is now: a provider whose landing was merged into
    // a practice that another account has connected since keeps nothing of it.
    Ok(match (&landed.user_id, user) {
        (None, _) => SessionConnection::Unbound {
            landed_id: landed.id,
            row,
        },
        (Some(landed_by), Some(user))
            if *landed_by == user.id && row.user_id.as_deref() == Some(user.id.as_str()) =>
        {
            SessionConnection::Bound(row)
        }
        _ => SessionConnection::None,
    })
}

/// Exchanges an unbound connection's code with `activate: false` so the confirmation page can
/// name the practice (at most once per code; a failure is kept on the row for the page to
/// explain). Only for a signed-in provider, within the code's lifetime.
pub async fn preview(
    state: &AppState,
    user: &CurrentUser,
    connection: SessionConnection,
    ip: Option<&str>,
) -> Result<SessionConnection, AppError> {
    let SessionConnection::Unbound { landed_id, row } = &connection else {
        return Ok(connection);
    };
    // An exchange in progress elsewhere (another tab) is waited for by `exchange` itself.
    let open = matches!(
        row.summary.status,
        ConnectionStatus::Pending | ConnectionStatus::Exchanging
    );
    if !open || !within_lifetime(state, row) {
        return Ok(connection);
    }
    // Each preview is a call to Hint's token endpoint: capped like headless installs.
    if let Err(wait) = state.limits.check_preview(&user.id) {
        tracing::warn!("a provider is over their share of previews");
        return Err(AppError::RateLimited {
            retry_after_seconds: wait.as_secs().max(1),
        });
    }
    let actor = ExchangeActor::Provider(user.id.clone());
    exchange::exchange(state, &row.summary.id, actor, false, ip).await?;
    let row = load(state, landed_id).await?.ok_or(AppError::NotFound)?;
    Ok(SessionConnection::Unbound {
        landed_id: landed_id.clone(),
        row,
    })
}

fn within_lifetime(state: &AppState, row: &ConnectionRow) -> bool {
    row.created_at >= state.clock.now() - state.settings.connect.code_lifetime_minutes as i64 * 60
}

/// Binds the connection this session landed (`landed_id`, as the confirmation page showed it) to
/// `user`. Refused unless the session holds the landing key, the practice is known from Hint,
/// and the code's lifetime has not run out. If another account had this practice, the change of
/// owner is audited on the practice's timeline.
pub async fn bind(
    state: &AppState,
    user: &CurrentUser,
    connection: SessionConnection,
    landed_id: &str,
    ip: Option<&str>,
) -> Result<ConnectionRow, AppError> {
    let SessionConnection::Unbound {
        landed_id: ours,
        row,
    } = connection
    else {
        return Err(AppError::invalid(
            "This connection is not waiting for you any more. Start again from Hint: open our integration there and click Connect.",
        ));
    };
    if ours != landed_id {
        return Err(AppError::invalid(
            "Another connection link arrived in this browser meanwhile. Reload this page and check which practice you are connecting.",
        ));
    }
    if !matches!(
        row.summary.status,
        ConnectionStatus::Connected | ConnectionStatus::AwaitingActivation
    ) {
        return Err(AppError::invalid(
            "Hint has not told us which practice this is yet. Reload this page to try again.",
        ));
    }
    let lifetime = state.settings.connect.code_lifetime_minutes as i64 * 60;
    let mut tx = state.db.begin_write().await?;
    // Within the code's lifetime, or while an invitation from inside Hint holds it open.
    let bound = sqlx::query(
        "UPDATE connections SET user_id = $1, updated_at = $2, claimable_until = NULL \
         WHERE id = $3 AND user_id IS NULL AND (created_at >= $4 OR claimable_until >= $2)",
    )
    .bind(&user.id)
    .bind(state.clock.now())
    .bind(landed_id)
    .bind(state.clock.now() - lifetime)
    .execute(&mut *tx)
    .await?;
    if bound.rows_affected() == 0 {
        return Err(AppError::invalid(
            "This connection link has expired. Start again from Hint: open our integration there and click Connect.",
        ));
    }
    let practice_row = row.summary.id.clone();
    let previous_owner: Option<String> =
        sqlx::query_scalar("SELECT user_id FROM connections WHERE id = $1")
            .bind(&practice_row)
            .fetch_one(&mut *tx)
            .await?;
    // The practice's row takes the new owner, and its wizard starts (again) after this step.
    // Another account's answers (their role, their phone, their email choices) are not handed to
    // the new owner.
    let new_owner = previous_owner.as_deref() != Some(user.id.as_str());
    sqlx::query(
        "UPDATE connections SET user_id = $1, wizard_step = $2, updated_at = $3, \
         wizard_data = CASE WHEN $4 = 1 THEN '{}' ELSE wizard_data END, \
         alerts_by_email = CASE WHEN $4 = 1 THEN 0 ELSE alerts_by_email END, \
         weekly_summary = CASE WHEN $4 = 1 THEN 0 ELSE weekly_summary END \
         WHERE id = $5",
    )
    .bind(&user.id)
    .bind(WizardStep::Practice.index())
    .bind(state.clock.now())
    .bind(i64::from(new_owner))
    .bind(&practice_row)
    .execute(&mut *tx)
    .await?;
    if previous_owner.is_some() && new_owner {
        let kind = crate::domain::partner::EventKind::OwnerChanged;
        crate::server::events::record(&mut tx, &practice_row, kind, state.clock.now()).await?;
    }
    tx.commit().await?;

    let entry = |action| Entry {
        actor_id: Some(&user.id),
        connection_id: Some(&practice_row),
        ip,
        ..Entry::new(ActorKind::Provider, action, Outcome::Ok)
    };
    audit::record(&state.db, entry(AuditAction::ConnectionBound)).await;
    if let Some(previous) = previous_owner.filter(|previous| *previous != user.id) {
        tracing::info!(connection_id = %practice_row, "a practice was connected again by another account");
        let changed = Entry {
            detail: Some(&previous),
            ..entry(AuditAction::OwnershipChanged)
        };
        audit::record(&state.db, changed).await;
    }
    load(state, &practice_row).await?.ok_or(AppError::NotFound)
}
