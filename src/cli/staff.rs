//! `staff …`: partner staff accounts for the dashboard, managed on the server's command line.

use clap::{Args, Subcommand};

use super::{open_db, Outcome};
use crate::domain::account::{Email, NewPassword, PersonName};
use crate::domain::staff::{StaffMember, StaffRole};
use crate::server::db::Db;
use crate::server::staff::{self, links::StaffLink};
use crate::settings::Settings;

/// `staff …` subcommands.
#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Add a staff member. The password is read from standard input (prompted without echo on a
    /// terminal).
    Add(NewMember),
    /// Invite a staff member: they get an email with a one-time link to choose their password,
    /// and set up their authenticator at their first login.
    Invite(NewMember),
    /// List staff members.
    List,
    /// Enable a disabled staff member again.
    Enable {
        /// The staff member's email.
        #[arg(long)]
        email: String,
    },
    /// Forget a staff member's password and end their sessions; they get an email with a
    /// one-time link to choose a new one.
    ResetPassword {
        /// The staff member's email.
        #[arg(long)]
        email: String,
    },
    /// Change a staff member's role (it applies to their next request).
    SetRole {
        /// The staff member's email.
        #[arg(long)]
        email: String,
        /// `admin` or `support`.
        #[arg(long, value_parser = ["admin", "support"])]
        role: String,
    },
    /// Disable a staff member; their sessions stop working at once.
    Disable {
        /// The staff member's email.
        #[arg(long)]
        email: String,
    },
    /// Forget a staff member's authenticator and recovery codes (they lost both) and end their
    /// sessions; they set up a new authenticator at their next login.
    ResetSecondFactor {
        /// The staff member's email.
        #[arg(long)]
        email: String,
    },
}

/// Who `staff add` and `staff invite` make.
#[derive(Debug, Args)]
pub struct NewMember {
    /// Their email, which they log in with (and an invitation goes to).
    #[arg(long)]
    email: String,
    /// Their name as the dashboard shows it (the email when omitted).
    #[arg(long)]
    name: Option<String>,
    /// `admin` (all actions) or `support` (read only).
    #[arg(long, value_parser = ["admin", "support"])]
    role: String,
}

impl NewMember {
    /// The parsed email, name and role.
    fn parse(&self) -> Result<(Email, PersonName, StaffRole), String> {
        let email = Email::parse(&self.email)?;
        let name = match &self.name {
            Some(name) => PersonName::parse(name)?,
            None => PersonName::from_email(&email),
        };
        Ok((email, name, role(&self.role)?))
    }
}

fn role(word: &str) -> Result<StaffRole, String> {
    StaffRole::parse(word).ok_or_else(|| "role must be admin or support".to_owned())
}

/// Runs one `staff` action.
pub async fn run(settings: Settings, action: StaffCommand) -> Outcome {
    let db = open_db(&settings).await?;
    let failed = |e: crate::domain::AppError| e.to_string();
    match action {
        StaffCommand::Add(new) => {
            let (email, name, role) = new.parse()?;
            let password = NewPassword::parse(&read_password()?)?;
            let hasher = crate::server::passwords::Hasher::with_workers(1);
            let member = staff::add(&db, &hasher, &email, &name, role, &password)
                .await
                .map_err(failed)?;
            println!("added {} ({})", member.email, member.role.as_str());
        }
        StaffCommand::Invite(new) => {
            let (email, name, role) = new.parse()?;
            let member = staff::invite(&db, &email, &name, role)
                .await
                .map_err(failed)?;
            send_link(&settings, &db, &member, StaffLink::Invite).await?;
            println!(
                "invited {} ({}); the invitation link works for {} hours",
                member.email,
                member.role.as_str(),
                settings.mail.invite_link_hours
            );
        }
        StaffCommand::List => {
            for listed in staff::roster(&db).await.map_err(failed)? {
                let state = match (listed.disabled, listed.password_pending) {
                    (true, _) => "disabled",
                    (false, true) => "invited",
                    (false, false) => "active",
                };
                println!(
                    "{}\t{}\t{}\t{state}",
                    listed.member.email,
                    listed.member.role.as_str(),
                    listed.member.name
                );
            }
        }
        StaffCommand::Enable { email } => {
            let email = Email::parse(&email)?;
            if staff::enable(&db, &email).await.map_err(failed)? {
                println!("enabled {}", email.as_str());
            } else {
                println!("{} was not disabled", email.as_str());
            }
        }
        StaffCommand::ResetPassword { email } => {
            let email = Email::parse(&email)?;
            let member = staff::clear_password(&db, &email).await.map_err(failed)?;
            send_link(&settings, &db, &member, StaffLink::Password).await?;
            println!(
                "{}: password forgotten and sessions ended; a link to choose a new one was emailed",
                member.email
            );
        }
        StaffCommand::SetRole { email, role: word } => {
            let email = Email::parse(&email)?;
            let member = staff::set_role(&db, &email, role(&word)?)
                .await
                .map_err(failed)?;
            println!("{} is now {}", member.email, member.role.as_str());
        }
        StaffCommand::Disable { email } => {
            let email = Email::parse(&email)?;
            if !staff::disable(&db, &email).await.map_err(failed)? {
                return Err(format!("no active staff member {}", email.as_str()));
            }
            println!("disabled {}", email.as_str());
        }
        StaffCommand::ResetSecondFactor { email } => {
            let email = Email::parse(&email)?;
            staff::reset_second_factor(&db, &email)
                .await
                .map_err(failed)?;
            println!(
                "{}: authenticator and recovery codes forgotten, sessions ended; they set up a new authenticator at their next login",
                email.as_str()
            );
        }
    }
    Ok(())
}

/// Reads a password from standard input: prompted without echo on a terminal, else one line.
fn read_password() -> Result<String, String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password: ").map_err(|e| e.to_string())
    } else {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

/// Queues a staff member's password link; a running server's mail worker sends it (or, in
/// development without SMTP_URL, shows it at /dev/outbox).
async fn send_link(
    settings: &Settings,
    db: &Db,
    member: &StaffMember,
    which: StaffLink,
) -> Outcome {
    let keys = crate::server::crypto::Keyring::load(
        settings.security.encryption_keys.as_ref(),
        &settings.data_dir,
        settings.is_development(),
    )
    .map_err(|e| e.to_string())?;
    let outbox = crate::server::mail::Outbox {
        db,
        keys: &keys,
        now: crate::server::clock::system_now(),
        sends: settings.mail.smtp_url.is_some(),
    };
    crate::server::staff::links::send(
        &outbox,
        &settings.http.public_base_url(),
        member,
        which,
        settings.mail.invite_link_hours,
    )
    .await
    .map_err(|e| e.to_string())
}
