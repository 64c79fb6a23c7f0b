//! Provider accounts: the `users` table and its only writer.

use crate::domain::account::{CurrentUser, Email, NewPassword, PersonName};
use crate::domain::AppError;
use crate::server::db::{new_id, Db};
use crate::server::passwords::Hasher;

/// A provider as stored, with the password hash a login checks.
#[derive(sqlx::FromRow)]
pub struct Credentials {
    id: String,
    name: String,
    email: String,
    email_verified_at: Option<i64>,
    /// The Argon2id PHC string.
    pub password_hash: String,
}

impl Credentials {
    /// The account, without its hash.
    pub fn user(self) -> CurrentUser {
        CurrentUser {
            id: self.id,
            name: self.name,
            email: self.email,
            email_verified: self.email_verified_at.is_some(),
        }
    }
}

/// What a sign-up did: the caller answers both alike, so nobody learns which emails have
/// accounts from the sign-up form.
pub enum SignedUp {
    /// A new, unverified account.
    Created(CurrentUser),
    /// The email already has an account (its owner is told by email).
    Taken(CurrentUser),
}

/// Creates an account with an unverified email, or finds the one that has it. The password is
/// hashed either way, so both take the same time.
pub async fn sign_up(
    db: &Db,
    passwords: &Hasher,
    name: &PersonName,
    email: &Email,
    password: &NewPassword,
) -> Result<SignedUp, AppError> {
    let hash = passwords.hash(password.expose().to_owned()).await?;
    let id = new_id("usr");
    let at = db.now();
    let inserted = sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (email) DO NOTHING",
    )
    .bind(&id)
    .bind(email.as_str())
    .bind(name.as_str())
    .bind(&hash)
    .bind(at)
    .execute(db.pool())
    .await?;
    if inserted.rows_affected() == 0 {
        let owner = by_email(db, email).await?.ok_or(AppError::Internal)?;
        return Ok(SignedUp::Taken(owner));
    }
    Ok(SignedUp::Created(CurrentUser {
        id,
        name: name.as_str().to_owned(),
        email: email.as_str().to_owned(),
        email_verified: false,
    }))
}

/// The account with this email and its password hash, for a login to check.
pub async fn credentials(db: &Db, email: &Email) -> Result<Option<Credentials>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, name, email, email_verified_at, password_hash FROM users WHERE email = $1",
    )
    .bind(email.as_str())
    .fetch_optional(db.pool())
    .await?)
}

/// The password hash of the account with this id.
pub async fn password_hash(db: &Db, id: &str) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?,
    )
}

/// The account with this id.
pub async fn find(db: &Db, id: &str) -> Result<Option<CurrentUser>, AppError> {
    Ok(sqlx::query_as::<_, (String, String, String, Option<i64>)>(
        "SELECT id, name, email, email_verified_at FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .map(|(id, name, email, verified)| CurrentUser {
        id,
        name,
        email,
        email_verified: verified.is_some(),
    }))
}

/// The account with this email.
pub async fn by_email(db: &Db, email: &Email) -> Result<Option<CurrentUser>, AppError> {
    Ok(credentials(db, email).await?.map(Credentials::user))
}

/// Marks `email` verified for account `id`, if it is still the account's email (a link sent
/// to an address the account has since left proves nothing). Returns whether it did.
pub async fn mark_verified(db: &Db, id: &str, email: &str, at: i64) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1), updated_at = $1 \
         WHERE id = $2 AND email = $3",
    )
    .bind(at)
    .bind(id)
    .bind(email)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the password hash of account `id`.
pub async fn set_password_hash(db: &Db, id: &str, hash: &str, at: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(at)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Makes `email` (just proven by a link sent there) the account's email. `false` if another
/// account took that email meanwhile.
pub async fn set_verified_email(db: &Db, id: &str, email: &str, at: i64) -> Result<bool, AppError> {
    let taken: Option<(String,)> = sqlx::query_as("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(db.pool())
        .await?;
    if taken.is_some_and(|(owner,)| owner != id) {
        return Ok(false);
    }
    let done = sqlx::query(
        "UPDATE users SET email = $1, email_verified_at = $2, updated_at = $2 WHERE id = $3",
    )
    .bind(email)
    .bind(at)
    .bind(id)
    .execute(db.pool())
    .await;
    match done {
        Ok(done) => Ok(done.rows_affected() == 1),
        // The unique index: taken between the look and the write.
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// A made-up provider for `seed` (no usable password).
pub struct SeedUser {
    pub id: String,
    pub email: String,
    pub name: String,
    pub created_at: i64,
}

/// Claims provider `id`'s weekly summary for sending at `now`, if it is due (none since
/// `due_before`): one conditional `UPDATE`, so one instance sends each summary.
pub async fn claim_summary(db: &Db, id: &str, now: i64, due_before: i64) -> Result<bool, AppError> {
    let claimed = sqlx::query(
        "UPDATE users SET summary_sent_at = $1 WHERE id = $2 \
         AND COALESCE(summary_sent_at, created_at) <= $3",
    )
    .bind(now)
    .bind(id)
    .bind(due_before)
    .execute(db.pool())
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Adds made-up providers in one statement (for `seed`; their password hash matches nothing).
pub async fn insert_seeded<'e, E>(executor: E, users: &[SeedUser]) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    if users.is_empty() {
        return Ok(());
    }
    let placeholders: Vec<String> = (0..users.len())
        .map(|i| {
            let n = i * 4;
            format!(
                "(${}, ${}, ${}, '!', ${}, ${})",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 4
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES {}",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for user in users {
        query = query
            .bind(&user.id)
            .bind(&user.email)
            .bind(&user.name)
            .bind(user.created_at);
    }
    query.execute(executor).await?;
    Ok(())
}
