//! Per-client request limits on the doors strangers can knock on without an account: sign-up,
//! log-in, the landing and headless connect (GCRA, from the `governor` crate), plus one cap for
//! all callers on the Hint calls headless connect can cause. Over a limit the answer is always
//! the same: 429, `Retry-After`, and `AppError::RateLimited` as JSON.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};

use super::client_ip::ClientIp;
use super::landing::landing_code;
use super::security::HEADLESS_PREFIX;
use crate::domain::AppError;
use crate::server::state::AppState;

/// The doors with a limit of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Door {
    SignUp,
    LogIn,
    Landing,
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
    fn check(&self, door: Door, ip: IpAddr) -> Result<(), Duration> {
        let clock = DefaultClock::default();
        self.per_client
            .check_key(&(door, ip))
            .map_err(|not_until| not_until.wait_time_from(clock.now()))?;
        if door == Door::Headless {
            self.headless_hint_calls
                .check()
                .map_err(|not_until| not_until.wait_time_from(clock.now()))?;
        }
        Ok(())
    }
}

/// Which limited door a request knocks on, if any.
fn door(state: &AppState, request: &Request) -> Option<Door> {
    let path = request.uri().path();
    match *request.method() {
        Method::POST if path == "/api/sign_up" => Some(Door::SignUp),
        Method::POST if path == "/api/log_in" || path == "/api/admin/log_in" => Some(Door::LogIn),
        Method::POST if path.starts_with(HEADLESS_PREFIX) => Some(Door::Headless),
        Method::GET | Method::HEAD
            if landing_code(&state.config.redirect_path, request.uri()).is_some() =>
        {
            Some(Door::Landing)
        }
        _ => None,
    }
}

/// The answer over a limit.
pub fn too_many(wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let error = AppError::RateLimited {
        retry_after_seconds: seconds.max(1),
    };
    let body = serde_json::to_string(&error).unwrap_or_default();
    (
        StatusCode::TOO_MANY_REQUESTS,
        [
            (header::RETRY_AFTER, seconds.max(1).to_string()),
            (header::CONTENT_TYPE, "application/json".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// Middleware: applies the limits before any work is done for the request.
pub async fn per_client(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(door) = door(&state, &request) {
        let ip = request
            .extensions()
            .get::<ClientIp>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |client| client.0);
        if let Err(wait) = state.limits.check(door, ip) {
            tracing::warn!(?door, "a client is over its request limit");
            return too_many(wait);
        }
    }
    next.run(request).await
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
