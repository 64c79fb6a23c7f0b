//! Signed connection events for the partner's own product: each change of a connection's
//! lifecycle writes an event in the transaction that makes the change, with one delivery per
//! event endpoint (the outbox); `delivery` POSTs them, signed, until each endpoint says 2xx.
//!
//! - `endpoints`: the `event_endpoints` table (added, removed, secrets, what the dashboard shows);
//! - `delivery`: the worker every instance runs, and the signature.
//!
//! The body is fixed when the event is written, so every attempt sends the same bytes and the
//! same `id`; it never holds a key. An event is only written while some endpoint is there to
//! receive it: an endpoint hears of the changes after it was added.

pub mod delivery;
pub mod endpoints;

use serde::Serialize;

use crate::domain::dates::rfc3339;
use crate::domain::partner::EventKind;
use crate::server::db::new_id;

/// An event as sent.
#[derive(Debug, Serialize)]
struct Body<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    created_at: String,
    data: Data,
}

/// The connection an event is about, as it stands after the change.
#[derive(Debug, Serialize, sqlx::FromRow)]
struct Data {
    connection_id: String,
    practice_id: Option<String>,
    practice_name: Option<String>,
    integration_id: Option<String>,
    status: String,
}

/// Writes the event `kind` for connection `id` (whose change is already made in `tx`), and a
/// pending delivery of it for every endpoint, in the caller's transaction. Writes nothing when
/// no endpoint is there to receive it.
pub async fn record(
    tx: &mut sqlx::AnyConnection,
    id: &str,
    kind: EventKind,
    now: i64,
) -> Result<(), sqlx::Error> {
    let receivers: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM event_endpoints WHERE removed_at IS NULL")
            .fetch_one(&mut *tx)
            .await?;
    if receivers == 0 {
        return Ok(());
    }
    let data: Data = sqlx::query_as(
        "SELECT id AS connection_id, practice_id, practice_name, integration_id, status \
         FROM connections WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let event_id = new_id("evt");
    let body = Body {
        id: &event_id,
        kind: kind.as_str(),
        created_at: rfc3339(now),
        data,
    };
    let body = serde_json::to_string(&body).map_err(|error| sqlx::Error::Encode(error.into()))?;
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO connection_events (id, kind, connection_id, body, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING seq",
    )
    .bind(&event_id)
    .bind(kind.as_str())
    .bind(id)
    .bind(&body)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO event_deliveries (endpoint_id, event_seq, status, next_attempt_at, retry_until) \
         SELECT id, $1, 'pending', $2, $3 FROM event_endpoints WHERE removed_at IS NULL",
    )
    .bind(seq)
    .bind(now)
    .bind(now + delivery::RETRY_WINDOW_SECONDS)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
