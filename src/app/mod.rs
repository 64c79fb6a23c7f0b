//! The user interface, rendered on the server and hydrated in the browser.

pub mod components;
pub mod pages;
pub mod shell;

pub use shell::shell;
#[cfg(feature = "ssr")]
pub use shell::PagePolicy;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};

use components::layout::Layout;
use pages::account::{ForgotPasswordPage, LoginPage, SignupPage};
use pages::admin::{
    AdminAuditRoute, AdminCodeRoute, AdminConnectionRoute, AdminEnrolRoute, AdminListRoute,
    AdminLoginRoute, AdminPartnerApiRoute, AdminWelcomeRoute,
};
use pages::home::HomePage;
use pages::not_found::NotFound;
use pages::onboarding::OnboardingPage;
use pages::{
    AccountRoute, ConfirmEmailRoute, EmbeddedSettingsRoute, PracticesRoute, ResetPasswordRoute,
    UnsubscribeRoute, VerifyEmailRoute,
};

/// The app: its routes inside the shared layout.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: this marks the page as hydrated (tests wait for it).
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Title formatter=|page: String| format!("{page} · practice-connect") />
        <Router>
            <Layout>
                // Every page renders completely before it is sent, so it is whole without
                // JavaScript: streamed out of order, a slow read (the header's "who is signed
                // in") could leave its fallback on screen, to be replaced only by a script.
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/onboarding") view=OnboardingPage ssr=SsrMode::Async />
                    <Route path=path!("/signup") view=SignupPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/reset-password") view={Lazy::<ResetPasswordRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/verify-email") view={Lazy::<VerifyEmailRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/confirm-email") view={Lazy::<ConfirmEmailRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/account") view={Lazy::<AccountRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/unsubscribe") view={Lazy::<UnsubscribeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/practices") view={Lazy::<PracticesRoute>::new()} ssr=SsrMode::Async />
                    // The staff pages load their code only when opened (see `lazy_pages!`).
                    <Route path=path!("/admin") view={Lazy::<AdminListRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/login") view={Lazy::<AdminLoginRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/login/code") view={Lazy::<AdminCodeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/welcome") view={Lazy::<AdminWelcomeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/login/enrol") view={Lazy::<AdminEnrolRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/connections/:id") view={Lazy::<AdminConnectionRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/partner-api") view={Lazy::<AdminPartnerApiRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view={Lazy::<AdminAuditRoute>::new()} ssr=SsrMode::Async />
                    // Framed by Hint's app: no header or footer of ours (see `Layout`).
                    <Route path=path!("/hint/settings") view={Lazy::<EmbeddedSettingsRoute>::new()} ssr=SsrMode::Async />
                </Routes>
            </Layout>
        </Router>
    }
}
