//! The wizard's steps after binding: its answers and its step are kept on the practice's
//! connection row, so a reload or another device resumes there. Finishing it activates the
//! integration at Hint (when `HINT_ACTIVATE_ON_EXCHANGE` is on), exactly once however often
//! Connect is pressed.

use crate::domain::account::CurrentUser;
use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::connection::{ConnectProblem, ConnectionStatus, ConnectionSummary};
use crate::domain::onboarding::{PracticeAnswers, ProfileAnswers, WizardAnswers, WizardStep};
use crate::domain::AppError;
use crate::server::audit::{self, Entry};
use crate::server::connections::{answers, load, set_status, ConnectionRow, StatusChange, Target};
use crate::server::hint::HintError;
use crate::server::state::AppState;

async fn save_wizard(
    state: &AppState,
    row: &ConnectionRow,
    step: WizardStep,
    answers: &WizardAnswers,
) -> Result<(), AppError> {
    let (data, preferences) = answers::stored(answers)?;
    sqlx::query(
        "UPDATE connections SET wizard_step = $1, wizard_data = $2, alerts_by_email = $3, \
         weekly_summary = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(step.index())
    .bind(data)
    .bind(i64::from(preferences.alerts_by_email))
    .bind(i64::from(preferences.weekly_summary))
    .bind(state.clock.now())
    .bind(&row.summary.id)
    .execute(state.db.pool())
    .await?;
    Ok(())
}

fn editable(row: &ConnectionRow) -> Result<(), AppError> {
    if row.step == WizardStep::Done {
        return Err(AppError::invalid(
            "This practice is already connected; there is nothing left to change here.",
        ));
    }
    Ok(())
}

/// Saves the "Your practice" step and moves on.
pub async fn save_practice(
    state: &AppState,
    row: &ConnectionRow,
    answers: PracticeAnswers,
) -> Result<(), AppError> {
    editable(row)?;
    let answers = answers.validate().map_err(AppError::Invalid)?;
    let mut all = row.answers.clone();
    all.practice = Some(answers);
    save_wizard(
        state,
        row,
        WizardStep::Profile.max(row.step.min(WizardStep::Review)),
        &all,
    )
    .await
}

/// Saves the "You and your preferences" step and moves on.
pub async fn save_profile(
    state: &AppState,
    row: &ConnectionRow,
    answers: ProfileAnswers,
) -> Result<(), AppError> {
    editable(row)?;
    if row.answers.practice.is_none() {
        return Err(AppError::invalid("Fill in the practice step first."));
    }
    let answers = answers.validate().map_err(AppError::Invalid)?;
    let mut all = row.answers.clone();
    all.profile = Some(answers);
    save_wizard(state, row, WizardStep::Review, &all).await
}

/// Goes back one step (answers are kept).
pub async fn go_back(state: &AppState, row: &ConnectionRow) -> Result<(), AppError> {
    editable(row)?;
    let previous = row.step.previous().max(WizardStep::Practice);
    save_wizard(state, row, previous, &row.answers).await
}

/// Finishes the wizard: the one request that moves it to done activates the integration at
/// Hint (when so configured); every other press reports the same outcome.
pub async fn complete(
    state: &AppState,
    user: &CurrentUser,
    row: &ConnectionRow,
    ip: Option<&str>,
) -> Result<ConnectionSummary, AppError> {
    if row.answers.practice.is_none() || row.answers.profile.is_none() {
        return Err(AppError::invalid(
            "Finish the earlier steps before connecting.",
        ));
    }
    let id = &row.summary.id;
    let claimed = sqlx::query(
        "UPDATE connections SET wizard_step = $1, failure = NULL, updated_at = $2 \
         WHERE id = $3 AND wizard_step < $1",
    )
    .bind(WizardStep::Done.index())
    .bind(state.clock.now())
    .bind(id)
    .execute(state.db.pool())
    .await?;
    if claimed.rows_affected() == 1 {
        let activate = state.settings.connect.activate_on_exchange
            && row.summary.status == ConnectionStatus::AwaitingActivation;
        let outcome = if activate {
            activate_at_hint(state, id).await
        } else {
            Ok(())
        };
        let entry = |outcome, detail| Entry {
            actor_id: Some(&user.id),
            connection_id: Some(id),
            ip,
            detail,
            ..Entry::new(
                ActorKind::Provider,
                AuditAction::OnboardingCompleted,
                outcome,
            )
        };
        match outcome {
            Ok(()) => audit::record(&state.db, entry(Outcome::Ok, None)).await,
            Err(problem) => {
                // Back to the review step, with what went wrong; pressing Connect again retries.
                sqlx::query("UPDATE connections SET wizard_step = $1, failure = $2 WHERE id = $3")
                    .bind(WizardStep::Review.index())
                    .bind(problem.as_str())
                    .bind(id)
                    .execute(state.db.pool())
                    .await?;
                audit::record(&state.db, entry(Outcome::Failed, Some(problem.as_str()))).await;
            }
        }
    }
    wait_for_activation(state, id).await
}

/// The connection's state once no other request is activating it (a second press of Connect
/// waits for the first one's outcome, within reason).
async fn wait_for_activation(state: &AppState, id: &str) -> Result<ConnectionSummary, AppError> {
    let started = std::time::Instant::now();
    loop {
        let row = load(state, id).await?.ok_or(AppError::NotFound)?;
        let activating = state.settings.connect.activate_on_exchange
            && row.step == WizardStep::Done
            && row.summary.status == ConnectionStatus::AwaitingActivation
            && row.summary.problem.is_none();
        if !activating || started.elapsed() > std::time::Duration::from_secs(30) {
            return Ok(row.summary);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Activates the connection's integration at Hint and records what Hint says of it.
async fn activate_at_hint(state: &AppState, id: &str) -> Result<(), ConnectProblem> {
    let integration: Option<String> =
        sqlx::query_scalar("SELECT integration_id FROM connections WHERE id = $1")
            .bind(id)
            .fetch_one(state.db.pool())
            .await
            .map_err(|_| ConnectProblem::HintUnavailable)?;
    let integration = integration.ok_or(ConnectProblem::PartnerMisconfigured)?;
    match state.hint.activate(&integration).await {
        Ok(info) => {
            let change = StatusChange {
                hint_status: info.status.as_deref(),
                ..StatusChange::to(crate::server::connections::status_from_hint(
                    info.status.as_deref(),
                ))
            };
            let stored = async {
                let mut tx = state.db.begin_write().await?;
                set_status(&mut tx, state.clock.now(), Target::Id(id), change).await?;
                tx.commit().await
            };
            stored.await.map_err(|error: sqlx::Error| {
                tracing::error!(%error, connection_id = %id, "could not store an activation");
                ConnectProblem::HintUnavailable
            })?;
            Ok(())
        }
        Err(error) => {
            tracing::warn!(%error, connection_id = %id, "could not activate an integration");
            Err(match error {
                HintError::Unavailable { .. } | HintError::Unreachable { .. } => {
                    ConnectProblem::HintUnavailable
                }
                HintError::NoAnswer { .. } | HintError::BadResponse(_) => ConnectProblem::NoAnswer,
                HintError::Unauthorized { .. }
                | HintError::Rejected { .. }
                | HintError::WrongProduct { .. } => ConnectProblem::PartnerMisconfigured,
            })
        }
    }
}
