//! Attacks on the connect flow and the sessions, each one a test that must fail to get through:
//! cross-site requests, replays, floods and slow clients.

use serde_json::json;
use sqlx::Row;

use crate::helpers::{TestApp, TestDb, PASSWORD, RIVERBEND};
use crate::on_both_databases;

/// Posts form `fields` to a server function as a page on `site` would, with the app's cookies.
async fn post_from(
    app: &TestApp,
    endpoint: &str,
    fields: &[(&str, &str)],
    sec_fetch_site: &str,
    origin: &str,
) -> reqwest::Response {
    app.client
        .post(format!("{}/api/{endpoint}", app.address))
        .header("accept", "application/json")
        .header("sec-fetch-site", sec_fetch_site)
        .header("origin", origin)
        .form(fields)
        .send()
        .await
        .expect("request sent")
}

on_both_databases! {
    async fn a_cross_site_login_form_is_refused_and_leaves_the_session_untouched(app) {
        let email = app.sign_up().await;
        app.call("log_out", &[]).await.unwrap();
        let attack = post_from(&app, "log_in", &[("email", &email), ("password", PASSWORD)],
            "cross-site", "http://attacker.example").await;
        assert_eq!(attack.status(), 403);
        assert_eq!(app.call("current_user", &[]).await.unwrap(), json!(null), "nobody was logged in");
    }

    async fn a_sibling_subdomain_cannot_call_a_server_function_with_the_cookie(app) {
        app.ready_to_connect(RIVERBEND).await;
        let attack = post_from(&app, "onboarding/connect", &[], "same-site", "http://evil.127.0.0.1").await;
        assert_eq!(attack.status(), 403);
        let onboarding = app.call("onboarding", &[]).await.unwrap();
        assert_eq!(onboarding["step"], "Review", "the wizard was not finished by the attack");
        // The same request from our own page goes through.
        assert_eq!(app.connect().await["status"], "connected");
    }

    async fn a_huge_retry_after_from_hint_neither_panics_nor_holds_the_request(app) {
        app.landed_and_signed_up(RIVERBEND).await;
        app.set_faults(json!({ "kind": "rate_limited", "retry_after_secs": u64::MAX, "times": 1 })).await;
        let answer = app.preview().await;
        assert_eq!(answer["status"], "pending");
        assert_eq!(answer["problem"], "hint_unavailable");
        assert_eq!(app.preview().await["status"], "awaiting_activation", "the next try goes through");
    }

    async fn an_exchange_stranded_by_a_dead_server_is_released_by_the_sweep(app) {
        app.landed_and_signed_up(RIVERBEND).await;
        // As if the server died right after winning the claim, long ago.
        sqlx::query("UPDATE connections SET status = 'exchanging', updated_at = updated_at - 3600")
            .execute(app.db.pool()).await.unwrap();
        let report = practice_connect::server::housekeeping::run_once(&app.state).await;
        assert_eq!(report.stranded_exchanges, 1);
        let row = sqlx::query("SELECT status, failure FROM connections").fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(row.get::<String, _>("status"), "pending");
        assert_eq!(row.get::<Option<String>, _>("failure").as_deref(), Some("no_answer"));
        assert_eq!(app.preview().await["status"], "awaiting_activation", "the provider can try again");
    }
}

#[tokio::test]
async fn a_write_without_any_origin_header_is_refused_but_hint_s_calls_are_not() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let bare = reqwest::Client::new();
    let refused = bare
        .post(format!("{}/api/log_in", app.address))
        .form(&[("email", "a@b.example"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let webhook = bare
        .post(format!("{}/hint/webhooks", app.address))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        webhook.status(),
        401,
        "webhooks reach their signature check"
    );
}

#[tokio::test]
async fn a_client_that_sends_half_a_header_line_is_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = TestApp::spawn_with(TestDb::Sqlite, &["--header-read-timeout-seconds", "1"]).await;
    let address = app.address.trim_start_matches("http://");
    let mut slow = tokio::net::TcpStream::connect(address).await.unwrap();
    slow.write_all(b"GET /healthz HT").await.unwrap();
    let mut buffer = [0u8; 1024];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), slow.read(&mut buffer))
        .await
        .expect("the server closed the connection well before 10 s");
    // Closed (0 bytes) or answered with an error status and closed: never a page.
    let answer = String::from_utf8_lossy(&buffer[..read.unwrap_or(0)]).to_string();
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    // The app still serves everyone else.
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn a_slow_hint_answer_outlives_the_request_and_leaves_nothing_exchanging() {
    let app = TestApp::spawn_with(TestDb::Sqlite, &["--request-timeout-seconds", "1"]).await;
    app.landed_and_signed_up(RIVERBEND).await;
    app.set_faults(json!({ "latency_ms": 3000 })).await;
    let dropped = app
        .client
        .post(format!("{}/api/onboarding", app.address))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(dropped.status(), 408, "the request timed out");
    for header in [
        "content-security-policy",
        "x-content-type-options",
        "cache-control",
    ] {
        assert!(
            dropped.headers().contains_key(header),
            "the 408 lacks {header}"
        );
    }
    let mut status = String::new();
    for _ in 0..300 {
        status = sqlx::query("SELECT status FROM connections")
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .get("status");
        if status != "exchanging" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        status, "awaiting_activation",
        "the exchange finished on its own and its key was kept"
    );
    let report = practice_connect::server::housekeeping::run_once(&app.state).await;
    assert_eq!(report.stranded_exchanges, 0);
}
