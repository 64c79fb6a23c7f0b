//! Outgoing email: the `mail_outbox` table (this module and its `worker` are its only writers),
//! the queue a request writes to, and the worker that sends it through `server::smtp`.
//!
//! A request never talks to the mail server: it queues a message (one `INSERT`) and wakes the
//! worker, so a mail server that is down fails nobody's request and loses nothing. The worker
//! claims one due message at a time with a conditional `UPDATE` (several instances may run it),
//! sends it, and marks it sent; a failure is retried with a doubling delay, up to
//! `MAX_ATTEMPTS`. The body, which may hold a one-time link, is encrypted like practice keys and
//! dropped once the message is sent. In development with no `SMTP_URL`, messages are not sent at
//! all: they stay in the table and `/dev/outbox` shows them.

pub mod invitations;
pub mod templates;
pub mod worker;

use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::crypto::Purpose;
use super::db::{new_id, Db};
use super::state::AppState;
use crate::domain::AppError;
pub use templates::Email;
pub use worker::run;

/// Attempts before a message is given up on (about a day of retries).
pub const MAX_ATTEMPTS: i64 = 12;

/// What is stored, encrypted, for one message.
#[derive(Serialize, Deserialize)]
struct Body {
    text: String,
    html: String,
}

/// Queues `email` to `recipient`; the worker sends it shortly. Fails only if the database does.
pub async fn queue(state: &AppState, recipient: &str, email: Email) -> Result<(), AppError> {
    let outbox = Outbox {
        db: &state.db,
        keys: &state.keys,
        now: state.clock.now(),
        sends: state.mail.sends(),
    };
    outbox.queue(recipient, email).await?;
    state.mail.wake();
    Ok(())
}

/// Where a message is queued from: the server (`queue`), or a command-line tool, whose messages
/// a running server's worker picks up on its next look.
pub struct Outbox<'a> {
    pub db: &'a Db,
    pub keys: &'a super::crypto::Keyring,
    pub now: i64,
    /// Whether a mail server is configured (else the message is kept for `/dev/outbox`).
    pub sends: bool,
}

impl Outbox<'_> {
    /// Writes `email` to `recipient` into the queue.
    pub async fn queue(&self, recipient: &str, email: Email) -> Result<(), AppError> {
        let id = new_id("msg");
        let body = serde_json::to_string(&Body {
            text: email.text,
            html: email.html,
        })
        .map_err(|_| AppError::Internal)?;
        let (sealed, key_id) = self.keys.encrypt(Purpose::Mail, &id, &body);
        let status = if self.sends { "queued" } else { "outbox" };
        sqlx::query(
            "INSERT INTO mail_outbox (id, kind, recipient, subject, body_ciphertext, body_key_id, \
             status, attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8)",
        )
        .bind(&id)
        .bind(email.kind.as_str())
        .bind(recipient)
        .bind(&email.subject)
        .bind(sealed)
        .bind(key_id)
        .bind(status)
        .bind(self.now)
        .execute(self.db.pool())
        .await?;
        tracing::info!(message = %id, kind = email.kind.as_str(), "mail queued");
        Ok(())
    }
}

/// A message as the development outbox page shows it.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    pub recipient: String,
    pub subject: String,
    pub kind: String,
    pub status: String,
    pub created_at: i64,
    /// The text part, while it is kept (until sent).
    pub text: Option<String>,
}

/// One stored message as the outbox page reads it.
#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: String,
    recipient: String,
    subject: String,
    kind: String,
    status: String,
    created_at: i64,
    body_ciphertext: Option<Vec<u8>>,
    body_key_id: Option<String>,
}

/// The newest messages, for `/dev/outbox` (development only).
pub async fn outbox(state: &AppState, limit: i64) -> Result<Vec<OutboxEntry>, AppError> {
    let rows: Vec<OutboxRow> = sqlx::query_as(
        "SELECT id, recipient, subject, kind, status, created_at, body_ciphertext, body_key_id \
         FROM mail_outbox ORDER BY created_at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(state.db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let text = match (&row.body_ciphertext, &row.body_key_id) {
                (Some(sealed), Some(key_id)) => state
                    .keys
                    .decrypt(Purpose::Mail, &row.id, key_id, sealed)
                    .ok()
                    .and_then(|body| serde_json::from_str::<Body>(body.expose_secret()).ok())
                    .map(|body| body.text),
                _ => None,
            };
            OutboxEntry {
                recipient: row.recipient,
                subject: row.subject,
                kind: row.kind,
                status: row.status,
                created_at: row.created_at,
                text,
            }
        })
        .collect())
}

/// Forgets sent and given-up messages older than `before` (their bodies are gone already).
pub async fn forget_before(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM mail_outbox WHERE status IN ('sent', 'failed') AND created_at < $1",
    )
    .bind(before)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}
