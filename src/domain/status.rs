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

/// A health summary that is safe to show to anyone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStatus {
    /// Whether the database answered a query just now.
    pub database_ok: bool,
    /// Which database backend the server runs on ("SQLite" or "PostgreSQL").
    pub database_backend: String,
    /// Where Hint calls go.
    pub hint: HintMode,
    /// The server's version.
    pub version: String,
}
