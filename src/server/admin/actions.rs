//! What staff do to a connection: the five actions of the detail page (typed by
//! `StaffAction`, each audited) and the manual connect of Hint's manual flow. The role needed is
//! checked by the caller (`api::admin`) before anything here runs.

use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::connection::{AuthCode, ConnectionStatus};
use crate::domain::staff::{StaffAction, StaffMember};
use crate::domain::AppError;
use crate::server::audit::{self, Entry};
use crate::server::connections::exchange::{self, ExchangeActor};
use crate::server::connections::keys::{self, Verdict};
use crate::server::connections::onboarding::landing;
use crate::server::connections::{set_status, StatusChange, Target};
use crate::server::hint::HintError;
use crate::server::state::AppState;

/// A staff action's outcome, shown to the staff member.
pub type ActionResult = Result<String, AppError>;

/// Runs `action` on connection `id` for `staff` (an admin). Answers the message to show; for
/// `Reveal`, the key itself.
pub async fn run(
    state: &AppState,
    staff: &StaffMember,
    id: &str,
    action: StaffAction,
    ip: Option<&str>,
) -> ActionResult {
    let act = Acting {
        state,
        staff,
        id,
        ip,
    };
    match action {
        StaffAction::Verify => verify(&act).await,
        StaffAction::Refresh => refresh_status(&act).await,
        StaffAction::Activate => switch_integration(&act, true).await,
        StaffAction::Deactivate => switch_integration(&act, false).await,
        StaffAction::Reveal => reveal_key(&act).await,
    }
}

fn hint_failure(error: &HintError) -> AppError {
    // Hint's own words go to the log only: they can echo what we sent.
    tracing::warn!(%error, "Hint refused a staff action");
    match error {
        HintError::Unavailable { .. } | HintError::Unreachable { .. } => {
            AppError::invalid("Hint is not reachable right now; nothing was changed. Try again in a minute.")
        }
        HintError::NoAnswer { .. } | HintError::BadResponse(_) => {
            AppError::invalid("Hint did not give a usable answer; nothing was recorded. Check the state in Hint and try again.")
        }
        HintError::Unauthorized { .. } => AppError::invalid(
            "Hint refused our partner API key. Check HINT_PARTNER_API_KEY; nothing was changed.",
        ),
        HintError::WrongProduct { .. } => AppError::invalid(
            "Hint answered for another product than HINT_PRODUCT_ID; nothing was stored. Check HINT_PRODUCT_ID.",
        ),
        HintError::Rejected { status, .. } => AppError::Invalid(format!(
            "Hint refused the request (HTTP {status}); nothing was changed. The details are in the server's log."
        )),
    }
}

/// One staff member acting on one connection, for the audit lines the action writes.
struct Acting<'a> {
    state: &'a AppState,
    staff: &'a StaffMember,
    id: &'a str,
    ip: Option<&'a str>,
}

impl Acting<'_> {
    async fn record(&self, action: AuditAction, outcome: Outcome, detail: Option<&str>) {
        let entry = Entry {
            actor_id: Some(&self.staff.id),
            connection_id: Some(self.id),
            ip: self.ip,
            detail,
            ..Entry::new(ActorKind::Staff, action, outcome)
        };
        audit::record(&self.state.db, entry).await;
    }
}

async fn integration_id(state: &AppState, id: &str) -> Result<String, AppError> {
    let integration: Option<String> =
        sqlx::query_scalar("SELECT integration_id FROM connections WHERE id = $1")
            .bind(id)
            .fetch_optional(state.db.pool())
            .await?
            .ok_or(AppError::NotFound)?;
    integration.ok_or_else(|| AppError::invalid("This connection has no integration at Hint yet."))
}

/// Proves the stored key against Hint (see `connections::keys::verify_key`).
async fn verify(act: &Acting<'_>) -> ActionResult {
    let (state, id) = (act.state, act.id);
    let action = AuditAction::KeyVerified;
    match keys::verify_key(state, id).await? {
        Verdict::Works { practice_name } => {
            act.record(action, Outcome::Ok, None).await;
            Ok(format!("The key works: Hint answered for {practice_name}."))
        }
        Verdict::Refused => {
            act.record(action, Outcome::Failed, Some("hint_401")).await;
            Ok(
                "Hint refused the stored key: the connection is marked as needing a reconnect."
                    .into(),
            )
        }
        Verdict::Unknown(error) => {
            act.record(action, Outcome::Failed, Some("hint_error"))
                .await;
            Err(hint_failure(&error))
        }
    }
}

/// Reads the integration's status at Hint and stores it.
async fn refresh_status(act: &Acting<'_>) -> ActionResult {
    let (state, id) = (act.state, act.id);
    let integration = integration_id(state, id).await?;
    match state.hint.integration(&integration).await {
        Ok(info) => {
            let word = info.status.unwrap_or_default();
            let change = StatusChange {
                hint_status: Some(&word),
                ..StatusChange::to(crate::server::connections::status_from_hint(Some(&word)))
            };
            let mut tx = state.db.begin_write().await?;
            set_status(&mut tx, state.clock.now(), Target::Id(id), change).await?;
            tx.commit().await?;
            act.record(AuditAction::StatusRefreshed, Outcome::Ok, Some(&word))
                .await;
            Ok(format!("Hint says the integration is {word}."))
        }
        Err(error) => {
            act.record(AuditAction::StatusRefreshed, Outcome::Failed, None)
                .await;
            Err(hint_failure(&error))
        }
    }
}

/// Turns the integration on or off at Hint, then records the new state here.
async fn switch_integration(act: &Acting<'_>, on: bool) -> ActionResult {
    let (state, id) = (act.state, act.id);
    let integration = integration_id(state, id).await?;
    let (action, status, done) = if on {
        (
            AuditAction::Activated,
            ConnectionStatus::Connected,
            "Activated at Hint; the connection is now connected.",
        )
    } else {
        (
            AuditAction::Deactivated,
            ConnectionStatus::Disconnected,
            "Deactivated at Hint; the connection is now disconnected.",
        )
    };
    let answer = if on {
        state.hint.activate(&integration).await
    } else {
        state.hint.deactivate(&integration).await
    };
    match answer {
        Ok(info) => {
            let change = StatusChange {
                hint_status: info.status.as_deref(),
                ..StatusChange::to(status)
            };
            let mut tx = state.db.begin_write().await?;
            set_status(&mut tx, state.clock.now(), Target::Id(id), change).await?;
            tx.commit().await?;
            act.record(action, Outcome::Ok, None).await;
            Ok(done.into())
        }
        Err(error) => {
            act.record(action, Outcome::Failed, None).await;
            Err(hint_failure(&error))
        }
    }
}

/// The full practice key, for an admin; every reveal is audited.
/// The full key, only once its reveal is in the audit log (no record, no key), and with an
/// alert in the log for whoever watches it.
async fn reveal_key(act: &Acting<'_>) -> ActionResult {
    let (state, id) = (act.state, act.id);
    let key = keys::practice_key(state, id).await?;
    let entry = Entry {
        actor_id: Some(&act.staff.id),
        connection_id: Some(id),
        ip: act.ip,
        ..Entry::new(ActorKind::Staff, AuditAction::KeyRevealed, Outcome::Ok)
    };
    if let Err(error) = audit::record_or_fail(&state.db, entry).await {
        tracing::error!(%error, connection_id = %id, "a key reveal could not be audited: refused");
        return Err(AppError::Internal);
    }
    tracing::warn!(alert = "practice_key_revealed", connection_id = %id, staff_id = %act.staff.id, "a staff member revealed a practice key");
    Ok(secrecy::ExposeSecret::expose_secret(&key).to_owned())
}

/// Hint's manual flow: a practice sent staff its code out of band; exchange it exactly like the
/// journey does. Returns the connection's id.
pub async fn manual_connect(
    state: &AppState,
    staff: &StaffMember,
    raw_code: &str,
    ip: Option<&str>,
) -> Result<(String, String), AppError> {
    let code = AuthCode::parse(raw_code.trim()).ok_or_else(|| {
        AppError::invalid(
            "That does not look like a Hint code: letters and digits, 8 to 256 of them.",
        )
    })?;
    let id = landing::receive_code(state, &code, ip).await?;
    let summary = exchange::exchange(
        state,
        &id,
        ExchangeActor::Staff(staff.id.clone()),
        state.settings.connect.activate_on_exchange,
        ip,
    )
    .await?;
    let message = match (summary.status, summary.problem) {
        (ConnectionStatus::Connected, _) => {
            format!(
                "Connected {}.",
                summary.practice_name.as_deref().unwrap_or("the practice")
            )
        }
        (ConnectionStatus::AwaitingActivation, _) => {
            "Exchanged; the integration awaits activation.".to_owned()
        }
        (_, Some(problem)) => problem.message().to_owned(),
        (status, None) => format!("The connection is {}.", status.label()),
    };
    Ok((summary.id, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_own_words_never_reach_staff() {
        let error = HintError::Rejected {
            status: 422,
            message: "key IpT6ucPNhRhDEeZcBNVKnoSSBNS1i6QplR4 is not valid".into(),
        };
        let shown = hint_failure(&error).to_string();
        assert!(!shown.contains("IpT6uc"), "{shown}");
        assert!(shown.contains("422"));
    }
}
