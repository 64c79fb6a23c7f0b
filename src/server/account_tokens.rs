//! One-time links: email verification, password reset, change of email, staff invitations and
//! staff password links. This module is the only writer of `account_tokens`.
//!
//! A token is 256 random bits, sent only in the email; the table keeps its SHA-256, so a leaked
//! table opens nothing. A token works once (`used_at` is set by the one conditional `UPDATE` that
//! redeems it) and until `expires_at`. Issuing a new token of a purpose retires the owner's
//! older unused ones, so only the newest link in an inbox works.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::db::Db;

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
    ChangeEmail,
    StaffInvite,
    StaffPassword,
    /// An invitation, from inside Hint, to claim a connection nobody owns.
    ClaimConnection,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
            Self::ChangeEmail => "change_email",
            Self::StaffInvite => "staff_invite",
            Self::StaffPassword => "staff_password",
            Self::ClaimConnection => "claim_connection",
        }
    }

    fn owner_column(self) -> &'static str {
        match self {
            Self::StaffInvite | Self::StaffPassword => "staff_id",
            Self::ClaimConnection => "connection_id",
            _ => "user_id",
        }
    }
}

/// Whose token it is and where it was sent, once redeemed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redeemed {
    /// The provider's or staff member's id.
    pub owner_id: String,
    /// The address the link went to.
    pub email: String,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `token` looks like one of ours (43 base64url characters); anything else is refused
/// before the database is asked.
fn well_formed(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Makes a token for `owner_id`, sent to `email`, working for `lifetime_seconds` from `now`;
/// returns the token for the link. The owner's older unused tokens of this purpose stop working.
pub async fn issue(
    db: &Db,
    purpose: TokenPurpose,
    owner_id: &str,
    email: &str,
    now: i64,
    lifetime_seconds: i64,
) -> Result<String, sqlx::Error> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let owner = purpose.owner_column();
    let mut tx = db.begin_write().await?;
    sqlx::query(&format!(
        "UPDATE account_tokens SET used_at = $1 WHERE {owner} = $2 AND purpose = $3 AND used_at IS NULL"
    ))
    .bind(now)
    .bind(owner_id)
    .bind(purpose.as_str())
    .execute(&mut *tx)
    .await?;
    sqlx::query(&format!(
        "INSERT INTO account_tokens (token_hash, purpose, {owner}, email, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)"
    ))
    .bind(hash(&token))
    .bind(purpose.as_str())
    .bind(owner_id)
    .bind(email)
    .bind(now)
    .bind(now + lifetime_seconds)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// Retires every unused link of provider `user_id`, whatever it is for (after the password
/// changes: a change-of-email link asked for by someone who knew the old password dies with it).
/// Returns how many were live.
pub async fn retire_all_of_user(db: &Db, user_id: &str, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE account_tokens SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(user_id)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// Uses `token` up, if it is a live token of `purpose`: the first caller gets its owner, every
/// later one (and a wrong, expired or malformed token) gets `None`.
pub async fn redeem(
    db: &Db,
    purpose: TokenPurpose,
    token: &str,
    now: i64,
) -> Result<Option<Redeemed>, sqlx::Error> {
    if !well_formed(token) {
        return Ok(None);
    }
    let owner = purpose.owner_column();
    let row: Option<(String, String)> = sqlx::query_as(&format!(
        "UPDATE account_tokens SET used_at = $1 \
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
         RETURNING {owner}, email"
    ))
    .bind(now)
    .bind(hash(token))
    .bind(purpose.as_str())
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|(owner_id, email)| Redeemed { owner_id, email }))
}

/// Whether `token` is a live token of `purpose`, without using it (to show its form or not).
pub async fn is_live(
    db: &Db,
    purpose: TokenPurpose,
    token: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    if !well_formed(token) {
        return Ok(false);
    }
    let found: Option<(String,)> = sqlx::query_as(
        "SELECT purpose FROM account_tokens \
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(hash(token))
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    Ok(found.is_some())
}

/// Forgets tokens that expired before `before`.
pub async fn forget_expired(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM account_tokens WHERE expires_at < $1")
        .bind(before)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_shape_of_token_is_looked_up() {
        assert!(well_formed(&URL_SAFE_NO_PAD.encode([7u8; 32])));
        assert!(!well_formed("short"));
        assert!(!well_formed(&"a".repeat(44)));
        assert!(!well_formed(&format!("{}'", "a".repeat(42))));
    }
}
