//! The Hint sandbox over real HTTP: every endpoint of HINT_API.md, every error path, signed
//! webhooks checked by a receiver, and each fault mode.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use clap::Parser;
use practice_connect::sandbox::webhooks::signature;
use practice_connect::sandbox::{self, RunningSandbox, SandboxArgs};
use serde_json::{json, Value};

const PARTNER_KEY: &str = "pk_test_sandboxpartner";
const SIGNING_KEY: &str = "whsec_test_signing";
const PRACTICE: &str = "pra-sbxRvbnd0001";

#[derive(Parser)]
#[command(args_override_self = true)]
struct Args {
    #[command(flatten)]
    args: SandboxArgs,
}

/// A sandbox on a random port, and a client for it.
struct Hint {
    sandbox: RunningSandbox,
    client: reqwest::Client,
}

impl Hint {
    async fn start_with(extra: &[&str]) -> Self {
        let mut argv = vec![
            "sandbox",
            "--listen",
            "127.0.0.1:0",
            "--partner-key",
            PARTNER_KEY,
            "--signing-key",
            SIGNING_KEY,
            "--redirect-url",
            "https://partner.example/signup?code=",
            "--webhook-url",
            "",
        ];
        argv.extend_from_slice(extra);
        let args = Args::try_parse_from(argv).expect("sandbox arguments").args;
        let sandbox = sandbox::start(args, reqwest::Client::new())
            .await
            .expect("sandbox starts");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self { sandbox, client }
    }

    async fn start() -> Self {
        Self::start_with(&[]).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url)
    }

    async fn mint(&self, practice_id: &str) -> String {
        let response = self
            .client
            .post(self.url("/sandbox/admin/codes"))
            .json(&json!({ "practice_id": practice_id }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.unwrap()["code"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn exchange_with(&self, key: &str, body: Value) -> reqwest::Response {
        self.client
            .post(self.url("/api/oauth/tokens"))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn exchange(&self, code: &str) -> reqwest::Response {
        self.exchange_with(
            PARTNER_KEY,
            json!({ "grant_type": "authorization_code", "code": code }),
        )
        .await
    }

    async fn connected(&self, practice_id: &str) -> Value {
        let code = self.mint(practice_id).await;
        let response = self.exchange(&code).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn get(&self, path: &str, key: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, key: &str) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
    }

    async fn set_faults(&self, faults: Value) {
        let response = self
            .client
            .put(self.url("/sandbox/admin/faults"))
            .json(&faults)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
}

/// Reads Hint's `{status, message}` error body and checks it matches the HTTP status.
async fn hint_error(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("an error body in JSON");
    assert_eq!(
        body["status"], status,
        "the body's status repeats the HTTP status"
    );
    (
        status,
        body["message"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn exchanging_a_fresh_code_returns_the_practice_key_and_integration() {
    let hint = Hint::start().await;
    let body = hint.connected(PRACTICE).await;
    assert!(body["id"].as_str().unwrap().starts_with("int-"));
    assert_eq!(body["status"], "connected");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["access_token"].as_str().unwrap().len(), 35);
    assert_eq!(body["refresh_token"], Value::Null);
    assert_eq!(body["practice"]["id"], PRACTICE);
    assert_eq!(body["practice"]["name"], "Riverbend Direct Primary Care");
    assert_eq!(body["api_keys"][0]["token"], body["access_token"]);
    assert!(body["product"]["id"].as_str().unwrap().starts_with("ppro-"));
    assert!(body["activated_by"]["id"]
        .as_str()
        .unwrap()
        .starts_with("user-"));
}

#[tokio::test]
async fn a_code_works_only_once() {
    let hint = Hint::start().await;
    let code = hint.mint(PRACTICE).await;
    assert_eq!(hint.exchange(&code).await.status(), 200);
    let (status, message) = hint_error(hint.exchange(&code).await).await;
    assert_eq!(status, 410);
    assert!(message.contains("already been used"), "{message}");
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let hint = Hint::start().await;
    let code = hint.mint(PRACTICE).await;
    let advanced = hint
        .client
        .post(hint.url("/sandbox/admin/clock"))
        .json(&json!({ "advance_seconds": 601 }))
        .send()
        .await
        .unwrap();
    assert_eq!(advanced.status(), 204);
    let (status, message) = hint_error(hint.exchange(&code).await).await;
    assert_eq!(status, 410);
    assert!(message.contains("expired"), "{message}");
}

#[tokio::test]
async fn a_code_lifetime_is_configurable() {
    let hint = Hint::start_with(&["--code-ttl-seconds", "30"]).await;
    let code = hint.mint(PRACTICE).await;
    hint.client
        .post(hint.url("/sandbox/admin/clock"))
        .json(&json!({ "advance_seconds": 31 }))
        .send()
        .await
        .unwrap();
    assert_eq!(hint_error(hint.exchange(&code).await).await.0, 410);
}

#[tokio::test]
async fn an_unknown_code_is_refused() {
    let hint = Hint::start().await;
    let (status, message) = hint_error(hint.exchange("NoSuchCode123456789012").await).await;
    assert_eq!(status, 404);
    assert!(message.contains("not found"), "{message}");
}

#[tokio::test]
async fn malformed_requests_are_refused_with_400() {
    let hint = Hint::start().await;
    let not_json = hint
        .client
        .post(hint.url("/api/oauth/tokens"))
        .bearer_auth(PARTNER_KEY)
        .body("code=abc")
        .send()
        .await
        .unwrap();
    assert_eq!(hint_error(not_json).await.0, 400);
    let wrong_grant = hint
        .exchange_with(
            PARTNER_KEY,
            json!({ "grant_type": "password", "code": "x" }),
        )
        .await;
    assert_eq!(hint_error(wrong_grant).await.0, 400);
    let no_code = hint
        .exchange_with(PARTNER_KEY, json!({ "grant_type": "authorization_code" }))
        .await;
    assert_eq!(hint_error(no_code).await.0, 400);
}

#[tokio::test]
async fn a_wrong_or_missing_partner_key_gets_401_and_spends_no_code() {
    let hint = Hint::start().await;
    let code = hint.mint(PRACTICE).await;
    let body = json!({ "grant_type": "authorization_code", "code": code });
    assert_eq!(
        hint_error(hint.exchange_with("pk_test_wrong", body.clone()).await)
            .await
            .0,
        401
    );
    let anonymous = hint
        .client
        .post(hint.url("/api/oauth/tokens"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(hint_error(anonymous).await.0, 401);
    assert_eq!(
        hint.exchange(&code).await.status(),
        200,
        "the code survives refused attempts"
    );
}

#[tokio::test]
async fn basic_auth_with_the_key_as_user_name_is_accepted() {
    let hint = Hint::start().await;
    let code = hint.mint(PRACTICE).await;
    let response = hint
        .client
        .post(hint.url("/api/oauth/tokens"))
        .basic_auth(PARTNER_KEY, Some(""))
        .json(&json!({ "grant_type": "authorization_code", "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn activate_false_keeps_the_integration_pending_until_activated() {
    let hint = Hint::start().await;
    let code = hint.mint(PRACTICE).await;
    let body: Value = hint
        .exchange_with(
            PARTNER_KEY,
            json!({ "grant_type": "authorization_code", "code": code, "activate": false }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "pending");
    let id = body["id"].as_str().unwrap();
    let activated: Value = hint
        .post(&format!("/api/integrations/{id}/activate"), PARTNER_KEY)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(activated["status"], "connected");
}

#[tokio::test]
async fn a_new_code_for_a_connected_practice_returns_the_same_integration_with_a_new_key() {
    let hint = Hint::start().await;
    let first = hint.connected(PRACTICE).await;
    let second = hint.connected(PRACTICE).await;
    assert_eq!(first["id"], second["id"]);
    assert_ne!(first["access_token"], second["access_token"]);
    let old_key = first["access_token"].as_str().unwrap();
    assert_eq!(
        hint_error(hint.get("/api/provider/practice", old_key).await)
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn integrations_are_listed_in_pages_with_a_total_count() {
    let hint = Hint::start().await;
    for practice in ["pra-sbxRvbnd0001", "pra-sbxMaple0002", "pra-sbxHarbr0003"] {
        hint.connected(practice).await;
    }
    let response = hint
        .get("/api/integrations?limit=2&offset=1", PARTNER_KEY)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-total-count"], "3");
    let page: Vec<Value> = response.json().await.unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0]["practice"]["id"], "pra-sbxMaple0002");
    let unauthorized = hint.get("/api/integrations", "pk_test_wrong").await;
    assert_eq!(hint_error(unauthorized).await.0, 401);
}

#[tokio::test]
async fn one_integration_is_shown_without_its_access_token() {
    let hint = Hint::start().await;
    let connected = hint.connected(PRACTICE).await;
    let id = connected["id"].as_str().unwrap();
    let shown: Value = hint
        .get(&format!("/api/integrations/{id}"), PARTNER_KEY)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["id"], id);
    assert_eq!(shown["status"], "connected");
    assert!(shown.get("access_token").is_none());
    assert!(shown.get("api_keys").is_none());
    let missing = hint.get("/api/integrations/int-nope", PARTNER_KEY).await;
    assert_eq!(hint_error(missing).await.0, 404);
}

#[tokio::test]
async fn deactivating_makes_the_integration_inactive_and_its_key_useless() {
    let hint = Hint::start().await;
    let connected = hint.connected(PRACTICE).await;
    let id = connected["id"].as_str().unwrap();
    let key = connected["access_token"].as_str().unwrap();
    assert_eq!(hint.get("/api/provider/practice", key).await.status(), 200);
    let deactivated: Value = hint
        .post(&format!("/api/integrations/{id}/deactivate"), PARTNER_KEY)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(deactivated["status"], "inactive");
    assert_eq!(
        hint_error(hint.get("/api/provider/practice", key).await)
            .await
            .0,
        401
    );
    assert_eq!(
        hint_error(
            hint.post("/api/integrations/int-nope/deactivate", PARTNER_KEY)
                .await
        )
        .await
        .0,
        404
    );
}

#[tokio::test]
async fn the_practice_profile_needs_a_practice_key() {
    let hint = Hint::start().await;
    let connected = hint.connected(PRACTICE).await;
    let key = connected["access_token"].as_str().unwrap();
    let profile: Value = hint
        .get("/api/provider/practice", key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(profile["id"], PRACTICE);
    assert_eq!(profile["address_city"], "Austin");
    assert_eq!(profile["integration_record_id"], connected["id"]);
    assert_eq!(profile["phones"][0]["type"], "office");
    assert_eq!(
        hint_error(hint.get("/api/provider/practice", PARTNER_KEY).await)
            .await
            .0,
        428
    );
    assert_eq!(
        hint_error(hint.get("/api/provider/practice", "not-a-key").await)
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn the_marketplace_lists_practices_and_connect_appends_a_code_to_the_redirect_url() {
    let hint = Hint::start().await;
    let page = hint
        .client
        .get(hint.url("/marketplace"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Riverbend Direct Primary Care"));
    assert!(page.contains(PRACTICE));
    let response = hint
        .client
        .post(hint.url(&format!("/marketplace/practices/{PRACTICE}/connect")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap();
    let code = location
        .strip_prefix("https://partner.example/signup?code=")
        .expect("appended to the redirect URL");
    assert_eq!(code.len(), 22);
    assert!(code.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(
        hint.exchange(code).await.status(),
        200,
        "the minted code is a real one"
    );
}

#[tokio::test]
async fn a_path_form_redirect_url_gets_the_code_as_its_last_segment() {
    let hint = Hint::start_with(&["--redirect-url", "https://partner.example/connect/"]).await;
    let response = hint
        .client
        .post(hint.url(&format!("/marketplace/practices/{PRACTICE}/connect")))
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("https://partner.example/connect/"));
    assert_eq!(
        location.len(),
        "https://partner.example/connect/".len() + 22
    );
}

/// A partner endpoint that records webhook deliveries and fails the first `failures` of them.
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
}

async fn receiver(failures: usize) -> Receiver {
    let seen: Arc<Mutex<Vec<(HeaderMap, Bytes)>>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/hint/webhooks",
        post(move |headers: HeaderMap, body: Bytes| {
            let log = log.clone();
            async move {
                let mut log = log.lock().unwrap();
                log.push((headers, body));
                if log.len() <= failures {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hint/webhooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver { url, seen }
}

async fn wait_for_deliveries(receiver: &Receiver, count: usize) -> Vec<(HeaderMap, Bytes)> {
    for _ in 0..200 {
        if receiver.seen.lock().unwrap().len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    receiver.seen.lock().unwrap().clone()
}

#[tokio::test]
async fn activation_and_deactivation_send_signed_webhooks() {
    let receiver = receiver(0).await;
    let hint = Hint::start_with(&["--webhook-url", &receiver.url]).await;
    let connected = hint.connected(PRACTICE).await;
    let id = connected["id"].as_str().unwrap();
    hint.post(&format!("/api/integrations/{id}/deactivate"), PARTNER_KEY)
        .await;
    let deliveries = wait_for_deliveries(&receiver, 2).await;
    assert_eq!(deliveries.len(), 2);
    let mut kinds = Vec::new();
    for (headers, body) in &deliveries {
        let expected = signature(SIGNING_KEY.as_bytes(), body);
        assert_eq!(
            headers["x-hint-signature"].to_str().unwrap(),
            expected,
            "signed over the raw body"
        );
        assert_ne!(signature(b"another key", body), expected);
        let event: Value = serde_json::from_slice(body).unwrap();
        assert!(event["id"].as_str().unwrap().starts_with("evt-"));
        assert_eq!(event["practice_id"], PRACTICE);
        assert_eq!(event["object"]["id"], id);
        assert!(event["created_at"].as_str().unwrap().ends_with('Z'));
        assert!(
            event["object"].get("access_token").is_none(),
            "webhooks never carry keys"
        );
        kinds.push(event["type"].as_str().unwrap().to_owned());
    }
    kinds.sort();
    assert_eq!(kinds, ["integration.activated", "integration.deactivated"]);
}

impl Hint {
    /// Moves the sandbox's clock on by `seconds`.
    async fn advance(&self, seconds: i64) {
        let response = self
            .client
            .post(self.url("/sandbox/admin/clock"))
            .json(&json!({ "advance_seconds": seconds }))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }

    async fn deliveries(&self) -> Vec<Value> {
        self.client
            .get(self.url("/sandbox/admin/deliveries"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// Waits (a few seconds at most) until the receiver has seen `count` deliveries, then a moment
/// more to be sure no other one comes; how many it saw.
async fn settled_count(receiver: &Receiver, count: usize) -> usize {
    wait_for_deliveries(receiver, count).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    receiver.seen.lock().unwrap().len()
}

#[tokio::test]
async fn failed_webhook_deliveries_are_retried_hourly_on_the_sandbox_clock() {
    let receiver = receiver(2).await;
    let hint = Hint::start_with(&["--webhook-url", &receiver.url]).await;
    hint.connected(PRACTICE).await;
    assert_eq!(
        settled_count(&receiver, 1).await,
        1,
        "one attempt at once, no retry before the hour"
    );
    hint.advance(59 * 60).await;
    assert_eq!(settled_count(&receiver, 2).await, 1, "not before the hour");
    hint.advance(60).await;
    assert_eq!(settled_count(&receiver, 2).await, 2, "the hour's retry");
    hint.advance(3600).await;
    let deliveries = wait_for_deliveries(&receiver, 3).await;
    assert_eq!(deliveries.len(), 3, "two failures, then a success");
    assert_eq!(
        deliveries[0].1, deliveries[2].1,
        "the same event is sent again, body and all"
    );
    let log = hint.deliveries().await;
    assert_eq!(log[0]["attempts"], 3);
    assert_eq!(log[0]["delivered"], true);
}

#[tokio::test]
async fn retries_stop_after_72_hours_and_an_endpoint_failing_in_a_row_is_muted() {
    let muting = receiver(usize::MAX).await;
    let hint = Hint::start_with(&["--webhook-url", &muting.url, "--webhook-mute-after", "5"]).await;
    hint.connected(PRACTICE).await;
    for hour in 1..=3 {
        hint.advance(3600).await;
        assert_eq!(settled_count(&muting, hour + 1).await, hour + 1);
    }
    // The fifth failure in a row mutes the endpoint: nothing more is sent, even a new event.
    hint.advance(3600).await;
    assert_eq!(settled_count(&muting, 5).await, 5);
    hint.advance(3600).await;
    assert_eq!(settled_count(&muting, 6).await, 5, "muted");
    hint.connected("pra-sbxMaple0002").await;
    assert_eq!(
        settled_count(&muting, 6).await,
        5,
        "a new event is not sent either"
    );
    let log = hint.deliveries().await;
    assert!(
        log.last().unwrap()["last_result"]
            .as_str()
            .unwrap()
            .contains("muted"),
        "{log:?}"
    );

    // Without muting, an event is retried hourly until 72 hours after its first attempt.
    let failing = receiver(usize::MAX).await;
    let hint = Hint::start_with(&["--webhook-url", &failing.url]).await;
    hint.connected(PRACTICE).await;
    settled_count(&failing, 1).await;
    let attempts = || async { hint.deliveries().await[0]["attempts"].as_u64().unwrap() };
    for hour in 1..=80u64 {
        hint.advance(3600).await;
        // Each hour's retry is made before the clock moves again.
        for _ in 0..100 {
            if attempts().await >= (hour + 1).min(73) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    assert_eq!(
        attempts().await,
        73,
        "the first attempt and 72 hourly retries"
    );
}

#[tokio::test]
async fn injected_5xx_answers_come_with_hints_error_body_and_then_clear() {
    let hint = Hint::start().await;
    hint.set_faults(json!({ "kind": "unavailable", "times": 1 }))
        .await;
    let code = hint.mint(PRACTICE).await;
    assert_eq!(hint_error(hint.exchange(&code).await).await.0, 503);
    assert_eq!(
        hint.exchange(&code).await.status(),
        200,
        "an unhandled request spends no code"
    );
    hint.set_faults(json!({ "kind": "server_error", "times": 1 }))
        .await;
    assert_eq!(
        hint_error(hint.get("/api/integrations", PARTNER_KEY).await)
            .await
            .0,
        500
    );
}

#[tokio::test]
async fn rate_limiting_answers_429_with_retry_after() {
    let hint = Hint::start().await;
    hint.set_faults(json!({ "kind": "rate_limited", "retry_after_secs": 3, "times": 1 }))
        .await;
    let response = hint.get("/api/integrations", PARTNER_KEY).await;
    assert_eq!(response.headers()["retry-after"], "3");
    assert_eq!(hint_error(response).await.0, 429);
}

#[tokio::test]
async fn a_dropped_connection_gives_no_answer_at_all() {
    let hint = Hint::start().await;
    hint.set_faults(json!({ "kind": "drop", "times": 1 })).await;
    let outcome = hint
        .client
        .get(hint.url("/api/integrations"))
        .bearer_auth(PARTNER_KEY)
        .send()
        .await;
    assert!(
        outcome.is_err(),
        "expected a connection error, got {outcome:?}"
    );
    assert_eq!(
        hint.get("/api/integrations", PARTNER_KEY).await.status(),
        200
    );
}

#[tokio::test]
async fn a_slow_answer_still_spends_the_code_when_the_caller_gives_up() {
    let hint = Hint::start().await;
    hint.set_faults(json!({ "kind": "slow_ok", "slow_seconds": 2, "times": 1 }))
        .await;
    let code = hint.mint(PRACTICE).await;
    let outcome = hint
        .client
        .post(hint.url("/api/oauth/tokens"))
        .bearer_auth(PARTNER_KEY)
        .timeout(Duration::from_millis(300))
        .json(&json!({ "grant_type": "authorization_code", "code": code }))
        .send()
        .await;
    assert!(outcome.unwrap_err().is_timeout());
    assert_eq!(
        hint_error(hint.exchange(&code).await).await.0,
        410,
        "Hint did the work before answering"
    );
}

#[tokio::test]
async fn added_latency_delays_api_answers_only() {
    let hint = Hint::start().await;
    hint.set_faults(json!({ "latency_ms": 400 })).await;
    let started = std::time::Instant::now();
    hint.get("/api/integrations", PARTNER_KEY).await;
    let api_time = started.elapsed();
    let started = std::time::Instant::now();
    hint.client
        .get(hint.url("/marketplace"))
        .send()
        .await
        .unwrap();
    let page_time = started.elapsed();
    assert!(
        api_time >= Duration::from_millis(400),
        "API answered in {api_time:?}"
    );
    assert!(page_time < api_time, "the marketplace is not slowed");
}

#[tokio::test]
async fn faults_can_be_set_at_start_up() {
    let hint = Hint::start_with(&["--fault", "unavailable", "--fault-share", "1.0"]).await;
    assert_eq!(
        hint_error(hint.get("/api/integrations", PARTNER_KEY).await)
            .await
            .0,
        503
    );
    let faults: Value = hint
        .client
        .get(hint.url("/sandbox/admin/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(faults["kind"], "unavailable");
    hint.set_faults(json!({})).await;
    assert_eq!(
        hint.get("/api/integrations", PARTNER_KEY).await.status(),
        200
    );
}

#[tokio::test]
async fn the_sandbox_counts_token_requests_for_exactly_once_tests() {
    let hint = Hint::start().await;
    let code = hint.mint(PRACTICE).await;
    hint.exchange(&code).await;
    hint.exchange(&code).await;
    let stats: Value = hint
        .client
        .get(hint.url("/sandbox/admin/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["token_requests"], 2);
}
