//! The append-only audit log: who did what, when, from where, with what outcome. Never secrets.

use super::db::{now, Db};

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    /// Someone not logged in.
    Anonymous,
    /// A provider.
    Provider,
    /// Partner staff.
    Staff,
    /// Hint (webhooks, headless connect).
    Hint,
    /// The app itself (background jobs).
    System,
}

impl ActorKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Anonymous => "anonymous",
            Self::Provider => "provider",
            Self::Staff => "staff",
            Self::Hint => "hint",
            Self::System => "system",
        }
    }
}

/// How it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Denied,
    Failed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Denied => "denied",
            Self::Failed => "failed",
        }
    }
}

/// One line of the audit log.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub actor: ActorKind,
    pub actor_id: Option<&'a str>,
    pub action: &'a str,
    pub connection_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub outcome: Outcome,
    /// A short note with no secrets in it.
    pub detail: Option<&'a str>,
}

impl<'a> Entry<'a> {
    /// An entry with only the essentials set.
    pub fn new(actor: ActorKind, action: &'a str, outcome: Outcome) -> Self {
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

/// Appends `entry`. A failure to audit is logged loudly but does not fail the user's request.
pub async fn record(db: &Db, entry: Entry<'_>) {
    let result = sqlx::query(
        "INSERT INTO audit_log (at, actor_kind, actor_id, action, connection_id, ip, outcome, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(now())
    .bind(entry.actor.as_str())
    .bind(entry.actor_id)
    .bind(entry.action)
    .bind(entry.connection_id)
    .bind(entry.ip)
    .bind(entry.outcome.as_str())
    .bind(entry.detail)
    .execute(db.pool())
    .await;
    if let Err(error) = result {
        tracing::error!(%error, action = entry.action, "could not write the audit log");
    }
}
