//! The provider's practices page: the connections they own.

use leptos::prelude::*;

use crate::domain::connection::ConnectionSummary;
use crate::domain::AppError;

/// The logged-in provider's practices.
#[server(prefix = "/api", endpoint = "my_connections")]
pub async fn my_connections() -> Result<Vec<ConnectionSummary>, AppError> {
    let caller = super::caller::caller().await?;
    let user = crate::server::auth::require_user(&caller.state, &caller.session).await?;
    crate::server::connections::list_for_user(&caller.state, &user.id).await
}
