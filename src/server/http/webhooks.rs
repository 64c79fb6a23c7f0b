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
use std::sync::atomic::{AtomicI64, Ordering};

use secrecy::ExposeSecret;
use serde_json::json;
use sha2::{Digest, Sha256};

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

/// The secrets `HINT_WEBHOOK_SECRET` holds: one, or during a rotation the current and the next,
/// separated by a comma. Each is accepted.
pub fn secrets(configured: &str) -> impl Iterator<Item = &str> {
    configured
        .split(',')
        .map(str::trim)
        .filter(|secret| !secret.is_empty())
}

/// The last four hex digits of a secret's SHA-256: enough to tell which secret is configured
/// (as Hint's template logs it), nothing to sign with.
pub fn fingerprint(secret: &str) -> String {
    let digest = hex::encode(Sha256::digest(secret.as_bytes()));
    digest[digest.len() - 4..].to_owned()
}

/// Checks `X-Hint-Signature` over `body` with each webhook secret; the MAC when one is right.
pub(super) fn signed_by_hint(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Vec<u8>> {
    let configured = state.webhook_secret.as_ref()?.expose_secret();
    let signature = headers
        .get("x-hint-signature")
        .and_then(|v| v.to_str().ok());
    let mac =
        secrets(configured).find_map(|secret| verified_mac(secret.as_bytes(), body, signature));
    if mac.is_none() && signature.is_some() {
        log_mismatch(configured, state.clock.now());
    }
    mac
}

/// Says which secrets were tried when a signature does not match, at most once a minute: a
/// wrong or rotated secret shows in the log without flooding it, and never the secret itself.
fn log_mismatch(configured: &str, now: i64) {
    static LAST: AtomicI64 = AtomicI64::new(i64::MIN);
    let last = LAST.load(Ordering::Relaxed);
    if now.saturating_sub(last) < 60
        || LAST
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    let fingerprints: Vec<String> = secrets(configured).map(fingerprint).collect();
    tracing::warn!(
        secrets = %fingerprints.join(","),
        "a Hint signature matched none of the configured HINT_WEBHOOK_SECRET (last four of each one's SHA-256)"
    );
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
    // Any age is accepted: Hint retries with the original body for 72 hours, and the id and
    // the event's order decide what it changes.
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
    fn a_rotation_holds_two_secrets_and_a_fingerprint_shows_neither() {
        assert_eq!(
            secrets(" old-secret , new-secret ").collect::<Vec<_>>(),
            ["old-secret", "new-secret"]
        );
        assert_eq!(secrets("only").count(), 1);
        let print = fingerprint("old-secret");
        assert_eq!(print.len(), 4);
        assert!(!"old-secret".contains(&print));
    }

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
