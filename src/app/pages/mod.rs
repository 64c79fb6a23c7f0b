//! One file per page.
//!
//! The pages on a provider's way in (home, sign-up, log-in, the onboarding wizard) are in the main
//! WebAssembly module. The others are lazy routes, declared with `lazy_pages!`: a
//! `cargo leptos build --split` moves each one's code into a file of its own, which the browser
//! downloads only when it opens that page (a server-rendered page preloads its own).

/// Declares each `$page` component as the lazy route `$route` (no data of its own to start
/// loading: the page's resources start when its code has arrived).
macro_rules! lazy_pages {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        #[doc = concat!("The lazy route of [`", stringify!($page), "`].")]
        pub struct $route;

        #[::leptos_router::lazy_route]
        impl ::leptos_router::LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> ::leptos::prelude::AnyView {
                use ::leptos::prelude::*;
                view! { <$page /> }.into_any()
            }
        }
    )*};
}

pub mod account;
pub mod admin;
pub mod embedded;
pub mod home;
pub mod not_found;
pub mod onboarding;
pub mod practices;

use account::settings::AccountPage;
use account::{ConfirmEmailPage, ResetPasswordPage, UnsubscribePage, VerifyEmailPage};
use embedded::EmbeddedSettingsPage;
use practices::PracticesPage;

// A provider's pages off the way in.
lazy_pages! {
    PracticesRoute => PracticesPage,
    AccountRoute => AccountPage,
    ResetPasswordRoute => ResetPasswordPage,
    VerifyEmailRoute => VerifyEmailPage,
    ConfirmEmailRoute => ConfirmEmailPage,
    UnsubscribeRoute => UnsubscribePage,
    EmbeddedSettingsRoute => EmbeddedSettingsPage,
}
