//! Where codes arrive over HTTP: the landing, where Hint sends the browser with a code appended
//! to our redirect URL, and Hint's headless install (`POST /hint/connect/{code}`), server to
//! server. The work is in `connections::onboarding` and `connections::exchange`.
//!
//! Only a GET lands. It checks the code's shape, records a pending connection keyed by the
//! code's hash and tied to this browser's session (never to an account: binding is an explicit
//! step), and answers 303 to a clean URL, so the code leaves the address bar, the history and
//! any Referer. A second code never silently replaces an unfinished connection of the session.
//! Both redirect forms work: `/signup?code=…` and `/connect/…`.

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use serde_json::json;
use tower_sessions::Session;

use super::client_ip::ClientIp;
use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::connection::{AuthCode, ConnectionStatus};
use crate::domain::AppError;
use crate::server::audit::{self, Entry};
use crate::server::auth;
use crate::server::connections::exchange::{self, ExchangeActor};
use crate::server::connections::onboarding::landing::{self, Landing};
use crate::server::connections::onboarding::{self, binding};
use crate::server::state::AppState;

/// Where the browser goes after landing.
pub const WIZARD_PATH: &str = "/onboarding";

/// The raw code in `uri` if it is a landing request for `redirect_path`.
pub fn landing_code(redirect_path: &str, uri: &Uri) -> Option<String> {
    match redirect_path.split_once('?') {
        Some((path, query_prefix)) => {
            // The parameter Hint's code lands in: the last `name=` of the registered URL.
            let param = query_prefix.rsplit('&').next()?.strip_suffix('=')?;
            if uri.path() != path {
                return None;
            }
            let query = uri.query()?;
            query.split('&').find_map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (name == param).then(|| value.to_owned())
            })
        }
        None => {
            let rest = uri.path().strip_prefix(redirect_path)?;
            (!rest.is_empty() && !rest.contains('/')).then(|| rest.to_owned())
        }
    }
}

/// Middleware: handles landing requests, passes everything else on.
pub async fn landing(
    State(state): State<AppState>,
    session: Session,
    Extension(ClientIp(client)): Extension<ClientIp>,
    request: Request,
    next: Next,
) -> Response {
    // Only a top-level GET lands: a landing stores a code for this browser and nothing more.
    let is_get = matches!(*request.method(), Method::GET | Method::HEAD);
    let code = is_get
        .then(|| landing_code(&state.settings.connect.redirect_path, request.uri()))
        .flatten();
    let Some(raw) = code else {
        return next.run(request).await;
    };
    let ip = client.to_string();
    let target = match AuthCode::parse(&raw) {
        None => {
            let entry = Entry {
                ip: Some(&ip),
                ..Entry::new(
                    ActorKind::Anonymous,
                    AuditAction::CodeReceived,
                    Outcome::Denied,
                )
            };
            audit::record(
                &state.db,
                Entry {
                    detail: Some("malformed"),
                    ..entry
                },
            )
            .await;
            format!("{WIZARD_PATH}?link=invalid")
        }
        Some(code) => match land(&state, &session, &code, &ip).await {
            Ok(Landed::Here) => WIZARD_PATH.to_owned(),
            Ok(Landed::Elsewhere) => format!("{WIZARD_PATH}?link=used"),
            Ok(Landed::WhileBusy) => format!("{WIZARD_PATH}?link=second"),
            Err(_) => format!("{WIZARD_PATH}?link=error"),
        },
    };
    clean_redirect(&target)
}

/// The 303 away from an address that carried a secret (a code, an invitation's token): kept out
/// of caches and of the next page's `Referer`.
fn clean_redirect(target: &str) -> Response {
    let mut response = Redirect::to(target).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// How long an opened invitation keeps the connection open for this browser to confirm it.
const CLAIM_WINDOW_SECONDS: i64 = 60 * 60;

/// `GET /claim`'s query.
#[derive(serde::Deserialize)]
pub struct ClaimQuery {
    #[serde(default)]
    token: String,
}

/// `GET /claim?token=…`: an invitation sent from inside Hint to claim a connection nobody owns.
/// The token works once; the connection then waits for this browser, for an hour, on the
/// confirmation page, where the provider signs in and says "yes, this is my practice" as after a
/// landing.
pub async fn claim(
    State(state): State<AppState>,
    session: Session,
    Extension(ClientIp(client)): Extension<ClientIp>,
    axum::extract::Query(query): axum::extract::Query<ClaimQuery>,
) -> Response {
    let ip = client.to_string();
    let target = match open_claim(&state, &session, &query.token, &ip).await {
        Ok(true) => WIZARD_PATH.to_owned(),
        Ok(false) => format!("{WIZARD_PATH}?link=used"),
        Err(_) => format!("{WIZARD_PATH}?link=error"),
    };
    clean_redirect(&target)
}

async fn open_claim(
    state: &AppState,
    session: &Session,
    token: &str,
    ip: &str,
) -> Result<bool, AppError> {
    use crate::server::account_tokens::{self, TokenPurpose};

    let now = state.clock.now();
    let used = account_tokens::redeem(&state.db, TokenPurpose::ClaimConnection, token, now).await?;
    let key = auth::landing_key_or_new(session).await?;
    let opened = match &used {
        Some(used) => {
            landing::open_claim(state, &used.owner_id, &key, now + CLAIM_WINDOW_SECONDS).await?
        }
        None => false,
    };
    let outcome = if opened { Outcome::Ok } else { Outcome::Denied };
    let entry = Entry {
        connection_id: used.as_ref().map(|used| used.owner_id.as_str()),
        ip: Some(ip),
        detail: Some("an invitation to claim the connection was opened"),
        ..Entry::new(ActorKind::Anonymous, AuditAction::CodeReceived, outcome)
    };
    audit::record(&state.db, entry).await;
    if let (true, Some(used)) = (opened, used) {
        auth::set_session_connection(session, &used.owner_id).await?;
    }
    Ok(opened)
}

/// Where a landing left the browser.
enum Landed {
    /// The code is this session's connection now.
    Here,
    /// The code landed in another browser first (or expired): nothing for this one.
    Elsewhere,
    /// This session has an unfinished connection already; the new code does not replace it.
    WhileBusy,
}

async fn land(
    state: &AppState,
    session: &Session,
    code: &AuthCode,
    ip: &str,
) -> Result<Landed, AppError> {
    let key = auth::landing_key_or_new(session).await?;
    let Landing::Kept(id) = landing::land(state, code, &key, Some(ip)).await? else {
        return Ok(Landed::Elsewhere);
    };
    let current = auth::session_connection(session).await?;
    if current.as_deref() == Some(id.as_str()) {
        return Ok(Landed::Here);
    }
    let user = auth::current_user(state, session).await?;
    let connection =
        binding::session_connection(state, user.as_ref(), current.as_deref(), Some(&key)).await?;
    if !onboarding::is_finished(&connection) {
        return Ok(Landed::WhileBusy);
    }
    auth::set_session_connection(session, &id).await?;
    Ok(Landed::Here)
}

/// `POST /hint/connect/{code}`: Hint's headless install, server to server. The code is
/// exchanged with the same exactly-once machinery; the connection waits for a provider to claim it.
pub async fn headless_connect(State(state): State<AppState>, Path(raw): Path<String>) -> Response {
    if !state.settings.connect.headless_connect {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "status": 404, "message": "headless connect is off" })),
        )
            .into_response();
    }
    let Some(code) = AuthCode::parse(&raw) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "status": 400, "message": "malformed code" })),
        )
            .into_response();
    };
    let outcome = async {
        let id = landing::receive_code(&state, &code, None).await?;
        exchange::exchange(
            &state,
            &id,
            ExchangeActor::Hint,
            state.settings.connect.activate_on_exchange,
            None,
        )
        .await
    }
    .await;
    match outcome {
        Ok(summary)
            if matches!(
                summary.status,
                ConnectionStatus::Connected | ConnectionStatus::AwaitingActivation
            ) =>
        {
            Json(json!({ "status": summary.status.as_str() })).into_response()
        }
        Ok(summary) => {
            let message = summary.problem.map_or("not connected", |p| p.as_str());
            let status = if summary.status == ConnectionStatus::Failed {
                // A code Hint refused leaves nothing behind but its audit lines.
                if let Err(error) = landing::forget_refused(&state, &summary.id).await {
                    tracing::warn!(%error, "could not forget a refused headless code");
                }
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::BAD_GATEWAY
            };
            (
                status,
                Json(json!({ "status": status.as_u16(), "message": message })),
            )
                .into_response()
        }
        Err(error) => {
            let status = StatusCode::from_u16(error.status_code())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (
                status,
                Json(json!({ "status": status.as_u16(), "message": error.to_string() })),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(text: &str) -> Uri {
        text.parse().unwrap()
    }

    #[test]
    fn the_query_form_takes_the_code_parameter() {
        assert_eq!(
            landing_code("/signup?code=", &uri("/signup?code=abc123XYZ")).as_deref(),
            Some("abc123XYZ")
        );
        assert_eq!(
            landing_code("/signup?code=", &uri("/signup?x=1&code=abc")).as_deref(),
            Some("abc")
        );
        assert_eq!(landing_code("/signup?code=", &uri("/signup")), None);
        assert_eq!(landing_code("/signup?code=", &uri("/other?code=abc")), None);
    }

    #[test]
    fn the_path_form_takes_the_last_segment() {
        assert_eq!(
            landing_code("/connect/", &uri("/connect/abc123XYZ")).as_deref(),
            Some("abc123XYZ")
        );
        assert_eq!(landing_code("/connect/", &uri("/connect/")), None);
        assert_eq!(landing_code("/connect/", &uri("/connect/a/b")), None);
    }

    #[test]
    fn an_empty_code_is_still_a_landing_so_it_gets_the_invalid_link_page() {
        assert_eq!(
            landing_code("/signup?code=", &uri("/signup?code=")).as_deref(),
            Some("")
        );
    }
}
