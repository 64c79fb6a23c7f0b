//! The onboarding wizard's service: a code lands and is kept, the provider who signs in claims
//! it, the wizard's answers are saved step by step on the row, and the page learns which step
//! to show. The wizard's step state lives here, on the connection row.

use sha2::{Digest, Sha256};

use super::{load, ConnectionRow};
use crate::domain::account::CurrentUser;
use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::connection::{AuthCode, ConnectionStatus};
use crate::domain::onboarding::{
    Onboarding, PracticeAnswers, ProfileAnswers, WizardAnswers, WizardStep,
};
use crate::domain::AppError;
use crate::server::audit::{self, Entry};
use crate::server::crypto::Purpose;
use crate::server::db::{new_id, now};
use crate::server::state::AppState;

/// SHA-256 of a code, hex: how a code is looked up without being stored in clear.
pub fn code_hash(code: &AuthCode) -> String {
    hex::encode(Sha256::digest(code.expose().as_bytes()))
}

/// Records a code that just landed, tied to the browser session (and to the provider when
/// logged in). Landing twice with one code finds the same row. Returns the connection's id.
pub async fn receive_code(
    state: &AppState,
    code: &AuthCode,
    user_id: Option<&str>,
    ip: Option<&str>,
) -> Result<String, AppError> {
    let hash = code_hash(code);
    let id = new_id("con");
    let (sealed, key_id) = state.keys.encrypt(Purpose::AuthCode, &id, code.expose());
    let at = now();
    let inserted = sqlx::query(
        "INSERT INTO connections (id, status, code_hash, code_ciphertext, code_key_id, user_id, created_at, updated_at) \
         VALUES ($1, 'pending', $2, $3, $4, $5, $6, $6) ON CONFLICT (code_hash) DO NOTHING",
    )
    .bind(&id)
    .bind(&hash)
    .bind(sealed)
    .bind(&key_id)
    .bind(user_id)
    .bind(at)
    .execute(state.db.pool())
    .await?;
    let (existing,): (String,) = sqlx::query_as("SELECT id FROM connections WHERE code_hash = $1")
        .bind(&hash)
        .fetch_one(state.db.pool())
        .await?;
    if inserted.rows_affected() == 1 {
        let actor = if user_id.is_some() {
            ActorKind::Provider
        } else {
            ActorKind::Anonymous
        };
        audit::record(
            &state.db,
            Entry {
                actor_id: user_id,
                connection_id: Some(&id),
                ip,
                ..Entry::new(actor, AuditAction::CodeReceived, Outcome::Ok)
            },
        )
        .await;
    } else if let Some(user_id) = user_id {
        claim_for_user(state, &existing, user_id).await?;
    }
    Ok(existing)
}

/// Gives an unowned pending connection to `user_id` (after they sign up or log in), and moves
/// the wizard past the account step.
pub async fn claim_for_user(state: &AppState, id: &str, user_id: &str) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE connections SET user_id = $1, updated_at = $2, \
         wizard_step = CASE WHEN wizard_step < 1 THEN 1 ELSE wizard_step END \
         WHERE id = $3 AND (user_id IS NULL OR user_id = $1)",
    )
    .bind(user_id)
    .bind(now())
    .bind(id)
    .execute(state.db.pool())
    .await?;
    Ok(())
}

/// The connection this browser session brought (`connection_id`, kept in the session), as the
/// signed-in `user` may see it: an unowned one is claimed for them; someone else's is not shown.
pub async fn session_connection(
    state: &AppState,
    user: Option<&CurrentUser>,
    connection_id: Option<&str>,
) -> Result<Option<ConnectionRow>, AppError> {
    let Some(id) = connection_id else {
        return Ok(None);
    };
    let row = load(state, id).await?;
    Ok(match (row, user) {
        (Some(row), Some(user)) if row.user_id.is_none() => {
            claim_for_user(state, &row.summary.id, &user.id).await?;
            load(state, &row.summary.id).await?
        }
        (Some(row), Some(user)) if row.user_id.as_deref() == Some(&user.id) => Some(row),
        (Some(row), None) => Some(row),
        _ => None,
    })
}

/// What the wizard page shows: the step follows the account and the connection's state.
pub fn view(user: Option<CurrentUser>, row: Option<ConnectionRow>) -> Onboarding {
    let step = match (&user, &row) {
        (None, _) => WizardStep::Account,
        (Some(_), Some(row))
            if matches!(
                row.summary.status,
                ConnectionStatus::Connected | ConnectionStatus::AwaitingActivation
            ) =>
        {
            WizardStep::Done
        }
        (Some(_), Some(row)) => row.step.max(WizardStep::Practice).min(WizardStep::Review),
        (Some(_), None) => WizardStep::Practice,
    };
    let answers = row.as_ref().map(|r| r.answers.clone()).unwrap_or_default();
    Onboarding {
        user,
        connection: row.map(|r| r.summary),
        step,
        answers,
    }
}

/// The connection being set up, or the message that says how to start one.
pub fn in_progress(row: Option<ConnectionRow>) -> Result<ConnectionRow, AppError> {
    row.ok_or_else(|| {
        AppError::invalid(
            "There is no connection in progress. Start from Hint: open our integration there and click Connect.",
        )
    })
}

async fn save_wizard(
    state: &AppState,
    row: &ConnectionRow,
    step: WizardStep,
    answers: &WizardAnswers,
) -> Result<(), AppError> {
    let data = serde_json::to_string(answers).map_err(|_| AppError::Internal)?;
    sqlx::query(
        "UPDATE connections SET wizard_step = $1, wizard_data = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(step.index())
    .bind(data)
    .bind(now())
    .bind(&row.summary.id)
    .execute(state.db.pool())
    .await?;
    Ok(())
}

fn editable(row: &ConnectionRow) -> Result<(), AppError> {
    match row.summary.status {
        ConnectionStatus::Pending | ConnectionStatus::Failed => Ok(()),
        _ => Err(AppError::invalid(
            "This practice is already connected; there is nothing left to change here.",
        )),
    }
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

/// Forgets codes that landed more than `lifetime_seconds` ago and that nobody claimed or
/// exchanged: Hint no longer takes them, and keeping them would let strangers fill the table.
pub async fn forget_expired_codes(
    state: &AppState,
    lifetime_seconds: u64,
) -> Result<u64, AppError> {
    let done = sqlx::query(
        "DELETE FROM connections WHERE status = 'pending' AND user_id IS NULL \
         AND practice_id IS NULL AND created_at < $1",
    )
    .bind(now() - lifetime_seconds as i64)
    .execute(state.db.pool())
    .await?;
    Ok(done.rows_affected())
}
