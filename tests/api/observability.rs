//! What operators see: a request id on every answer and error page, and one access-log line per
//! request carrying it, with the route but never the query string.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::helpers::{unique_name, TestApp, TestDb};

#[tokio::test]
async fn every_answer_has_its_own_request_id_and_error_pages_show_it() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let forged = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "forged-by-the-client")
        .send()
        .await
        .unwrap();
    let id = forged.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 16, "{id}");
    assert_ne!(id, "forged-by-the-client");
    let again = app.get("/healthz").await;
    assert_ne!(again.headers()["x-request-id"].to_str().unwrap(), id);

    let missing = app.get("/no/such/page").await;
    assert_eq!(missing.status(), 404);
    let reference = missing.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let page = missing.text().await.unwrap();
    assert!(
        page.contains(&format!(
            "quote this reference: <code class=\"reference\">{reference}</code>"
        )),
        "the 404 page shows its own request id"
    );
}

#[tokio::test]
async fn one_access_log_line_per_request_with_its_id_and_no_query_string() {
    let scratch = std::env::temp_dir().join(unique_name("pc-log"));
    let mut server = Command::new(env!("CARGO_BIN_EXE_practice-connect"))
        .env_clear()
        .env("APP_ENV", "development")
        .env("LOG_FORMAT", "json")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/app.db", scratch.display()),
        )
        .env("DATA_DIR", scratch.join("data"))
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("SANDBOX_LISTEN", "127.0.0.1:0")
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary runs");
    // The log is read on a thread of its own; lines arrive here.
    let (sender, lines) = mpsc::channel::<String>();
    let stdout = server.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let next_line = || {
        lines
            .recv_timeout(Duration::from_secs(10))
            .expect("log lines keep coming")
    };
    let mut address = None;
    while address.is_none() {
        let entry: serde_json::Value = serde_json::from_str(&next_line()).unwrap_or_default();
        address = entry["address"].as_str().map(str::to_owned);
    }
    let address = address.expect("the server says where it listens");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let landed = client
        .get(format!(
            "http://{address}/signup?code=QuerySecret0123456789"
        ))
        .send()
        .await
        .unwrap();
    let id = landed.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let detail = client
        .get(format!("http://{address}/admin/connections/con_abc"))
        .send()
        .await
        .unwrap();
    let detail_id = detail.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();

    let mut access = Vec::new();
    let mut everything = String::new();
    while access.len() < 2 {
        let line = next_line();
        everything.push_str(&line);
        let entry: serde_json::Value = serde_json::from_str(&line).unwrap();
        if entry["message"] == "request" {
            access.push(entry);
        }
    }
    server.kill().unwrap();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&scratch);

    let span = |entry: &serde_json::Value| entry["spans"][0].clone();
    assert_eq!(access[0]["level"], "INFO");
    assert_eq!(access[0]["status"], 303);
    assert!(access[0]["latency_ms"].as_f64().is_some());
    assert_eq!(span(&access[0])["method"], "GET");
    assert_eq!(span(&access[0])["path"], "/signup");
    assert_eq!(span(&access[0])["request_id"], id.as_str());
    // A route with a parameter is logged by its template.
    assert_eq!(span(&access[1])["path"], "/admin/connections/{id}");
    assert_eq!(span(&access[1])["request_id"], detail_id.as_str());
    assert!(!everything.contains("QuerySecret"), "{everything}");
    assert!(!everything.contains("con_abc"), "{everything}");
}

/// The value of one series in Prometheus's text format (0 when absent).
fn series(text: &str, name_and_labels: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name_and_labels)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_are_served_apart_and_move_with_a_journey() {
    let app = TestApp::spawn_with(TestDb::Sqlite, &["--metrics-listen", "127.0.0.1:0"]).await;
    let metrics = app.metrics.clone().expect("a metrics listener");
    let scrape = || async {
        reqwest::get(format!("{metrics}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let before = scrape().await;
    app.ready_to_connect(crate::helpers::RIVERBEND).await;
    assert_eq!(app.connect().await["status"], "connected");
    let after = scrape().await;

    let connected = r#"exchanges_total{outcome="connected"}"#;
    assert!(
        series(&after, connected) >= series(&before, connected) + 1.0,
        "{after}"
    );
    let tokens = r#"hint_requests_total{endpoint="/api/oauth/tokens",status="200"}"#;
    assert!(
        series(&after, tokens) >= series(&before, tokens) + 1.0,
        "{after}"
    );
    for name in [
        "http_requests_total{",
        "http_request_duration_seconds_bucket{",
        "hint_request_duration_seconds_bucket{",
        "password_hashes_in_flight",
        "database_connections{",
    ] {
        assert!(after.contains(name), "{name} in {after}");
    }
    // Routes are templates, never ids or query strings.
    assert!(
        after.contains(r#"route="/api/onboarding/connect""#) || after.contains("route=\"/api/"),
        "{after}"
    );
    assert!(!after.contains("code="), "{after}");
    // The public listener does not serve them.
    assert_eq!(app.get("/metrics").await.status(), 404);
}

#[tokio::test]
async fn a_failure_on_our_side_answers_with_the_reference_to_quote() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    // A broken database: every login fails on our side.
    sqlx::query("DROP TABLE login_attempts")
        .execute(app.db.pool())
        .await
        .unwrap();
    let response = app
        .client
        .post(format!("{}/api/log_in", app.address))
        .header("accept", "application/json")
        .form(&[("email", "a@b.example"), ("password", "whatever-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({ "Failed": { "reference": id } }));
    let shown: practice_connect::domain::AppError = serde_json::from_value(body).unwrap();
    assert!(shown
        .to_string()
        .contains(&format!("quote this reference: {id}")));
}
