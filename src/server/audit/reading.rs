//! Reading the audit log for an auditor: the filters of `/admin/audit` turned into one indexed
//! query, newest first, in pages by id (an entry written while someone pages never shifts the
//! pages behind it).

use crate::domain::audit::{ActorKind, AuditAction};
use crate::domain::audit_log::{AuditFilter, AuditRecord};
use crate::domain::dates::{parse_iso_date, rfc3339};
use crate::domain::AppError;
use crate::server::db::Db;

/// A value bound to the query.
enum Bound {
    Text(String),
    Number(i64),
}

/// The `WHERE` clause of a filter and its values (`$1`, `$2`, …), or what is wrong with it.
fn clauses(filter: &AuditFilter) -> Result<(String, Vec<Bound>), AppError> {
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    let mut push = |clause: &dyn Fn(usize) -> String, value: Bound| {
        values.push(value);
        clauses.push(clause(values.len()));
    };
    let actor = filter.actor.trim();
    if !actor.is_empty() {
        if ActorKind::parse(actor).is_some() {
            push(&|n| format!("actor_kind = ${n}"), Bound::Text(actor.into()));
        } else {
            push(&|n| format!("actor_id = ${n}"), Bound::Text(actor.into()));
        }
    }
    let action = filter.action.trim();
    if !action.is_empty() {
        if AuditAction::parse(action).is_none() {
            return Err(AppError::invalid(format!(
                "There is no action called \"{action}\"; pick one from the list."
            )));
        }
        push(&|n| format!("action = ${n}"), Bound::Text(action.into()));
    }
    let practice = filter.practice.trim();
    if !practice.is_empty() {
        // A practice's entries are its connections' (a practice reconnected may have had more
        // than one); a connection id matches itself.
        push(
            &|n| {
                format!(
                    "connection_id IN (SELECT id FROM connections WHERE practice_id = ${n} OR id = ${n})"
                )
            },
            Bound::Text(practice.into()),
        );
    }
    let day = |text: &str, which: &str| -> Result<Option<i64>, AppError> {
        match text.trim() {
            "" => Ok(None),
            text => parse_iso_date(text).map(Some).ok_or_else(|| {
                AppError::invalid(format!("The {which} date must be a real day, YYYY-MM-DD."))
            }),
        }
    };
    if let Some(from) = day(&filter.from, "first")? {
        push(&|n| format!("at >= ${n}"), Bound::Number(from));
    }
    if let Some(to) = day(&filter.to, "last")? {
        push(&|n| format!("at < ${n}"), Bound::Number(to + 86_400));
    }
    if let Some(before) = filter.before {
        push(&|n| format!("id < ${n}"), Bound::Number(before));
    }
    let clause = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    Ok((clause, values))
}

/// Checks a filter without reading anything (the export answers 400 before it starts).
pub fn check(filter: &AuditFilter) -> Result<(), AppError> {
    clauses(filter).map(drop)
}

/// Up to `limit` entries matching `filter`, newest first.
pub async fn newest(
    db: &Db,
    filter: &AuditFilter,
    limit: usize,
) -> Result<Vec<AuditRecord>, AppError> {
    let (clause, values) = clauses(filter)?;
    let sql = format!(
        "SELECT id, at, actor_kind, actor_id, action, connection_id, ip, outcome, detail \
         FROM audit_log {clause} ORDER BY id DESC LIMIT {limit}"
    );
    let mut query = sqlx::query_as::<_, Row>(&sql);
    for value in values {
        query = match value {
            Bound::Text(text) => query.bind(text),
            Bound::Number(number) => query.bind(number),
        };
    }
    let rows = query.fetch_all(db.pool()).await.map_err(|error| {
        tracing::error!(%error, "could not read the audit log");
        AppError::Internal
    })?;
    Ok(rows.into_iter().map(AuditRecord::from).collect())
}

/// An entry as the database returns it.
#[derive(sqlx::FromRow)]
pub(super) struct Row {
    id: i64,
    at: i64,
    actor_kind: String,
    actor_id: Option<String>,
    action: String,
    connection_id: Option<String>,
    ip: Option<String>,
    outcome: String,
    detail: Option<String>,
}

impl From<Row> for AuditRecord {
    fn from(row: Row) -> Self {
        Self {
            id: row.id,
            at: row.at,
            actor_kind: row.actor_kind,
            actor_id: row.actor_id,
            action: row.action,
            connection_id: row.connection_id,
            ip: row.ip,
            outcome: row.outcome,
            detail: row.detail,
        }
    }
}

/// One entry as a JSON line (the export's and the archive's format): every stored field, `at`
/// as RFC 3339 and `at_unix` as stored, an absent field `null`.
pub fn json_line(entry: &AuditRecord) -> String {
    let mut line = serde_json::json!({
        "id": entry.id,
        "at": rfc3339(entry.at),
        "at_unix": entry.at,
        "actor_kind": entry.actor_kind,
        "actor_id": entry.actor_id,
        "action": entry.action,
        "connection_id": entry.connection_id,
        "ip": entry.ip,
        "outcome": entry.outcome,
        "detail": entry.detail,
    })
    .to_string();
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(actor: &str, action: &str, from: &str, to: &str) -> AuditFilter {
        AuditFilter {
            actor: actor.into(),
            action: action.into(),
            from: from.into(),
            to: to.into(),
            ..AuditFilter::default()
        }
    }

    #[test]
    fn a_filter_becomes_bound_clauses_never_spliced_text() {
        let (clause, values) =
            clauses(&filter("staff", "key_revealed", "2026-12-01", "2026-12-01")).unwrap();
        assert_eq!(
            clause,
            "WHERE actor_kind = $1 AND action = $2 AND at >= $3 AND at < $4"
        );
        assert_eq!(values.len(), 4);
        let (clause, _) = clauses(&filter("o'brien", "", "", "")).unwrap();
        assert_eq!(clause, "WHERE actor_id = $1");
        assert_eq!(clauses(&AuditFilter::default()).unwrap().0, "");
    }

    #[test]
    fn an_unknown_action_or_an_impossible_day_is_refused() {
        assert!(clauses(&filter("", "drop table", "", "")).is_err());
        assert!(clauses(&filter("", "", "2026-02-30", "")).is_err());
        assert!(clauses(&filter("", "", "", "yesterday")).is_err());
    }
}
