//! Partner staff, in one place: the `staff` table and its only writer (this file), their
//! sessions (`session`), authenticators (`second_factor`) and emailed password links (`links`). Accounts are made from the command
//! line (`staff add` with a password, or `staff invite`, which emails a one-time link to choose
//! one); they log in at `/admin/login` through `auth::login`. Every change from the command line
//! is audited.

pub mod links;
pub mod second_factor;
pub mod session;

use crate::domain::account::{Email, NewPassword, PersonName};
use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::staff::{StaffListing, StaffMember, StaffRole};
use crate::domain::AppError;
use crate::server::audit;
use crate::server::db::{new_id, Db};
use crate::server::passwords::Hasher;

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
    insert(db, email, name, role, &hash).await
}

/// Writes a new staff row with `password_hash`; the email must be new.
async fn insert(
    db: &Db,
    email: &Email,
    name: &PersonName,
    role: StaffRole,
    password_hash: &str,
) -> Result<StaffMember, AppError> {
    let id = new_id("stf");
    let inserted = sqlx::query(
        "INSERT INTO staff (id, email, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (email) DO NOTHING",
    )
    .bind(&id)
    .bind(email.as_str())
    .bind(name.as_str())
    .bind(role.as_str())
    .bind(password_hash)
    .bind(db.now())
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

/// Disables a staff account and ends their sessions. False when no such email.
pub async fn disable(db: &Db, email: &Email) -> Result<bool, AppError> {
    let done =
        sqlx::query("UPDATE staff SET disabled_at = $1 WHERE email = $2 AND disabled_at IS NULL")
            .bind(db.now())
            .bind(email.as_str())
            .execute(db.pool())
            .await?;
    if let Some(id) = id_of(db, email).await? {
        session::end_all(db, &id).await?;
        if done.rows_affected() == 1 {
            audit_cli(
                db,
                &id,
                AuditAction::StaffDisabled,
                "disabled from the command line",
            )
            .await?;
        }
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
    second_factor::reset(db, &id).await?;
    session::end_all(db, &id).await?;
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

/// The stored hash of an account with no password yet: matches nothing (and costs a login the
/// same time as a wrong password, see `passwords`).
pub const NO_PASSWORD: &str = "!";

/// Records a command-line change to staff member `id`; the change must not go unrecorded.
async fn audit_cli(db: &Db, id: &str, action: AuditAction, detail: &str) -> Result<(), AppError> {
    let entry = audit::Entry {
        actor_id: Some(id),
        detail: Some(detail),
        ..audit::Entry::new(ActorKind::System, action, Outcome::Ok)
    };
    Ok(audit::record_or_fail(db, entry).await?)
}

/// Adds a staff member with no password yet (they choose one from the invitation's link).
pub async fn invite(
    db: &Db,
    email: &Email,
    name: &PersonName,
    role: StaffRole,
) -> Result<StaffMember, AppError> {
    let member = insert(db, email, name, role, NO_PASSWORD).await?;
    let detail = format!("invited as {} from the command line", role.as_str());
    audit_cli(db, &member.id, AuditAction::StaffInvited, &detail).await?;
    Ok(member)
}

/// The staff member `email` names, or an error that says there is none.
pub async fn named(db: &Db, email: &Email) -> Result<StaffRecord, AppError> {
    let row: Option<Row> =
        sqlx::query_as("SELECT id, email, name, role, disabled_at FROM staff WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(db.pool())
            .await?;
    row.map(StaffRecord::from)
        .ok_or_else(|| AppError::invalid(format!("no staff member {}", email.as_str())))
}

/// Enables a disabled staff member again; audited. False if they were not disabled.
pub async fn enable(db: &Db, email: &Email) -> Result<bool, AppError> {
    let member = named(db, email).await?.member;
    let done = sqlx::query(
        "UPDATE staff SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL",
    )
    .bind(&member.id)
    .execute(db.pool())
    .await?;
    let changed = done.rows_affected() == 1;
    if changed {
        audit_cli(
            db,
            &member.id,
            AuditAction::StaffEnabled,
            "enabled from the command line",
        )
        .await?;
    }
    Ok(changed)
}

/// Gives staff member `email` a new role and ends their sessions, so the new role starts at a
/// fresh login with the second factor that role needs (a support session that skipped it does
/// not become an admin session); audited.
pub async fn set_role(db: &Db, email: &Email, role: StaffRole) -> Result<StaffMember, AppError> {
    let mut member = named(db, email).await?.member;
    sqlx::query("UPDATE staff SET role = $1 WHERE id = $2")
        .bind(role.as_str())
        .bind(&member.id)
        .execute(db.pool())
        .await?;
    let ended = session::end_all(db, &member.id).await?;
    let detail = format!(
        "{} to {} from the command line; {ended} sessions ended",
        member.role.as_str(),
        role.as_str()
    );
    audit_cli(db, &member.id, AuditAction::StaffRoleChanged, &detail).await?;
    member.role = role;
    Ok(member)
}

/// Forgets staff member `email`'s password and ends their sessions (they choose a new one from
/// an emailed link); audited.
pub async fn clear_password(db: &Db, email: &Email) -> Result<StaffMember, AppError> {
    let member = named(db, email).await?.member;
    sqlx::query("UPDATE staff SET password_hash = $1 WHERE id = $2")
        .bind(NO_PASSWORD)
        .bind(&member.id)
        .execute(db.pool())
        .await?;
    session::end_all(db, &member.id).await?;
    audit_cli(
        db,
        &member.id,
        AuditAction::StaffPasswordReset,
        "password forgotten and sessions ended from the command line",
    )
    .await?;
    Ok(member)
}

/// Sets staff member `id`'s password hash (from their invitation or password link).
pub async fn set_password_hash(db: &Db, id: &str, hash: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE staff SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Every staff member with what the admins' list shows, by email.
pub async fn roster(db: &Db) -> Result<Vec<StaffListing>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Listed {
        #[sqlx(flatten)]
        row: Row,
        password_hash: String,
        factor_confirmed_at: Option<i64>,
    }
    let rows: Vec<Listed> = sqlx::query_as(
        "SELECT s.id, s.email, s.name, s.role, s.disabled_at, s.password_hash, \
         f.confirmed_at AS factor_confirmed_at \
         FROM staff s LEFT JOIN staff_factors f ON f.staff_id = s.id ORDER BY s.email",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|listed| {
            let record = StaffRecord::from(listed.row);
            StaffListing {
                member: record.member,
                disabled: record.disabled,
                password_pending: listed.password_hash == NO_PASSWORD,
                second_factor: listed.factor_confirmed_at.is_some(),
            }
        })
        .collect())
}
