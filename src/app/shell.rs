//! The HTML document around the app, and the Content-Security-Policy each rendered page gets.
//! The server decides the policy's inputs (who may frame the embedded surface, whether live
//! reload runs) and hands them in as a [`PagePolicy`] context value; the shell reads nothing else
//! of the server.

use leptos::prelude::*;
use leptos_meta::MetaTags;

use super::App;

/// What the server decides about every page's security policy, provided as a Leptos context
/// value by the code that mounts the app.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone)]
pub struct PagePolicy {
    /// The CSP `frame-ancestors` source for the embedded settings surface (Hint's app origin, or
    /// `'none'`); every other page may be framed by nobody.
    pub frame_ancestors: std::sync::Arc<str>,
    /// Whether cargo-leptos's live reload runs (development under `cargo leptos watch`).
    pub live_reload: bool,
}

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
                <meta name="description" content="Connect your Hint practice: sign up or log in, confirm the practice Hint sent you from, and finish connecting in a few steps." />
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

    use crate::domain::urls::EMBEDDED_SETTINGS_PATH;

    if let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>()) {
        // Only the embedded settings surface may be framed, and only by Hint's app.
        let embedded = use_context::<axum::http::request::Parts>()
            .is_some_and(|parts| parts.uri.path() == EMBEDDED_SETTINGS_PATH);
        let policy = use_context::<PagePolicy>();
        let frame_ancestors = match &policy {
            Some(policy) if embedded => policy.frame_ancestors.to_string(),
            _ => "'none'".to_owned(),
        };
        let live_reload = policy.is_some_and(|policy| policy.live_reload);
        let csp = page_csp(&nonce, &frame_ancestors, live_reload);
        if let Ok(value) = axum::http::HeaderValue::from_str(&csp) {
            response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
        }
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
