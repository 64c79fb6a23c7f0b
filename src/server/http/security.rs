//! HTTP security headers, the same-origin rule for state-changing requests, and keeping secrets
//! out of request logs.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::domain::urls::{EMBEDDED_SETTINGS_PATH, HANDSHAKE_PATH, HEADLESS_PREFIX, WEBHOOKS_PATH};
use crate::server::state::AppState;

/// The Content-Security-Policy for everything that does not set its own (rendered pages set one
/// with a per-response nonce; see `app::shell::page_csp`).
pub const DEFAULT_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The headers every response carries unless its handler set its own.
const ALWAYS: [(HeaderName, &str); 7] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    // Full URLs stay on our origin (forms without JavaScript need the Referer to come back to);
    // other sites get nothing. The landing route, whose URL carries an authorization code,
    // answers with `no-referrer` of its own.
    (header::REFERRER_POLICY, "same-origin"),
    (header::CONTENT_SECURITY_POLICY, DEFAULT_CSP),
    // Pages and server-function answers can carry a signed-in person's data (a revealed key,
    // say): never kept by a browser or a proxy. Built assets set their own caching.
    (header::CACHE_CONTROL, "no-store"),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
    (
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=()",
    ),
];

/// Middleware: sets the security headers in one pass over the answer (`https` adds HSTS). The
/// embedded settings surface is framed by Hint's app, which its own `frame-ancestors` names (see
/// `app::shell::page_csp`), so the blanket `X-Frame-Options: DENY` is left off there.
pub async fn headers(State(https): State<bool>, request: Request, next: Next) -> Response {
    let embedded = request.uri().path() == EMBEDDED_SETTINGS_PATH;
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in &ALWAYS {
        if embedded && *name == header::X_FRAME_OPTIONS {
            continue;
        }
        if !headers.contains_key(name) {
            headers.insert(name.clone(), HeaderValue::from_static(value));
        }
    }
    if https && !headers.contains_key(header::STRICT_TRANSPORT_SECURITY) {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// Whether a request may change state: reads always may; writes must come from a page of ours
/// (`Sec-Fetch-Site: same-origin`, or, from a browser that does not send it, an `Origin` equal
/// to ours). Hint's server-to-server calls are exempt: webhooks and the handshake are signed,
/// and headless connect spends a code only Hint and the practice know.
pub fn may_change_state(method: &Method, path: &str, headers: &HeaderMap, origin: &str) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    if path == WEBHOOKS_PATH || path == HANDSHAKE_PATH || path.starts_with(HEADLESS_PREFIX) {
        return true;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match header("sec-fetch-site") {
        Some(site) => site == "same-origin",
        None => header("origin") == Some(origin),
    }
}

/// Middleware: refuses cross-site state changes (login CSRF, a sibling subdomain calling server
/// functions with a staff cookie) with 403 before any handler runs.
pub async fn same_origin_only(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let allowed = may_change_state(
        request.method(),
        request.uri().path(),
        request.headers(),
        &state.public_origin,
    );
    if allowed {
        return next.run(request).await;
    }
    tracing::warn!(
        method = %request.method(),
        site = request.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok()).unwrap_or("-"),
        "refused a state change from another origin"
    );
    let body = serde_json::to_string(&crate::domain::AppError::Forbidden).unwrap_or_default();
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

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

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    const ORIGIN: &str = "https://partner.example";

    #[test]
    fn reads_pass_and_writes_need_our_own_origin() {
        let post = Method::POST;
        assert!(may_change_state(
            &Method::GET,
            "/api/x",
            &headers(&[]),
            ORIGIN
        ));
        assert!(may_change_state(
            &post,
            "/api/log_in",
            &headers(&[("sec-fetch-site", "same-origin")]),
            ORIGIN
        ));
        assert!(may_change_state(
            &post,
            "/api/log_in",
            &headers(&[("origin", ORIGIN)]),
            ORIGIN
        ));
        for refused in [
            headers(&[]),
            headers(&[("sec-fetch-site", "cross-site")]),
            headers(&[("sec-fetch-site", "same-site")]),
            headers(&[("sec-fetch-site", "none")]),
            headers(&[("origin", "https://evil.partner.example")]),
            headers(&[("origin", "null")]),
            // A browser that says where it comes from is believed over a matching Origin.
            headers(&[("sec-fetch-site", "same-site"), ("origin", ORIGIN)]),
        ] {
            assert!(
                !may_change_state(&post, "/api/log_in", &refused, ORIGIN),
                "{refused:?}"
            );
        }
    }

    #[test]
    fn hints_server_to_server_calls_are_exempt() {
        let none = headers(&[]);
        assert!(may_change_state(
            &Method::POST,
            WEBHOOKS_PATH,
            &none,
            ORIGIN
        ));
        assert!(may_change_state(
            &Method::POST,
            "/hint/connect/abcdefgh123",
            &none,
            ORIGIN
        ));
        assert!(!may_change_state(
            &Method::POST,
            "/hint/webhooks/x",
            &none,
            ORIGIN
        ));
    }

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
