//! Day-two operations with the real binary: migrating is its own step in production, a binary
//! runs on the schema of a newer release, a SQLite backup taken while the app serves restores
//! with the same keys, secrets come from files, and a shutdown lets an exchange in flight store
//! its key.

use crate::helpers::{unique_name, TestApp, TestDb, RIVERBEND};

/// Production settings that pass every check (`production::REQUIRED`), on `database`.
fn production(database: &str, data_dir: &str) -> Vec<(String, String)> {
    let place = [
        ("APP_ENV", "production"),
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
        ("DATABASE_URL", database),
        ("DATA_DIR", data_dir),
    ];
    crate::production::REQUIRED
        .iter()
        .chain(place.iter())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Runs the binary with exactly `env` (nothing inherited); whether it succeeded, and its output.
fn run(env: &[(String, String)], args: &[&str]) -> (bool, String) {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    crate::production::run(&env, args)
}

#[tokio::test]
async fn production_serves_only_a_migrated_database_and_migrating_is_its_own_step() {
    let scratch = std::env::temp_dir().join(unique_name("pc-ops"));
    std::fs::create_dir_all(&scratch).unwrap();
    let database = format!("sqlite://{}/app.db", scratch.display());
    let env = production(&database, &scratch.join("data").display().to_string());
    let (served, printed) = run(&env, &["serve"]);
    assert!(!served, "{printed}");
    assert!(
        printed.contains("run `practice-connect migrate` first"),
        "{printed}"
    );
    // Other commands do not migrate behind the operator's back either.
    let (listed, printed) = run(&env, &["service-tokens", "list"]);
    assert!(!listed && printed.contains("lacks migrations"), "{printed}");
    let (migrated, printed) = run(&env, &["migrate"]);
    assert!(migrated, "{printed}");
    let (listed, printed) = run(&env, &["service-tokens", "list"]);
    assert!(listed, "{printed}");
    // An older binary (this one) on a newer release's schema: `migrate` and `serve`'s check
    // leave it alone.
    let db = practice_connect::server::db::Db::connect(&database, 1)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (29991231000001, 'a newer release', TRUE, $1, 0)",
    )
    .bind(vec![0u8])
    .execute(db.pool())
    .await
    .unwrap();
    db.close().await;
    let (migrated, printed) = run(&env, &["migrate"]);
    assert!(migrated, "a newer schema is not an error: {printed}");
    let (listed, printed) = run(&env, &["service-tokens", "list"]);
    assert!(listed, "{printed}");
    let _ = std::fs::remove_dir_all(&scratch);
}

#[tokio::test]
async fn an_instance_starts_on_the_schema_of_a_newer_release() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (29991231000001, 'a newer release', TRUE, $1, 0)",
    )
    .bind(vec![0u8])
    .execute(app.db.pool())
    .await
    .unwrap();
    let state = app.db.schema_state().await.unwrap();
    assert_eq!(state.newer, [29991231000001]);
    assert!(state.pending.is_empty());
    // A second instance of this release starts beside it (rolling back, or mid-deploy).
    let beside = app.spawn_beside().await;
    assert_eq!(beside.get("/readyz").await.status(), 200);
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_with_the_same_keys() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let browser = app.another_browser();
    browser.ready_to_connect(RIVERBEND).await;
    let id = browser.connect().await["id"].as_str().unwrap().to_owned();
    let key = practice_connect::server::connections::keys::practice_key(&app.state, &id)
        .await
        .unwrap();

    let folder = std::env::temp_dir().join(unique_name("pc-backup"));
    std::fs::create_dir_all(&folder).unwrap();
    let copy = folder.join("backup.db");
    let (ok, printed) = app
        .cli("backup", &["--to", &copy.display().to_string()])
        .await;
    assert!(ok && printed.contains("backed up"), "{printed}");
    let (again, _) = app
        .cli("backup", &["--to", &copy.display().to_string()])
        .await;
    assert!(!again, "an existing file is never overwritten");

    // Restored into a fresh folder, read with the same keys.
    let restored = folder.join("restored");
    std::fs::create_dir_all(&restored).unwrap();
    std::fs::copy(&copy, restored.join("app.db")).unwrap();
    let url = format!("sqlite://{}/app.db", restored.display());
    let db = practice_connect::server::db::Db::connect(&url, 1)
        .await
        .unwrap();
    let (sealed, key_id): (Vec<u8>, String) =
        sqlx::query_as("SELECT api_key_ciphertext, api_key_key_id FROM connections WHERE id = $1")
            .bind(&id)
            .fetch_one(db.pool())
            .await
            .unwrap();
    let purpose = practice_connect::server::crypto::Purpose::PracticeKey;
    let opened = app
        .state
        .keys
        .decrypt(purpose, &id, &key_id, &sealed)
        .unwrap();
    use secrecy::ExposeSecret;
    assert_eq!(opened.expose_secret(), key.expose_secret());
    let _ = std::fs::remove_dir_all(&folder);
}

#[test]
fn secrets_come_from_files_and_systemd_credentials() {
    let scratch = std::env::temp_dir().join(unique_name("pc-secrets"));
    let credentials = scratch.join("credentials");
    std::fs::create_dir_all(&credentials).unwrap();
    let database = format!("sqlite://{}/app.db", scratch.display());
    let mut env = production(&database, &scratch.join("data").display().to_string());
    let mut take = |name: &str| {
        let at = env.iter().position(|(k, _)| k == name).unwrap();
        env.remove(at).1
    };
    let keys = take("ENCRYPTION_KEYS");
    let webhook = take("HINT_WEBHOOK_SECRET");
    let partner = take("HINT_PARTNER_API_KEY");
    std::fs::write(scratch.join("keys"), format!("{keys}\n")).unwrap();
    std::fs::write(credentials.join("HINT_WEBHOOK_SECRET"), webhook).unwrap();
    std::fs::write(credentials.join("HINT_PARTNER_API_KEY"), partner).unwrap();
    env.push((
        "ENCRYPTION_KEYS_FILE".into(),
        scratch.join("keys").display().to_string(),
    ));
    env.push((
        "CREDENTIALS_DIRECTORY".into(),
        credentials.display().to_string(),
    ));
    let (passed, printed) = run(&env, &["check"]);
    assert!(passed, "{printed}");
    assert!(
        printed.contains("every production setting is there"),
        "{printed}"
    );
    // Without the files, the same settings are missing.
    let bare: Vec<(String, String)> = env
        .iter()
        .filter(|(k, _)| k != "ENCRYPTION_KEYS_FILE" && k != "CREDENTIALS_DIRECTORY")
        .cloned()
        .collect();
    let (passed, printed) = run(&bare, &["check"]);
    assert!(
        !passed && printed.contains("ENCRYPTION_KEYS is not set"),
        "{printed}"
    );
    // Given twice, refused.
    let mut twice = env.clone();
    twice.push(("ENCRYPTION_KEYS".into(), keys));
    let (passed, printed) = run(&twice, &["check"]);
    assert!(!passed && printed.contains("keep one"), "{printed}");
    let _ = std::fs::remove_dir_all(&scratch);
}

#[test]
fn serve_waits_for_a_database_that_is_not_up_yet_then_says_why_it_stops() {
    // Nothing listens on port 1: the database "is still starting".
    let scratch = std::env::temp_dir().join(unique_name("pc-retry"));
    let env = |patience: &str| -> Vec<(String, String)> {
        [
            ("APP_ENV", "development"),
            ("LOG_FORMAT", "json"),
            ("DATABASE_URL", "postgres://postgres@127.0.0.1:1/nowhere"),
            ("DATABASE_CONNECT_RETRY_SECONDS", patience),
            ("DATA_DIR", &scratch.display().to_string()),
            ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    // Each attempt waits up to the pool's 10 s for a connection; 11 s of patience is one more
    // attempt, then the reason it stops.
    let (served, printed) = run(&env("11"), &["serve"]);
    assert!(!served);
    let retries = printed.matches("cannot be reached yet").count();
    assert_eq!(retries, 1, "it tried again once: {printed}");
    assert!(printed.contains("could not start: database"), "{printed}");
    let _ = std::fs::remove_dir_all(&scratch);
}

#[tokio::test]
async fn an_exchange_in_flight_at_shutdown_still_stores_its_key() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    app.landed_and_signed_up(RIVERBEND).await;
    // Hint is slow to answer, and the provider's browser gives up before it does: the request
    // is gone, the exchange (its own task) goes on, and then the server is told to stop.
    app.set_faults(serde_json::json!({ "latency_ms": 1500 }))
        .await;
    let before = app.api_requests().await;
    let opening = tokio::spawn({
        let app = app.clone();
        async move { app.preview().await }
    });
    while app.api_requests().await == before {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    opening.abort();
    app.shut_down().await.expect("a clean stop");
    // The server is stopped and its pool closed: read what it left with a pool of our own.
    let db = practice_connect::server::db::Db::connect(&app.database_url, 1)
        .await
        .unwrap();
    let (status, keyed): (String, i64) = sqlx::query_as(
        // The only connection: its practice id is known only once Hint has answered.
        "SELECT status, CASE WHEN api_key_ciphertext IS NULL THEN 0 ELSE 1 END FROM connections",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(
        keyed, 1,
        "the key Hint gave was stored before the database closed ({status})"
    );
    assert_ne!(status, "exchanging");
}
