//! The staff dashboard's server functions. Each checks the caller's staff role on the server:
//! reading needs `support`, every action needs `admin`; a provider's session gets `Forbidden`.

use leptos::prelude::*;

use crate::domain::dashboard::{ConnectionDetail, ConnectionPage, ListQuery, Summary};
use crate::domain::staff::{StaffAction, StaffMember};
use crate::domain::AppError;

#[cfg(feature = "ssr")]
async fn staff(
    role: crate::domain::staff::StaffRole,
) -> Result<(super::caller::Caller, StaffMember), AppError> {
    let caller = super::caller::caller().await?;
    let member = crate::server::auth::require_staff(&caller.state, caller.browser(), role).await?;
    Ok((caller, member))
}

/// An admin who confirmed their password and a code within the last few minutes. With
/// `password` and `code` given (the confirmation form inside an action), confirms them first.
#[cfg(feature = "ssr")]
pub(super) async fn stepped_up_admin(
    password: Option<String>,
    code: Option<String>,
) -> Result<(super::caller::Caller, StaffMember), AppError> {
    use crate::server::auth::{require_step_up, staff_login};

    let caller = super::caller::caller().await?;
    if let (Some(password), Some(code)) = (password.as_deref(), code.as_deref()) {
        if !password.is_empty() || !code.is_empty() {
            let ip = caller.ip.as_deref();
            staff_login::step_up(&caller.state, caller.browser(), password, code, ip).await?;
        }
    }
    let member = require_step_up(&caller.state, caller.browser()).await?;
    Ok((caller, member))
}

/// The logged-in staff member.
#[server(prefix = "/api", endpoint = "admin/me")]
pub async fn staff_me() -> Result<StaffMember, AppError> {
    Ok(staff(crate::domain::staff::StaffRole::Support).await?.1)
}

/// One page of connections.
#[server(prefix = "/api", endpoint = "admin/connections")]
pub async fn admin_connections(query: ListQuery) -> Result<ConnectionPage, AppError> {
    let (caller, _member) = staff(crate::domain::staff::StaffRole::Support).await?;
    crate::server::admin::queries::list(&caller.state, &query).await
}

/// What to register with Hint and whether this setup works with it (`practice-connect check`).
#[server(prefix = "/api", endpoint = "admin/setup")]
pub async fn admin_setup_check() -> Result<Vec<crate::domain::status::CheckLine>, AppError> {
    let (caller, _member) = staff(crate::domain::staff::StaffRole::Support).await?;
    let state = &caller.state;
    Ok(crate::server::setup_check::run(
        &state.settings,
        &state.public_base_url,
        state.hint_mode.is_sandbox(),
    ))
}

/// The numbers above the list.
#[server(prefix = "/api", endpoint = "admin/summary")]
pub async fn admin_summary() -> Result<Summary, AppError> {
    let (caller, _member) = staff(crate::domain::staff::StaffRole::Support).await?;
    crate::server::admin::queries::summary(&caller.state).await
}

/// Everything about one connection (with the full key right after a reveal made without
/// JavaScript).
#[server(prefix = "/api", endpoint = "admin/connection")]
pub async fn admin_connection(id: String) -> Result<ConnectionDetail, AppError> {
    use crate::server::staff::session as staff_session;

    let (caller, _member) = staff(crate::domain::staff::StaffRole::Support).await?;
    let mut detail = crate::server::admin::queries::detail(&caller.state, &id).await?;
    if staff_session::take_shown_key(&caller.state, &caller.staff, &id).await? {
        let key = crate::server::connections::keys::practice_key(&caller.state, &id).await?;
        detail.revealed_key = Some(secrecy::ExposeSecret::expose_secret(&key).to_owned());
    }
    Ok(detail)
}

/// Runs one action on a connection. Answers the message to show (for `Reveal`, the key itself).
/// Revealing and deactivating need a recent step-up: `password` and `code` confirm one here.
#[server(prefix = "/api", endpoint = "admin/action")]
pub async fn admin_action(
    id: String,
    action: StaffAction,
    #[server(default)] password: Option<String>,
    #[server(default)] code: Option<String>,
) -> Result<String, AppError> {
    let (caller, member) = if action.needs_step_up() {
        stepped_up_admin(password, code).await?
    } else {
        staff(crate::domain::staff::StaffRole::Admin).await?
    };
    let ip = caller.ip.as_deref();
    let message =
        crate::server::admin::actions::run(&caller.state, &member, &id, action, ip).await?;
    if action == StaffAction::Reveal && super::caller::from_plain_form().await {
        // The browser cannot show this answer: the page it goes back to shows the key, once.
        crate::server::staff::session::show_key_once(&caller.state, &caller.staff, &id).await?;
        leptos_axum::redirect(&format!("/admin/connections/{id}"));
    }
    Ok(message)
}

/// Exchanges a code a practice sent out of band (Hint's manual flow).
#[server(prefix = "/api", endpoint = "admin/manual_connect")]
pub async fn manual_connect(
    code: String,
    #[server(default)] password: Option<String>,
    #[server(default)] step_up_code: Option<String>,
) -> Result<String, AppError> {
    let (caller, member) = stepped_up_admin(password, step_up_code).await?;
    let (id, message) = crate::server::admin::actions::manual_connect(
        &caller.state,
        &member,
        &code,
        caller.ip.as_deref(),
    )
    .await?;
    leptos_axum::redirect(&format!("/admin/connections/{id}"));
    Ok(message)
}
