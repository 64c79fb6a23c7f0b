//! `practice-connect keys rotate`: re-encrypts every stored secret (practice keys and pending
//! codes) under the active encryption key, so an old key can then be removed from
//! `ENCRYPTION_KEYS`.

use sqlx::Row;

use super::crypto::{CryptoError, Keyring, Purpose};
use super::db::Db;

/// What a rotation did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rotated {
    pub practice_keys: usize,
    pub codes: usize,
}

/// Why a rotation stopped.
#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("connection {id}: {source}")]
    Crypto { id: String, source: CryptoError },
}

/// Re-encrypts, row by row, every secret not yet under the active key.
pub async fn rotate(db: &Db, keys: &Keyring) -> Result<Rotated, RotationError> {
    let mut done = Rotated::default();
    for (purpose, data, key_id) in [
        (Purpose::PracticeKey, "api_key_ciphertext", "api_key_key_id"),
        (Purpose::AuthCode, "code_ciphertext", "code_key_id"),
    ] {
        let rows = sqlx::query(&format!(
            "SELECT id, {data} AS sealed, {key_id} AS key_id FROM connections WHERE {data} IS NOT NULL AND {key_id} <> $1"
        ))
        .bind(keys.active_id())
        .fetch_all(db.pool())
        .await?;
        for row in rows {
            let id: String = row.try_get("id")?;
            let sealed: Vec<u8> = row.try_get("sealed")?;
            let old_key: String = row.try_get("key_id")?;
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
                "UPDATE connections SET {data} = $1, {key_id} = $2 WHERE id = $3 AND {key_id} = $4"
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
                }
            }
        }
    }
    Ok(done)
}
