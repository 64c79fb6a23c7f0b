//! The database: one portable code path over sqlx's `AnyPool`, on SQLite or PostgreSQL.
//!
//! Queries use only what both backends share: TEXT, BIGINT and BLOB columns, `$1` placeholders,
//! ids made in Rust, unix-second timestamps. Each backend has its own migration folder with the
//! same versions, so the schema can use each one's native types where they differ.

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};

use super::clock::Clock;

// A database may hold migrations this binary does not know: those of the next release, after a
// rollback or during a rolling deploy. Under the expand/contract rule (docs/operating.md) a
// release runs on the schema of the one after it, so they are not an error. (`ignore_missing` is
// the field `Migrator::set_ignore_missing` sets; a static cannot call it.)
static SQLITE_MIGRATIONS: Migrator = Migrator {
    ignore_missing: true,
    ..sqlx::migrate!("./migrations/sqlite")
};
static POSTGRES_MIGRATIONS: Migrator = Migrator {
    ignore_missing: true,
    ..sqlx::migrate!("./migrations/postgres")
};

/// Where a database's schema stands against this binary's migrations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaState {
    /// Migrations this binary has that the database lacks (`practice-connect migrate` applies them).
    pub pending: Vec<i64>,
    /// Migrations the database holds that this binary does not know (a newer release's).
    pub newer: Vec<i64>,
}

/// Which database engine a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file (the default).
    Sqlite,
    /// A PostgreSQL server (for deployments with several app instances).
    Postgres,
}

impl Backend {
    /// Picks the backend from a database URL's scheme.
    pub fn from_url(url: &str) -> Result<Self, DbError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(DbError::UnsupportedUrl)
        }
    }

    /// A human name for logs and the status page.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names neither SQLite nor PostgreSQL.
    #[error("DATABASE_URL must start with sqlite: or postgres://")]
    UnsupportedUrl,
    /// The SQLite file's folder could not be created.
    #[error("could not create the database folder: {0}")]
    Folder(#[from] std::io::Error),
    /// Connecting or querying failed.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A connection pool and the backend behind it.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    last_ping: Arc<LastPing>,
    /// The app's clock, so every query that stamps or compares a time reads the one clock.
    clock: Clock,
}

/// The outcome of the latest ping, for callers content with an answer up to a second old.
#[derive(Debug, Default)]
struct LastPing {
    /// Milliseconds since `ping_clock()` started, plus one; 0 when there was none yet.
    at: AtomicU64,
    answered: AtomicBool,
}

fn ping_clock() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1
}

impl Db {
    /// Opens a pool on `url`, creating a SQLite file (and its folder) when missing.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(url)?,
            Backend::Postgres => url.to_owned(),
        };
        // Statement logging would print bound values at debug level; keep it off.
        let options = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the one writer; waiting on a busy lock
                        // beats failing; foreign keys are off by default in SQLite. Reads map the
                        // file (up to 256 MiB) instead of copying its pages into each connection's
                        // own 2 MiB cache: every connection shares the pages the system already
                        // holds, so a search that reads thousands of rows does not start cold on
                        // whichever connection it gets.
                        // The wait comes first, so every statement after it waits too.
                        conn.execute(
                            "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                             PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                             PRAGMA mmap_size = 268435456;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            // A connection that comes back still inside a transaction is closed, which rolls it
            // back: a request dropped while a transaction began (a client hanging up) must not
            // leave the next user of the connection inside it, holding SQLite's write lock.
            .after_release(|conn, _meta| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
            .connect_with(options)
            .await?;
        Ok(Self {
            pool,
            backend,
            last_ping: Arc::default(),
            clock: Clock::default(),
        })
    }

    fn migrator(&self) -> &'static Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// Like [`Db::connect`], trying again every 2 s for `patience` while the database cannot be
    /// reached (refused, unreachable, timed out): a PostgreSQL still starting at boot. A wrong
    /// URL, password or database name fails at once.
    pub async fn connect_patiently(
        url: &str,
        max_connections: u32,
        patience: Duration,
    ) -> Result<Self, DbError> {
        let started = Instant::now();
        loop {
            let error = match Self::connect(url, max_connections).await {
                Err(DbError::Sqlx(error @ (sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut))) => {
                    error
                }
                outcome => return outcome,
            };
            if started.elapsed() >= patience {
                return Err(DbError::Sqlx(error));
            }
            tracing::warn!(%error, "the database cannot be reached yet; trying again in 2 s");
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }

    /// Applies every pending migration of this backend (leaving alone those of a newer release).
    pub async fn migrate(&self) -> Result<(), DbError> {
        self.migrator().run(&self.pool).await?;
        Ok(())
    }

    /// Writes a consistent copy of a SQLite database into the new file `to` (`VACUUM INTO`, one
    /// read transaction: writers carry on meanwhile); answers its size in bytes.
    pub async fn backup_to(&self, to: &Path) -> Result<u64, DbError> {
        let target = to.to_string_lossy().replace('\'', "''");
        sqlx::query(&format!("VACUUM INTO '{target}'"))
            .execute(&self.pool)
            .await?;
        Ok(std::fs::metadata(to).map_or(0, |file| file.len()))
    }

    /// Which of this binary's migrations the database lacks, and which of its own this binary
    /// does not know.
    pub async fn schema_state(&self) -> Result<SchemaState, DbError> {
        let exists = match self.backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = '_sqlx_migrations' \
                 AND table_schema = current_schema()"
            }
        };
        let tables: i64 = sqlx::query_scalar(exists).fetch_one(&self.pool).await?;
        let applied: Vec<i64> = if tables == 0 {
            Vec::new()
        } else {
            sqlx::query_scalar(
                "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
            )
            .fetch_all(&self.pool)
            .await?
        };
        let known: Vec<i64> = self.migrator().iter().map(|m| m.version).collect();
        Ok(SchemaState {
            pending: known
                .iter()
                .copied()
                .filter(|v| !applied.contains(v))
                .collect(),
            newer: applied.into_iter().filter(|v| !known.contains(v)).collect(),
        })
    }

    /// Now, in unix seconds, on the app's clock: the one timestamp format in the schema.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The clock this handle reads (the app's state shares it).
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The pool, for queries.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The backend behind the pool.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so it waits its turn behind another writer instead of failing with "database
    /// is locked" when it reaches its first write after someone else committed.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        let answered = sqlx::query("SELECT 1").execute(&self.pool).await.is_ok();
        self.last_ping.answered.store(answered, Ordering::Relaxed);
        self.last_ping.at.store(ping_clock(), Ordering::Relaxed);
        answered
    }

    /// Whether the database answered within the last second, pinging only when the last answer
    /// is older: the public status shows this on every home page, and one ping a second serves
    /// them all. Readiness probes use `ping`.
    pub async fn recently_answered(&self) -> bool {
        let at = self.last_ping.at.load(Ordering::Relaxed);
        if at != 0 && ping_clock().saturating_sub(at) < 1000 {
            return self.last_ping.answered.load(Ordering::Relaxed);
        }
        self.ping().await
    }

    /// Closes every connection (on shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Creates the SQLite file's folder and asks sqlx to create the file itself when missing.
fn prepare_sqlite_url(url: &str) -> Result<String, DbError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or_default();
    if path != ":memory:" && !path.is_empty() {
        if let Some(parent) = Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
    }
    Ok(if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

/// A new random id with a readable prefix, e.g. `con_5f1c…` (128 random bits).
pub fn new_id(prefix: &str) -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{prefix}_{}", hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection handed back inside a transaction nobody will finish (as when a request is
    /// dropped while its `BEGIN` is answered) must not keep SQLite's write lock for the next
    /// user: the pool closes it, and other writes commit.
    #[tokio::test]
    async fn a_connection_left_inside_a_transaction_is_not_reused() {
        let file = std::env::temp_dir().join(format!("pc-abandoned-{}.db", new_id("t")));
        let url = format!("sqlite://{}", file.display());
        let db = Db::connect(&url, 2).await.unwrap();
        sqlx::query("CREATE TABLE notes (body TEXT)")
            .execute(db.pool())
            .await
            .unwrap();
        let mut abandoned = db.pool().acquire().await.unwrap();
        let transaction = abandoned.begin_with("BEGIN IMMEDIATE").await.unwrap();
        std::mem::forget(transaction);
        drop(abandoned);
        sqlx::query("INSERT INTO notes (body) VALUES ('kept')")
            .execute(db.pool())
            .await
            .expect("the write lock was given back");
        let other = Db::connect(&url, 1).await.unwrap();
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notes")
            .fetch_one(other.pool())
            .await
            .unwrap();
        assert_eq!(
            kept, 1,
            "the insert committed, not inside the abandoned transaction"
        );
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    }

    #[test]
    fn the_backend_follows_the_url_scheme() {
        assert_eq!(
            Backend::from_url("sqlite://data/app.db").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::from_url("mysql://u@h/db").is_err());
    }

    #[test]
    fn sqlite_urls_ask_for_the_file_to_be_created() {
        let dir = std::env::temp_dir().join(format!("pc-db-test-{}", std::process::id()));
        let url = format!("sqlite://{}/nested/app.db", dir.display());
        assert_eq!(prepare_sqlite_url(&url).unwrap(), format!("{url}?mode=rwc"));
        assert!(dir.join("nested").is_dir());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
