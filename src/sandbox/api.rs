//! Hint's API as the sandbox speaks it: the token exchange, integrations, the practice profile.
//! Errors use Hint's body, `{"status": <code>, "message": "<text>"}`.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use super::store::{ApiKey, CodeError, Exchanged, HintUser, Integration, Practice};
use super::SandboxState;

/// Hint's error answer.
pub fn hint_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({ "status": status.as_u16(), "message": message })),
    )
        .into_response()
}

/// The bearer token (or Basic user name) a request carries.
fn credential(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    if let Some(token) = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
    {
        return Some(token.trim().to_owned());
    }
    // Older docs: HTTP Basic with the key as the user name and an empty password.
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, _password) = decoded.split_once(':').unwrap_or((&decoded, ""));
    Some(user.to_owned())
}

impl SandboxState {
    fn is_partner_key(&self, candidate: &str) -> bool {
        let expected = self.partner_key.expose_secret().as_bytes();
        bool::from(candidate.as_bytes().ct_eq(expected))
    }

    /// `None` when the partner key is right; Hint's 401 otherwise.
    pub(super) fn require_partner(&self, headers: &HeaderMap) -> Option<Response> {
        match credential(headers) {
            Some(key) if self.is_partner_key(&key) => None,
            _ => Some(hint_error(
                StatusCode::UNAUTHORIZED,
                "Unauthorized: invalid or missing partner API key",
            )),
        }
    }
}

fn iso(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn user_json(user: &Option<HintUser>) -> Value {
    user.as_ref().map_or(
        Value::Null,
        |u| json!({ "id": u.id, "name": u.name, "email": u.email }),
    )
}

/// An integration as `GET /api/integrations/{id}` shows it (no access token).
pub fn integration_json(
    state: &SandboxState,
    integration: &Integration,
    practice_name: &str,
) -> Value {
    let product = state.product.clone();
    json!({
        "id": integration.id,
        "status": integration.status,
        "practice": { "id": integration.practice_id, "name": practice_name },
        "product": product,
        "activated_by": user_json(&integration.activated_by),
        "created_at": iso(integration.created_at),
        "updated_at": iso(integration.updated_at),
    })
}

pub(super) fn key_json(key: &ApiKey) -> Value {
    json!({
        "token": key.token,
        "description": key.description,
        "last_used_at": key.last_used_at.map(iso),
        "deactivated_at": key.deactivated_at.map(iso),
    })
}

fn token_json(state: &SandboxState, exchanged: &Exchanged) -> Value {
    let mut body = integration_json(state, &exchanged.integration, &exchanged.practice.name);
    if let Value::Object(fields) = &mut body {
        fields.insert("token_type".into(), json!("bearer"));
        fields.insert("access_token".into(), json!(exchanged.key.token));
        fields.insert("refresh_token".into(), Value::Null);
        fields.insert("expires_in".into(), Value::Null);
        fields.insert(
            "api_keys".into(),
            exchanged.keys.iter().map(key_json).collect(),
        );
    }
    body
}

#[derive(Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    code: Option<String>,
    activate: Option<bool>,
}

/// `POST /api/oauth/tokens`
pub async fn exchange_code(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.count_token_request();
    if let Some(denied) = state.require_partner(&headers) {
        return denied;
    }
    let Ok(request) = serde_json::from_slice::<TokenRequest>(&body) else {
        return hint_error(StatusCode::BAD_REQUEST, "Request body must be JSON");
    };
    if request.grant_type.as_deref() != Some("authorization_code") {
        return hint_error(
            StatusCode::BAD_REQUEST,
            "grant_type must be authorization_code",
        );
    }
    let Some(code) = request.code.filter(|c| !c.trim().is_empty()) else {
        return hint_error(StatusCode::BAD_REQUEST, "code is required");
    };
    let outcome = state.with_store(|store| store.exchange(&code, request.activate.unwrap_or(true)));
    match outcome {
        Ok(exchanged) => {
            state.record_secret(&exchanged.key.token);
            if exchanged.activated {
                state.emit("integration.activated", &exchanged.integration);
            }
            Json(token_json(&state, &exchanged)).into_response()
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

#[derive(Deserialize)]
pub struct Page {
    limit: Option<usize>,
    offset: Option<usize>,
}

/// `GET /api/integrations`: a bare array, the total in `X-Total-Count`.
pub async fn list_integrations(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    Query(page): Query<Page>,
) -> Response {
    if let Some(denied) = state.require_partner(&headers) {
        return denied;
    }
    let limit = page.limit.unwrap_or(10).clamp(1, 100);
    let offset = page.offset.unwrap_or(0);
    let (items, total) = state.with_store(|store| {
        let (items, total) = store.integrations(limit, offset);
        let named: Vec<(Integration, String)> = items
            .into_iter()
            .map(|i| {
                let name = store
                    .practice(&i.practice_id)
                    .map(|p| p.name.clone())
                    .unwrap_or_default();
                (i, name)
            })
            .collect();
        (named, total)
    });
    let body: Vec<Value> = items
        .iter()
        .map(|(i, name)| integration_json(&state, i, name))
        .collect();
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert("x-total-count", HeaderValue::from(total));
    response
}

/// `GET /api/integrations/{id}`
pub async fn show_integration(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(denied) = state.require_partner(&headers) {
        return denied;
    }
    match state.integration_named(&id) {
        Some((integration, name)) => {
            Json(integration_json(&state, &integration, &name)).into_response()
        }
        None => hint_error(StatusCode::NOT_FOUND, "Integration not found"),
    }
}

/// `POST /api/integrations/{id}/activate`
pub async fn activate(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(denied) = state.require_partner(&headers) {
        return denied;
    }
    state.change_integration(&id, true)
}

/// `POST /api/integrations/{id}/deactivate`
pub async fn deactivate(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(denied) = state.require_partner(&headers) {
        return denied;
    }
    state.change_integration(&id, false)
}

impl SandboxState {
    /// Integration `id` and its practice's name.
    pub(super) fn integration_named(&self, id: &str) -> Option<(Integration, String)> {
        self.with_store(|store| {
            let integration = store.integration(id)?.clone();
            let name = store
                .practice(&integration.practice_id)
                .map(|p| p.name.clone())
                .unwrap_or_default();
            Some((integration, name))
        })
    }

    /// Activates or deactivates, emits the webhook on a real change, answers the integration.
    pub fn change_integration(&self, id: &str, activate: bool) -> Response {
        match self.changed_integration(id, activate) {
            Some((integration, name)) => {
                Json(integration_json(self, &integration, &name)).into_response()
            }
            None => hint_error(StatusCode::NOT_FOUND, "Integration not found"),
        }
    }

    /// Activates or deactivates integration `id`, emitting the webhook on a real change; the
    /// integration and its practice's name, or `None` when there is no such integration.
    pub(super) fn changed_integration(
        &self,
        id: &str,
        activate: bool,
    ) -> Option<(Integration, String)> {
        let changed = self.with_store(|store| {
            let (integration, change) = if activate {
                store.activate(id)?
            } else {
                store.deactivate(id)?
            };
            let name = store
                .practice(&integration.practice_id)
                .map(|p| p.name.clone())
                .unwrap_or_default();
            Some((integration, change, name))
        });
        let (integration, change, name) = changed?;
        if change.is_some() {
            let kind = if activate {
                "integration.activated"
            } else {
                "integration.deactivated"
            };
            self.emit(kind, &integration);
        }
        Some((integration, name))
    }
}

fn practice_json(practice: &Practice, integration_id: &str) -> Value {
    json!({
        "id": practice.id,
        "name": practice.name,
        "email": practice.email,
        "url": practice.url,
        "logo_url": practice.logo_url,
        "address_line1": practice.address_line1,
        "address_line2": practice.address_line2,
        "address_city": practice.address_city,
        "address_state": practice.address_state,
        "address_zip": practice.address_zip,
        "address_country": practice.address_country,
        "phones": practice.phones,
        "integration_record_id": integration_id,
    })
}

/// `GET /api/provider/practice`: needs a live practice key; the partner key gets 428.
pub async fn provider_practice(State(state): State<SandboxState>, headers: HeaderMap) -> Response {
    let Some(key) = credential(&headers) else {
        return hint_error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: missing practice API key",
        );
    };
    if state.is_partner_key(&key) {
        return hint_error(
            StatusCode::PRECONDITION_REQUIRED,
            "This endpoint needs a practice API key, not the partner API key",
        );
    }
    match state.with_store(|store| store.practice_for_key(&key)) {
        Ok((practice, integration_id)) => {
            Json(practice_json(&practice, &integration_id)).into_response()
        }
        Err(_) => hint_error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: invalid or deactivated practice API key",
        ),
    }
}

/// Any other `/api/…` path.
pub async fn not_found() -> Response {
    hint_error(StatusCode::NOT_FOUND, "Not found")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn bearer_and_basic_credentials_are_both_read() {
        assert_eq!(credential(&headers("Bearer abc")).as_deref(), Some("abc"));
        let basic = base64::engine::general_purpose::STANDARD.encode("abc:");
        assert_eq!(
            credential(&headers(&format!("Basic {basic}"))).as_deref(),
            Some("abc")
        );
        assert_eq!(credential(&HeaderMap::new()), None);
    }

    #[test]
    fn timestamps_are_iso_8601() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
    }
}
