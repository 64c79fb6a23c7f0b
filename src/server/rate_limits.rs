//! Per-client request limits (GCRA, from the `governor` crate) on the doors strangers can knock
//! on without an account, and one cap for all callers on the Hint calls headless connect can
//! cause. In memory, per instance; `http::limits` applies them to requests.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};

/// The doors with a limit of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Door {
    /// `POST /api/sign_up`.
    SignUp,
    /// Provider and staff log-in.
    LogIn,
    /// A landing with a code.
    Landing,
    /// Hint's headless connect.
    Headless,
}

/// The limiters, shared by every request of one instance.
#[derive(Debug)]
pub struct Limits {
    per_client: DefaultKeyedRateLimiter<(Door, IpAddr)>,
    headless_hint_calls: DefaultDirectRateLimiter,
}

fn per_minute(count: u32) -> Quota {
    let count = NonZeroU32::new(count.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new((count.get() / 4).max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(count).allow_burst(burst)
}

impl Limits {
    /// `per_client` requests a minute per door and client; `headless_hint_calls` a minute in all.
    pub fn new(per_client: u32, headless_hint_calls: u32) -> Self {
        Self {
            per_client: DefaultKeyedRateLimiter::keyed(per_minute(per_client)),
            headless_hint_calls: DefaultDirectRateLimiter::direct(per_minute(headless_hint_calls)),
        }
    }

    /// Forgets clients whose allowance is full again (housekeeping; the map only grows
    /// otherwise).
    pub fn forget_idle(&self) {
        self.per_client.retain_recent();
    }

    /// `Err(wait)` when `door` is over its limit for `ip`.
    pub fn check(&self, door: Door, ip: IpAddr) -> Result<(), Duration> {
        // The limiters' own clock: making a new one calibrates it, which cost about 1% of a
        // landing's CPU time when it was done on every request.
        let now = || self.per_client.clock().now();
        self.per_client
            .check_key(&(door, ip))
            .map_err(|not_until| not_until.wait_time_from(now()))?;
        if door == Door::Headless {
            self.headless_hint_calls
                .check()
                .map_err(|not_until| not_until.wait_time_from(now()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_over_its_limit_waits_and_others_do_not() {
        let limits = Limits::new(8, 100);
        let (one, two) = (IpAddr::from([192, 0, 2, 1]), IpAddr::from([192, 0, 2, 2]));
        let allowed = (0..10)
            .filter(|_| limits.check(Door::SignUp, one).is_ok())
            .count();
        assert_eq!(allowed, 2, "a burst of a quarter of the minute's allowance");
        assert!(limits.check(Door::SignUp, one).unwrap_err() > Duration::ZERO);
        assert!(
            limits.check(Door::SignUp, two).is_ok(),
            "another client is not affected"
        );
        assert!(
            limits.check(Door::LogIn, one).is_ok(),
            "each door counts apart"
        );
    }

    #[test]
    fn headless_calls_are_capped_for_everyone_together() {
        let limits = Limits::new(1000, 4);
        let allowed = (0..10u8)
            .filter(|i| {
                limits
                    .check(Door::Headless, IpAddr::from([192, 0, 2, *i]))
                    .is_ok()
            })
            .count();
        assert_eq!(allowed, 1, "a burst of a quarter of 4");
    }
}
