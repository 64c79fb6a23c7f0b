//! Codes arriving: from the browser's landing (kept for that browser session only, bound to
//! nothing), from staff (Hint's manual flow) and from Hint's headless install.

use sha2::{Digest, Sha256};

use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::connection::AuthCode;
use crate::domain::AppError;
use crate::server::audit::{self, Entry};
use crate::server::crypto::Purpose;
use crate::server::db::new_id;
use crate::server::state::AppState;

/// SHA-256, hex: how a code (or a session's landing key) is looked up without being stored.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// What became of a code that landed in a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Landing {
    /// Kept for this browser session: the connection's id.
    Kept(String),
    /// The code already landed in another browser (or its time ran out): this one gets nothing.
    Refused,
}

/// Inserts a pending connection for `code` unless one exists; returns its id and whether it is
/// new. `landing_key_hash` ties a new row to the browser session it landed in.
async fn insert_pending(
    state: &AppState,
    code: &AuthCode,
    landing_key_hash: Option<&str>,
    ip: Option<&str>,
) -> Result<(String, bool), AppError> {
    let hash = sha256_hex(code.expose());
    let id = new_id("con");
    let (sealed, key_id) = state.keys.encrypt(Purpose::AuthCode, &id, code.expose());
    // The row and its audit line in one commit.
    let mut tx = state.db.begin_write().await?;
    let inserted = sqlx::query(
        "INSERT INTO connections (id, status, code_hash, code_ciphertext, code_key_id, landing_key_hash, created_at, updated_at) \
         VALUES ($1, 'pending', $2, $3, $4, $5, $6, $6) ON CONFLICT (code_hash) DO NOTHING",
    )
    .bind(&id)
    .bind(&hash)
    .bind(sealed)
    .bind(&key_id)
    .bind(landing_key_hash)
    .bind(state.clock.now())
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 1 {
        let entry = Entry {
            connection_id: Some(&id),
            ip,
            ..Entry::new(ActorKind::Anonymous, AuditAction::CodeReceived, Outcome::Ok)
        };
        audit::record_in(&mut tx, entry).await?;
        tx.commit().await?;
        return Ok((id, true));
    }
    tx.commit().await?;
    let existing: String = sqlx::query_scalar("SELECT id FROM connections WHERE code_hash = $1")
        .bind(&hash)
        .fetch_one(state.db.pool())
        .await?;
    Ok((existing, false))
}

/// Records a code that staff or Hint's headless install brought (no browser session). The same
/// code twice finds the same row. Returns the connection's id.
pub async fn receive_code(
    state: &AppState,
    code: &AuthCode,
    ip: Option<&str>,
) -> Result<String, AppError> {
    Ok(insert_pending(state, code, None, ip).await?.0)
}

/// Keeps a code that landed in a browser, for the session holding `landing_key` only. The same
/// session landing it again finds its row; a row nobody's browser landed yet (Hint's headless
/// install exchanged it) is taken by the first session that lands it within the code's
/// lifetime; any other session is refused.
pub async fn land(
    state: &AppState,
    code: &AuthCode,
    landing_key: &str,
    ip: Option<&str>,
) -> Result<Landing, AppError> {
    let key_hash = sha256_hex(landing_key);
    let (id, new) = insert_pending(state, code, Some(&key_hash), ip).await?;
    if new {
        return Ok(Landing::Kept(id));
    }
    let lifetime = state.settings.connect.code_lifetime_minutes as i64 * 60;
    let taken = sqlx::query(
        "UPDATE connections SET landing_key_hash = $1, updated_at = $2 WHERE id = $3 \
         AND (landing_key_hash = $1 \
              OR (landing_key_hash IS NULL AND user_id IS NULL AND created_at >= $4))",
    )
    .bind(&key_hash)
    .bind(state.clock.now())
    .bind(&id)
    .bind(state.clock.now() - lifetime)
    .execute(state.db.pool())
    .await?;
    if taken.rows_affected() == 1 {
        return Ok(Landing::Kept(id));
    }
    let entry = Entry {
        connection_id: Some(&id),
        ip,
        detail: Some("landed_elsewhere_or_expired"),
        ..Entry::new(
            ActorKind::Anonymous,
            AuditAction::CodeReceived,
            Outcome::Denied,
        )
    };
    audit::record(&state.db, entry).await;
    Ok(Landing::Refused)
}

/// Opens connection `id`, which nobody owns, to the browser session holding the landing key
/// `landing_key` until `until` (an invitation from inside Hint was opened): that session may
/// then bind it on the confirmation page like a code it landed. False when someone owns it.
pub async fn open_claim(
    state: &AppState,
    id: &str,
    landing_key: &str,
    until: i64,
) -> Result<bool, AppError> {
    let opened = sqlx::query(
        "UPDATE connections SET landing_key_hash = $1, claimable_until = $2, updated_at = $3 \
         WHERE id = $4 AND user_id IS NULL AND merged_into IS NULL",
    )
    .bind(sha256_hex(landing_key))
    .bind(until)
    .bind(state.clock.now())
    .bind(id)
    .execute(state.db.pool())
    .await?;
    Ok(opened.rows_affected() == 1)
}

/// Forgets codes that landed more than `lifetime_seconds` ago and that nobody claimed: those
/// never exchanged, and those Hint refused (a preview of an unknown or spent code). Hint no
/// longer takes them, and keeping them would let strangers fill the table; their audit lines
/// stay.
pub async fn forget_expired_codes(
    state: &AppState,
    lifetime_seconds: u64,
) -> Result<u64, AppError> {
    let done = sqlx::query(
        "DELETE FROM connections WHERE status IN ('pending', 'failed') AND user_id IS NULL \
         AND practice_id IS NULL AND created_at < $1",
    )
    .bind(state.clock.now() - lifetime_seconds as i64)
    .execute(state.db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// Forgets a connection whose code Hint refused before any browser or account touched it (a
/// headless call with an unknown or spent code): strangers' guesses leave no rows.
pub async fn forget_refused(state: &AppState, id: &str) -> Result<(), AppError> {
    sqlx::query(
        "DELETE FROM connections WHERE id = $1 AND status = 'failed' AND user_id IS NULL \
         AND landing_key_hash IS NULL AND practice_id IS NULL",
    )
    .bind(id)
    .execute(state.db.pool())
    .await?;
    Ok(())
}
