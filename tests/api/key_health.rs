//! The key health job against the sandbox: a working key is recorded as verified, a key Hint
//! refuses marks the connection for a reconnect, and Hint's 429 and 503 leave things as they were.

use std::time::Duration;

use practice_connect::server::connections::health::{check_due_keys, Report};
use serde_json::json;
use sqlx::Row;

use crate::helpers::{TestApp, RIVERBEND, SANDBOX_PARTNER_KEY};
use crate::on_both_databases;

async fn connect_riverbend(app: &TestApp) {
    app.ready_to_connect(RIVERBEND).await;
    assert_eq!(app.connect().await["status"], "connected");
    // The exchange proves the new key just after answering; let it, then forget the proof.
    assert!(app.key_proved(RIVERBEND).await);
    sqlx::query("UPDATE connections SET last_verified_at = NULL")
        .execute(app.db.pool())
        .await
        .unwrap();
}

async fn status_and_verified(app: &TestApp) -> (String, Option<i64>) {
    let row =
        sqlx::query("SELECT status, last_verified_at FROM connections WHERE practice_id = $1")
            .bind(RIVERBEND)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    (row.get("status"), row.get("last_verified_at"))
}

on_both_databases! {
    async fn a_working_key_is_recorded_as_verified_and_not_checked_again_too_soon(app) {
        connect_riverbend(&app).await;
        let report = check_due_keys(&app.state, Duration::from_secs(3600)).await.unwrap();
        assert_eq!(report, Report { checked: 1, verified: 1, needs_reconnect: 0, failed: 0 });
        let (status, verified) = status_and_verified(&app).await;
        assert_eq!(status, "connected");
        assert!(verified.is_some());
        let again = check_due_keys(&app.state, Duration::from_secs(3600)).await.unwrap();
        assert_eq!(again.checked, 0, "checked within the hour: not due");
    }

    async fn a_key_hint_refuses_marks_the_connection_for_a_reconnect(app) {
        connect_riverbend(&app).await;
        // The practice reconnects elsewhere: Hint issues a new key and the stored one dies.
        let code = app.mint_code(RIVERBEND).await;
        let other = app.client.post(format!("{}/api/oauth/tokens", app.hint)).bearer_auth(SANDBOX_PARTNER_KEY)
            .json(&json!({ "grant_type": "authorization_code", "code": code })).send().await.unwrap();
        assert_eq!(other.status(), 200);
        let report = check_due_keys(&app.state, Duration::ZERO).await.unwrap();
        assert_eq!(report.needs_reconnect, 1);
        assert_eq!(status_and_verified(&app).await.0, "needs_reconnect");
    }

    async fn rate_limits_and_outages_leave_the_connection_as_it_was(app) {
        connect_riverbend(&app).await;
        for fault in ["rate_limited", "unavailable"] {
            app.set_faults(json!({ "kind": fault, "retry_after_secs": 0 })).await;
            let report = check_due_keys(&app.state, Duration::ZERO).await.unwrap();
            assert_eq!(report.failed, 1, "{fault}");
            assert_eq!(status_and_verified(&app).await, ("connected".to_owned(), None), "{fault}");
        }
        app.set_faults(json!({})).await;
        assert_eq!(check_due_keys(&app.state, Duration::ZERO).await.unwrap().verified, 1);
    }

    async fn two_instances_checking_at_once_check_each_key_once(app) {
        connect_riverbend(&app).await;
        let (first, second) = tokio::join!(
            check_due_keys(&app.state, Duration::from_secs(3600)),
            check_due_keys(&app.state, Duration::from_secs(3600)),
        );
        assert_eq!(first.unwrap().checked + second.unwrap().checked, 1);
    }
}
