//! Provider sign-up, log-in and log-out.

use leptos::prelude::*;

use crate::domain::account::CurrentUser;
use crate::domain::AppError;

/// Creates an account, logs it in, and continues the connection that brought the provider here.
#[server(prefix = "/api", endpoint = "sign_up")]
pub async fn sign_up(name: String, email: String, password: String) -> Result<(), AppError> {
    use crate::domain::account::{Email, NewPassword, PersonName};
    use crate::server::accounts;
    use crate::server::audit::{self, ActorKind, Entry, Outcome};

    let caller = super::caller::caller().await?;
    let name = PersonName::parse(&name).map_err(AppError::Invalid)?;
    let email = Email::parse(&email).map_err(AppError::Invalid)?;
    let password = NewPassword::parse(&password).map_err(AppError::Invalid)?;
    let user = match accounts::sign_up(&caller.state.db, &name, &email, &password).await {
        Ok(user) => user,
        Err(error) => {
            let entry = Entry {
                ip: caller.ip.as_deref(),
                ..Entry::new(ActorKind::Anonymous, "account_created", Outcome::Failed)
            };
            audit::record(&caller.state.db, entry).await;
            return Err(error);
        }
    };
    let entry = Entry {
        actor_id: Some(&user.id),
        ip: caller.ip.as_deref(),
        ..Entry::new(ActorKind::Provider, "account_created", Outcome::Ok)
    };
    audit::record(&caller.state.db, entry).await;
    after_login(&caller, &user).await
}

/// Logs a provider in and continues the connection that brought them here.
#[server(prefix = "/api", endpoint = "log_in")]
pub async fn log_in(email: String, password: String) -> Result<(), AppError> {
    use crate::server::accounts;
    use crate::server::audit::{self, ActorKind, Entry, Outcome};

    let caller = super::caller::caller().await?;
    let keys = crate::server::limits::login_keys("email", caller.ip.as_deref(), &email);
    if caller.state.login_failures.is_blocked(&keys) {
        let entry = Entry {
            ip: caller.ip.as_deref(),
            detail: Some("rate_limited"),
            ..Entry::new(ActorKind::Anonymous, "login", Outcome::Denied)
        };
        audit::record(&caller.state.db, entry).await;
        return Err(AppError::RateLimited);
    }
    match accounts::log_in(&caller.state.db, &email, &password).await {
        Ok(user) => {
            caller.state.login_failures.clear(&keys);
            let entry = Entry {
                actor_id: Some(&user.id),
                ip: caller.ip.as_deref(),
                ..Entry::new(ActorKind::Provider, "login", Outcome::Ok)
            };
            audit::record(&caller.state.db, entry).await;
            after_login(&caller, &user).await
        }
        Err(error) => {
            caller.state.login_failures.record_failure(&keys);
            let entry = Entry {
                ip: caller.ip.as_deref(),
                ..Entry::new(ActorKind::Anonymous, "login", Outcome::Denied)
            };
            audit::record(&caller.state.db, entry).await;
            Err(error)
        }
    }
}

/// Rotates the session id, gives the pending connection to the user, and sends them on.
#[cfg(feature = "ssr")]
async fn after_login(caller: &super::caller::Caller, user: &CurrentUser) -> Result<(), AppError> {
    use crate::server::{auth, connect};

    auth::start_login(&caller.session, &user.id).await?;
    match auth::session_value(&caller.session, super::caller::CONNECTION_KEY).await? {
        Some(connection_id) => {
            connect::claim_for_user(&caller.state, &connection_id, &user.id).await?;
            leptos_axum::redirect("/onboarding");
        }
        None => leptos_axum::redirect("/practices"),
    }
    Ok(())
}

/// Ends the session on the server.
#[server(prefix = "/api", endpoint = "log_out")]
pub async fn log_out() -> Result<(), AppError> {
    let caller = super::caller::caller().await?;
    crate::server::auth::end_session(&caller.session).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// The logged-in provider, if any.
#[server(prefix = "/api", endpoint = "current_user")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    let caller = super::caller::caller().await?;
    crate::server::auth::current_user(&caller.state.db, &caller.session).await
}
