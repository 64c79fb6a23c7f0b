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

    async fn a_signed_webhook_made_a_day_ago_is_refused_as_a_replay(app) {
        let integration = connected_integration(&app).await;
        let day_ago = time::OffsetDateTime::now_utc().unix_timestamp() - 86_400;
        for created_at in [json!(iso_at(day_ago)), json!(null), json!("last tuesday")] {
            let body = serde_json::to_vec(&json!({
                "id": "evt-old", "type": "integration.deactivated", "practice_id": RIVERBEND,
                "created_at": created_at, "object": { "id": integration, "status": "inactive" }
            })).unwrap();
            let response = post_webhook(&app, &body, Some(&signature(SIGNING_KEY.as_bytes(), &body))).await;
            assert_eq!(response.status(), 400, "{created_at}");
        }
        assert_eq!(status_of(&app, &integration).await, "connected");
    }

    async fn event_ids_are_forgotten_only_once_their_events_are_too_old_to_replay(app) {
        let body = serde_json::to_vec(&json!({
            "id": "evt-prune", "type": "patient.created", "created_at": iso_now(), "object": {}
        })).unwrap();
        post_webhook(&app, &body, Some(&signature(SIGNING_KEY.as_bytes(), &body))).await;
        let fresh = practice_connect::server::housekeeping::run_once(&app.state).await;
        assert_eq!(fresh.webhook_ids, 0, "a fresh event's id is kept");
        sqlx::query("UPDATE webhook_events SET received_at = received_at - 3600").execute(app.db.pool()).await.unwrap();
        practice_connect::server::housekeeping::run_once(&app.state).await;
        let kept: i64 = sqlx::query("SELECT COUNT(*) AS n FROM webhook_events").fetch_one(app.db.pool()).await.unwrap().get("n");
        assert_eq!(kept, 0, "an id older than twice the window is forgotten");
    }

    async fn unknown_event_types_are_acknowledged_and_ignored(app) {
        let body = serde_json::to_vec(&json!({
            "id": "evt-new-kind", "type": "patient.created", "created_at": iso_now(), "object": {}
        })).unwrap();
        let response = post_webhook(&app, &body, Some(&signature(SIGNING_KEY.as_bytes(), &body))).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.json::<Value>().await.unwrap()["status"], "ignored");
    }

    async fn a_practice_rename_in_hint_updates_the_stored_name(app) {
        connected_integration(&app).await;
        let body = serde_json::to_vec(&json!({
            "id": "evt-rename", "type": "practice.updated", "practice_id": RIVERBEND,
            "created_at": iso_now(), "object": { "id": RIVERBEND, "name": "Riverbend DPC North" }
        })).unwrap();
        let response = post_webhook(&app, &body, Some(&signature(SIGNING_KEY.as_bytes(), &body))).await;
        assert_eq!(response.status(), 200);
        let name: String = sqlx::query("SELECT practice_name FROM connections WHERE practice_id = $1")
            .bind(RIVERBEND).fetch_one(app.db.pool()).await.unwrap().get("practice_name");
        assert_eq!(name, "Riverbend DPC North");
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
