//! The one login flow, for providers and staff alike: the throttle is asked first, the password
//! is checked at equal cost whether or not the account exists, every attempt is audited (also
//! the throttled ones), and a success starts a session under a new id. A staff login then waits
//! for its second factor (`staff_login`).

use super::{start_login, start_staff_login, Browser};
use crate::domain::account::{CurrentUser, Email};
use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::staff::{StaffMember, StaffStage};
use crate::domain::AppError;
use crate::server::account::users;
use crate::server::audit::{self, Entry};
use crate::server::staff;
use crate::server::staff::second_factor;
use crate::server::state::AppState;
use crate::server::throttle::{self, LoginKeys};

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
    pub(super) fn throttle_name(self) -> &'static str {
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

/// Who logged in; for staff, how far the login got (the second factor may be next).
#[derive(Debug, Clone)]
pub enum LoggedIn {
    Provider(CurrentUser),
    Staff(StaffMember, StaffStage),
}

impl LoggedIn {
    fn id(&self) -> &str {
        match self {
            Self::Provider(user) => &user.id,
            Self::Staff(member, _) => &member.id,
        }
    }

    fn actor(&self) -> ActorKind {
        match self {
            Self::Provider(_) => ActorKind::Provider,
            Self::Staff(..) => ActorKind::Staff,
        }
    }
}

/// Logs `principal` in with `email` and `password`, or says why not. One message for a wrong
/// email and a wrong password, so nobody learns which emails have accounts from this form.
pub async fn log_in(
    state: &AppState,
    browser: Browser<'_>,
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
    let checked = check_password(state, principal, email, password).await;
    let Some(mut account) = throttle::unless_busy(&state.db, &keys, checked).await? else {
        audit::record(&state.db, denied(None)).await;
        return Err(principal.wrong_password());
    };
    throttle::succeeded(&state.db, &keys).await?;
    match &mut account {
        LoggedIn::Provider(user) => start_login(state, browser, &user.id, ip).await?,
        LoggedIn::Staff(member, stage) => {
            *stage = if second_factor::is_enrolled(&state.db, &member.id).await? {
                StaffStage::SecondFactor
            } else if state.settings.security.second_factor_required(member.role) {
                StaffStage::Enrol
            } else {
                StaffStage::SignedIn
            };
            start_staff_login(state, browser, &member.id, *stage).await?;
        }
    }
    let next = match &account {
        LoggedIn::Staff(_, StaffStage::SecondFactor) => Some("second factor next"),
        LoggedIn::Staff(_, StaffStage::Enrol) => Some("authenticator set-up next"),
        _ => None,
    };
    let entry = Entry {
        actor_id: Some(account.id()),
        ip,
        detail: next,
        ..Entry::new(account.actor(), principal.audit_action(), Outcome::Ok)
    };
    audit::record(&state.db, entry).await;
    Ok(account)
}

/// The account `email` names if `password` is its password. An unknown or malformed email, and
/// a disabled staff account, cost the same hashing time as a wrong password.
pub(super) async fn check_password(
    state: &AppState,
    principal: Principal,
    email: &str,
    password: &str,
) -> Result<Option<LoggedIn>, AppError> {
    let email = Email::parse(email).ok();
    let found = match (&email, principal) {
        (None, _) => None,
        (Some(email), Principal::Provider) => {
            users::credentials(&state.db, email).await?.map(|found| {
                let hash = found.password_hash.clone();
                (LoggedIn::Provider(found.user()), hash, true)
            })
        }
        (Some(email), Principal::Staff) => {
            staff::credentials(&state.db, email).await?.map(|found| {
                let hash = found.password_hash.clone();
                let record = found.record();
                let stage = StaffStage::SecondFactor;
                (
                    LoggedIn::Staff(record.member, stage),
                    hash,
                    !record.disabled,
                )
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
