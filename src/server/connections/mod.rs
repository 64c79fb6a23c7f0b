//! The `connections` table: one row per practice connection, from the code landing to the key
//! being stored and kept healthy. This module tree is the table's only writer:
//!
//! - `onboarding`: a code lands, a provider claims it, the wizard's answers are kept
//!   (`answers`: how a row holds them);
//! - `exchange`: the code is exchanged with Hint exactly once, and the result stored;
//! - `keys`: the stored practice key — decrypting, proving it against Hint, re-encrypting;
//! - `health`: the background job that proves every key on a schedule;
//! - `webhooks`: Hint's webhooks applied to the rows they name;
//! - `embedded`: the connection as Hint's settings surface shows it, and its preferences;
//! - `notices`: the columns the promised emails read and write (choices, `notified_status`).
//!
//! Status changes made from outside an exchange (staff actions, webhooks, the key job) all go
//! through [`set_status`]; the exchange's own steps (claim, release, store) are in `exchange`.

pub mod answers;
pub mod embedded;
pub mod exchange;
pub mod health;
pub mod keys;
pub mod notices;
pub mod onboarding;
pub mod service_api;
pub mod webhooks;

use super::state::AppState;
use crate::domain::connection::{ConnectProblem, ConnectionStatus, ConnectionSummary};
use crate::domain::onboarding::{WizardAnswers, WizardStep};
use crate::domain::partner::EventKind;
use crate::domain::AppError;

/// The columns [`Record`] reads.
const RECORD_COLUMNS: &str = "id, status, practice_id, practice_name, hint_status, connected_at, \
     failure, user_id, merged_into, wizard_step, wizard_data, alerts_by_email, weekly_summary, \
     created_at";

/// A connection row as stored (the columns the journey needs; never the secrets).
#[derive(Debug, Clone, sqlx::FromRow)]
struct Record {
    id: String,
    #[sqlx(try_from = "String")]
    status: ConnectionStatus,
    practice_id: Option<String>,
    practice_name: Option<String>,
    hint_status: Option<String>,
    connected_at: Option<i64>,
    failure: Option<String>,
    user_id: Option<String>,
    merged_into: Option<String>,
    wizard_step: i64,
    wizard_data: String,
    #[sqlx(flatten)]
    preferences: answers::Preferences,
    created_at: i64,
}

/// A connection as the journey works with it.
#[derive(Debug, Clone)]
pub struct ConnectionRow {
    /// What the provider may see.
    pub summary: ConnectionSummary,
    /// The provider who owns it, once claimed.
    pub user_id: Option<String>,
    /// Set when a newer row holds this practice now.
    pub merged_into: Option<String>,
    /// Where the wizard stands.
    pub step: WizardStep,
    /// What the wizard collected.
    pub answers: WizardAnswers,
    /// When the code landed (unix seconds): its lifetime counts from here.
    pub created_at: i64,
}

impl From<Record> for ConnectionRow {
    fn from(record: Record) -> Self {
        Self {
            summary: ConnectionSummary {
                id: record.id,
                status: record.status,
                practice_id: record.practice_id,
                practice_name: record.practice_name,
                hint_status: record.hint_status,
                connected_at: record.connected_at,
                problem: record.failure.as_deref().and_then(ConnectProblem::parse),
            },
            user_id: record.user_id,
            merged_into: record.merged_into,
            step: WizardStep::from_index(record.wizard_step),
            answers: answers::read(&record.wizard_data, record.preferences),
            created_at: record.created_at,
        }
    }
}

/// Loads a connection, following a merge to the row that holds the practice now.
pub async fn load(state: &AppState, id: &str) -> Result<Option<ConnectionRow>, AppError> {
    let mut id = id.to_owned();
    for _ in 0..3 {
        let record: Option<Record> = sqlx::query_as(&format!(
            "SELECT {RECORD_COLUMNS} FROM connections WHERE id = $1"
        ))
        .bind(&id)
        .fetch_optional(state.db.pool())
        .await?;
        let Some(record) = record else {
            return Ok(None);
        };
        match record.merged_into.clone() {
            Some(next) => id = next,
            None => return Ok(Some(record.into())),
        }
    }
    Ok(None)
}

/// The provider's connections, newest first.
pub async fn list_for_user(
    state: &AppState,
    user_id: &str,
) -> Result<Vec<ConnectionSummary>, AppError> {
    let records: Vec<Record> = sqlx::query_as(&format!(
        "SELECT {RECORD_COLUMNS} FROM connections WHERE user_id = $1 AND merged_into IS NULL \
         ORDER BY created_at DESC"
    ))
    .bind(user_id)
    .fetch_all(state.db.pool())
    .await?;
    Ok(records
        .into_iter()
        .map(|record| ConnectionRow::from(record).summary)
        .collect())
}

/// Which rows a status change applies to. Merged rows are never changed: their practice lives
/// in the row they point at.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// One connection by our id.
    Id(&'a str),
    /// The connection of a Hint integration (`int-…`).
    Integration(&'a str),
    /// The connection of a Hint practice (`pra-…`).
    Practice(&'a str),
}

/// A change of status from outside an exchange.
#[derive(Debug, Clone, Copy)]
pub struct StatusChange<'a> {
    /// The new status.
    pub to: ConnectionStatus,
    /// Apply only to rows in this status (`None`: whatever their status).
    pub only_from: Option<ConnectionStatus>,
    /// Hint's own word for the integration, when Hint just told us.
    pub hint_status: Option<&'a str>,
    /// When Hint made the event that asks for the change (unix seconds): rows that already
    /// applied a later event are left as they are, and the rest remember this time.
    pub event_at: Option<i64>,
}

impl StatusChange<'_> {
    /// A change to `to` from any status.
    pub fn to(to: ConnectionStatus) -> Self {
        Self {
            to,
            only_from: None,
            hint_status: None,
            event_at: None,
        }
    }
}

/// What an `UPDATE … SET status = …` also sets, from the row before the change (a SET's right-hand
/// sides read the old row on both backends): the status it had, and whether it was in a
/// reconnect then (it needed one, and its in-between steps since — a new code, an exchange,
/// awaiting activation — have not ended in connected or disconnected). `RETURNING` both and
/// [`EventKind::for_change`] names the event.
pub(crate) const LIFECYCLE_BEFORE: &str = "previous_status = status, reconnecting = CASE \
     WHEN status = 'needs_reconnect' THEN 1 \
     WHEN status IN ('awaiting_activation', 'pending', 'exchanging', 'failed') THEN reconnecting \
     ELSE 0 END";

/// Changes the status of the rows `target` names, at `now`, inside the caller's transaction;
/// returns their ids. Each row whose lifecycle moved writes its event (`events`) in the same
/// transaction. A disconnected practice's key is deleted with the change (Hint no longer honours
/// it, and a key kept is a key that can leak); the timeline keeps the event.
pub async fn set_status(
    tx: &mut sqlx::AnyConnection,
    now: i64,
    target: Target<'_>,
    change: StatusChange<'_>,
) -> Result<Vec<String>, sqlx::Error> {
    let (column, value) = match target {
        Target::Id(id) => ("id", id),
        Target::Integration(id) => ("integration_id", id),
        Target::Practice(id) => ("practice_id", id),
    };
    let changed: Vec<(String, Option<String>, i64)> = sqlx::query_as(&format!(
        "UPDATE connections SET status = $1, {LIFECYCLE_BEFORE}, \
         hint_status = COALESCE($2, hint_status), updated_at = $3, \
         api_key_ciphertext = CASE WHEN $1 = 'disconnected' THEN NULL ELSE api_key_ciphertext END, \
         api_key_key_id = CASE WHEN $1 = 'disconnected' THEN NULL ELSE api_key_key_id END, \
         api_key_last4 = CASE WHEN $1 = 'disconnected' THEN NULL ELSE api_key_last4 END, \
         notified_status = CASE WHEN $1 = 'connected' THEN NULL ELSE notified_status END, \
         last_event_at = CASE WHEN $6 < 0 THEN last_event_at ELSE $6 END \
         WHERE {column} = $4 AND merged_into IS NULL AND ($5 = '' OR status = $5) \
         AND ($6 < 0 OR last_event_at IS NULL OR last_event_at <= $6) \
         RETURNING id, previous_status, reconnecting"
    ))
    .bind(change.to.as_str())
    .bind(change.hint_status)
    .bind(now)
    .bind(value)
    .bind(change.only_from.map_or("", ConnectionStatus::as_str))
    // -1 for "no event": one parameter type on both backends.
    .bind(change.event_at.unwrap_or(-1))
    .fetch_all(&mut *tx)
    .await?;
    for (id, before, reconnecting) in &changed {
        let before = before.as_deref().and_then(ConnectionStatus::parse);
        if let Some(kind) = EventKind::for_change(before, *reconnecting != 0, change.to) {
            crate::server::events::record(&mut *tx, id, kind, now).await?;
        }
    }
    Ok(changed.into_iter().map(|(id, ..)| id).collect())
}

/// Our status for Hint's word (see [`ConnectionStatus::from_hint`]); a word we do not know is
/// logged, so a new one in Hint's vocabulary is noticed rather than shown as connected.
pub fn status_from_hint(word: Option<&str>) -> ConnectionStatus {
    if let Some(word) = word.filter(|word| !ConnectionStatus::is_known_hint_word(word)) {
        tracing::warn!(hint_status = %word, "Hint reported a status word we do not know: not shown as connected");
    }
    ConnectionStatus::from_hint(word)
}

/// How many connections are stored (`seed` refuses a database that has any).
pub async fn count(db: &crate::server::db::Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM connections")
        .fetch_one(db.pool())
        .await
}

/// A made-up connection for `seed`: no code and no key, so nothing secret is invented.
pub struct SeedConnection {
    pub id: String,
    pub status: ConnectionStatus,
    pub practice_id: Option<String>,
    pub practice_name: String,
    pub integration_id: Option<String>,
    pub user_id: String,
    pub created_at: i64,
    pub connected_at: Option<i64>,
    /// When the key health job last proved the key (and it was good).
    pub verified_at: Option<i64>,
}

/// Adds made-up connections in one statement (for `seed`), their wizards finished.
pub async fn insert_seeded<'e, E>(executor: E, rows: &[SeedConnection]) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    if rows.is_empty() {
        return Ok(());
    }
    const COLUMNS: usize = 9;
    let placeholders: Vec<String> = (0..rows.len())
        .map(|i| {
            let p = |k: usize| format!("${}", i * COLUMNS + k);
            format!(
                "({}, {}, {}, {}, {}, {}, {done}, '{{}}', {}, {}, {}, {}, {})",
                p(1),
                p(2),
                p(3),
                p(4),
                p(5),
                p(6),
                p(7),
                p(7),
                p(8),
                p(9),
                p(9),
                done = WizardStep::Done.index(),
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO connections (id, status, practice_id, practice_name, integration_id, user_id, \
         wizard_step, wizard_data, created_at, updated_at, connected_at, last_verified_at, \
         key_checked_at) VALUES {}",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for row in rows {
        query = query
            .bind(&row.id)
            .bind(row.status.as_str())
            .bind(&row.practice_id)
            .bind(&row.practice_name)
            .bind(&row.integration_id)
            .bind(&row.user_id)
            .bind(row.created_at)
            .bind(row.connected_at)
            .bind(row.verified_at);
    }
    query.execute(executor).await?;
    Ok(())
}
