//! tower-sessions' store over our database. Rows are keyed by a SHA-256 of the session id, so
//! a leaked table does not hand out live sessions. A logged-in provider's session also names its
//! owner and what their sessions list shows (device, address, times), lifted out of the session's
//! data on each save; this module is the `sessions` table's only writer.

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result, SessionStore};

use crate::server::db::Db;

/// Sessions in the `sessions` table.
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    /// A store over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Deletes expired sessions; returns how many went.
    pub async fn delete_expired(&self) -> std::result::Result<u64, sqlx::Error> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(crate::server::clock::system_now())
            .execute(self.db.pool())
            .await?;
        Ok(done.rows_affected())
    }
}

/// The owner columns of a session row, read from its data.
struct Owner {
    user_id: Option<String>,
    device: Option<String>,
    ip: Option<String>,
    created_at: Option<i64>,
    last_seen_at: Option<i64>,
}

impl Owner {
    fn of(record: &Record) -> Self {
        let text = |key: &str| {
            record
                .data
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let time = |key: &str| record.data.get(key).and_then(|v| v.as_i64());
        Self {
            user_id: text("user_id"),
            device: text("device"),
            ip: text("ip"),
            created_at: time("logged_in_at"),
            last_seen_at: time("last_seen_at"),
        }
    }
}

/// One provider session as its owner's list shows it: (handle, device, ip, created, last seen).
pub type OwnedSession = (
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

/// The live sessions of provider `user_id`, most recent first.
pub async fn of_user(
    db: &Db,
    user_id: &str,
    now: i64,
) -> std::result::Result<Vec<OwnedSession>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, device, ip, created_at, last_seen_at FROM sessions \
         WHERE user_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC, id",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(db.pool())
    .await
}

/// Ends provider `user_id`'s session `handle` (a stored key from `of_user`); `false` if it is
/// not theirs or already gone.
pub async fn end_of_user(
    db: &Db,
    user_id: &str,
    handle: &str,
) -> std::result::Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
        .bind(handle)
        .bind(user_id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every session of provider `user_id` but `keep` (a stored key); returns how many.
pub async fn end_all_of_user(
    db: &Db,
    user_id: &str,
    keep: Option<&str>,
) -> std::result::Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

/// The stored key for a session id.
pub fn session_key(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

fn backend(error: impl std::fmt::Display) -> Error {
    Error::Backend(error.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        loop {
            let owner = Owner::of(record);
            let inserted = sqlx::query(
                "INSERT INTO sessions (id, data, expires_at, user_id, device, ip, created_at, last_seen_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
            )
            .bind(session_key(&record.id))
            .bind(&data)
            .bind(record.expiry_date.unix_timestamp())
            .bind(owner.user_id)
            .bind(owner.device)
            .bind(owner.ip)
            .bind(owner.created_at)
            .bind(owner.last_seen_at)
            .execute(self.db.pool())
            .await
            .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            // A 128-bit collision: practically never, but take a new id rather than overwrite.
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        let owner = Owner::of(record);
        sqlx::query(
            // An update only: a session ended meanwhile (by its owner from another browser,
            // or a password reset) must stay ended, not come back with this request's save.
            "UPDATE sessions SET data = $2, expires_at = $3, user_id = $4, device = $5, ip = $6, \
             created_at = $7, last_seen_at = $8 WHERE id = $1",
        )
        .bind(session_key(&record.id))
        .bind(&data)
        .bind(record.expiry_date.unix_timestamp())
        .bind(owner.user_id)
        .bind(owner.device)
        .bind(owner.ip)
        .bind(owner.created_at)
        .bind(owner.last_seen_at)
        .execute(self.db.pool())
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let row: Option<(String, i64)> = sqlx::query_as(
            // tower-sessions stamps expiry with the system's time, so the store compares on it;
            // the app's own idle and absolute limits are decided on the app's clock.
            "SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2",
        )
        .bind(session_key(id))
        .bind(crate::server::clock::system_now())
        .fetch_optional(self.db.pool())
        .await
        .map_err(backend)?;
        let Some((data, expires_at)) = row else {
            return Ok(None);
        };
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?,
            expiry_date: time::OffsetDateTime::from_unix_timestamp(expires_at)
                .map_err(|e| Error::Decode(e.to_string()))?,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(session_key(id))
            .execute(self.db.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }
}
