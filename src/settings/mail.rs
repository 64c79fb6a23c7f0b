//! Settings of outgoing email and of the links it carries.

use clap::Args;
use secrecy::SecretString;

/// The mail server, the sender, and how long emailed links work.
#[derive(Debug, Clone, Args)]
pub struct MailSettings {
    /// The mail server for outgoing email: `smtps://host:465` (TLS from the start),
    /// `smtp://host:587?tls=required` (STARTTLS, insisted on), or plain `smtp://host:25` (no TLS:
    /// only for a relay on this machine), with `user:password@` when it asks for a login.
    /// Unset in development: messages are kept and shown at `/dev/outbox` instead of being sent.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<SecretString>,

    /// The sender of outgoing email, e.g. `Practice Connect <connect@example.com>`.
    #[arg(
        long = "mail-from",
        env = "MAIL_FROM",
        default_value = "practice-connect <no-reply@localhost>"
    )]
    pub from: String,

    /// How long a password reset link works, in minutes.
    #[arg(long, env = "RESET_LINK_MINUTES", default_value_t = 30)]
    pub reset_link_minutes: u64,

    /// How long an email verification (or change of email) link works, in hours.
    #[arg(long, env = "VERIFY_LINK_HOURS", default_value_t = 24)]
    pub verify_link_hours: u64,

    /// How long a staff invitation (or staff password) link works, in hours.
    #[arg(long, env = "INVITE_LINK_HOURS", default_value_t = 72)]
    pub invite_link_hours: u64,
}

/// Whether mail sent through `url` is private on the way: TLS from the start (`smtps://`),
/// STARTTLS insisted on (`?tls=required`; "opportunistic" can be stripped by anyone in between),
/// or a mail server on this machine. Read as the mail library reads it: a URL its own parser
/// refuses is not private, and only the first `tls` parameter counts.
pub fn transport_is_private(url: &str) -> bool {
    use lettre::{AsyncSmtpTransport, Tokio1Executor};

    if AsyncSmtpTransport::<Tokio1Executor>::from_url(url).is_err() {
        return false;
    }
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    let tls = url
        .query_pairs()
        .find(|(key, _)| key == "tls")
        .map(|(_, value)| value.into_owned());
    let on_this_machine = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    url.scheme() == "smtps" || tls.as_deref() == Some("required") || on_this_machine
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
    fn the_tls_rule_is_read_as_the_mail_library_reads_it() {
        // lettre takes the first `tls` parameter: this one sends in the clear when it can.
        assert!(!transport_is_private(
            "smtp://mail.example.com:587?tls=opportunistic&tls=required"
        ));
        assert!(transport_is_private(
            "smtp://mail.example.com:587?tls=required&tls=opportunistic"
        ));
        // A scheme lettre does not know never sends at all; it is not "private".
        assert!(!transport_is_private(
            "smtpx://mail.example.com:587?tls=required"
        ));
        assert!(!transport_is_private("smtp://?tls=required"));
    }
}
