//! Server functions: public HTTP endpoints, kept thin. Each checks who is calling, calls a
//! service, and maps failures to `AppError`.

pub mod account;
pub mod admin;
pub mod audit;
pub mod embedded;
pub mod onboarding;
pub mod partner;
pub mod practices;
pub mod staff;
pub mod status;

/// What every server function starts from: the app's state, the caller's session and address.
#[cfg(feature = "ssr")]
pub(crate) mod caller {
    use leptos::prelude::use_context;
    use tower_sessions::Session;

    use crate::domain::AppError;
    use crate::server::auth::{Browser, StaffCookie};
    use crate::server::http::client_ip::ClientIp;
    use crate::server::state::AppState;

    /// Who is calling a server function.
    pub struct Caller {
        pub state: AppState,
        /// The provider session.
        pub session: Session,
        /// The staff session's cookie.
        pub staff: StaffCookie,
        pub ip: Option<String>,
        /// The browser's `User-Agent`.
        pub user_agent: Option<String>,
    }

    impl Caller {
        /// Both session cookies of the calling browser.
        pub fn browser(&self) -> Browser<'_> {
            Browser {
                session: &self.session,
                staff: &self.staff,
                user_agent: self.user_agent.as_deref(),
            }
        }

        /// The one login flow (`server::auth::login`) for this caller.
        pub async fn log_in(
            &self,
            principal: crate::server::auth::login::Principal,
            email: &str,
            password: &str,
        ) -> Result<crate::server::auth::login::LoggedIn, AppError> {
            let ip = self.ip.as_deref();
            crate::server::auth::login::log_in(
                &self.state,
                self.browser(),
                principal,
                email,
                password,
                ip,
            )
            .await
        }
    }

    /// Whether the running server function was posted by a plain HTML form (JavaScript off):
    /// its answer is then a redirect, and the browser never sees the value.
    pub async fn from_plain_form() -> bool {
        leptos_axum::extract::<axum::http::HeaderMap>()
            .await
            .ok()
            .and_then(|headers| {
                headers
                    .get(axum::http::header::ACCEPT)
                    .and_then(|accept| accept.to_str().ok())
                    .map(|accept| accept.contains("text/html"))
            })
            .unwrap_or(false)
    }

    /// The caller of the running server function. Everything comes out of one copy of the
    /// request's parts (each `extract` copies them, headers and extensions included).
    pub async fn caller() -> Result<Caller, AppError> {
        let state = use_context::<AppState>().ok_or(AppError::Internal)?;
        let (session, axum::Extension(staff), client, headers) = leptos_axum::extract::<(
            Session,
            axum::Extension<StaffCookie>,
            Option<axum::Extension<ClientIp>>,
            axum::http::HeaderMap,
        )>()
        .await
        .map_err(|error| {
            tracing::error!(%error, "no session or staff session layer in front of a server function");
            AppError::Internal
        })?;
        let ip = client.map(|client| client.0 .0.to_string());
        let user_agent = headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|agent| agent.to_str().ok())
            .map(|agent| agent.chars().take(512).collect());
        Ok(Caller {
            state,
            session,
            staff,
            ip,
            user_agent,
        })
    }
}
