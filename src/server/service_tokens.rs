//! The `service_tokens` table: the bearer tokens the partner's own product calls the service
//! API (`/v1`) with. A token is `pcs_` and 256 random bits, shown once; only its SHA-256 is
//! kept (a fast hash is enough for a random secret of that size, and a lookup by hash answers in
//! one indexed read). Creating and revoking are audited with the token's name.

use secrecy::SecretString;
use sha2::{Digest, Sha256};

use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::partner::{Scope, ServiceTokenView, TOKEN_PREFIX};
use crate::server::audit::{self, Entry, Operator};
use crate::server::db::{new_id, Db};

/// How often a token's `last_used_at` is written (at most once a minute per token, so a busy
/// caller does not write on every request).
const LAST_USED_EVERY_SECONDS: i64 = 60;

/// Why a token could not be made or revoked.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("a token's name is 1 to 64 letters, digits, dots, dashes or underscores")]
    BadName,
    #[error("{0}")]
    BadScopes(String),
    #[error("a live token is already called {0}")]
    Exists(String),
    #[error("no live token is called {0}")]
    Unknown(String),
    #[error("database: {0}")]
    Db(String),
}

impl From<sqlx::Error> for TokenError {
    fn from(error: sqlx::Error) -> Self {
        Self::Db(error.to_string())
    }
}

/// Why a presented token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a token we issued (or not a token at all).
    Unknown,
    /// Issued, and revoked since.
    Revoked,
}

/// The caller a token stands for.
#[derive(Debug, Clone)]
pub struct ServiceCaller {
    pub id: String,
    pub name: String,
    pub scopes: Vec<Scope>,
}

impl ServiceCaller {
    /// Whether the token carries `scope`.
    pub fn may(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// An audit line of `action` by this token (the detail names it).
    pub fn entry(&self, action: AuditAction) -> Entry<'_> {
        Entry {
            actor_id: Some(&self.id),
            detail: Some(&self.name),
            ..Entry::new(ActorKind::Service, action, Outcome::Ok)
        }
    }
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Makes a token called `name` with `scopes`; answers the token (the only time it exists
/// outside the caller's hands).
pub async fn create(
    db: &Db,
    name: &str,
    scopes: &[Scope],
    by: Operator<'_>,
) -> Result<SecretString, TokenError> {
    use base64::Engine as _;
    use rand::RngCore;

    let name = name.trim();
    if !valid_name(name) {
        return Err(TokenError::BadName);
    }
    if scopes.is_empty() {
        return Err(TokenError::BadScopes(
            "a token needs at least one scope".into(),
        ));
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let inserted = sqlx::query(
        "INSERT INTO service_tokens (id, name, scopes, token_hash, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id("tok"))
    .bind(name)
    .bind(Scope::join(scopes))
    .bind(hash(&token))
    .bind(db.now())
    .bind(by.stored())
    .execute(db.pool())
    .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            return Err(TokenError::Exists(name.to_owned()))
        }
        Err(error) => return Err(error.into()),
    }
    audit::record(db, by.entry(AuditAction::ServiceTokenCreated, name)).await;
    Ok(token.into())
}

/// The live tokens, oldest first.
pub async fn list(db: &Db) -> Result<Vec<ServiceTokenView>, TokenError> {
    let rows: Vec<(String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT name, scopes, created_at, last_used_at FROM service_tokens \
         WHERE revoked_at IS NULL ORDER BY created_at, name",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(name, scopes, created_at, last_used_at)| ServiceTokenView {
                name,
                scopes: Scope::parse_list(&scopes).unwrap_or_default(),
                created_at,
                last_used_at,
            },
        )
        .collect())
}

/// Revokes the live token called `name`: its next call answers 401.
pub async fn revoke(db: &Db, name: &str, by: Operator<'_>) -> Result<(), TokenError> {
    let name = name.trim();
    let revoked = sqlx::query(
        "UPDATE service_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
    )
    .bind(db.now())
    .bind(name)
    .execute(db.pool())
    .await?;
    if revoked.rows_affected() == 0 {
        return Err(TokenError::Unknown(name.to_owned()));
    }
    audit::record(db, by.entry(AuditAction::ServiceTokenRevoked, name)).await;
    Ok(())
}

/// The caller `presented` stands for, or why it is refused. Notes the use (once a minute).
pub async fn authenticate(db: &Db, presented: &str) -> Result<ServiceCaller, Refusal> {
    if !presented.starts_with(TOKEN_PREFIX) || presented.len() > 128 {
        return Err(Refusal::Unknown);
    }
    type Row = (String, String, String, Option<i64>, Option<i64>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, name, scopes, last_used_at, revoked_at FROM service_tokens WHERE token_hash = $1",
    )
    .bind(hash(presented))
    .fetch_optional(db.pool())
    .await
    .map_err(|error| {
        tracing::error!(%error, "could not look up a service token");
        Refusal::Unknown
    })?;
    let Some((id, name, scopes, last_used_at, revoked_at)) = row else {
        return Err(Refusal::Unknown);
    };
    if revoked_at.is_some() {
        return Err(Refusal::Revoked);
    }
    let now = db.now();
    if last_used_at.is_none_or(|at| now - at >= LAST_USED_EVERY_SECONDS) {
        let noted = sqlx::query("UPDATE service_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&id)
            .execute(db.pool())
            .await;
        if let Err(error) = noted {
            tracing::warn!(%error, "could not note a service token's use");
        }
    }
    Ok(ServiceCaller {
        id,
        name,
        scopes: Scope::parse_list(&scopes).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_and_plain() {
        assert!(valid_name("billing-sync.prod_2"));
        assert!(!valid_name(""));
        assert!(!valid_name("has space"));
        assert!(!valid_name(&"x".repeat(65)));
        assert!(!valid_name("naïve"));
    }
}
