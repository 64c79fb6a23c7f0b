//! Partner staff: the `staff` table and its only writer. Accounts are made from the command
//! line; they log in at `/admin/login` through `auth::login`.

use super::db::{new_id, now, Db};
use super::passwords::Hasher;
use super::{audit, auth};
use crate::domain::account::{Email, NewPassword, PersonName};
use crate::domain::admin::{StaffMember, StaffRole};
use crate::domain::AppError;

/// A staff account as `staff list` shows it.
#[derive(Debug, Clone)]
pub struct StaffRecord {
    pub member: StaffMember,
    pub disabled: bool,
}

/// A staff account as stored.
#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    email: String,
    name: String,
    #[sqlx(try_from = "String")]
    role: StaffRole,
    disabled_at: Option<i64>,
}

impl From<Row> for StaffRecord {
    fn from(row: Row) -> Self {
        Self {
            member: StaffMember {
                id: row.id,
                email: row.email,
                name: row.name,
                role: row.role,
            },
            disabled: row.disabled_at.is_some(),
        }
    }
}

/// A staff account with the password hash a login checks.
#[derive(sqlx::FromRow)]
pub struct Credentials {
    #[sqlx(flatten)]
    row: Row,
    /// The Argon2id PHC string.
    pub password_hash: String,
}

impl Credentials {
    /// The account, without its hash.
    pub fn record(self) -> StaffRecord {
        self.row.into()
    }
}

/// Adds a staff member; the email must be new.
pub async fn add(
    db: &Db,
    passwords: &Hasher,
    email: &Email,
    name: &PersonName,
    role: StaffRole,
    password: &NewPassword,
) -> Result<StaffMember, AppError> {
    let hash = passwords.hash(password.expose().to_owned()).await?;
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
    let rows: Vec<Row> =
        sqlx::query_as("SELECT id, email, name, role, disabled_at FROM staff ORDER BY email")
            .fetch_all(db.pool())
            .await?;
    Ok(rows.into_iter().map(StaffRecord::from).collect())
}

/// Disables a staff account and ends their sessions. False when no such email.
pub async fn disable(db: &Db, email: &Email) -> Result<bool, AppError> {
    let done =
        sqlx::query("UPDATE staff SET disabled_at = $1 WHERE email = $2 AND disabled_at IS NULL")
            .bind(now())
            .bind(email.as_str())
            .execute(db.pool())
            .await?;
    if let Some(id) = id_of(db, email).await? {
        auth::staff_session::end_all(db, &id).await?;
    }
    Ok(done.rows_affected() == 1)
}

async fn id_of(db: &Db, email: &Email) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar("SELECT id FROM staff WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(db.pool())
        .await?)
}

/// Forgets the authenticator and recovery codes of the staff member `email` names and ends
/// their sessions (the command line's reset, for one who lost both); audited.
pub async fn reset_second_factor(db: &Db, email: &Email) -> Result<(), AppError> {
    let id = id_of(db, email)
        .await?
        .ok_or_else(|| AppError::invalid(format!("no staff member {}", email.as_str())))?;
    auth::second_factor::reset(db, &id).await?;
    auth::staff_session::end_all(db, &id).await?;
    let entry = audit::Entry {
        actor_id: Some(&id),
        detail: Some("reset from the command line"),
        ..audit::Entry::new(
            audit::ActorKind::System,
            audit::AuditAction::StaffFactorReset,
            audit::Outcome::Ok,
        )
    };
    audit::record_or_fail(db, entry).await?;
    Ok(())
}

/// An enabled staff member by id.
pub async fn find_enabled(db: &Db, id: &str) -> Result<Option<StaffMember>, AppError> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, email, name, role, disabled_at FROM staff WHERE id = $1 AND disabled_at IS NULL",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|row| StaffRecord::from(row).member))
}

/// The staff account with this email and its password hash, for a login to check.
pub async fn credentials(db: &Db, email: &Email) -> Result<Option<Credentials>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, email, name, role, disabled_at, password_hash FROM staff WHERE email = $1",
    )
    .bind(email.as_str())
    .fetch_optional(db.pool())
    .await?)
}
