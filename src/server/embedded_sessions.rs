//! Sessions for Hint's embedded surfaces: minted by a signed `POST /hint/handshake`, named by a
//! session key Hint puts in the surface's URL. This module is the `hint_sessions` table's only
//! writer.
//!
//! - The key is 256 random bits; only its SHA-256 is stored, so a leaked table opens nothing.
//! - A session is bound to the practice (and Hint user) its handshake named; every read and write
//!   of a surface is scoped to that practice (Hint's tenancy rule).
//! - A key works for `KEY_LIFETIME_SECONDS`, and the row goes when it stops working.
//! - A dated handshake (Hint signs a `timestamp`; our earlier reading said `issued_at`, still
//!   read) must be within `HANDSHAKE_MAX_AGE_SECONDS` of now, and its MAC is kept with the row,
//!   so the same one sent again is refused; the row outlives the window. An undated handshake
//!   (Hint's own audit signs a fixed body without a time, and re-runs it) is accepted each time:
//!   it is bound to the same practice and user, and proves only what the signature proves.

use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::db::Db;
use super::state::AppState;
use crate::domain::embedded::{surface_access, SurfaceAccess};
use crate::domain::AppError;

/// How long a session key opens the surface (longer than any handshake window, so a dated
/// handshake's MAC is remembered for as long as it could be replayed).
pub const KEY_LIFETIME_SECONDS: i64 = 30 * 60;

/// The signed handshake, as Hint sends it: who opened the surface and for which practice.
#[derive(Debug, Clone, Deserialize)]
pub struct Handshake {
    pub user: HintUser,
    pub practice: HintPractice,
    /// Present when the practice has installed us.
    #[serde(default)]
    pub integration: Option<HintIntegration>,
    /// When Hint signed it (ISO 8601). When present it must fall within the handshake window.
    #[serde(default, alias = "issued_at")]
    pub timestamp: Option<String>,
    /// Who is at the keyboard: `practice` (or absent) for the practice's own user,
    /// `platform_support` for Hint's staff (see `domain::embedded::surface_access`).
    #[serde(default)]
    pub access_context: Option<String>,
}

/// The Hint user at the keyboard.
#[derive(Debug, Clone, Deserialize)]
pub struct HintUser {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// This app's roles for the user, as Hint's app configuration maps them (absent in Hint's
    /// published contract; see `domain::embedded::surface_access`).
    #[serde(default)]
    pub partner_roles: Option<Vec<String>>,
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
    /// What the session may do, decided at the handshake.
    #[sqlx(try_from = "String")]
    pub access: SurfaceAccess,
    /// 1 for a Hint support session (Hint's own staff).
    pub support: i64,
    /// The integration the handshake named, if any.
    pub integration_id: Option<String>,
}

impl HintSession {
    /// Hint's own staff, looking at the practice on its behalf.
    pub fn is_support(&self) -> bool {
        self.support != 0
    }

    /// Whether the session may change the practice's preferences.
    pub fn can_edit(&self) -> bool {
        self.access == SurfaceAccess::Edit && !self.is_support()
    }
}

/// Why a handshake was refused (the answer is 401 either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The same signed handshake came before.
    Replayed,
    /// Its `timestamp` is outside the handshake window, or unreadable.
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
        match self.timestamp.as_deref() {
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
    if let Err(refused) = handshake.check(now, state.settings.hint.handshake_max_age_seconds) {
        return Ok(Err(refused));
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let key = hex::encode(bytes);
    let (access, support) = surface_access(
        handshake.user.partner_roles.as_deref(),
        handshake.access_context.as_deref(),
    );
    let inserted = sqlx::query(
        "INSERT INTO hint_sessions (id, signature_hash, practice_id, user_id, user_name, created_at, \
         expires_at, access, support, integration_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (signature_hash) DO NOTHING",
    )
    .bind(sha256_hex(&key))
    .bind(replay_key(handshake, mac))
    .bind(handshake.practice.id.trim())
    .bind(handshake.user.id.trim())
    .bind(handshake.user.name.as_deref())
    .bind(now)
    .bind(now + KEY_LIFETIME_SECONDS)
    .bind(access.as_str())
    .bind(i64::from(support))
    .bind(handshake.integration.as_ref().map(|i| i.id.trim()))
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
        "SELECT practice_id, user_id, user_name, access, support, integration_id FROM hint_sessions \
         WHERE id = $1 AND expires_at > $2",
    )
    .bind(sha256_hex(key))
    .bind(state.clock.now())
    .fetch_optional(state.db.pool())
    .await?)
}

/// What a handshake's row is unique on: a dated handshake's MAC (so it works once), or for an
/// undated one a fresh random value (it may come again).
fn replay_key(handshake: &Handshake, mac: &[u8]) -> String {
    if handshake.timestamp.is_some() {
        hex::encode(Sha256::digest(mac))
    } else {
        let mut nonce = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut nonce);
        format!("undated:{}", hex::encode(nonce))
    }
}

/// Forgets sessions whose key stopped working (housekeeping). A dated handshake's MAC goes with
/// its row, after its window has passed.
pub async fn forget_old(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM hint_sessions WHERE expires_at < $1")
        .bind(now)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handshake(timestamp: Option<&str>) -> Handshake {
        serde_json::from_value(serde_json::json!({
            "user": { "id": "usr-1", "name": "Pat Admin" },
            "practice": { "id": "pra-1" },
            "timestamp": timestamp,
        }))
        .unwrap()
    }

    #[test]
    fn hints_timestamp_and_our_earlier_issued_at_are_read_alike() {
        let old: Handshake = serde_json::from_value(serde_json::json!({
            "user": { "id": "usr-1" },
            "practice": { "id": "pra-1" },
            "issued_at": "2026-11-30T12:00:00Z",
        }))
        .unwrap();
        assert_eq!(old.timestamp.as_deref(), Some("2026-11-30T12:00:00Z"));
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
