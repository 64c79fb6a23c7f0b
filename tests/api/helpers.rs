//! `TestApp`: a running server on a fresh database, and the ways tests talk to it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::Parser;
use practice_connect::cli::Cli;
use practice_connect::server::db::Db;
use practice_connect::startup::Application;
use tokio::sync::oneshot;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum TestDb {
    Sqlite,
    Postgres,
}

/// A server started for one test, stopped when the last handle on it is dropped. A clone is
/// another handle on the same server; `another_browser` gives one with its own cookies.
#[derive(Clone)]
pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    /// A client with a cookie jar that does not follow redirects, like a careful browser test.
    pub client: reqwest::Client,
    /// The app's own database pool.
    pub db: Db,
    /// The built-in Hint sandbox's base URL (when the app runs on it).
    pub hint: String,
    /// The app's state, for tests that call services directly.
    pub state: practice_connect::server::state::AppState,
    /// `http://127.0.0.1:<port>` of the metrics listener, when the test asked for one.
    pub metrics: Option<String>,
    /// The database the app runs on, and its local state folder (another instance can share them).
    pub database_url: String,
    data_dir: PathBuf,
    _running: std::sync::Arc<Running>,
}

/// Stops the server and removes its scratch folder when dropped (or stops it on demand:
/// `TestApp::shut_down`).
struct Running {
    stop: std::sync::Mutex<Option<oneshot::Sender<()>>>,
    serving: std::sync::Mutex<Option<tokio::task::JoinHandle<std::io::Result<()>>>>,
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
        Self::start(db, extra_args, &[], None).await
    }

    /// Starts the app on SQLite with a built site made of `files` (path, contents).
    pub async fn spawn_with_site(files: &[(&str, &[u8])]) -> Self {
        Self::start(TestDb::Sqlite, &[], files, None).await
    }

    /// A second instance of this app: the same database and encryption key, and this app's
    /// sandbox as its Hint (with the sandbox's partner key and webhook secret), as two servers
    /// behind one load balancer would run.
    pub async fn spawn_beside(&self) -> Self {
        let args = [
            "--hint-api-base-url",
            &self.hint,
            "--hint-partner-api-key",
            SANDBOX_PARTNER_KEY,
            "--hint-webhook-secret",
            "sandbox-webhook-secret",
        ];
        let mut other = Self::start(TestDb::Sqlite, &args, &[], Some(self)).await;
        other.hint = self.hint.clone();
        other
    }

    async fn start(
        db: TestDb,
        extra_args: &[&str],
        site_files: &[(&str, &[u8])],
        beside: Option<&TestApp>,
    ) -> Self {
        let scratch = std::env::temp_dir().join(unique_name("pc-test"));
        std::fs::create_dir_all(&scratch).expect("scratch folder");
        for (path, contents) in site_files {
            let path = scratch.join("site").join(path);
            std::fs::create_dir_all(path.parent().expect("a folder")).expect("site folder");
            std::fs::write(path, contents).expect("site file");
        }
        let database_url = match (beside, db) {
            (Some(first), _) => first.database_url.clone(),
            (None, TestDb::Sqlite) => format!("sqlite://{}/app.db", scratch.display()),
            (None, TestDb::Postgres) => fresh_postgres_database().await,
        };
        let site_root = scratch.join("site");
        let data_dir = beside.map_or_else(|| scratch.join("data"), |first| first.data_dir.clone());
        let mut args = vec![
            "practice-connect".to_owned(),
            // The tests run the app as `make run` does: development mode, the sandbox as Hint.
            "--dev".into(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--sandbox-listen".into(),
            "127.0.0.1:0".into(),
            "--database-url".into(),
            database_url.clone(),
            "--site-root".into(),
            site_root.display().to_string(),
            "--data-dir".into(),
            data_dir.display().to_string(),
        ];
        args.extend(extra_args.iter().map(|arg| arg.to_string()));
        let cli = Cli::try_parse_from(args).expect("test arguments parse");
        // Logs are shown (and kept by scripts/test.sh for the secrets scan) when TEST_LOG is set.
        if std::env::var_os("TEST_LOG").is_some() {
            practice_connect::server::telemetry::init(cli.settings.log_format);
        }
        let app = Application::build(cli.settings).await.expect("app starts");
        let address = format!("http://{}", app.local_addr().expect("bound"));
        let metrics = app
            .metrics_addr()
            .map(|address| format!("http://{address}"));
        let db = app.state().db.clone();
        let state = app.state().clone();
        let hint = app
            .sandbox()
            .map(|s| s.base_url.clone())
            .unwrap_or_default();
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        let client = browser_client(&address);
        Self {
            address,
            client,
            db,
            hint,
            state,
            metrics,
            database_url,
            data_dir,
            _running: std::sync::Arc::new(Running {
                stop: std::sync::Mutex::new(Some(stop)),
                serving: std::sync::Mutex::new(Some(serving)),
                scratch,
            }),
        }
    }

    /// Stops the server as a SIGTERM does and waits until `run_until` has returned (its database
    /// pool closed); the scratch folder stays until the last handle is dropped.
    pub async fn shut_down(&self) -> std::io::Result<()> {
        let stop = self._running.stop.lock().unwrap().take();
        drop(stop);
        let serving = self._running.serving.lock().unwrap().take();
        match serving {
            Some(serving) => serving.await.expect("the server's task"),
            None => Ok(()),
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

/// What a browser sends with a request from one of the app's own pages.
pub fn same_origin(address: &str) -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "sec-fetch-site",
        "same-origin".parse().expect("a header value"),
    );
    headers.insert("origin", address.parse().expect("a header value"));
    headers
}

/// The partner key the in-process sandbox accepts by default.
pub const SANDBOX_PARTNER_KEY: &str = "sandbox-partner-key";
/// A practice the sandbox is seeded with.
pub const RIVERBEND: &str = "pra-sbxRvbnd0001";
/// The password every test account uses (the log scan looks for it).
pub const PASSWORD: &str = "correct-horse-battery-staple";

/// A server function's answer: the JSON body, or the `AppError` it failed with (as JSON).
pub type FnResult = Result<serde_json::Value, serde_json::Value>;

impl TestApp {
    /// Calls a server function with form fields, as an `ActionForm` with JavaScript does.
    pub async fn call(&self, endpoint: &str, fields: &[(&str, &str)]) -> FnResult {
        let response = self
            .client
            .post(format!("{}/api/{endpoint}", self.address))
            .header("accept", "application/json")
            .form(fields)
            .send()
            .await
            .expect("server function reached");
        let ok = response.status().is_success();
        let body: serde_json::Value = response.json().await.unwrap_or(serde_json::Value::Null);
        if ok {
            Ok(body)
        } else {
            Err(body)
        }
    }

    /// A fresh code from the sandbox for `practice_id`.
    pub async fn mint_code(&self, practice_id: &str) -> String {
        let response: serde_json::Value = self
            .client
            .post(format!("{}/sandbox/admin/codes", self.hint))
            .json(&serde_json::json!({ "practice_id": practice_id }))
            .send()
            .await
            .expect("sandbox reached")
            .json()
            .await
            .expect("a code");
        response["code"].as_str().expect("a code").to_owned()
    }

    /// Arrives from Hint with `code`; returns the landing response.
    pub async fn land(&self, code: &str) -> reqwest::Response {
        self.get(&format!("/signup?code={code}")).await
    }

    /// Signs up a new provider with a unique email and logs them in (as the page after sign-up
    /// invites them to; the email stays unverified).
    pub async fn sign_up(&self) -> String {
        let email = format!("{}@practice.example", unique_name("dr"));
        self.sign_up_as(&email).await;
        self.call("log_in", &[("email", &email), ("password", PASSWORD)])
            .await
            .expect("a new account logs in");
        email
    }

    /// Sends the sign-up form for `email` (nobody is logged in by it).
    pub async fn sign_up_as(&self, email: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/api/sign_up", self.address))
            .header("accept", "application/json")
            .form(&[
                ("name", "Dr. Test"),
                ("email", email),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .expect("server function reached")
    }

    /// Fills in the wizard's practice and profile steps.
    pub async fn fill_wizard(&self) {
        self.call(
            "onboarding/practice",
            &[
                ("name", "Riverbend DPC"),
                ("phone", "512-555-0142"),
                ("clinicians", "3"),
            ],
        )
        .await
        .expect("practice step saved");
        self.call(
            "onboarding/profile",
            &[
                ("role", "physician"),
                ("contact_phone", "512-555-0100"),
                ("alerts_by_email", "on"),
            ],
        )
        .await
        .expect("profile step saved");
    }

    /// Lands with a fresh code and signs up: the confirmation step is next.
    pub async fn landed_and_signed_up(&self, practice_id: &str) -> String {
        let code = self.mint_code(practice_id).await;
        assert_eq!(self.land(&code).await.status(), 303);
        self.sign_up().await;
        code
    }

    /// Opens the wizard (for a code not yet confirmed, this is when Hint is asked which
    /// practice it is for) and returns the connection it shows.
    pub async fn preview(&self) -> serde_json::Value {
        self.call("onboarding", &[])
            .await
            .expect("the wizard answers")["connection"]
            .clone()
    }

    /// Says yes on the confirmation step: the practice shown becomes this account's.
    pub async fn confirm(&self) {
        let onboarding = self
            .call("onboarding", &[])
            .await
            .expect("the wizard answers");
        assert_eq!(onboarding["step"], "Confirm", "{onboarding}");
        let landed = onboarding["landed_id"]
            .as_str()
            .expect("a landed connection");
        self.call("onboarding/confirm", &[("landed_id", landed)])
            .await
            .expect("the practice is confirmed");
    }

    /// Lands with a fresh code, signs up, confirms the practice and fills the wizard: ready to
    /// connect.
    pub async fn ready_to_connect(&self, practice_id: &str) -> String {
        let code = self.landed_and_signed_up(practice_id).await;
        self.confirm().await;
        self.fill_wizard().await;
        code
    }

    /// Presses Connect.
    pub async fn connect(&self) -> serde_json::Value {
        self.call("onboarding/connect", &[])
            .await
            .expect("connect answers with the connection")
    }

    /// A JSON answer from the sandbox's admin API (`/sandbox/admin/…`).
    pub async fn sandbox_admin(&self, path: &str) -> serde_json::Value {
        self.client
            .get(format!("{}/sandbox/admin/{path}", self.hint))
            .send()
            .await
            .expect("the sandbox answers")
            .json()
            .await
            .expect("JSON")
    }

    /// Sets the sandbox's faults.
    pub async fn set_faults(&self, faults: serde_json::Value) {
        let response = self
            .client
            .put(format!("{}/sandbox/admin/faults", self.hint))
            .json(&faults)
            .send()
            .await
            .expect("sandbox reached");
        assert!(response.status().is_success());
    }

    /// How many token exchanges reached the sandbox's handler.
    pub async fn token_requests(&self) -> u64 {
        self.sandbox_stat("token_requests").await
    }

    /// How many API requests reached the sandbox, faulted ones included.
    pub async fn api_requests(&self) -> u64 {
        self.sandbox_stat("api_requests").await
    }

    /// Whether the practice's new key gets proved against Hint: the proof runs just after the
    /// exchange answers, so this looks for up to five seconds (a wait, not a speed limit).
    pub async fn key_proved(&self, practice_id: &str) -> bool {
        for _ in 0..100 {
            let proved: Option<i64> = sqlx::query_scalar(
                "SELECT last_verified_at FROM connections WHERE practice_id = $1",
            )
            .bind(practice_id)
            .fetch_optional(self.db.pool())
            .await
            .unwrap()
            .flatten();
            if proved.is_some() {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        false
    }

    async fn sandbox_stat(&self, name: &str) -> u64 {
        let stats: serde_json::Value = self
            .client
            .get(format!("{}/sandbox/admin/stats", self.hint))
            .send()
            .await
            .expect("sandbox reached")
            .json()
            .await
            .expect("stats");
        stats[name].as_u64().expect("a count")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// A client with a cookie jar that does not follow redirects and sends what a browser sends
/// from the app's own pages.
fn browser_client(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(same_origin(address))
        .build()
        .expect("client")
}

impl TestApp {
    /// This server seen from the browser of `other` (its cookies): what a load balancer's second
    /// backend sees, since a cookie is per host, not per port.
    pub fn with_browser_of(&self, other: &TestApp) -> TestApp {
        TestApp {
            client: other.client.clone(),
            ..self.clone()
        }
    }

    /// This server reached at `address` (a proxy in front of it) with `client`.
    pub fn through(&self, address: &str, client: reqwest::Client) -> TestApp {
        TestApp {
            address: address.to_owned(),
            client,
            ..self.clone()
        }
    }

    /// The same server seen from another browser: its own cookies, nobody logged in.
    pub fn another_browser(&self) -> TestApp {
        TestApp {
            client: browser_client(&self.address),
            ..self.clone()
        }
    }

    /// Runs `practice-connect <group> <settings of this app> <action…>` (the real binary, on this
    /// app's database and development key); returns whether it succeeded and its standard output.
    /// It runs off the test's runtime thread, which also runs the app: blocking that thread
    /// while the command waits for SQLite's write lock would freeze an app task holding it.
    pub async fn cli(&self, group: &str, action: &[&str]) -> (bool, String) {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_practice-connect"));
        command
            .arg(group)
            .args(["--dev", "--database-url", &self.database_url, "--data-dir"])
            .arg(&self.data_dir)
            .args(action)
            .env_remove("DATABASE_URL")
            .env_remove("ENCRYPTION_KEYS");
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("the command's thread")
            .expect("the binary runs");
        if !output.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        }
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }
}

/// Creates an empty database next to the one `TEST_DATABASE_URL` names and returns its URL.
pub async fn fresh_postgres_database() -> String {
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

/// Writes each test twice: `sqlite::name` and `postgres::name` (ignored unless asked for), the
/// one way a test runs on both databases. Two shapes:
/// - `async fn name(app) { … }`: the body gets a server started on that database;
/// - `name, other_name`: calls `async fn name(db: TestDb)` written beside it, for tests that start
///   their server their own way (or none).
#[macro_export]
macro_rules! on_both_databases {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        $crate::on_both_databases! { @both $(
            async fn $name() {
                let $app = $crate::helpers::TestApp::spawn(DATABASE).await;
                $body
            }
        )* }
    };
    ($($name:ident),* $(,)?) => {
        $crate::on_both_databases! { @both $(
            async fn $name() {
                super::$name(DATABASE).await
            }
        )* }
    };
    (@both $($test:item)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            const DATABASE: $crate::helpers::TestDb = $crate::helpers::TestDb::Sqlite;
            $(
                #[tokio::test]
                $test
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            const DATABASE: $crate::helpers::TestDb = $crate::helpers::TestDb::Postgres;
            $(
                #[tokio::test]
                #[ignore = "needs PostgreSQL: set TEST_DATABASE_URL and pass --include-ignored"]
                $test
            )*
        }
    };
}

/// A staff member logged in by a test, with what their authenticator app would hold.
pub struct StaffLogin {
    pub email: String,
    /// The authenticator secret (raw bytes), as the enrolment page showed it.
    pub secret: Vec<u8>,
    /// The recovery codes the enrolment page showed.
    pub recovery_codes: Vec<String>,
    /// The newest 30-second step a code was sent for (each code works once).
    last_step: std::sync::Mutex<Option<i64>>,
}

impl StaffLogin {
    /// A code from the authenticator the server will take now: the first step after the last
    /// one used, within the step of skew either side the server allows. Moves the app's clock
    /// on by a step when all three are used.
    pub fn next_code(&self, app: &TestApp) -> String {
        let mut last = self.last_step.lock().unwrap();
        let mut now = app.state.clock.now() / 30;
        if last.is_some_and(|step| step + 1 > now + 1) {
            app.state.clock.advance(30);
            now += 1;
        }
        let step = last.map_or(now - 1, |step| (step + 1).max(now - 1));
        *last = Some(step);
        totp_code(&self.secret, step)
    }
}

/// The six-digit RFC 6238 code of `secret` for 30-second `step`.
pub fn totp_code(secret: &[u8], step: i64) -> String {
    totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        secret.to_vec(),
        None,
        "test".into(),
    )
    .generate(step as u64 * 30)
}

/// Reads the secret off the enrolment answer ("ABCD EFGH …", base32).
fn secret_of(enrolment: &serde_json::Value) -> Vec<u8> {
    let text = enrolment["secret"]
        .as_str()
        .expect("a secret")
        .replace(' ', "");
    totp_rs::Secret::Encoded(text).to_bytes().expect("base32")
}

impl TestApp {
    /// Adds a staff member of `role` (password `PASSWORD`) and returns their email.
    pub async fn add_staff(&self, role: practice_connect::domain::staff::StaffRole) -> String {
        use practice_connect::domain::account::{Email, NewPassword, PersonName};

        let email = format!("{}@partner.example", unique_name("staff"));
        practice_connect::server::staff::add(
            &self.db,
            &self.state.passwords,
            &Email::parse(&email).unwrap(),
            &PersonName::parse("Sam Staff").unwrap(),
            role,
            &NewPassword::parse(PASSWORD).unwrap(),
        )
        .await
        .unwrap();
        email
    }

    /// Adds a staff member and logs this client in as them, setting up their authenticator on
    /// the way (as the enrolment page asks at a first login).
    pub async fn log_in_staff(
        &self,
        role: practice_connect::domain::staff::StaffRole,
    ) -> StaffLogin {
        let email = self.add_staff(role).await;
        self.first_staff_login(&email).await
    }

    /// Logs staff member `email` (password `PASSWORD`) in for the first time, setting up their
    /// authenticator as the enrolment page asks.
    pub async fn first_staff_login(&self, email: &str) -> StaffLogin {
        let email = email.to_owned();
        self.call("staff/log_in", &[("email", &email), ("password", PASSWORD)])
            .await
            .expect("staff password accepted");
        let enrolment = self
            .call("staff/enrolment", &[])
            .await
            .expect("enrolment offered at a first login");
        let login = StaffLogin {
            email,
            secret: secret_of(&enrolment),
            recovery_codes: serde_json::from_value(enrolment["recovery_codes"].clone())
                .expect("recovery codes"),
            last_step: std::sync::Mutex::new(None),
        };
        let code = login.next_code(self);
        self.call("staff/enrol", &[("code", &code)])
            .await
            .expect("the first code finishes enrolment");
        login
    }
}

/// Sends `{method} /healthz` over a fresh connection to `address` (`host:port`) and reads until
/// the server closes it; the answer's status line, or "" when it closed without one.
pub async fn status_line_over_a_new_connection(address: &str, method: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!("{method} /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return String::new();
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}
