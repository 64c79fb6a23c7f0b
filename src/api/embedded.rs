//! The settings surface Hint frames in its practice settings. No cookies: the session key Hint
//! got from the handshake names the session, in the URL or the `X-Hint-Session-Key` header, and
//! forms post it back.

use leptos::prelude::*;

use crate::domain::embedded::EmbeddedView;
use crate::domain::AppError;

/// The Hint session `session_key` names (or, when it is empty, the `X-Hint-Session-Key` header
/// of the page request), if it is live.
#[cfg(feature = "ssr")]
async fn embedded_session(
    state: &crate::server::state::AppState,
    session_key: &str,
) -> Result<Option<crate::server::embedded_sessions::HintSession>, AppError> {
    let key = if session_key.trim().is_empty() {
        leptos_axum::extract::<axum::http::HeaderMap>()
            .await
            .ok()
            .and_then(|headers| {
                headers
                    .get("x-hint-session-key")
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned)
            })
            .unwrap_or_default()
    } else {
        session_key.to_owned()
    };
    crate::server::embedded_sessions::find(state, &key).await
}

/// The live Hint session `session_key` names, for a write; a page whose key has run out says
/// how to get a new one.
#[cfg(feature = "ssr")]
async fn live_session(
    state: &crate::server::state::AppState,
    session_key: &str,
) -> Result<crate::server::embedded_sessions::HintSession, AppError> {
    embedded_session(state, session_key).await?.ok_or_else(|| {
        AppError::invalid(
            "This page has expired. Open it again from your practice settings in Hint.",
        )
    })
}

/// What the surface shows for `session_key`.
#[server(prefix = "/api", endpoint = "hint/settings")]
pub async fn embedded_settings(session_key: String) -> Result<EmbeddedView, AppError> {
    let state = use_context::<crate::server::state::AppState>().ok_or(AppError::Internal)?;
    let session = embedded_session(&state, &session_key).await?;
    crate::server::connections::embedded::view(&state, session.as_ref()).await
}

/// Saves the practice's email preferences (checkboxes: present means on).
#[server(prefix = "/api", endpoint = "hint/preferences")]
pub async fn save_embedded_preferences(
    session_key: String,
    #[server(default)] alerts_by_email: Option<String>,
    #[server(default)] weekly_summary: Option<String>,
) -> Result<(), AppError> {
    let state = use_context::<crate::server::state::AppState>().ok_or(AppError::Internal)?;
    let session = live_session(&state, &session_key).await?;
    crate::server::connections::embedded::save_preferences(
        &state,
        &session,
        alerts_by_email.is_some(),
        weekly_summary.is_some(),
    )
    .await
}

/// Invites a provider by email to claim the practice's connection, which nobody owns yet.
#[server(prefix = "/api", endpoint = "hint/invite")]
pub async fn invite_embedded_owner(session_key: String, email: String) -> Result<(), AppError> {
    let state = use_context::<crate::server::state::AppState>().ok_or(AppError::Internal)?;
    let email = crate::domain::account::Email::parse(&email).map_err(AppError::Invalid)?;
    let session = live_session(&state, &session_key).await?;
    crate::server::connections::embedded::invite_owner(&state, &session, &email).await
}
