//! The `connections` columns the promised emails read and write: the provider's choices
//! (`alerts_by_email`, `weekly_summary`), and `notified_status`,
//! which makes each fall of a connection told once. `server::notifications` decides what to send
//! and calls these; only this module tree writes the table.

use crate::domain::connection::ConnectionStatus;
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
    let preference = match preference {
        Preference::Alerts => "alerts_by_email",
        Preference::Weekly => "weekly_summary",
    };
    let (column, value) = match scope {
        Scope::Connection(id) => ("id", id),
        Scope::User(id) => ("user_id", id),
    };
    sqlx::query(&format!(
        "UPDATE connections SET {preference} = 0, updated_at = $1 WHERE {column} = $2 AND {preference} = 1"
    ))
    .bind(db.now())
    .bind(value)
    .execute(db.pool())
    .await?;
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
    let claimed: Option<(Option<String>, Option<String>, i64)> = sqlx::query_as(
        "UPDATE connections SET notified_status = $1 \
         WHERE id = $2 AND status = $1 AND COALESCE(notified_status, '') <> $1 \
         RETURNING user_id, practice_name, alerts_by_email",
    )
    .bind(status.as_str())
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let Some((Some(user_id), practice_name, wants_alerts)) = claimed else {
        return Ok(None);
    };
    Ok(Some(Fall {
        user_id,
        practice_name,
        wants_alerts: wants_alerts != 0,
    }))
}
