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
    #[sqlx(flatten)]
    preferences: Preferences,
}

/// The newest connection of the session's practice, if it has one.
async fn current(state: &AppState, session: &HintSession) -> Result<Option<Row>, AppError> {
    Ok(sqlx::query_as(
        "SELECT c.id, c.status, c.practice_name, c.connected_at, c.last_verified_at, \
         c.activated_by_name, u.name AS provider_name, c.alerts_by_email, c.weekly_summary \
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
