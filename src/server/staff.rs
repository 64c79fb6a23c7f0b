//! Partner staff: accounts made from the command line, logged in at `/admin/login`.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::auth::passwords;
use super::db::{new_id, now, Db};
use crate::domain::account::{Email, NewPassword, PersonName};
use crate::domain::admin::{StaffMember, StaffRole};
use crate::domain::AppError;

/// A staff account as `staff list` shows it.
#[derive(Debug, Clone)]
pub struct StaffRecord {
    pub member: StaffMember,
    pub disabled: bool,
}

fn read(row: &AnyRow) -> Result<StaffRecord, sqlx::Error> {
    let role: String = row.try_get("role")?;
    let disabled_at: Option<i64> = row.try_get("disabled_at")?;
    Ok(StaffRecord {
        member: StaffMember {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            name: row.try_get("name")?,
            role: StaffRole::parse(&role).unwrap_or(StaffRole::Support),
        },
        disabled: disabled_at.is_some(),
    })
}

/// Adds a staff member; the email must be new.
pub async fn add(
    db: &Db,
    email: &Email,
    name: &PersonName,
    role: StaffRole,
    password: &NewPassword,
) -> Result<StaffMember, AppError> {
    let hash = passwords::hash(password.expose().to_owned())
        .await
        .map_err(|_| AppError::Internal)?;
    let id = new_id("stf");
    let inserted = sqlx::query(
        "INSERT INTO staff (id, email, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (email) DO NOTHING",
    )
    .bind(&id)
    .bind(email.as_str())
    .bind(name.as_str())
    .bind(role.as_str())
    .bind(&hash)
    .bind(now())
    .execute(db.pool())
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::invalid(
            "A staff member with that email exists already.",
        ));
    }
    Ok(StaffMember {
        id,
        email: email.as_str().to_owned(),
        name: name.as_str().to_owned(),
        role,
    })
}

/// Every staff account, by email.
pub async fn list(db: &Db) -> Result<Vec<StaffRecord>, AppError> {
    let rows = sqlx::query("SELECT id, email, name, role, disabled_at FROM staff ORDER BY email")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| read(row).map_err(AppError::from))
        .collect()
}

/// Disables a staff account; their sessions stop working at once. False when no such email.
pub async fn disable(db: &Db, email: &Email) -> Result<bool, AppError> {
    let done =
        sqlx::query("UPDATE staff SET disabled_at = $1 WHERE email = $2 AND disabled_at IS NULL")
            .bind(now())
            .bind(email.as_str())
            .execute(db.pool())
            .await?;
    Ok(done.rows_affected() == 1)
}

/// An enabled staff member by id.
pub async fn find_enabled(db: &Db, id: &str) -> Result<Option<StaffMember>, AppError> {
    let row = sqlx::query("SELECT id, email, name, role, disabled_at FROM staff WHERE id = $1 AND disabled_at IS NULL")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row
        .map(|row| read(&row))
        .transpose()?
        .map(|record| record.member))
}

/// Checks a staff login; disabled accounts and wrong passwords get the same answer.
pub async fn log_in(db: &Db, email: &str, password: &str) -> Result<StaffMember, AppError> {
    let wrong = || AppError::invalid("That email and password do not match a staff account.");
    let query =
        "SELECT id, email, name, role, disabled_at, password_hash FROM staff WHERE email = $1";
    let row = super::auth::row_matching_password(db, query, email, password)
        .await?
        .ok_or_else(wrong)?;
    let record = read(&row)?;
    if record.disabled {
        return Err(wrong());
    }
    Ok(record.member)
}
