//! Settings of the database connection.

use clap::Args;

/// Which database, and how many connections to it.
#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// Database: `sqlite://path/to/file.db` or `postgres://user:pass@host/db`. Unset: the SQLite
    /// file `app.db` in `DATA_DIR`.
    #[arg(long = "database-url", env = "DATABASE_URL", hide_env_values = true)]
    pub url: Option<String>,

    /// Most database connections held open at once.
    #[arg(
        long = "database-max-connections",
        env = "DATABASE_MAX_CONNECTIONS",
        default_value_t = 10
    )]
    pub pool_size: u32,

    /// How long `serve` keeps trying to reach the database at start before it gives up:
    /// PostgreSQL may still be starting when the machine boots. Each attempt waits up to 10 s for
    /// a connection, then 2 s before the next; 0: one attempt.
    #[arg(long, env = "DATABASE_CONNECT_RETRY_SECONDS", default_value_t = 60)]
    pub connect_retry_seconds: u64,

    /// Let `serve` apply pending migrations itself. Development always does; in production
    /// migrating is its own step (`practice-connect migrate`, the unit's `ExecStartPre`), so a
    /// rolling deploy or a rollback decides when the schema moves, and `serve` refuses a database
    /// that lacks a migration it needs.
    #[arg(long, env = "MIGRATE_ON_START", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub migrate_on_start: bool,

    /// Days the audit log keeps an entry; older ones are retired by the chores (each minute) (written to
    /// `AUDIT_ARCHIVE_DIR` first when it is set, then removed). Unset: kept forever. At least 30:
    /// the database itself refuses to remove anything younger.
    #[arg(long, env = "AUDIT_RETENTION_DAYS", value_parser = clap::value_parser!(u32).range(30..=36_500))]
    pub audit_retention_days: Option<u32>,

    /// Folder where retired audit entries are written as JSON lines (one file per batch, synced
    /// before the entries are removed). Unset: retired entries are removed without a copy.
    #[arg(long, env = "AUDIT_ARCHIVE_DIR")]
    pub audit_archive_dir: Option<std::path::PathBuf>,
}
