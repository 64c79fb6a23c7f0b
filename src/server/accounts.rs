//! Provider accounts: sign up and log in.

use sqlx::Row;

use super::auth::passwords;
use super::db::{new_id, now, Db};
use crate::domain::account::{CurrentUser, Email, NewPassword, PersonName};
use crate::domain::AppError;

/// Creates an account. A taken email gets a message that points to logging in.
pub async fn sign_up(
    db: &Db,
    name: &PersonName,
    email: &Email,
    password: &NewPassword,
) -> Result<CurrentUser, AppError> {
    let hash = passwords::hash(password.expose().to_owned())
        .await
        .map_err(|error| {
            tracing::error!(%error, "password hashing failed");
            AppError::Internal
        })?;
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

/// Checks an email and password. One message for both mistakes, so nobody learns which emails
/// have accounts from this form.
pub async fn log_in(db: &Db, email: &str, password: &str) -> Result<CurrentUser, AppError> {
    let wrong = || {
        AppError::invalid(
            "That email and password do not match an account. Check both and try again.",
        )
    };
    let query = "SELECT id, name, email, password_hash FROM users WHERE email = $1";
    let row = super::auth::row_matching_password(db, query, email, password)
        .await?
        .ok_or_else(wrong)?;
    Ok(CurrentUser {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
    })
}
