//! Made-up connections in bulk, for trying the dashboard at scale (`practice-connect seed`).
//! Rows carry no key (the key columns stay empty), so nothing secret is invented.

use super::db::{new_id, now, Db};
use crate::domain::connection::ConnectionStatus;

const NAMES: [&str; 12] = [
    "Riverbend",
    "Maple Street",
    "Harbor Light",
    "Summit Ridge",
    "Cedar Grove",
    "Lakeside",
    "Prairie Wind",
    "Blue Heron",
    "Granite Peak",
    "Willow Creek",
    "Sunrise",
    "Old Mill",
];
const KINDS: [&str; 4] = ["Direct Primary Care", "Family Medicine", "DPC", "Health"];

/// Adds `count` connections spread over the last 90 days, with providers, in batches.
pub async fn connections(db: &Db, count: usize) -> Result<usize, sqlx::Error> {
    const BATCH: usize = 250;
    let started_at = now();
    let mut added = 0;
    while added < count {
        let size = BATCH.min(count - added);
        let mut tx = db.pool().begin().await?;
        let mut users = String::from(
            "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES ",
        );
        let mut rows = String::from(
            "INSERT INTO connections (id, status, practice_id, practice_name, integration_id, hint_status, user_id, \
             wizard_step, wizard_data, created_at, updated_at, connected_at, last_verified_at) VALUES ",
        );
        for i in 0..size {
            let n = added + i;
            let user_id = new_id("usr");
            let at = started_at - (n as i64 * 7919) % (90 * 86_400);
            let status = match n % 20 {
                0 => ConnectionStatus::Failed,
                1 => ConnectionStatus::Disconnected,
                2 => ConnectionStatus::NeedsReconnect,
                3 => ConnectionStatus::AwaitingActivation,
                4 => ConnectionStatus::Pending,
                _ => ConnectionStatus::Connected,
            };
            let connected = matches!(
                status,
                ConnectionStatus::Connected
                    | ConnectionStatus::NeedsReconnect
                    | ConnectionStatus::Disconnected
            );
            let name = format!(
                "{} {} #{n}",
                NAMES[n % NAMES.len()],
                KINDS[(n / NAMES.len()) % KINDS.len()]
            );
            let separator = if i == 0 { "" } else { "," };
            users.push_str(&format!(
                "{separator}('{user_id}', 'seed{n}-{user_id}@practice.example', 'Seeded Provider {n}', '!', {at}, {at})"
            ));
            let (practice, integration, connected_at) = if connected {
                (
                    format!("'pra-seed{n:07}'"),
                    format!("'int-seed{n:07}'"),
                    at.to_string(),
                )
            } else {
                ("NULL".into(), "NULL".into(), "NULL".into())
            };
            rows.push_str(&format!(
                "{separator}('{}', '{}', {practice}, '{name}', {integration}, NULL, '{user_id}', 4, '{{}}', {at}, {at}, \
                 {connected_at}, {connected_at})",
                new_id("con"),
                status.as_str(),
            ));
        }
        sqlx::query(&users).execute(&mut *tx).await?;
        sqlx::query(&rows).execute(&mut *tx).await?;
        tx.commit().await?;
        added += size;
    }
    // Fresh statistics, so the query planner knows the tables' new size.
    sqlx::query("ANALYZE").execute(db.pool()).await?;
    Ok(added)
}
