//! HTTP security headers, and keeping secrets out of request logs.

use axum::http::{header, HeaderName, HeaderValue};
use tower_http::set_header::SetResponseHeaderLayer;

/// The Content-Security-Policy for everything that does not set its own (rendered pages set one
/// with a per-response nonce; see `app::page_csp`).
pub const DEFAULT_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Layers that add the headers every response carries unless a handler set its own.
pub fn header_layers(https: bool) -> Vec<SetResponseHeaderLayer<HeaderValue>> {
    let mut headers = vec![
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Full URLs stay on our origin (forms without JavaScript need the Referer to come back
        // to); other sites get nothing. The landing route, whose URL carries an authorization
        // code, answers with `no-referrer` of its own.
        (header::REFERRER_POLICY, "same-origin"),
        (header::CONTENT_SECURITY_POLICY, DEFAULT_CSP),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ),
    ];
    if https {
        headers.push((
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ));
    }
    headers
        .into_iter()
        .map(|(name, value)| {
            SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
        })
        .collect()
}

/// Where Hint's headless installs arrive, with the code as the last segment.
pub const HEADLESS_PREFIX: &str = "/hint/connect/";

/// The request path as it may be logged: the authorization code of a path-form redirect
/// (`/connect/<code>`) is replaced by `…`. Query strings are never logged at all.
pub fn loggable_path(path: &str, redirect_path: &str) -> String {
    // Hint's headless install carries the code in the path too.
    if let Some(rest) = path.strip_prefix(HEADLESS_PREFIX) {
        if !rest.is_empty() {
            return format!("{HEADLESS_PREFIX}…");
        }
    }
    let redirect = redirect_path.split('?').next().unwrap_or_default();
    let is_path_form =
        !redirect_path.contains('?') && redirect.ends_with('/') && redirect.len() > 1;
    match path.strip_prefix(redirect) {
        Some(rest) if is_path_form && !rest.is_empty() => format!("{redirect}…"),
        _ => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_in_path_form_redirects_are_redacted() {
        assert_eq!(
            loggable_path("/connect/2jK3jlOOOpejk7xnKEl", "/connect/"),
            "/connect/…"
        );
        assert_eq!(loggable_path("/connect/", "/connect/"), "/connect/");
        assert_eq!(loggable_path("/admin", "/connect/"), "/admin");
    }

    #[test]
    fn codes_in_headless_connect_paths_are_redacted_whatever_the_redirect_form() {
        assert_eq!(
            loggable_path("/hint/connect/mbdTXOt30pLhQYgwgqXQFq", "/signup?code="),
            "/hint/connect/…"
        );
        assert_eq!(
            loggable_path("/hint/webhooks", "/signup?code="),
            "/hint/webhooks"
        );
    }

    #[test]
    fn query_form_redirects_keep_their_path() {
        assert_eq!(loggable_path("/signup", "/signup?code="), "/signup");
    }
}
