//! The exchange: a connection's code is traded with Hint for the practice's key, exactly once
//! however many callers ask (the provider finishing the wizard, staff with a code a practice sent
//! them, Hint's headless install), and the result is stored.
//!
//! Exactly once: the exchange starts with `UPDATE … SET status = 'exchanging' WHERE status =
//! 'pending'`, a state change only one caller can win, on SQLite and on PostgreSQL alike, across
//! tabs, double clicks and app instances. Losers wait for the winner's outcome and report it.

use std::time::Duration;

use secrecy::ExposeSecret;

use super::keys::verify_key;
use super::{load, LIFECYCLE_BEFORE};
use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::connection::{ConnectProblem, ConnectionStatus, ConnectionSummary};
use crate::domain::partner::EventKind;
use crate::domain::AppError;
use crate::server::audit::{self, Entry};
use crate::server::crypto::Purpose;
use crate::server::hint::{HintError, TokenResponse};
use crate::server::state::AppState;
use crate::server::telemetry::trace_context;

/// How long a request that lost the claim waits for the winner's outcome.
const WAIT_FOR_WINNER: Duration = Duration::from_secs(30);

/// Who asks for an exchange (by id).
#[derive(Debug, Clone)]
pub enum ExchangeActor {
    /// The provider finishing the wizard (the connection must be theirs).
    Provider(String),
    /// Staff exchanging a code a practice sent them (Hint's manual flow).
    Staff(String),
    /// Hint itself (headless connect).
    Hint,
}

impl ExchangeActor {
    fn audit(&self) -> (ActorKind, Option<&str>) {
        match self {
            Self::Provider(id) => (ActorKind::Provider, Some(id)),
            Self::Staff(id) => (ActorKind::Staff, Some(id)),
            Self::Hint => (ActorKind::Hint, None),
        }
    }
}

/// Exchanges the connection's code with Hint, at most once however many callers ask. Once the
/// claim is won the exchange runs to its end on its own task, even if the caller goes away, so
/// a key Hint issued is never lost with a dropped request.
///
/// `activate: false` leaves the integration pending at Hint (the provider's wizard activates it
/// when they finish). The exchange binds nothing to an account: callers check who may ask.
pub async fn exchange(
    state: &AppState,
    id: &str,
    actor: ExchangeActor,
    activate: bool,
    ip: Option<&str>,
) -> Result<ConnectionSummary, AppError> {
    let row = load(state, id).await?.ok_or(AppError::NotFound)?;
    let id = row.summary.id.clone();
    // One commit wins the claim, reads the sealed code and records that the exchange started.
    let mut tx = state.db.begin_write().await?;
    let claimed: Option<(Vec<u8>, String)> = sqlx::query_as(
        "UPDATE connections SET status = 'exchanging', failure = NULL, updated_at = $1 \
         WHERE id = $2 AND status = 'pending' AND code_ciphertext IS NOT NULL \
         RETURNING code_ciphertext, code_key_id",
    )
    .bind(state.clock.now())
    .bind(&id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(sealed_code) = claimed else {
        tx.rollback().await?;
        return wait_for_outcome(state, &id).await;
    };
    let (actor_kind, actor_id) = actor.audit();
    let started = Entry {
        actor_id,
        connection_id: Some(&id),
        ip,
        ..Entry::new(actor_kind, AuditAction::ExchangeStarted, Outcome::Ok)
    };
    audit::record_in(&mut tx, started).await?;
    tx.commit().await?;
    // Its own task, so a caller who goes away does not cut it short, counted in flight so a
    // shutdown does not either.
    let (guard, trace) = (state.in_flight.enter(), trace_context::current());
    let task = tokio::spawn({
        let claimed = run_claimed(
            state.clone(),
            id,
            sealed_code,
            actor,
            activate,
            ip.map(str::to_owned),
        );
        async move {
            let _in_flight = guard;
            trace_context::within(trace, claimed).await
        }
    });
    task.await.unwrap_or_else(|error| {
        tracing::error!(%error, "an exchange task failed");
        Err(AppError::Internal)
    })
}

/// The exchange after its claim was won: open the code, ask Hint, store what it said.
async fn run_claimed(
    state: AppState,
    id: String,
    sealed_code: (Vec<u8>, String),
    actor: ExchangeActor,
    activate: bool,
    ip: Option<String>,
) -> Result<ConnectionSummary, AppError> {
    let (state, ip) = (&state, ip.as_deref());
    let (actor_kind, actor_id) = actor.audit();
    let entry = |action, outcome, detail| Entry {
        actor_id,
        connection_id: Some(&id),
        ip,
        detail,
        ..Entry::new(actor_kind, action, outcome)
    };
    let code = match open_code(state, &id, &sealed_code) {
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
    match state
        .hint
        .exchange_code(code.expose_secret(), activate)
        .await
    {
        Ok(token) => {
            let done = entry(AuditAction::ExchangeSucceeded, Outcome::Ok, None);
            let target = store_success(state, &id, token, done).await?;
            crate::server::metrics::exchange_finished("connected");
            // Prove the new key moments later, off the caller's path: the answer does not wait
            // for a second call to Hint, and a failure changes nothing the key job will not see
            // again.
            let (proving, proved) = (state.clone(), target.clone());
            tokio::spawn(async move {
                if let Err(error) = verify_key(&proving, &proved).await {
                    tracing::warn!(%error, connection_id = %proved, "could not verify a new practice key");
                }
            });
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
            crate::server::metrics::exchange_finished(problem.as_str());
            let failed = entry(
                AuditAction::ExchangeFailed,
                Outcome::Failed,
                Some(problem.as_str()),
            );
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
        // The code is spent, for a product that is not ours: nothing is stored, and only staff
        // can put the configuration right.
        HintError::WrongProduct { .. } => (
            ConnectionStatus::Failed,
            ConnectProblem::PartnerMisconfigured,
        ),
    }
}

fn open_code(
    state: &AppState,
    id: &str,
    (sealed, key_id): &(Vec<u8>, String),
) -> Result<secrecy::SecretString, AppError> {
    state
        .keys
        .decrypt(Purpose::AuthCode, id, key_id, sealed)
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
    .bind(state.clock.now())
    .bind(i64::from(wipe_code))
    .bind(id)
    .execute(state.db.pool())
    .await?;
    Ok(())
}

/// Stores a successful exchange, with its audit line `done` in the same commit. A practice
/// already stored in another row is updated there (one row per practice); this row then points
/// at it, and so does the audit line. Returns the id of the row that holds the practice. The
/// owner and the wizard are left alone: binding and the wizard are onboarding's.
async fn store_success(
    state: &AppState,
    id: &str,
    token: TokenResponse,
    done: Entry<'_>,
) -> Result<String, AppError> {
    let mut tx = state.db.begin_write().await?;
    let existing: Option<String> =
        sqlx::query_scalar("SELECT id FROM connections WHERE practice_id = $1 AND id <> $2")
            .bind(&token.practice.id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
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
    let status = super::status_from_hint(token.status.as_deref());
    let at = state.clock.now();
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
    let (before, reconnecting): (Option<String>, i64) = sqlx::query_as(&format!(
        "UPDATE connections SET {LIFECYCLE_BEFORE}, status = $1, practice_id = $2, practice_name = $3, integration_id = $4, \
         hint_status = $5, product_name = $6, activated_by_name = $7, activated_by_email = $8, \
         api_key_ciphertext = $9, api_key_key_id = $10, api_key_last4 = $11, \
         failure = NULL, code_ciphertext = NULL, notified_status = NULL, connected_at = $12, updated_at = $12 \
         WHERE id = $13 RETURNING previous_status, reconnecting"
    ))
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
    .bind(at)
    .bind(&target)
    .fetch_one(&mut *tx)
    .await?;
    let done = Entry {
        connection_id: Some(&target),
        ..done
    };
    audit::record_in(&mut tx, done).await?;
    // The practice's lifecycle goes on from where its row stood: a reconnect "recovers".
    let before = before.as_deref().and_then(ConnectionStatus::parse);
    if let Some(kind) = EventKind::for_change(before, reconnecting != 0, status) {
        crate::server::events::record(&mut tx, &target, kind, at).await?;
    }
    tx.commit().await?;
    Ok(target)
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

/// Puts exchanges whose server died mid-way (`exchanging` for longer than `deadline_seconds`)
/// back to `pending` with "no answer", so the provider can try again and staff see what
/// happened. Returns how many were released.
pub async fn release_stranded(state: &AppState, deadline_seconds: u64) -> Result<u64, AppError> {
    let ids: Vec<String> = sqlx::query_scalar(
        "UPDATE connections SET status = 'pending', failure = $1, updated_at = $2 \
         WHERE status = 'exchanging' AND updated_at < $3 RETURNING id",
    )
    .bind(ConnectProblem::NoAnswer.as_str())
    .bind(state.clock.now())
    .bind(state.clock.now() - deadline_seconds as i64)
    .fetch_all(state.db.pool())
    .await?;
    for id in &ids {
        let entry = Entry {
            connection_id: Some(id),
            detail: Some("stranded"),
            ..Entry::new(
                ActorKind::System,
                AuditAction::ExchangeFailed,
                Outcome::Failed,
            )
        };
        audit::record(&state.db, entry).await;
    }
    Ok(ids.len() as u64)
}
