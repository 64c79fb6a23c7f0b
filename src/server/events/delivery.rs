//! Delivers connection events: every instance runs [`run`]; one instance at a time holds an
//! endpoint (a lease in its row) and sends it its pending events oldest first, each until a 2xx.
//! A failure waits with a growing delay and holds back the endpoint's later events, so they
//! arrive in order; after [`RETRY_WINDOW_SECONDS`] of failures an event is given up and the next
//! one goes. At least once: an instance that dies after the receiver said 2xx but before it
//! recorded it sends that event again (same `id`): receivers drop ids they have seen.

use std::time::Duration;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use super::endpoints::signing_secrets;
use crate::domain::partner::SIGNATURE_HEADER;
use crate::server::db::new_id;
use crate::server::state::AppState;

/// How long an event keeps being retried (from when it was written, or sent again).
pub const RETRY_WINDOW_SECONDS: i64 = 3 * 24 * 60 * 60 + 60 * 60;
/// The first retry's delay; each further one doubles, up to [`MAX_RETRY_SECONDS`].
const FIRST_RETRY_SECONDS: i64 = 10;
const MAX_RETRY_SECONDS: i64 = 60 * 60;
/// How long an endpoint stays with the instance delivering to it, renewed before each event.
const LEASE_SECONDS: i64 = 60;
/// How often the worker looks for due deliveries.
const POLL: Duration = Duration::from_secs(2);
/// How long a receiver has to answer.
const RECEIVER_TIMEOUT: Duration = Duration::from_secs(10);

/// What this instance delivers with: its own client (no redirects followed, a short timeout)
/// and the name its leases carry.
pub struct Sender {
    client: reqwest::Client,
    holder: String,
}

impl Sender {
    /// A sender with a fresh instance name.
    pub fn new() -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(RECEIVER_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "practice-connect-events/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()?;
        Ok(Self {
            client,
            holder: new_id("ins"),
        })
    }
}

/// The delay before retry number `attempts` (1 = after the first failure).
pub fn retry_delay(attempts: i64) -> i64 {
    let doublings = (attempts - 1).clamp(0, 20) as u32;
    (FIRST_RETRY_SECONDS * 2_i64.pow(doublings)).min(MAX_RETRY_SECONDS)
}

/// The signature header's value for `body` sent at `t`: `t=<t>,v1=<hex>` with one `v1` per
/// secret (two during a rotation). Each is HMAC-SHA256, keyed with the whole secret, of
/// `"<t>.<body>"`.
pub fn signature(secrets: &[SecretString], t: i64, body: &str) -> String {
    let mut header = format!("t={t}");
    for secret in secrets {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(format!("{t}.").as_bytes());
        mac.update(body.as_bytes());
        header.push_str(",v1=");
        header.push_str(&hex::encode(mac.finalize().into_bytes()));
    }
    header
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub delivered: u64,
    pub retrying: u64,
    pub gave_up: u64,
}

/// Delivers what is due now to every endpoint this instance can lease.
pub async fn deliver_due(state: &AppState) -> Result<Round, sqlx::Error> {
    let mut round = Round::default();
    let due: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT e.id, e.url FROM event_deliveries d \
         JOIN event_endpoints e ON e.id = d.endpoint_id \
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND e.removed_at IS NULL",
    )
    .bind(state.clock.now())
    .fetch_all(state.db.pool())
    .await?;
    for (endpoint, url) in due {
        if lease(state, &endpoint).await? {
            let sent = deliver_to(state, &endpoint, &url, &mut round).await;
            release(state, &endpoint).await?;
            sent?;
        }
    }
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM event_deliveries WHERE status = 'pending'")
            .fetch_one(state.db.pool())
            .await?;
    crate::server::metrics::event_outbox_depth(pending);
    Ok(round)
}

/// Takes the endpoint's lease for this instance's worker; false when someone holds it (another
/// instance, or another round of this one).
async fn lease(state: &AppState, endpoint: &str) -> Result<bool, sqlx::Error> {
    let now = state.clock.now();
    let taken = sqlx::query(
        "UPDATE event_endpoints SET lease_holder = $1, lease_until = $2 \
         WHERE id = $3 AND removed_at IS NULL AND (lease_until IS NULL OR lease_until < $4)",
    )
    .bind(&state.events.holder)
    .bind(now + LEASE_SECONDS)
    .bind(endpoint)
    .bind(now)
    .execute(state.db.pool())
    .await?;
    Ok(taken.rows_affected() == 1)
}

/// Extends a lease this instance holds; false when it lapsed and someone else took it.
async fn renew(state: &AppState, endpoint: &str) -> Result<bool, sqlx::Error> {
    let renewed = sqlx::query(
        "UPDATE event_endpoints SET lease_until = $1 \
         WHERE id = $2 AND lease_holder = $3 AND lease_until IS NOT NULL",
    )
    .bind(state.clock.now() + LEASE_SECONDS)
    .bind(endpoint)
    .bind(&state.events.holder)
    .execute(state.db.pool())
    .await?;
    Ok(renewed.rows_affected() == 1)
}

async fn release(state: &AppState, endpoint: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE event_endpoints SET lease_until = NULL WHERE id = $1 AND lease_holder = $2",
    )
    .bind(endpoint)
    .bind(&state.events.holder)
    .execute(state.db.pool())
    .await?;
    Ok(())
}

/// The endpoint's oldest pending delivery.
#[derive(sqlx::FromRow)]
struct Head {
    event_seq: i64,
    attempts: i64,
    next_attempt_at: i64,
    retry_until: i64,
    body: String,
}

/// Sends the endpoint its pending events in order while they are due and it answers 2xx.
async fn deliver_to(
    state: &AppState,
    endpoint: &str,
    url: &str,
    round: &mut Round,
) -> Result<(), sqlx::Error> {
    let secrets = match signing_secrets(&state.db, &state.keys, endpoint).await {
        Ok(secrets) => secrets,
        Err(error) => {
            tracing::error!(%error, endpoint_id = %endpoint, "cannot sign events for an endpoint");
            return Ok(());
        }
    };
    loop {
        let head: Option<Head> = sqlx::query_as(
            "SELECT d.event_seq, d.attempts, d.next_attempt_at, d.retry_until, e.body \
             FROM event_deliveries d JOIN connection_events e ON e.seq = d.event_seq \
             WHERE d.endpoint_id = $1 AND d.status = 'pending' ORDER BY d.event_seq LIMIT 1",
        )
        .bind(endpoint)
        .fetch_optional(state.db.pool())
        .await?;
        let now = state.clock.now();
        let Some(head) = head.filter(|head| head.next_attempt_at <= now) else {
            return Ok(());
        };
        if !renew(state, endpoint).await? {
            return Ok(());
        }
        let answer = post(&state.events.client, url, &secrets, now, &head.body).await;
        let attempts = head.attempts + 1;
        let (status, next, last_status, last_error, outcome) = match answer {
            Ok(code) => ("delivered", now, Some(i64::from(code)), None, "delivered"),
            Err((code, kind)) if now >= head.retry_until => {
                ("gave_up", now, code, Some(kind), "gave_up")
            }
            Err((code, kind)) => (
                "pending",
                now + retry_delay(attempts),
                code,
                Some(kind),
                "retrying",
            ),
        };
        sqlx::query(
            "UPDATE event_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, \
             last_status = $4, last_error = $5, \
             delivered_at = CASE WHEN $1 = 'delivered' THEN $6 ELSE delivered_at END \
             WHERE endpoint_id = $7 AND event_seq = $8",
        )
        .bind(status)
        .bind(attempts)
        .bind(next)
        .bind(last_status)
        .bind(last_error)
        .bind(now)
        .bind(endpoint)
        .bind(head.event_seq)
        .execute(state.db.pool())
        .await?;
        crate::server::metrics::event_delivery(outcome);
        match outcome {
            "delivered" => round.delivered += 1,
            "gave_up" => {
                tracing::warn!(endpoint_id = %endpoint, event_seq = head.event_seq, "gave up delivering an event after its retry window");
                round.gave_up += 1;
            }
            _ => {
                tracing::info!(endpoint_id = %endpoint, attempts, error = last_error, "an event endpoint did not take an event; later events wait for it");
                round.retrying += 1;
                return Ok(());
            }
        }
    }
}

/// POSTs one event. `Ok(status)` for a 2xx; otherwise the status when there was one and what
/// kind of failure it was (never the receiver's words).
async fn post(
    client: &reqwest::Client,
    url: &str,
    secrets: &[SecretString],
    now: i64,
    body: &str,
) -> Result<u16, (Option<i64>, &'static str)> {
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature(secrets, now, body))
        .body(body.to_owned())
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => Ok(response.status().as_u16()),
        Ok(response) => Err((Some(i64::from(response.status().as_u16())), "status")),
        Err(error) if error.is_timeout() => Err((None, "timeout")),
        Err(error) if error.is_connect() => Err((None, "connect")),
        Err(_) => Err((None, "request")),
    }
}

/// Delivers due events every few seconds, for as long as the app runs.
pub async fn run(state: AppState) {
    let mut every = tokio::time::interval(POLL);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(error) = deliver_due(&state).await {
            tracing::warn!(%error, "the event worker could not finish a round");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour_and_cover_three_days() {
        assert_eq!(retry_delay(1), 10);
        assert_eq!(retry_delay(2), 20);
        assert_eq!(retry_delay(30), MAX_RETRY_SECONDS);
        const { assert!(RETRY_WINDOW_SECONDS >= 3 * 24 * 3600) };
    }

    #[test]
    fn a_signature_carries_one_v1_per_secret_over_the_time_and_the_body() {
        let one: SecretString = "whsec_one".to_owned().into();
        let two: SecretString = "whsec_two".to_owned().into();
        let header = signature(std::slice::from_ref(&one), 1_700_000_000, "{}");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_one").unwrap();
        mac.update(b"1700000000.{}");
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(header, format!("t=1700000000,v1={expected}"));
        let both = signature(&[one, two], 1_700_000_000, "{}");
        assert_eq!(both.matches(",v1=").count(), 2);
        assert!(both.starts_with(&header));
    }
}
