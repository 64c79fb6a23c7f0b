//! The dashboard's page on the partner API: service tokens (listed, made with a step-up,
//! revoked) and event endpoints with their latest deliveries ("send again"). Admins only.

use leptos::prelude::*;

use crate::domain::partner::PartnerApiOverview;
use crate::domain::AppError;

#[cfg(feature = "ssr")]
async fn admin() -> Result<(super::caller::Caller, crate::domain::staff::StaffMember), AppError> {
    let caller = super::caller::caller().await?;
    let member = crate::server::auth::require_staff(
        &caller.state,
        caller.browser(),
        crate::domain::staff::StaffRole::Admin,
    )
    .await?;
    Ok((caller, member))
}

/// Tokens and endpoints, with each endpoint's latest deliveries.
#[server(prefix = "/api", endpoint = "admin/partner_api")]
pub async fn partner_api_page() -> Result<PartnerApiOverview, AppError> {
    let (caller, _member) = admin().await?;
    let db = &caller.state.db;
    let tokens = crate::server::service_tokens::list(db)
        .await
        .map_err(|error| {
            tracing::error!(%error, "could not list service tokens");
            AppError::Internal
        })?;
    let endpoints = crate::server::events::endpoints::overview(db)
        .await
        .map_err(|error| {
            tracing::error!(%error, "could not list event endpoints");
            AppError::Internal
        })?;
    Ok(PartnerApiOverview {
        tokens,
        endpoints,
        now: caller.state.clock.now(),
    })
}

/// Makes a service token; answers it (shown once). Needs a recent step-up, which `password`
/// and `code` give here.
#[server(prefix = "/api", endpoint = "admin/service_token")]
pub async fn create_service_token(
    name: String,
    #[server(default)] connections_read: Option<String>,
    #[server(default)] keys_read: Option<String>,
    #[server(default)] password: Option<String>,
    #[server(default)] code: Option<String>,
) -> Result<String, AppError> {
    use crate::domain::partner::Scope;
    use crate::server::service_tokens::{self, TokenError};

    let (caller, member) = super::admin::stepped_up_admin(password, code).await?;
    let mut scopes = Vec::new();
    if connections_read.is_some() {
        scopes.push(Scope::ConnectionsRead);
    }
    if keys_read.is_some() {
        scopes.push(Scope::KeysRead);
    }
    let by = crate::server::audit::Operator::Staff(&member.id);
    match service_tokens::create(&caller.state.db, &name, &scopes, by).await {
        Ok(token) => Ok(secrecy::ExposeSecret::expose_secret(&token).to_owned()),
        Err(TokenError::Db(error)) => {
            tracing::error!(%error, "could not create a service token");
            Err(AppError::Internal)
        }
        Err(error) => Err(AppError::invalid(error.to_string())),
    }
}

/// Revokes a service token by name.
#[server(prefix = "/api", endpoint = "admin/revoke_service_token")]
pub async fn revoke_service_token(name: String) -> Result<String, AppError> {
    let (caller, member) = admin().await?;
    let by = crate::server::audit::Operator::Staff(&member.id);
    crate::server::service_tokens::revoke(&caller.state.db, &name, by)
        .await
        .map_err(|error| AppError::invalid(error.to_string()))?;
    Ok(format!("Revoked {name}: its next call is refused."))
}

/// Queues an event for an endpoint again ("send again").
#[server(prefix = "/api", endpoint = "admin/resend_event")]
pub async fn resend_event(url: String, event_id: String) -> Result<String, AppError> {
    let (caller, member) = admin().await?;
    let by = crate::server::audit::Operator::Staff(&member.id);
    crate::server::events::endpoints::resend(&caller.state.db, &url, &event_id, by)
        .await
        .map_err(|error| AppError::invalid(error.to_string()))?;
    Ok(format!("{event_id} is queued for {url} again."))
}
