//! Server functions: public HTTP endpoints, kept thin. Each checks who is calling, calls a
//! service, and maps failures to `AppError`.

pub mod account;
pub mod admin;
pub mod onboarding;
pub mod practices;
pub mod status;

/// What every server function starts from: the app's state, the caller's session and address.
#[cfg(feature = "ssr")]
pub(crate) mod caller {
    use leptos::prelude::use_context;
    use tower_sessions::Session;

    use crate::domain::AppError;
    use crate::server::http::client_ip::ClientIp;
    use crate::server::state::AppState;

    /// Who is calling a server function.
    pub struct Caller {
        pub state: AppState,
        pub session: Session,
        pub ip: Option<String>,
    }

    /// The caller of the running server function.
    pub async fn caller() -> Result<Caller, AppError> {
        let state = use_context::<AppState>().ok_or(AppError::Internal)?;
        let session = leptos_axum::extract::<Session>().await.map_err(|error| {
            tracing::error!(%error, "no session layer in front of a server function");
            AppError::Internal
        })?;
        let ip = leptos_axum::extract::<axum::Extension<ClientIp>>()
            .await
            .ok()
            .map(|client| client.0 .0.to_string());
        Ok(Caller { state, session, ip })
    }
}
