//! Outgoing email: the `mail_outbox` table (this module is its only writer) and the worker that
//! sends it over SMTP.
//!
//! A request never talks to the mail server: it queues a message (one `INSERT`) and wakes the
//! worker, so a mail server that is down fails nobody's request and loses nothing. The worker
//! claims one due message at a time with a conditional `UPDATE` (several instances may run it),
//! sends it, and marks it sent; a failure is retried with a doubling delay, up to
//! `MAX_ATTEMPTS`. The body, which may hold a one-time link, is encrypted like practice keys and
//! dropped once the message is sent. In development with no `SMTP_URL`, messages are not sent at
//! all: they stay in the table and `/dev/outbox` shows them.

pub mod templates;

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use super::crypto::Purpose;
use super::db::{new_id, Db};
use super::state::AppState;
use crate::domain::AppError;
pub use templates::Email;

/// Attempts before a message is given up on (about a day of retries).
pub const MAX_ATTEMPTS: i64 = 12;
/// The first retry's delay; each further one doubles, up to `MAX_RETRY_SECONDS`.
pub const FIRST_RETRY_SECONDS: i64 = 30;
const MAX_RETRY_SECONDS: i64 = 4 * 60 * 60;
/// How long a claimed message is left to its worker before another may take it over (a worker
/// that died mid-send).
const LEASE_SECONDS: i64 = 120;
/// How often the worker looks for due messages when nobody wakes it.
const POLL: Duration = Duration::from_secs(15);

/// Why a mail setting is unusable.
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error("SMTP_URL is not a usable mail server address: {0}")]
    Url(String),
    #[error("MAIL_FROM is not an address like `Name <name@example.com>`")]
    From,
}

/// Whether mail sent through `url` is private on the way: TLS from the start (`smtps://`),
/// STARTTLS insisted on (`?tls=required`; "opportunistic" can be stripped by anyone in between),
/// or a mail server on this machine.
pub fn transport_is_private(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    let tls_required = url
        .query_pairs()
        .any(|(key, value)| key == "tls" && value == "required");
    let on_this_machine = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    url.scheme() == "smtps" || tls_required || on_this_machine
}

/// Where messages go: a mail server, or (development only) nowhere but the outbox page.
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    wake: Notify,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("sends", &self.transport.is_some())
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    /// A mailer for `SMTP_URL` (none: keep messages for the outbox page) sending as `from`.
    pub fn new(
        smtp_url: Option<&secrecy::SecretString>,
        from: &str,
    ) -> Result<Self, MailConfigError> {
        let from = from.parse().map_err(|_| MailConfigError::From)?;
        let transport = match smtp_url {
            None => None,
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    // The URL may hold a password: only the kind of problem is shown.
                    .map_err(|error| MailConfigError::Url(kind_of(&error).to_owned()))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
            ),
        };
        Ok(Self {
            transport,
            from,
            wake: Notify::new(),
        })
    }

    /// Whether messages are really sent (else they wait on the outbox page).
    pub fn sends(&self) -> bool {
        self.transport.is_some()
    }

    /// Makes the worker look for due messages now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// What is stored, encrypted, for one message.
#[derive(Serialize, Deserialize)]
struct Body {
    text: String,
    html: String,
}

/// Queues `email` to `recipient`; the worker sends it shortly. Fails only if the database does.
pub async fn send(state: &AppState, recipient: &str, email: Email) -> Result<(), AppError> {
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

/// Where a message is queued from: the server (`send`), or a command-line tool, whose messages
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
    let Some(transport) = &state.mail.transport else {
        return Ok(round);
    };
    while let Some(message) = claim(&state.db, state.clock.now()).await? {
        match deliver(state, transport, &message).await {
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
                super::metrics::mail("sent");
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
                super::metrics::mail(status);
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

/// Why a message did not go.
struct Failure {
    /// A short word for the log and the table, never the server's own text.
    kind: &'static str,
    /// The server refused it for good (a bad address): retrying cannot help.
    permanent: bool,
}

async fn deliver(
    state: &AppState,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    message: &Claimed,
) -> Result<(), Failure> {
    let broken = |kind| Failure {
        kind,
        permanent: true,
    };
    let (Some(sealed), Some(key_id)) = (&message.body_ciphertext, &message.body_key_id) else {
        return Err(broken("no_body"));
    };
    let body = state
        .keys
        .decrypt(Purpose::Mail, &message.id, key_id, sealed)
        .map_err(|_| broken("undecryptable"))?;
    let body: Body =
        serde_json::from_str(body.expose_secret()).map_err(|_| broken("unreadable"))?;
    let to: Mailbox = message
        .recipient
        .parse()
        .map_err(|_| broken("bad_address"))?;
    let email = lettre::Message::builder()
        .from(state.mail.from.clone())
        .to(to)
        .subject(&message.subject)
        .multipart(MultiPart::alternative_plain_html(body.text, body.html))
        .map_err(|_| broken("unbuildable"))?;
    transport
        .send(email)
        .await
        .map(drop)
        .map_err(|error| Failure {
            kind: kind_of(&error),
            permanent: error.is_permanent(),
        })
}

/// A short name for an SMTP failure (its text can echo addresses or credentials).
fn kind_of(error: &lettre::transport::smtp::Error) -> &'static str {
    if error.is_permanent() {
        "rejected"
    } else if error.is_transient() {
        "deferred"
    } else if error.is_timeout() {
        "timeout"
    } else if error.is_tls() {
        "tls"
    } else if error.is_client() {
        "client"
    } else {
        "connection"
    }
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
            () = mailer.wake.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tls_or_this_machine_counts_as_private() {
        assert!(transport_is_private("smtps://user:pw@mail.example.com:465"));
        assert!(transport_is_private(
            "smtp://mail.example.com:587?tls=required"
        ));
        assert!(transport_is_private("smtp://127.0.0.1:2525"));
        assert!(transport_is_private("smtp://user:pw@localhost:25"));
        assert!(!transport_is_private("smtp://mail.example.com:587"));
        assert!(!transport_is_private("smtp://localhost.evil.example:25"));
        assert!(!transport_is_private(
            "smtp://mail.example.com:587?tls=opportunistic"
        ));
        assert!(!transport_is_private(
            "smtp://tls=required@mail.example.com:587"
        ));
        assert!(transport_is_private("smtp://[::1]:25"));
    }

    #[test]
    fn retries_back_off_to_a_ceiling() {
        assert_eq!(retry_delay(1), 30);
        assert_eq!(retry_delay(2), 60);
        assert_eq!(retry_delay(3), 120);
        assert_eq!(retry_delay(30), MAX_RETRY_SECONDS);
    }
}
