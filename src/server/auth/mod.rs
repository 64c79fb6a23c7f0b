//! Who is calling: a provider's session (tower-sessions, cookie `pc_session`) and a staff
//! session (its own cookie and table, `staff::session`), never the two in one; what a provider
//! session carries (typed keys, in one place); and the checks every server function starts from
//! (`require_user`, `require_staff`, `require_step_up`: where staff roles and the second factor
//! are enforced).
//!
//! `login` is the one login flow for providers and staff (`staff_login`: its staff-only steps);
//! `session_store` keeps provider sessions in the database. Staff accounts, their sessions,
//! authenticators and links live in `server::staff`; `server::throttle` slows password and
//! code guessing. Hashing is `server::passwords`, shared with the account tables'
//! modules. Every timeout reads the app's `Clock`, so tests can move time on.

pub mod login;
pub mod session_store;
pub mod staff_login;

use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

use super::db::Db;
use super::state::AppState;
use crate::domain::account::CurrentUser;
use crate::domain::staff::{StaffMember, StaffRole, StaffStage};
use crate::domain::AppError;
use crate::server::staff::session as staff_session;
pub use crate::server::staff::session::StaffCookie;
use session_store::DbSessionStore;

/// The provider session cookie's name: with the `__Host-` prefix whenever cookies are `Secure`.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-pc_session"
    } else {
        "pc_session"
    }
}
/// A provider session unused this long ends.
pub const IDLE_TIMEOUT_SECONDS: i64 = 2 * 60 * 60;
/// A provider login lasts at most this long, however active.
pub const ABSOLUTE_TIMEOUT_SECONDS: i64 = 12 * 60 * 60;
/// Activity moves the idle clock when the last recorded request is at least this old.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// What a provider session carries, each under its own key.
#[derive(Debug, Clone, Copy)]
enum SessionKey {
    /// The logged-in provider's id.
    UserId,
    /// When the provider logged in (unix seconds), for the absolute timeout.
    LoggedInAt,
    /// The provider's last request (unix seconds, to the minute), for the idle timeout.
    LastSeenAt,
    /// The connection whose code landed in this browser.
    Connection,
    /// A random key made when a code first lands in this browser; the connection row keeps
    /// only its hash, so only this session can bind the connection.
    LandingKey,
    /// The browser's name, for the owner's sessions list.
    Device,
    /// The address the provider logged in from, for the owner's sessions list.
    Ip,
}

impl SessionKey {
    fn as_str(self) -> &'static str {
        match self {
            Self::UserId => "user_id",
            Self::LoggedInAt => "logged_in_at",
            Self::LastSeenAt => "last_seen_at",
            Self::Connection => "connection_id",
            Self::LandingKey => "landing_key",
            Self::Device => "device",
            Self::Ip => "ip",
        }
    }
}

/// The two session cookies of one browser: a provider's and a staff member's.
#[derive(Clone, Copy)]
pub struct Browser<'a> {
    pub session: &'a Session,
    pub staff: &'a StaffCookie,
    /// The browser's `User-Agent`, for the provider's sessions list.
    pub user_agent: Option<&'a str>,
}

/// "Firefox on Windows"-style words for a `User-Agent` (for the sessions list, not for any
/// decision).
pub fn device_name(user_agent: Option<&str>) -> String {
    let Some(agent) = user_agent else {
        return "Unknown browser".to_owned();
    };
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(marker, _)| agent.contains(marker))
    .map_or("A browser", |(_, name)| name);
    let system = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(marker, _)| agent.contains(marker))
    .map(|(_, name)| *name);
    match system {
        Some(system) => format!("{browser} on {system}"),
        None => browser.to_owned(),
    }
}

async fn get(session: &Session, key: SessionKey) -> Result<Option<String>, AppError> {
    session
        .get::<String>(key.as_str())
        .await
        .map_err(session_error)
}

async fn get_time(session: &Session, key: SessionKey) -> Result<i64, AppError> {
    Ok(session
        .get::<i64>(key.as_str())
        .await
        .map_err(session_error)?
        .unwrap_or(0))
}

async fn set_time(session: &Session, key: SessionKey, at: i64) -> Result<(), AppError> {
    session
        .insert(key.as_str(), at)
        .await
        .map_err(session_error)
}

/// Forgets the provider login in this session (the landed connection stays).
async fn drop_provider_login(session: &Session) -> Result<(), AppError> {
    for key in [
        SessionKey::UserId,
        SessionKey::LoggedInAt,
        SessionKey::LastSeenAt,
    ] {
        session
            .remove_value(key.as_str())
            .await
            .map_err(session_error)?;
    }
    Ok(())
}

/// The provider session middleware. `Lax` keeps the cookie on Hint's top-level redirect to our
/// landing URL, so a logged-in provider arriving from Hint stays logged in.
pub fn session_layer(db: Db, secure: bool) -> SessionManagerLayer<DbSessionStore> {
    SessionManagerLayer::new(DbSessionStore::new(db))
        .with_name(cookie_name(secure))
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_expiry(Expiry::OnInactivity(time::Duration::seconds(
            IDLE_TIMEOUT_SECONDS,
        )))
}

fn session_error(error: tower_sessions::session::Error) -> AppError {
    tracing::error!(%error, "session store error");
    AppError::Internal
}

/// Starts a logged-in provider session for `user_id` under a new session id (an id planted
/// before login is worthless), keeping the landed connection. A staff login in this browser
/// ends: on a shared desk a provider never inherits a staff member's rights.
pub async fn start_login(
    state: &AppState,
    browser: Browser<'_>,
    user_id: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    staff_session::end(&state.db, browser.staff).await?;
    let session = browser.session;
    session.cycle_id().await.map_err(session_error)?;
    let device = device_name(browser.user_agent);
    for (key, value) in [
        (SessionKey::UserId, Some(user_id)),
        (SessionKey::Device, Some(device.as_str())),
        (SessionKey::Ip, ip),
    ] {
        if let Some(value) = value {
            session
                .insert(key.as_str(), value)
                .await
                .map_err(session_error)?;
        }
    }
    let now = state.clock.now();
    set_time(session, SessionKey::LoggedInAt, now).await?;
    set_time(session, SessionKey::LastSeenAt, now).await
}

/// Starts a staff session at `stage` (see `staff_session`). A provider login in this browser
/// ends, for the same reason as above.
pub async fn start_staff_login(
    state: &AppState,
    browser: Browser<'_>,
    staff_id: &str,
    stage: StaffStage,
) -> Result<(), AppError> {
    if browser.session.id().is_some() {
        drop_provider_login(browser.session).await?;
        browser.session.cycle_id().await.map_err(session_error)?;
    }
    staff_session::start(state, browser.staff, staff_id, stage).await
}

/// Ends both sessions of this browser on the server and clears the provider's cookie.
pub async fn end_session(state: &AppState, browser: Browser<'_>) -> Result<(), AppError> {
    staff_session::end(&state.db, browser.staff).await?;
    if browser.session.id().is_none() {
        // Nothing stored for this browser yet: nothing to end.
        return Ok(());
    }
    browser.session.flush().await.map_err(session_error)
}

/// The logged-in provider, if any. A login idle for `IDLE_TIMEOUT_SECONDS` or older than
/// `ABSOLUTE_TIMEOUT_SECONDS` ends here; a live one's idle clock moves on.
pub async fn current_user(
    state: &AppState,
    session: &Session,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(user_id) = get(session, SessionKey::UserId).await? else {
        return Ok(None);
    };
    let now = state.clock.now();
    let logged_in_at = get_time(session, SessionKey::LoggedInAt).await?;
    let last_seen_at = get_time(session, SessionKey::LastSeenAt).await?;
    if now - logged_in_at > ABSOLUTE_TIMEOUT_SECONDS || now - last_seen_at > IDLE_TIMEOUT_SECONDS {
        session.flush().await.map_err(session_error)?;
        return Ok(None);
    }
    if now - last_seen_at >= TOUCH_EVERY_SECONDS {
        // A write marks the session changed, so its stored expiry moves on too.
        set_time(session, SessionKey::LastSeenAt, now).await?;
    }
    super::account::users::find(&state.db, &user_id).await
}

/// The logged-in provider, or `Unauthenticated`.
pub async fn require_user(state: &AppState, session: &Session) -> Result<CurrentUser, AppError> {
    current_user(state, session)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// The staff member of this browser's live staff session, with its stage and when they last
/// confirmed their password and a code.
pub async fn staff_of(
    state: &AppState,
    cookie: &StaffCookie,
) -> Result<Option<(StaffMember, staff_session::StaffSession)>, AppError> {
    let Some(session) = staff_session::current(state, cookie).await? else {
        return Ok(None);
    };
    match crate::server::staff::find_enabled(&state.db, &session.staff_id).await? {
        Some(member) => Ok(Some((member, session))),
        None => {
            staff_session::end(&state.db, cookie).await?;
            Ok(None)
        }
    }
}

/// The fully logged-in, enabled staff member, if any.
pub async fn current_staff(
    state: &AppState,
    cookie: &StaffCookie,
) -> Result<Option<StaffMember>, AppError> {
    Ok(staff_of(state, cookie)
        .await?
        .filter(|(_, session)| session.stage == StaffStage::SignedIn)
        .map(|(member, _)| member))
}

/// The staff member calling, if fully logged in with a role of at least `role`. A login that
/// still waits for its second factor gets `SecondFactorNeeded`; a provider's session gets
/// `Forbidden`; nobody logged in gets `Unauthenticated`.
pub async fn require_staff(
    state: &AppState,
    browser: Browser<'_>,
    role: StaffRole,
) -> Result<StaffMember, AppError> {
    Ok(staff_with_session(state, browser, role).await?.0)
}

/// `require_staff`, with the staff session it read (one read of the session for both).
async fn staff_with_session(
    state: &AppState,
    browser: Browser<'_>,
    role: StaffRole,
) -> Result<(StaffMember, staff_session::StaffSession), AppError> {
    match staff_of(state, browser.staff).await? {
        Some((_, session)) if session.stage != StaffStage::SignedIn => {
            Err(AppError::SecondFactorNeeded)
        }
        Some((member, session)) if member.role >= role => Ok((member, session)),
        Some(_) => Err(AppError::Forbidden),
        None if current_user(state, browser.session).await?.is_some() => Err(AppError::Forbidden),
        None => Err(AppError::Unauthenticated),
    }
}

/// An admin who confirmed their password and a code within the last `STEP_UP_MINUTES`; else
/// `StepUpNeeded` (or why they are not an admin at all).
pub async fn require_step_up(
    state: &AppState,
    browser: Browser<'_>,
) -> Result<StaffMember, AppError> {
    let (member, session) = staff_with_session(state, browser, StaffRole::Admin).await?;
    let window = state.settings.security.step_up_minutes as i64 * 60;
    match session.stepped_up_at {
        Some(at) if state.clock.now() - at <= window => Ok(member),
        _ => Err(AppError::StepUpNeeded),
    }
}

/// The staff member whose login waits at `stage` in this browser (for the second-factor and
/// enrolment pages).
pub async fn pending_staff(
    state: &AppState,
    cookie: &StaffCookie,
    stage: StaffStage,
) -> Result<StaffMember, AppError> {
    match staff_of(state, cookie).await? {
        Some((member, session)) if session.stage == stage => Ok(member),
        Some((_, session)) if session.stage == StaffStage::SignedIn => {
            Err(AppError::invalid("You are logged in already."))
        }
        _ => Err(AppError::invalid(
            "Your login has expired or not started. Log in with your email and password again.",
        )),
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
