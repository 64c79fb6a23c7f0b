//! Connections as the service API (`/v1`) gives them to the partner's own product: listed in
//! the order they changed (keyset pagination on `updated_at, id`, so a caller that pages with
//! `updated_since` sees every change, a row changed mid-way again at the end), one by id, and a
//! connected practice's key, audited before it leaves. Never a key in a list or an item.

use secrecy::SecretString;

use crate::domain::audit::AuditAction;
use crate::domain::connection::ConnectionStatus;
use crate::server::audit;
use crate::server::service_tokens::ServiceCaller;
use crate::server::state::AppState;

/// The most items one page holds.
pub const MAX_PAGE: i64 = 200;

/// One connection as the API shows it (times are unix seconds here; the API writes RFC 3339).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Item {
    pub id: String,
    pub practice_id: Option<String>,
    pub practice_name: Option<String>,
    pub integration_id: Option<String>,
    pub status: String,
    pub connected_at: Option<i64>,
    pub updated_at: i64,
}

/// Which connections to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<ConnectionStatus>,
    pub practice_id: Option<String>,
    pub updated_since: Option<i64>,
    /// Where the previous page ended: `(updated_at, id)` of its last item.
    pub after: Option<(i64, String)>,
    pub limit: i64,
}

/// The columns an [`Item`] reads. Only rows that reached Hint (a practice id) are listed:
/// a code that never became a connection is not the partner product's business.
const ITEM: &str = "SELECT id, practice_id, practice_name, integration_id, status, connected_at, \
     updated_at FROM connections WHERE merged_into IS NULL AND practice_id IS NOT NULL";

/// One page, and whether more follow.
pub async fn list(state: &AppState, filter: &Filter) -> Result<(Vec<Item>, bool), sqlx::Error> {
    let (after_at, after_id) = filter.after.clone().unwrap_or((i64::MIN, String::new()));
    let limit = filter.limit.clamp(1, MAX_PAGE);
    let mut items: Vec<Item> = sqlx::query_as(&format!(
        "{ITEM} AND ($1 = '' OR status = $1) AND ($2 = '' OR practice_id = $2) \
         AND updated_at >= $3 AND (updated_at > $4 OR (updated_at = $4 AND id > $5)) \
         ORDER BY updated_at, id LIMIT $6"
    ))
    .bind(filter.status.map_or("", ConnectionStatus::as_str))
    .bind(filter.practice_id.as_deref().unwrap_or(""))
    .bind(filter.updated_since.unwrap_or(i64::MIN))
    .bind(after_at)
    .bind(after_id)
    .bind(limit + 1)
    .fetch_all(state.db.pool())
    .await?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    Ok((items, more))
}

/// One connection by id (following a merge to the row that holds the practice now).
pub async fn get(state: &AppState, id: &str) -> Result<Option<Item>, sqlx::Error> {
    let mut id = id.to_owned();
    for _ in 0..3 {
        let row: Option<(Option<String>,)> =
            sqlx::query_as("SELECT merged_into FROM connections WHERE id = $1")
                .bind(&id)
                .fetch_optional(state.db.pool())
                .await?;
        match row {
            None => return Ok(None),
            Some((Some(next),)) => id = next,
            Some((None,)) => {
                return sqlx::query_as(&format!("{ITEM} AND id = $1"))
                    .bind(&id)
                    .fetch_optional(state.db.pool())
                    .await
            }
        }
    }
    Ok(None)
}

/// Why a key is not given.
#[derive(Debug)]
pub enum KeyRefusal {
    /// No such connection.
    Unknown,
    /// The connection is not connected: its status says whether to wait or ask for a reconnect.
    NotConnected(ConnectionStatus),
    /// The audit line could not be written, or the key could not be opened.
    Failed,
}

/// A connected practice's key, for `caller` (who holds `keys:read`): written to the audit log
/// first (no line, no key).
pub async fn key(
    state: &AppState,
    caller: &ServiceCaller,
    id: &str,
) -> Result<(Item, SecretString), KeyRefusal> {
    let item = get(state, id)
        .await
        .map_err(|error| {
            tracing::error!(%error, "could not read a connection for the service API");
            KeyRefusal::Failed
        })?
        .ok_or(KeyRefusal::Unknown)?;
    let status = ConnectionStatus::parse(&item.status).ok_or(KeyRefusal::Failed)?;
    if status != ConnectionStatus::Connected {
        return Err(KeyRefusal::NotConnected(status));
    }
    let entry = audit::Entry {
        connection_id: Some(&item.id),
        ..caller.entry(AuditAction::ServiceKeyRead)
    };
    if let Err(error) = audit::record_or_fail(&state.db, entry).await {
        tracing::error!(%error, "could not audit a key read: the key is not given");
        return Err(KeyRefusal::Failed);
    }
    let key = super::keys::practice_key(state, &item.id)
        .await
        .map_err(|_| KeyRefusal::Failed)?;
    Ok((item, key))
}
