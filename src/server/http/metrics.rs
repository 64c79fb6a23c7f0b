//! `GET /metrics` on the metrics listener (`METRICS_LISTEN`), apart from the public one: what
//! `server::metrics` recorded, with the queue depths read at the moment of the scrape.

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::server::metrics::handle;
use crate::server::state::AppState;

/// `GET /metrics` on the metrics listener: the text format, with the queue depths read now.
pub async fn render(State(state): State<AppState>) -> Response {
    metrics::gauge!("password_hashes_in_flight").set(state.passwords.in_flight() as f64);
    let pool = state.db.pool();
    let idle = pool.num_idle() as f64;
    metrics::gauge!("database_connections", "state" => "idle").set(idle);
    metrics::gauge!("database_connections", "state" => "busy").set(f64::from(pool.size()) - idle);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        handle().render(),
    )
        .into_response()
}

/// The metrics listener's router.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(render))
        .with_state(state)
}
