//! The audit log as an auditor reads it: the filters of `/admin/audit` and its exports, and one
//! stored entry with every field as stored (words the app no longer writes still read).

use serde::{Deserialize, Serialize};

/// Entries on one page of `/admin/audit`.
pub const PAGE_SIZE: usize = 100;

/// The filters, as the page's URL and the export links carry them. Empty means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    /// Who acted: a kind (`staff`, `service`, …) or an actor's id or name, exactly.
    pub actor: String,
    /// One action's stored word (`key_revealed`).
    pub action: String,
    /// A practice id (`pra-…`) or a connection id (`con_…`).
    pub practice: String,
    /// First day, `YYYY-MM-DD` (UTC), inclusive.
    pub from: String,
    /// Last day, `YYYY-MM-DD` (UTC), inclusive.
    pub to: String,
    /// Only entries older than this id: the next page.
    pub before: Option<i64>,
}

impl AuditFilter {
    /// The filters as a query string (without `before`), for the export links and the next page.
    pub fn query_string(&self) -> String {
        let pairs = [
            ("actor", &self.actor),
            ("action", &self.action),
            ("practice", &self.practice),
            ("from", &self.from),
            ("to", &self.to),
        ];
        pairs
            .iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(name, value)| format!("{name}={}", super::urls::encode_component(value.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// One entry, every field as stored. `at` is seconds since the epoch (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: i64,
    pub at: i64,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub connection_id: Option<String>,
    pub ip: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
}

/// One page of entries, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditRecord>,
    /// The `before` of the next (older) page, when there is one.
    pub older: Option<i64>,
    /// Entries older than this are retired (archived or removed); `None`: kept forever.
    pub retention_days: Option<u32>,
}
