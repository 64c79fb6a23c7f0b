//! The partner staff's dashboard.

pub mod detail;
pub mod list;
pub mod login;

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

use crate::domain::AppError;
use detail::ConnectionDetailPage;
use list::AdminPage;
use login::{EnrolPage, SecondFactorPage, StaffLoginPage, StaffWelcomePage};

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

/// Declares a staff page as a lazy route. A `cargo leptos build --split` moves the page's code
/// into its own WebAssembly file, which the browser downloads only when it opens the page, so a
/// provider's browser never downloads the dashboard.
macro_rules! staff_page {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        #[doc = concat!("The lazy route of [`", stringify!($page), "`].")]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    )*};
}

staff_page! {
    AdminListRoute => AdminPage,
    AdminConnectionRoute => ConnectionDetailPage,
    AdminLoginRoute => StaffLoginPage,
    AdminCodeRoute => SecondFactorPage,
    AdminEnrolRoute => EnrolPage,
    AdminWelcomeRoute => StaffWelcomePage,
}
