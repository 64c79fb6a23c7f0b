//! The staff dashboard's service: the list (search, filter, sort, pages), the summary, one
//! connection's detail, and the actions staff take on a connection.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::audit::{self, ActorKind, Entry, Outcome};
use super::connect;
use super::db::{now, Backend};
use super::hint::HintError;
use super::state::AppState;
use crate::domain::admin::{
    ConnectionDetail, ConnectionPage, ConnectionRowView, ListQuery, StaffMember, Summary,
    TimelineEntry, MAX_OFFSET, PAGE_SIZE,
};
use crate::domain::connection::{ConnectionStatus, WizardAnswers};
use crate::domain::AppError;

const LIST_COLUMNS: &str =
    "c.id, c.status, c.practice_id, c.practice_name, c.integration_id, u.name AS provider_name, \
     u.email AS provider_email, c.connected_at, c.last_verified_at, c.created_at";
const FROM: &str = "FROM connections c LEFT JOIN users u ON u.id = c.user_id";

fn read_row(row: &AnyRow) -> Result<ConnectionRowView, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(ConnectionRowView {
        id: row.try_get("id")?,
        status: ConnectionStatus::parse(&status).unwrap_or(ConnectionStatus::Failed),
        practice_id: row.try_get("practice_id")?,
        practice_name: row.try_get("practice_name")?,
        integration_id: row.try_get("integration_id")?,
        provider_name: row.try_get("provider_name")?,
        provider_email: row.try_get("provider_email")?,
        connected_at: row.try_get("connected_at")?,
        last_verified_at: row.try_get("last_verified_at")?,
        created_at: row.try_get("created_at")?,
    })
}

/// The `WHERE` clause for a query and its bound values, in order (`$1`, `$2`, …). It never
/// needs the users table joined: an email search goes through a sub-query on `users`.
fn filters(query: &ListQuery, backend: Backend) -> (String, Vec<String>) {
    let mut clauses = vec!["c.merged_into IS NULL".to_owned()];
    let mut values = Vec::new();
    if let Some(status) = query.status_filter() {
        values.push(status.as_str().to_owned());
        clauses.push(format!("c.status = ${}", values.len()));
    }
    let term = query.q.trim();
    let pattern = || {
        format!(
            "%{}%",
            term.to_lowercase()
                .replace(['\\', '%'], "")
                .replace('_', "\\_")
        )
    };
    let email_match =
        |n: usize| format!("c.user_id IN (SELECT id FROM users WHERE email LIKE ${n} ESCAPE '\\')");
    if term.starts_with("pra-") || term.starts_with("int-") {
        // An id: an exact match through its index.
        values.push(term.to_owned());
        let column = if term.starts_with("pra-") {
            "practice_id"
        } else {
            "integration_id"
        };
        clauses.push(format!("c.{column} = ${}", values.len()));
    } else if term.contains('@') {
        values.push(pattern());
        clauses.push(email_match(values.len()));
    } else if !term.is_empty() {
        values.push(pattern());
        let n = values.len();
        // SQLite's LIKE ignores ASCII case; PostgreSQL needs ILIKE. Emails are stored lower-cased.
        let like = if backend == Backend::Postgres {
            "ILIKE"
        } else {
            "LIKE"
        };
        clauses.push(format!(
            "(c.practice_name {like} ${n} ESCAPE '\\' OR {})",
            email_match(n)
        ));
    }
    (format!("WHERE {}", clauses.join(" AND ")), values)
}

fn order_by(query: &ListQuery) -> String {
    let column = match query.sort_column() {
        "provider_email" => "u.email".to_owned(),
        other => format!("c.{other}"),
    };
    let direction = if query.descending() { "DESC" } else { "ASC" };
    // A plain column order lets both backends walk an index and stop after one page. Where
    // empty values go differs (SQLite puts NULL first when ascending, PostgreSQL last).
    format!("ORDER BY {column} {direction}, c.id {direction}")
}

/// One page of the list.
pub async fn list(state: &AppState, query: &ListQuery) -> Result<ConnectionPage, AppError> {
    let (where_clause, values) = filters(query, state.db.backend());
    let page = query.page();
    let sql = format!(
        "SELECT {LIST_COLUMNS} {FROM} {where_clause} {} LIMIT {PAGE_SIZE} OFFSET {}",
        order_by(query),
        (page - 1) * PAGE_SIZE
    );
    let mut rows_query = sqlx::query(&sql);
    for value in &values {
        rows_query = rows_query.bind(value);
    }
    let rows = rows_query.fetch_all(state.db.pool()).await?;
    // Counting stops past the deepest page offered: beyond it the list says "more than".
    let count_sql = format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM connections c {where_clause} LIMIT {}) AS counted",
        MAX_OFFSET + PAGE_SIZE + 1
    );
    let mut count_query = sqlx::query(&count_sql);
    for value in &values {
        count_query = count_query.bind(value);
    }
    let total: i64 = count_query.fetch_one(state.db.pool()).await?.try_get("n")?;
    let rows = rows.iter().map(read_row).collect::<Result<Vec<_>, _>>()?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE)
        .clamp(1, crate::domain::admin::MAX_OFFSET / PAGE_SIZE + 1);
    Ok(ConnectionPage {
        rows,
        total,
        page,
        pages,
    })
}

/// Every row of a view (for the CSV export), capped at `limit`.
pub async fn export(
    state: &AppState,
    query: &ListQuery,
    limit: i64,
) -> Result<Vec<ConnectionRowView>, AppError> {
    let (where_clause, values) = filters(query, state.db.backend());
    let sql = format!(
        "SELECT {LIST_COLUMNS} {FROM} {where_clause} {} LIMIT {limit}",
        order_by(query)
    );
    let mut rows_query = sqlx::query(&sql);
    for value in &values {
        rows_query = rows_query.bind(value);
    }
    let rows = rows_query.fetch_all(state.db.pool()).await?;
    Ok(rows.iter().map(read_row).collect::<Result<Vec<_>, _>>()?)
}

/// Counts by status, connections per day for 30 days, failed exchanges in 24 hours.
pub async fn summary(state: &AppState) -> Result<Summary, AppError> {
    // All rows by status (read off the status index alone), less the few merged rows (read off
    // their partial index): much cheaper than checking `merged_into` on every row.
    let all = sqlx::query("SELECT status, COUNT(*) AS n FROM connections GROUP BY status")
        .fetch_all(state.db.pool())
        .await?;
    let merged =
        sqlx::query("SELECT status, COUNT(*) AS n FROM connections WHERE merged_into IS NOT NULL GROUP BY status")
            .fetch_all(state.db.pool())
            .await?;
    let mut by_status: Vec<(ConnectionStatus, i64)> =
        ConnectionStatus::ALL.iter().map(|s| (*s, 0)).collect();
    for (rows, sign) in [(all, 1), (merged, -1)] {
        for row in rows {
            let status: String = row.try_get("status")?;
            let count: i64 = row.try_get("n")?;
            if let Some(slot) = by_status.iter_mut().find(|(s, _)| s.as_str() == status) {
                slot.1 += sign * count;
            }
        }
    }
    let today = now().div_euclid(86_400) * 86_400;
    let since = today - 29 * 86_400;
    let rows = sqlx::query(
        "SELECT (connected_at - (connected_at % 86400)) AS day, COUNT(*) AS n FROM connections \
         WHERE connected_at >= $1 AND id NOT IN (SELECT id FROM connections WHERE merged_into IS NOT NULL) GROUP BY (connected_at - (connected_at % 86400))",
    )
    .bind(since)
    .fetch_all(state.db.pool())
    .await?;
    let mut last_30_days: Vec<(i64, i64)> = (0..30).map(|i| (since + i * 86_400, 0)).collect();
    for row in rows {
        let day: i64 = row.try_get("day")?;
        let count: i64 = row.try_get("n")?;
        if let Some(slot) = last_30_days.iter_mut().find(|(d, _)| *d == day) {
            slot.1 = count;
        }
    }
    let failed_last_24h: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'exchange_failed' AND at >= $1",
    )
    .bind(now() - 86_400)
    .fetch_one(state.db.pool())
    .await?
    .try_get("n")?;
    Ok(Summary {
        by_status,
        last_30_days,
        failed_last_24h,
    })
}

/// Everything about one connection, with its timeline (including rows merged into it).
pub async fn detail(state: &AppState, id: &str) -> Result<ConnectionDetail, AppError> {
    let row = sqlx::query(&format!(
        "SELECT {LIST_COLUMNS}, c.hint_status, c.product_name, c.activated_by_name, c.activated_by_email, \
         c.api_key_last4, c.api_key_key_id, c.failure, c.wizard_data, c.updated_at {FROM} WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_optional(state.db.pool())
    .await?
    .ok_or(AppError::NotFound)?;
    let wizard_data: String = row.try_get("wizard_data")?;
    let timeline = sqlx::query(
        "SELECT at, actor_kind, action, outcome, detail FROM audit_log \
         WHERE connection_id = $1 OR connection_id IN (SELECT id FROM connections WHERE merged_into = $1) \
         ORDER BY at, id",
    )
    .bind(id)
    .fetch_all(state.db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(TimelineEntry {
            at: r.try_get("at")?,
            actor_kind: r.try_get("actor_kind")?,
            action: r.try_get("action")?,
            outcome: r.try_get("outcome")?,
            detail: r.try_get("detail")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(ConnectionDetail {
        row: read_row(&row)?,
        hint_status: row.try_get("hint_status")?,
        product_name: row.try_get("product_name")?,
        activated_by_name: row.try_get("activated_by_name")?,
        activated_by_email: row.try_get("activated_by_email")?,
        key_last4: row.try_get("api_key_last4")?,
        key_id: row.try_get("api_key_key_id")?,
        failure: row.try_get("failure")?,
        answers: serde_json::from_str::<WizardAnswers>(&wizard_data).unwrap_or_default(),
        updated_at: row.try_get("updated_at")?,
        timeline,
    })
}

/// A staff action's outcome, shown to the staff member.
pub type ActionResult = Result<String, AppError>;

fn hint_failure(error: &HintError) -> AppError {
    match error {
        HintError::Unavailable { .. } | HintError::Unreachable { .. } => {
            AppError::invalid("Hint is not reachable right now; nothing was changed. Try again in a minute.")
        }
        HintError::NoAnswer { .. } | HintError::BadResponse(_) => {
            AppError::invalid("Hint did not give a usable answer; nothing was recorded. Check the state in Hint and try again.")
        }
        HintError::Unauthorized { .. } => AppError::invalid(
            "Hint refused our partner API key. Check HINT_PARTNER_API_KEY; nothing was changed.",
        ),
        HintError::Rejected { status, message } => {
            AppError::Invalid(format!("Hint refused the request ({status}): {message}"))
        }
    }
}

async fn record(
    state: &AppState,
    staff: &StaffMember,
    action: &str,
    id: &str,
    ip: Option<&str>,
    outcome: Outcome,
    detail: Option<&str>,
) {
    audit::record(
        &state.db,
        Entry {
            actor_id: Some(&staff.id),
            connection_id: Some(id),
            ip,
            detail,
            ..Entry::new(ActorKind::Staff, action, outcome)
        },
    )
    .await;
}

async fn integration_id(state: &AppState, id: &str) -> Result<String, AppError> {
    let row = sqlx::query("SELECT integration_id FROM connections WHERE id = $1")
        .bind(id)
        .fetch_optional(state.db.pool())
        .await?
        .ok_or(AppError::NotFound)?;
    row.try_get::<Option<String>, _>("integration_id")?
        .ok_or_else(|| AppError::invalid("This connection has no integration at Hint yet."))
}

async fn set_status(
    state: &AppState,
    id: &str,
    status: ConnectionStatus,
    hint_status: Option<&str>,
    verified: bool,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE connections SET status = $1, hint_status = COALESCE($2, hint_status), updated_at = $3, \
         last_verified_at = CASE WHEN $4 = 1 THEN $3 ELSE last_verified_at END WHERE id = $5",
    )
    .bind(status.as_str())
    .bind(hint_status)
    .bind(now())
    .bind(i64::from(verified))
    .bind(id)
    .execute(state.db.pool())
    .await?;
    Ok(())
}

/// Calls Hint's practice endpoint with the stored key: records it as verified, or marks the
/// connection `needs_reconnect` when Hint refuses the key.
pub async fn verify_key(
    state: &AppState,
    staff: &StaffMember,
    id: &str,
    ip: Option<&str>,
) -> ActionResult {
    let key = connect::practice_key(state, id).await?;
    match state.hint.practice_profile(&key).await {
        Ok(profile) => {
            sqlx::query(
                "UPDATE connections SET last_verified_at = $1, practice_name = $2 WHERE id = $3",
            )
            .bind(now())
            .bind(&profile.name)
            .bind(id)
            .execute(state.db.pool())
            .await?;
            record(state, staff, "key_verified", id, ip, Outcome::Ok, None).await;
            Ok(format!(
                "The key works: Hint answered for {}.",
                profile.name
            ))
        }
        Err(HintError::Unauthorized { status: 401, .. }) => {
            set_status(state, id, ConnectionStatus::NeedsReconnect, None, false).await?;
            record(
                state,
                staff,
                "key_verified",
                id,
                ip,
                Outcome::Failed,
                Some("hint_401"),
            )
            .await;
            Ok(
                "Hint refused the stored key: the connection is marked as needing a reconnect."
                    .into(),
            )
        }
        Err(error) => {
            tracing::warn!(%error, connection_id = %id, "key verification failed");
            record(
                state,
                staff,
                "key_verified",
                id,
                ip,
                Outcome::Failed,
                Some("hint_error"),
            )
            .await;
            Err(hint_failure(&error))
        }
    }
}

/// Reads the integration's status at Hint and stores it.
pub async fn refresh_status(
    state: &AppState,
    staff: &StaffMember,
    id: &str,
    ip: Option<&str>,
) -> ActionResult {
    let integration = integration_id(state, id).await?;
    match state.hint.integration(&integration).await {
        Ok(info) => {
            let word = info.status.unwrap_or_default();
            let status = match word.as_str() {
                "inactive" => ConnectionStatus::Disconnected,
                "pending" | "requested" => ConnectionStatus::AwaitingActivation,
                _ => ConnectionStatus::Connected,
            };
            set_status(state, id, status, Some(&word), false).await?;
            record(
                state,
                staff,
                "status_refreshed",
                id,
                ip,
                Outcome::Ok,
                Some(&word),
            )
            .await;
            Ok(format!("Hint says the integration is {word}."))
        }
        Err(error) => {
            record(
                state,
                staff,
                "status_refreshed",
                id,
                ip,
                Outcome::Failed,
                None,
            )
            .await;
            Err(hint_failure(&error))
        }
    }
}

/// Deactivates the integration at Hint, then marks the connection disconnected.
pub async fn deactivate(
    state: &AppState,
    staff: &StaffMember,
    id: &str,
    ip: Option<&str>,
) -> ActionResult {
    switch_integration(state, staff, id, ip, false).await
}

/// Activates an integration that waits for activation.
pub async fn activate(
    state: &AppState,
    staff: &StaffMember,
    id: &str,
    ip: Option<&str>,
) -> ActionResult {
    switch_integration(state, staff, id, ip, true).await
}

/// Turns the integration on or off at Hint, then records the new state here.
async fn switch_integration(
    state: &AppState,
    staff: &StaffMember,
    id: &str,
    ip: Option<&str>,
    on: bool,
) -> ActionResult {
    let integration = integration_id(state, id).await?;
    let (action, status, done) = if on {
        (
            "activated",
            ConnectionStatus::Connected,
            "Activated at Hint; the connection is now connected.",
        )
    } else {
        (
            "deactivated",
            ConnectionStatus::Disconnected,
            "Deactivated at Hint; the connection is now disconnected.",
        )
    };
    let answer = if on {
        state.hint.activate(&integration).await
    } else {
        state.hint.deactivate(&integration).await
    };
    match answer {
        Ok(info) => {
            set_status(state, id, status, info.status.as_deref(), false).await?;
            record(state, staff, action, id, ip, Outcome::Ok, None).await;
            Ok(done.into())
        }
        Err(error) => {
            record(state, staff, action, id, ip, Outcome::Failed, None).await;
            Err(hint_failure(&error))
        }
    }
}

/// The full practice key, for an admin; every reveal is audited.
pub async fn reveal_key(
    state: &AppState,
    staff: &StaffMember,
    id: &str,
    ip: Option<&str>,
) -> ActionResult {
    let key = connect::practice_key(state, id).await?;
    record(state, staff, "key_revealed", id, ip, Outcome::Ok, None).await;
    Ok(secrecy::ExposeSecret::expose_secret(&key).to_owned())
}

/// Hint's manual flow: a practice sent staff its code out of band; exchange it exactly like the
/// journey does. Returns the connection's id.
pub async fn manual_connect(
    state: &AppState,
    staff: &StaffMember,
    raw_code: &str,
    ip: Option<&str>,
) -> Result<(String, String), AppError> {
    let code = crate::domain::connection::AuthCode::parse(raw_code.trim()).ok_or_else(|| {
        AppError::invalid(
            "That does not look like a Hint code: letters and digits, 8 to 256 of them.",
        )
    })?;
    let id = connect::receive_code(state, &code, None, ip).await?;
    let hint = state.hint.clone();
    let summary = connect::exchange(
        state,
        &hint,
        &id,
        connect::ExchangeActor::Staff(&staff.id),
        ip,
    )
    .await?;
    let message = match (summary.status, summary.problem) {
        (ConnectionStatus::Connected, _) => {
            format!(
                "Connected {}.",
                summary.practice_name.as_deref().unwrap_or("the practice")
            )
        }
        (ConnectionStatus::AwaitingActivation, _) => {
            "Exchanged; the integration awaits activation.".to_owned()
        }
        (_, Some(problem)) => problem.message().to_owned(),
        (status, None) => format!("The connection is {}.", status.label()),
    };
    Ok((summary.id, message))
}
