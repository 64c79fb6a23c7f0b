//! What Hint sends our server directly: webhooks (`POST /hint/webhooks`), headless connect
//! (`POST /hint/connect/{code}`) and the handshake that opens an embedded surface
//! (`POST /hint/handshake`). HTTP only: the work is in `connections` and `hint_sessions`.
//!
//! A webhook's signature is checked here, over the raw bytes, in constant time, before anything
//! is parsed; `connections::hint_events` then applies each event id once. All work is a few small
//! queries, well inside Hint's ~10 s.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde_json::json;
use sha2::Sha256;

use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::connection::{AuthCode, ConnectionStatus};
use crate::server::audit::{self, Entry};
use crate::server::connections::exchange::{self, ExchangeActor};
use crate::server::connections::hint_events::{self, HintEvent};
use crate::server::connections::onboarding::landing;
use crate::server::hint_sessions::{self, Handshake, Refused};
use crate::server::state::AppState;

/// Whether `header` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under `secret`.
pub fn signature_is_valid(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_digest) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_digest) else {
        return false;
    };
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&expected).is_ok()
}

/// Checks `X-Hint-Signature` over `body` with the webhook secret; the signature when it is right.
fn signed_by_hint<'a>(state: &AppState, headers: &'a HeaderMap, body: &[u8]) -> Option<&'a str> {
    let secret = state.webhook_secret.as_ref()?;
    let signature = headers
        .get("x-hint-signature")
        .and_then(|v| v.to_str().ok());
    signature_is_valid(secret.expose_secret().as_bytes(), body, signature)
        .then_some(signature)
        .flatten()
}

/// `POST /hint/handshake`: Hint opens an embedded surface for one of its users. The signature is
/// checked before anything else; then a session key bound to the named practice is minted.
pub async fn handshake(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let refuse =
        |why: &str| (StatusCode::UNAUTHORIZED, Json(json!({ "error": why }))).into_response();
    let Some(signature) = signed_by_hint(&state, &headers, &body) else {
        tracing::warn!(
            has_signature = headers.contains_key("x-hint-signature"),
            "refused a handshake with a missing or wrong signature"
        );
        return refuse("bad signature");
    };
    let Ok(handshake) = serde_json::from_slice::<Handshake>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "not a handshake: it must name a user and a practice" })),
        )
            .into_response();
    };
    let outcome = match hint_sessions::mint(&state, &handshake, signature).await {
        Ok(outcome) => outcome,
        Err(_) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({ "error": "try again" })),
            )
                .into_response()
        }
    };
    let entry = |outcome, detail| Entry {
        actor_id: Some(handshake.user.id.as_str()),
        detail,
        ..Entry::new(ActorKind::Hint, AuditAction::HintHandshake, outcome)
    };
    match outcome {
        Ok(session_key) => {
            audit::record(&state.db, entry(Outcome::Ok, None)).await;
            Json(json!({ "session_key": session_key })).into_response()
        }
        Err(refused) => {
            tracing::warn!(?refused, "refused a signed handshake");
            let detail = match refused {
                Refused::Replayed => "replayed",
                Refused::Stale => "stale",
                Refused::Malformed => "malformed",
            };
            audit::record(&state.db, entry(Outcome::Denied, Some(detail))).await;
            refuse(detail)
        }
    }
}

/// `POST /hint/webhooks`
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (result, response) = receive_webhook(&state, &headers, &body).await;
    crate::server::metrics::webhook(result);
    response
}

fn answer(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}

/// The webhook's result (for metrics) and the answer to Hint.
async fn receive_webhook(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> (&'static str, Response) {
    if state.webhook_secret.is_none() {
        tracing::error!("a webhook arrived but no HINT_WEBHOOK_SECRET is configured");
        let response = answer(
            StatusCode::SERVICE_UNAVAILABLE,
            "webhooks are not configured",
        );
        return ("not_configured", response);
    }
    if signed_by_hint(state, headers, body).is_none() {
        tracing::warn!(
            has_signature = headers.contains_key("x-hint-signature"),
            "refused a webhook with a missing or wrong signature"
        );
        return (
            "bad_signature",
            answer(StatusCode::UNAUTHORIZED, "bad signature"),
        );
    }
    let Ok(event) = serde_json::from_slice::<HintEvent>(body) else {
        return (
            "malformed",
            answer(StatusCode::BAD_REQUEST, "not a webhook envelope"),
        );
    };
    if !event.is_fresh(
        state.clock.now(),
        state.settings.hint.webhook_max_age_seconds,
    ) {
        tracing::warn!(event_id = %event.id, "refused a webhook outside the freshness window");
        return (
            "stale",
            answer(StatusCode::BAD_REQUEST, "stale or undated event"),
        );
    }
    match hint_events::apply(state, &event).await {
        Ok(outcome) => (
            outcome.metric(),
            Json(json!({ "status": outcome.as_str() })).into_response(),
        ),
        Err(error) => {
            // A 5xx makes Hint deliver again later; the event id was not recorded.
            tracing::error!(%error, event_id = %event.id, "could not apply a webhook");
            (
                "error",
                answer(StatusCode::INTERNAL_SERVER_ERROR, "try again"),
            )
        }
    }
}

/// `POST /hint/connect/{code}`: Hint's headless install, server to server. The code is
/// exchanged with the same exactly-once machinery; the connection waits for a provider to claim it.
pub async fn headless_connect(State(state): State<AppState>, Path(raw): Path<String>) -> Response {
    if !state.settings.connect.headless_connect {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "status": 404, "message": "headless connect is off" })),
        )
            .into_response();
    }
    let Some(code) = AuthCode::parse(&raw) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "status": 400, "message": "malformed code" })),
        )
            .into_response();
    };
    let outcome = async {
        let id = landing::receive_code(&state, &code, None).await?;
        exchange::exchange(
            &state,
            &id,
            ExchangeActor::Hint,
            state.settings.connect.activate_on_exchange,
            None,
        )
        .await
    }
    .await;
    match outcome {
        Ok(summary)
            if matches!(
                summary.status,
                ConnectionStatus::Connected | ConnectionStatus::AwaitingActivation
            ) =>
        {
            Json(json!({ "status": summary.status.as_str() })).into_response()
        }
        Ok(summary) => {
            let message = summary.problem.map_or("not connected", |p| p.as_str());
            let status = if summary.status == ConnectionStatus::Failed {
                // A code Hint refused leaves nothing behind but its audit lines.
                if let Err(error) = landing::forget_refused(&state, &summary.id).await {
                    tracing::warn!(%error, "could not forget a refused headless code");
                }
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::BAD_GATEWAY
            };
            (
                status,
                Json(json!({ "status": status.as_u16(), "message": message })),
            )
                .into_response()
        }
        Err(error) => {
            let status = StatusCode::from_u16(error.status_code())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (
                status,
                Json(json!({ "status": status.as_u16(), "message": error.to_string() })),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_right_signature_over_the_exact_bytes_passes() {
        let body = br#"{"id":"evt-1"}"#;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"secret").expect("any key length");
        mac.update(body);
        let good = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert!(signature_is_valid(b"secret", body, Some(&good)));
        assert!(!signature_is_valid(b"other", body, Some(&good)));
        assert!(!signature_is_valid(
            b"secret",
            br#"{"id":"evt-2"}"#,
            Some(&good)
        ));
        assert!(!signature_is_valid(b"secret", body, None));
        assert!(!signature_is_valid(b"secret", body, Some("sha256=zz")));
        assert!(!signature_is_valid(
            b"secret",
            body,
            Some(good.trim_start_matches("sha256="))
        ));
    }
}
