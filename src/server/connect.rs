//! The connect journey's service: a code lands, a provider claims it, the wizard's answers are
//! kept, and the code is exchanged with Hint exactly once.
//!
//! Exactly once: the exchange starts with `UPDATE … SET status = 'exchanging' WHERE status =
//! 'pending'`, a state change only one caller can win, on SQLite and on PostgreSQL alike, across
//! tabs, double clicks and app instances. Losers wait for the winner's outcome and report it.

use std::time::Duration;

use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::audit::{self, ActorKind, Entry, Outcome};
use super::crypto::Purpose;
use super::db::{new_id, now};
use super::hint::{HintClient, HintError, TokenResponse};
use super::state::AppState;
use crate::domain::connection::{
    AuthCode, ConnectProblem, ConnectionStatus, ConnectionSummary, PracticeAnswers, ProfileAnswers,
    WizardAnswers, WizardStep,
};
use crate::domain::AppError;

/// How long a request that lost the claim waits for the winner's outcome.
const WAIT_FOR_WINNER: Duration = Duration::from_secs(30);

/// SHA-256 of a code, hex: how a code is looked up without being stored in clear.
pub fn code_hash(code: &AuthCode) -> String {
    hex::encode(Sha256::digest(code.expose().as_bytes()))
}

const SUMMARY_COLUMNS: &str =
    "id, status, practice_id, practice_name, hint_status, connected_at, failure, user_id, merged_into, wizard_step, wizard_data";

/// A connection row as the journey needs it.
#[derive(Debug, Clone)]
pub struct ConnectionRow {
    pub summary: ConnectionSummary,
    pub user_id: Option<String>,
    pub merged_into: Option<String>,
    pub step: WizardStep,
    pub answers: WizardAnswers,
}

fn read_row(row: &AnyRow) -> Result<ConnectionRow, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let failure: Option<String> = row.try_get("failure")?;
    let wizard_data: String = row.try_get("wizard_data")?;
    Ok(ConnectionRow {
        summary: ConnectionSummary {
            id: row.try_get("id")?,
            status: ConnectionStatus::parse(&status).unwrap_or(ConnectionStatus::Failed),
            practice_id: row.try_get("practice_id")?,
            practice_name: row.try_get("practice_name")?,
            hint_status: row.try_get("hint_status")?,
            connected_at: row.try_get("connected_at")?,
            problem: failure.as_deref().and_then(ConnectProblem::parse),
        },
        user_id: row.try_get("user_id")?,
        merged_into: row.try_get("merged_into")?,
        step: WizardStep::from_index(row.try_get("wizard_step")?),
        answers: serde_json::from_str(&wizard_data).unwrap_or_default(),
    })
}

/// Loads a connection, following a merge to the row that holds the practice now.
pub async fn load(state: &AppState, id: &str) -> Result<Option<ConnectionRow>, AppError> {
    let mut id = id.to_owned();
    for _ in 0..3 {
        let row = sqlx::query(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM connections WHERE id = $1"
        ))
        .bind(&id)
        .fetch_optional(state.db.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let row = read_row(&row)?;
        match row.merged_into.clone() {
            Some(next) => id = next,
            None => return Ok(Some(row)),
        }
    }
    Ok(None)
}

/// Loads a connection only if it belongs to `user_id`.
pub async fn load_owned(
    state: &AppState,
    id: &str,
    user_id: &str,
) -> Result<ConnectionRow, AppError> {
    match load(state, id).await? {
        Some(row) if row.user_id.as_deref() == Some(user_id) => Ok(row),
        _ => Err(AppError::NotFound),
    }
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
    let existing: String = sqlx::query("SELECT id FROM connections WHERE code_hash = $1")
        .bind(&hash)
        .fetch_one(state.db.pool())
        .await?
        .try_get("id")?;
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
                ..Entry::new(actor, "code_received", Outcome::Ok)
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

/// Who asks for an exchange.
#[derive(Debug, Clone, Copy)]
pub enum ExchangeActor<'a> {
    /// The provider finishing the wizard (the connection must be theirs).
    Provider(&'a str),
    /// Staff exchanging a code a practice sent them (Hint's manual flow).
    Staff(&'a str),
    /// Hint itself (headless connect).
    Hint,
}

impl ExchangeActor<'_> {
    fn audit(&self) -> (ActorKind, Option<&str>) {
        match self {
            Self::Provider(id) => (ActorKind::Provider, Some(id)),
            Self::Staff(id) => (ActorKind::Staff, Some(id)),
            Self::Hint => (ActorKind::Hint, None),
        }
    }

    fn provider(&self) -> Option<&str> {
        match self {
            Self::Provider(id) => Some(id),
            _ => None,
        }
    }
}

/// Exchanges the connection's code with Hint, at most once however many callers ask.
pub async fn exchange(
    state: &AppState,
    hint: &HintClient,
    id: &str,
    actor: ExchangeActor<'_>,
    ip: Option<&str>,
) -> Result<ConnectionSummary, AppError> {
    let row = match actor.provider() {
        Some(user_id) => {
            let row = load_owned(state, id, user_id).await?;
            if row.answers.practice.is_none() || row.answers.profile.is_none() {
                return Err(AppError::invalid(
                    "Finish the earlier steps before connecting.",
                ));
            }
            row
        }
        None => load(state, id).await?.ok_or(AppError::NotFound)?,
    };
    let id = row.summary.id.clone();
    let claimed = sqlx::query(
        "UPDATE connections SET status = 'exchanging', failure = NULL, updated_at = $1 \
         WHERE id = $2 AND status = 'pending' AND code_ciphertext IS NOT NULL",
    )
    .bind(now())
    .bind(&id)
    .execute(state.db.pool())
    .await?;
    if claimed.rows_affected() == 0 {
        return wait_for_outcome(state, &id).await;
    }
    let (actor_kind, actor_id) = actor.audit();
    let entry = |action, outcome, detail| Entry {
        actor_id,
        connection_id: Some(&id),
        ip,
        detail,
        ..Entry::new(actor_kind, action, outcome)
    };
    audit::record(&state.db, entry("exchange_started", Outcome::Ok, None)).await;

    let code = match read_code(state, &id).await {
        Ok(code) => code,
        Err(error) => {
            release(
                state,
                &id,
                ConnectionStatus::Failed,
                ConnectProblem::CodeRejected,
            )
            .await?;
            return Err(error);
        }
    };
    let activate = state.config.activate_on_exchange;
    match hint.exchange_code(code.expose_secret(), activate).await {
        Ok(token) => {
            let target = store_success(state, &id, actor.provider(), &row, token).await?;
            let done = Entry {
                connection_id: Some(&target),
                ..entry("exchange_succeeded", Outcome::Ok, None)
            };
            audit::record(&state.db, done).await;
            verify_key_soon(state, hint, &target).await;
            Ok(load(state, &target)
                .await?
                .ok_or(AppError::Internal)?
                .summary)
        }
        Err(error) => {
            let (status, problem) = classify(&error);
            if problem == ConnectProblem::PartnerMisconfigured {
                tracing::error!(alert = "hint_partner_credentials", %error, "Hint refused our partner API key: check HINT_PARTNER_API_KEY and HINT_API_BASE_URL");
            } else {
                tracing::warn!(%error, connection_id = %id, "code exchange failed");
            }
            release(state, &id, status, problem).await?;
            let failed = entry("exchange_failed", Outcome::Failed, Some(problem.as_str()));
            audit::record(&state.db, failed).await;
            Ok(load(state, &id).await?.ok_or(AppError::Internal)?.summary)
        }
    }
}

/// What a failed exchange leaves behind: only a refused code ends the connection; anything else
/// keeps it pending so "try again" works.
fn classify(error: &HintError) -> (ConnectionStatus, ConnectProblem) {
    match error {
        HintError::Rejected { .. } => (ConnectionStatus::Failed, ConnectProblem::CodeRejected),
        HintError::Unauthorized { .. } => (
            ConnectionStatus::Pending,
            ConnectProblem::PartnerMisconfigured,
        ),
        HintError::Unavailable { .. } | HintError::Unreachable { .. } => {
            (ConnectionStatus::Pending, ConnectProblem::HintUnavailable)
        }
        HintError::NoAnswer { .. } | HintError::BadResponse(_) => {
            (ConnectionStatus::Pending, ConnectProblem::NoAnswer)
        }
    }
}

async fn read_code(state: &AppState, id: &str) -> Result<secrecy::SecretString, AppError> {
    let row = sqlx::query("SELECT code_ciphertext, code_key_id FROM connections WHERE id = $1")
        .bind(id)
        .fetch_one(state.db.pool())
        .await?;
    let sealed: Vec<u8> = row.try_get("code_ciphertext")?;
    let key_id: String = row.try_get("code_key_id")?;
    state
        .keys
        .decrypt(Purpose::AuthCode, id, &key_id, &sealed)
        .map_err(|error| {
            tracing::error!(%error, connection_id = %id, "could not decrypt a stored code");
            AppError::Internal
        })
}

async fn release(
    state: &AppState,
    id: &str,
    status: ConnectionStatus,
    problem: ConnectProblem,
) -> Result<(), AppError> {
    let wipe_code = status == ConnectionStatus::Failed;
    sqlx::query(
        "UPDATE connections SET status = $1, failure = $2, updated_at = $3, \
         code_ciphertext = CASE WHEN $4 = 1 THEN NULL ELSE code_ciphertext END WHERE id = $5",
    )
    .bind(status.as_str())
    .bind(problem.as_str())
    .bind(now())
    .bind(i64::from(wipe_code))
    .bind(id)
    .execute(state.db.pool())
    .await?;
    Ok(())
}

/// Stores a successful exchange. A practice already stored in another row is updated there
/// (one row per practice); this row then points at it. Returns the id of the row that holds the
/// practice.
async fn store_success(
    state: &AppState,
    id: &str,
    user_id: Option<&str>,
    row: &ConnectionRow,
    token: TokenResponse,
) -> Result<String, AppError> {
    let mut tx = state.db.pool().begin().await?;
    // Write first: on SQLite a transaction that reads and then writes fails with "busy" if another
    // writer committed in between; taking the write lock up front waits for it instead.
    sqlx::query("UPDATE connections SET updated_at = $1 WHERE id = $2")
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let existing: Option<String> =
        sqlx::query("SELECT id FROM connections WHERE practice_id = $1 AND id <> $2")
            .bind(&token.practice.id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("id"))
            .transpose()?;
    let target = existing.clone().unwrap_or_else(|| id.to_owned());
    let key = token.access_token.expose_secret();
    let (sealed, key_id) = state.keys.encrypt(Purpose::PracticeKey, &target, key);
    let last4: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let status = match token.status.as_deref() {
        Some("pending") | Some("requested") => ConnectionStatus::AwaitingActivation,
        _ => ConnectionStatus::Connected,
    };
    let wizard = serde_json::to_string(&row.answers).map_err(|_| AppError::Internal)?;
    let at = now();
    if existing.is_some() {
        // This row gives up its code; the practice's row takes the new key.
        sqlx::query(
            "UPDATE connections SET merged_into = $1, status = $2, code_ciphertext = NULL, updated_at = $3 WHERE id = $4",
        )
        .bind(&target)
        .bind(status.as_str())
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "UPDATE connections SET status = $1, practice_id = $2, practice_name = $3, integration_id = $4, \
         hint_status = $5, product_name = $6, activated_by_name = $7, activated_by_email = $8, \
         api_key_ciphertext = $9, api_key_key_id = $10, api_key_last4 = $11, user_id = COALESCE($12, user_id), \
         wizard_step = $13, wizard_data = $14, failure = NULL, code_ciphertext = NULL, \
         connected_at = $15, updated_at = $15 WHERE id = $16",
    )
    .bind(status.as_str())
    .bind(&token.practice.id)
    .bind(token.practice.name.as_deref())
    .bind(&token.id)
    .bind(token.status.as_deref())
    .bind(token.product.as_ref().and_then(|p| p.name.as_deref()))
    .bind(token.activated_by.as_ref().and_then(|p| p.name.as_deref()))
    .bind(token.activated_by.as_ref().and_then(|p| p.email.as_deref()))
    .bind(sealed)
    .bind(&key_id)
    .bind(&last4)
    .bind(user_id)
    .bind(WizardStep::Done.index())
    .bind(wizard)
    .bind(at)
    .bind(&target)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(target)
}

/// Proves the new key works and refreshes the practice's name from its profile. A failure here
/// changes nothing: the key health check will look again.
async fn verify_key_soon(state: &AppState, hint: &HintClient, id: &str) {
    let Ok(key) = practice_key(state, id).await else {
        return;
    };
    match hint.practice_profile(&key).await {
        Ok(profile) => {
            let updated = sqlx::query(
                "UPDATE connections SET practice_name = $1, last_verified_at = $2 WHERE id = $3",
            )
            .bind(&profile.name)
            .bind(now())
            .bind(id)
            .execute(state.db.pool())
            .await;
            if let Err(error) = updated {
                tracing::warn!(%error, "could not record a verified key");
            }
        }
        Err(error) => {
            tracing::warn!(%error, connection_id = %id, "could not verify a new practice key")
        }
    }
}

/// The stored practice key of a connection, decrypted. Never log or return it to a browser.
pub async fn practice_key(state: &AppState, id: &str) -> Result<secrecy::SecretString, AppError> {
    let row =
        sqlx::query("SELECT api_key_ciphertext, api_key_key_id FROM connections WHERE id = $1")
            .bind(id)
            .fetch_one(state.db.pool())
            .await?;
    let sealed: Option<Vec<u8>> = row.try_get("api_key_ciphertext")?;
    let key_id: Option<String> = row.try_get("api_key_key_id")?;
    let (Some(sealed), Some(key_id)) = (sealed, key_id) else {
        return Err(AppError::NotFound);
    };
    state
        .keys
        .decrypt(Purpose::PracticeKey, id, &key_id, &sealed)
        .map_err(|error| {
            tracing::error!(%error, connection_id = %id, "could not decrypt a practice key");
            AppError::Internal
        })
}

/// Waits while another request holds the claim, then reports how it ended.
async fn wait_for_outcome(state: &AppState, id: &str) -> Result<ConnectionSummary, AppError> {
    let started = std::time::Instant::now();
    loop {
        let row = load(state, id).await?.ok_or(AppError::NotFound)?;
        if row.summary.status != ConnectionStatus::Exchanging || started.elapsed() > WAIT_FOR_WINNER
        {
            return Ok(row.summary);
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The provider's connections, newest first.
pub async fn list_for_user(
    state: &AppState,
    user_id: &str,
) -> Result<Vec<ConnectionSummary>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM connections WHERE user_id = $1 AND merged_into IS NULL ORDER BY created_at DESC"
    ))
    .bind(user_id)
    .fetch_all(state.db.pool())
    .await?;
    rows.iter()
        .map(|row| read_row(row).map(|r| r.summary).map_err(AppError::from))
        .collect()
}
