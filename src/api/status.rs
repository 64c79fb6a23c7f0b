//! The system status check shown on the home page.

use leptos::prelude::*;

use crate::domain::{AppError, SystemStatus};

/// Whether the system is healthy, for anyone. The database and Hint in use and the version are
/// for signed-in staff only; the sandbox's marketplace link only in development mode.
#[server(prefix = "/api", endpoint = "system_status")]
pub async fn get_system_status() -> Result<SystemStatus, AppError> {
    use crate::domain::status::{HintMode, StatusDetails};

    let caller = super::caller::caller().await?;
    let state = &caller.state;
    let staff = crate::server::auth::current_staff(state, &caller.staff).await?;
    let sandbox_marketplace = match &state.hint_mode {
        HintMode::BuiltInSandbox { marketplace_url } if state.settings.is_development() => {
            Some(marketplace_url.clone())
        }
        _ => None,
    };
    Ok(SystemStatus {
        database_ok: state.db.recently_answered().await,
        sandbox_marketplace,
        details: staff.map(|_| StatusDetails {
            database_backend: state.db.backend().name().to_owned(),
            hint: state.hint_mode.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }),
    })
}

/// The id of this request (its `X-Request-Id`), which error pages show as a reference to quote.
#[server(prefix = "/api", endpoint = "reference")]
pub async fn request_reference() -> Result<String, AppError> {
    let headers = leptos_axum::extract::<axum::http::HeaderMap>()
        .await
        .map_err(|_| AppError::Internal)?;
    Ok(headers
        .get(&crate::server::http::request_id::HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned())
}
