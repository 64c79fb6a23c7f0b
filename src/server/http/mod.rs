//! The HTTP side, axum only: the router (health probes, Hint's inbound calls, middleware around
//! the pages that `crate::startup` mounts) and the handlers that are not server functions. No business rules here:
//! each handler calls a service.

pub mod client_ip;
pub mod export;
pub mod handshake;
pub mod limits;
pub mod listener;
pub mod metrics;
pub mod onboarding;
pub mod outbox;
pub mod request_id;
pub mod security;
pub mod service_api;
pub mod webhooks;

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::server::state::AppState;

/// Builds the whole router over `state`: our own routes and middleware around `pages`, the
/// router that serves the Leptos app and its server functions (mounted by `crate::startup`,
/// the one place where the server meets the pages), which also answers every path nobody else
/// does.
pub fn router(state: AppState, pages: Router<AppState>) -> Router {
    let redirect_path = state.settings.connect.redirect_path.clone();
    let trace = TraceLayer::new_for_http()
        .make_span_with(move |request: &Request| {
            // The route's template where there is one, else a redacted path; never the query
            // string: it can carry an authorization code or a session key.
            let path = match request.extensions().get::<axum::extract::MatchedPath>() {
                Some(route) => route.as_str().to_owned(),
                None => security::loggable_path(request.uri().path(), &redirect_path),
            };
            let id = request_id::of(request);
            let method = crate::server::metrics::method_label(request.method());
            let trace = request_id::trace_parent(request);
            let trace_id = trace.as_ref().map_or("-", |trace| trace.trace_id());
            tracing::info_span!("request", method = method, path = %path, request_id = %id, trace_id = %trace_id)
        })
        .on_request(())
        .on_response(
            |response: &Response, latency: Duration, _span: &tracing::Span| {
                tracing::info!(
                    status = response.status().as_u16(),
                    latency_ms = latency.as_secs_f64() * 1000.0,
                    "request"
                );
            },
        );

    let mut router = Router::new()
        .route("/admin/export.csv", get(export::connections_csv))
        .route("/admin/audit.csv", get(export::audit_csv))
        .route("/admin/audit.jsonl", get(export::audit_json_lines))
        .route(crate::domain::urls::CLAIM_PATH, get(onboarding::claim))
        .route(
            crate::domain::urls::WEBHOOKS_PATH,
            axum::routing::post(webhooks::receive),
        )
        .route(
            "/hint/connect/{code}",
            axum::routing::post(onboarding::headless_connect),
        )
        .route(
            crate::domain::urls::HANDSHAKE_PATH,
            axum::routing::post(handshake::handshake),
        )
        .merge(service_api::routes())
        .merge(pages);
    if state.settings.is_development() {
        router = router.route("/dev/outbox", get(outbox::page));
    }
    router = router
        .layer(axum::middleware::from_fn(server_fn_error_status))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::same_origin_only,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            onboarding::landing,
        ))
        .layer(crate::server::auth::session_layer(
            state.db.clone(),
            state.settings.http.secure_cookies(),
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::server::staff::session::layer,
        ))
        // Limits run before a session is loaded, on the address `client_ip` resolved.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::per_client,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            client_ip::client_ip,
        ));
    router = router
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(state.settings.http.request_timeout_seconds),
        ))
        // Outermost of the routes' layers, so every answer is counted: the limits' 429s, the
        // origin rule's 403s, the timeout's 408s and the landing's redirects too.
        .layer(axum::middleware::from_fn(
            crate::server::metrics::count_requests,
        ));
    // The probes need no client address, limit, session or metrics, and are not logged: a load
    // balancer polls them every few seconds (a failing readiness probe logs its own warning).
    // They keep the request id and the security headers.
    let probes = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .layer(axum::middleware::from_fn(known_methods_only))
        .layer(axum::middleware::from_fn_with_state(
            state.settings.http.secure_cookies(),
            security::headers,
        ));
    // Outside the timeout, so its 408 carries the security headers too.
    let logged = router
        .layer(axum::middleware::from_fn(known_methods_only))
        .layer(axum::middleware::from_fn_with_state(
            state.settings.http.secure_cookies(),
            security::headers,
        ))
        .layer(trace);
    probes
        .merge(logged)
        // Outermost: the id exists before the log span opens and is on every answer.
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::<[ipnet::IpNet]>::from(state.settings.http.trusted_proxies()),
            request_id::assign,
        ))
        .with_state(state)
}

/// Server functions answer every error with 500; this gives each `AppError` its real status
/// (400 for bad input, 401 for no login, …) so clients and logs can tell them apart, and turns
/// `Internal` into `Failed` with the request id to quote. Form posts without JavaScript are
/// redirects, not errors, and pass untouched.
async fn server_fn_error_status(request: Request, next: axum::middleware::Next) -> Response {
    let reference = request_id::of(&request).to_owned();
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key("serverfnerror")
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    if let Ok(crate::domain::AppError::Internal) = serde_json::from_slice(&bytes) {
        // What failed is in the log under this request's id: the user gets the id to quote.
        let failed = crate::domain::AppError::Failed { reference };
        let body = serde_json::to_vec(&failed).unwrap_or_default();
        parts.headers.remove(axum::http::header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::from(body));
    }
    if let Ok(error) = serde_json::from_slice::<crate::domain::AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let crate::domain::AppError::RateLimited {
            retry_after_seconds,
        } = error
        {
            parts
                .headers
                .insert(axum::http::header::RETRY_AFTER, retry_after_seconds.into());
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Answers 501 to a method the app never serves (RFC 9110 §9.1), before routing, limits or
/// metrics see it: an arbitrary token (hyper accepts any) goes no further than here.
async fn known_methods_only(request: Request, next: axum::middleware::Next) -> Response {
    if crate::server::metrics::method_label(request.method()) == "other" {
        return (StatusCode::NOT_IMPLEMENTED, "method not implemented").into_response();
    }
    next.run(request).await
}

/// Liveness: the process is up and answering.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers too.
async fn readyz(State(state): State<AppState>) -> Response {
    if state.db.ping().await {
        "ready".into_response()
    } else {
        tracing::warn!("readiness check failed: the database does not answer");
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
    }
}
