//! The service API under `/v1`, for the partner's own product: bearer tokens only (no cookie is
//! read, so there is nothing for another site to forge), each token limited on its own, errors
//! as `application/problem+json` (RFC 9457), and its OpenAPI 3.1 document at `/v1/openapi.json`,
//! generated from the handlers and types below.

mod connections;

use std::sync::OnceLock;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::client_ip::ClientIp;
use crate::domain::partner::Scope;
use crate::server::rate_limits::Door;
use crate::server::service_tokens::{self, Refusal, ServiceCaller};
use crate::server::state::AppState;

/// The routes, mounted by `http::router`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/openapi.json", get(openapi_json))
        .route("/v1/connections", get(connections::list))
        .route("/v1/connections/{id}", get(connections::one))
        .route("/v1/connections/{id}/key", get(connections::key))
        .route("/v1/{*rest}", axum::routing::any(unknown_route))
}

/// The service API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "practice-connect service API",
        description = "Connections and practice keys for the partner's own services. Every call \
                       needs `Authorization: Bearer pcs_…`, a service token made with \
                       `practice-connect service-tokens create`.",
    ),
    paths(connections::list, connections::one, connections::key),
    components(schemas(Problem)),
    modifiers(&BearerTokens),
    tags((name = "connections", description = "Practices connected through Hint's InstantOn flow"))
)]
pub struct ApiDoc;

struct BearerTokens;

impl Modify for BearerTokens {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("A service token (`pcs_…`)."))
                .build(),
        );
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("service_token", scheme);
    }
}

/// The document as served (made once).
pub fn openapi_document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| ApiDoc::openapi().to_pretty_json().unwrap_or_default())
}

async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi_document(),
    )
        .into_response()
}

/// An error, as RFC 9457 writes it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`urn:practice-connect:problem:<kind>`).
    #[serde(rename = "type")]
    kind: String,
    /// The kind of problem in a few words.
    title: String,
    /// The HTTP status.
    status: u16,
    /// What went wrong with this request, and what to do.
    detail: String,
    /// For 409 on a key: the connection's status (wait for `awaiting_activation`; ask the
    /// practice to reconnect for `needs_reconnect`; `disconnected` is final).
    #[serde(skip_serializing_if = "Option::is_none")]
    connection_status: Option<String>,
}

impl Problem {
    fn new(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:practice-connect:problem:{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            connection_status: None,
        }
    }

    fn unauthorized(detail: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Missing or unusable token",
            detail,
        )
    }

    pub(crate) fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "No such connection",
            "No connection has this id.",
        )
    }

    pub(crate) fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail,
        )
    }

    pub(crate) fn failed() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "failed",
            "Failed",
            "The request could not be completed; the server's log has the cause under this \
             response's X-Request-Id.",
        )
    }

    pub(crate) fn not_connected(status: &str) -> Self {
        Self {
            connection_status: Some(status.to_owned()),
            ..Self::new(
                StatusCode::CONFLICT,
                "not-connected",
                "The connection is not connected",
                format!(
                    "This connection is {status}: its key cannot be used. Wait for \
                     awaiting_activation; needs_reconnect asks the practice to connect again."
                ),
            )
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_default();
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(
                    "Bearer realm=\"practice-connect\", error=\"invalid_token\"",
                ),
            );
        }
        response
    }
}

async fn unknown_route() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "no-route",
        "No such route",
        "The service API has no such route: /v1/openapi.json lists them.",
    )
}

/// A caller with a live token, within its token's limit.
pub struct Authorized(pub ServiceCaller);

impl Authorized {
    /// The caller when its token carries `scope`; 403 otherwise.
    pub fn with(self, scope: Scope) -> Result<ServiceCaller, Problem> {
        if self.0.may(scope) {
            Ok(self.0)
        } else {
            Err(Problem::new(
                StatusCode::FORBIDDEN,
                "missing-scope",
                "The token lacks a scope",
                format!("This call needs a token with the {} scope.", scope.as_str()),
            ))
        }
    }
}

impl FromRequestParts<AppState> for Authorized {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                let (scheme, token) = value.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            });
        let Some(presented) = presented else {
            return Err(Problem::unauthorized(
                "Send a service token as `Authorization: Bearer pcs_…`.",
            )
            .into_response());
        };
        match service_tokens::authenticate(&state.db, presented).await {
            Ok(caller) => match state.limits.check_service(&caller.id) {
                Ok(()) => Ok(Self(caller)),
                Err(wait) => Err(super::limits::too_many_problem(wait)),
            },
            Err(refusal) => {
                // Wrong tokens spend the client address's allowance, so guessing is slow.
                if let Some(ClientIp(ip)) = parts.extensions.get::<ClientIp>().copied() {
                    if let Err(wait) = state.limits.check(Door::ServiceToken, ip) {
                        return Err(super::limits::too_many_problem(wait));
                    }
                }
                let detail = match refusal {
                    Refusal::Unknown => "This token is not one this app issued.",
                    Refusal::Revoked => "This token was revoked.",
                };
                Err(Problem::unauthorized(detail).into_response())
            }
        }
    }
}
