//! The staff dashboard's server functions. Each checks the caller's staff role on the server:
//! reading needs `support`, every action needs `admin`; a provider's session gets `Forbidden`.

use leptos::prelude::*;

use crate::domain::admin::{
    ConnectionDetail, ConnectionPage, ListQuery, StaffAction, StaffMember, Summary,
};
use crate::domain::AppError;

#[cfg(feature = "ssr")]
async fn staff(
    role: crate::domain::admin::StaffRole,
) -> Result<(super::caller::Caller, StaffMember), AppError> {
    let caller = super::caller::caller().await?;
    let member =
        crate::server::auth::require_staff(&caller.state.db, &caller.session, role).await?;
    Ok((caller, member))
}

/// Logs a staff member in.
#[server(prefix = "/api", endpoint = "admin/log_in")]
pub async fn staff_log_in(email: String, password: String) -> Result<(), AppError> {
    use crate::server::auth::login::{self, Principal};

    let caller = super::caller::caller().await?;
    let ip = caller.ip.as_deref();
    login::log_in(
        &caller.state,
        &caller.session,
        Principal::Staff,
        &email,
        &password,
        ip,
    )
    .await?;
    leptos_axum::redirect("/admin");
    Ok(())
}

/// The logged-in staff member.
#[server(prefix = "/api", endpoint = "admin/me")]
pub async fn staff_me() -> Result<StaffMember, AppError> {
    Ok(staff(crate::domain::admin::StaffRole::Support).await?.1)
}

/// One page of connections.
#[server(prefix = "/api", endpoint = "admin/connections")]
pub async fn admin_connections(query: ListQuery) -> Result<ConnectionPage, AppError> {
    let (caller, _member) = staff(crate::domain::admin::StaffRole::Support).await?;
    crate::server::admin::queries::list(&caller.state, &query).await
}

/// The numbers above the list.
#[server(prefix = "/api", endpoint = "admin/summary")]
pub async fn admin_summary() -> Result<Summary, AppError> {
    let (caller, _member) = staff(crate::domain::admin::StaffRole::Support).await?;
    crate::server::admin::queries::summary(&caller.state).await
}

/// Everything about one connection.
#[server(prefix = "/api", endpoint = "admin/connection")]
pub async fn admin_connection(id: String) -> Result<ConnectionDetail, AppError> {
    let (caller, _member) = staff(crate::domain::admin::StaffRole::Support).await?;
    crate::server::admin::queries::detail(&caller.state, &id).await
}

/// Runs one action on a connection. Answers the message to show (for `Reveal`, the key itself).
#[server(prefix = "/api", endpoint = "admin/action")]
pub async fn admin_action(id: String, action: StaffAction) -> Result<String, AppError> {
    let (caller, member) = staff(crate::domain::admin::StaffRole::Admin).await?;
    let ip = caller.ip.as_deref();
    crate::server::admin::actions::run(&caller.state, &member, &id, action, ip).await
}

/// Exchanges a code a practice sent out of band (Hint's manual flow).
#[server(prefix = "/api", endpoint = "admin/manual_connect")]
pub async fn manual_connect(code: String) -> Result<String, AppError> {
    let (caller, member) = staff(crate::domain::admin::StaffRole::Admin).await?;
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

/// Ends the staff session.
#[server(prefix = "/api", endpoint = "admin/log_out")]
pub async fn staff_log_out() -> Result<(), AppError> {
    let caller = super::caller::caller().await?;
    crate::server::auth::end_session(&caller.session).await?;
    leptos_axum::redirect("/admin/login");
    Ok(())
}
