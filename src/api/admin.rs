//! The staff dashboard's server functions. Each checks the caller's staff role on the server:
//! reading needs `support`, every action needs `admin`; a provider's session gets `Forbidden`.

use leptos::prelude::*;

use crate::domain::admin::{ConnectionDetail, ConnectionPage, ListQuery, StaffMember, Summary};
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
    use crate::server::audit::{self, ActorKind, Entry, Outcome};

    let caller = super::caller::caller().await?;
    let keys = crate::server::limits::login_keys("staff", caller.ip.as_deref(), &email);
    if caller.state.login_failures.is_blocked(&keys) {
        return Err(AppError::RateLimited);
    }
    match crate::server::staff::log_in(&caller.state.db, &email, &password).await {
        Ok(member) => {
            caller.state.login_failures.clear(&keys);
            crate::server::auth::start_staff_login(&caller.session, &member.id).await?;
            let entry = Entry {
                actor_id: Some(&member.id),
                ip: caller.ip.as_deref(),
                ..Entry::new(ActorKind::Staff, "staff_login", Outcome::Ok)
            };
            audit::record(&caller.state.db, entry).await;
            leptos_axum::redirect("/admin");
            Ok(())
        }
        Err(error) => {
            caller.state.login_failures.record_failure(&keys);
            let entry = Entry {
                ip: caller.ip.as_deref(),
                ..Entry::new(ActorKind::Anonymous, "staff_login", Outcome::Denied)
            };
            audit::record(&caller.state.db, entry).await;
            Err(error)
        }
    }
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
    crate::server::dashboard::list(&caller.state, &query).await
}

/// The numbers above the list.
#[server(prefix = "/api", endpoint = "admin/summary")]
pub async fn admin_summary() -> Result<Summary, AppError> {
    let (caller, _member) = staff(crate::domain::admin::StaffRole::Support).await?;
    crate::server::dashboard::summary(&caller.state).await
}

/// Everything about one connection.
#[server(prefix = "/api", endpoint = "admin/connection")]
pub async fn admin_connection(id: String) -> Result<ConnectionDetail, AppError> {
    let (caller, _member) = staff(crate::domain::admin::StaffRole::Support).await?;
    crate::server::dashboard::detail(&caller.state, &id).await
}

/// Runs one action on a connection: `verify`, `refresh`, `activate`, `deactivate` or `reveal`.
/// Answers the message to show (for `reveal`, the key itself).
#[server(prefix = "/api", endpoint = "admin/action")]
pub async fn admin_action(id: String, action: String) -> Result<String, AppError> {
    use crate::server::dashboard;

    let (caller, member) = staff(crate::domain::admin::StaffRole::Admin).await?;
    let (state, ip) = (&caller.state, caller.ip.as_deref());
    match action.as_str() {
        "verify" => dashboard::verify_key(state, &member, &id, ip).await,
        "refresh" => dashboard::refresh_status(state, &member, &id, ip).await,
        "activate" => dashboard::activate(state, &member, &id, ip).await,
        "deactivate" => dashboard::deactivate(state, &member, &id, ip).await,
        "reveal" => dashboard::reveal_key(state, &member, &id, ip).await,
        _ => Err(AppError::invalid("Unknown action.")),
    }
}

/// Exchanges a code a practice sent out of band (Hint's manual flow).
#[server(prefix = "/api", endpoint = "admin/manual_connect")]
pub async fn manual_connect(code: String) -> Result<String, AppError> {
    let (caller, member) = staff(crate::domain::admin::StaffRole::Admin).await?;
    let (id, message) = crate::server::dashboard::manual_connect(
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
