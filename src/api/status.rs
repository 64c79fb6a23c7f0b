//! The system status check shown on the home page.

use leptos::prelude::*;

use crate::domain::{AppError, SystemStatus};

/// Reports database reachability and where Hint calls go. Open to anyone: it reveals no
/// secrets, only what the home page shows.
#[server(prefix = "/api", endpoint = "system_status")]
pub async fn get_system_status() -> Result<SystemStatus, AppError> {
    use crate::server::state::AppState;

    let state = use_context::<AppState>().ok_or(AppError::Internal)?;
    Ok(SystemStatus {
        database_ok: state.db.ping().await,
        database_backend: state.db.backend().name().to_owned(),
        hint: state.hint_mode.clone(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}
