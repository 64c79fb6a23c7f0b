//! Attacks on the connect flow and the sessions, each one a test that must fail to get through:
//! cross-site requests, replays, floods and slow clients.

use serde_json::json;
use sqlx::Row;

use crate::helpers::{status_line_over_a_new_connection, TestApp, TestDb, PASSWORD, RIVERBEND};
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

async fn mails_to(app: &TestApp, address: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM mail_outbox WHERE recipient = $1")
        .bind(address)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .get("n")
}

#[tokio::test]
async fn the_app_is_no_relay_for_confirmations_changes_of_email_or_taken_sign_ups() {
    use practice_connect::server::throttle::MAILS_PER_WINDOW;

    let app =
        TestApp::spawn_with(TestDb::Sqlite, &["--client-requests-per-minute", "100000"]).await;
    let email = app.sign_up().await;
    // "Send the confirmation again", over and over: the account's budget ends it.
    let mut refused = 0;
    for _ in 0..10 {
        if let Err(error) = app.call("account/verify_again", &[]).await {
            assert!(
                error["RateLimited"]["retry_after_seconds"]
                    .as_u64()
                    .unwrap()
                    >= 1,
                "{error}"
            );
            refused += 1;
        }
    }
    assert!(refused >= 10 - MAILS_PER_WINDOW, "{refused} of 10 refused");
    assert!(
        mails_to(&app, &email).await <= MAILS_PER_WINDOW,
        "at most the budget was sent"
    );

    // Changes of email aimed at a stranger's inbox, from several accounts in turn: the
    // address's own budget ends it.
    let victim = "victim@elsewhere.example";
    for _ in 0..4 {
        let spammer = app.another_browser();
        spammer.sign_up().await;
        for _ in 0..3 {
            let _ = spammer
                .call(
                    "account/email",
                    &[("new_email", victim), ("password", PASSWORD)],
                )
                .await;
        }
    }
    let sent = mails_to(&app, victim).await;
    assert!(
        (1..=MAILS_PER_WINDOW).contains(&sent),
        "{sent} mails reached the stranger's inbox"
    );

    // Sign-ups with a taken address tell its owner, but not without end, and answer alike.
    let owner = app.another_browser().sign_up().await;
    for _ in 0..8 {
        let answer = app.another_browser().sign_up_as(&owner).await;
        assert!(answer.status().is_success() || answer.status() == 302 || answer.status() == 303);
    }
    // The confirmation of the owner's own sign-up was the first of the address's budget.
    assert_eq!(
        mails_to(&app, &owner).await,
        MAILS_PER_WINDOW,
        "the notices stop"
    );
}

#[tokio::test]
async fn a_name_cannot_carry_a_message_into_our_mail() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let email = format!("{}@practice.example", crate::helpers::unique_name("dr"));
    let answer = app
        .client
        .post(format!("{}/api/sign_up", app.address))
        .header("accept", "application/json")
        .form(&[
            (
                "name",
                "Ana\nYour account is locked: https://evil.example/unlock",
            ),
            ("email", email.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    assert_eq!(mails_to(&app, &email).await, 0, "no mail was queued");
}

#[tokio::test]
async fn one_host_holding_its_share_of_half_open_connections_cannot_take_more() {
    use tokio::io::AsyncWriteExt;

    let app = TestApp::spawn_with(
        TestDb::Sqlite,
        &[
            "--max-connections-per-client",
            "4",
            "--header-read-timeout-seconds",
            "60",
        ],
    )
    .await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
        slow.write_all(b"GET /healthz HT").await.unwrap();
        held.push(slow);
    }
    // The server accepts in the order the connections arrived: the four come first.
    assert_eq!(
        status_line_over_a_new_connection(&address, "GET").await,
        "",
        "the fifth connection is closed unanswered"
    );
    drop(held);
    let mut answer = String::new();
    for _ in 0..100 {
        answer = status_line_over_a_new_connection(&address, "GET").await;
        if !answer.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(answer, "HTTP/1.1 200 OK", "the host's share came back");
}
