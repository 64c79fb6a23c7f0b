//! The connect journey through the real server and the in-process sandbox: landing, accounts,
//! the wizard, and the exactly-once exchange with each way Hint can fail.

use serde_json::json;
use sqlx::Row;

use crate::helpers::{unique_name, TestApp, TestDb, PASSWORD, RIVERBEND, SANDBOX_PARTNER_KEY};
use crate::on_both_databases;

on_both_databases! {
    async fn a_provider_connects_a_practice_from_landing_to_connected(app) {
        let code = app.ready_to_connect(RIVERBEND).await;
        let connected = app.connect().await;
        assert_eq!(connected["status"], "connected");
        assert_eq!(connected["practice_id"], RIVERBEND);
        assert_eq!(connected["practice_name"], "Riverbend Direct Primary Care");

        let onboarding = app.call("onboarding", &[]).await.unwrap();
        assert_eq!(onboarding["step"], "Done");
        let mine = app.call("my_connections", &[]).await.unwrap();
        assert_eq!(mine.as_array().unwrap().len(), 1);
        let text = mine.to_string();
        assert!(!text.contains("api_key") && !text.contains("access_token"), "no key reaches the browser: {text}");

        let row = sqlx::query("SELECT api_key_ciphertext, api_key_last4, code_ciphertext, integration_id FROM connections")
            .fetch_one(app.db.pool()).await.unwrap();
        let sealed: Vec<u8> = row.get("api_key_ciphertext");
        let last4: String = row.get("api_key_last4");
        assert!(sealed.len() > 35 + 24, "the key is stored encrypted with its nonce");
        assert!(!String::from_utf8_lossy(&sealed).contains(&last4));
        assert!(row.get::<Option<Vec<u8>>, _>("code_ciphertext").is_none(), "a used code is not kept");
        assert!(row.get::<String, _>("integration_id").starts_with("int-"));
        assert!(app.key_proved(RIVERBEND).await, "the new key was checked against Hint, moments after the answer");
        // Hint's own integration.activated webhook may land too (and is audited); the journey's steps are these.
        let actions: Vec<String> = sqlx::query("SELECT action FROM audit_log WHERE action NOT LIKE 'webhook%' ORDER BY id")
            .fetch_all(app.db.pool()).await.unwrap().iter().map(|r| r.get("action")).collect();
        assert_eq!(actions, ["code_received", "account_created", "login", "exchange_started",
            "exchange_succeeded", "connection_bound", "onboarding_completed"]);
        let audit: Vec<String> = sqlx::query("SELECT COALESCE(detail, '') AS detail FROM audit_log")
            .fetch_all(app.db.pool()).await.unwrap().iter().map(|r| r.get("detail")).collect();
        assert!(!audit.iter().any(|d| d.contains(&code)), "no code in the audit log");
    }

    async fn two_concurrent_looks_reach_hint_once_and_two_connects_finish_once(app) {
        app.landed_and_signed_up(RIVERBEND).await;
        app.set_faults(json!({ "latency_ms": 300 })).await;
        let (first, second) = tokio::join!(app.preview(), app.preview());
        assert_eq!(first["status"], "awaiting_activation", "{first}");
        assert_eq!(second["status"], "awaiting_activation", "{second}");
        assert_eq!(first["id"], second["id"]);
        assert_eq!(app.token_requests().await, 1, "exactly one exchange reached Hint");
        app.confirm().await;
        app.fill_wizard().await;
        let (first, second) = tokio::join!(app.connect(), app.connect());
        assert_eq!(first["status"], "connected");
        assert_eq!(second["status"], "connected");
        let completed: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'onboarding_completed'")
            .fetch_one(app.db.pool()).await.unwrap().get("n");
        assert_eq!(completed, 1, "the wizard finished once");
    }

    async fn a_code_used_elsewhere_fails_with_a_clear_next_step_and_is_not_retried(app) {
        let code = app.landed_and_signed_up(RIVERBEND).await;
        let spent = app.client.post(format!("{}/api/oauth/tokens", app.hint)).bearer_auth(SANDBOX_PARTNER_KEY)
            .json(&json!({ "grant_type": "authorization_code", "code": code })).send().await.unwrap();
        assert_eq!(spent.status(), 200);
        let failed = app.preview().await;
        assert_eq!(failed["status"], "failed");
        assert_eq!(failed["problem"], "code_rejected");
        let again = app.preview().await;
        assert_eq!(again["status"], "failed");
        assert_eq!(app.token_requests().await, 2, "a refused code is never sent again");
        assert!(app.call("onboarding/connect", &[]).await.is_err(), "nothing to connect");
    }

    async fn an_expired_code_fails_as_refused(app) {
        app.landed_and_signed_up(RIVERBEND).await;
        app.client.post(format!("{}/sandbox/admin/clock", app.hint)).json(&json!({ "advance_seconds": 3600 }))
            .send().await.unwrap();
        let failed = app.preview().await;
        assert_eq!(failed["status"], "failed");
        assert_eq!(failed["problem"], "code_rejected");
    }

    async fn a_hint_outage_keeps_the_connection_pending_and_a_retry_succeeds(app) {
        app.landed_and_signed_up(RIVERBEND).await;
        app.set_faults(json!({ "kind": "unavailable" })).await;
        let outage = app.preview().await;
        assert_eq!(outage["status"], "pending");
        assert_eq!(outage["problem"], "hint_unavailable");
        assert_eq!(app.token_requests().await, 0, "no exchange got past the outage");
        assert!(app.api_requests().await > 1, "503 is retried automatically");
        app.set_faults(json!({})).await;
        assert_eq!(app.preview().await["status"], "awaiting_activation");
        app.confirm().await;
        app.fill_wizard().await;
        assert_eq!(app.connect().await["status"], "connected");
    }

    async fn a_hint_outage_at_activation_keeps_the_answers_and_connect_can_be_pressed_again(app) {
        app.ready_to_connect(RIVERBEND).await;
        app.set_faults(json!({ "kind": "unavailable" })).await;
        let outage = app.connect().await;
        assert_eq!(outage["status"], "awaiting_activation");
        assert_eq!(outage["problem"], "hint_unavailable");
        assert_eq!(app.call("onboarding", &[]).await.unwrap()["step"], "Review");
        app.set_faults(json!({})).await;
        assert_eq!(app.connect().await["status"], "connected");
    }

    async fn one_rate_limited_answer_is_retried_automatically(app) {
        app.landed_and_signed_up(RIVERBEND).await;
        app.set_faults(json!({ "kind": "rate_limited", "retry_after_secs": 0, "times": 1 })).await;
        assert_eq!(app.preview().await["status"], "awaiting_activation");
        assert_eq!(app.token_requests().await, 1, "the 429 came from the fault layer before Hint counted it");
    }

    async fn a_dropped_connection_is_not_retried_but_the_provider_can_try_again(app) {
        app.landed_and_signed_up(RIVERBEND).await;
        app.set_faults(json!({ "kind": "drop", "times": 1 })).await;
        let dropped = app.preview().await;
        assert_eq!(dropped["status"], "pending");
        assert_eq!(dropped["problem"], "no_answer");
        assert_eq!(app.preview().await["status"], "awaiting_activation");
    }

    async fn a_server_error_is_not_retried_automatically(app) {
        app.landed_and_signed_up(RIVERBEND).await;
        app.set_faults(json!({ "kind": "server_error", "times": 1 })).await;
        let failed = app.preview().await;
        assert_eq!(failed["problem"], "no_answer");
        assert_eq!(failed["status"], "pending");
        assert_eq!(app.preview().await["status"], "awaiting_activation");
    }

    async fn a_new_code_for_a_connected_practice_updates_the_same_row(app) {
        app.ready_to_connect(RIVERBEND).await;
        let first = app.connect().await;
        let code = app.mint_code(RIVERBEND).await;
        app.land(&code).await;
        app.confirm().await;
        app.fill_wizard().await;
        let second = app.connect().await;
        assert_eq!(second["status"], "connected");
        assert_eq!(second["id"], first["id"], "the practice keeps its row");
        let mine = app.call("my_connections", &[]).await.unwrap();
        assert_eq!(mine.as_array().unwrap().len(), 1);
        let rows: i64 = sqlx::query("SELECT COUNT(*) AS n FROM connections WHERE practice_id IS NOT NULL")
            .fetch_one(app.db.pool()).await.unwrap().get("n");
        assert_eq!(rows, 1);
    }

    async fn landing_twice_with_one_code_keeps_one_connection(app) {
        let code = app.mint_code(RIVERBEND).await;
        app.land(&code).await;
        app.land(&code).await;
        let rows: i64 = sqlx::query("SELECT COUNT(*) AS n FROM connections").fetch_one(app.db.pool()).await.unwrap().get("n");
        assert_eq!(rows, 1);
    }
}

#[tokio::test]
async fn landing_stores_the_code_and_sends_the_browser_to_a_clean_url() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let code = app.mint_code(RIVERBEND).await;
    let response = app.land(&code).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/onboarding");
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let stored: String = sqlx::query("SELECT code_hash FROM connections")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .get("code_hash");
    assert_ne!(stored, code, "only a hash of the code is a lookup key");
}

#[tokio::test]
async fn a_malformed_code_gets_the_invalid_link_page_and_stores_nothing() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let response = app.get("/signup?code=bad%20code%3Cscript%3E").await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/onboarding?link=invalid");
    let rows: i64 = sqlx::query("SELECT COUNT(*) AS n FROM connections")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .get("n");
    assert_eq!(rows, 0);
    let page = app
        .get("/onboarding?link=invalid")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("That connection link is not valid"));
}

#[tokio::test]
async fn the_path_form_redirect_lands_too() {
    let app = TestApp::spawn_with(TestDb::Sqlite, &["--redirect-path", "/connect/"]).await;
    let code = app.mint_code(RIVERBEND).await;
    let response = app.get(&format!("/connect/{code}")).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/onboarding");
}

#[tokio::test]
async fn a_slow_hint_answer_is_reported_as_no_answer_and_the_code_counts_as_spent() {
    let app = TestApp::spawn_with(TestDb::Sqlite, &["--hint-timeout-seconds", "1"]).await;
    app.landed_and_signed_up(RIVERBEND).await;
    app.set_faults(json!({ "kind": "slow_ok", "slow_seconds": 3, "times": 1 }))
        .await;
    let slow = app.preview().await;
    assert_eq!(slow["status"], "pending");
    assert_eq!(slow["problem"], "no_answer");
    let again = app.preview().await;
    assert_eq!(
        again["status"], "failed",
        "Hint did the work before answering: the code is spent"
    );
    assert_eq!(again["problem"], "code_rejected");
}

#[tokio::test]
async fn a_wrong_partner_key_is_reported_to_staff_not_blamed_on_the_provider() {
    let hint_args = [
        "--partner-key",
        "pk_test_the_real_one",
        "--listen",
        "127.0.0.1:0",
        "--webhook-url",
        "",
    ];
    #[derive(clap::Parser)]
    struct Args {
        #[command(flatten)]
        args: practice_connect::sandbox::SandboxArgs,
    }
    let args = <Args as clap::Parser>::try_parse_from(std::iter::once("sandbox").chain(hint_args))
        .unwrap()
        .args;
    let sandbox = practice_connect::sandbox::start(args, reqwest::Client::new())
        .await
        .unwrap();
    let app = TestApp::spawn_with(
        TestDb::Sqlite,
        &[
            "--hint-api-base-url",
            &sandbox.base_url,
            "--hint-partner-api-key",
            "pk_test_a_wrong_one",
        ],
    )
    .await;
    let code = {
        let minted: serde_json::Value = app
            .client
            .post(format!("{}/sandbox/admin/codes", sandbox.base_url))
            .json(&json!({ "practice_id": RIVERBEND }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        minted["code"].as_str().unwrap().to_owned()
    };
    app.land(&code).await;
    app.sign_up().await;
    let refused = app.preview().await;
    assert_eq!(
        refused["status"], "pending",
        "the code was not spent; it can be retried once staff fix the key"
    );
    assert_eq!(refused["problem"], "partner_misconfigured");
}

#[tokio::test]
async fn accounts_give_specific_errors() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let email = app.sign_up().await;
    let short = app
        .call(
            "sign_up",
            &[
                ("name", "A"),
                ("email", "a@b.example"),
                ("password", "short"),
            ],
        )
        .await
        .unwrap_err();
    assert!(
        short["Invalid"].as_str().unwrap().contains("at least 8"),
        "{short}"
    );
    let wrong = app
        .call(
            "log_in",
            &[("email", &email), ("password", "wrong-password")],
        )
        .await
        .unwrap_err();
    assert!(
        wrong["Invalid"].as_str().unwrap().contains("do not match"),
        "{wrong}"
    );
    let unknown = app
        .call(
            "log_in",
            &[("email", "nobody@x.example"), ("password", "whatever1")],
        )
        .await
        .unwrap_err();
    assert_eq!(unknown, wrong, "no hint whether the email has an account");
}

#[tokio::test]
async fn logging_in_rotates_the_session_and_logging_out_ends_it() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let email = app.sign_up().await;
    app.call("log_out", &[]).await.unwrap();
    assert_eq!(
        app.call("current_user", &[]).await.unwrap(),
        serde_json::Value::Null
    );
    let sessions_before: Vec<String> = sqlx::query("SELECT id FROM sessions")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("id"))
        .collect();
    app.call("log_in", &[("email", &email), ("password", PASSWORD)])
        .await
        .unwrap();
    let user = app.call("current_user", &[]).await.unwrap();
    assert_eq!(user["email"], email.as_str());
    let sessions_after: Vec<String> = sqlx::query("SELECT id FROM sessions")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("id"))
        .collect();
    assert!(
        sessions_after
            .iter()
            .all(|id| !sessions_before.contains(id)),
        "a new session id after login"
    );
}

#[tokio::test]
async fn the_wizard_and_connect_need_a_logged_in_provider() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let code = app.mint_code(RIVERBEND).await;
    app.land(&code).await;
    assert_eq!(
        app.call("onboarding/connect", &[]).await.unwrap_err(),
        json!("Unauthenticated")
    );
    assert_eq!(
        app.call("my_connections", &[]).await.unwrap_err(),
        json!("Unauthenticated")
    );
    let onboarding = app.call("onboarding", &[]).await.unwrap();
    assert_eq!(onboarding["step"], "Account");
}

#[tokio::test]
async fn another_providers_session_cannot_take_over_a_claimed_connection() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let code = app.ready_to_connect(RIVERBEND).await;
    // A second browser on the same app lands with the same (leaked) code and signs up.
    let other = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(crate::helpers::same_origin(&app.address))
        .build()
        .unwrap();
    let landing = other
        .get(format!("{}/signup?code={code}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(
        landing.headers()["location"],
        "/onboarding?link=used",
        "the code belongs to the browser it first landed in"
    );
    let email = format!("{}@other.example", unique_name("dr"));
    other
        .post(format!("{}/api/sign_up", app.address))
        .header("accept", "application/json")
        .form(&[
            ("name", "Other"),
            ("email", email.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let attempt = other
        .post(format!("{}/api/onboarding/connect", app.address))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert!(
        !attempt.status().is_success(),
        "the stranger cannot connect someone else's practice"
    );
    assert_eq!(
        app.token_requests().await,
        1,
        "only the owner's own exchange"
    );
}

#[tokio::test]
async fn repeated_wrong_passwords_are_slowed_down_and_the_wait_is_said() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let email = app.sign_up().await;
    for _ in 0..practice_connect::server::throttle::FREE_PER_ACCOUNT {
        let wrong = app
            .call(
                "log_in",
                &[("email", &email), ("password", "wrong-password")],
            )
            .await
            .unwrap_err();
        assert!(wrong.get("Invalid").is_some());
    }
    // Past the free attempts one more goes through (and sets a 2-second brake), then the next
    // waits, even with the right password.
    app.call(
        "log_in",
        &[("email", &email), ("password", "wrong-password")],
    )
    .await
    .unwrap_err();
    let braked = app
        .client
        .post(format!("{}/api/log_in", app.address))
        .header("accept", "application/json")
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(braked.status(), 429);
    assert!(braked.headers().contains_key("retry-after"));
    let body: serde_json::Value = braked.json().await.unwrap();
    assert!(
        body["RateLimited"]["retry_after_seconds"].as_u64().unwrap() >= 1,
        "even the right password waits: {body}"
    );
}

#[tokio::test]
async fn rotating_keys_re_encrypts_stored_secrets_under_the_new_key() {
    use practice_connect::server::crypto::{Keyring, Purpose};
    use secrecy::{ExposeSecret, SecretString};

    let old = Keyring::generate_spec("old");
    let app = TestApp::spawn_with(TestDb::Sqlite, &["--encryption-keys", &old]).await;
    app.ready_to_connect(RIVERBEND).await;
    app.connect().await;
    let pending = app.mint_code("pra-sbxMaple0002").await;
    app.land(&pending).await;

    let rotated = Keyring::parse(&SecretString::from(format!(
        "{},{old}",
        Keyring::generate_spec("new")
    )))
    .unwrap();
    let done = practice_connect::server::connections::keys::rotate(&app.db, &rotated)
        .await
        .unwrap();
    assert_eq!((done.practice_keys, done.codes), (1, 1));
    let row = sqlx::query(
        "SELECT id, api_key_ciphertext, api_key_key_id FROM connections WHERE practice_id = $1",
    )
    .bind(RIVERBEND)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let key_id: String = row.get("api_key_key_id");
    assert_eq!(key_id, "new");
    let opened = rotated
        .decrypt(
            Purpose::PracticeKey,
            &row.get::<String, _>("id"),
            &key_id,
            &row.get::<Vec<u8>, _>("api_key_ciphertext"),
        )
        .unwrap();
    assert_eq!(opened.expose_secret().len(), 35);
    let again = practice_connect::server::connections::keys::rotate(&app.db, &rotated)
        .await
        .unwrap();
    assert_eq!(
        (again.practice_keys, again.codes),
        (0, 0),
        "nothing left under the old key"
    );
}

/// Hint's newer marketplace endpoints (`HINT_CONNECT_API=installations`) against the sandbox,
/// which serves both APIs.
mod installations {
    use sqlx::Row;

    use crate::helpers::{TestApp, TestDb, RIVERBEND};

    const OUR_PRODUCT: &str = "ppro-sbxPrCnct0001";

    /// Hint's headless install of a fresh code for Riverbend.
    async fn headless_install(app: &TestApp) -> reqwest::Response {
        let code = app.mint_code(RIVERBEND).await;
        app.client
            .post(format!("{}/hint/connect/{code}", app.address))
            .send()
            .await
            .unwrap()
    }

    async fn stored(app: &TestApp) -> (String, String, Option<String>) {
        let row = sqlx::query(
            "SELECT status, integration_id, api_key_last4 FROM connections \
             WHERE practice_id = $1 AND merged_into IS NULL",
        )
        .bind(RIVERBEND)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        (
            row.get("status"),
            row.get("integration_id"),
            row.get("api_key_last4"),
        )
    }

    #[tokio::test]
    async fn a_provider_connects_through_the_installations_api_and_the_key_works() {
        let app = TestApp::spawn_with(
            TestDb::Sqlite,
            &[
                "--hint-connect-api",
                "installations",
                "--hint-product-id",
                OUR_PRODUCT,
            ],
        )
        .await;
        app.ready_to_connect(RIVERBEND).await;
        assert_eq!(app.connect().await["status"], "connected");
        let (status, installation, last4) = stored(&app).await;
        assert_eq!(status, "connected");
        assert!(
            installation.starts_with("inst-"),
            "the installation id is stored: {installation}"
        );
        assert!(last4.is_some(), "the key from api_keys[0].token is stored");
        // The key works: the key-health job proves it with the practice's own key.
        practice_connect::server::connections::health::check_due_keys(
            &app.state,
            std::time::Duration::ZERO,
        )
        .await
        .unwrap();
        assert!(app.key_proved(RIVERBEND).await);
    }

    #[tokio::test]
    async fn a_headless_install_through_the_installations_api_stores_the_key() {
        let app =
            TestApp::spawn_with(TestDb::Sqlite, &["--hint-connect-api", "installations"]).await;
        let response = headless_install(&app).await;
        assert_eq!(response.status(), 200);
        let (status, installation, last4) = stored(&app).await;
        assert_eq!(status, "connected");
        assert!(installation.starts_with("inst-"));
        assert!(last4.is_some());
    }

    #[tokio::test]
    async fn another_products_installation_stores_nothing() {
        let app = TestApp::spawn_with(
            TestDb::Sqlite,
            &[
                "--hint-connect-api",
                "installations",
                "--hint-product-id",
                "ppro-someoneElse",
            ],
        )
        .await;
        let response = headless_install(&app).await;
        assert!(response.status().is_client_error(), "{}", response.status());
        let keys: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM connections WHERE api_key_ciphertext IS NOT NULL OR practice_id IS NOT NULL",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!(keys, 0, "no key and no practice were stored");
    }
}
