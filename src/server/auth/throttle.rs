//! Brakes on password guessing (the login throttle): failed logins are counted per client address and per email
//! in a sliding window, in memory (so per app instance; a shared limit would live in the
//! database or a proxy in front).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts allowed per key inside the window.
pub const MAX_FAILURES: usize = 10;
/// How far back failures count.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Above this many keys, stale ones are swept on the next call.
const SWEEP_ABOVE: usize = 10_000;

/// The keys a login attempt counts against: the client's address and the account's email
/// (`account` tells provider and staff logins apart).
pub fn login_keys(account: &str, ip: Option<&str>, email: &str) -> [String; 2] {
    [
        format!("ip:{}", ip.unwrap_or("unknown")),
        format!("{account}:{}", email.trim().to_lowercase()),
    ]
}

/// Counts failures per key.
#[derive(Debug, Default)]
pub struct FailureLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl FailureLimiter {
    /// Whether any of `keys` has used up its failures.
    pub fn is_blocked(&self, keys: &[impl AsRef<str>]) -> bool {
        let Ok(mut failures) = self.failures.lock() else {
            return false;
        };
        let now = Instant::now();
        keys.iter().any(|key| {
            failures.get_mut(key.as_ref()).is_some_and(|times| {
                times.retain(|at| now.duration_since(*at) < WINDOW);
                times.len() >= MAX_FAILURES
            })
        })
    }

    /// Records one failure against each of `keys`.
    pub fn record_failure(&self, keys: &[impl AsRef<str>]) {
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        let now = Instant::now();
        if failures.len() > SWEEP_ABOVE {
            failures.retain(|_, times| times.iter().any(|at| now.duration_since(*at) < WINDOW));
        }
        for key in keys {
            failures
                .entry(key.as_ref().to_owned())
                .or_default()
                .push(now);
        }
    }

    /// Forgets `keys`' failures (after a successful login).
    pub fn clear(&self, keys: &[impl AsRef<str>]) {
        if let Ok(mut failures) = self.failures.lock() {
            for key in keys {
                failures.remove(key.as_ref());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_blocked_after_too_many_failures_and_cleared_by_success() {
        let limiter = FailureLimiter::default();
        for _ in 0..MAX_FAILURES - 1 {
            limiter.record_failure(&["ip:1.2.3.4", "email:a@b.c"]);
        }
        assert!(!limiter.is_blocked(&["ip:1.2.3.4"]));
        limiter.record_failure(&["ip:1.2.3.4", "email:a@b.c"]);
        assert!(
            limiter.is_blocked(&["ip:9.9.9.9", "email:a@b.c"]),
            "either key blocks"
        );
        limiter.clear(&["ip:1.2.3.4", "email:a@b.c"]);
        assert!(!limiter.is_blocked(&["ip:1.2.3.4", "email:a@b.c"]));
    }
}
