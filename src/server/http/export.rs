//! Downloads for staff: `GET /admin/export.csv`, the dashboard's current view as CSV (no keys in
//! it); `GET /admin/audit.csv` and `/admin/audit.jsonl`, the audit log (admins), streamed in
//! batches so a log of millions of entries never sits in memory. Every export is audited, the
//! audit log's before a byte of it is sent.

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::audit_log::{AuditFilter, AuditRecord};
use crate::domain::dashboard::ListQuery;
use crate::domain::dates::{iso_date, rfc3339};
use crate::domain::staff::{StaffMember, StaffRole};
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
    let member = match member(&state, &session, &staff, StaffRole::Support).await {
        Ok(member) => member,
        Err(refusal) => return refusal,
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

/// The staff member calling with at least `role`, or the answer that refuses them.
async fn member(
    state: &AppState,
    session: &Session,
    staff: &auth::StaffCookie,
    role: StaffRole,
) -> Result<StaffMember, Response> {
    let browser = auth::Browser {
        session,
        staff,
        user_agent: None,
    };
    match auth::require_staff(state, browser, role).await {
        Ok(member) => Ok(member),
        Err(AppError::Forbidden) => {
            Err((StatusCode::FORBIDDEN, "Not for your role.").into_response())
        }
        Err(_) => Err((StatusCode::UNAUTHORIZED, "Log in at /admin/login first.").into_response()),
    }
}

/// How an audit export is written.
#[derive(Debug, Clone, Copy)]
enum Format {
    Csv,
    JsonLines,
}

/// The audit log's columns, in the CSV's order (the JSON lines use the same names).
const AUDIT_COLUMNS: &str = "id,at,actor_kind,actor_id,action,connection_id,ip,outcome,detail\n";
/// Entries read per query while an export streams.
const EXPORT_BATCH: usize = 1_000;

/// `GET /admin/audit.csv`: the audit log under the page's filters, as CSV. Admins only.
pub async fn audit_csv(
    state: State<AppState>,
    session: Session,
    staff: axum::Extension<auth::StaffCookie>,
    filter: Query<AuditFilter>,
) -> Response {
    audit_export(state, session, staff, filter, Format::Csv).await
}

/// `GET /admin/audit.jsonl`: the same as JSON lines, one entry per line. Admins only.
pub async fn audit_json_lines(
    state: State<AppState>,
    session: Session,
    staff: axum::Extension<auth::StaffCookie>,
    filter: Query<AuditFilter>,
) -> Response {
    audit_export(state, session, staff, filter, Format::JsonLines).await
}

async fn audit_export(
    State(state): State<AppState>,
    session: Session,
    axum::Extension(staff): axum::Extension<auth::StaffCookie>,
    Query(mut filter): Query<AuditFilter>,
    format: Format,
) -> Response {
    let member = match member(&state, &session, &staff, StaffRole::Admin).await {
        Ok(member) => member,
        Err(refusal) => return refusal,
    };
    if let Err(error) = audit::reading::check(&filter) {
        return (StatusCode::BAD_REQUEST, error.to_string()).into_response();
    }
    // The page's `before` is where a person was reading, not what they asked to export.
    filter.before = None;
    let (extension, content_type) = match format {
        Format::Csv => ("csv", "text/csv; charset=utf-8"),
        Format::JsonLines => ("jsonl", "application/jsonl; charset=utf-8"),
    };
    let filters = filter.query_string();
    let detail = format!(
        "{extension} {}",
        if filters.is_empty() {
            "(everything)"
        } else {
            &filters
        }
    );
    let entry = Entry {
        actor_id: Some(&member.id),
        detail: Some(&detail),
        ..Entry::new(ActorKind::Staff, AuditAction::AuditExported, Outcome::Ok)
    };
    if audit::record_or_fail(&state.db, entry).await.is_err() {
        // No audit line, no export.
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "Could not export; try again.",
        )
            .into_response();
    }
    let head = match format {
        Format::Csv => Some(AUDIT_COLUMNS.to_owned()),
        Format::JsonLines => None,
    };
    // Batches newest first, each starting below the last id sent; an error ends the stream, so
    // the download is cut short (a client sees an incomplete transfer, never a quiet gap).
    let batches = futures::stream::unfold(
        (state, filter, head, false),
        move |(state, mut filter, head, done)| async move {
            if let Some(head) = head {
                return Some((Ok(head), (state, filter, None, false)));
            }
            if done {
                return None;
            }
            match audit::reading::newest(&state.db, &filter, EXPORT_BATCH).await {
                Err(_) => Some((
                    Err(std::io::Error::other("the audit log could not be read")),
                    (state, filter, None, true),
                )),
                Ok(entries) if entries.is_empty() => None,
                Ok(entries) => {
                    let last = entries.len() < EXPORT_BATCH;
                    filter.before = entries.last().map(|entry| entry.id);
                    let text: String = entries.iter().map(|entry| line(entry, format)).collect();
                    Some((Ok(text), (state, filter, None, last)))
                }
            }
        },
    );
    let filename = format!("attachment; filename=\"audit-log.{extension}\"");
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, filename),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(batches),
    )
        .into_response()
}

/// One entry as a line of the export. In the CSV an absent field is empty and `at` is RFC 3339
/// (the JSON line also carries `at_unix`, the stored seconds).
fn line(entry: &AuditRecord, format: Format) -> String {
    match format {
        Format::JsonLines => audit::reading::json_line(entry),
        Format::Csv => {
            let optional = |value: &Option<String>| csv_field(value.as_deref().unwrap_or_default());
            let fields = [
                entry.id.to_string(),
                rfc3339(entry.at),
                csv_field(&entry.actor_kind),
                optional(&entry.actor_id),
                csv_field(&entry.action),
                optional(&entry.connection_id),
                optional(&entry.ip),
                csv_field(&entry.outcome),
                optional(&entry.detail),
            ];
            let mut text = fields.join(",");
            text.push('\n');
            text
        }
    }
}

/// One CSV field: quoted when needed, and defused when a spreadsheet would run it as a formula
/// (a leading `'` before `=`, `+`, `-`, `@`, tab or carriage return).
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
