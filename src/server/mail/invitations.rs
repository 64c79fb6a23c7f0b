//! The emails that invite someone in: staff to the dashboard, and (from inside Hint) a provider
//! to claim a practice's connection that nobody owns yet.

use super::templates::{compose, hello, Email, MailKind, Part};

/// A staff invitation: set a password, then an authenticator at the first login.
pub fn staff_invite(name: &str, role: &str, link: &str, hours: u64) -> Email {
    compose(
        MailKind::StaffInvite,
        "You are invited to the practice-connect dashboard".into(),
        &[
            hello(name),
            Part::Text(format!(
                "You have been added to the practice-connect staff dashboard as {role}. Choose your \
                 password to finish; you will set up an authenticator app when you first log in."
            )),
            Part::Link {
                label: "Choose my password",
                url: link,
            },
            Part::Text(format!("The link works once, for {hours} hours.")),
        ],
        None,
    )
}

/// A staff password reset (asked for by an operator).
pub fn staff_password(name: &str, link: &str, hours: u64) -> Email {
    compose(
        MailKind::StaffPassword,
        "Choose a new practice-connect dashboard password".into(),
        &[
            hello(name),
            Part::Text(
                "Your dashboard password was reset by an administrator, and your sessions were ended."
                    .into(),
            ),
            Part::Link {
                label: "Choose a new password",
                url: link,
            },
            Part::Text(format!("The link works once, for {hours} hours.")),
        ],
        None,
    )
}

/// From inside Hint, to the provider who will own a practice's connection (made by Hint's
/// headless install, so nobody owns it yet).
pub fn claim_connection(practice_name: &str, link: &str, hours: u64) -> Email {
    compose(
        MailKind::ClaimConnection,
        format!("Finish connecting {practice_name} to practice-connect"),
        &[
            Part::Text("Hello,".into()),
            Part::Text(format!(
                "{practice_name} is connected to practice-connect through Hint, and you were asked, \
                 from the practice's settings in Hint, to look after it. Open the link, sign in or \
                 create your account, and confirm the practice."
            )),
            Part::Link {
                label: "Confirm the practice",
                url: link,
            },
            Part::Text(format!(
                "The link works once, for {hours} hours. If you do not know this practice, ignore \
                 this email."
            )),
        ],
        None,
    )
}
