//! Applies `rate_limits` to requests: which door a request knocks on, and the answer over a
//! limit, always the same: 429, `Retry-After`, and `AppError::RateLimited` as JSON.

use std::net::IpAddr;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::client_ip::ClientIp;
use super::onboarding::landing_code;
use crate::domain::urls::HEADLESS_PREFIX;
use crate::domain::AppError;
use crate::server::rate_limits::Door;
use crate::server::state::AppState;

/// Which limited door a request knocks on, if any.
fn door(state: &AppState, request: &Request) -> Option<Door> {
    let path = request.uri().path();
    match *request.method() {
        // Everything that sends an email or spends a hash without a login shares sign-up's door.
        Method::POST
            if matches!(
                path,
                "/api/sign_up"
                    | "/api/forgot_password"
                    | "/api/reset_password"
                    | "/api/staff/welcome"
            ) =>
        {
            Some(Door::SignUp)
        }
        Method::POST
            if matches!(
                path,
                "/api/log_in"
                    | "/api/staff/log_in"
                    | "/api/account/password"
                    | "/api/account/email"
                    | "/api/staff/step_up"
            ) =>
        {
            Some(Door::Password)
        }
        Method::POST if path.starts_with(HEADLESS_PREFIX) => Some(Door::Headless),
        Method::GET | Method::HEAD
            if landing_code(&state.settings.connect.redirect_path, request.uri()).is_some() =>
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

/// The service API's answer over a limit: the same status and `Retry-After`, as problem+json.
pub fn too_many_problem(wait: Duration) -> Response {
    let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    let body = serde_json::json!({
        "type": "urn:practice-connect:problem:rate-limited",
        "title": "Too many requests",
        "status": 429,
        "detail": format!("Over this token's (or this address's) limit: try again in {seconds} s."),
    });
    (
        StatusCode::TOO_MANY_REQUESTS,
        [
            (header::RETRY_AFTER, seconds.to_string()),
            (header::CONTENT_TYPE, "application/problem+json".to_owned()),
        ],
        body.to_string(),
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
