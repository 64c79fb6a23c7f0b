//! Two app instances on one PostgreSQL database, as behind a load balancer: a journey that moves
//! between them, a double submit across both, the key job run by both, a webhook delivered to
//! each. Everything that must happen once happens once.

use std::time::Duration;

use practice_connect::sandbox::webhooks::signature;
use serde_json::{json, Value};

use crate::helpers::{TestApp, TestDb, RIVERBEND};
use crate::webhooks::iso_now;

const MAPLE: &str = "pra-sbxMaple0002";

#[tokio::test]
#[ignore = "needs PostgreSQL: set TEST_DATABASE_URL and pass --include-ignored"]
async fn two_instances_on_one_postgresql_do_everything_once() {
    let a = TestApp::spawn(TestDb::Postgres).await;
    let b = a.spawn_beside().await;
    assert_ne!(a.address, b.address);

    // A provider lands on A and finishes on B.
    let code = a.mint_code(RIVERBEND).await;
    assert_eq!(a.land(&code).await.status(), 303);
    let on_b = b.with_browser_of(&a);
    on_b.sign_up().await;
    let tokens_before = a.token_requests().await;
    // The confirmation opened on both at once: Hint is asked once.
    let (shown_a, shown_b) = tokio::join!(a.preview(), on_b.preview());
    assert_eq!(shown_a["practice_id"], RIVERBEND, "{shown_a}");
    assert_eq!(shown_b["practice_id"], RIVERBEND, "{shown_b}");
    assert_eq!(a.token_requests().await, tokens_before + 1);
    on_b.confirm().await;
    on_b.fill_wizard().await;
    // Connect pressed on both at once: one activation, one connected practice.
    let api_before = a.api_requests().await;
    let (done_a, done_b) = tokio::join!(a.connect(), on_b.connect());
    assert_eq!(done_a["status"], "connected", "{done_a}");
    assert_eq!(done_b["status"], "connected", "{done_b}");
    let activations: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'onboarding_completed' AND outcome = 'ok'",
    )
    .fetch_one(a.db.pool())
    .await
    .unwrap();
    assert_eq!(activations, 1);
    assert!(
        a.api_requests().await - api_before <= 2,
        "one activate (and one key proof)"
    );

    // A second practice, so the key job has two keys to share out.
    let other = a.another_browser();
    other.ready_to_connect(MAPLE).await;
    assert_eq!(other.connect().await["status"], "connected");
    sqlx::query("UPDATE connections SET key_checked_at = NULL")
        .execute(a.db.pool())
        .await
        .unwrap();
    let every = Duration::from_secs(24 * 3600);
    let (round_a, round_b) = tokio::join!(
        practice_connect::server::connections::health::check_due_keys(&a.state, every),
        practice_connect::server::connections::health::check_due_keys(&b.state, every),
    );
    let (round_a, round_b) = (round_a.unwrap(), round_b.unwrap());
    assert_eq!(
        round_a.checked + round_b.checked,
        2,
        "each key once: {round_a:?} {round_b:?}"
    );

    // One webhook delivered to both (Hint retries, or two deliveries race): applied once.
    let integration: String = sqlx::query_scalar(
        "SELECT integration_id FROM connections WHERE practice_id = $1 AND merged_into IS NULL",
    )
    .bind(RIVERBEND)
    .fetch_one(a.db.pool())
    .await
    .unwrap();
    let body = serde_json::to_vec(&json!({
        "id": "evt-two-instances", "type": "integration.deactivated", "practice_id": RIVERBEND,
        "created_at": iso_now(), "object": { "id": integration, "status": "inactive" }
    }))
    .unwrap();
    let signed = signature(b"sandbox-webhook-secret", &body);
    let deliver = |app: &TestApp| {
        reqwest::Client::new()
            .post(format!("{}/hint/webhooks", app.address))
            .header("content-type", "application/json")
            .header("x-hint-signature", signed.clone())
            .body(body.clone())
            .send()
    };
    let (to_a, to_b) = tokio::join!(deliver(&a), deliver(&b));
    let mut answers = vec![
        to_a.unwrap().json::<Value>().await.unwrap()["status"].clone(),
        to_b.unwrap().json::<Value>().await.unwrap()["status"].clone(),
    ];
    answers.sort_by_key(|status| status.to_string());
    assert_eq!(answers, [json!("applied"), json!("duplicate")]);
}
