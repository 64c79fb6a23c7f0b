//! `GET /admin/export.csv`: the dashboard's current view as CSV, for staff (no keys in it).

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::dashboard::ListQuery;
use crate::domain::dates::iso_date;
use crate::domain::staff::StaffRole;
use crate::domain::AppError;
use crate::server::admin::queries;
use crate::server::audit::{self, Entry};
use crate::server::auth;
use crate::server::state::AppState;

/// The current dashboard view as CSV (no keys in it), for staff.
pub async fn connections_csv(
    State(state): State<AppState>,
    session: Session,
    axum::Extension(staff): axum::Extension<auth::StaffCookie>,
    Query(query): Query<ListQuery>,
) -> Response {
    let browser = auth::Browser {
        session: &session,
        staff: &staff,
        user_agent: None,
    };
    let member = match auth::require_staff(&state, browser, StaffRole::Support).await {
        Ok(member) => member,
        Err(AppError::Forbidden) => return (StatusCode::FORBIDDEN, "Staff only.").into_response(),
        Err(_) => {
            return (StatusCode::UNAUTHORIZED, "Log in at /admin/login first.").into_response()
        }
    };
    let rows = match queries::export(&state, &query, 100_000).await {
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
            ..Entry::new(ActorKind::Staff, AuditAction::ExportedCsv, Outcome::Ok)
        },
    )
    .await;
    let mut csv = String::from("practice_name,practice_id,integration_id,status,provider_name,provider_email,provider_email_verified,connected_at,last_verified_at\n");
    for row in rows {
        let date = |at: Option<i64>| at.map(iso_date).unwrap_or_default();
        let fields = [
            row.practice_name.unwrap_or_default(),
            row.practice_id.unwrap_or_default(),
            row.integration_id.unwrap_or_default(),
            row.status.as_str().to_owned(),
            row.provider_name.unwrap_or_default(),
            row.provider_email.clone().unwrap_or_default(),
            // A provider's email is theirs only once they opened a link sent to it.
            match (&row.provider_email, row.provider_email_verified) {
                (None, _) => String::new(),
                (Some(_), true) => "yes".to_owned(),
                (Some(_), false) => "unverified".to_owned(),
            },
            date(row.connected_at),
            date(row.last_verified_at),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        csv.push_str(&line.join(","));
        csv.push('\n');
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"connections.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
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
