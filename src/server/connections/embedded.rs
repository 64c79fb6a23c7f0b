//! The connection as Hint's embedded settings surface shows it, and the preferences a Hint user
//! may change there. Every query is scoped to the practice of the caller's Hint session (Hint's
//! tenancy rule): nothing here takes a practice or connection id from the request.

use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::connection::ConnectionStatus;
use crate::domain::embedded::{EmbeddedView, PracticeSettings, SurfaceAccess};
use crate::domain::AppError;
use crate::server::audit::{self, Entry};
use crate::server::connections::answers::Preferences;
use crate::server::embedded_sessions::HintSession;
use crate::server::state::AppState;

/// The practice's current connection, as the surface needs it.
#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    #[sqlx(try_from = "String")]
    status: ConnectionStatus,
    practice_name: Option<String>,
    connected_at: Option<i64>,
    last_verified_at: Option<i64>,
    activated_by_name: Option<String>,
    provider_name: Option<String>,
    user_id: Option<String>,
    #[sqlx(flatten)]
    preferences: Preferences,
}

/// The newest connection of the session's practice, if it has one.
async fn current(state: &AppState, session: &HintSession) -> Result<Option<Row>, AppError> {
    Ok(sqlx::query_as(
        "SELECT c.id, c.status, c.practice_name, c.connected_at, c.last_verified_at, \
         c.activated_by_name, u.name AS provider_name, c.user_id, c.alerts_by_email, c.weekly_summary \
         FROM connections c LEFT JOIN users u ON u.id = c.user_id \
         WHERE c.practice_id = $1 AND c.merged_into IS NULL \
         ORDER BY c.updated_at DESC LIMIT 1",
    )
    .bind(&session.practice_id)
    .fetch_optional(state.db.pool())
    .await?)
}

/// What the settings surface shows for `session` (or for no session at all).
pub async fn view(
    state: &AppState,
    session: Option<&HintSession>,
) -> Result<EmbeddedView, AppError> {
    let Some(session) = session else {
        return Ok(EmbeddedView::NoSession);
    };
    if session.access == SurfaceAccess::None {
        return Ok(EmbeddedView::NoAccess);
    }
    let Some(row) = current(state, session).await? else {
        return Ok(EmbeddedView::NotConnected {
            practice_name: None,
            support_session: session.is_support(),
        });
    };
    Ok(EmbeddedView::Connected(PracticeSettings {
        practice_name: row.practice_name.unwrap_or_else(|| "Your practice".into()),
        status: row.status,
        connected_at: row.connected_at,
        connected_by: row.provider_name.or(row.activated_by_name),
        last_verified_at: row.last_verified_at,
        alerts_by_email: row.preferences.alerts_by_email,
        weekly_summary: row.preferences.weekly_summary,
        can_edit: session.can_edit(),
        support_session: session.is_support(),
        claimed: row.user_id.is_some(),
    }))
}

/// Changes the practice's email preferences for `session`'s practice, audited as the Hint user.
pub async fn save_preferences(
    state: &AppState,
    session: &HintSession,
    alerts_by_email: bool,
    weekly_summary: bool,
) -> Result<(), AppError> {
    if !session.can_edit() {
        let why = if session.is_support() {
            "A Hint support session can look but not change anything here."
        } else {
            "Your role in Hint does not allow changing these settings. Ask your practice's admin."
        };
        return Err(AppError::invalid(why));
    }
    let row = current(state, session).await?.ok_or_else(|| {
        AppError::invalid(
            "This practice is not connected yet: connect it from Hint's marketplace first.",
        )
    })?;
    // Scoped twice: the row is the session practice's, and the update says so again.
    sqlx::query(
        "UPDATE connections SET alerts_by_email = $1, weekly_summary = $2, updated_at = $3 \
         WHERE id = $4 AND practice_id = $5",
    )
    .bind(i64::from(alerts_by_email))
    .bind(i64::from(weekly_summary))
    .bind(state.clock.now())
    .bind(&row.id)
    .bind(&session.practice_id)
    .execute(state.db.pool())
    .await?;
    let detail = format!(
        "alerts by email {}, weekly summary {}",
        if alerts_by_email { "on" } else { "off" },
        if weekly_summary { "on" } else { "off" }
    );
    let entry = Entry {
        actor_id: session.user_id.as_deref(),
        connection_id: Some(&row.id),
        detail: Some(&detail),
        ..Entry::new(
            ActorKind::Hint,
            AuditAction::PreferencesChanged,
            Outcome::Ok,
        )
    };
    audit::record_or_fail(&state.db, entry).await?;
    Ok(())
}

/// Invites `email` to claim the practice's connection, which nobody owns (Hint's headless
/// install made it): a one-time link, bound to the connection, that lets that person sign in and
/// confirm the practice. Only a session that may edit; within the mail budget of the connection
/// and of the address; audited as the Hint user (the address is not written to the log).
pub async fn invite_owner(
    state: &AppState,
    session: &HintSession,
    email: &crate::domain::account::Email,
) -> Result<(), AppError> {
    use crate::server::account_tokens::{self, TokenPurpose};
    use crate::server::mail::{self, invitations};

    if !session.can_edit() {
        return Err(AppError::invalid(
            "Your role in Hint does not allow inviting anyone here. Ask your practice's admin.",
        ));
    }
    let row = current(state, session).await?.ok_or_else(|| {
        AppError::invalid(
            "This practice is not connected yet: connect it from Hint's marketplace first.",
        )
    })?;
    if row.user_id.is_some() {
        return Err(AppError::invalid(
            "A provider account already looks after this connection.",
        ));
    }
    if let Err(wait) =
        crate::server::throttle::reserve_mail(&state.db, &row.id, email.as_str()).await?
    {
        return Err(AppError::RateLimited {
            retry_after_seconds: wait,
        });
    }
    let hours = state.settings.mail.invite_link_hours;
    let token = account_tokens::issue(
        &state.db,
        TokenPurpose::ClaimConnection,
        &row.id,
        email.as_str(),
        state.clock.now(),
        hours as i64 * 3600,
    )
    .await?;
    let link = format!(
        "{}{}?token={token}",
        state.public_base_url,
        crate::domain::urls::CLAIM_PATH
    );
    let practice = row.practice_name.as_deref().unwrap_or("Your practice");
    mail::queue(
        state,
        email.as_str(),
        invitations::claim_connection(practice, &link, hours),
    )
    .await?;
    let entry = Entry {
        actor_id: session.user_id.as_deref(),
        connection_id: Some(&row.id),
        ..Entry::new(ActorKind::Hint, AuditAction::OwnerInvited, Outcome::Ok)
    };
    audit::record_or_fail(&state.db, entry).await?;
    Ok(())
}
