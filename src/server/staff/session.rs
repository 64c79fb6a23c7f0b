//! Staff sessions, on their own cookie and in their own table (`staff_sessions`, written only
//! here), so a provider's session never carries staff rights and the staff rules can be
//! stricter:
//!
//! - the cookie is `__Host-pc_staff` when cookies are `Secure` (no subdomain can plant or read
//!   it), `SameSite=Strict` (no other site can make a browser send it), `HttpOnly`, and lives
//!   only as long as the browser;
//! - the table keeps a SHA-256 of the cookie's 256-bit token, never the token;
//! - a login is `SecondFactor` or `Enrol` until the authenticator is proven, and those stages
//!   last ten minutes at most; `SignedIn` ends after `IDLE_SECONDS` without a request and after
//!   `ABSOLUTE_SECONDS` in all. Activity moves the idle clock (at most one write a minute);
//! - each stage change and each step-up takes a new token, so a token seen before the second
//!   factor or a re-authentication is worthless after it.

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::domain::staff::StaffStage;
use crate::domain::AppError;
use crate::server::db::Db;
use crate::server::state::AppState;

/// A signed-in staff session ends after this long without a request.
pub const IDLE_SECONDS: i64 = 30 * 60;
/// A staff login lasts at most this long, however active.
pub const ABSOLUTE_SECONDS: i64 = 8 * 60 * 60;
/// A login waiting for its second factor (or enrolment) lasts at most this long.
pub const PENDING_SECONDS: i64 = 10 * 60;
/// Activity moves the idle clock when the last recorded request is at least this old.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// The cookie's name: with the `__Host-` prefix whenever cookies are `Secure` (browsers accept
/// that prefix only on secure, host-only, path-`/` cookies).
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-pc_staff"
    } else {
        "pc_staff"
    }
}

/// This request's staff session cookie, and what the response must do to it. Put in the
/// request's extensions by `layer`.
#[derive(Clone, Default)]
pub struct StaffCookie {
    inner: Arc<Mutex<CookieState>>,
}

#[derive(Default)]
struct CookieState {
    /// The SHA-256 of the token the browser sent (or of the one just issued).
    id: Option<String>,
    /// A new token to send, or `Some(None)` to clear the cookie.
    change: Option<Option<String>>,
}

impl StaffCookie {
    fn id(&self) -> Option<String> {
        self.lock().id.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CookieState> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn issue(&self, token: String, id: String) {
        let mut state = self.lock();
        state.id = Some(id);
        state.change = Some(Some(token));
    }

    fn clear(&self) {
        let mut state = self.lock();
        state.id = None;
        state.change = Some(None);
    }
}

/// The middleware: reads the staff cookie into a `StaffCookie`, and after the handler sets or
/// clears the cookie as the handler decided.
pub async fn layer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let secure = state.settings.http.secure_cookies();
    let name = cookie_name(secure);
    let cookie = StaffCookie::default();
    cookie.lock().id = token_from(&request, name).map(|token| hash(&token));
    request.extensions_mut().insert(cookie.clone());
    let mut response = next.run(request).await;
    let change = cookie.lock().change.take();
    if let Some(change) = change {
        let secure = if secure { "; Secure" } else { "" };
        let header = match change {
            Some(token) => format!("{name}={token}; Path=/; HttpOnly; SameSite=Strict{secure}"),
            None => format!("{name}=; Path=/; HttpOnly; SameSite=Strict{secure}; Max-Age=0"),
        };
        if let Ok(value) = HeaderValue::from_str(&header) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

fn token_from(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .filter(|token| token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new cookie token (256 random bits, hex) and the id it is stored under.
fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let id = hash(&token);
    (token, id)
}

/// A live staff session.
#[derive(Debug, Clone)]
pub struct StaffSession {
    pub staff_id: String,
    pub stage: StaffStage,
    /// When the password and a code were last confirmed (login counts), unix seconds.
    pub stepped_up_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Row {
    staff_id: String,
    #[sqlx(try_from = "String")]
    stage: StaffStage,
    created_at: i64,
    last_seen_at: i64,
    stepped_up_at: Option<i64>,
}

/// Starts a staff session at `stage` for `staff_id` under a new token, ending the one this
/// browser had.
pub async fn start(
    state: &AppState,
    cookie: &StaffCookie,
    staff_id: &str,
    stage: StaffStage,
) -> Result<(), AppError> {
    end(&state.db, cookie).await?;
    let (token, id) = new_token();
    let now = state.clock.now();
    let stepped_up_at = (stage == StaffStage::SignedIn).then_some(now);
    sqlx::query(
        "INSERT INTO staff_sessions (id, staff_id, stage, created_at, last_seen_at, stepped_up_at) \
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(&id)
    .bind(staff_id)
    .bind(stage.as_str())
    .bind(now)
    .bind(stepped_up_at)
    .execute(state.db.pool())
    .await?;
    cookie.issue(token, id);
    Ok(())
}

/// This browser's staff session, if it is live. An expired one is deleted (and its cookie
/// cleared) here; a live one's idle clock moves on.
pub async fn current(
    state: &AppState,
    cookie: &StaffCookie,
) -> Result<Option<StaffSession>, AppError> {
    let Some(id) = cookie.id() else {
        return Ok(None);
    };
    let row: Option<Row> = sqlx::query_as(
        "SELECT staff_id, stage, created_at, last_seen_at, stepped_up_at FROM staff_sessions WHERE id = $1",
    )
    .bind(&id)
    .fetch_optional(state.db.pool())
    .await?;
    let Some(row) = row else {
        cookie.clear();
        return Ok(None);
    };
    let now = state.clock.now();
    let expired = match row.stage {
        StaffStage::SignedIn => {
            now - row.last_seen_at > IDLE_SECONDS || now - row.created_at > ABSOLUTE_SECONDS
        }
        StaffStage::SecondFactor | StaffStage::Enrol => now - row.created_at > PENDING_SECONDS,
    };
    if expired {
        end(&state.db, cookie).await?;
        return Ok(None);
    }
    if now - row.last_seen_at >= TOUCH_EVERY_SECONDS {
        sqlx::query("UPDATE staff_sessions SET last_seen_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&id)
            .execute(state.db.pool())
            .await?;
    }
    Ok(Some(StaffSession {
        staff_id: row.staff_id,
        stage: row.stage,
        stepped_up_at: row.stepped_up_at,
    }))
}

/// Records a fresh password + code confirmation on this browser's session, under a new token
/// (a re-authentication takes a new token, like a login); the login's start time is kept.
pub async fn stepped_up(state: &AppState, cookie: &StaffCookie) -> Result<(), AppError> {
    let Some(old) = cookie.id() else {
        return Err(AppError::Unauthenticated);
    };
    let (token, id) = new_token();
    let renewed =
        sqlx::query("UPDATE staff_sessions SET id = $1, stepped_up_at = $2 WHERE id = $3")
            .bind(&id)
            .bind(state.clock.now())
            .bind(&old)
            .execute(state.db.pool())
            .await?;
    if renewed.rows_affected() != 1 {
        return Err(AppError::Unauthenticated);
    }
    cookie.issue(token, id);
    Ok(())
}

/// How long a key revealed without JavaScript waits to be shown on the next page.
const SHOWN_KEY_SECONDS: i64 = 60;

/// After a reveal from a form without JavaScript (whose answer the browser cannot show): the
/// next load of that connection's page in this session shows the key, once, within a minute.
/// Only the connection's id is kept here; the key stays encrypted where it is.
pub async fn show_key_once(
    state: &AppState,
    cookie: &StaffCookie,
    connection_id: &str,
) -> Result<(), AppError> {
    let id = cookie.id().ok_or(AppError::Unauthenticated)?;
    sqlx::query("UPDATE staff_sessions SET shown_key_for = $1, shown_key_until = $2 WHERE id = $3")
        .bind(connection_id)
        .bind(state.clock.now() + SHOWN_KEY_SECONDS)
        .bind(&id)
        .execute(state.db.pool())
        .await?;
    Ok(())
}

/// Whether this session may show `connection_id`'s key now (see `show_key_once`); uses it up.
pub async fn take_shown_key(
    state: &AppState,
    cookie: &StaffCookie,
    connection_id: &str,
) -> Result<bool, AppError> {
    let Some(id) = cookie.id() else {
        return Ok(false);
    };
    let taken = sqlx::query(
        "UPDATE staff_sessions SET shown_key_for = NULL, shown_key_until = NULL          WHERE id = $1 AND shown_key_for = $2 AND shown_key_until >= $3",
    )
    .bind(&id)
    .bind(connection_id)
    .bind(state.clock.now())
    .execute(state.db.pool())
    .await?;
    Ok(taken.rows_affected() == 1)
}

/// Ends this browser's staff session, if any, and clears its cookie.
pub async fn end(db: &Db, cookie: &StaffCookie) -> Result<(), AppError> {
    if let Some(id) = cookie.id() {
        sqlx::query("DELETE FROM staff_sessions WHERE id = $1")
            .bind(&id)
            .execute(db.pool())
            .await?;
        cookie.clear();
    }
    Ok(())
}

/// Ends every session of `staff_id` (disabled, or their authenticator was reset).
pub async fn end_all(db: &Db, staff_id: &str) -> Result<u64, AppError> {
    let done = sqlx::query("DELETE FROM staff_sessions WHERE staff_id = $1")
        .bind(staff_id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

/// Deletes sessions past their absolute lifetime (housekeeping; idle ones go when next seen).
pub async fn delete_expired(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM staff_sessions WHERE created_at < $1")
        .bind(now - ABSOLUTE_SECONDS)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(cookie: &str) -> Request {
        Request::builder()
            .header(COOKIE, cookie)
            .body(axum::body::Body::empty())
            .unwrap()
    }

    #[test]
    fn only_a_well_formed_token_under_our_name_is_read() {
        let token = "ab".repeat(32);
        let found = token_from(
            &request(&format!("other=1; pc_staff={token}; x=y")),
            "pc_staff",
        );
        assert_eq!(found.as_deref(), Some(token.as_str()));
        assert_eq!(token_from(&request("pc_staff=short"), "pc_staff"), None);
        assert_eq!(
            token_from(&request(&format!("pc_staff={token}")), "__Host-pc_staff"),
            None
        );
    }

    #[test]
    fn the_secure_cookie_takes_the_host_prefix() {
        assert_eq!(cookie_name(true), "__Host-pc_staff");
        assert_eq!(cookie_name(false), "pc_staff");
    }
}
