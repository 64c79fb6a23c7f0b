//! The staff dashboard: who may call what, what the list finds, and each action against the
//! sandbox, including Hint failing during an action.

use practice_connect::domain::account::Email;
use practice_connect::domain::staff::StaffRole;
use serde_json::{json, Value};
use sqlx::Row;

use crate::helpers::{TestApp, TestDb, PASSWORD, RIVERBEND};
use crate::on_both_databases;

impl TestApp {
    /// Connects the Riverbend practice as a provider, then logs that provider out.
    async fn connected_practice(&self) -> Value {
        self.ready_to_connect(RIVERBEND).await;
        let connected = self.connect().await;
        assert_eq!(connected["status"], "connected");
        self.call("log_out", &[]).await.unwrap();
        connected
    }

    async fn list(&self, fields: &[(&str, &str)]) -> Value {
        let mut form: Vec<(String, String)> = Vec::new();
        if !fields.iter().any(|(k, _)| *k == "page") {
            form.push(("query[page]".into(), "1".into()));
        }
        form.extend(
            fields
                .iter()
                .map(|(k, v)| (format!("query[{k}]"), v.to_string())),
        );
        let fields: Vec<(&str, &str)> =
            form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.call("admin/connections", &fields)
            .await
            .expect("the list answers")
    }

    async fn action(&self, id: &str, action: &str) -> Result<Value, Value> {
        self.call("admin/action", &[("id", id), ("action", action)])
            .await
    }
}

#[tokio::test]
async fn admin_functions_check_who_is_calling() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let connected = app.connected_practice().await;
    let id = connected["id"].as_str().unwrap();

    // Anonymous.
    assert_eq!(
        app.call("admin/summary", &[]).await.unwrap_err(),
        json!("Unauthenticated")
    );
    assert_eq!(
        app.action(id, "reveal").await.unwrap_err(),
        json!("Unauthenticated")
    );
    // A provider.
    app.sign_up().await;
    assert_eq!(
        app.call("admin/summary", &[]).await.unwrap_err(),
        json!("Forbidden")
    );
    assert_eq!(
        app.call("admin/connection", &[("id", id)])
            .await
            .unwrap_err(),
        json!("Forbidden")
    );
    assert_eq!(
        app.action(id, "deactivate").await.unwrap_err(),
        json!("Forbidden")
    );
    assert_eq!(
        app.call("admin/manual_connect", &[("code", "abcdefghij")])
            .await
            .unwrap_err(),
        json!("Forbidden")
    );
    app.call("log_out", &[]).await.unwrap();
    // Support: sees, cannot act.
    app.log_in_staff(StaffRole::Support).await;
    assert!(app.call("admin/summary", &[]).await.is_ok());
    assert!(app.call("admin/connection", &[("id", id)]).await.is_ok());
    for action in ["verify", "refresh", "deactivate", "reveal"] {
        assert_eq!(
            app.action(id, action).await.unwrap_err(),
            json!("Forbidden"),
            "{action}"
        );
    }
    app.call("staff/log_out", &[]).await.unwrap();
    // Admin: acts.
    app.log_in_staff(StaffRole::Admin).await;
    assert!(app.action(id, "verify").await.is_ok());
}

#[tokio::test]
async fn a_disabled_staff_member_is_locked_out_at_once() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let email = app.log_in_staff(StaffRole::Admin).await.email;
    assert!(app.call("admin/summary", &[]).await.is_ok());
    practice_connect::server::staff::disable(&app.db, &Email::parse(&email).unwrap())
        .await
        .unwrap();
    assert_eq!(
        app.call("admin/summary", &[]).await.unwrap_err(),
        json!("Unauthenticated")
    );
}

on_both_databases! {
    async fn staff_find_a_connection_by_search_filter_and_sort(app) {
        let connected = app.connected_practice().await;
        let integration: String = sqlx::query("SELECT integration_id FROM connections WHERE practice_id IS NOT NULL")
            .fetch_one(app.db.pool()).await.unwrap().get("integration_id");
        app.log_in_staff(StaffRole::Support).await;
        for term in ["riverbend", "Direct Primary", RIVERBEND, integration.as_str(), "@practice.example"] {
            let page = app.list(&[("q", term)]).await;
            assert_eq!(page["total"], 1, "searching {term}");
            assert_eq!(page["rows"][0]["id"], connected["id"]);
        }
        assert_eq!(app.list(&[("q", "no such practice")]).await["total"], 0);
        assert_eq!(app.list(&[("status", "connected")]).await["total"], 1);
        assert_eq!(app.list(&[("status", "disconnected")]).await["total"], 0);
        let sorted = app.list(&[("sort", "practice_name"), ("dir", "asc")]).await;
        assert_eq!(sorted["rows"][0]["practice_name"], "Riverbend Direct Primary Care");
        let summary = app.call("admin/summary", &[]).await.unwrap();
        assert!(summary["by_status"].as_array().unwrap().iter().any(|pair| pair[0] == "connected" && pair[1] == 1));
        let days = summary["last_30_days"].as_array().unwrap();
        assert_eq!(days.len(), 30);
        assert_eq!(days[29][1], 1, "today's connection is counted");
    }

    async fn an_admin_verifies_deactivates_and_reveals_with_an_audit_trail(app) {
        let connected = app.connected_practice().await;
        let id = connected["id"].as_str().unwrap();
        app.log_in_staff(StaffRole::Admin).await;
        let verified = app.action(id, "verify").await.unwrap();
        assert!(verified.as_str().unwrap().contains("The key works"));
        let key = app.action(id, "reveal").await.unwrap();
        assert_eq!(key.as_str().unwrap().len(), 35);
        let deactivated = app.action(id, "deactivate").await.unwrap();
        assert!(deactivated.as_str().unwrap().contains("Deactivated"));
        let detail = app.call("admin/connection", &[("id", id)]).await.unwrap();
        assert_eq!(detail["row"]["status"], "disconnected");
        assert_eq!(detail["hint_status"], "inactive");
        assert!(detail.to_string().find(key.as_str().unwrap()).is_none(), "the detail never carries the key");
        assert_eq!(detail["key_last4"], Value::Null, "a disconnected practice's key is deleted");
        let actions: Vec<String> = detail["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect();
        for expected in ["code_received", "exchange_succeeded", "key_verified", "key_revealed", "deactivated"] {
            assert!(actions.iter().any(|a| a == expected), "{expected} in {actions:?}");
        }
        // The key went with the deactivation: nothing is left to reveal or verify.
        assert!(app.action(id, "reveal").await.is_err());
        assert!(app.action(id, "verify").await.is_err());
        let sealed: Option<Vec<u8>> = sqlx::query("SELECT api_key_ciphertext FROM connections WHERE id = $1")
            .bind(id).fetch_one(app.db.pool()).await.unwrap().get("api_key_ciphertext");
        assert!(sealed.is_none());
    }

    async fn hint_failing_during_an_action_changes_nothing_and_says_so(app) {
        let connected = app.connected_practice().await;
        let id = connected["id"].as_str().unwrap();
        app.log_in_staff(StaffRole::Admin).await;
        for (fault, action) in [("unavailable", "deactivate"), ("server_error", "refresh"), ("drop", "verify"), ("rate_limited", "deactivate")] {
            app.set_faults(json!({ "kind": fault, "retry_after_secs": 0 })).await;
            let error = app.action(id, action).await.unwrap_err();
            let message = error["Invalid"].as_str().unwrap_or_default().to_owned();
            assert!(message.contains("nothing"), "{fault} during {action}: {error}");
            app.set_faults(json!({})).await;
            let detail = app.call("admin/connection", &[("id", id)]).await.unwrap();
            assert_eq!(detail["row"]["status"], "connected", "{fault} during {action} changed nothing");
        }
        assert!(app.action(id, "refresh").await.unwrap().as_str().unwrap().contains("connected"));
    }

    async fn an_admin_exchanges_a_code_sent_out_of_band_exactly_once(app) {
        app.log_in_staff(StaffRole::Admin).await;
        let code = app.mint_code(RIVERBEND).await;
        let message = app.call("admin/manual_connect", &[("code", &code)]).await.unwrap();
        assert!(message.as_str().unwrap().contains("Connected Riverbend"), "{message}");
        let again = app.call("admin/manual_connect", &[("code", &code)]).await.unwrap();
        assert!(again.as_str().unwrap().contains("Connected"), "the same code finds the same connection: {again}");
        assert_eq!(app.token_requests().await, 1);
        let bad = app.call("admin/manual_connect", &[("code", "bad code!")]).await.unwrap_err();
        assert!(bad["Invalid"].as_str().unwrap().contains("does not look like"));
    }
}

#[tokio::test]
async fn the_csv_export_lists_the_view_without_keys_for_staff_only() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let connected = app.connected_practice().await;
    assert_eq!(app.get("/admin/export.csv").await.status(), 401);
    app.sign_up().await;
    assert_eq!(app.get("/admin/export.csv").await.status(), 403);
    app.call("log_out", &[]).await.unwrap();
    app.log_in_staff(StaffRole::Support).await;
    let response = app.get("/admin/export.csv?status=connected").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("practice_name,practice_id,integration_id,status"));
    assert!(lines[1].starts_with("Riverbend Direct Primary Care,pra-sbxRvbnd0001,int-"));
    assert!(!lines[0].contains("key"), "no key column: {}", lines[0]);
    assert_eq!(
        lines[1].split(',').count(),
        9,
        "nine plain fields: {}",
        lines[1]
    );
    assert!(
        lines[1].contains(",unverified,"),
        "the provider never opened the confirmation link: {}",
        lines[1]
    );
    assert!(csv.contains(connected["practice_id"].as_str().unwrap()));
    let empty = app
        .get("/admin/export.csv?status=failed")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(empty.lines().count(), 1);
}

#[tokio::test]
async fn the_seed_command_fills_the_list() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let added = practice_connect::server::seed::connections(&app.db, 600)
        .await
        .unwrap();
    assert_eq!(added, 600);
    app.log_in_staff(StaffRole::Support).await;
    let page = app.list(&[]).await;
    assert_eq!(page["total"], 600);
    assert_eq!(page["rows"].as_array().unwrap().len(), 50);
    assert_eq!(page["pages"], 12);
    let last = app.list(&[("page", "12")]).await;
    assert_eq!(last["rows"].as_array().unwrap().len(), 50);
    let failed = app.list(&[("status", "failed")]).await;
    assert_eq!(failed["total"], 30);
}

#[tokio::test]
async fn a_broad_search_counts_and_pages_to_a_thousand_and_asks_to_be_narrowed() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    practice_connect::server::seed::connections(&app.db, 1_200)
        .await
        .unwrap();
    app.log_in_staff(StaffRole::Support).await;
    // "e" is in almost every seeded practice's name: more than a search counts.
    let broad = app.list(&[("q", "e")]).await;
    assert_eq!(
        broad["total"], 1_051,
        "counted to the search depth and one page past it"
    );
    assert_eq!(broad["pages"], 21);
    let deepest = app.list(&[("q", "e"), ("page", "30")]).await;
    assert_eq!(
        deepest["page"], 21,
        "a deeper page is the deepest one offered"
    );
    assert_eq!(deepest["rows"].as_array().unwrap().len(), 50);
    // Without a search, the list still counts and pages to 10,000.
    let all = app.list(&[]).await;
    assert_eq!(all["total"], 1_200);
    assert_eq!(all["pages"], 24);
}

#[tokio::test]
async fn with_activate_false_a_connection_awaits_an_admin_to_activate_it_at_hint() {
    let app = TestApp::spawn_with(TestDb::Sqlite, &["--activate-on-exchange=false"]).await;
    app.ready_to_connect(RIVERBEND).await;
    let exchanged = app.connect().await;
    assert_eq!(exchanged["status"], "awaiting_activation");
    assert_eq!(exchanged["hint_status"], "pending");
    let onboarding = app.call("onboarding", &[]).await.unwrap();
    assert_eq!(onboarding["step"], "Done");
    app.call("log_out", &[]).await.unwrap();
    app.log_in_staff(StaffRole::Admin).await;
    let waiting = app.list(&[("status", "awaiting_activation")]).await;
    assert_eq!(waiting["total"], 1);
    let id = exchanged["id"].as_str().unwrap();
    let activated = app.action(id, "activate").await.unwrap();
    assert!(
        activated.as_str().unwrap().contains("Activated"),
        "{activated}"
    );
    let detail = app.call("admin/connection", &[("id", id)]).await.unwrap();
    assert_eq!(detail["row"]["status"], "connected");
}

#[tokio::test]
async fn a_provider_logging_in_at_a_shared_desk_does_not_inherit_a_staff_login() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let provider = app.another_browser().sign_up().await;
    app.log_in_staff(StaffRole::Admin).await;
    assert!(app.call("admin/me", &[]).await.is_ok());
    app.call("log_in", &[("email", &provider), ("password", PASSWORD)])
        .await
        .unwrap();
    assert_eq!(
        app.call("admin/summary", &[]).await.unwrap_err(),
        json!("Forbidden"),
        "the provider's session carries no staff rights"
    );
    // And the other way round: a staff login ends the provider's.
    app.log_in_staff(StaffRole::Support).await;
    assert_eq!(app.call("current_user", &[]).await.unwrap(), Value::Null);
}

#[tokio::test]
async fn signed_in_pages_and_server_function_answers_are_never_cached() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    app.sign_up().await;
    let page = app.get("/practices").await;
    assert_eq!(page.headers()["cache-control"], "no-store");
    let answer = app
        .client
        .post(format!("{}/api/my_connections", app.address))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn a_reveal_that_cannot_be_audited_gives_no_key() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let connected = app.connected_practice().await;
    let id = connected["id"].as_str().unwrap();
    app.log_in_staff(StaffRole::Admin).await;
    // The audit log refuses this one action, as a full disk or a broken database would.
    sqlx::query(
        "CREATE TRIGGER refuse_reveal_audit BEFORE INSERT ON audit_log WHEN NEW.action = 'key_revealed' \
         BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END",
    )
    .execute(app.db.pool())
    .await
    .unwrap();
    let refused = app.action(id, "reveal").await.unwrap_err();
    // The browser gets no key and no cause, only the request's id to quote to support.
    let reference = refused["Failed"]["reference"].as_str().unwrap_or_default();
    assert_eq!(reference.len(), 16, "{refused}");
    assert!(!refused.to_string().contains("audit unavailable"));
}

#[tokio::test]
async fn staff_see_what_to_register_with_hint_and_providers_do_not() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let provider = app.another_browser();
    provider.sign_up().await;
    assert_eq!(
        provider.call("admin/setup", &[]).await.unwrap_err(),
        json!("Forbidden")
    );
    app.log_in_staff(StaffRole::Support).await;
    let lines = app.call("admin/setup", &[]).await.unwrap();
    let text = lines.to_string();
    assert!(
        text.contains(&format!(
            "redirect URL to register with Hint: {}/signup?code=",
            app.address
        )),
        "{text}"
    );
    assert!(
        text.contains("reaches the landing"),
        "the landing check runs: {text}"
    );
    assert!(
        !text.contains("\"Fail\""),
        "development on the sandbox passes: {text}"
    );
}
