//! The mail worker: sends what the queue holds, one due message at a time, with retries that
//! back off. Several instances may run it: a conditional `UPDATE` lets one claim each message,
//! and a lease lets another take over from a worker that died mid-send.

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;

use super::{Body, MAX_ATTEMPTS};
use crate::server::crypto::Purpose;
use crate::server::db::Db;
use crate::server::smtp::Failure;
use crate::server::state::AppState;

/// The first retry's delay; each further one doubles, up to `MAX_RETRY_SECONDS`.
pub const FIRST_RETRY_SECONDS: i64 = 30;
const MAX_RETRY_SECONDS: i64 = 4 * 60 * 60;
/// How long a claimed message is left to its worker before another may take it over (a worker
/// that died mid-send).
const LEASE_SECONDS: i64 = 120;
/// How often the worker looks for due messages when nobody wakes it.
const POLL: Duration = Duration::from_secs(15);

/// The delay before retry number `attempts` (1 = after the first failure).
pub fn retry_delay(attempts: i64) -> i64 {
    let doublings = (attempts - 1).clamp(0, 20) as u32;
    (FIRST_RETRY_SECONDS * 2_i64.pow(doublings)).min(MAX_RETRY_SECONDS)
}

/// One claimed message, ready to send.
#[derive(sqlx::FromRow)]
struct Claimed {
    id: String,
    kind: String,
    recipient: String,
    subject: String,
    body_ciphertext: Option<Vec<u8>>,
    body_key_id: Option<String>,
    attempts: i64,
}

/// What one round of the worker did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: u64,
    pub retrying: u64,
    pub failed: u64,
}

/// Sends every message that is due now, one at a time.
pub async fn send_due(state: &AppState) -> Result<Round, sqlx::Error> {
    let mut round = Round::default();
    if !state.mail.sends() {
        return Ok(round);
    }
    while let Some(message) = claim(&state.db, state.clock.now()).await? {
        match deliver(state, &message).await {
            Ok(()) => {
                sqlx::query(
                    "UPDATE mail_outbox SET status = 'sent', sent_at = $1, body_ciphertext = NULL, \
                     body_key_id = NULL, last_error = NULL WHERE id = $2",
                )
                .bind(state.clock.now())
                .bind(&message.id)
                .execute(state.db.pool())
                .await?;
                tracing::info!(message = %message.id, kind = %message.kind, "mail sent");
                crate::server::metrics::mail("sent");
                round.sent += 1;
            }
            Err(failure) => {
                let give_up = failure.permanent || message.attempts >= MAX_ATTEMPTS;
                let (status, next) = if give_up {
                    ("failed", state.clock.now())
                } else {
                    ("queued", state.clock.now() + retry_delay(message.attempts))
                };
                sqlx::query(
                    "UPDATE mail_outbox SET status = $1, next_attempt_at = $2, last_error = $3 \
                     WHERE id = $4",
                )
                .bind(status)
                .bind(next)
                .bind(failure.kind)
                .bind(&message.id)
                .execute(state.db.pool())
                .await?;
                tracing::warn!(
                    message = %message.id,
                    kind = %message.kind,
                    attempts = message.attempts,
                    cause = failure.kind,
                    "mail not sent; {}",
                    if give_up { "giving up" } else { "will retry" }
                );
                crate::server::metrics::mail(status);
                if give_up {
                    round.failed += 1;
                } else {
                    round.retrying += 1;
                    // The mail server is unwell: the other due messages wait for the next round.
                    break;
                }
            }
        }
    }
    Ok(round)
}

/// Takes the oldest due message, if any, for this worker alone: the conditional `UPDATE` only
/// succeeds for one claimant, and the lease lets another worker take over if this one dies.
async fn claim(db: &Db, now: i64) -> Result<Option<Claimed>, sqlx::Error> {
    loop {
        let due: Option<(String,)> = sqlx::query_as(
            "SELECT id FROM mail_outbox WHERE status IN ('queued', 'sending') \
             AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT 1",
        )
        .bind(now)
        .fetch_optional(db.pool())
        .await?;
        let Some((id,)) = due else { return Ok(None) };
        let claimed: Option<Claimed> = sqlx::query_as(
            "UPDATE mail_outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = $1 \
             WHERE id = $2 AND status IN ('queued', 'sending') AND next_attempt_at <= $3 \
             RETURNING id, kind, recipient, subject, body_ciphertext, body_key_id, attempts",
        )
        .bind(now + LEASE_SECONDS)
        .bind(&id)
        .bind(now)
        .fetch_optional(db.pool())
        .await?;
        if claimed.is_some() {
            return Ok(claimed);
        }
        // Another worker took it first: look again.
    }
}

/// Opens a claimed message's body and hands it to the transport.
async fn deliver(state: &AppState, message: &Claimed) -> Result<(), Failure> {
    let (Some(sealed), Some(key_id)) = (&message.body_ciphertext, &message.body_key_id) else {
        return Err(Failure::broken("no_body"));
    };
    let body = state
        .keys
        .decrypt(Purpose::Mail, &message.id, key_id, sealed)
        .map_err(|_| Failure::broken("undecryptable"))?;
    let body: Body =
        serde_json::from_str(body.expose_secret()).map_err(|_| Failure::broken("unreadable"))?;
    state
        .mail
        .deliver(&message.recipient, &message.subject, body.text, body.html)
        .await
}

/// Sends due messages until the process ends: when woken by a new message, and every `POLL`.
pub async fn run(state: AppState) {
    let mailer = Arc::clone(&state.mail);
    if !mailer.sends() {
        return;
    }
    loop {
        if let Err(error) = send_due(&state).await {
            tracing::warn!(%error, "could not read the mail queue");
        }
        tokio::select! {
            () = mailer.woken() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_a_ceiling() {
        assert_eq!(retry_delay(1), 30);
        assert_eq!(retry_delay(2), 60);
        assert_eq!(retry_delay(3), 120);
        assert_eq!(retry_delay(30), MAX_RETRY_SECONDS);
    }
}
