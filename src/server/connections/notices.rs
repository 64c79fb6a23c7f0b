//! The `connections` columns the promised emails read and write: the provider's choices
//! (attention emails, the weekly summary) inside the wizard's answers, and `notified_status`,
//! which makes each fall of a connection told once. `server::notifications` decides what to send
//! and calls these; only this module tree writes the table.

use crate::domain::connection::ConnectionStatus;
use crate::domain::onboarding::WizardAnswers;
use crate::domain::AppError;
use crate::server::db::Db;

/// Which emails a provider can turn off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preference {
    /// "Email me if the connection needs attention".
    Alerts,
    /// The weekly summary.
    Weekly,
}

/// Which connections a change applies to.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// One connection.
    Connection(&'a str),
    /// Every connection of one provider.
    User(&'a str),
}

/// Turns `preference` off on the connections `scope` names.
pub async fn turn_off(db: &Db, scope: Scope<'_>, preference: Preference) -> Result<(), AppError> {
    let (column, value) = match scope {
        Scope::Connection(id) => ("id", id),
        Scope::User(id) => ("user_id", id),
    };
    let rows: Vec<(String, String)> = sqlx::query_as(&format!(
        "SELECT id, wizard_data FROM connections WHERE {column} = $1"
    ))
    .bind(value)
    .fetch_all(db.pool())
    .await?;
    for (id, data) in rows {
        let mut answers: WizardAnswers = serde_json::from_str(&data).unwrap_or_default();
        let Some(profile) = answers.profile.as_mut() else {
            continue;
        };
        match preference {
            Preference::Alerts => profile.alerts_by_email = false,
            Preference::Weekly => profile.weekly_summary = false,
        }
        let data = serde_json::to_string(&answers).map_err(|_| AppError::Internal)?;
        sqlx::query("UPDATE connections SET wizard_data = $1, updated_at = $2 WHERE id = $3")
            .bind(data)
            .bind(db.now())
            .bind(&id)
            .execute(db.pool())
            .await?;
    }
    Ok(())
}

/// A connection's fall, claimed for telling: who to tell, about which practice, and whether they
/// asked for attention emails.
pub struct Fall {
    pub user_id: String,
    pub practice_name: Option<String>,
    pub wants_alerts: bool,
}

/// Claims the telling of connection `id`'s fall into `status`: one conditional `UPDATE`, so
/// instances that notice the same fall at once get it once between them. `None` when it was told
/// already, the connection is not in `status`, or no provider owns it.
pub async fn claim_fall(
    db: &Db,
    id: &str,
    status: ConnectionStatus,
) -> Result<Option<Fall>, AppError> {
    let claimed: Option<(Option<String>, Option<String>, String)> = sqlx::query_as(
        "UPDATE connections SET notified_status = $1 \
         WHERE id = $2 AND status = $1 AND COALESCE(notified_status, '') <> $1 \
         RETURNING user_id, practice_name, wizard_data",
    )
    .bind(status.as_str())
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let Some((Some(user_id), practice_name, data)) = claimed else {
        return Ok(None);
    };
    let answers: WizardAnswers = serde_json::from_str(&data).unwrap_or_default();
    Ok(Some(Fall {
        user_id,
        practice_name,
        wants_alerts: answers.profile.is_some_and(|p| p.alerts_by_email),
    }))
}
