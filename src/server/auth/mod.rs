//! Who is calling: sessions on a cookie, rotated on login, ended on logout, with idle and
//! absolute timeouts; what a session carries (typed keys, in one place); and the checks every
//! server function starts from (`require_user`, `require_staff`: where staff roles are enforced).
//!
//! `login` is the one login flow for providers and staff; `throttle` slows password guessing;
//! `session_store` keeps sessions in the database. Hashing is `server::passwords`, shared with
//! the account tables' modules.

pub mod login;
pub mod session_store;
pub mod throttle;

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

/// What a session carries, each under its own key.
#[derive(Debug, Clone, Copy)]
enum SessionKey {
    /// The logged-in provider's id.
    UserId,
    /// When the provider logged in (unix seconds), for the absolute timeout.
    LoggedInAt,
    /// The logged-in staff member's id.
    StaffId,
    /// When the staff member logged in.
    StaffLoggedInAt,
    /// The connection whose code landed in this browser.
    Connection,
    /// A random key made when a code first lands in this browser; the connection row keeps
    /// only its hash, so only this session can bind the connection.
    LandingKey,
}

impl SessionKey {
    fn as_str(self) -> &'static str {
        match self {
            Self::UserId => "user_id",
            Self::LoggedInAt => "logged_in_at",
            Self::StaffId => "staff_id",
            Self::StaffLoggedInAt => "staff_logged_in_at",
            Self::Connection => "connection_id",
            Self::LandingKey => "landing_key",
        }
    }
}

async fn get(session: &Session, key: SessionKey) -> Result<Option<String>, AppError> {
    session
        .get::<String>(key.as_str())
        .await
        .map_err(session_error)
}

/// Starts a login of `id` (under `id_key`, its time under `at_key`) under a new session id, so
/// an id planted before login is worthless. Whoever was signed in before, provider or staff,
/// is signed out (`drop_keys`): on a shared desk a provider never inherits a staff login, nor
/// the reverse. The landed connection is kept.
async fn start(
    session: &Session,
    id_key: SessionKey,
    at_key: SessionKey,
    id: &str,
) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    for other in [
        SessionKey::UserId,
        SessionKey::LoggedInAt,
        SessionKey::StaffId,
        SessionKey::StaffLoggedInAt,
    ] {
        session
            .remove_value(other.as_str())
            .await
            .map_err(session_error)?;
    }
    session
        .insert(id_key.as_str(), id)
        .await
        .map_err(session_error)?;
    session
        .insert(at_key.as_str(), now())
        .await
        .map_err(session_error)?;
    Ok(())
}

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

/// Starts a logged-in provider session for `user_id` (keeping the pending connection).
pub async fn start_login(session: &Session, user_id: &str) -> Result<(), AppError> {
    start(session, SessionKey::UserId, SessionKey::LoggedInAt, user_id).await
}

/// Ends the session on the server and clears the cookie.
pub async fn end_session(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(session_error)
}

/// The id stored under `id_key` if its login (time under `at_key`) is younger than the absolute
/// timeout; an older login ends the session here.
async fn logged_in_id(
    session: &Session,
    id_key: SessionKey,
    at_key: SessionKey,
) -> Result<Option<String>, AppError> {
    let Some(id) = get(session, id_key).await? else {
        return Ok(None);
    };
    let logged_in_at = session
        .get::<i64>(at_key.as_str())
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
    let Some(user_id) = logged_in_id(session, SessionKey::UserId, SessionKey::LoggedInAt).await?
    else {
        return Ok(None);
    };
    super::account::find(db, &user_id).await
}

/// The logged-in provider, or `Unauthenticated`.
pub async fn require_user(db: &Db, session: &Session) -> Result<CurrentUser, AppError> {
    current_user(db, session)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// Starts a staff session under a new session id.
pub async fn start_staff_login(session: &Session, staff_id: &str) -> Result<(), AppError> {
    start(
        session,
        SessionKey::StaffId,
        SessionKey::StaffLoggedInAt,
        staff_id,
    )
    .await
}

/// The logged-in, enabled staff member, if any.
pub async fn current_staff(db: &Db, session: &Session) -> Result<Option<StaffMember>, AppError> {
    let Some(staff_id) =
        logged_in_id(session, SessionKey::StaffId, SessionKey::StaffLoggedInAt).await?
    else {
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

/// The connection whose code landed in this browser, if any.
pub async fn session_connection(session: &Session) -> Result<Option<String>, AppError> {
    get(session, SessionKey::Connection).await
}

/// Forgets the connection this browser brought (the provider said it is not theirs).
pub async fn clear_session_connection(session: &Session) -> Result<(), AppError> {
    session
        .remove::<String>(SessionKey::Connection.as_str())
        .await
        .map_err(session_error)?;
    Ok(())
}

/// This browser session's landing key, if a code ever landed in it.
pub async fn landing_key(session: &Session) -> Result<Option<String>, AppError> {
    get(session, SessionKey::LandingKey).await
}

/// This browser session's landing key, made (random, 256 bits) on first use.
pub async fn landing_key_or_new(session: &Session) -> Result<String, AppError> {
    if let Some(key) = landing_key(session).await? {
        return Ok(key);
    }
    let key = super::db::new_id("lk");
    session
        .insert(SessionKey::LandingKey.as_str(), &key)
        .await
        .map_err(session_error)?;
    Ok(key)
}

/// Remembers the connection whose code just landed in this browser.
pub async fn set_session_connection(session: &Session, id: &str) -> Result<(), AppError> {
    session
        .insert(SessionKey::Connection.as_str(), id)
        .await
        .map_err(session_error)
}
