//! The key health job: each connected practice's key is proved against Hint's practice endpoint
//! on a schedule. A 401 marks the connection `needs_reconnect`; success records when it was last
//! verified. Several app instances can run it: each key is claimed by a conditional update that
//! only one instance wins, and calls run a few at a time to stay far below Hint's rate limits.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use super::keys::{verify_key, Verdict};
use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::server::audit::{self, Entry};
use crate::server::state::AppState;

/// Keys checked per round at least (when that many are due).
pub const BATCH: i64 = 200;
/// Rounds per checking period (`run` ticks every `every / ROUNDS`).
pub const ROUNDS: i64 = 24;

/// How many keys one round takes: twice a fair share of the connected practices (so a backlog
/// is caught up), and never fewer than `BATCH`. With the share following the count, every key is
/// checked within its period however many practices there are.
fn round_size(connected: i64) -> i64 {
    let share = (connected + ROUNDS - 1) / ROUNDS;
    (2 * share).max(BATCH)
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub checked: usize,
    pub verified: usize,
    pub needs_reconnect: usize,
    /// Hint unavailable or rate limiting: tried again next round.
    pub failed: usize,
}

/// Checks the connected keys not checked within `every`, the longest-waiting first, up to a
/// round's share (`round_size`). Records the stalest key's wait as the lag metric.
pub async fn check_due_keys(state: &AppState, every: Duration) -> Result<Report, sqlx::Error> {
    let cutoff = state.clock.now() - every.as_secs() as i64;
    let connected: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM connections WHERE status = 'connected' AND merged_into IS NULL",
    )
    .fetch_one(state.db.pool())
    .await?;
    let due: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT id FROM connections WHERE status = 'connected' AND merged_into IS NULL \
         AND (key_checked_at IS NULL OR key_checked_at <= $1) ORDER BY key_checked_at LIMIT {}",
        round_size(connected)
    ))
    .bind(cutoff)
    .fetch_all(state.db.pool())
    .await?;
    // Hint asks batch work to keep at most one call in flight: `KEY_CHECK_CONCURRENCY`.
    let limit = Arc::new(Semaphore::new(
        state.settings.connect.key_check_concurrency.max(1),
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for id in due {
        // Claim: another instance that got here first has moved key_checked_at on.
        let claimed = sqlx::query(
            "UPDATE connections SET key_checked_at = $1 WHERE id = $2 AND (key_checked_at IS NULL OR key_checked_at <= $3)",
        )
        .bind(state.clock.now())
        .bind(&id)
        .bind(cutoff)
        .execute(state.db.pool())
        .await?;
        if claimed.rows_affected() == 0 {
            continue;
        }
        let (state, limit) = (state.clone(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.ok();
            check_one(&state, &id).await
        });
    }
    let mut report = Report::default();
    while let Some(outcome) = tasks.join_next().await {
        report.checked += 1;
        match outcome {
            Ok(Ok(true)) => report.verified += 1,
            Ok(Ok(false)) => report.needs_reconnect += 1,
            _ => report.failed += 1,
        }
    }
    record_lag(state).await?;
    Ok(report)
}

/// How long the stalest connected key has waited since it was last checked (or connected).
async fn record_lag(state: &AppState) -> Result<(), sqlx::Error> {
    let oldest: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(COALESCE(key_checked_at, connected_at, created_at)) FROM connections \
         WHERE status = 'connected' AND merged_into IS NULL",
    )
    .fetch_one(state.db.pool())
    .await?;
    crate::server::metrics::key_check_lag(oldest.map_or(0, |at| state.clock.now() - at));
    Ok(())
}

/// `Ok(true)`: the key works; `Ok(false)`: Hint refused it; `Err`: no verdict this time.
async fn check_one(state: &AppState, id: &str) -> Result<bool, ()> {
    match verify_key(state, id).await {
        Ok(Verdict::Works { .. }) => Ok(true),
        Ok(Verdict::Refused) => {
            let entry = Entry {
                connection_id: Some(id),
                detail: Some("hint_401"),
                ..Entry::new(ActorKind::System, AuditAction::KeyCheck, Outcome::Failed)
            };
            audit::record(&state.db, entry).await;
            Ok(false)
        }
        Ok(Verdict::Unknown(_)) => Err(()),
        Err(error) => {
            tracing::warn!(%error, connection_id = %id, "key check could not run");
            Err(())
        }
    }
}

/// Runs a round every `every / ROUNDS` (hourly for a daily check), so checks spread over the
/// day as keys fall due at different times.
pub async fn run(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval((every / ROUNDS as u32).max(Duration::from_secs(60)));
    loop {
        tick.tick().await;
        match check_due_keys(&state, every).await {
            Ok(report) => {
                if report.checked > 0 {
                    tracing::info!(?report, "key health round");
                }
                crate::server::metrics::job_succeeded("key_check", state.clock.now());
            }
            Err(error) => tracing::warn!(%error, "key health round failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_takes_twice_its_share_and_never_less_than_the_batch() {
        assert_eq!(round_size(0), BATCH);
        assert_eq!(round_size(2_400), BATCH);
        assert_eq!(round_size(100_000), 2 * 4_167);
        // Every key within the period: ROUNDS rounds of that size cover them all.
        assert!(round_size(100_000) * ROUNDS >= 100_000);
    }
}
