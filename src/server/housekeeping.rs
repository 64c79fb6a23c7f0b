//! The app's chores, run on a timer by every instance (each one is a single conditional
//! statement, so instances running them at once do no harm): stranded exchanges released,
//! expired codes and old webhook ids forgotten, expired sessions deleted, weekly summaries
//! queued, expired one-time links and month-old sent mail forgotten, audit entries past their
//! retention retired.

use std::time::Duration;

use super::auth::session_store::DbSessionStore;
use super::connections::{exchange, onboarding, webhooks};
use super::state::AppState;

/// How often the chores run.
const EVERY: Duration = Duration::from_secs(60);
/// Sessions are swept less often: the store ignores expired ones anyway.
const SESSIONS_EVERY_ROUNDS: u32 = 60;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub stranded_exchanges: u64,
    pub expired_codes: u64,
    pub webhook_ids: u64,
    pub login_counters: u64,
    pub weekly_summaries: u64,
    pub expired_links: u64,
    pub old_mails: u64,
    /// Audit entries past `AUDIT_RETENTION_DAYS`, archived (when so set) and removed.
    pub retired_audit_entries: u64,
    /// Chores that failed this round (each logged).
    pub failed: u64,
}

/// Runs every chore once (sessions apart).
pub async fn run_once(state: &AppState) -> Report {
    let settings = &state.settings;
    let mut report = Report::default();
    match exchange::release_stranded(state, settings.connect.exchange_deadline_seconds).await {
        Ok(count) => report.stranded_exchanges = count,
        Err(error) => {
            report.failed += 1;
            tracing::warn!(%error, "could not release stranded exchanges")
        }
    }
    match onboarding::landing::forget_expired_codes(
        state,
        settings.connect.code_lifetime_minutes * 60,
    )
    .await
    {
        Ok(count) => report.expired_codes = count,
        Err(error) => {
            report.failed += 1;
            tracing::warn!(%error, "could not forget expired codes")
        }
    }
    // Past Hint's last retry, so a late retry is still seen as a duplicate.
    let keep = webhooks::ID_MEMORY_SECONDS;
    match webhooks::forget_seen_before(state, state.clock.now() - keep).await {
        Ok(count) => report.webhook_ids = count,
        Err(error) => {
            report.failed += 1;
            tracing::warn!(%error, "could not forget old webhook ids")
        }
    }
    state.limits.forget_idle();
    match super::throttle::forget_stale(&state.db).await {
        Ok(count) => report.login_counters = count,
        Err(error) => {
            report.failed += 1;
            tracing::warn!(%error, "could not forget old login counters")
        }
    }
    match super::notifications::send_weekly_summaries(state).await {
        Ok(count) => report.weekly_summaries = count,
        Err(error) => {
            report.failed += 1;
            tracing::warn!(%error, "could not queue weekly summaries")
        }
    }
    let now = state.clock.now();
    // A day past expiry: a late click still finds the row and gets "expired", not "unknown".
    match super::account_tokens::forget_expired(&state.db, now - 86_400).await {
        Ok(count) => report.expired_links = count,
        Err(error) => {
            report.failed += 1;
            tracing::warn!(%error, "could not forget expired links")
        }
    }
    match super::mail::forget_before(&state.db, now - 30 * 86_400).await {
        Ok(count) => report.old_mails = count,
        Err(error) => {
            report.failed += 1;
            tracing::warn!(%error, "could not forget old mail")
        }
    }
    if let Some(days) = settings.database.audit_retention_days {
        let archive = settings.database.audit_archive_dir.as_deref();
        match super::audit::retention::retire(&state.db, days, archive, now).await {
            Ok(count) => report.retired_audit_entries = count,
            Err(error) => {
                report.failed += 1;
                tracing::error!(%error, "could not retire old audit entries")
            }
        }
    }
    report
}

/// Runs the chores forever, every minute.
pub async fn run(state: AppState) {
    let store = DbSessionStore::new(state.db.clone());
    // The first round comes one period after start: a fresh server has nothing to sweep yet.
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + EVERY, EVERY);
    let mut round: u32 = 0;
    loop {
        tick.tick().await;
        let report = run_once(&state).await;
        if report != Report::default() {
            tracing::info!(?report, "housekeeping");
        }
        if report.failed == 0 {
            crate::server::metrics::job_succeeded("housekeeping", state.clock.now());
        }
        if round.is_multiple_of(SESSIONS_EVERY_ROUNDS) {
            match store.delete_expired().await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "deleted expired sessions"),
                Err(error) => tracing::warn!(%error, "could not delete expired sessions"),
            }
            let now = state.clock.now();
            match crate::server::embedded_sessions::forget_old(&state.db, now).await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "forgot old Hint surface sessions"),
                Err(error) => tracing::warn!(%error, "could not forget old Hint surface sessions"),
            }
            match crate::server::staff::session::delete_expired(&state.db, now).await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "deleted expired staff sessions"),
                Err(error) => tracing::warn!(%error, "could not delete expired staff sessions"),
            }
        }
        round = round.wrapping_add(1);
    }
}
