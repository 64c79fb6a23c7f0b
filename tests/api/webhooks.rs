//! Hint's webhooks delivered by the sandbox into the app, and headless connect.

use std::time::Duration;

use practice_connect::sandbox::webhooks::signature;
use serde_json::{json, Value};
use sqlx::Row;

use crate::helpers::{TestApp, TestDb, RIVERBEND, SANDBOX_PARTNER_KEY};
use crate::on_both_databases;

/// Now, as Hint writes an event's `created_at`.
pub fn iso_now() -> String {
    iso_at(time::OffsetDateTime::now_utc().unix_timestamp())
}

/// A unix time as Hint writes an event's `created_at`.
pub fn iso_at(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// The in-process sandbox signs with its default key unless HINT_WEBHOOK_SECRET is set.
const SIGNING_KEY: &str = "sandbox-webhook-secret";

async fn status_of(app: &TestApp, integration_id: &str) -> String {
    sqlx::query("SELECT status FROM connections WHERE integration_id = $1 AND merged_into IS NULL")
        .bind(integration_id)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .get("status")
}

async fn wait_for_status(app: &TestApp, integration_id: &str, expected: &str) -> String {
    let mut status = String::new();
    for _ in 0..100 {
        status = status_of(app, integration_id).await;
        if status == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    status
}

async fn connected_integration(app: &TestApp) -> String {
    app.ready_to_connect(RIVERBEND).await;
    app.connect().await;
    sqlx::query("SELECT integration_id FROM connections WHERE practice_id = $1")
        .bind(RIVERBEND)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .get("integration_id")
}

/// A signed-able event body about `integration`.
fn event_body(id: &str, kind: &str, integration: &str, created_at: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id, "type": kind, "practice_id": RIVERBEND, "created_at": created_at,
        "object": { "id": integration, "status": if kind.ends_with("activated") && !kind.ends_with("deactivated") { "connected" } else { "inactive" } }
    }))
    .unwrap()
}

/// Puts back the `webhook_events` table a test dropped to make the app fail webhooks.
async fn restore_webhook_events(app: &TestApp) {
    sqlx::query("CREATE TABLE webhook_events (id TEXT PRIMARY KEY, type TEXT NOT NULL, received_at BIGINT NOT NULL)")
        .execute(app.db.pool())
        .await
        .unwrap();
}

/// Waits until every webhook the sandbox sent so far has been delivered (and so applied), then
/// dates the connection's last applied event `hours_ago`: the history the test's events arrive
/// after.
async fn history_from(app: &TestApp, integration: &str, hours_ago: i64) {
    for _ in 0..100 {
        let log = app.sandbox_admin("deliveries").await;
        let log = log.as_array().unwrap();
        if !log.is_empty() && log.iter().all(|delivery| delivery["delivered"] == true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let at = time::OffsetDateTime::now_utc().unix_timestamp() - hours_ago * 3600;
    sqlx::query("UPDATE connections SET last_event_at = $1 WHERE integration_id = $2")
        .bind(at)
        .bind(integration)
        .execute(app.db.pool())
        .await
        .unwrap();
}

async fn post_webhook(app: &TestApp, body: &[u8], signature: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/hint/webhooks", app.address))
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header("x-hint-signature", signature);
    }
    request.send().await.unwrap()
}

on_both_databases! {
    async fn a_deactivation_in_hint_reaches_the_app_by_signed_webhook(app) {
        let integration = connected_integration(&app).await;
        let deactivated = app.client.post(format!("{}/api/integrations/{integration}/deactivate", app.hint))
            .bearer_auth(SANDBOX_PARTNER_KEY).send().await.unwrap();
        assert_eq!(deactivated.status(), 200);
        assert_eq!(wait_for_status(&app, &integration, "disconnected").await, "disconnected");
        let mut audit = 0_i64;
        for _ in 0..100 {
            audit = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'webhook_integration_deactivated'")
                .fetch_one(app.db.pool()).await.unwrap().get("n");
            if audit > 0 { break; }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(audit, 1, "the applied event is on the connection's timeline");
        let activated = app.client.post(format!("{}/api/integrations/{integration}/activate", app.hint))
            .bearer_auth(SANDBOX_PARTNER_KEY).send().await.unwrap();
        assert_eq!(activated.status(), 200);
        assert_eq!(wait_for_status(&app, &integration, "connected").await, "connected");
    }

    async fn tampered_unsigned_or_wrongly_signed_webhooks_are_refused_and_change_nothing(app) {
        let integration = connected_integration(&app).await;
        let body = serde_json::to_vec(&json!({
            "id": "evt-test-1", "type": "integration.deactivated", "practice_id": RIVERBEND,
            "created_at": iso_now(), "object": { "id": integration, "status": "inactive" }
        })).unwrap();
        let good = signature(SIGNING_KEY.as_bytes(), &body);
        let mut tampered = body.clone();
        tampered[10] ^= 1;
        assert_eq!(post_webhook(&app, &tampered, Some(&good)).await.status(), 401);
        assert_eq!(post_webhook(&app, &body, Some(&signature(b"wrong-key", &body))).await.status(), 401);
        assert_eq!(post_webhook(&app, &body, None).await.status(), 401);
        assert_eq!(status_of(&app, &integration).await, "connected");

        let applied: Value = post_webhook(&app, &body, Some(&good)).await.json().await.unwrap();
        assert_eq!(applied["status"], "applied");
        assert_eq!(status_of(&app, &integration).await, "disconnected");
        // Reconnected meanwhile; the same delivery again must change nothing.
        sqlx::query("UPDATE connections SET status = 'connected' WHERE integration_id = $1")
            .bind(&integration).execute(app.db.pool()).await.unwrap();
        let repeated: Value = post_webhook(&app, &body, Some(&good)).await.json().await.unwrap();
        assert_eq!(repeated["status"], "duplicate");
        assert_eq!(status_of(&app, &integration).await, "connected");
    }

    async fn a_signed_event_made_hours_ago_is_applied_once_whatever_its_age(app) {
        // Hint retries a failed delivery hourly for 72 hours with the original body.
        let integration = connected_integration(&app).await;
        history_from(&app, &integration, 3).await;
        let two_hours_ago = time::OffsetDateTime::now_utc().unix_timestamp() - 2 * 3600;
        let body = event_body("evt-late", "integration.deactivated", &integration, &iso_at(two_hours_ago));
        let applied = post_webhook(&app, &body, Some(&signature(SIGNING_KEY.as_bytes(), &body))).await;
        assert_eq!(applied.status(), 200);
        assert_eq!(applied.json::<Value>().await.unwrap()["status"], "applied");
        assert_eq!(status_of(&app, &integration).await, "disconnected");
        let again = post_webhook(&app, &body, Some(&signature(SIGNING_KEY.as_bytes(), &body))).await;
        assert_eq!(again.status(), 200);
        assert_eq!(again.json::<Value>().await.unwrap()["status"], "duplicate");
    }

    async fn an_older_event_delivered_after_a_newer_one_changes_nothing(app) {
        let integration = connected_integration(&app).await;
        history_from(&app, &integration, 3).await;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        // The deactivation failed to arrive at first; the later activation arrived; then Hint's
        // retry of the deactivation comes.
        let newer = event_body("evt-newer", "integration.activated", &integration, &iso_at(now - 60));
        let older = event_body("evt-older", "integration.deactivated", &integration, &iso_at(now - 3600));
        let first: Value = post_webhook(&app, &newer, Some(&signature(SIGNING_KEY.as_bytes(), &newer))).await.json().await.unwrap();
        assert_eq!(first["status"], "applied");
        let late = post_webhook(&app, &older, Some(&signature(SIGNING_KEY.as_bytes(), &older))).await;
        assert_eq!(late.status(), 200, "acknowledged, so Hint stops retrying");
        assert_eq!(late.json::<Value>().await.unwrap()["status"], "stale: a later event was applied");
        assert_eq!(status_of(&app, &integration).await, "connected");
    }

    async fn a_delivery_that_failed_lands_with_the_sandboxs_retry_an_hour_later(app) {
        let integration = connected_integration(&app).await;
        // The app fails every webhook (its table is gone: a 500) when the practice is deactivated.
        sqlx::query("DROP TABLE webhook_events").execute(app.db.pool()).await.ok();
        let deactivated = app.client.post(format!("{}/api/integrations/{integration}/deactivate", app.hint))
            .bearer_auth(SANDBOX_PARTNER_KEY).send().await.unwrap();
        assert_eq!(deactivated.status(), 200);
        let mut first = Value::Null;
        for _ in 0..100 {
            let log: Vec<Value> = serde_json::from_value(app.sandbox_admin("deliveries").await).unwrap();
            if let Some(delivery) = log.iter().find(|d| d["type"] == "integration.deactivated" && d["attempts"] == 1) {
                first = delivery.clone();
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(first["delivered"], false, "{first}");
        assert_eq!(status_of(&app, &integration).await, "connected");
        // The app is back; an hour later on the sandbox's clock, the retry lands.
        restore_webhook_events(&app).await;
        app.client.post(format!("{}/sandbox/admin/clock", app.hint)).json(&json!({ "advance_seconds": 3600 }))
            .send().await.unwrap();
        assert_eq!(wait_for_status(&app, &integration, "disconnected").await, "disconnected");
    }

    async fn event_ids_are_kept_past_hints_72_hours_of_retries(app) {
        let body = serde_json::to_vec(&json!({
            "id": "evt-prune", "type": "patient.created", "created_at": iso_now(), "object": {}
        })).unwrap();
        post_webhook(&app, &body, Some(&signature(SIGNING_KEY.as_bytes(), &body))).await;
        sqlx::query("UPDATE webhook_events SET received_at = received_at - 72 * 3600").execute(app.db.pool()).await.unwrap();
        let kept = practice_connect::server::housekeeping::run_once(&app.state).await;
        assert_eq!(kept.webhook_ids, 0, "an id 72 hours old is still kept");
        let again = post_webhook(&app, &body, Some(&signature(SIGNING_KEY.as_bytes(), &body))).await;
        assert_eq!(again.json::<Value>().await.unwrap()["status"], "duplicate");
        sqlx::query("UPDATE webhook_events SET received_at = received_at - 2 * 3600").execute(app.db.pool()).await.unwrap();
        practice_connect::server::housekeeping::run_once(&app.state).await;
        let left: i64 = sqlx::query("SELECT COUNT(*) AS n FROM webhook_events").fetch_one(app.db.pool()).await.unwrap().get("n");
        assert_eq!(left, 0, "an id older than 73 hours is forgotten");
    }

    async fn unknown_event_types_are_acknowledged_and_ignored(app) {
        let body = serde_json::to_vec(&json!({
            "id": "evt-new-kind", "type": "patient.created", "created_at": iso_now(), "object": {}
        })).unwrap();
        let response = post_webhook(&app, &body, Some(&signature(SIGNING_KEY.as_bytes(), &body))).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.json::<Value>().await.unwrap()["status"], "ignored");
    }

    async fn practice_events_hint_does_not_document_are_acknowledged_and_change_nothing(app) {
        let integration = connected_integration(&app).await;
        for (id, kind) in [("evt-rename", "practice.updated"), ("evt-gone", "practice.deactivated")] {
            let body = serde_json::to_vec(&json!({
                "id": id, "type": kind, "practice_id": RIVERBEND,
                "created_at": iso_now(), "object": { "id": RIVERBEND, "name": "Riverbend DPC North" }
            })).unwrap();
            let response = post_webhook(&app, &body, Some(&signature(SIGNING_KEY.as_bytes(), &body))).await;
            assert_eq!(response.status(), 200);
            assert_eq!(response.json::<Value>().await.unwrap()["status"], "ignored");
        }
        let name: String = sqlx::query("SELECT practice_name FROM connections WHERE practice_id = $1")
            .bind(RIVERBEND).fetch_one(app.db.pool()).await.unwrap().get("practice_name");
        assert_ne!(name, "Riverbend DPC North");
        assert_eq!(status_of(&app, &integration).await, "connected");
    }

    async fn headless_connect_exchanges_once_and_waits_for_a_provider(app) {
        let code = app.mint_code(RIVERBEND).await;
        let response = app.client.post(format!("{}/hint/connect/{code}", app.address)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.json::<Value>().await.unwrap(), json!({ "status": "connected" }));
        let row = sqlx::query("SELECT user_id, status FROM connections WHERE practice_id = $1")
            .bind(RIVERBEND).fetch_one(app.db.pool()).await.unwrap();
        assert!(row.get::<Option<String>, _>("user_id").is_none(), "no provider yet");
        assert_eq!(row.get::<String, _>("status"), "connected");
        let again = app.client.post(format!("{}/hint/connect/{code}", app.address)).send().await.unwrap();
        assert_eq!(again.status(), 200, "a repeated call reports the same outcome");
        assert_eq!(app.token_requests().await, 1);
    }
}

#[tokio::test]
async fn headless_connect_reports_hint_failures_and_can_be_turned_off() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let bad = app
        .client
        .post(format!("{}/hint/connect/bad!code", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let unknown = app
        .client
        .post(format!("{}/hint/connect/NoSuchCode12345678", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 422);
    app.set_faults(json!({ "kind": "unavailable" })).await;
    let code = app.mint_code(RIVERBEND).await;
    let outage = app
        .client
        .post(format!("{}/hint/connect/{code}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(
        outage.status(),
        502,
        "Hint will call again; the code was not spent"
    );
    app.set_faults(json!({})).await;
    let retried = app
        .client
        .post(format!("{}/hint/connect/{code}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), 200);

    let off = TestApp::spawn_with(TestDb::Sqlite, &["--headless-connect=false"]).await;
    let refused = off
        .client
        .post(format!("{}/hint/connect/AnyCode12345678", off.address))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
}

#[tokio::test]
async fn during_a_rotation_both_secrets_are_accepted_and_no_webhook_is_lost() {
    let app = TestApp::spawn_with(
        TestDb::Sqlite,
        &[
            "--hint-webhook-secret",
            "the-current-signing-secret,the-next-signing-secret",
        ],
    )
    .await;
    let integration = connected_integration(&app).await;
    history_from(&app, &integration, 1).await;
    let old = event_body(
        "evt-old-key",
        "integration.deactivated",
        &integration,
        &iso_at(time::OffsetDateTime::now_utc().unix_timestamp() - 120),
    );
    let new = event_body(
        "evt-new-key",
        "integration.activated",
        &integration,
        &iso_now(),
    );
    let neither = event_body(
        "evt-no-key",
        "integration.deactivated",
        &integration,
        &iso_now(),
    );
    let signed_old = post_webhook(
        &app,
        &old,
        Some(&signature(b"the-current-signing-secret", &old)),
    )
    .await;
    assert_eq!(
        signed_old.json::<Value>().await.unwrap()["status"],
        "applied"
    );
    let signed_new = post_webhook(
        &app,
        &new,
        Some(&signature(b"the-next-signing-secret", &new)),
    )
    .await;
    assert_eq!(
        signed_new.json::<Value>().await.unwrap()["status"],
        "applied"
    );
    let forged = post_webhook(
        &app,
        &neither,
        Some(&signature(b"some-other-secret", &neither)),
    )
    .await;
    assert_eq!(forged.status(), 401);
    assert_eq!(status_of(&app, &integration).await, "connected");
}
