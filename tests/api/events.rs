//! Connection events with a real HTTP receiver: signed so the example consumer accepts them,
//! refused when one byte changes, delivered with the same id once a receiver that was down is
//! back, in order, and once per endpoint by two instances on one PostgreSQL.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use practice_connect::domain::partner::SIGNING_SECRET_PREFIX;
use practice_connect::server::connections::health::check_due_keys;
use serde_json::{json, Value};

use crate::helpers::{TestApp, TestDb, RIVERBEND, SANDBOX_PARTNER_KEY};
use crate::on_both_databases;

// The example consumer's own check, as a partner would run it.
#[path = "../../examples/event_consumer/verify.rs"]
#[allow(dead_code)]
mod verify;

/// One POST the receiver got: the signature header and the raw body.
#[derive(Debug, Clone)]
struct Received {
    signature: String,
    body: String,
}

impl Received {
    fn event(&self) -> Value {
        serde_json::from_str(&self.body).expect("JSON")
    }
}

/// A partner's endpoint on a random port: keeps what it is sent, and answers 503 to the next
/// `failing` requests (then 200).
#[derive(Clone)]
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    failing: Arc<AtomicUsize>,
}

impl Receiver {
    async fn start() -> Self {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let failing: Arc<AtomicUsize> = Arc::default();
        let (keep, fail) = (got.clone(), failing.clone());
        let app = axum::Router::new().route(
            "/events",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (keep, fail) = (keep.clone(), fail.clone());
                async move {
                    let signature = headers
                        .get("practice-connect-signature")
                        .map(|v| v.to_str().unwrap().to_owned())
                        .unwrap_or_default();
                    keep.lock().unwrap().push(Received { signature, body });
                    let down = fail
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    if down {
                        StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        StatusCode::OK
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/events", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, got, failing }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits (up to 20 s: the worker looks every 2 s) until `done` holds for what arrived.
    async fn wait_until(&self, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        for _ in 0..200 {
            let got = self.received();
            if done(&got) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the receiver did not get what was expected: {:#?}",
            self.received()
        );
    }
}

fn types(got: &[Received]) -> Vec<String> {
    got.iter()
        .map(|r| r.event()["type"].as_str().unwrap().to_owned())
        .collect()
}

fn has(kind: &'static str) -> impl Fn(&[Received]) -> bool {
    move |got| types(got).iter().any(|t| t == kind)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

impl TestApp {
    /// `event-endpoints add` through the binary; the signing secret is the last line.
    async fn add_endpoint(&self, url: &str) -> String {
        let (ok, printed) = self.cli("event-endpoints", &["add", "--url", url]).await;
        assert!(ok, "{printed}");
        let secret = printed.lines().last().unwrap().to_owned();
        assert!(secret.starts_with(SIGNING_SECRET_PREFIX), "{printed}");
        secret
    }
}

/// A provider connects `practice` from their own browser; answers the browser and the id.
async fn journey(app: &TestApp, practice: &str) -> (TestApp, String) {
    let browser = app.another_browser();
    browser.ready_to_connect(practice).await;
    let done = browser.connect().await;
    assert_eq!(done["status"], "connected", "{done}");
    (browser, done["id"].as_str().unwrap().to_owned())
}

on_both_databases! {
    async fn a_journey_delivers_connected_signed_so_the_example_consumer_accepts_it(app) {
        let receiver = Receiver::start().await;
        let secret = app.add_endpoint(&receiver.url).await;
        let (_, id) = journey(&app, RIVERBEND).await;
        let got = receiver.wait_until(has("connection.connected")).await;
        let connected = got.iter().find(|r| r.event()["type"] == "connection.connected").unwrap();
        let event = connected.event();
        assert!(event["id"].as_str().unwrap().starts_with("evt_"), "{event}");
        assert!(event["created_at"].as_str().unwrap().ends_with('Z'), "{event}");
        assert_eq!(event["data"]["connection_id"], id.as_str());
        assert_eq!(event["data"]["practice_id"], RIVERBEND);
        assert_eq!(event["data"]["status"], "connected");
        assert!(event["data"]["integration_id"].as_str().unwrap().starts_with("int-"));

        for received in &got {
            assert_eq!(verify::verify(&secret, &received.signature, received.body.as_bytes(), now()), Ok(()));
        }
        // One byte changed, and the signature no longer holds.
        let mut tampered = connected.body.clone().into_bytes();
        let at = tampered.iter().position(|b| *b == b'R').expect("an R in Riverbend");
        tampered[at] = b'S';
        assert_eq!(
            verify::verify(&secret, &connected.signature, &tampered, now()),
            Err(verify::Rejected::BadSignature)
        );
        // Another endpoint's secret does not verify it, and an old one is a replay.
        assert!(verify::verify("whsec_other", &connected.signature, connected.body.as_bytes(), now()).is_err());
        assert_eq!(
            verify::verify(&secret, &connected.signature, connected.body.as_bytes(), now() + 3600),
            Err(verify::Rejected::Stale)
        );
        // No key in any event.
        let token = app.service_token("events-check", "keys:read").await;
        let (_, _, key) = app.v1(&format!("/v1/connections/{id}/key"), Some(&token)).await;
        let key = key["api_key"].as_str().unwrap();
        assert!(got.iter().all(|r| !r.body.contains(key)));
    }

    async fn a_receiver_that_was_down_gets_the_event_when_it_is_back_with_the_same_id(app) {
        let receiver = Receiver::start().await;
        app.add_endpoint(&receiver.url).await;
        receiver.failing.store(2, Ordering::SeqCst);
        journey(&app, RIVERBEND).await;
        // The first attempt fails; the next waits its delay (10 s on the app's clock).
        receiver.wait_until(|got| !got.is_empty()).await;
        let first = receiver.received()[0].event();
        for expected in [2, 3] {
            app.state.clock.advance(60);
            receiver.wait_until(|got| got.len() >= expected).await;
        }
        let got = receiver.wait_until(|got| got.len() >= 3).await;
        assert_eq!(got[0].body, got[1].body, "the same bytes on every attempt");
        assert_eq!(got[1].event()["id"], first["id"]);
        assert_eq!(got[2].event()["id"], first["id"]);
        let (status, attempts): (String, i64) = sqlx::query_as(
            "SELECT d.status, d.attempts FROM event_deliveries d JOIN connection_events e ON e.seq = d.event_seq WHERE e.id = $1",
        )
        .bind(first["id"].as_str().unwrap())
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!((status.as_str(), attempts), ("delivered", 3));
        // The events behind it waited, and arrive after it, in order.
        let got = receiver.wait_until(has("connection.connected")).await;
        let kinds = types(&got);
        let first_kind = first["type"].as_str().unwrap();
        assert_eq!(kinds.iter().filter(|k| *k == first_kind).count(), 3, "{kinds:?}");
        assert_eq!(kinds.last().unwrap(), "connection.connected", "{kinds:?}");
    }

    async fn needs_reconnect_then_recovered_arrive_in_order(app) {
        let receiver = Receiver::start().await;
        app.add_endpoint(&receiver.url).await;
        let (browser, _) = journey(&app, RIVERBEND).await;
        receiver.wait_until(has("connection.connected")).await;
        // The practice connects elsewhere: Hint issues a new key, and the stored one dies.
        let code = app.mint_code(RIVERBEND).await;
        let other = app.client.post(format!("{}/api/oauth/tokens", app.hint)).bearer_auth(SANDBOX_PARTNER_KEY)
            .json(&json!({ "grant_type": "authorization_code", "code": code })).send().await.unwrap();
        assert_eq!(other.status(), 200);
        assert!(app.key_proved(RIVERBEND).await);
        assert_eq!(check_due_keys(&app.state, Duration::ZERO).await.unwrap().needs_reconnect, 1);
        // The provider reconnects from Hint: a new code, the same account.
        let code = app.mint_code(RIVERBEND).await;
        assert_eq!(browser.land(&code).await.status(), 303);
        browser.confirm().await;
        browser.fill_wizard().await;
        assert_eq!(browser.connect().await["status"], "connected");
        let got = receiver.wait_until(has("connection.recovered")).await;
        let kinds = types(&got);
        let broken = kinds.iter().position(|k| k == "connection.needs_reconnect").expect("needs_reconnect");
        let recovered = kinds.iter().position(|k| k == "connection.recovered").unwrap();
        assert!(broken < recovered, "{kinds:?}");
        assert_eq!(kinds.iter().filter(|k| *k == "connection.connected").count(), 1, "{kinds:?}");
        let times: Vec<String> = got.iter().map(|r| r.event()["created_at"].as_str().unwrap().to_owned()).collect();
        let mut sorted = times.clone();
        sorted.sort();
        assert_eq!(times, sorted, "per-endpoint order by created_at");
    }

    async fn a_removed_endpoint_gets_nothing_more_and_a_resend_goes_again(app) {
        let receiver = Receiver::start().await;
        app.add_endpoint(&receiver.url).await;
        journey(&app, RIVERBEND).await;
        let got = receiver.wait_until(has("connection.connected")).await;
        let event_id = got.last().unwrap().event()["id"].as_str().unwrap().to_owned();
        let before = got.len();
        let by = practice_connect::server::audit::Operator::CommandLine;
        practice_connect::server::events::endpoints::resend(&app.db, &receiver.url, &event_id, by).await.unwrap();
        let again = receiver.wait_until(|got| got.len() > before).await;
        assert_eq!(again.last().unwrap().event()["id"], event_id.as_str());
        let (ok, printed) = app.cli("event-endpoints", &["remove", "--url", &receiver.url]).await;
        assert!(ok, "{printed}");
        let count = receiver.received().len();
        journey(&app, "pra-sbxMaple0002").await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(receiver.received().len(), count, "nothing after the removal");
    }
}

#[tokio::test]
async fn production_refuses_an_endpoint_that_is_not_https() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let keys = &app.state.keys;
    let by = practice_connect::server::audit::Operator::CommandLine;
    let refused = practice_connect::server::events::endpoints::add(
        &app.db,
        keys,
        "http://hooks.example.com/pc",
        false,
        by,
    )
    .await;
    assert!(refused.is_err());
    let taken = practice_connect::server::events::endpoints::add(
        &app.db,
        keys,
        "https://hooks.example.com/pc",
        false,
        by,
    )
    .await;
    assert!(taken.is_ok());
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set TEST_DATABASE_URL and pass --include-ignored"]
async fn two_instances_on_one_postgresql_deliver_each_event_once_per_endpoint() {
    let a = TestApp::spawn(TestDb::Postgres).await;
    let b = a.spawn_beside().await;
    let (one, two) = (Receiver::start().await, Receiver::start().await);
    a.add_endpoint(&one.url).await;
    a.add_endpoint(&two.url).await;
    journey(&a, RIVERBEND).await;
    journey(&b, "pra-sbxMaple0002").await;
    for receiver in [&one, &two] {
        receiver
            .wait_until(|got| {
                types(got)
                    .iter()
                    .filter(|k| *k == "connection.connected")
                    .count()
                    == 2
            })
            .await;
    }
    // Both workers keep looking for a while: still once each.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let expected: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM connection_events")
        .fetch_one(a.db.pool())
        .await
        .unwrap();
    for receiver in [&one, &two] {
        let got = receiver.received();
        let mut ids: Vec<String> = got
            .iter()
            .map(|r| r.event()["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len() as i64, expected, "{:?}", types(&got));
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len() as i64, expected, "an event delivered twice");
    }
}

#[tokio::test]
async fn deliveries_and_the_outbox_depth_are_counted() {
    let app = TestApp::spawn_with(TestDb::Sqlite, &["--metrics-listen", "127.0.0.1:0"]).await;
    let receiver = Receiver::start().await;
    app.add_endpoint(&receiver.url).await;
    receiver.failing.store(1, Ordering::SeqCst);
    journey(&app, RIVERBEND).await;
    receiver.wait_until(|got| !got.is_empty()).await;
    app.state.clock.advance(60);
    receiver.wait_until(has("connection.connected")).await;
    let metrics = app.metrics.clone().expect("a metrics listener");
    let text = reqwest::get(format!("{metrics}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for series in [
        "practice_connect_event_deliveries_total{outcome=\"retrying\"}",
        "practice_connect_event_deliveries_total{outcome=\"delivered\"}",
        "practice_connect_event_outbox_depth",
    ] {
        assert!(text.contains(series), "{series} in\n{text}");
    }
}
