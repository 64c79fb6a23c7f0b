//! Hint's webhooks (`POST /hint/webhooks`), HTTP only: the work is in `connections::webhooks`.
//!
//! A webhook's signature is checked here, over the raw bytes, in constant time, before anything
//! is parsed; `connections::webhooks` then applies each event id once. All work is a few small
//! queries, well inside Hint's ~10 s. The handshake (`http::handshake`) is signed the same way.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde_json::json;
use sha2::Sha256;

use crate::server::connections::webhooks::{self, HintEvent};
use crate::server::state::AppState;

/// The MAC `header` (`sha256=<hex>`) carries, if it is the HMAC-SHA256 of `body` under
/// `secret`. The bytes, not the text: `ABCD` and `abcd` are one signature.
pub fn verified_mac(secret: &[u8], body: &[u8], header: Option<&str>) -> Option<Vec<u8>> {
    let hex_digest = header?.trim().strip_prefix("sha256=")?;
    let expected = hex::decode(hex_digest).ok()?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).ok()?;
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&expected).is_ok().then_some(expected)
}

/// Whether `header` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under `secret`.
pub fn signature_is_valid(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    verified_mac(secret, body, header).is_some()
}

/// Checks `X-Hint-Signature` over `body` with the webhook secret; the MAC when it is right.
pub(super) fn signed_by_hint(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Vec<u8>> {
    let secret = state.webhook_secret.as_ref()?;
    let signature = headers
        .get("x-hint-signature")
        .and_then(|v| v.to_str().ok());
    verified_mac(secret.expose_secret().as_bytes(), body, signature)
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
    match webhooks::apply(state, &event).await {
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
        // Upper-case hex is the same MAC, and is read as the same bytes.
        let upper = format!("sha256={}", good["sha256=".len()..].to_uppercase());
        assert_eq!(
            verified_mac(b"secret", body, Some(&upper)),
            verified_mac(b"secret", body, Some(&good))
        );
    }
}
