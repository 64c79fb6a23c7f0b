//! Who is calling: provider sessions on a cookie, rotated on login, ended on logout, with idle
//! and absolute timeouts.

pub mod passwords;
pub mod session_store;

use sqlx::Row;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

use super::db::{now, Db};
use crate::domain::account::CurrentUser;
use crate::domain::admin::{StaffMember, StaffRole};
use crate::domain::AppError;
use session_store::DbSessionStore;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "pc_session";
/// A session unused this long ends.
pub const IDLE_TIMEOUT_MINUTES: i64 = 120;
/// A login lasts at most this long, however active.
pub const ABSOLUTE_TIMEOUT_SECONDS: i64 = 12 * 60 * 60;

const USER_KEY: &str = "user_id";
const LOGGED_IN_AT_KEY: &str = "logged_in_at";

/// The session middleware. `Lax` keeps the cookie on Hint's top-level redirect to our landing
/// URL, so a logged-in provider arriving from Hint stays logged in.
pub fn session_layer(db: Db, secure: bool) -> SessionManagerLayer<DbSessionStore> {
    SessionManagerLayer::new(DbSessionStore::new(db))
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(
            IDLE_TIMEOUT_MINUTES,
        )))
}

fn session_error(error: tower_sessions::session::Error) -> AppError {
    tracing::error!(%error, "session store error");
    AppError::Internal
}

/// Starts a logged-in session for `user_id` under a new session id (no fixation), keeping the
/// session's other data (such as the pending connection).
pub async fn start_login(session: &Session, user_id: &str) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(USER_KEY, user_id)
        .await
        .map_err(session_error)?;
    session
        .insert(LOGGED_IN_AT_KEY, now())
        .await
        .map_err(session_error)?;
    Ok(())
}

/// Ends the session on the server and clears the cookie.
pub async fn end_session(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(session_error)
}

/// The id stored under `id_key` if its login (time under `at_key`) is younger than the absolute
/// timeout; an older login ends the session here.
async fn logged_in_id(
    session: &Session,
    id_key: &str,
    at_key: &str,
) -> Result<Option<String>, AppError> {
    let Some(id) = session.get::<String>(id_key).await.map_err(session_error)? else {
        return Ok(None);
    };
    let logged_in_at = session
        .get::<i64>(at_key)
        .await
        .map_err(session_error)?
        .unwrap_or(0);
    if now() - logged_in_at > ABSOLUTE_TIMEOUT_SECONDS {
        end_session(session).await?;
        return Ok(None);
    }
    Ok(Some(id))
}

/// The logged-in provider, if any. A login older than the absolute timeout ends here.
pub async fn current_user(db: &Db, session: &Session) -> Result<Option<CurrentUser>, AppError> {
    let Some(user_id) = logged_in_id(session, USER_KEY, LOGGED_IN_AT_KEY).await? else {
        return Ok(None);
    };
    let row = sqlx::query("SELECT id, name, email FROM users WHERE id = $1")
        .bind(&user_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(match row {
        Some(row) => Some(CurrentUser {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            email: row.try_get("email")?,
        }),
        None => None,
    })
}

/// The logged-in provider, or `Unauthenticated`.
pub async fn require_user(db: &Db, session: &Session) -> Result<CurrentUser, AppError> {
    current_user(db, session)
        .await?
        .ok_or(AppError::Unauthenticated)
}

const STAFF_KEY: &str = "staff_id";
const STAFF_LOGGED_IN_AT_KEY: &str = "staff_logged_in_at";

/// Starts a staff session under a new session id.
pub async fn start_staff_login(session: &Session, staff_id: &str) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(STAFF_KEY, staff_id)
        .await
        .map_err(session_error)?;
    session
        .insert(STAFF_LOGGED_IN_AT_KEY, now())
        .await
        .map_err(session_error)?;
    Ok(())
}

/// The logged-in, enabled staff member, if any.
pub async fn current_staff(db: &Db, session: &Session) -> Result<Option<StaffMember>, AppError> {
    let Some(staff_id) = logged_in_id(session, STAFF_KEY, STAFF_LOGGED_IN_AT_KEY).await? else {
        return Ok(None);
    };
    super::staff::find_enabled(db, &staff_id).await
}

/// The staff member calling, if their role is at least `role`. A provider's session gets
/// `Forbidden`; nobody logged in gets `Unauthenticated`.
pub async fn require_staff(
    db: &Db,
    session: &Session,
    role: StaffRole,
) -> Result<StaffMember, AppError> {
    match current_staff(db, session).await? {
        Some(member) if member.role >= role => Ok(member),
        Some(_) => Err(AppError::Forbidden),
        None if current_user(db, session).await?.is_some() => Err(AppError::Forbidden),
        None => Err(AppError::Unauthenticated),
    }
}

/// The row `query` (with the email as `$1`, selecting a `password_hash` column) finds for
/// `email`, if `password` matches it. An unknown or malformed email costs the same hashing time as
/// a wrong password, so timing tells nobody which emails have accounts.
pub async fn row_matching_password(
    db: &Db,
    query: &str,
    email: &str,
    password: &str,
) -> Result<Option<sqlx::any::AnyRow>, AppError> {
    let row = match crate::domain::account::Email::parse(email) {
        Ok(email) => {
            sqlx::query(query)
                .bind(email.as_str())
                .fetch_optional(db.pool())
                .await?
        }
        Err(_) => None,
    };
    let stored = match &row {
        Some(row) => Some(row.try_get::<String, _>("password_hash")?),
        None => None,
    };
    Ok(if passwords::verify(password.to_owned(), stored).await {
        row
    } else {
        None
    })
}

/// Reads a value the session carries (such as the pending connection's id).
pub async fn session_value(session: &Session, key: &str) -> Result<Option<String>, AppError> {
    session.get::<String>(key).await.map_err(session_error)
}

/// Stores a value in the session.
pub async fn set_session_value(session: &Session, key: &str, value: &str) -> Result<(), AppError> {
    session.insert(key, value).await.map_err(session_error)
}
