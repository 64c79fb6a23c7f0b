//! Hint's webhook events applied to the connections they name. Each event id is applied once
//! (Hint repeats deliveries); unknown types are acknowledged and ignored. The signature was
//! checked before anything here runs (`http::webhooks`). This module also writes the
//! `webhook_events` table, the record of which event ids were applied.

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
    /// `integration.activated`, `practice.updated`, …
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
    /// Whether the event was made within `max_age_seconds` of `now` (either side, for clock
    /// skew). An event without a readable time is not fresh: replay protection rests on it.
    pub fn is_fresh(&self, now: i64, max_age_seconds: u64) -> bool {
        let Some(made) = self.created_at.as_deref().and_then(unix_seconds) else {
            return false;
        };
        now.abs_diff(made) <= max_age_seconds
    }
}

/// Unix seconds of an RFC 3339 time.
pub(crate) fn unix_seconds(text: &str) -> Option<i64> {
    let format = time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(text, &format)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
}

/// Forgets event ids received before `before` (unix seconds). Once an event is older than the
/// freshness window it is refused anyway, so its id need not be kept to catch a replay.
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
            Self::Ignored => "ignored",
        }
    }

    /// The result's label in the `webhooks_total` metric.
    pub fn metric(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::NoMatch => "no_match",
            Self::Duplicate => "duplicate",
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
    let practice_id = event.practice_id.as_deref().or_else(|| {
        event
            .object
            .get("practice")
            .and_then(|p| p.get("id"))
            .and_then(Value::as_str)
    });
    let (action, ids) = match event.kind.as_str() {
        kind @ ("integration.activated" | "integration.deactivated") => {
            let (action, to) = if kind == "integration.activated" {
                (
                    AuditAction::WebhookIntegrationActivated,
                    ConnectionStatus::Connected,
                )
            } else {
                (
                    AuditAction::WebhookIntegrationDeactivated,
                    ConnectionStatus::Disconnected,
                )
            };
            let change = StatusChange {
                hint_status,
                ..StatusChange::to(to)
            };
            let ids = match integration_id {
                Some(id) => set_status(&mut *tx, Target::Integration(id), change).await?,
                None => Vec::new(),
            };
            (action, ids)
        }
        "practice.deactivated" => {
            let change = StatusChange::to(ConnectionStatus::Disconnected);
            let ids = match practice_id {
                Some(id) => set_status(&mut *tx, Target::Practice(id), change).await?,
                None => Vec::new(),
            };
            (AuditAction::WebhookPracticeDeactivated, ids)
        }
        "practice.updated" => {
            let ids = sqlx::query_scalar(
                "UPDATE connections SET practice_name = COALESCE($1, practice_name), updated_at = $2 \
                 WHERE practice_id = $3 AND merged_into IS NULL RETURNING id",
            )
            .bind(event.object.get("name").and_then(Value::as_str))
            .bind(state.clock.now())
            .bind(practice_id)
            .fetch_all(&mut *tx)
            .await?;
            (AuditAction::WebhookPracticeUpdated, ids)
        }
        _ => {
            tx.commit().await?;
            return Ok(Applied::Ignored);
        }
    };
    tx.commit().await?;
    for id in &ids {
        let entry = Entry {
            connection_id: Some(id),
            detail: Some(&event.id),
            ..Entry::new(ActorKind::Hint, action, Outcome::Ok)
        };
        audit::record(&state.db, entry).await;
        let deactivated = matches!(
            action,
            AuditAction::WebhookIntegrationDeactivated | AuditAction::WebhookPracticeDeactivated
        );
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

    fn made_at(created_at: Option<&str>) -> HintEvent {
        HintEvent {
            id: "evt-1".into(),
            kind: "integration.activated".into(),
            practice_id: None,
            created_at: created_at.map(str::to_owned),
            object: Value::Null,
        }
    }

    #[test]
    fn only_events_made_within_the_window_are_fresh() {
        let made = unix_seconds("2026-11-30T12:00:00Z").unwrap();
        let event = made_at(Some("2026-11-30T12:00:00Z"));
        assert!(event.is_fresh(made + 300, 300));
        assert!(
            event.is_fresh(made - 60, 300),
            "a little clock skew is forgiven"
        );
        assert!(!event.is_fresh(made + 301, 300));
        assert!(
            !event.is_fresh(made + 86_400, 300),
            "a day-old event is a replay"
        );
        assert!(!made_at(None).is_fresh(made, 300));
        assert!(!made_at(Some("yesterday")).is_fresh(made, 300));
    }
}
