//! Hint's webhook events applied to the connections they name. The signature was checked before
//! anything here runs (`http::webhooks`). This module also writes the `webhook_events` table,
//! the record of which event ids were applied.
//!
//! Hint retries a failed delivery hourly for 72 hours, with the original body and `created_at`,
//! so age proves nothing and order is not guaranteed:
//! - each event id is applied once, and ids are remembered for [`ID_MEMORY_SECONDS`] (longer
//!   than Hint retries);
//! - each connection keeps the `created_at` of the last event applied to it; an older event
//!   changes nothing (answered `stale`).
//!
//! Only the events Hint documents are acted on: `integration.activated` and
//! `integration.deactivated`. Every other type is acknowledged (2xx) and ignored.

use serde::Deserialize;
use serde_json::Value;

use super::{set_status, StatusChange, Target};
use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::connection::ConnectionStatus;
use crate::server::audit::{self, Entry};
use crate::server::state::AppState;

/// A webhook's envelope.
#[derive(Debug, Deserialize)]
pub struct HintEvent {
    /// Hint's event id (`evt-…`), unique per event, repeated on redelivery.
    pub id: String,
    /// `integration.activated`, `integration.deactivated`, …
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub practice_id: Option<String>,
    /// When Hint made the event (ISO 8601); signed with the rest of the body.
    #[serde(default)]
    pub created_at: Option<String>,
    /// The integration or practice the event is about.
    #[serde(default)]
    pub object: Value,
}

impl HintEvent {
    /// When Hint made the event (unix seconds), if it says so readably.
    pub fn made_at(&self) -> Option<i64> {
        self.created_at.as_deref().and_then(unix_seconds)
    }
}

/// How long an event id is remembered: Hint's 72 hours of retries, and an hour more.
pub const ID_MEMORY_SECONDS: i64 = 73 * 3600;

/// Unix seconds of an RFC 3339 time.
pub(crate) fn unix_seconds(text: &str) -> Option<i64> {
    let format = time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(text, &format)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
}

/// Forgets event ids received before `before` (unix seconds); housekeeping keeps them for
/// [`ID_MEMORY_SECONDS`], past the last retry Hint makes.
pub async fn forget_seen_before(state: &AppState, before: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM webhook_events WHERE received_at < $1")
        .bind(before)
        .execute(state.db.pool())
        .await?;
    Ok(done.rows_affected())
}

/// What applying an event did, as answered to Hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// It changed the connections it names.
    Applied,
    /// It names no connection we hold.
    NoMatch,
    /// This event id was applied before.
    Duplicate,
    /// The connection has applied a later event already; this one changes nothing.
    Stale,
    /// A type we do not act on.
    Ignored,
}

impl Applied {
    /// The word answered to Hint.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::NoMatch => "no matching connection",
            Self::Duplicate => "duplicate",
            Self::Stale => "stale: a later event was applied",
            Self::Ignored => "ignored",
        }
    }

    /// The result's label in the `webhooks_total` metric.
    pub fn metric(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::NoMatch => "no_match",
            Self::Duplicate => "duplicate",
            Self::Stale => "stale",
            Self::Ignored => "ignored",
        }
    }
}

/// Applies `event` once. On an error nothing is recorded, so Hint's redelivery applies it later.
pub async fn apply(state: &AppState, event: &HintEvent) -> Result<Applied, sqlx::Error> {
    let mut tx = state.db.begin_write().await?;
    let fresh = sqlx::query(
        "INSERT INTO webhook_events (id, type, received_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&event.id)
    .bind(&event.kind)
    .bind(state.clock.now())
    .execute(&mut *tx)
    .await?;
    if fresh.rows_affected() == 0 {
        return Ok(Applied::Duplicate);
    }
    let integration_id = event.object.get("id").and_then(Value::as_str);
    let hint_status = event.object.get("status").and_then(Value::as_str);
    let (action, to) = match event.kind.as_str() {
        "integration.activated" => (
            AuditAction::WebhookIntegrationActivated,
            ConnectionStatus::Connected,
        ),
        "integration.deactivated" => (
            AuditAction::WebhookIntegrationDeactivated,
            ConnectionStatus::Disconnected,
        ),
        // Not documented by Hint (`practice.*` among them): acknowledged, nothing changes.
        _ => {
            tx.commit().await?;
            return Ok(Applied::Ignored);
        }
    };
    // Undated (Hint always dates them): ordered as if made when it arrived.
    let event_at = event.made_at().unwrap_or_else(|| state.clock.now());
    let change = StatusChange {
        hint_status,
        event_at: Some(event_at),
        ..StatusChange::to(to)
    };
    let ids = match integration_id {
        Some(id) => set_status(&mut tx, state.clock.now(), Target::Integration(id), change).await?,
        None => Vec::new(),
    };
    if ids.is_empty() {
        if let Some(id) = integration_id {
            let held: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM connections WHERE integration_id = $1 AND merged_into IS NULL",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            if held > 0 {
                // The id is kept: a retry of this event is a duplicate, not stale again.
                tx.commit().await?;
                return Ok(Applied::Stale);
            }
        }
    }
    tx.commit().await?;
    for id in &ids {
        let entry = Entry {
            connection_id: Some(id),
            detail: Some(&event.id),
            ..Entry::new(ActorKind::Hint, action, Outcome::Ok)
        };
        audit::record(&state.db, entry).await;
        let deactivated = action == AuditAction::WebhookIntegrationDeactivated;
        if deactivated {
            let what = crate::server::mail::templates::Attention::Deactivated;
            if let Err(error) =
                crate::server::notifications::connection_needs_attention(state, id, what).await
            {
                tracing::warn!(%error, connection_id = %id, "could not queue the provider's notice");
            }
        }
    }
    Ok(if ids.is_empty() {
        Applied::NoMatch
    } else {
        Applied::Applied
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_says_when_it_was_made_when_it_can() {
        let event = |created_at: Option<&str>| HintEvent {
            id: "evt-1".into(),
            kind: "integration.activated".into(),
            practice_id: None,
            created_at: created_at.map(str::to_owned),
            object: Value::Null,
        };
        assert_eq!(
            event(Some("2026-11-30T12:00:00Z")).made_at(),
            unix_seconds("2026-11-30T12:00:00Z")
        );
        assert_eq!(event(Some("yesterday")).made_at(), None);
        assert_eq!(event(None).made_at(), None);
    }
}
