//! Sandbox-only controls for tests and demos: faults, the clock, minting codes, what was sent.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::faults::Faults;
use super::SandboxState;

/// `GET /sandbox/admin/faults`
pub async fn get_faults(State(state): State<SandboxState>) -> Json<Faults> {
    Json(state.faults())
}

/// `PUT /sandbox/admin/faults`: replaces the fault settings (`{}` clears them).
pub async fn put_faults(
    State(state): State<SandboxState>,
    Json(faults): Json<Faults>,
) -> Json<Faults> {
    state.set_faults(faults.clone());
    Json(faults)
}

#[derive(Deserialize)]
pub struct Advance {
    advance_seconds: i64,
}

/// `POST /sandbox/admin/clock`: moves the sandbox's clock forward.
pub async fn advance_clock(
    State(state): State<SandboxState>,
    Json(advance): Json<Advance>,
) -> StatusCode {
    state.with_store(|store| store.advance_clock(advance.advance_seconds));
    // Retries due on the moved clock go now.
    state.webhooks.wake();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub struct MintRequest {
    practice_id: String,
    ttl_seconds: Option<u64>,
}

/// `POST /sandbox/admin/codes`: a fresh code, without the browser round trip.
pub async fn mint_code(
    State(state): State<SandboxState>,
    Json(request): Json<MintRequest>,
) -> Response {
    let ttl = request.ttl_seconds.map(Duration::from_secs);
    match state.with_store(|store| store.mint_code(&request.practice_id, ttl)) {
        Some(code) => {
            state.record_secret(&code);
            let redirect = format!("{}{code}", state.redirect_url);
            Json(json!({ "code": code, "redirect_url": redirect })).into_response()
        }
        None => (StatusCode::NOT_FOUND, "No such practice in the sandbox").into_response(),
    }
}

#[derive(Deserialize)]
pub struct AddPractices {
    count: usize,
}

/// Practices one call may add: enough for a long load test, bounded like every request.
const MAX_ADDED_PRACTICES: usize = 100_000;

/// `POST /sandbox/admin/practices` with `{"count": n}`: adds `n` new practices and answers one
/// fresh code for each (`{"codes": [...]}`), so a load test can drive `n` distinct installs.
pub async fn add_practices(
    State(state): State<SandboxState>,
    Json(request): Json<AddPractices>,
) -> Response {
    if request.count > MAX_ADDED_PRACTICES {
        return (
            StatusCode::BAD_REQUEST,
            format!("count is at most {MAX_ADDED_PRACTICES}"),
        )
            .into_response();
    }
    let codes: Vec<String> = state.with_store(|store| {
        let ids = store.add_practices(request.count);
        ids.iter()
            .filter_map(|id| store.mint_code(id, None))
            .collect()
    });
    for code in &codes {
        state.record_secret(code);
    }
    Json(json!({ "codes": codes })).into_response()
}

/// `GET /sandbox/admin/deliveries`: every webhook delivery so far.
pub async fn deliveries(State(state): State<SandboxState>) -> Response {
    Json(state.webhooks.deliveries()).into_response()
}

/// `GET /sandbox/admin/stats`: how many token exchanges reached Hint's handler, and how many
/// API requests arrived at all (faulted ones included).
pub async fn stats(State(state): State<SandboxState>) -> Response {
    Json(json!({ "token_requests": state.token_requests(), "api_requests": state.api_requests() }))
        .into_response()
}
