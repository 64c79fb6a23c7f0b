//! The dashboard's queries: the list (search, filter, sort, pages), the CSV export's rows, the
//! summary, and one connection's detail with its timeline. Read only.

use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::connection::{ConnectProblem, ConnectionStatus};
use crate::domain::dashboard::{
    ConnectionDetail, ConnectionPage, ConnectionRowView, ListQuery, Summary, TimelineEntry,
    PAGE_SIZE,
};
use crate::domain::AppError;
use crate::server::connections::answers::{self, Preferences};
use crate::server::db::Backend;
use crate::server::state::AppState;

const LIST_COLUMNS: &str =
    "c.id, c.status, c.practice_id, c.practice_name, c.integration_id, u.name AS provider_name, \
     u.email AS provider_email, u.email_verified_at AS provider_email_verified_at, \
     c.connected_at, c.last_verified_at, c.created_at";
const FROM: &str = "FROM connections c LEFT JOIN users u ON u.id = c.user_id";

/// One row of the list as stored.
#[derive(sqlx::FromRow)]
struct ListRow {
    id: String,
    #[sqlx(try_from = "String")]
    status: ConnectionStatus,
    practice_id: Option<String>,
    practice_name: Option<String>,
    integration_id: Option<String>,
    provider_name: Option<String>,
    provider_email: Option<String>,
    provider_email_verified_at: Option<i64>,
    connected_at: Option<i64>,
    last_verified_at: Option<i64>,
    created_at: i64,
}

impl From<ListRow> for ConnectionRowView {
    fn from(row: ListRow) -> Self {
        Self {
            id: row.id,
            status: row.status,
            practice_id: row.practice_id,
            practice_name: row.practice_name,
            integration_id: row.integration_id,
            provider_name: row.provider_name,
            provider_email: row.provider_email,
            provider_email_verified: row.provider_email_verified_at.is_some(),
            connected_at: row.connected_at,
            last_verified_at: row.last_verified_at,
            created_at: row.created_at,
        }
    }
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
    } else if term.chars().count() >= 3 && backend == Backend::Sqlite {
        // Through the FTS5 trigram tables (a phrase matches any substring, ignoring case).
        values.push(format!("\"{}\"", term.replace('"', "\"\"")));
        let n = values.len();
        let by_email = format!(
            "c.user_id IN (SELECT id FROM users WHERE rowid IN \
             (SELECT rowid FROM users_search WHERE users_search MATCH ${n}))"
        );
        clauses.push(if term.contains('@') {
            by_email
        } else {
            format!(
                "(c.rowid IN (SELECT rowid FROM connections_search WHERE connections_search MATCH ${n}) \
                 OR {by_email})"
            )
        });
    } else if term.contains('@') {
        values.push(pattern());
        clauses.push(email_match(values.len()));
    } else if term.chars().count() >= 3 && backend == Backend::Postgres {
        // One bitmap scan ORs the practice-name trigram index with the provider ids
        // whose email matches (found first through the email trigram index), so the matched
        // rows are read once and never joined back to `connections`.
        values.push(pattern());
        let n = values.len();
        clauses.push(format!(
            "(c.practice_name ILIKE ${n} ESCAPE '\\' \
             OR c.user_id = ANY(ARRAY(SELECT id FROM users WHERE email LIKE ${n} ESCAPE '\\')))"
        ));
    } else if !term.is_empty() {
        // Shorter than a trigram: no index can serve it, so the rows are read.
        values.push(pattern());
        let n = values.len();
        // SQLite's LIKE ignores ASCII case; PostgreSQL needs ILIKE. Emails are stored lower-cased.
        let like = if backend == Backend::Postgres {
            "ILIKE"
        } else {
            "LIKE"
        };
        clauses.push(format!(
            "c.id IN (SELECT id FROM connections WHERE practice_name {like} ${n} ESCAPE '\\' \
             UNION SELECT id FROM connections WHERE user_id IN \
             (SELECT id FROM users WHERE email LIKE ${n} ESCAPE '\\'))"
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

/// The statement that reads one page of the list, and its bound values (the query-plan test
/// reads its plan).
///
/// A deep page skips thousands of rows: the skipping walks `connections` alone, and only the
/// page's own rows are then joined to their providers. (Sorting by the provider's email needs
/// the join to order at all, so that one sort reads joined rows throughout.)
pub fn page_sql(query: &ListQuery, backend: Backend) -> (String, Vec<String>) {
    let (where_clause, values) = filters(query, backend);
    (page_statement(query, &where_clause, false), values)
}

/// Whether a broad search's page should walk the date index (`INDEXED BY`): on SQLite, a text
/// search in the default order. SQLite's plan for a text search reads every match and sorts
/// them (13–17 ms for 8,334 matches at 100,000 rows), where walking the date index stops at the
/// page's 50th match (3–5 ms); but for a narrow search the walk would read the whole index to
/// find a few rows, so it is chosen only once the count says the search is broad.
fn may_walk_date_index(query: &ListQuery, backend: Backend) -> bool {
    backend == Backend::Sqlite && !query.q.trim().is_empty() && query.sort_column() == "created_at"
}

fn page_statement(query: &ListQuery, where_clause: &str, by_date_index: bool) -> String {
    let from = if by_date_index {
        "connections c INDEXED BY connections_created_at"
    } else {
        "connections c"
    };
    let order = order_by(query);
    let offset = (query.page() - 1) * PAGE_SIZE;
    if query.sort_column() == "provider_email" {
        format!(
            "SELECT {LIST_COLUMNS} {FROM} {where_clause} {order} LIMIT {PAGE_SIZE} OFFSET {offset}"
        )
    } else {
        format!(
            "SELECT {LIST_COLUMNS} FROM (SELECT c.id FROM {from} {where_clause} {order} \
             LIMIT {PAGE_SIZE} OFFSET {offset}) AS page \
             JOIN connections c ON c.id = page.id LEFT JOIN users u ON u.id = c.user_id {order}"
        )
    }
}

/// The statement that counts the rows a view matches, and its bound values. Counting stops past
/// the deepest page offered (`ListQuery::depth`): beyond it the list says "more than".
pub fn count_sql(query: &ListQuery, backend: Backend) -> (String, Vec<String>) {
    let (where_clause, values) = filters(query, backend);
    (count_statement(query, &where_clause), values)
}

fn count_statement(query: &ListQuery, where_clause: &str) -> String {
    format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM connections c {where_clause} LIMIT {}) AS counted",
        query.depth() + PAGE_SIZE + 1
    )
}

type Arguments<'q> = sqlx::any::AnyArguments<'q>;

/// `sql` reading list rows, with `values` bound in order.
fn rows_of<'q>(
    sql: &'q str,
    values: &'q [String],
) -> sqlx::query::QueryAs<'q, sqlx::Any, ListRow, Arguments<'q>> {
    values
        .iter()
        .fold(sqlx::query_as(sql), |query, value| query.bind(value))
}

/// `sql` counting rows, with `values` bound in order.
fn count_of<'q>(
    sql: &'q str,
    values: &'q [String],
) -> sqlx::query::QueryScalar<'q, sqlx::Any, i64, Arguments<'q>> {
    values
        .iter()
        .fold(sqlx::query_scalar(sql), |query, value| query.bind(value))
}

/// One page of the list.
pub async fn list(state: &AppState, query: &ListQuery) -> Result<ConnectionPage, AppError> {
    let backend = state.db.backend();
    let (where_clause, values) = filters(query, backend);
    let page = query.page();
    let count_sql = count_statement(query, &where_clause);
    let pool = state.db.pool();
    let (rows, total) = if may_walk_date_index(query, backend) {
        // The count first (capped, so cheap): it decides how the page is read.
        let total = count_of(&count_sql, &values).fetch_one(pool).await?;
        let sql = page_statement(query, &where_clause, total > query.depth());
        (rows_of(&sql, &values).fetch_all(pool).await?, total)
    } else {
        // The page and the count on two connections at once: the call waits for the slower
        // one, not for both in turn.
        let sql = page_statement(query, &where_clause, false);
        tokio::try_join!(
            rows_of(&sql, &values).fetch_all(pool),
            count_of(&count_sql, &values).fetch_one(pool)
        )?
    };
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).clamp(1, query.depth() / PAGE_SIZE + 1);
    Ok(ConnectionPage {
        rows: rows.into_iter().map(ConnectionRowView::from).collect(),
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
    let rows = rows_of(&sql, &values).fetch_all(state.db.pool()).await?;
    Ok(rows.into_iter().map(ConnectionRowView::from).collect())
}

/// Counts by status, connections per day for 30 days, failed exchanges in 24 hours.
pub async fn summary(state: &AppState) -> Result<Summary, AppError> {
    let pool = state.db.pool();
    let today = state.clock.now().div_euclid(86_400) * 86_400;
    let since = today - 29 * 86_400;
    // The counts come from the tallies the database keeps with every change (migration
    // `connection_tallies`): a few hundred small rows, however many connections there are.
    let (by_status_rows, days, failed_last_24h) = tokio::try_join!(
        sqlx::query_as::<_, (String, i64)>(
            "SELECT status, CAST(SUM(n) AS BIGINT) AS n FROM connection_tallies GROUP BY status"
        )
        .fetch_all(pool),
        sqlx::query_as::<_, (i64, i64)>(
            "SELECT day, CAST(SUM(n) AS BIGINT) AS n FROM connection_tallies WHERE day >= $1 GROUP BY day"
        )
        .bind(since)
        .fetch_all(pool),
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = $1 AND at >= $2"
        )
        .bind(AuditAction::ExchangeFailed.as_str())
        .bind(state.clock.now() - 86_400)
        .fetch_one(pool),
    )?;
    let mut by_status: Vec<(ConnectionStatus, i64)> =
        ConnectionStatus::ALL.iter().map(|s| (*s, 0)).collect();
    for (status, count) in by_status_rows {
        if let Some(slot) = by_status.iter_mut().find(|(s, _)| s.as_str() == status) {
            slot.1 = count;
        }
    }
    let mut last_30_days: Vec<(i64, i64)> = (0..30).map(|i| (since + i * 86_400, 0)).collect();
    for (day, count) in days {
        if let Some(slot) = last_30_days.iter_mut().find(|(d, _)| *d == day) {
            slot.1 = count;
        }
    }
    Ok(Summary {
        by_status,
        last_30_days,
        failed_last_24h,
    })
}

/// The stored facts of one connection, beyond its list row.
#[derive(sqlx::FromRow)]
struct DetailRow {
    #[sqlx(flatten)]
    row: ListRow,
    hint_status: Option<String>,
    product_name: Option<String>,
    activated_by_name: Option<String>,
    activated_by_email: Option<String>,
    api_key_last4: Option<String>,
    api_key_key_id: Option<String>,
    failure: Option<String>,
    wizard_data: String,
    #[sqlx(flatten)]
    preferences: Preferences,
    updated_at: i64,
}

/// One line of the audit log as a timeline shows it.
#[derive(sqlx::FromRow)]
struct TimelineRow {
    at: i64,
    #[sqlx(try_from = "String")]
    actor_kind: ActorKind,
    action: String,
    #[sqlx(try_from = "String")]
    outcome: Outcome,
    detail: Option<String>,
}

/// Everything about one connection, with its timeline (including rows merged into it).
pub async fn detail(state: &AppState, id: &str) -> Result<ConnectionDetail, AppError> {
    let row: DetailRow = sqlx::query_as(&format!(
        "SELECT {LIST_COLUMNS}, c.hint_status, c.product_name, c.activated_by_name, c.activated_by_email, \
         c.api_key_last4, c.api_key_key_id, c.failure, c.wizard_data, c.alerts_by_email, \
         c.weekly_summary, c.updated_at {FROM} WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_optional(state.db.pool())
    .await?
    .ok_or(AppError::NotFound)?;
    let timeline: Vec<TimelineRow> = sqlx::query_as(
        "SELECT at, actor_kind, action, outcome, detail FROM audit_log \
         WHERE connection_id = $1 OR connection_id IN (SELECT id FROM connections WHERE merged_into = $1) \
         ORDER BY at, id",
    )
    .bind(id)
    .fetch_all(state.db.pool())
    .await?;
    let timeline = timeline
        .into_iter()
        .filter_map(|entry| {
            // Actions this version does not know (from a newer one) are left off the timeline.
            let action = AuditAction::parse(&entry.action)?;
            Some(TimelineEntry {
                at: entry.at,
                actor_kind: entry.actor_kind,
                action,
                outcome: entry.outcome,
                detail: entry.detail,
            })
        })
        .collect();
    Ok(ConnectionDetail {
        row: row.row.into(),
        hint_status: row.hint_status,
        product_name: row.product_name,
        activated_by_name: row.activated_by_name,
        activated_by_email: row.activated_by_email,
        key_last4: row.api_key_last4,
        key_id: row.api_key_key_id,
        failure: row.failure.as_deref().and_then(ConnectProblem::parse),
        answers: answers::read(&row.wizard_data, row.preferences),
        updated_at: row.updated_at,
        timeline,
        revealed_key: None,
        now: state.clock.now(),
    })
}
