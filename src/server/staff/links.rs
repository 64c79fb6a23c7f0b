//! The one-time links that let a staff member choose their password: the invitation
//! (`staff invite`) and the link after an operator's `staff reset-password`. The second factor
//! is set up at the first login afterwards, as for every staff member.

use sha2::{Digest, Sha256};

use crate::domain::account::NewPassword;
use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::staff::StaffMember;
use crate::domain::AppError;
use crate::server::account_tokens::{self, TokenPurpose};
use crate::server::audit::{self, Entry};
use crate::server::mail::{invitations, Outbox};
use crate::server::staff;
use crate::server::state::AppState;
use crate::server::throttle::{self, LoginKeys};

/// Which link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffLink {
    /// A new member's first password.
    Invite,
    /// A new password after an operator cleared the old one.
    Password,
}

impl StaffLink {
    fn purpose(self) -> TokenPurpose {
        match self {
            Self::Invite => TokenPurpose::StaffInvite,
            Self::Password => TokenPurpose::StaffPassword,
        }
    }
}

/// Emails `member` a link to choose their password, working for `hours`.
pub async fn send(
    outbox: &Outbox<'_>,
    base_url: &str,
    member: &StaffMember,
    which: StaffLink,
    hours: u64,
) -> Result<(), AppError> {
    let token = account_tokens::issue(
        outbox.db,
        which.purpose(),
        &member.id,
        &member.email,
        outbox.now,
        hours as i64 * 3600,
    )
    .await?;
    let link = format!(
        "{}/admin/welcome?token={token}",
        base_url.trim_end_matches('/')
    );
    let email = match which {
        StaffLink::Invite => {
            invitations::staff_invite(&member.name, member.role.as_str(), &link, hours)
        }
        StaffLink::Password => invitations::staff_password(&member.name, &link, hours),
    };
    outbox.queue(&member.email, email).await
}

/// Whether a staff link still works (its page shows the form, or says to ask again).
pub async fn works(state: &AppState, token: &str) -> Result<bool, AppError> {
    let now = state.clock.now();
    for which in [StaffLink::Invite, StaffLink::Password] {
        if account_tokens::is_live(&state.db, which.purpose(), token, now).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Sets the password of the staff member a live link names; the link is used up. Braked per
/// client and per link like logins, so links cannot be guessed at speed (they cannot be anyway:
/// 256 bits), and a stranger's guesses never brake someone else's real link.
pub async fn choose_password(
    state: &AppState,
    token: &str,
    password: &NewPassword,
    ip: Option<&str>,
) -> Result<(), AppError> {
    // The link is keyed by its hash: the token itself is never stored, even as a throttle key.
    let link_key = hex::encode(&Sha256::digest(token.trim().as_bytes())[..16]);
    let keys = LoginKeys::new("staff-link", &link_key, ip);
    throttle::reserve_attempt(&state.db, &keys).await?;
    let hash = state.passwords.hash(password.expose().to_owned()).await?;
    let now = state.clock.now();
    let mut used = None;
    for which in [StaffLink::Invite, StaffLink::Password] {
        used = account_tokens::redeem(&state.db, which.purpose(), token, now).await?;
        if used.is_some() {
            break;
        }
    }
    let Some(used) = used else {
        let entry = Entry {
            ip,
            detail: Some("link not valid"),
            ..Entry::new(
                ActorKind::Anonymous,
                AuditAction::StaffPasswordSet,
                Outcome::Denied,
            )
        };
        audit::record(&state.db, entry).await;
        return Err(AppError::invalid(
            "That link has expired or was already used. Ask an administrator for a new one.",
        ));
    };
    staff::set_password_hash(&state.db, &used.owner_id, &hash).await?;
    throttle::succeeded(&state.db, &keys).await?;
    let entry = Entry {
        actor_id: Some(used.owner_id.as_str()),
        ip,
        ..Entry::new(ActorKind::Staff, AuditAction::StaffPasswordSet, Outcome::Ok)
    };
    Ok(audit::record_or_fail(&state.db, entry).await?)
}
