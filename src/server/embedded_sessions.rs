//! Sessions for Hint's embedded surfaces: minted by a signed `POST /hint/handshake`, named by a
//! session key Hint puts in the surface's URL. This module is the `hint_sessions` table's only
//! writer.
//!
//! - The key is 256 random bits; only its SHA-256 is stored, so a leaked table opens nothing.
//! - A session is bound to the practice (and Hint user) its handshake named; every read and write
//!   of a surface is scoped to that practice (Hint's tenancy rule).
//! - A key works for `KEY_LIFETIME_SECONDS`. The row stays for `REPLAY_MEMORY_SECONDS`, keeping
//!   the hash of the handshake's signature, so the same signed handshake sent again is refused.

use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::db::Db;
use super::state::AppState;
use crate::domain::AppError;

/// How long a session key opens the surface.
pub const KEY_LIFETIME_SECONDS: i64 = 30 * 60;
/// How long a handshake's signature is remembered, to refuse it if sent again.
pub const REPLAY_MEMORY_SECONDS: i64 = 7 * 24 * 60 * 60;

/// The signed handshake, as Hint sends it: who opened the surface and for which practice.
#[derive(Debug, Clone, Deserialize)]
pub struct Handshake {
    pub user: HintUser,
    pub practice: HintPractice,
    /// Present when the practice has installed us.
    #[serde(default)]
    pub integration: Option<HintIntegration>,
    /// When Hint signed it (RFC 3339). Hint's contract does not promise it: when present it must
    /// fall within the webhook freshness window.
    #[serde(default)]
    pub issued_at: Option<String>,
}

/// The Hint user at the keyboard.
#[derive(Debug, Clone, Deserialize)]
pub struct HintUser {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// The practice the surface is for.
#[derive(Debug, Clone, Deserialize)]
pub struct HintPractice {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// Our integration with that practice.
#[derive(Debug, Clone, Deserialize)]
pub struct HintIntegration {
    pub id: String,
}

/// A live session of an embedded surface.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HintSession {
    pub practice_id: String,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
}

/// Why a handshake was refused (the answer is 401 either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The same signed handshake came before.
    Replayed,
    /// Its `issued_at` is outside the freshness window, or unreadable.
    Stale,
    /// It does not name a practice and a user.
    Malformed,
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl Handshake {
    fn check(&self, now: i64, max_age_seconds: u64) -> Result<(), Refused> {
        if self.practice.id.trim().is_empty() || self.user.id.trim().is_empty() {
            return Err(Refused::Malformed);
        }
        match self.issued_at.as_deref() {
            None => Ok(()),
            Some(text) => match super::connections::webhooks::unix_seconds(text) {
                Some(at) if now.abs_diff(at) <= max_age_seconds => Ok(()),
                _ => Err(Refused::Stale),
            },
        }
    }
}

/// Mints a session for a handshake whose signature (`mac`, the verified MAC's bytes) was never
/// seen before; answers the session key to give Hint. Replays are found by the MAC's bytes, so
/// writing its hex another way (upper case) is the same handshake.
pub async fn mint(
    state: &AppState,
    handshake: &Handshake,
    mac: &[u8],
) -> Result<Result<String, Refused>, AppError> {
    let now = state.clock.now();
    if let Err(refused) = handshake.check(now, state.settings.hint.webhook_max_age_seconds) {
        return Ok(Err(refused));
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let key = hex::encode(bytes);
    let inserted = sqlx::query(
        "INSERT INTO hint_sessions (id, signature_hash, practice_id, user_id, user_name, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (signature_hash) DO NOTHING",
    )
    .bind(sha256_hex(&key))
    .bind(hex::encode(Sha256::digest(mac)))
    .bind(handshake.practice.id.trim())
    .bind(handshake.user.id.trim())
    .bind(handshake.user.name.as_deref())
    .bind(now)
    .bind(now + KEY_LIFETIME_SECONDS)
    .execute(state.db.pool())
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(Err(Refused::Replayed));
    }
    Ok(Ok(key))
}

/// The live session `key` names, if any.
pub async fn find(state: &AppState, key: &str) -> Result<Option<HintSession>, AppError> {
    let key = key.trim();
    if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(sqlx::query_as(
        "SELECT practice_id, user_id, user_name FROM hint_sessions WHERE id = $1 AND expires_at > $2",
    )
    .bind(sha256_hex(key))
    .bind(state.clock.now())
    .fetch_optional(state.db.pool())
    .await?)
}

/// Forgets sessions older than the replay memory (housekeeping).
pub async fn forget_old(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM hint_sessions WHERE created_at < $1")
        .bind(now - REPLAY_MEMORY_SECONDS)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handshake(issued_at: Option<&str>) -> Handshake {
        serde_json::from_value(serde_json::json!({
            "user": { "id": "usr-1", "name": "Pat Admin" },
            "practice": { "id": "pra-1" },
            "issued_at": issued_at,
        }))
        .unwrap()
    }

    #[test]
    fn a_dated_handshake_must_be_fresh_and_an_undated_one_may_pass() {
        let at =
            crate::server::connections::webhooks::unix_seconds("2026-11-30T12:00:00Z").unwrap();
        let dated = handshake(Some("2026-11-30T12:00:00Z"));
        assert_eq!(dated.check(at + 300, 300), Ok(()));
        assert_eq!(dated.check(at + 301, 300), Err(Refused::Stale));
        assert_eq!(
            handshake(Some("yesterday")).check(at, 300),
            Err(Refused::Stale)
        );
        assert_eq!(handshake(None).check(at, 300), Ok(()));
    }

    #[test]
    fn a_handshake_without_a_practice_is_malformed() {
        let mut blank = handshake(None);
        blank.practice.id = " ".into();
        assert_eq!(blank.check(0, 300), Err(Refused::Malformed));
    }
}
