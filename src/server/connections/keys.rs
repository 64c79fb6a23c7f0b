//! The stored practice key: decrypting it for a call to Hint, proving it works (the one
//! `verify_key`, used by the exchange, staff and the key health job), and `keys rotate`, which
//! re-encrypts every stored secret (practice keys and pending codes) under the active encryption
//! key so an old key can then be removed from `ENCRYPTION_KEYS`.

use secrecy::SecretString;

use super::{set_status, StatusChange, Target};
use crate::domain::connection::ConnectionStatus;
use crate::domain::AppError;
use crate::server::crypto::{CryptoError, Keyring, Purpose};
use crate::server::db::Db;
use crate::server::hint::HintError;
use crate::server::state::AppState;

/// The stored practice key of a connection, decrypted. Never log or return it to a browser.
pub async fn practice_key(state: &AppState, id: &str) -> Result<SecretString, AppError> {
    let (sealed, key_id): (Option<Vec<u8>>, Option<String>) =
        sqlx::query_as("SELECT api_key_ciphertext, api_key_key_id FROM connections WHERE id = $1")
            .bind(id)
            .fetch_optional(state.db.pool())
            .await?
            .ok_or(AppError::NotFound)?;
    let (Some(sealed), Some(key_id)) = (sealed, key_id) else {
        return Err(AppError::NotFound);
    };
    state
        .keys
        .decrypt(Purpose::PracticeKey, id, &key_id, &sealed)
        .map_err(|error| {
            tracing::error!(%error, connection_id = %id, "could not decrypt a practice key");
            AppError::Internal
        })
}

/// What Hint said of a stored key.
#[derive(Debug)]
pub enum Verdict {
    /// Hint answered for the practice with it.
    Works {
        /// The practice's name as Hint has it now.
        practice_name: String,
    },
    /// Hint refused it (401): the practice must connect again.
    Refused,
    /// No verdict this time (Hint unavailable, rate limiting, no answer); nothing was recorded.
    Unknown(HintError),
}

/// Calls Hint's practice endpoint with the stored key and records the verdict: when it works,
/// the time and the practice's current name; when Hint refuses it, the connection becomes
/// `needs_reconnect` (the key is dead, whatever the row said before). The caller audits its own reason for asking.
pub async fn verify_key(state: &AppState, id: &str) -> Result<Verdict, AppError> {
    let key = practice_key(state, id).await?;
    match state.hint.practice_profile(&key).await {
        Ok(profile) => {
            sqlx::query(
                "UPDATE connections SET last_verified_at = $1, practice_name = $2 WHERE id = $3",
            )
            .bind(state.clock.now())
            .bind(&profile.name)
            .bind(id)
            .execute(state.db.pool())
            .await?;
            Ok(Verdict::Works {
                practice_name: profile.name,
            })
        }
        Err(HintError::Unauthorized { status: 401, .. }) => {
            let change = StatusChange::to(ConnectionStatus::NeedsReconnect);
            let mut tx = state.db.begin_write().await?;
            set_status(&mut tx, state.clock.now(), Target::Id(id), change).await?;
            tx.commit().await?;
            let what = crate::server::mail::templates::Attention::KeyRejected;
            if let Err(error) =
                crate::server::notifications::connection_needs_attention(state, id, what).await
            {
                tracing::warn!(%error, connection_id = %id, "could not queue the provider's notice");
            }
            Ok(Verdict::Refused)
        }
        Err(error) => {
            tracing::warn!(%error, connection_id = %id, "no verdict on a practice key this time");
            Ok(Verdict::Unknown(error))
        }
    }
}

/// What a rotation did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rotated {
    pub practice_keys: usize,
    pub codes: usize,
    pub staff_factors: usize,
    pub mails: usize,
    pub event_secrets: usize,
}

/// Why a rotation stopped.
#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("row {id}: {source}")]
    Crypto { id: String, source: CryptoError },
}

/// Re-encrypts, row by row, every secret not yet under the active key.
pub async fn rotate(db: &Db, keys: &Keyring) -> Result<Rotated, RotationError> {
    let mut done = Rotated::default();
    for (purpose, table, id_column, data, key_id) in [
        (
            Purpose::PracticeKey,
            "connections",
            "id",
            "api_key_ciphertext",
            "api_key_key_id",
        ),
        (
            Purpose::AuthCode,
            "connections",
            "id",
            "code_ciphertext",
            "code_key_id",
        ),
        (
            Purpose::StaffFactor,
            "staff_factors",
            "staff_id",
            "secret_ciphertext",
            "secret_key_id",
        ),
        (
            Purpose::Mail,
            "mail_outbox",
            "id",
            "body_ciphertext",
            "body_key_id",
        ),
        (
            Purpose::EventSecret,
            "event_endpoints",
            "id",
            "secret_ciphertext",
            "secret_key_id",
        ),
        (
            Purpose::EventSecret,
            "event_endpoints",
            "id",
            "previous_secret_ciphertext",
            "previous_secret_key_id",
        ),
    ] {
        let rows: Vec<(String, Vec<u8>, String)> = sqlx::query_as(&format!(
            "SELECT {id_column}, {data}, {key_id} FROM {table} WHERE {data} IS NOT NULL AND {key_id} <> $1"
        ))
        .bind(keys.active_id())
        .fetch_all(db.pool())
        .await?;
        for (id, sealed, old_key) in rows {
            let secret = keys
                .decrypt(purpose, &id, &old_key, &sealed)
                .map_err(|source| RotationError::Crypto {
                    id: id.clone(),
                    source,
                })?;
            let (resealed, new_key) =
                keys.encrypt(purpose, &id, secrecy::ExposeSecret::expose_secret(&secret));
            // Only if nobody changed the row meanwhile.
            let updated = sqlx::query(&format!(
                "UPDATE {table} SET {data} = $1, {key_id} = $2 WHERE {id_column} = $3 AND {key_id} = $4"
            ))
            .bind(resealed)
            .bind(&new_key)
            .bind(&id)
            .bind(&old_key)
            .execute(db.pool())
            .await?;
            if updated.rows_affected() == 1 {
                match purpose {
                    Purpose::PracticeKey => done.practice_keys += 1,
                    Purpose::AuthCode => done.codes += 1,
                    Purpose::StaffFactor => done.staff_factors += 1,
                    Purpose::Mail => done.mails += 1,
                    Purpose::EventSecret => done.event_secrets += 1,
                    Purpose::Unsubscribe => {}
                }
            }
        }
    }
    Ok(done)
}
