//! The HTTP router: Leptos pages and server functions, health probes, assets, middleware.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use super::security;
use super::state::AppState;
use crate::app::{shell, App};

/// Builds the whole router over `state`.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let app = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    let redirect_path = state.config.redirect_path.clone();
    let trace = TraceLayer::new_for_http().make_span_with(move |request: &Request| {
        // Only the method and a redacted path: query strings can carry authorization codes.
        let path = security::loggable_path(request.uri().path(), &redirect_path);
        tracing::info_span!("request", method = %request.method(), path = %path)
    });

    let mut router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/admin/export.csv", get(export_csv))
        .route(
            "/hint/webhooks",
            axum::routing::post(super::webhooks::receive),
        )
        .route(
            "/hint/connect/{code}",
            axum::routing::post(super::webhooks::headless_connect),
        )
        .leptos_routes_with_context(&state, routes, context, app)
        .fallback(asset_or_not_found);
    router = router
        .layer(axum::middleware::from_fn(server_fn_error_status))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::landing::landing,
        ))
        .layer(super::auth::session_layer(
            state.db.clone(),
            state.config.secure_cookies(),
        ));
    for layer in security::header_layers(state.config.secure_cookies()) {
        router = router.layer(layer);
    }
    router
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(trace)
        .with_state(state)
}

/// Server functions answer every error with 500; this gives each `AppError` its real status
/// (400 for bad input, 401 for no login, …) so clients and logs can tell them apart. Form posts
/// without JavaScript are redirects, not errors, and pass untouched.
async fn server_fn_error_status(request: Request, next: axum::middleware::Next) -> Response {
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
    if let Ok(error) = serde_json::from_slice::<crate::domain::AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The current dashboard view as CSV (no keys in it), for staff.
async fn export_csv(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    axum::extract::Query(query): axum::extract::Query<crate::domain::admin::ListQuery>,
) -> Response {
    use crate::domain::AppError;
    use crate::server::audit::{self, ActorKind, Entry, Outcome};

    let member = match super::auth::require_staff(
        &state.db,
        &session,
        crate::domain::admin::StaffRole::Support,
    )
    .await
    {
        Ok(member) => member,
        Err(AppError::Forbidden) => return (StatusCode::FORBIDDEN, "Staff only.").into_response(),
        Err(_) => {
            return (StatusCode::UNAUTHORIZED, "Log in at /admin/login first.").into_response()
        }
    };
    let rows = match super::dashboard::export(&state, &query, 100_000).await {
        Ok(rows) => rows,
        Err(_) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Could not export; try again.",
            )
                .into_response()
        }
    };
    audit::record(
        &state.db,
        Entry {
            actor_id: Some(&member.id),
            ..Entry::new(ActorKind::Staff, "exported_csv", Outcome::Ok)
        },
    )
    .await;
    let mut csv = String::from("practice_name,practice_id,integration_id,status,provider_name,provider_email,connected_at,last_verified_at\n");
    for row in rows {
        let date = |at: Option<i64>| at.map(crate::domain::dates::iso_date).unwrap_or_default();
        let fields = [
            row.practice_name.unwrap_or_default(),
            row.practice_id.unwrap_or_default(),
            row.integration_id.unwrap_or_default(),
            row.status.as_str().to_owned(),
            row.provider_name.unwrap_or_default(),
            row.provider_email.unwrap_or_default(),
            date(row.connected_at),
            date(row.last_verified_at),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        csv.push_str(&line.join(","));
        csv.push('\n');
    }
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"connections.csv\"",
            ),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        csv,
    )
        .into_response()
}

/// One CSV field: quoted when needed, and defused when a spreadsheet would run it as a formula.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
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

/// A built asset when one exists at this path; otherwise the app's own "not found" page.
async fn asset_or_not_found(State(state): State<AppState>, request: Request<Body>) -> Response {
    if let Some(response) = state
        .assets
        .respond(request.uri().path(), request.headers())
    {
        return response;
    }
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let options = state.leptos_options.clone();
    let render =
        leptos_axum::render_app_to_stream_with_context(context, move || shell(options.clone()));
    let mut response = render(request).await;
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}
