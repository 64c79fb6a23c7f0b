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
//!
//! A third key is the account's hashing budget: every check of its password counts, right or
//! wrong, and a success does not give it back, so someone who knows their own password cannot
//! keep the hashing pool full by logging in or changing their email in a loop. A check that
//! could not run because the pool was full gives every slot back (`released`): a busy server
//! is not a failed attempt.

use sha2::{Digest, Sha256};

use crate::domain::AppError;
use crate::server::db::Db;

/// How far back attempts count.
pub const WINDOW_SECONDS: i64 = 15 * 60;
/// Attempts per account in a window before delays start.
pub const FREE_PER_ACCOUNT: i64 = 5;
/// Attempts per client address in a window before delays start (several people may share one
/// address behind a NAT).
pub const FREE_PER_CLIENT: i64 = 30;
/// Password checks per account in a window, right or wrong, before delays start.
pub const HASHES_PER_ACCOUNT: i64 = 30;
/// The longest delay between two attempts.
pub const MAX_DELAY_SECONDS: i64 = 15 * 60;

/// The keys one login attempt counts against.
#[derive(Debug, Clone)]
pub struct LoginKeys {
    account: String,
    client: String,
    budget: String,
}

/// The longest email address (RFC 5321); a longer input is no one's and is keyed by its hash, so
/// a key's length stays bounded whatever a client sends.
const EMAIL_MAX: usize = 254;

/// The client's address as a key: an IPv6 client by its /64, like the request limits.
fn client_key(ip: Option<&str>) -> String {
    match ip.map(|text| text.parse::<std::net::IpAddr>()) {
        Some(Ok(ip)) => crate::server::rate_limits::limit_key(ip).to_string(),
        Some(Err(_)) => ip.unwrap_or_default().chars().take(64).collect(),
        None => "unknown".to_owned(),
    }
}

/// `email` as a key: trimmed and lower-cased, or its hash when it is longer than any address.
fn bounded(email: &str) -> String {
    let email = email.trim().to_lowercase();
    if email.len() <= EMAIL_MAX {
        email
    } else {
        format!("sha256:{}", hex::encode(Sha256::digest(email.as_bytes())))
    }
}

impl LoginKeys {
    /// The keys for `kind` ("provider" or "staff") logging in as `email` from `ip`.
    pub fn new(kind: &str, email: &str, ip: Option<&str>) -> Self {
        let email = bounded(email);
        Self {
            account: format!("account:{kind}:{email}"),
            budget: format!("hashes:{kind}:{email}"),
            client: format!("client:{kind}:{}", client_key(ip)),
        }
    }
}

/// The wait before the `over`th attempt past the free ones: 2, 4, 8 … seconds, capped.
fn delay(over: i64) -> i64 {
    let exponent = over.clamp(1, 20) as u32;
    2_i64.pow(exponent).min(MAX_DELAY_SECONDS)
}

/// One more on `key`'s count in this window (a new window starts it at 1): the count, when the
/// window started, and until when the key is braked.
async fn count_one(db: &Db, key: &str, at: i64) -> Result<(i64, i64, i64), sqlx::Error> {
    sqlx::query_as(
        "INSERT INTO login_attempts (key, failures, window_start, locked_until) VALUES ($1, 1, $2, 0) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN login_attempts.window_start < $3 THEN 1 ELSE login_attempts.failures + 1 END, \
           window_start = CASE WHEN login_attempts.window_start < $3 THEN $2 ELSE login_attempts.window_start END \
         RETURNING failures, window_start, locked_until",
    )
    .bind(key)
    .bind(at)
    .bind(at - WINDOW_SECONDS)
    .fetch_one(db.pool())
    .await
}

/// Counts one attempt on `key`; `Ok(())` if it may go ahead, else the seconds to wait.
async fn reserve(db: &Db, key: &str, free: i64) -> Result<Result<(), u64>, sqlx::Error> {
    let at = db.now();
    let (failures, _, locked_until) = count_one(db, key, at).await?;
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

/// Reserves an attempt on every key before the password is checked. Refused with how long to
/// wait when any key is braked.
pub async fn reserve_attempt(db: &Db, keys: &LoginKeys) -> Result<(), AppError> {
    let account = reserve(db, &keys.account, FREE_PER_ACCOUNT).await?;
    let client = reserve(db, &keys.client, FREE_PER_CLIENT).await?;
    let budget = reserve(db, &keys.budget, HASHES_PER_ACCOUNT).await?;
    match (account, client, budget) {
        (Ok(()), Ok(()), Ok(())) => Ok(()),
        (Err(wait), _, _) | (_, Err(wait), _) | (_, _, Err(wait)) => Err(AppError::RateLimited {
            retry_after_seconds: wait,
        }),
    }
}

/// Gives back the slots `reserve_attempt` took when the password could not be checked at all
/// (the hashing pool was full): a busy server is not a failed attempt.
pub async fn released(db: &Db, keys: &LoginKeys) -> Result<(), AppError> {
    for key in [&keys.account, &keys.client, &keys.budget] {
        give_back(db, key).await?;
    }
    Ok(())
}

/// Gives back what `reserve_attempt` took if `checked` says the pool was full, then hands
/// `checked` on.
pub async fn unless_busy<T>(
    db: &Db,
    keys: &LoginKeys,
    checked: Result<T, AppError>,
) -> Result<T, AppError> {
    if matches!(checked, Err(AppError::RateLimited { .. })) {
        released(db, keys).await?;
    }
    checked
}

/// Gives back one slot on `key`.
async fn give_back(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE login_attempts SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END WHERE key = $1",
    )
    .bind(key)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// After a successful login: the account starts afresh, and the client gets back the slot this
/// attempt reserved (its other failures still count).
pub async fn succeeded(db: &Db, keys: &LoginKeys) -> Result<(), AppError> {
    sqlx::query("DELETE FROM login_attempts WHERE key = $1")
        .bind(&keys.account)
        .execute(db.pool())
        .await?;
    give_back(db, &keys.client).await?;
    Ok(())
}

/// Emails one account can make us send in a window, and emails one address can receive in a
/// window, on request (a confirmation sent again, a change of email, a sign-up with a taken
/// address): enough for a real person, too few to use the app as a relay.
pub const MAILS_PER_WINDOW: i64 = 3;

/// Counts one requested email from `account_id` to `address`. `Ok(Err(wait))` once either has
/// had [`MAILS_PER_WINDOW`] in this window; the caller says so, or (where saying so would tell
/// who has an account) stays silent.
pub async fn reserve_mail(
    db: &Db,
    account_id: &str,
    address: &str,
) -> Result<Result<(), u64>, AppError> {
    let keys = [
        format!("mail:account:{account_id}"),
        format!("mail:to:{}", bounded(address)),
    ];
    let at = db.now();
    let mut wait = 0;
    for key in &keys {
        let (sent, window_start, _) = count_one(db, key, at).await?;
        if sent > MAILS_PER_WINDOW {
            wait = wait.max(window_start + WINDOW_SECONDS - at);
        }
    }
    Ok(if wait > 0 { Err(wait as u64) } else { Ok(()) })
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

    #[test]
    fn a_key_stays_short_whatever_the_email_typed() {
        let huge = "a".repeat(100_000);
        let keys = LoginKeys::new("provider", &huge, Some("203.0.113.7"));
        assert!(
            keys.account.len() < 100 && keys.budget.len() < 100,
            "{keys:?}"
        );
        let again = LoginKeys::new("provider", &huge.to_uppercase(), Some("203.0.113.7"));
        assert_eq!(
            keys.account, again.account,
            "the same input is the same key"
        );
    }
}
