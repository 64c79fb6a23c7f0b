//! The staff dashboard's views: the list's query, rows and summary, and one connection's detail.

use serde::{Deserialize, Serialize};

use super::audit::{ActorKind, AuditAction, Outcome};
use super::connection::{ConnectProblem, ConnectionStatus};
use super::onboarding::WizardAnswers;

/// Columns the list sorts by.
pub const SORT_COLUMNS: [(&str, &str); 8] = [
    ("practice_name", "Practice"),
    ("practice_id", "Practice id"),
    ("integration_id", "Integration id"),
    ("status", "Status"),
    ("provider_email", "Connected by"),
    ("connected_at", "Connected at"),
    ("last_verified_at", "Last verified"),
    ("created_at", "Started"),
];

/// Rows per page.
pub const PAGE_SIZE: i64 = 50;
/// The deepest page offered; past it, a narrower search is faster than paging.
pub const MAX_OFFSET: i64 = 10_000;
/// How deep a text search counts and pages. A broad one (thousands of matches) is narrowed, not
/// paged through, and counting its matches to `MAX_OFFSET` was most of its time: at 100,000
/// rows, 28 of the 31 ms of a "maple" search on PostgreSQL (8,334 rows rechecked).
pub const SEARCH_DEPTH: i64 = 1_000;

/// The list's state, as the URL holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// Practice name, practice id, integration id or provider email.
    pub q: String,
    /// A status word, or empty for all.
    pub status: String,
    /// One of `SORT_COLUMNS`' keys; empty means newest first.
    pub sort: String,
    /// `asc` or `desc`.
    pub dir: String,
    /// 1-based.
    pub page: i64,
}

impl ListQuery {
    /// The sort column, checked against the allowed ones.
    pub fn sort_column(&self) -> &str {
        SORT_COLUMNS
            .iter()
            .find(|(key, _)| *key == self.sort)
            .map_or("created_at", |(key, _)| key)
    }

    /// Whether the sort is descending (the default).
    pub fn descending(&self) -> bool {
        self.dir != "asc"
    }

    /// The status filter, if a known status was asked for.
    pub fn status_filter(&self) -> Option<ConnectionStatus> {
        ConnectionStatus::parse(&self.status)
    }

    /// How many rows this view counts and pages to: `SEARCH_DEPTH` for a text search,
    /// `MAX_OFFSET` otherwise.
    pub fn depth(&self) -> i64 {
        if self.q.trim().is_empty() {
            MAX_OFFSET
        } else {
            SEARCH_DEPTH
        }
    }

    /// The page, at least 1 and at most what `depth` allows.
    pub fn page(&self) -> i64 {
        self.page.clamp(1, self.depth() / PAGE_SIZE + 1)
    }

    /// The query string that shows this view (for links and the CSV export).
    pub fn to_query_string(&self) -> String {
        let mut parts = Vec::new();
        for (key, value) in [
            ("q", self.q.as_str()),
            ("status", &self.status),
            ("sort", &self.sort),
            ("dir", &self.dir),
        ] {
            if !value.is_empty() {
                parts.push(format!("{key}={}", super::urls::encode_component(value)));
            }
        }
        if self.page > 1 {
            parts.push(format!("page={}", self.page));
        }
        parts.join("&")
    }
}

/// One row of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionRowView {
    pub id: String,
    pub status: ConnectionStatus,
    pub practice_id: Option<String>,
    pub practice_name: Option<String>,
    pub integration_id: Option<String>,
    pub provider_name: Option<String>,
    pub provider_email: Option<String>,
    /// The provider proved `provider_email` is theirs (a link sent there was opened).
    #[serde(default)]
    pub provider_email_verified: bool,
    pub connected_at: Option<i64>,
    pub last_verified_at: Option<i64>,
    pub created_at: i64,
}

/// A page of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionPage {
    pub rows: Vec<ConnectionRowView>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// The numbers above the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Count per status, in lifecycle order.
    pub by_status: Vec<(ConnectionStatus, i64)>,
    /// Connections made on each of the last 30 days, oldest first: (unix day start, count).
    pub last_30_days: Vec<(i64, i64)>,
    /// Failed exchanges in the last 24 hours.
    pub failed_last_24h: i64,
}

/// One line of a connection's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: i64,
    pub actor_kind: ActorKind,
    pub action: AuditAction,
    pub outcome: Outcome,
    pub detail: Option<String>,
}

/// Everything stored about one connection, for staff. The key only as its last four characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionDetail {
    pub row: ConnectionRowView,
    pub hint_status: Option<String>,
    pub product_name: Option<String>,
    pub activated_by_name: Option<String>,
    pub activated_by_email: Option<String>,
    pub key_last4: Option<String>,
    pub key_id: Option<String>,
    pub failure: Option<ConnectProblem>,
    pub answers: WizardAnswers,
    pub updated_at: i64,
    pub timeline: Vec<TimelineEntry>,
    /// The full key, only on the page load right after a reveal made without JavaScript.
    #[serde(default)]
    pub revealed_key: Option<String>,
    /// The server's time when it answered (unix seconds): ages are counted from it, so the
    /// server's page and the hydrated one say the same.
    #[serde(default)]
    pub now: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_sort_columns_fall_back_to_newest_first() {
        let query = ListQuery {
            sort: "password_hash; DROP TABLE".into(),
            ..Default::default()
        };
        assert_eq!(query.sort_column(), "created_at");
        assert!(query.descending());
    }

    #[test]
    fn pages_are_bounded() {
        assert_eq!(
            ListQuery {
                page: 0,
                ..Default::default()
            }
            .page(),
            1
        );
        assert_eq!(
            ListQuery {
                page: 1_000_000,
                ..Default::default()
            }
            .page(),
            MAX_OFFSET / PAGE_SIZE + 1
        );
        let search = ListQuery {
            q: "maple".into(),
            page: 1_000_000,
            ..Default::default()
        };
        assert_eq!(search.page(), SEARCH_DEPTH / PAGE_SIZE + 1);
    }

    #[test]
    fn the_query_string_round_trips_the_view() {
        let query = ListQuery {
            q: "Maple St".into(),
            status: "connected".into(),
            page: 2,
            ..Default::default()
        };
        assert_eq!(
            query.to_query_string(),
            "q=Maple%20St&status=connected&page=2"
        );
    }
}
