//! The partner staff's dashboard.

pub mod audit;
pub mod detail;
pub mod list;
pub mod login;
pub mod partner_api;
pub mod setup_panel;
pub mod staff_roster;

use leptos::prelude::*;

use crate::domain::AppError;
use audit::AuditLogPage;
use detail::ConnectionDetailPage;
use list::AdminPage;
use login::{EnrolPage, SecondFactorPage, StaffLoginPage, StaffWelcomePage};
use partner_api::PartnerApiPage;

/// What an admin page shows when the caller may not see it.
#[component]
pub fn AccessProblem(error: AppError) -> impl IntoView {
    match error {
        AppError::Unauthenticated => view! {
            <p class="notice">"This page is for partner staff. " <a href="/admin/login">"Log in as staff"</a></p>
        }
        .into_any(),
        AppError::SecondFactorNeeded => view! {
            <p class="notice">"Your staff login is not finished. "
                <a href="/admin/login/code">"Type your authenticator code"</a>" or "<a href="/admin/login">"log in again"</a>"."</p>
        }
        .into_any(),
        AppError::Forbidden => view! {
            <p class="error" role="alert">"This page is for partner staff only. Providers see their practices on "
                <a href="/practices">"your practices"</a>"."</p>
        }
        .into_any(),
        other => view! { <p class="error" role="alert">{other.to_string()}</p> }.into_any(),
    }
}

// The staff pages, each in WebAssembly of its own (see `lazy_pages!`): a provider's browser never
// downloads the dashboard.
lazy_pages! {
    AdminListRoute => AdminPage,
    AdminConnectionRoute => ConnectionDetailPage,
    AdminLoginRoute => StaffLoginPage,
    AdminCodeRoute => SecondFactorPage,
    AdminEnrolRoute => EnrolPage,
    AdminWelcomeRoute => StaffWelcomePage,
    AdminPartnerApiRoute => PartnerApiPage,
    AdminAuditRoute => AuditLogPage,
}
