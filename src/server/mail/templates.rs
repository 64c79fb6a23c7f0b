//! Every email the app sends, each with a plain-text and an HTML part made from the same words.
//! Names and practice names are the user's own text: the HTML part escapes them.

/// Which email a message is (stored with it; the log names it, never its contents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    VerifyEmail,
    SignUpAttempt,
    PasswordReset,
    PasswordChanged,
    ChangeEmail,
    EmailChanged,
    StaffInvite,
    StaffPassword,
    ClaimConnection,
    ConnectionAttention,
    WeeklySummary,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::SignUpAttempt => "sign_up_attempt",
            Self::PasswordReset => "password_reset",
            Self::PasswordChanged => "password_changed",
            Self::ChangeEmail => "change_email",
            Self::EmailChanged => "email_changed",
            Self::StaffInvite => "staff_invite",
            Self::StaffPassword => "staff_password",
            Self::ClaimConnection => "claim_connection",
            Self::ConnectionAttention => "connection_attention",
            Self::WeeklySummary => "weekly_summary",
        }
    }
}

/// One email, ready to queue.
#[derive(Debug, Clone)]
pub struct Email {
    pub kind: MailKind,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// One paragraph or link of an email, written once for both parts.
pub(super) enum Part<'a> {
    Text(String),
    Link { label: &'a str, url: &'a str },
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Builds both parts from `parts`, with the unsubscribe link last when there is one.
pub(super) fn compose(
    kind: MailKind,
    subject: String,
    parts: &[Part<'_>],
    unsubscribe: Option<&str>,
) -> Email {
    let mut text = String::new();
    let mut html = String::from(
        "<!DOCTYPE html><html><body style=\"font-family:system-ui,sans-serif;line-height:1.5;max-width:36em\">",
    );
    for part in parts {
        match part {
            Part::Text(words) => {
                text.push_str(words);
                text.push_str("\n\n");
                html.push_str(&format!("<p>{}</p>", escape(words)));
            }
            Part::Link { label, url } => {
                text.push_str(&format!("{label}:\n{url}\n\n"));
                html.push_str(&format!(
                    "<p><a href=\"{}\">{}</a></p>",
                    escape(url),
                    escape(label)
                ));
            }
        }
    }
    text.push_str("— practice-connect\n");
    html.push_str("<p>— practice-connect</p>");
    if let Some(url) = unsubscribe {
        text.push_str(&format!("\nStop these emails:\n{url}\n"));
        html.push_str(&format!(
            "<p style=\"font-size:smaller\"><a href=\"{}\">Stop these emails</a></p>",
            escape(url)
        ));
    }
    html.push_str("</body></html>");
    Email {
        kind,
        subject,
        text,
        html,
    }
}

pub(super) fn hello(name: &str) -> Part<'static> {
    Part::Text(format!("Hello {name},"))
}

/// The link that proves a new account's address.
pub fn verify_email(name: &str, link: &str, hours: u64) -> Email {
    compose(
        MailKind::VerifyEmail,
        "Confirm your email for practice-connect".into(),
        &[
            hello(name),
            Part::Text("Please confirm that this is your email address:".into()),
            Part::Link {
                label: "Confirm my email",
                url: link,
            },
            Part::Text(format!(
                "The link works once, for {hours} hours. If you did not create an account, ignore this email."
            )),
        ],
        None,
    )
}

/// To an existing account's owner when someone signs up with their address.
pub fn sign_up_attempt(name: &str, login: &str, forgot: &str) -> Email {
    compose(
        MailKind::SignUpAttempt,
        "Someone tried to sign up with your email".into(),
        &[
            hello(name),
            Part::Text(
                "Someone just tried to create a practice-connect account with your email address. \
                 You already have one, so nothing was created."
                    .into(),
            ),
            Part::Text("If it was you, log in instead:".into()),
            Part::Link {
                label: "Log in",
                url: login,
            },
            Part::Text("Forgot your password? Choose a new one:".into()),
            Part::Link {
                label: "Reset my password",
                url: forgot,
            },
            Part::Text("If it was not you, you can ignore this email.".into()),
        ],
        None,
    )
}

/// The password reset link.
pub fn password_reset(name: &str, link: &str, minutes: u64) -> Email {
    compose(
        MailKind::PasswordReset,
        "Reset your practice-connect password".into(),
        &[
            hello(name),
            Part::Text("Someone (we hope you) asked to reset your password.".into()),
            Part::Link {
                label: "Choose a new password",
                url: link,
            },
            Part::Text(format!(
                "The link works once, for {minutes} minutes. Choosing a new password logs out \
                 every browser signed in to your account. If you did not ask, ignore this email: \
                 your password stays as it is."
            )),
        ],
        None,
    )
}

/// A notice after the password changed.
pub fn password_changed(name: &str, forgot: &str) -> Email {
    compose(
        MailKind::PasswordChanged,
        "Your practice-connect password was changed".into(),
        &[
            hello(name),
            Part::Text(
                "The password of your account was just changed. Every link we had emailed you \
                 before (to confirm or change your email, or to reset your password) no longer \
                 works."
                    .into(),
            ),
            Part::Text(
                "If you did not do this, reset it now, and tell your practice's Hint admin:".into(),
            ),
            Part::Link {
                label: "Reset my password",
                url: forgot,
            },
        ],
        None,
    )
}

/// To the new address of an email change.
pub fn change_email(name: &str, link: &str, hours: u64) -> Email {
    compose(
        MailKind::ChangeEmail,
        "Confirm your new email for practice-connect".into(),
        &[
            hello(name),
            Part::Text("Confirm this address to make it your account's email:".into()),
            Part::Link {
                label: "Use this email",
                url: link,
            },
            Part::Text(format!(
                "The link works once, for {hours} hours. Until then your old address stays in use."
            )),
        ],
        None,
    )
}

/// To the old address once an email change is done.
pub fn email_changed(name: &str, new_email: &str, forgot: &str) -> Email {
    compose(
        MailKind::EmailChanged,
        "Your practice-connect email was changed".into(),
        &[
            hello(name),
            Part::Text(format!(
                "Your account's email is now {new_email}. Emails about your account go there from now on."
            )),
            Part::Text("If you did not do this, reset your password now:".into()),
            Part::Link {
                label: "Reset my password",
                url: forgot,
            },
        ],
        None,
    )
}

/// What happened to a connection, in the provider's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attention {
    /// The stored key stopped working.
    KeyRejected,
    /// The practice deactivated the integration in Hint.
    Deactivated,
}

/// To the provider who asked for alerts, when their connection needs them.
pub fn connection_attention(
    name: &str,
    practice: &str,
    what: Attention,
    unsubscribe: &str,
) -> Email {
    let (subject, happened) = match what {
        Attention::KeyRejected => (
            format!("{practice} needs to be reconnected"),
            format!("Hint no longer accepts the key we hold for {practice}, so we cannot reach the practice's data."),
        ),
        Attention::Deactivated => (
            format!("{practice} was disconnected in Hint"),
            format!("The integration was deactivated in Hint for {practice}."),
        ),
    };
    compose(
        MailKind::ConnectionAttention,
        subject,
        &[
            hello(name),
            Part::Text(happened),
            Part::Text(
                "To reconnect, a practice admin opens our integration in Hint's marketplace and \
                 clicks Connect again; you then confirm it here."
                    .into(),
            ),
        ],
        Some(unsubscribe),
    )
}

/// One line of a weekly summary.
#[derive(Debug, Clone)]
pub struct SummaryLine {
    pub practice: String,
    pub status: String,
}

/// The weekly summary of a provider's connections.
pub fn weekly_summary(
    name: &str,
    lines: &[SummaryLine],
    practices: &str,
    unsubscribe: &str,
) -> Email {
    let mut parts = vec![hello(name), Part::Text("Your practices this week:".into())];
    parts.extend(
        lines
            .iter()
            .map(|line| Part::Text(format!("{}: {}", line.practice, line.status))),
    );
    parts.push(Part::Link {
        label: "See your practices",
        url: practices,
    });
    compose(
        MailKind::WeeklySummary,
        "Your practice-connect weekly summary".into(),
        &parts,
        Some(unsubscribe),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_in_html_and_kept_in_text() {
        let email = verify_email("<b>Ana</b> & co", "https://x.example/v?token=a&b", 24);
        assert!(email.text.contains("Hello <b>Ana</b> & co,"));
        assert!(email
            .html
            .contains("Hello &lt;b&gt;Ana&lt;/b&gt; &amp; co,"));
        assert!(email
            .html
            .contains("href=\"https://x.example/v?token=a&amp;b\""));
        assert!(email.text.contains("https://x.example/v?token=a&b"));
    }

    #[test]
    fn only_notifications_carry_an_unsubscribe_link() {
        assert!(!password_reset("A", "https://x/r", 30)
            .text
            .contains("Stop these emails"));
        let alert = connection_attention("A", "Maple", Attention::KeyRejected, "https://x/u");
        assert!(alert.text.contains("Stop these emails:\nhttps://x/u"));
        assert!(alert.html.contains("href=\"https://x/u\""));
    }
}
