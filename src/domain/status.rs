//! What the home page shows about the running system.

use serde::{Deserialize, Serialize};

/// Where the app sends its Hint calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HintMode {
    /// The Hint sandbox built into this binary, for local use and tests.
    BuiltInSandbox {
        /// The sandbox's marketplace page, where a practice can click Connect.
        marketplace_url: String,
    },
    /// A real Hint environment (production or Hint's own sandbox).
    Remote {
        /// The configured base URL, without credentials.
        base_url: String,
    },
}

impl HintMode {
    /// Whether the built-in sandbox plays Hint.
    pub fn is_sandbox(&self) -> bool {
        matches!(self, Self::BuiltInSandbox { .. })
    }
}

/// How the system is doing: health for anyone; the internals for staff only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStatus {
    /// Whether the database answered a query just now.
    pub database_ok: bool,
    /// In development mode, the built-in sandbox's marketplace (where a newcomer clicks
    /// Connect). Never set in production.
    pub sandbox_marketplace: Option<String>,
    /// For signed-in staff only: which database and Hint, which version.
    pub details: Option<StatusDetails>,
}

/// What only staff see of the system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusDetails {
    /// "SQLite" or "PostgreSQL".
    pub database_backend: String,
    /// Where Hint calls go.
    pub hint: HintMode,
    /// The server's version.
    pub version: String,
}

/// How one setup check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// As it should be.
    Ok,
    /// Wrong: Hint's redirects, webhooks or frames will not work (or production is unsafe).
    Fail,
    /// Something to know or to do (a URL to register with Hint).
    Note,
}

impl Verdict {
    /// The word a terminal line starts with.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Fail => "FAIL",
            Self::Note => "note",
        }
    }
}

/// One line of `practice-connect check` (and of the dashboard's setup panel).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckLine {
    pub verdict: Verdict,
    pub text: String,
}
