//! The mail transport: the SMTP connection outgoing email leaves by, its sender address, and the
//! signal that wakes the mail worker. A leaf: it knows lettre and nothing of the app; the queue
//! and the worker (`server::mail`) sit above it.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;
use tokio::sync::Notify;

/// Why a mail setting is unusable.
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error("SMTP_URL is not a usable mail server address: {0}")]
    Url(String),
    #[error("MAIL_FROM is not an address like `Name <name@example.com>`")]
    From,
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

    /// Waits until `wake` is called.
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// Sends one message with a plain-text and an HTML part; a failure says whether retrying
    /// can help.
    pub async fn deliver(
        &self,
        recipient: &str,
        subject: &str,
        text: String,
        html: String,
    ) -> Result<(), Failure> {
        let Some(transport) = &self.transport else {
            return Err(Failure::broken("not_sending"));
        };
        let to: Mailbox = recipient
            .parse()
            .map_err(|_| Failure::broken("bad_address"))?;
        let email = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|_| Failure::broken("unbuildable"))?;
        transport
            .send(email)
            .await
            .map(drop)
            .map_err(|error| Failure {
                kind: kind_of(&error),
                permanent: error.is_permanent(),
            })
    }
}

/// Why a message did not go.
#[derive(Debug)]
pub struct Failure {
    /// A short word for the log and the table, never the server's own text.
    pub kind: &'static str,
    /// The server refused it for good (a bad address): retrying cannot help.
    pub permanent: bool,
}

impl Failure {
    /// A message that can never be sent as it is.
    pub fn broken(kind: &'static str) -> Self {
        Self {
            kind,
            permanent: true,
        }
    }
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
