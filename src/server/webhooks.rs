//! Hint's webhooks (`POST /hint/webhooks`) and headless connect (`POST /hint/connect/{code}`).
//!
//! A webhook's signature is checked over the raw bytes, in constant time, before anything is
//! parsed; each event id is applied once (deliveries repeat); unknown types are acknowledged and
//! ignored. All work is a few small queries, well inside Hint's ~10 s.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;
use sqlx::Row;

use super::audit::{self, ActorKind, Entry, Outcome};
use super::connect::{self, ExchangeActor};
use super::db::now;
use super::state::AppState;
use crate::domain::connection::{AuthCode, ConnectionStatus};

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

#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    practice_id: Option<String>,
    #[serde(default)]
    object: Value,
}

/// `POST /hint/webhooks`
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = state.webhook_secret.as_ref() else {
        tracing::error!("a webhook arrived but no HINT_WEBHOOK_SECRET is configured");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "error": "webhooks are not configured" })),
        )
            .into_response();
    };
    let signature = headers
        .get("x-hint-signature")
        .and_then(|v| v.to_str().ok());
    if !signature_is_valid(secret.expose_secret().as_bytes(), &body, signature) {
        tracing::warn!(
            has_signature = signature.is_some(),
            "refused a webhook with a missing or wrong signature"
        );
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "bad signature" })),
        )
            .into_response();
    }
    let Ok(event) = serde_json::from_slice::<Envelope>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "not a webhook envelope" })),
        )
            .into_response();
    };
    match apply(&state, &event).await {
        Ok(outcome) => Json(json!({ "status": outcome })).into_response(),
        Err(error) => {
            // A 5xx makes Hint deliver again later; the event id was not recorded.
            tracing::error!(%error, event_id = %event.id, "could not apply a webhook");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({ "error": "try again" })),
            )
                .into_response()
        }
    }
}

async fn apply(state: &AppState, event: &Envelope) -> Result<&'static str, sqlx::Error> {
    let mut tx = state.db.pool().begin().await?;
    let fresh = sqlx::query("INSERT INTO webhook_events (id, type, received_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING")
        .bind(&event.id)
        .bind(&event.kind)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    if fresh.rows_affected() == 0 {
        return Ok("duplicate");
    }
    let integration_id = event.object.get("id").and_then(Value::as_str);
    let hint_status = event.object.get("status").and_then(Value::as_str);
    let practice_id = event.practice_id.as_deref().or_else(|| {
        event
            .object
            .get("practice")
            .and_then(|p| p.get("id"))
            .and_then(Value::as_str)
    });
    let at = now();
    let rows = match event.kind.as_str() {
        "integration.activated" | "integration.deactivated" => {
            let status = if event.kind == "integration.activated" {
                ConnectionStatus::Connected
            } else {
                ConnectionStatus::Disconnected
            };
            sqlx::query(
                "UPDATE connections SET status = $1, hint_status = COALESCE($2, hint_status), updated_at = $3 \
                 WHERE integration_id = $4 AND merged_into IS NULL RETURNING id",
            )
            .bind(status.as_str())
            .bind(hint_status)
            .bind(at)
            .bind(integration_id)
            .fetch_all(&mut *tx)
            .await?
        }
        "practice.updated" => sqlx::query(
            "UPDATE connections SET practice_name = COALESCE($1, practice_name), updated_at = $2 \
                 WHERE practice_id = $3 AND merged_into IS NULL RETURNING id",
        )
        .bind(event.object.get("name").and_then(Value::as_str))
        .bind(at)
        .bind(practice_id)
        .fetch_all(&mut *tx)
        .await?,
        "practice.deactivated" => {
            sqlx::query(
                "UPDATE connections SET status = $1, updated_at = $2 \
                 WHERE practice_id = $3 AND merged_into IS NULL RETURNING id",
            )
            .bind(ConnectionStatus::Disconnected.as_str())
            .bind(at)
            .bind(practice_id)
            .fetch_all(&mut *tx)
            .await?
        }
        _ => {
            tx.commit().await?;
            return Ok("ignored");
        }
    };
    let ids: Vec<String> = rows
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<Result<_, _>>()?;
    tx.commit().await?;
    let action = format!("webhook_{}", event.kind.replace('.', "_"));
    for id in &ids {
        let entry = Entry {
            connection_id: Some(id),
            detail: Some(&event.id),
            ..Entry::new(ActorKind::Hint, &action, Outcome::Ok)
        };
        audit::record(&state.db, entry).await;
    }
    Ok(if ids.is_empty() {
        "no matching connection"
    } else {
        "applied"
    })
}

/// `POST /hint/connect/{code}`: Hint's headless install, server to server. The code is
/// exchanged with the same exactly-once machinery; the connection waits for a provider to claim it.
pub async fn headless_connect(State(state): State<AppState>, Path(raw): Path<String>) -> Response {
    if !state.config.headless_connect {
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
        let id = connect::receive_code(&state, &code, None, None).await?;
        connect::exchange(&state, &state.hint, &id, ExchangeActor::Hint, None).await
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
        let good = crate::sandbox::webhooks::signature(b"secret", body);
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
