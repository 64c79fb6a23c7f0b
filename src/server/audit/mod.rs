//! The append-only audit log: who did what, when, from where, with what outcome. Never secrets.
//! This module is the `audit_log` table's only writer; the words it stores are the enums of
//! `domain::audit`. `reading` serves the auditor's page and exports; `retention` retires entries
//! past `AUDIT_RETENTION_DAYS`, the only deletion the database allows.

pub mod reading;
pub mod retention;

use super::db::Db;
pub use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::server::clock::system_now;

/// One line of the audit log.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub actor: ActorKind,
    pub actor_id: Option<&'a str>,
    pub action: AuditAction,
    pub connection_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub outcome: Outcome,
    /// A short note with no secrets in it.
    pub detail: Option<&'a str>,
}

impl<'a> Entry<'a> {
    /// An entry with only the essentials set.
    pub fn new(actor: ActorKind, action: AuditAction, outcome: Outcome) -> Self {
        Self {
            actor,
            actor_id: None,
            action,
            connection_id: None,
            ip: None,
            outcome,
            detail: None,
        }
    }
}

/// Who manages the partner API's tokens and endpoints: a staff member (by id) or the command
/// line (an operator on the server).
#[derive(Debug, Clone, Copy)]
pub enum Operator<'a> {
    Staff(&'a str),
    CommandLine,
}

impl<'a> Operator<'a> {
    /// The audit line of `action` by this operator, with `detail` (a name or URL, never a secret).
    pub fn entry(self, action: AuditAction, detail: &'a str) -> Entry<'a> {
        let (actor, actor_id) = match self {
            Operator::Staff(id) => (ActorKind::Staff, id),
            Operator::CommandLine => (ActorKind::System, "cli"),
        };
        Entry {
            actor_id: Some(actor_id),
            detail: Some(detail),
            ..Entry::new(actor, action, Outcome::Ok)
        }
    }

    /// What `created_by` columns store: the staff id, or `cli`.
    pub fn stored(self) -> &'a str {
        match self {
            Operator::Staff(id) => id,
            Operator::CommandLine => "cli",
        }
    }
}

/// Appends `entry`. A failure to audit is logged loudly but does not fail the user's request.
pub async fn record(db: &Db, entry: Entry<'_>) {
    if let Err(error) = append(db.pool(), &entry).await {
        tracing::error!(%error, action = entry.action.as_str(), "could not write the audit log");
    }
}

/// Appends `entry`, or fails: for actions that must not happen unrecorded (revealing a key).
pub async fn record_or_fail(db: &Db, entry: Entry<'_>) -> Result<(), sqlx::Error> {
    append(db.pool(), &entry).await
}

/// Appends `entry` inside the caller's transaction: the line is written with the change it
/// records, in the same commit, or not at all.
pub async fn record_in(
    transaction: &mut sqlx::AnyConnection,
    entry: Entry<'_>,
) -> Result<(), sqlx::Error> {
    append(transaction, &entry).await
}

async fn append<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    entry: &Entry<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_kind, actor_id, action, connection_id, ip, outcome, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(system_now())
    .bind(entry.actor.as_str())
    .bind(entry.actor_id)
    .bind(entry.action.as_str())
    .bind(entry.connection_id)
    .bind(entry.ip)
    .bind(entry.outcome.as_str())
    .bind(entry.detail)
    .execute(executor)
    .await?;
    Ok(())
}
