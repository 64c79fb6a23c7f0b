//! The one login flow, for providers and staff alike: the throttle is asked first, the password
//! is checked at equal cost whether or not the account exists, every attempt is audited (also
//! the throttled ones), and a success starts a session under a new id. Sign-up, which logs the
//! new provider in, is here too.

use tower_sessions::Session;

use super::throttle::{self, LoginKeys};
use super::{start_login, start_staff_login};
use crate::domain::account::{CurrentUser, Email, NewPassword, PersonName};
use crate::domain::admin::StaffMember;
use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::AppError;
use crate::server::audit::{self, Entry};
use crate::server::state::AppState;
use crate::server::{account, staff};

/// Who is logging in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// A provider, at `/login` or in the wizard.
    Provider,
    /// Partner staff, at `/admin/login`.
    Staff,
}

impl Principal {
    /// The throttle's name for this kind of account (its emails are counted apart).
    fn throttle_name(self) -> &'static str {
        match self {
            Self::Provider => "provider",
            Self::Staff => "staff",
        }
    }

    fn audit_action(self) -> AuditAction {
        match self {
            Self::Provider => AuditAction::Login,
            Self::Staff => AuditAction::StaffLogin,
        }
    }

    fn wrong_password(self) -> AppError {
        AppError::invalid(match self {
            Self::Provider => {
                "That email and password do not match an account. Check both and try again."
            }
            Self::Staff => "That email and password do not match a staff account.",
        })
    }
}

/// Who logged in.
#[derive(Debug, Clone)]
pub enum LoggedIn {
    Provider(CurrentUser),
    Staff(StaffMember),
}

impl LoggedIn {
    fn id(&self) -> &str {
        match self {
            Self::Provider(user) => &user.id,
            Self::Staff(member) => &member.id,
        }
    }

    fn actor(&self) -> ActorKind {
        match self {
            Self::Provider(_) => ActorKind::Provider,
            Self::Staff(_) => ActorKind::Staff,
        }
    }
}

/// Logs `principal` in with `email` and `password`, or says why not. One message for a wrong
/// email and a wrong password, so nobody learns which emails have accounts from this form.
pub async fn log_in(
    state: &AppState,
    session: &Session,
    principal: Principal,
    email: &str,
    password: &str,
    ip: Option<&str>,
) -> Result<LoggedIn, AppError> {
    let keys = LoginKeys::new(principal.throttle_name(), email, ip);
    let denied = |detail| Entry {
        ip,
        detail,
        ..Entry::new(
            ActorKind::Anonymous,
            principal.audit_action(),
            Outcome::Denied,
        )
    };
    // The slot is taken before the password is checked: parallel guesses cannot race past it.
    if let Err(limited) = throttle::reserve_attempt(&state.db, &keys).await {
        audit::record(&state.db, denied(Some("rate_limited"))).await;
        return Err(limited);
    }
    let Some(account) = check_password(state, principal, email, password).await? else {
        audit::record(&state.db, denied(None)).await;
        return Err(principal.wrong_password());
    };
    throttle::succeeded(&state.db, &keys).await?;
    match &account {
        LoggedIn::Provider(user) => start_login(session, &user.id).await?,
        LoggedIn::Staff(member) => start_staff_login(session, &member.id).await?,
    }
    let entry = Entry {
        actor_id: Some(account.id()),
        ip,
        ..Entry::new(account.actor(), principal.audit_action(), Outcome::Ok)
    };
    audit::record(&state.db, entry).await;
    Ok(account)
}

/// The account `email` names if `password` is its password. An unknown or malformed email, and
/// a disabled staff account, cost the same hashing time as a wrong password.
async fn check_password(
    state: &AppState,
    principal: Principal,
    email: &str,
    password: &str,
) -> Result<Option<LoggedIn>, AppError> {
    let email = Email::parse(email).ok();
    let found = match (&email, principal) {
        (None, _) => None,
        (Some(email), Principal::Provider) => {
            account::credentials(&state.db, email).await?.map(|found| {
                let hash = found.password_hash.clone();
                (LoggedIn::Provider(found.user()), hash, true)
            })
        }
        (Some(email), Principal::Staff) => {
            staff::credentials(&state.db, email).await?.map(|found| {
                let hash = found.password_hash.clone();
                let record = found.record();
                (LoggedIn::Staff(record.member), hash, !record.disabled)
            })
        }
    };
    let (account, hash, enabled) = match found {
        Some((account, hash, enabled)) => (Some(account), Some(hash), enabled),
        None => (None, None, false),
    };
    let matches = state.passwords.verify(password.to_owned(), hash).await?;
    Ok(account.filter(|_| matches && enabled))
}

/// Creates a provider account, audits it, and logs the new provider in.
pub async fn sign_up(
    state: &AppState,
    session: &Session,
    name: &PersonName,
    email: &Email,
    password: &NewPassword,
    ip: Option<&str>,
) -> Result<CurrentUser, AppError> {
    let user = match account::sign_up(&state.db, &state.passwords, name, email, password).await {
        Ok(user) => user,
        Err(error) => {
            let entry = Entry {
                ip,
                ..Entry::new(
                    ActorKind::Anonymous,
                    AuditAction::AccountCreated,
                    Outcome::Failed,
                )
            };
            audit::record(&state.db, entry).await;
            return Err(error);
        }
    };
    let entry = Entry {
        actor_id: Some(&user.id),
        ip,
        ..Entry::new(
            ActorKind::Provider,
            AuditAction::AccountCreated,
            Outcome::Ok,
        )
    };
    audit::record(&state.db, entry).await;
    start_login(session, &user.id).await?;
    Ok(user)
}
