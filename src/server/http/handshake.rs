//! The handshake that opens an embedded surface (`POST /hint/handshake`): Hint signs it like a
//! webhook; the session it mints is `embedded_sessions`' work.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::webhooks::signed_by_hint;
use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::server::audit::{self, Entry};
use crate::server::embedded_sessions::{self, Handshake, Refused};
use crate::server::state::AppState;

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
    let outcome = match embedded_sessions::mint(&state, &handshake, &signature).await {
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
            // Hint's own staff are recorded as such.
            let support = handshake.access_context.as_deref().map(str::trim)
                == Some(crate::domain::embedded::SUPPORT_CONTEXT);
            let detail = support.then_some("Hint support session");
            audit::record(&state.db, entry(Outcome::Ok, detail)).await;
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
