//! What follows a staff member's password: the second factor at login, setting up an
//! authenticator when there is none, and the step-up (password and code again) that revealing a
//! key, deactivating at Hint and a manual connect need. Every attempt is throttled like a
//! password (six digits would otherwise fall to a quick guesser) and audited.

use super::login::{check_password, LoggedIn, Principal};
use super::{pending_staff, Browser, StaffCookie};
use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::staff::{Enrolment, StaffMember, StaffStage};
use crate::domain::AppError;
use crate::server::audit::{self, Entry};
use crate::server::staff::second_factor::{self, Proof};
use crate::server::staff::session as staff_session;
use crate::server::state::AppState;
use crate::server::throttle::{self, LoginKeys};

/// The throttle's name for second-factor codes (counted apart from passwords).
const CODE_THROTTLE: &str = "staff_code";

fn entry<'a>(
    member: &'a StaffMember,
    action: AuditAction,
    outcome: Outcome,
    ip: Option<&'a str>,
) -> Entry<'a> {
    Entry {
        actor_id: Some(&member.id),
        ip,
        ..Entry::new(ActorKind::Staff, action, outcome)
    }
}

/// Checks `code` for `member` under the code throttle, auditing the attempt as `action`.
async fn throttled_code(
    state: &AppState,
    member: &StaffMember,
    code: &str,
    recovery_allowed: bool,
    action: AuditAction,
    ip: Option<&str>,
) -> Result<Proof, AppError> {
    let keys = LoginKeys::new(CODE_THROTTLE, &member.email, ip);
    if let Err(limited) = throttle::reserve_attempt(&state.db, &keys).await {
        let denied = Entry {
            detail: Some("rate_limited"),
            ..entry(member, action, Outcome::Denied, ip)
        };
        audit::record(&state.db, denied).await;
        return Err(limited);
    }
    match second_factor::verify(state, member, code, recovery_allowed).await {
        Ok(proof) => {
            throttle::succeeded(&state.db, &keys).await?;
            Ok(proof)
        }
        Err(error) => {
            audit::record(&state.db, entry(member, action, Outcome::Denied, ip)).await;
            Err(error)
        }
    }
}

/// The second step of a staff login: a code from the authenticator finishes it; a recovery
/// code resets the authenticator, ends the member's other sessions and leads to setting up a
/// new one. Answers the stage the login is at now.
pub async fn second_factor(
    state: &AppState,
    browser: Browser<'_>,
    code: &str,
    ip: Option<&str>,
) -> Result<StaffStage, AppError> {
    let member = pending_staff(state, browser.staff, StaffStage::SecondFactor).await?;
    let action = AuditAction::StaffSecondFactor;
    let stage = match throttled_code(state, &member, code, true, action, ip).await? {
        Proof::Code => {
            audit::record(&state.db, entry(&member, action, Outcome::Ok, ip)).await;
            StaffStage::SignedIn
        }
        Proof::RecoveryCode => {
            staff_session::end_all(&state.db, &member.id).await?;
            let reset = Entry {
                detail: Some("recovery code used"),
                ..entry(&member, AuditAction::StaffFactorReset, Outcome::Ok, ip)
            };
            audit::record(&state.db, reset).await;
            StaffStage::Enrol
        }
    };
    super::start_staff_login(state, browser, &member.id, stage).await?;
    Ok(stage)
}

/// What the enrolment page shows to the staff member setting up their authenticator.
pub async fn enrolment(state: &AppState, cookie: &StaffCookie) -> Result<Enrolment, AppError> {
    let member = pending_staff(state, cookie, StaffStage::Enrol).await?;
    second_factor::enrolment(state, &member).await
}

/// Finishes setting up the authenticator with a first code from it; the login is complete.
pub async fn enrol(
    state: &AppState,
    browser: Browser<'_>,
    code: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let member = pending_staff(state, browser.staff, StaffStage::Enrol).await?;
    let keys = LoginKeys::new(CODE_THROTTLE, &member.email, ip);
    throttle::reserve_attempt(&state.db, &keys).await?;
    let action = AuditAction::StaffFactorEnrolled;
    match second_factor::confirm_enrolment(state, &member, code).await {
        Ok(()) => {}
        Err(error) => {
            audit::record(&state.db, entry(&member, action, Outcome::Denied, ip)).await;
            return Err(error);
        }
    }
    throttle::succeeded(&state.db, &keys).await?;
    audit::record(&state.db, entry(&member, action, Outcome::Ok, ip)).await;
    super::start_staff_login(state, browser, &member.id, StaffStage::SignedIn).await
}

/// Confirms the signed-in staff member's password and a fresh authenticator code, for the
/// actions that need a recent confirmation. Recovery codes do not count here.
pub async fn step_up(
    state: &AppState,
    browser: Browser<'_>,
    password: &str,
    code: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let member =
        super::require_staff(state, browser, crate::domain::staff::StaffRole::Support).await?;
    let action = AuditAction::StaffSteppedUp;
    let keys = LoginKeys::new(Principal::Staff.throttle_name(), &member.email, ip);
    throttle::reserve_attempt(&state.db, &keys).await?;
    let checked = check_password(state, Principal::Staff, &member.email, password).await;
    let password_ok = matches!(
        throttle::unless_busy(&state.db, &keys, checked).await?,
        Some(LoggedIn::Staff(ref found, _)) if found.id == member.id
    );
    if !password_ok {
        audit::record(&state.db, entry(&member, action, Outcome::Denied, ip)).await;
        return Err(AppError::invalid(
            "That password is not right. Type your own staff password.",
        ));
    }
    throttle::succeeded(&state.db, &keys).await?;
    if !second_factor::is_enrolled(&state.db, &member.id).await? {
        return Err(AppError::invalid(
            "Set up an authenticator first: log out, and log in again to set one up.",
        ));
    }
    throttled_code(state, &member, code, false, action, ip).await?;
    staff_session::stepped_up(state, browser.staff).await?;
    audit::record(&state.db, entry(&member, action, Outcome::Ok, ip)).await;
    Ok(())
}
