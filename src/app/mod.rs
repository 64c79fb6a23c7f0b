//! The user interface, rendered on the server and hydrated in the browser.

pub mod components;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};

use components::layout::Layout;
use pages::account::{ForgotPasswordPage, LoginPage, SignupPage};
use pages::admin::{
    AdminCodeRoute, AdminConnectionRoute, AdminEnrolRoute, AdminListRoute, AdminLoginRoute,
    AdminWelcomeRoute,
};
use pages::home::HomePage;
use pages::not_found::NotFound;
use pages::onboarding::OnboardingPage;
use pages::{
    AccountRoute, ConfirmEmailRoute, HintSettingsRoute, PracticesRoute, ResetPasswordRoute,
    UnsubscribeRoute, VerifyEmailRoute,
};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_page_security_policy();
    let stylesheet = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="stylesheet" href=stylesheet />
                // Only under `cargo leptos watch` (it sets LEPTOS_WATCH): reloads on a rebuild.
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[cfg(feature = "ssr")]
/// The Content-Security-Policy of a rendered page, allowing only our own files and the inline
/// hydration script that carries `nonce`.
pub fn page_csp(nonce: &str, frame_ancestors: &str, live_reload: bool) -> String {
    // cargo-leptos's live reload talks over a WebSocket on its own port (development only).
    let connect = if live_reload { "'self' ws:" } else { "'self'" };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src {connect}; font-src 'self'; \
         object-src 'none'; frame-ancestors {frame_ancestors}; base-uri 'none'; form-action 'self'"
    )
}

/// Sets this response's Content-Security-Policy with the nonce the hydration script carries.
#[cfg(feature = "ssr")]
fn set_page_security_policy() {
    use leptos::nonce::use_nonce;
    use leptos_axum::ResponseOptions;

    if let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>()) {
        // Only the embedded settings surface may be framed, and only by Hint's app.
        let embedded = use_context::<axum::http::request::Parts>().is_some_and(|parts| {
            parts.uri.path() == crate::server::http::security::EMBEDDED_SETTINGS_PATH
        });
        let state = use_context::<crate::server::state::AppState>();
        let frame_ancestors = match &state {
            Some(state) if embedded => state.frame_ancestors.to_string(),
            _ => "'none'".to_owned(),
        };
        let live_reload = state.is_some_and(|state| state.config.is_development())
            && std::env::var_os("LEPTOS_WATCH").is_some();
        let policy = page_csp(&nonce, &frame_ancestors, live_reload);
        if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
            response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}

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
                    // Framed by Hint's app: no header or footer of ours (see `Layout`).
                    <Route path=path!("/hint/settings") view={Lazy::<HintSettingsRoute>::new()} ssr=SsrMode::Async />
                </Routes>
            </Layout>
        </Router>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn the_page_policy_allows_only_the_nonce_script() {
        let csp = page_csp("abc123", "'none'", false);
        assert!(csp.contains("'nonce-abc123'"));
        assert!(!csp.contains("unsafe-inline"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}
