//! Liveness and readiness probes, and the status server function.

use crate::on_both_databases;

on_both_databases! {
    async fn healthz_answers_ok(app) {
        let response = app.get("/healthz").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "ok");
    }

    async fn readyz_answers_ready_when_the_database_is_up(app) {
        let response = app.get("/readyz").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "ready");
    }

    async fn readyz_answers_503_when_the_database_is_gone(app) {
        app.db.close().await;
        let response = app.get("/readyz").await;
        assert_eq!(response.status(), 503);
    }

    async fn the_status_server_function_reports_the_database(app) {
        let response = app
            .client
            .post(format!("{}/api/system_status", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body("")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let status: serde_json::Value = response.json().await.unwrap();
        assert_eq!(status["database_ok"], true);
        assert_eq!(status["details"], serde_json::Value::Null, "internals are for staff only");
        assert!(!status.to_string().contains(env!("CARGO_PKG_VERSION")), "{status}");
        assert!(status["sandbox_marketplace"].as_str().unwrap().ends_with("/marketplace"), "development mode links the sandbox");
    }

    async fn migrations_create_the_audit_log_and_forbid_editing_it(app) {
        sqlx::query(
            "INSERT INTO audit_log (at, actor_kind, action, outcome) VALUES ($1, 'system', 'test', 'ok')",
        )
        .bind(1_i64)
        .execute(app.db.pool())
        .await
        .unwrap();
        let update = sqlx::query("UPDATE audit_log SET outcome = 'changed'").execute(app.db.pool()).await;
        assert!(update.is_err(), "the audit log must be append-only");
        let delete = sqlx::query("DELETE FROM audit_log").execute(app.db.pool()).await;
        assert!(delete.is_err(), "the audit log must be append-only");
    }
}
