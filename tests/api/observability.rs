//! What operators see: a request id on every answer and error page, and one access-log line per
//! request carrying it, with the route but never the query string.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::helpers::{status_line_over_a_new_connection, unique_name, TestApp, TestDb};

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
async fn a_trusted_proxy_s_request_id_is_kept_so_both_logs_join_up() {
    let app = TestApp::spawn_with(TestDb::Sqlite, &["--trusted-proxies", "127.0.0.1/32"]).await;
    let sent = |id: &'static str| {
        app.client
            .get(format!("{}/no/such/page", app.address))
            .header("x-request-id", id)
            .send()
    };
    let kept = sent("nginx-5f2b1c9e0a7d4e3f").await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], "nginx-5f2b1c9e0a7d4e3f");
    let page = kept.text().await.unwrap();
    assert!(
        page.contains("nginx-5f2b1c9e0a7d4e3f"),
        "the error page quotes it"
    );
    // Not an id a log could take at face value: replaced, even from the proxy.
    let replaced = sent("two words").await.unwrap();
    assert_eq!(replaced.headers()["x-request-id"].len(), 16);
}

#[tokio::test]
async fn one_access_log_line_per_request_with_its_id_and_no_query_string() {
    let scratch = std::env::temp_dir().join(unique_name("pc-log"));
    let (mut server, address, lines) = serve_binary(&scratch, &[]);
    let next_line = || {
        lines
            .recv_timeout(Duration::from_secs(10))
            .expect("log lines keep coming")
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // A load balancer's probes are answered (with their own id) and not logged.
    for probe in ["/healthz", "/readyz"] {
        let answer = client
            .get(format!("http://{address}{probe}"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        assert!(answer.headers().contains_key("x-request-id"));
    }
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

    // The request's span fields sit at the top level of each line, beside the event's.
    assert_eq!(access[0]["level"], "INFO");
    assert_eq!(access[0]["status"], 303);
    assert!(access[0]["latency_ms"].as_f64().is_some());
    assert_eq!(access[0]["method"], "GET");
    assert_eq!(access[0]["path"], "/signup");
    assert_eq!(access[0]["request_id"], id.as_str());
    // A route with a parameter is logged by its template.
    assert_eq!(access[1]["path"], "/admin/connections/{id}");
    assert_eq!(access[1]["request_id"], detail_id.as_str());
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
    let brewed =
        status_line_over_a_new_connection(app.address.trim_start_matches("http://"), "BREWCOFFEE")
            .await;
    assert!(brewed.starts_with("HTTP/1.1 501"), "{brewed}");
    app.ready_to_connect(crate::helpers::RIVERBEND).await;
    assert_eq!(app.connect().await["status"], "connected");
    // A cross-site form post, refused by the origin rule before any handler.
    let cross_site = reqwest::Client::new()
        .post(format!("{}/api/log_in", app.address))
        .header("sec-fetch-site", "cross-site")
        .form(&[("email", "a@b.example"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    let after = scrape().await;
    let refused =
        r#"practice_connect_http_requests_total{method="POST",route="/api/log_in",status="403"}"#;
    assert!(
        series(&after, refused) >= 1.0,
        "the origin rule's 403 is counted: {after}"
    );
    let landed =
        r#"practice_connect_http_requests_total{method="GET",route="/signup",status="303"}"#;
    let landed_before = series(&before, landed);
    assert!(
        series(&after, landed) >= landed_before + 1.0,
        "the landing's redirect is counted: {after}"
    );
    for name in [
        "# HELP practice_connect_http_requests_total ",
        "practice_connect_build_info{version=\"",
        "practice_connect_connections{status=\"connected\"} 1",
        "practice_connect_mail_queue_depth ",
        "practice_connect_mail_queue_oldest_age_seconds ",
        "practice_connect_process_resident_memory_bytes ",
        "practice_connect_process_open_fds ",
        "practice_connect_process_cpu_seconds_total ",
    ] {
        assert!(after.contains(name), "{name} in {after}");
    }

    let connected = r#"practice_connect_exchanges_total{outcome="connected"}"#;
    assert!(
        series(&after, connected) >= series(&before, connected) + 1.0,
        "{after}"
    );
    let tokens =
        r#"practice_connect_hint_requests_total{endpoint="/api/oauth/tokens",status="200"}"#;
    assert!(
        series(&after, tokens) >= series(&before, tokens) + 1.0,
        "{after}"
    );
    for name in [
        "practice_connect_http_requests_total{",
        "http_request_duration_seconds_bucket{",
        "hint_request_duration_seconds_bucket{",
        "practice_connect_password_hashes_in_flight",
        "practice_connect_database_connections{",
    ] {
        assert!(after.contains(name), "{name} in {after}");
    }
    // Routes are templates, never ids or query strings.
    assert!(
        after.contains(r#"route="/api/onboarding/connect""#) || after.contains("route=\"/api/"),
        "{after}"
    );
    assert!(!after.contains("code="), "{after}");
    // Methods are labels from a closed set: the one a client made up is nowhere.
    assert!(!after.contains("BREWCOFFEE"), "{after}");
    for line in after.lines().filter(|line| line.contains("method=\"")) {
        let method = line
            .split("method=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(
            ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"].contains(&method),
            "{line}"
        );
    }
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

/// The resident memory of process `pid`, in bytes (Linux).
fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/<pid>/status");
    kb * 1024
}

/// The real binary serving on SQLite with `extra` settings (JSON logs): the process, its public
/// address, and its log lines from the one that gave the address on. The caller reads the lines
/// (or drains them), so the server never blocks on a full pipe.
fn serve_binary(
    scratch: &std::path::Path,
    extra: &[(&str, &str)],
) -> (std::process::Child, String, mpsc::Receiver<String>) {
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
        .envs(extra.iter().copied())
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary runs");
    let stdout = server.stdout.take().unwrap();
    let (sender, lines) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    loop {
        let Ok(line) = lines.recv_timeout(Duration::from_secs(30)) else {
            let _ = server.kill();
            let _ = server.wait();
            panic!("the server did not say where it listens");
        };
        let entry: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if let Some(address) = entry["address"].as_str() {
            return (server, address.to_owned(), lines);
        }
    }
}

#[tokio::test]
async fn a_flood_of_unique_long_methods_leaves_no_memory_behind_with_or_without_metrics() {
    for extra in [&[][..], &[("METRICS_LISTEN", "127.0.0.1:0")][..]] {
        let scratch = std::env::temp_dir().join(unique_name("pc-methods"));
        let (mut server, address, lines) = serve_binary(&scratch, extra);
        // The log is read and dropped, so the pipe never fills.
        std::thread::spawn(move || while lines.recv().is_ok() {});
        // Warm up on ordinary requests, so the baseline holds what serving needs anyway.
        for _ in 0..200 {
            assert!(status_line_over_a_new_connection(&address, "GET")
                .await
                .contains("200"));
        }
        let before = rss_bytes(server.id());
        let filler = "A".repeat(50 * 1024);
        for i in 0..2_000 {
            let answer =
                status_line_over_a_new_connection(&address, &format!("X{i}{filler}")).await;
            assert!(
                answer.is_empty()
                    || answer.starts_with("HTTP/1.1 501")
                    || answer.starts_with("HTTP/1.1 4"),
                "{answer}"
            );
        }
        let after = rss_bytes(server.id());
        server.kill().unwrap();
        let _ = server.wait();
        let _ = std::fs::remove_dir_all(&scratch);
        let grown = after.saturating_sub(before);
        eprintln!(
            "{extra:?}: RSS {:.1} MB before, {:.1} MB after 2,000 unique methods of 50 KB",
            before as f64 / 1048576.0,
            after as f64 / 1048576.0
        );
        assert!(
            grown < 16 * 1024 * 1024,
            "{extra:?}: 2,000 unique methods of 50 KB grew the server by {} MB",
            grown / (1024 * 1024)
        );
    }
}

#[tokio::test]
async fn a_caller_s_trace_reaches_hint_on_every_attempt_with_our_own_parent_id() {
    use std::sync::{Arc, Mutex};

    // A Hint that is down, noting the `traceparent` of every call it gets.
    let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let hint = axum::Router::new().fallback({
        let seen = seen.clone();
        move |headers: axum::http::HeaderMap| async move {
            let trace = headers
                .get("traceparent")
                .map(|value| value.to_str().unwrap().to_owned());
            seen.lock().unwrap().push(trace);
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, "down")
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hint_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, hint).await });
    let app = TestApp::spawn_with(
        TestDb::Sqlite,
        &[
            "--hint-api-base-url",
            &hint_url,
            "--hint-partner-api-key",
            "pk_test_traced",
        ],
    )
    .await;
    assert_eq!(
        app.land("AbCdEfGhIjKlMnOpQrStUv0123456789").await.status(),
        303
    );
    app.sign_up().await;

    let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let answer = app
        .client
        .post(format!("{}/api/onboarding", app.address))
        .header("accept", "application/json")
        .header("traceparent", parent)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    let first = seen.lock().unwrap().clone();
    assert!(
        first.len() >= 2,
        "Hint was tried again after a 503: {first:?}"
    );
    let mut parents = std::collections::BTreeSet::new();
    for trace in &first {
        let trace = trace.as_deref().expect("every attempt carries the trace");
        let parts: Vec<&str> = trace.split('-').collect();
        assert_eq!(parts[0], "00");
        assert_eq!(
            parts[1], "4bf92f3577b34da6a3ce929d0e0e4736",
            "the caller's trace"
        );
        assert_ne!(
            parts[2], "00f067aa0ba902b7",
            "our own parent id, not the caller's"
        );
        assert_eq!(parts[3], "01", "the caller's flags");
        parents.insert(parts[2].to_owned());
    }
    assert_eq!(parents.len(), first.len(), "each attempt is its own call");

    // A malformed trace is not passed on, and no trace is invented.
    let other = app.another_browser();
    assert_eq!(
        other
            .land("ZyXwVuTsRqPoNmLkJiHgFeDc9876543210")
            .await
            .status(),
        303
    );
    other.sign_up().await;
    let answer = other
        .client
        .post(format!("{}/api/onboarding", other.address))
        .header("accept", "application/json")
        .header("traceparent", "00-not-a-trace-01")
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    let later = seen.lock().unwrap().clone();
    assert!(later.len() > first.len());
    assert!(
        later[first.len()..].iter().all(Option::is_none),
        "{later:?}"
    );
}
