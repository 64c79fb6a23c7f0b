//! Provider accounts: the `users` table and its only writer.

use super::db::{new_id, now, Db};
use super::passwords::Hasher;
use crate::domain::account::{CurrentUser, Email, NewPassword, PersonName};
use crate::domain::AppError;

/// A provider as stored, with the password hash a login checks.
#[derive(sqlx::FromRow)]
pub struct Credentials {
    id: String,
    name: String,
    email: String,
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
        }
    }
}

/// Creates an account. A taken email gets a message that points to logging in.
pub async fn sign_up(
    db: &Db,
    passwords: &Hasher,
    name: &PersonName,
    email: &Email,
    password: &NewPassword,
) -> Result<CurrentUser, AppError> {
    let hash = passwords.hash(password.expose().to_owned()).await?;
    let id = new_id("usr");
    let at = now();
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
        return Err(AppError::invalid(
            "That email already has an account. Log in instead.",
        ));
    }
    Ok(CurrentUser {
        id,
        name: name.as_str().to_owned(),
        email: email.as_str().to_owned(),
    })
}

/// The account with this email and its password hash, for a login to check.
pub async fn credentials(db: &Db, email: &Email) -> Result<Option<Credentials>, AppError> {
    Ok(
        sqlx::query_as("SELECT id, name, email, password_hash FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(db.pool())
            .await?,
    )
}

/// The account with this id.
pub async fn find(db: &Db, id: &str) -> Result<Option<CurrentUser>, AppError> {
    Ok(sqlx::query_as::<_, (String, String, String)>(
        "SELECT id, name, email FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .map(|(id, name, email)| CurrentUser { id, name, email }))
}

/// A made-up provider for `seed` (no usable password).
pub struct SeedUser {
    pub id: String,
    pub email: String,
    pub name: String,
    pub created_at: i64,
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
