//! Brakes on password guessing, shared by every instance through the `login_attempts` table
//! (this module is its only writer).
//!
//! Each login attempt counts against two keys: the account (email, provider and staff apart)
//! and the client's address (as `http::client_ip` resolved it behind trusted proxies). A slot
//! is reserved before the password is checked, so a burst of parallel guesses cannot slip
//! past a check-then-record race. A few free attempts per window, then each further attempt on
//! a key must wait a delay that doubles (2 s, 4 s, … up to 15 minutes): a guesser is slowed to
//! a crawl, while the real user is never locked out for longer than the current delay. A
//! success clears its account's count and gives back its own slot on the client's key, and
//! nothing else.

use crate::domain::AppError;
use crate::server::db::Db;

/// How far back attempts count.
pub const WINDOW_SECONDS: i64 = 15 * 60;
/// Attempts per account in a window before delays start.
pub const FREE_PER_ACCOUNT: i64 = 5;
/// Attempts per client address in a window before delays start (several people may share one
/// address behind a NAT).
pub const FREE_PER_CLIENT: i64 = 30;
/// The longest delay between two attempts.
pub const MAX_DELAY_SECONDS: i64 = 15 * 60;

/// The keys one login attempt counts against.
#[derive(Debug, Clone)]
pub struct LoginKeys {
    account: String,
    client: String,
}

impl LoginKeys {
    /// The keys for `kind` ("provider" or "staff") logging in as `email` from `ip`.
    pub fn new(kind: &str, email: &str, ip: Option<&str>) -> Self {
        Self {
            account: format!("account:{kind}:{}", email.trim().to_lowercase()),
            client: format!("client:{kind}:{}", ip.unwrap_or("unknown")),
        }
    }
}

/// The wait before the `over`th attempt past the free ones: 2, 4, 8 … seconds, capped.
fn delay(over: i64) -> i64 {
    let exponent = over.clamp(1, 20) as u32;
    2_i64.pow(exponent).min(MAX_DELAY_SECONDS)
}

/// Counts one attempt on `key`; `Ok(())` if it may go ahead, else the seconds to wait.
async fn reserve(db: &Db, key: &str, free: i64) -> Result<Result<(), u64>, sqlx::Error> {
    let at = db.now();
    let (failures, locked_until): (i64, i64) = sqlx::query_as(
        "INSERT INTO login_attempts (key, failures, window_start, locked_until) VALUES ($1, 1, $2, 0) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN login_attempts.window_start < $3 THEN 1 ELSE login_attempts.failures + 1 END, \
           window_start = CASE WHEN login_attempts.window_start < $3 THEN $2 ELSE login_attempts.window_start END \
         RETURNING failures, locked_until",
    )
    .bind(key)
    .bind(at)
    .bind(at - WINDOW_SECONDS)
    .fetch_one(db.pool())
    .await?;
    if failures <= free && locked_until <= at {
        return Ok(Ok(()));
    }
    if failures <= free {
        return Ok(Err((locked_until - at) as u64));
    }
    // Past the free ones: the one attempt that moves the lock on goes ahead.
    let next = at + delay(failures - free);
    let claimed = sqlx::query(
        "UPDATE login_attempts SET locked_until = $1 WHERE key = $2 AND locked_until <= $3",
    )
    .bind(next)
    .bind(key)
    .bind(at)
    .execute(db.pool())
    .await?;
    if claimed.rows_affected() == 1 {
        Ok(Ok(()))
    } else {
        let wait =
            sqlx::query_scalar::<_, i64>("SELECT locked_until FROM login_attempts WHERE key = $1")
                .bind(key)
                .fetch_one(db.pool())
                .await?;
        Ok(Err((wait - at).max(1) as u64))
    }
}

/// Reserves an attempt on both keys before the password is checked. Refused with how long to
/// wait when either key is braked.
pub async fn reserve_attempt(db: &Db, keys: &LoginKeys) -> Result<(), AppError> {
    let account = reserve(db, &keys.account, FREE_PER_ACCOUNT).await?;
    let client = reserve(db, &keys.client, FREE_PER_CLIENT).await?;
    match (account, client) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(wait), _) | (_, Err(wait)) => Err(AppError::RateLimited {
            retry_after_seconds: wait,
        }),
    }
}

/// After a successful login: the account starts afresh, and the client gets back the slot this
/// attempt reserved (its other failures still count).
pub async fn succeeded(db: &Db, keys: &LoginKeys) -> Result<(), AppError> {
    sqlx::query("DELETE FROM login_attempts WHERE key = $1")
        .bind(&keys.account)
        .execute(db.pool())
        .await?;
    sqlx::query(
        "UPDATE login_attempts SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END WHERE key = $1",
    )
    .bind(&keys.client)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Forgets keys whose window and delay are both over (housekeeping).
pub async fn forget_stale(db: &Db) -> Result<u64, sqlx::Error> {
    let at = db.now();
    let done =
        sqlx::query("DELETE FROM login_attempts WHERE window_start < $1 AND locked_until < $2")
            .bind(at - WINDOW_SECONDS)
            .bind(at)
            .execute(db.pool())
            .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_and_stop_at_fifteen_minutes() {
        assert_eq!(delay(1), 2);
        assert_eq!(delay(2), 4);
        assert_eq!(delay(5), 32);
        assert_eq!(delay(30), MAX_DELAY_SECONDS);
    }

    #[test]
    fn provider_and_staff_logins_count_apart() {
        let provider = LoginKeys::new("provider", "A@B.example ", Some("203.0.113.7"));
        let staff = LoginKeys::new("staff", "a@b.example", Some("203.0.113.7"));
        assert_eq!(provider.account, "account:provider:a@b.example");
        assert_ne!(provider.account, staff.account);
        assert_ne!(provider.client, staff.client);
    }
}
