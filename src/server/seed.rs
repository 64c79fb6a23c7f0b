//! Made-up connections in bulk, for trying the dashboard at scale (`practice-connect seed`).
//! Rows carry no key (the key columns stay empty), so nothing secret is invented.

use super::account::users::{self, SeedUser};
use super::connections::{self, SeedConnection};
use super::db::{new_id, Db};
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

/// Adds `count` connections spread over the last 90 days, with providers, in batches. The rows
/// are written by their tables' own modules (`account`, `connections`).
pub async fn connections(db: &Db, count: usize) -> Result<usize, sqlx::Error> {
    const BATCH: usize = 250;
    let started_at = db.now();
    let mut added = 0;
    while added < count {
        let size = BATCH.min(count - added);
        let mut users = Vec::with_capacity(size);
        let mut rows = Vec::with_capacity(size);
        for n in added..added + size {
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
            let user = SeedUser {
                id: new_id("usr"),
                email: String::new(),
                name: format!("Seeded Provider {n}"),
                created_at: at,
            };
            let user = SeedUser {
                email: format!("seed{n}-{}@practice.example", user.id),
                ..user
            };
            rows.push(SeedConnection {
                id: new_id("con"),
                status,
                practice_id: connected.then(|| format!("pra-seed{n:07}")),
                practice_name: format!(
                    "{} {} #{n}",
                    NAMES[n % NAMES.len()],
                    KINDS[(n / NAMES.len()) % KINDS.len()]
                ),
                integration_id: connected.then(|| format!("int-seed{n:07}")),
                user_id: user.id.clone(),
                created_at: at,
                connected_at: connected.then_some(at),
                // A running server proves every key once a day, so a connected practice's key
                // was checked within the last day: the seeded rows are not a backlog of
                // never-checked keys for the key health job to work through at start.
                verified_at: connected.then(|| match status {
                    ConnectionStatus::Connected => at.max(started_at - (n as i64 * 7919) % 86_400),
                    _ => at,
                }),
            });
            users.push(user);
        }
        let mut tx = db.begin_write().await?;
        users::insert_seeded(&mut *tx, &users).await?;
        connections::insert_seeded(&mut *tx, &rows).await?;
        tx.commit().await?;
        added += size;
    }
    // Fresh statistics, so the query planner knows the tables' new size.
    sqlx::query("ANALYZE").execute(db.pool()).await?;
    Ok(added)
}
