//! Floods and guessing: strangers' bursts are cut off early, hashing never runs more than its
//! pool, and password guessing is slowed per account and per client without blocking anyone
//! else.

use std::sync::Arc;

use serde_json::Value;
use sqlx::Row;

use crate::helpers::{unique_name, TestApp, TestDb, PASSWORD};
use crate::on_both_databases;

/// These floods open more connections at once than one address may hold
/// (`MAX_CONNECTIONS_PER_CLIENT`): every test client shares 127.0.0.1, and the request limits are
/// what they test.
const MANY_CONNECTIONS: &[&str] = &["--max-connections-per-client", "1000"];

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .get("n")
}

/// Sends `requests` at once; returns how many were answered 429.
async fn at_once<F, Fut>(requests: usize, send: F) -> usize
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = reqwest::Response> + Send + 'static,
{
    let tasks: Vec<_> = (0..requests).map(|i| tokio::spawn(send(i))).collect();
    let mut limited = 0;
    for task in tasks {
        let response = task.await.unwrap();
        if response.status() == 429 {
            assert!(response.headers().contains_key("retry-after"));
            limited += 1;
        }
    }
    limited
}

fn sign_up_from(
    app: &TestApp,
) -> impl Fn(usize) -> std::pin::Pin<Box<dyn std::future::Future<Output = reqwest::Response> + Send>>
{
    let (client, address) = (app.client.clone(), app.address.clone());
    move |_| {
        let (client, address) = (client.clone(), address.clone());
        Box::pin(async move {
            let email = format!("{}@flood.example", unique_name("dr"));
            client
                .post(format!("{address}/api/sign_up"))
                .header("accept", "application/json")
                .form(&[
                    ("name", "Flood"),
                    ("email", email.as_str()),
                    ("password", PASSWORD),
                ])
                .send()
                .await
                .unwrap()
        })
    }
}

#[tokio::test]
async fn a_hundred_sign_ups_from_one_client_are_cut_off_after_its_burst() {
    let app = TestApp::spawn_with(TestDb::Sqlite, MANY_CONNECTIONS).await;
    let started = std::time::Instant::now();
    let limited = at_once(100, sign_up_from(&app)).await;
    let allowed = allowance(started.elapsed());
    assert!(
        limited as i64 >= 100 - allowed,
        "{limited} of 100 were refused (allowance {allowed})"
    );
    assert!(app.state.passwords.peak() <= app.state.passwords.workers());
}

#[tokio::test]
async fn a_hundred_sign_ups_past_the_client_limit_never_hash_more_than_the_pool_at_once() {
    let app = TestApp::spawn_with(
        TestDb::Sqlite,
        &[
            "--client-requests-per-minute",
            "100000",
            "--max-connections-per-client",
            "1000",
        ],
    )
    .await;
    let limited = at_once(100, sign_up_from(&app)).await;
    let hasher = &app.state.passwords;
    assert!(limited > 0, "a full hashing queue turns callers away");
    assert!(
        hasher.peak() <= hasher.workers(),
        "peak {} with {} workers",
        hasher.peak(),
        hasher.workers()
    );
    let accounts = count(&app, "SELECT COUNT(*) AS n FROM users").await;
    assert_eq!(
        accounts as usize,
        100 - limited,
        "every request was answered, none lost"
    );
}

/// What a limit of 60 a minute with bursts of 15 can let through in `elapsed`: the burst, plus
/// one a second refilled.
fn allowance(elapsed: std::time::Duration) -> i64 {
    15 + elapsed.as_secs() as i64 + 1
}

#[tokio::test]
async fn a_thousand_random_landings_from_one_client_leave_few_rows() {
    let app = TestApp::spawn_with(TestDb::Sqlite, MANY_CONNECTIONS).await;
    let started = std::time::Instant::now();
    let client = Arc::new(app.client.clone());
    let address = app.address.clone();
    let limited = at_once(1000, |i| {
        let (client, address) = (client.clone(), address.clone());
        async move {
            client
                .get(format!("{address}/signup?code=random{i:08}guess"))
                .send()
                .await
                .unwrap()
        }
    })
    .await;
    let allowed = allowance(started.elapsed());
    let rows = count(&app, "SELECT COUNT(*) AS n FROM connections").await;
    assert!(
        rows <= allowed,
        "{rows} rows for 1,000 landings (allowance {allowed})"
    );
    assert!(limited as i64 >= 1000 - allowed, "{limited} refused");
}

#[tokio::test]
async fn fifty_random_headless_calls_reach_hint_a_few_times_and_leave_no_rows() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let started = std::time::Instant::now();
    let client = Arc::new(app.client.clone());
    let address = app.address.clone();
    let limited = at_once(50, |i| {
        let (client, address) = (client.clone(), address.clone());
        async move {
            client
                .post(format!("{address}/hint/connect/guess{i:08}abc"))
                .send()
                .await
                .unwrap()
        }
    })
    .await;
    let allowed = allowance(started.elapsed());
    assert!(
        limited as i64 >= 50 - allowed,
        "{limited} refused before reaching Hint"
    );
    let reached = app.token_requests().await as i64;
    assert!(
        reached <= allowed,
        "{reached} reached Hint (allowance {allowed})"
    );
    let rows = count(&app, "SELECT COUNT(*) AS n FROM connections").await;
    assert_eq!(rows, 0, "codes Hint refused leave no rows");
}

/// `log_in` as `email` from the client address `ip` (the app trusts the loopback proxy).
async fn log_in_from(
    app: &TestApp,
    path: &str,
    ip: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    app.another_browser()
        .client
        .post(format!("{}/api/{path}", app.address))
        .header("accept", "application/json")
        .header("x-forwarded-for", ip)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn ten_failures_from_one_client_behind_a_trusted_proxy_block_no_other_client_or_staff() {
    let app = TestApp::spawn_with(TestDb::Sqlite, &["--trusted-proxies", "127.0.0.1/32"]).await;
    let victim = app.sign_up().await;
    let bystander = app.another_browser().sign_up().await;
    for _ in 0..10 {
        let wrong = log_in_from(&app, "log_in", "198.51.100.1", &victim, "wrong-password").await;
        assert_ne!(wrong.status(), 200);
    }
    let other_client = log_in_from(&app, "log_in", "198.51.100.2", &bystander, PASSWORD).await;
    assert_eq!(
        other_client.status(),
        200,
        "another client behind the same proxy logs in"
    );
    let same_client_other_account =
        log_in_from(&app, "log_in", "198.51.100.1", &bystander, PASSWORD).await;
    assert_eq!(
        same_client_other_account.status(),
        200,
        "the client is slowed, not blocked"
    );
    let audit_ip: String =
        sqlx::query("SELECT ip FROM audit_log WHERE action = 'login' AND outcome = 'denied' ORDER BY id LIMIT 1")
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .get("ip");
    assert_eq!(
        audit_ip, "198.51.100.1",
        "the audit log names the client, not the proxy"
    );
}

async fn concurrent_wrong_passwords_reach_the_hash_at_most_the_free_attempts(app: TestApp) {
    let email = app.sign_up().await;
    let app = Arc::new(app);
    let limited = at_once(50, |_| {
        let app = app.clone();
        let email = email.clone();
        async move { log_in_from(&app, "log_in", "198.51.100.7", &email, "wrong-password").await }
    })
    .await;
    let checked = count(
        &app,
        "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'login' AND outcome = 'denied' AND detail IS NULL",
    )
    .await;
    let free = practice_connect::server::throttle::FREE_PER_ACCOUNT;
    assert!(
        checked <= free + 1,
        "{checked} of 50 reached the password check"
    );
    assert!(limited as i64 >= 50 - free - 1);
    // A success afterwards still waits out the account's brake, and says how long.
    let braked = log_in_from(&app, "log_in", "198.51.100.8", &email, PASSWORD).await;
    assert_eq!(braked.status(), 429);
    let body: Value = braked.json().await.unwrap();
    assert!(body["RateLimited"]["retry_after_seconds"].as_u64().unwrap() >= 1);
}

on_both_databases!(fifty_concurrent_wrong_passwords_reach_the_hash_at_most_the_free_attempts);

async fn fifty_concurrent_wrong_passwords_reach_the_hash_at_most_the_free_attempts(db: TestDb) {
    let args = ["--client-requests-per-minute", "100000"];
    concurrent_wrong_passwords_reach_the_hash_at_most_the_free_attempts(
        TestApp::spawn_with(db, &args).await,
    )
    .await;
}

#[tokio::test]
async fn a_signed_in_provider_changing_their_email_in_a_flood_is_cut_off_at_the_password_door() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    app.sign_up().await;
    let started = std::time::Instant::now();
    let (client, address) = (app.client.clone(), app.address.clone());
    let limited = at_once(60, move |i| {
        let (client, address) = (client.clone(), address.clone());
        async move {
            client
                .post(format!("{address}/api/account/email"))
                .header("accept", "application/json")
                .form(&[
                    ("new_email", format!("spam{i}@victim.example").as_str()),
                    ("password", "not-my-password"),
                ])
                .send()
                .await
                .unwrap()
        }
    })
    .await;
    let allowed = allowance(started.elapsed());
    assert!(
        limited as i64 >= 60 - allowed,
        "{limited} of 60 were refused (allowance {allowed})"
    );
}

#[tokio::test]
async fn the_right_password_in_a_loop_spends_the_accounts_hashing_budget_and_nobody_elses() {
    use practice_connect::server::throttle::HASHES_PER_ACCOUNT;

    let app =
        TestApp::spawn_with(TestDb::Sqlite, &["--client-requests-per-minute", "100000"]).await;
    let looper = app.sign_up().await;
    let bystander = app.another_browser().sign_up().await;
    // Each right password is a success, and successes do not give the budget back: the one
    // after the budget goes ahead (it sets the brake), the next waits. The log-in that came
    // with the sign-up was the first.
    for attempt in 2..=HASHES_PER_ACCOUNT + 1 {
        let answer = log_in_from(&app, "log_in", "198.51.100.1", &looper, PASSWORD).await;
        assert_eq!(answer.status(), 200, "attempt {attempt}");
    }
    let braked = log_in_from(&app, "log_in", "198.51.100.1", &looper, PASSWORD).await;
    assert_eq!(braked.status(), 429);
    assert!(braked.headers().contains_key("retry-after"));
    let other = log_in_from(&app, "log_in", "198.51.100.1", &bystander, PASSWORD).await;
    assert_eq!(other.status(), 200, "another account is not braked");
}

#[tokio::test]
async fn a_full_hashing_pool_is_not_a_failed_attempt() {
    use practice_connect::domain::AppError;
    use practice_connect::server::throttle::{self, LoginKeys, FREE_PER_ACCOUNT};

    let app = TestApp::spawn(TestDb::Sqlite).await;
    let keys = LoginKeys::new("provider", "victim@practice.example", Some("198.51.100.9"));
    // Many more tries than the free ones, each turned away by a full pool.
    for _ in 0..FREE_PER_ACCOUNT * 3 {
        throttle::reserve_attempt(&app.db, &keys).await.unwrap();
        let busy: Result<(), AppError> = Err(AppError::RateLimited {
            retry_after_seconds: 1,
        });
        assert!(throttle::unless_busy(&app.db, &keys, busy).await.is_err());
    }
    // None of them counted: the account still has all its free attempts.
    for attempt in 1..=FREE_PER_ACCOUNT {
        assert!(
            throttle::reserve_attempt(&app.db, &keys).await.is_ok(),
            "attempt {attempt}"
        );
    }
    // And a wrong password (a real attempt) still counts.
    assert!(
        throttle::reserve_attempt(&app.db, &keys).await.is_ok(),
        "the one that sets the brake"
    );
    assert!(throttle::reserve_attempt(&app.db, &keys).await.is_err());
}

#[tokio::test]
async fn previews_of_made_up_codes_are_capped_per_account_and_their_rows_swept() {
    use practice_connect::server::housekeeping;

    let app =
        TestApp::spawn_with(TestDb::Sqlite, &["--client-requests-per-minute", "100000"]).await;
    app.sign_up().await;
    let started = std::time::Instant::now();
    let mut limited = 0;
    for i in 0..30 {
        app.land(&format!("MadeUp{i:08}Code")).await;
        if let Err(error) = app.call("onboarding", &[]).await {
            assert!(error.get("RateLimited").is_some(), "{error}");
            limited += 1;
        }
    }
    // The account's share: a burst of 60 / 8, then 15 a minute.
    let share = 7 + (started.elapsed().as_secs() * 15).div_ceil(60) as i64;
    let reached = app.token_requests().await as i64;
    assert!(
        reached <= share,
        "{reached} previews reached Hint (share {share})"
    );
    assert!(limited > 0);
    // Every refused code left a failed row; after the codes' lifetime the sweep takes them.
    assert!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM connections WHERE status = 'failed'"
        )
        .await
            > 0
    );
    app.state.clock.advance(11 * 60);
    housekeeping::run_once(&app.state).await;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM connections WHERE status = 'failed'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn one_client_cannot_use_up_the_headless_cap_that_hints_own_installs_need() {
    let app = TestApp::spawn_with(
        TestDb::Sqlite,
        &[
            "--trusted-proxies",
            "127.0.0.1/32",
            "--client-requests-per-minute",
            "100000",
        ],
    )
    .await;
    let headless = |code: String, from: &'static str| {
        let (client, address) = (app.client.clone(), app.address.clone());
        async move {
            client
                .post(format!("{address}/hint/connect/{code}"))
                .header("x-forwarded-for", from)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let mut through = 0;
    for i in 0..40 {
        if headless(format!("guess{i:08}abc"), "203.0.113.66").await != 429 {
            through += 1;
        }
    }
    assert!(
        through < 15,
        "{through} of the stranger's 40 got past its share"
    );
    let code = app.mint_code(crate::helpers::RIVERBEND).await;
    assert_eq!(
        headless(code, "198.51.100.20").await,
        200,
        "Hint's own install still gets through"
    );
}
