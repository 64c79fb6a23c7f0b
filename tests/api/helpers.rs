//! `TestApp`: a running server on a fresh database, and the ways tests talk to it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::Parser;
use practice_connect::server::config::Cli;
use practice_connect::server::db::Db;
use practice_connect::server::Application;
use tokio::sync::oneshot;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum TestDb {
    Sqlite,
    Postgres,
}

/// A server started for one test, stopped when dropped.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    /// A client with a cookie jar that does not follow redirects, like a careful browser test.
    pub client: reqwest::Client,
    /// The app's own database pool.
    pub db: Db,
    _stop: oneshot::Sender<()>,
    scratch: PathBuf,
}

/// A name no other test in this run (or a concurrent run) uses.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

impl TestApp {
    /// Starts the app on `db` with extra command-line settings.
    pub async fn spawn_with(db: TestDb, extra_args: &[&str]) -> Self {
        Self::start(db, extra_args, &[]).await
    }

    /// Starts the app on SQLite with a built site made of `files` (path, contents).
    pub async fn spawn_with_site(files: &[(&str, &[u8])]) -> Self {
        Self::start(TestDb::Sqlite, &[], files).await
    }

    async fn start(db: TestDb, extra_args: &[&str], site_files: &[(&str, &[u8])]) -> Self {
        let scratch = std::env::temp_dir().join(unique_name("pc-test"));
        std::fs::create_dir_all(&scratch).expect("scratch folder");
        for (path, contents) in site_files {
            let path = scratch.join("site").join(path);
            std::fs::create_dir_all(path.parent().expect("a folder")).expect("site folder");
            std::fs::write(path, contents).expect("site file");
        }
        let database_url = match db {
            TestDb::Sqlite => format!("sqlite://{}/app.db", scratch.display()),
            TestDb::Postgres => fresh_postgres_database().await,
        };
        let site_root = scratch.join("site");
        let data_dir = scratch.join("data");
        let mut args = vec![
            "practice-connect".to_owned(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--sandbox-listen".into(),
            "127.0.0.1:0".into(),
            "--database-url".into(),
            database_url,
            "--site-root".into(),
            site_root.display().to_string(),
            "--data-dir".into(),
            data_dir.display().to_string(),
        ];
        args.extend(extra_args.iter().map(|arg| arg.to_string()));
        let cli = Cli::try_parse_from(args).expect("test arguments parse");
        // Logs are shown (and kept by scripts/test.sh for the secrets scan) when TEST_LOG is set.
        if std::env::var_os("TEST_LOG").is_some() {
            practice_connect::server::telemetry::init(cli.config.log_format);
        }
        let app = Application::build(cli.config).await.expect("app starts");
        let address = format!("http://{}", app.local_addr().expect("bound"));
        let db = app.state().db.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            address,
            client,
            db,
            _stop: stop,
            scratch,
        }
    }

    /// Starts the app on `db` with default settings.
    pub async fn spawn(db: TestDb) -> Self {
        Self::spawn_with(db, &[]).await
    }

    /// `GET` a path of the app.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request sent")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// Creates an empty database next to the one `TEST_DATABASE_URL` names and returns its URL.
async fn fresh_postgres_database() -> String {
    use sqlx::Connection;

    let base = std::env::var("TEST_DATABASE_URL").expect(
        "TEST_DATABASE_URL must name a PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/test) \
         to run the PostgreSQL tests",
    );
    let name = unique_name("pc_test");
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .expect("connect to TEST_DATABASE_URL");
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    let mut url = reqwest::Url::parse(&base).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&name);
    url.to_string()
}

/// Writes `tests` twice: `sqlite::name` and `postgres::name` (ignored unless asked for).
#[macro_export]
macro_rules! on_both_databases {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let $app = $crate::helpers::TestApp::spawn($crate::helpers::TestDb::Sqlite).await;
                    $body
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                #[ignore = "needs PostgreSQL: set TEST_DATABASE_URL and pass --include-ignored"]
                async fn $name() {
                    let $app = $crate::helpers::TestApp::spawn($crate::helpers::TestDb::Postgres).await;
                    $body
                }
            )*
        }
    };
}
