//! The audit log's page for admins (`/admin/audit`): newest first, filtered, in pages.

use leptos::prelude::*;

use crate::domain::audit_log::{AuditFilter, AuditPage};
use crate::domain::AppError;

/// One page of the audit log under `filter`. Admins only: it holds addresses and actors.
#[server(prefix = "/api", endpoint = "admin/audit_log")]
pub async fn audit_log_page(filter: AuditFilter) -> Result<AuditPage, AppError> {
    use crate::domain::audit_log::PAGE_SIZE;

    let caller = super::caller::caller().await?;
    let state = &caller.state;
    crate::server::auth::require_staff(
        state,
        caller.browser(),
        crate::domain::staff::StaffRole::Admin,
    )
    .await?;
    // One more than a page says whether an older page exists.
    let mut entries =
        crate::server::audit::reading::newest(&state.db, &filter, PAGE_SIZE + 1).await?;
    let older = (entries.len() > PAGE_SIZE).then(|| {
        entries.truncate(PAGE_SIZE);
        entries[PAGE_SIZE - 1].id
    });
    Ok(AuditPage {
        entries,
        older,
        retention_days: state.settings.database.audit_retention_days,
    })
}
