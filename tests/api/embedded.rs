//! Hint's signed handshake and the settings surface it opens: the probes of Hint's own audit of
//! a marketplace app, replays, expiry, and one practice's key never reaching another practice.

use practice_connect::sandbox::webhooks::signature;
use serde_json::{json, Value};

use crate::helpers::{TestApp, TestDb, RIVERBEND};
use crate::on_both_databases;
use crate::webhooks::iso_at;

/// The in-process sandbox's default signing key (the app checks handshakes with it too).
const SIGNING_KEY: &str = "sandbox-webhook-secret";
const MAPLE: &str = "pra-sbxMaple0002";

/// A handshake body for `practice_id`, signed now on the app's clock.
fn handshake_body(app: &TestApp, practice_id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "user": { "id": "usr-hint-admin", "name": "Pat Admin", "email": "pat@practice.example" },
        "practice": { "id": practice_id, "name": "A practice" },
        "integration": null,
        "timestamp": iso_at(app.state.clock.now()),
    }))
    .unwrap()
}

impl TestApp {
    async fn post_handshake(&self, body: &[u8], signature: Option<&str>) -> reqwest::Response {
        let mut request = reqwest::Client::new()
            .post(format!("{}/hint/handshake", self.address))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(signature) = signature {
            request = request.header("x-hint-signature", signature);
        }
        request.send().await.unwrap()
    }

    /// A session key for `practice_id`, from a correctly signed handshake.
    async fn session_key(&self, practice_id: &str) -> String {
        let body = handshake_body(self, practice_id);
        let response = self
            .post_handshake(&body, Some(&signature(SIGNING_KEY.as_bytes(), &body)))
            .await;
        assert_eq!(response.status(), 200);
        let answer: Value = response.json().await.unwrap();
        answer["session_key"].as_str().unwrap().to_owned()
    }

    /// A session key from a signed handshake for `practice_id` as a user with `roles` (absent
    /// when `None`) in `context` (absent when `None`).
    async fn session_key_as(
        &self,
        practice_id: &str,
        roles: Option<&[&str]>,
        context: Option<&str>,
    ) -> String {
        let mut body: Value = serde_json::from_slice(&handshake_body(self, practice_id)).unwrap();
        if let Some(roles) = roles {
            body["user"]["partner_roles"] = json!(roles);
        }
        if let Some(context) = context {
            body["access_context"] = json!(context);
        }
        let body = serde_json::to_vec(&body).unwrap();
        let response = self
            .post_handshake(&body, Some(&signature(SIGNING_KEY.as_bytes(), &body)))
            .await;
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.unwrap()["session_key"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn surface(&self, session_key: &str) -> Value {
        self.call("hint/settings", &[("session_key", session_key)])
            .await
            .unwrap()
    }

    /// Connects `practice_id` as a provider in another browser, with both email choices off.
    async fn practice_connected(&self, practice_id: &str) {
        let provider = self.another_browser();
        provider.ready_to_connect(practice_id).await;
        assert_eq!(provider.connect().await["status"], "connected");
    }

    async fn preferences_of(&self, practice_id: &str) -> Value {
        let (alerts, weekly): (i64, i64) = sqlx::query_as(
            "SELECT alerts_by_email, weekly_summary FROM connections \
             WHERE practice_id = $1 AND merged_into IS NULL",
        )
        .bind(practice_id)
        .fetch_one(self.db.pool())
        .await
        .unwrap();
        json!([alerts == 1, weekly == 1])
    }
}

on_both_databases! {
    async fn roles_and_support_sessions_decide_who_reads_and_who_writes(app) {
        app.practice_connected(RIVERBEND).await;
        let before = app.preferences_of(RIVERBEND).await;
        let save = |key: String| {
            let app = app.clone();
            async move { app.call("hint/preferences", &[("session_key", &key), ("weekly_summary", "on")]).await }
        };
        // An empty role list: nothing to read, nothing to write.
        let nobody = app.session_key_as(RIVERBEND, Some(&[]), None).await;
        assert_eq!(app.surface(&nobody).await, json!("NoAccess"));
        assert!(save(nobody).await.is_err());
        // A viewer reads, and cannot write.
        let viewer = app.session_key_as(RIVERBEND, Some(&["viewer"]), Some("practice")).await;
        let seen = app.surface(&viewer).await;
        assert_eq!(seen["Connected"]["can_edit"], false, "{seen}");
        assert!(save(viewer).await.is_err());
        // Hint's own staff: a banner, and never a write, whatever the roles.
        let support = app.session_key_as(RIVERBEND, Some(&["admin"]), Some("platform_support")).await;
        let seen = app.surface(&support).await;
        assert_eq!(seen["Connected"]["support_session"], true, "{seen}");
        assert_eq!(seen["Connected"]["can_edit"], false, "{seen}");
        let page = app.get(&format!("/hint/settings?session_key={support}")).await.text().await.unwrap();
        assert!(page.contains("Hint support session"), "the banner is on the page");
        let refused = save(support).await.unwrap_err();
        assert!(refused.to_string().contains("support session"), "{refused}");
        // An access context we do not know: the most restrictive.
        let odd = app.session_key_as(RIVERBEND, Some(&["admin"]), Some("impersonation")).await;
        assert_eq!(app.surface(&odd).await, json!("NoAccess"));
        assert_eq!(app.preferences_of(RIVERBEND).await, before, "nothing was written");
        // An editor writes.
        let editor = app.session_key_as(RIVERBEND, Some(&["editor"]), None).await;
        save(editor).await.unwrap();
        assert_eq!(app.preferences_of(RIVERBEND).await, json!([false, true]));
        let support_audit: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'hint_handshake' AND detail = 'Hint support session'",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!(support_audit, 1, "the support session is audited as such");
    }

    async fn hint_s_audit_run_twice_in_a_row_passes_both_times(app) {
        // Hint's audit (3.3-3.5) signs a fixed body without a time, and may run again any day.
        let fixed = serde_json::to_vec(&json!({
            "user": { "id": "usr-hint-audit", "name": "Hint audit" },
            "practice": { "id": RIVERBEND, "name": "Audit practice" },
        }))
        .unwrap();
        let signed = signature(SIGNING_KEY.as_bytes(), &fixed);
        for run in 1..=2 {
            assert_eq!(app.post_handshake(&fixed, None).await.status(), 401, "run {run}: unsigned");
            let wrong = signature(b"not-the-secret", &fixed);
            assert_eq!(app.post_handshake(&fixed, Some(&wrong)).await.status(), 401, "run {run}: forged");
            let answer = app.post_handshake(&fixed, Some(&signed)).await;
            assert_eq!(answer.status(), 200, "run {run}: signed");
            let key: Value = answer.json().await.unwrap();
            let key = key["session_key"].as_str().unwrap().to_owned();
            assert!(matches!(app.surface(&key).await, Value::Object(_)), "run {run}: the surface opens");
        }
    }

    async fn hint_s_audit_probes_pass(app) {
        // Unsigned, forged and wrongly keyed handshakes: 401.
        let body = handshake_body(&app, RIVERBEND);
        assert_eq!(app.post_handshake(&[], None).await.status(), 401);
        assert_eq!(app.post_handshake(&body, None).await.status(), 401);
        let forged = format!("sha256={}", "0".repeat(64));
        assert_eq!(app.post_handshake(&body, Some(&forged)).await.status(), 401);
        let wrong_key = signature(b"not-the-secret", &body);
        assert_eq!(app.post_handshake(&body, Some(&wrong_key)).await.status(), 401);
        // Signed with the secret but not what was sent: 401.
        let tampered = handshake_body(&app, MAPLE);
        assert_eq!(
            app.post_handshake(&tampered, Some(&signature(SIGNING_KEY.as_bytes(), &body))).await.status(),
            401
        );
        // Correctly signed: 200 and a session key.
        let key = app.session_key(RIVERBEND).await;
        assert_eq!(key.len(), 64);
        // The surface without a session: 200, a placeholder.
        let page = app.get("/hint/settings").await;
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("Open this page from inside Hint"));
        assert_eq!(app.surface("").await, json!("NoSession"));
        assert_eq!(app.surface(&"ab".repeat(32)).await, json!("NoSession"));
    }

    async fn a_signed_handshake_sent_twice_or_late_is_refused(app) {
        let body = handshake_body(&app, RIVERBEND);
        let signed = signature(SIGNING_KEY.as_bytes(), &body);
        assert_eq!(app.post_handshake(&body, Some(&signed)).await.status(), 200);
        assert_eq!(app.post_handshake(&body, Some(&signed)).await.status(), 401, "a replay");
        // The same MAC written in upper case is the same handshake.
        let shouted = format!("sha256={}", signed.trim_start_matches("sha256=").to_uppercase());
        assert_ne!(shouted, signed);
        assert_eq!(app.post_handshake(&body, Some(&shouted)).await.status(), 401, "a replay in upper case");
        // A handshake signed ten minutes ago is stale (dated the way our earlier reading of Hint
        // had it, `issued_at`, which is still read).
        let old = serde_json::to_vec(&json!({
            "user": { "id": "usr-1" },
            "practice": { "id": RIVERBEND },
            "issued_at": iso_at(app.state.clock.now() - 600),
        }))
        .unwrap();
        let response = app.post_handshake(&old, Some(&signature(SIGNING_KEY.as_bytes(), &old))).await;
        assert_eq!(response.status(), 401);
        // Every refusal and acceptance is in the audit log.
        let outcomes: Vec<String> = sqlx::query_scalar(
            "SELECT outcome FROM audit_log WHERE action = 'hint_handshake' ORDER BY id",
        )
        .fetch_all(app.db.pool())
        .await
        .unwrap();
        assert_eq!(outcomes, ["ok", "denied", "denied", "denied"]);
    }

    async fn a_session_key_expires(app) {
        app.practice_connected(RIVERBEND).await;
        let key = app.session_key(RIVERBEND).await;
        assert!(app.surface(&key).await.get("Connected").is_some());
        app.state.clock.advance(31 * 60);
        assert_eq!(app.surface(&key).await, json!("NoSession"));
        let refused = app
            .call("hint/preferences", &[("session_key", &key), ("alerts_by_email", "on")])
            .await
            .unwrap_err();
        assert!(refused["Invalid"].as_str().unwrap().contains("expired"), "{refused}");
    }

    async fn a_key_for_one_practice_never_reaches_another(app) {
        app.practice_connected(RIVERBEND).await;
        app.practice_connected(MAPLE).await;
        let riverbend = app.session_key(RIVERBEND).await;
        let maple = app.session_key(MAPLE).await;
        let shown = app.surface(&riverbend).await;
        assert_eq!(shown["Connected"]["practice_name"], "Riverbend Direct Primary Care");
        assert_eq!(shown["Connected"]["status"], "connected");
        assert_eq!(app.surface(&maple).await["Connected"]["practice_name"], "Maple Street Family Medicine");

        // Riverbend's key changes Riverbend's preferences, and only those.
        let before = app.preferences_of(MAPLE).await;
        app.call(
            "hint/preferences",
            &[("session_key", &riverbend), ("alerts_by_email", "on"), ("weekly_summary", "on")],
        )
        .await
        .unwrap();
        assert_eq!(app.preferences_of(RIVERBEND).await, json!([true, true]));
        assert_eq!(app.preferences_of(MAPLE).await, before, "Maple untouched");
        let seen_by_maple = app.surface(&maple).await;
        assert_eq!(seen_by_maple["Connected"]["alerts_by_email"], before[0]);
        // Turning one off again: checkboxes left out mean off.
        app.call("hint/preferences", &[("session_key", &riverbend), ("weekly_summary", "on")])
            .await
            .unwrap();
        assert_eq!(app.preferences_of(RIVERBEND).await, json!([false, true]));

        // Each change is audited, as the Hint user, on Riverbend's connection only.
        let audited: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT a.actor_kind, a.actor_id, a.detail FROM audit_log a JOIN connections c ON c.id = a.connection_id \
             WHERE a.action = 'preferences_changed' AND c.practice_id = $1 ORDER BY a.id",
        )
        .bind(RIVERBEND)
        .fetch_all(app.db.pool())
        .await
        .unwrap();
        assert_eq!(audited.len(), 2);
        assert_eq!(audited[0].0, "hint");
        assert_eq!(audited[0].1, "usr-hint-admin");
        assert_eq!(audited[1].2.as_deref(), Some("alerts by email off, weekly summary on"));
        let on_maple: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log a JOIN connections c ON c.id = a.connection_id \
             WHERE a.action = 'preferences_changed' AND c.practice_id = $1",
        )
        .bind(MAPLE)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!(on_maple, 0);
    }

    async fn a_practice_we_do_not_know_sees_not_connected_yet(app) {
        let key = app.session_key("pra-nobody-here").await;
        assert_eq!(app.surface(&key).await["NotConnected"]["practice_name"], Value::Null);
        let page = app.get(&format!("/hint/settings?session_key={key}")).await;
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("not connected to practice-connect yet"));
        assert!(app
            .call("hint/preferences", &[("session_key", &key), ("alerts_by_email", "on")])
            .await
            .is_err());
    }
}

#[tokio::test]
async fn the_session_key_also_works_in_hint_s_header() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    app.practice_connected(RIVERBEND).await;
    let key = app.session_key(RIVERBEND).await;
    let page = reqwest::Client::new()
        .get(format!("{}/hint/settings", app.address))
        .header("x-hint-session-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("practice-connect for Riverbend Direct Primary Care"));
}

#[tokio::test]
async fn only_the_settings_surface_may_be_framed_and_only_by_hint_s_app() {
    let app = TestApp::spawn_with(
        TestDb::Sqlite,
        &["--hint-frame-ancestors", "https://app.hint.example"],
    )
    .await;
    let surface = app.get("/hint/settings").await;
    let policy = surface.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.contains("frame-ancestors https://app.hint.example;"),
        "{policy}"
    );
    assert!(!surface.headers().contains_key("x-frame-options"));
    assert!(
        !surface.headers().contains_key("set-cookie"),
        "no cookies in a frame"
    );
    for path in ["/", "/login", "/admin/login"] {
        let page = app.get(path).await;
        let policy = page.headers()["content-security-policy"].to_str().unwrap();
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert_eq!(page.headers()["x-frame-options"], "DENY", "{path}");
    }
}

#[tokio::test]
async fn the_sandbox_plays_hint_signing_a_handshake_and_framing_the_surface() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let page = app
        .client
        .get(format!(
            "{}/marketplace/practices/{RIVERBEND}/settings",
            app.hint
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.contains(&format!("frame-src {}", app.address)),
        "{policy}"
    );
    let html = page.text().await.unwrap();
    let src = html
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an iframe");
    let key = src
        .strip_prefix(&format!("{}/hint/settings?session_key=", app.address))
        .expect("the app's surface with a session key");
    assert_eq!(
        app.surface(key).await["NotConnected"]["practice_name"],
        Value::Null
    );
}

#[tokio::test]
async fn a_headless_install_is_claimed_through_an_invitation_from_inside_hint() {
    use crate::mailbox::MailCatcher;

    let mail = MailCatcher::start().await;
    let app = TestApp::spawn_with(TestDb::Sqlite, &["--smtp-url", &mail.url()]).await;
    // Hint's headless install: a connection nobody owns.
    let code = app.mint_code(RIVERBEND).await;
    let installed = app
        .client
        .post(format!("{}/hint/connect/{code}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(installed.status(), 200);
    // Much later, inside Hint: the surface says it is not claimed; a viewer cannot invite.
    app.state.clock.advance(3 * 24 * 3600);
    let viewer = app.session_key_as(RIVERBEND, Some(&["viewer"]), None).await;
    let invite = |key: String, email: &'static str| {
        let app = app.clone();
        async move {
            app.call("hint/invite", &[("session_key", &key), ("email", email)])
                .await
        }
    };
    assert!(invite(viewer, "dr.ruiz@practice.example").await.is_err());
    let editor = app.session_key_as(RIVERBEND, Some(&["editor"]), None).await;
    let seen = app.surface(&editor).await;
    assert_eq!(seen["Connected"]["claimed"], false, "{seen}");
    invite(editor.clone(), "dr.ruiz@practice.example")
        .await
        .unwrap();
    let link = mail.wait_for("dr.ruiz@practice.example", 1).await[0].token("/claim");

    // The provider opens the link in their own browser, signs up and confirms the practice.
    let provider = app.another_browser();
    let opened = provider.get(&format!("/claim?token={link}")).await;
    assert_eq!(opened.status(), 303);
    assert_eq!(opened.headers()["location"], "/onboarding");
    provider.sign_up().await;
    provider.confirm().await;
    let owner: Option<String> =
        sqlx::query_scalar("SELECT user_id FROM connections WHERE practice_id = $1")
            .bind(RIVERBEND)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(owner.is_some(), "the invited provider owns it now");
    assert_eq!(app.surface(&editor).await["Connected"]["claimed"], true);
    // The link worked once.
    let again = app
        .another_browser()
        .get(&format!("/claim?token={link}"))
        .await;
    assert_eq!(again.headers()["location"], "/onboarding?link=used");
}
