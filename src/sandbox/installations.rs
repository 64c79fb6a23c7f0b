//! Hint's newer marketplace endpoints, as the sandbox speaks them: installations instead of
//! integrations. `POST /api/partner/installations/connect` exchanges a code like
//! `/api/oauth/tokens`, and an installation can be read, activated and deactivated. Every call
//! needs `Hint-Version: marketplace_endpoints`. An installation is the sandbox's integration under
//! another id (`inst-…` for `int-…`) and other status words.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{hint_error, key_json};
use super::store::{CodeError, Integration};
use super::SandboxState;

/// The version header these endpoints want.
const VERSION: (&str, &str) = ("hint-version", "marketplace_endpoints");

/// `inst-…` for the sandbox's `int-…`.
fn installation_id(integration_id: &str) -> String {
    format!("inst-{}", integration_id.trim_start_matches("int-"))
}

/// The sandbox's `int-…` for `inst-…`.
fn integration_id(installation_id: &str) -> String {
    format!("int-{}", installation_id.trim_start_matches("inst-"))
}

/// The installation's status word for the integration's.
fn status(integration: &Integration) -> &'static str {
    match integration.status.as_str() {
        "connected" => "active",
        "inactive" => "deactivated",
        _ => "pending",
    }
}

fn installation_json(
    state: &SandboxState,
    integration: &Integration,
    practice_name: &str,
    keys: Option<Value>,
) -> Value {
    json!({
        "id": installation_id(&integration.id),
        "status": status(integration),
        "practice": { "id": integration.practice_id, "name": practice_name },
        "product": state.product,
        "api_keys": keys.unwrap_or_else(|| json!([])),
    })
}

/// `None` when the partner key and the version header are right; Hint's error otherwise.
fn refused(state: &SandboxState, headers: &HeaderMap) -> Option<Response> {
    if let Some(denied) = state.require_partner(headers) {
        return Some(denied);
    }
    let versioned = headers
        .get(VERSION.0)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value == VERSION.1);
    (!versioned).then(|| {
        hint_error(
            StatusCode::BAD_REQUEST,
            "Hint-Version: marketplace_endpoints is required",
        )
    })
}

#[derive(Deserialize)]
struct ConnectRequest {
    code: Option<String>,
    activate: Option<bool>,
}

/// `POST /api/partner/installations/connect`
pub async fn connect(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.count_token_request();
    if let Some(denied) = refused(&state, &headers) {
        return denied;
    }
    let Ok(request) = serde_json::from_slice::<ConnectRequest>(&body) else {
        return hint_error(StatusCode::BAD_REQUEST, "Request body must be JSON");
    };
    let Some(code) = request.code.filter(|c| !c.trim().is_empty()) else {
        return hint_error(StatusCode::BAD_REQUEST, "code is required");
    };
    match state.with_store(|store| store.exchange(&code, request.activate.unwrap_or(true))) {
        Ok(exchanged) => {
            state.record_secret(&exchanged.key.token);
            if exchanged.activated {
                state.emit("integration.activated", &exchanged.integration);
            }
            let keys: Value = exchanged.keys.iter().map(key_json).collect();
            Json(installation_json(
                &state,
                &exchanged.integration,
                &exchanged.practice.name,
                Some(keys),
            ))
            .into_response()
        }
        Err(CodeError::Unknown) => {
            hint_error(StatusCode::NOT_FOUND, "Authorization code not found")
        }
        Err(CodeError::Used) => {
            hint_error(StatusCode::GONE, "Authorization code has already been used")
        }
        Err(CodeError::Expired) => hint_error(StatusCode::GONE, "Authorization code has expired"),
    }
}

/// `GET /api/partner/installations/{id}`
pub async fn show(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(denied) = refused(&state, &headers) {
        return denied;
    }
    match state.integration_named(&integration_id(&id)) {
        Some((integration, name)) => {
            Json(installation_json(&state, &integration, &name, None)).into_response()
        }
        None => hint_error(StatusCode::NOT_FOUND, "Installation not found"),
    }
}

/// `POST /api/partner/installations/{id}/activate`
pub async fn activate(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    change(&state, &headers, &id, true)
}

/// `POST /api/partner/installations/{id}/deactivate`
pub async fn deactivate(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    change(&state, &headers, &id, false)
}

fn change(state: &SandboxState, headers: &HeaderMap, id: &str, activate: bool) -> Response {
    if let Some(denied) = refused(state, headers) {
        return denied;
    }
    match state.changed_integration(&integration_id(id), activate) {
        Some((integration, name)) => {
            Json(installation_json(state, &integration, &name, None)).into_response()
        }
        None => hint_error(StatusCode::NOT_FOUND, "Installation not found"),
    }
}
