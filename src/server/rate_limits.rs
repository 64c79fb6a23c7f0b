//! Per-client request limits (GCRA, from the `governor` crate) on the doors strangers can knock
//! on without an account, and one cap for all callers on the calls to Hint's token endpoint that
//! others can cause: headless installs (each client gets a share of it first, so one client
//! cannot use it all) and the confirmation page's preview (each account gets a share first).
//! In memory, per instance; `http::limits` applies them to requests.

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
    /// Every request that checks a password: provider and staff log-in, the account's changes
    /// of password and email, a staff step-up.
    Password,
    /// A landing with a code.
    Landing,
    /// Hint's headless connect.
    Headless,
    /// A call to the service API with a token that is not a live one.
    ServiceToken,
}

/// The limiters, shared by every request of one instance.
#[derive(Debug)]
pub struct Limits {
    per_client: DefaultKeyedRateLimiter<(Door, IpAddr)>,
    /// Each client's share of the Hint calls, for headless installs.
    headless_share: DefaultKeyedRateLimiter<IpAddr>,
    /// Each account's share of the Hint calls, for previews.
    preview_share: DefaultKeyedRateLimiter<String>,
    /// The Hint calls, everyone together.
    hint_calls: DefaultDirectRateLimiter,
    /// Each service token's calls to the service API.
    service: DefaultKeyedRateLimiter<String>,
}

/// The part of `ip` that limits key on: an IPv4 address, or an IPv6 address's /64 (one
/// subscriber usually holds a whole /64, so a client cannot step around a limit by changing
/// the low bits).
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        v4 => v4,
    }
}

fn per_minute(count: u32) -> Quota {
    let count = NonZeroU32::new(count.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new((count.get() / 4).max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(count).allow_burst(burst)
}

impl Limits {
    /// `per_client` requests a minute per door and client; `hint_calls` calls to Hint a minute
    /// in all, a quarter of them for any one client or account; `per_token` calls a minute to
    /// the service API for each service token.
    pub fn new(per_client: u32, hint_calls: u32, per_token: u32) -> Self {
        // A quarter of the rate, and half of the cap's burst: a burst from one caller never
        // empties the cap.
        let share =
            Quota::per_minute(NonZeroU32::new((hint_calls / 4).max(1)).unwrap_or(NonZeroU32::MIN))
                .allow_burst(NonZeroU32::new((hint_calls / 8).max(1)).unwrap_or(NonZeroU32::MIN));
        Self {
            per_client: DefaultKeyedRateLimiter::keyed(per_minute(per_client)),
            headless_share: DefaultKeyedRateLimiter::keyed(share),
            preview_share: DefaultKeyedRateLimiter::keyed(share),
            hint_calls: DefaultDirectRateLimiter::direct(per_minute(hint_calls)),
            service: DefaultKeyedRateLimiter::keyed(per_minute(per_token)),
        }
    }

    /// Forgets clients whose allowance is full again (housekeeping; the map only grows
    /// otherwise).
    pub fn forget_idle(&self) {
        self.per_client.retain_recent();
        self.headless_share.retain_recent();
        self.preview_share.retain_recent();
        self.service.retain_recent();
    }

    /// `Err(wait)` when `door` is over its limit for `ip`.
    pub fn check(&self, door: Door, ip: IpAddr) -> Result<(), Duration> {
        // The limiters' own clock: making a new one calibrates it, which cost about 1% of a
        // landing's CPU time when it was done on every request.
        let now = || self.per_client.clock().now();
        let ip = limit_key(ip);
        self.per_client
            .check_key(&(door, ip))
            .map_err(|not_until| not_until.wait_time_from(now()))?;
        if door == Door::Headless {
            self.headless_share
                .check_key(&ip)
                .map_err(|not_until| not_until.wait_time_from(now()))?;
            self.hint_calls
                .check()
                .map_err(|not_until| not_until.wait_time_from(now()))?;
        }
        Ok(())
    }

    /// `Err(wait)` when the service token `token` (its id) is over its limit.
    pub fn check_service(&self, token: &str) -> Result<(), Duration> {
        let now = || self.per_client.clock().now();
        self.service
            .check_key(&token.to_owned())
            .map_err(|not_until| not_until.wait_time_from(now()))
    }

    /// `Err(wait)` when a preview for `account` (a provider's id) would go over the account's
    /// share or everyone's cap of Hint calls.
    pub fn check_preview(&self, account: &str) -> Result<(), Duration> {
        let now = || self.per_client.clock().now();
        self.preview_share
            .check_key(&account.to_owned())
            .map_err(|not_until| not_until.wait_time_from(now()))?;
        self.hint_calls
            .check()
            .map_err(|not_until| not_until.wait_time_from(now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_client_over_its_limit_waits_and_others_do_not() {
        let limits = Limits::new(8, 100, 600);
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
            limits.check(Door::Password, one).is_ok(),
            "each door counts apart"
        );
    }

    #[test]
    fn headless_calls_are_capped_for_everyone_together() {
        let limits = Limits::new(1000, 16, 600);
        let allowed = (0..10u8)
            .filter(|i| {
                limits
                    .check(Door::Headless, IpAddr::from([192, 0, 2, *i]))
                    .is_ok()
            })
            .count();
        assert_eq!(allowed, 4, "a burst of a quarter of 16");
    }

    #[test]
    fn one_client_gets_only_its_share_of_the_headless_calls() {
        let limits = Limits::new(1000, 64, 600);
        let greedy = IpAddr::from([203, 0, 113, 1]);
        let taken = (0..100)
            .filter(|_| limits.check(Door::Headless, greedy).is_ok())
            .count();
        assert_eq!(taken, 8, "half of the cap's burst of 16");
        assert!(
            limits
                .check(Door::Headless, IpAddr::from([198, 51, 100, 7]))
                .is_ok(),
            "Hint's own calls still get through"
        );
    }

    #[test]
    fn previews_have_a_share_per_account_and_one_cap_with_headless() {
        let limits = Limits::new(1000, 16, 600);
        let previews = (0..10)
            .filter(|_| limits.check_preview("usr_a").is_ok())
            .count();
        assert_eq!(previews, 2, "half of the cap's burst of 4");
        assert!(
            limits.check_preview("usr_b").is_ok(),
            "another account has its own share"
        );
        // Three of the cap's burst of 4 are spent; headless calls share what is left.
        let headless = (0..10u8)
            .filter(|i| {
                limits
                    .check(Door::Headless, IpAddr::from([192, 0, 2, *i]))
                    .is_ok()
            })
            .count();
        assert_eq!(headless, 1);
    }

    #[test]
    fn ipv6_clients_are_limited_per_64() {
        assert_eq!(
            limit_key(addr("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            limit_key(addr("2001:db8:1:2::1"))
        );
        assert_ne!(
            limit_key(addr("2001:db8:1:2::1")),
            limit_key(addr("2001:db8:1:3::1"))
        );
        assert_eq!(limit_key(addr("192.0.2.1")), addr("192.0.2.1"));
    }
}
