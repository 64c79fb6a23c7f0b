//! `GET /metrics` on the metrics listener (`METRICS_LISTEN`), apart from the public one: what
//! `server::metrics` recorded, with the queue depths read at the moment of the scrape.

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::server::metrics::handle;
use crate::server::state::AppState;

/// `GET /metrics` on the metrics listener: the text format, with the queue depths, the
/// connections by status and the process's own figures read now.
pub async fn render(State(state): State<AppState>) -> Response {
    if let Err(error) = read_now(&state).await {
        tracing::warn!(%error, "could not read the database's figures for a scrape");
    }
    process_figures();
    metrics::gauge!("practice_connect_password_hashes_in_flight")
        .set(state.passwords.in_flight() as f64);
    let pool = state.db.pool();
    let idle = pool.num_idle() as f64;
    metrics::gauge!("practice_connect_database_connections", "state" => "idle").set(idle);
    metrics::gauge!("practice_connect_database_connections", "state" => "busy")
        .set(f64::from(pool.size()) - idle);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        handle().render(),
    )
        .into_response()
}

/// The figures the database holds: connections by status, the mail queue.
async fn read_now(state: &AppState) -> Result<(), sqlx::Error> {
    use crate::domain::connection::ConnectionStatus;
    let counts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, COUNT(*) FROM connections WHERE merged_into IS NULL GROUP BY status",
    )
    .fetch_all(state.db.pool())
    .await?;
    for status in ConnectionStatus::ALL {
        let count = counts
            .iter()
            .find(|(word, _)| word == status.as_str())
            .map_or(0, |(_, count)| *count);
        metrics::gauge!("practice_connect_connections", "status" => status.as_str())
            .set(count as f64);
    }
    let (waiting, oldest): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(created_at) FROM mail_outbox WHERE status IN ('queued', 'sending')",
    )
    .fetch_one(state.db.pool())
    .await?;
    metrics::gauge!("practice_connect_mail_queue_depth").set(waiting as f64);
    let age = oldest.map_or(0, |at| (state.clock.now() - at).max(0));
    metrics::gauge!("practice_connect_mail_queue_oldest_age_seconds").set(age as f64);
    Ok(())
}

/// The process's resident memory, open files and CPU time, from `/proc/self` (Linux; elsewhere
/// the series stay absent).
fn process_figures() {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        let rss_kb = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok());
        if let Some(kb) = rss_kb {
            metrics::gauge!("practice_connect_process_resident_memory_bytes").set(kb * 1024.0);
        }
    }
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        metrics::gauge!("practice_connect_process_open_fds").set(entries.count() as f64);
    }
    if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
        // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        // Linux reports in clock ticks of 1/100 s (USER_HZ) on every architecture it runs on.
        let seconds = (ticks(11) + ticks(12)) / 100;
        metrics::counter!("practice_connect_process_cpu_seconds_total").absolute(seconds);
    }
}

/// The metrics listener's router.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(render))
        .with_state(state)
}
