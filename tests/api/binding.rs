//! Who a code can be bound to: only the browser session that landed it, only within its
//! lifetime, only on the provider's explicit yes to a page that names the practice and the
//! account; and a change of owner is recorded.

use serde_json::{json, Value};
use sqlx::Row;

use crate::helpers::{TestApp, RIVERBEND};
use crate::on_both_databases;

/// A second practice the sandbox is seeded with.
const MAPLE: &str = "pra-sbxMaple0002";

async fn owners(app: &TestApp) -> Vec<Option<String>> {
    sqlx::query("SELECT user_id FROM connections")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|row| row.get("user_id"))
        .collect()
}

async fn my_practices(app: &TestApp) -> usize {
    app.call("my_connections", &[])
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .len()
}

on_both_databases! {
    async fn a_signed_in_provider_following_a_strangers_link_sees_whose_practice_and_nothing_is_bound(app) {
        let email = app.sign_up().await;
        let strangers_code = app.mint_code(MAPLE).await;
        assert_eq!(app.land(&strangers_code).await.headers()["location"], "/onboarding");
        let onboarding = app.call("onboarding", &[]).await.unwrap();
        assert_eq!(onboarding["step"], "Confirm");
        assert_eq!(onboarding["connection"]["practice_name"], "Maple Street Family Medicine");
        assert_eq!(onboarding["user"]["email"], email.as_str());
        assert!(owners(&app).await.iter().all(Option::is_none), "nothing is bound before the yes");
        assert_eq!(my_practices(&app).await, 0);
        // "This is not my practice."
        app.call("onboarding/discard", &[]).await.unwrap();
        assert_eq!(app.call("onboarding", &[]).await.unwrap()["connection"], Value::Null);
        assert!(owners(&app).await.iter().all(Option::is_none));
    }

    async fn two_sessions_landing_one_code_only_the_first_can_claim_it(app) {
        let code = app.mint_code(RIVERBEND).await;
        app.land(&code).await;
        let other = app.another_browser();
        assert_eq!(other.land(&code).await.headers()["location"], "/onboarding?link=used");
        other.sign_up().await;
        let theirs = other.call("onboarding", &[]).await.unwrap();
        assert_eq!(theirs["connection"], Value::Null, "{theirs}");
        assert!(other.call("onboarding/practice", &[("name", "x"), ("phone", "512-555-0142"), ("clinicians", "2")]).await.is_err());
        app.sign_up().await;
        app.confirm().await;
        assert_eq!(my_practices(&app).await, 1);
        assert_eq!(my_practices(&other).await, 0);
    }

    async fn a_claim_after_the_codes_lifetime_is_refused(app) {
        app.landed_and_signed_up(RIVERBEND).await;
        let onboarding = app.call("onboarding", &[]).await.unwrap();
        let landed = onboarding["landed_id"].as_str().unwrap().to_owned();
        sqlx::query("UPDATE connections SET created_at = created_at - 3600").execute(app.db.pool()).await.unwrap();
        let refused = app.call("onboarding/confirm", &[("landed_id", &landed)]).await.unwrap_err();
        assert!(refused["Invalid"].as_str().unwrap().contains("expired"), "{refused}");
        assert!(owners(&app).await.iter().all(Option::is_none));
    }

    async fn a_headless_install_is_claimed_by_the_first_browser_that_lands_its_code(app) {
        let code = app.mint_code(RIVERBEND).await;
        let headless = app.client.post(format!("{}/hint/connect/{code}", app.address)).send().await.unwrap();
        assert_eq!(headless.status(), 200);
        app.land(&code).await;
        app.sign_up().await;
        let onboarding = app.call("onboarding", &[]).await.unwrap();
        assert_eq!(onboarding["step"], "Confirm");
        assert_eq!(onboarding["connection"]["practice_name"], "Riverbend Direct Primary Care");
        assert_eq!(app.token_requests().await, 1, "the code was exchanged once, by the headless call");
        let other = app.another_browser();
        assert_eq!(other.land(&code).await.headers()["location"], "/onboarding?link=used");
        app.confirm().await;
        app.fill_wizard().await;
        assert_eq!(app.connect().await["status"], "connected");
    }

    async fn a_headless_install_cannot_be_claimed_after_the_codes_lifetime(app) {
        let code = app.mint_code(RIVERBEND).await;
        app.client.post(format!("{}/hint/connect/{code}", app.address)).send().await.unwrap();
        sqlx::query("UPDATE connections SET created_at = created_at - 3600").execute(app.db.pool()).await.unwrap();
        assert_eq!(app.land(&code).await.headers()["location"], "/onboarding?link=used");
    }

    async fn no_other_session_sees_a_providers_answers(app) {
        let code = app.ready_to_connect(RIVERBEND).await;
        // Another browser with the (leaked) code, and the owner's own browser after logging out.
        let other = app.another_browser();
        other.land(&code).await;
        let logged_out = app.clone();
        logged_out.call("log_out", &[]).await.unwrap();
        for browser in [&other, &logged_out] {
            let seen = browser.call("onboarding", &[]).await.unwrap();
            assert_eq!(seen["connection"], Value::Null, "{seen}");
            assert_eq!(seen["answers"], json!({ "practice": null, "profile": null }));
            assert!(!seen.to_string().contains("512-555-0142"), "{seen}");
        }
    }

    async fn connecting_a_practice_from_another_account_is_recorded_as_a_change_of_owner(app) {
        app.ready_to_connect(RIVERBEND).await;
        let practice = app.connect().await["id"].as_str().unwrap().to_owned();
        let other = app.another_browser();
        other.landed_and_signed_up(RIVERBEND).await;
        other.confirm().await;
        assert_eq!(my_practices(&app).await, 0, "the first account no longer holds the practice");
        assert_eq!(my_practices(&other).await, 1);
        let theirs = other.call("onboarding", &[]).await.unwrap();
        assert_eq!(theirs["answers"], json!({ "practice": null, "profile": null }), "the first owner's answers stay theirs");
        let changes: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'ownership_changed' AND connection_id = $1")
            .bind(&practice).fetch_one(app.db.pool()).await.unwrap().get("n");
        assert_eq!(changes, 1, "the change of owner is on the practice's timeline");
    }

    async fn a_former_owner_whose_landing_was_a_reconnection_keeps_nothing_of_the_wizard(app) {
        // Riverbend is connected; then A connects it again (A's landing merges into the
        // practice's row), and later B does, answering the wizard with B's own numbers.
        app.ready_to_connect(RIVERBEND).await;
        app.connect().await;
        let a = app.another_browser();
        a.ready_to_connect(RIVERBEND).await;
        assert_eq!(a.call("onboarding", &[]).await.unwrap()["step"], "Review");
        let b = app.another_browser();
        b.landed_and_signed_up(RIVERBEND).await;
        b.confirm().await;
        b.call("onboarding/practice", &[("name", "B's name"), ("phone", "512-555-0199"), ("clinicians", "4")]).await.unwrap();
        // A, still signed in on the same browser session: nothing to read, change or connect.
        let seen = a.call("onboarding", &[]).await.unwrap();
        assert_eq!(seen["connection"], Value::Null, "{seen}");
        assert!(!seen.to_string().contains("512-555-0199"), "{seen}");
        assert!(a.call("onboarding/practice", &[("name", "A's again"), ("phone", "512-555-0100"), ("clinicians", "1")]).await.is_err());
        assert!(a.call("onboarding/connect", &[]).await.is_err());
        let theirs = b.call("onboarding", &[]).await.unwrap();
        assert_eq!(theirs["answers"]["practice"]["name"], "B's name", "{theirs}");
        assert_eq!(theirs["step"], "Profile");
    }

    async fn a_second_link_does_not_replace_an_unfinished_connection(app) {
        app.landed_and_signed_up(RIVERBEND).await;
        let second = app.mint_code(MAPLE).await;
        assert_eq!(app.land(&second).await.headers()["location"], "/onboarding?link=second");
        let onboarding = app.call("onboarding", &[]).await.unwrap();
        assert_eq!(onboarding["connection"]["practice_name"], "Riverbend Direct Primary Care");
    }

    async fn only_a_get_lands_a_code(app) {
        let code = app.mint_code(RIVERBEND).await;
        let posted = app.client.post(format!("{}/signup?code={code}", app.address)).send().await.unwrap();
        assert_ne!(posted.status(), 303);
        let rows: i64 = sqlx::query("SELECT COUNT(*) AS n FROM connections").fetch_one(app.db.pool()).await.unwrap().get("n");
        assert_eq!(rows, 0);
    }
}
