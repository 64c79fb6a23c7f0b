//! Staff accounts against the attacks on them: a stolen password without the phone, a replayed
//! code, a guessed code, a stale confirmation before a reveal, a session left open, a shared desk.
//! Time is moved with the app's test clock, never waited for.

use practice_connect::domain::account::Email;
use practice_connect::domain::staff::StaffRole;
use serde_json::{json, Value};

use crate::helpers::{totp_code, TestApp, TestDb, PASSWORD, RIVERBEND};
use crate::on_both_databases;

impl TestApp {
    /// Connects Riverbend as a provider in another browser; answers the connection's id.
    async fn riverbend_connected(&self) -> String {
        let provider = self.another_browser();
        provider.ready_to_connect(RIVERBEND).await;
        let connected = provider.connect().await;
        assert_eq!(connected["status"], "connected");
        connected["id"].as_str().unwrap().to_owned()
    }

    async fn reveal(&self, id: &str, confirm: Option<(&str, &str)>) -> Result<Value, Value> {
        let mut fields = vec![("id", id), ("action", "reveal")];
        if let Some((password, code)) = confirm {
            fields.extend([("password", password), ("code", code)]);
        }
        self.call("admin/action", &fields).await
    }
}

#[tokio::test]
async fn an_admin_with_only_a_password_reaches_nothing() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let id = app.riverbend_connected().await;
    let email = app.add_staff(StaffRole::Admin).await;
    app.call("staff/log_in", &[("email", &email), ("password", PASSWORD)])
        .await
        .expect("the password is right");
    let query = [("query[page]", "1")];
    for (endpoint, fields) in [
        ("admin/me", &[][..]),
        ("admin/summary", &[][..]),
        ("admin/connections", &query[..]),
        ("admin/connection", &[("id", id.as_str())][..]),
        (
            "admin/action",
            &[("id", id.as_str()), ("action", "verify")][..],
        ),
        (
            "admin/action",
            &[("id", id.as_str()), ("action", "reveal")][..],
        ),
        ("admin/manual_connect", &[("code", "anything")][..]),
    ] {
        assert_eq!(
            app.call(endpoint, fields).await.unwrap_err(),
            json!("SecondFactorNeeded"),
            "{endpoint} before the second factor"
        );
    }
    let export = app.get("/admin/export.csv").await;
    assert_eq!(export.status(), 401);
    // The provider side does not open either.
    assert_eq!(app.call("current_user", &[]).await.unwrap(), Value::Null);
}

on_both_databases! {
    async fn enrolment_then_a_login_with_a_code_and_a_recovery_code_each_used_once(app) {
        let login = app.log_in_staff(StaffRole::Admin).await;
        assert_eq!(login.recovery_codes.len(), 10);
        assert!(app.call("admin/summary", &[]).await.is_ok(), "enrolled and signed in");
        // Enrolment is over: its page no longer shows the secret.
        assert!(app.call("staff/enrolment", &[]).await.is_err());
        app.call("staff/log_out", &[]).await.unwrap();

        // Password, then a code: signed in. The same code a second time is refused.
        app.call("staff/log_in", &[("email", &login.email), ("password", PASSWORD)]).await.unwrap();
        let code = login.next_code(&app);
        app.call("staff/second_factor", &[("code", &code)]).await.unwrap();
        assert!(app.call("admin/summary", &[]).await.is_ok());
        let replay = app.another_browser();
        replay.call("staff/log_in", &[("email", &login.email), ("password", PASSWORD)]).await.unwrap();
        let refused = replay.call("staff/second_factor", &[("code", &code)]).await.unwrap_err();
        assert!(refused["Invalid"].as_str().unwrap().contains("each code works once"), "{refused}");
        assert_eq!(replay.call("admin/summary", &[]).await.unwrap_err(), json!("SecondFactorNeeded"));

        // A recovery code logs in once, and resets the authenticator: setting up a new one is next.
        let recovery = login.recovery_codes[3].to_uppercase();
        replay.call("staff/second_factor", &[("code", &recovery)]).await.unwrap();
        assert_eq!(replay.call("admin/summary", &[]).await.unwrap_err(), json!("SecondFactorNeeded"));
        let fresh = replay.call("staff/enrolment", &[]).await.expect("a new authenticator to set up");
        assert_ne!(fresh["secret"].as_str().unwrap().replace(' ', ""), "");
        // The reset ended the member's other sessions too.
        assert_eq!(app.call("admin/summary", &[]).await.unwrap_err(), json!("Unauthenticated"));
        // The old authenticator and the used recovery code are worthless now.
        let third = app.another_browser();
        third.call("staff/log_in", &[("email", &login.email), ("password", PASSWORD)]).await.unwrap();
        assert!(third.call("staff/enrolment", &[]).await.is_ok(), "no authenticator: set-up is next");
        assert!(third.call("staff/second_factor", &[("code", &recovery)]).await.is_err());
    }

    async fn a_reveal_needs_a_fresh_confirmation(app) {
        let id = app.riverbend_connected().await;
        let login = app.log_in_staff(StaffRole::Admin).await;
        // The login itself was a confirmation: a reveal right after it works.
        let key = app.reveal(&id, None).await.expect("revealed after login");
        assert_eq!(key.as_str().unwrap().len(), 35, "{key}");

        // Ten minutes later the confirmation is stale.
        app.state.clock.advance(10 * 60);
        assert_eq!(app.reveal(&id, None).await.unwrap_err(), json!("StepUpNeeded"));
        assert_eq!(
            app.call("admin/action", &[("id", &id), ("action", "deactivate")]).await.unwrap_err(),
            json!("StepUpNeeded")
        );
        assert_eq!(
            app.call("admin/manual_connect", &[("code", "anything")]).await.unwrap_err(),
            json!("StepUpNeeded")
        );
        // Reading and harmless actions need none.
        assert!(app.call("admin/action", &[("id", &id), ("action", "verify")]).await.is_ok());

        // A wrong password or a wrong code confirms nothing.
        let code = login.next_code(&app);
        assert!(app.reveal(&id, Some(("wrong-password", &code))).await.is_err());
        assert!(app.reveal(&id, Some((PASSWORD, "000000"))).await.is_err());
        // A recovery code is for getting in, not for confirming.
        let recovery = login.recovery_codes[0].clone();
        assert!(app.reveal(&id, Some((PASSWORD, &recovery))).await.is_err());
        assert_eq!(app.reveal(&id, None).await.unwrap_err(), json!("StepUpNeeded"));

        // Password and a fresh code: revealed, and good for a few minutes more.
        let code = login.next_code(&app);
        assert!(app.reveal(&id, Some((PASSWORD, &code))).await.is_ok());
        app.state.clock.advance(4 * 60);
        assert!(app.reveal(&id, None).await.is_ok());
        let audited: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'staff_stepped_up' AND outcome = 'ok'",
        )
        .fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(audited, 1);
    }

    async fn staff_sessions_end_when_idle_and_at_their_absolute_limit(app) {
        app.log_in_staff(StaffRole::Support).await;
        // Activity keeps a session alive past the idle limit…
        for _ in 0..3 {
            app.state.clock.advance(20 * 60);
            assert!(app.call("admin/me", &[]).await.is_ok(), "20 minutes after the last request");
        }
        // …but 31 idle minutes end it.
        app.state.clock.advance(31 * 60);
        assert_eq!(app.call("admin/me", &[]).await.unwrap_err(), json!("Unauthenticated"));

        // However active, a login ends after eight hours.
        let again = app.another_browser();
        again.log_in_staff(StaffRole::Support).await;
        for _ in 0..(8 * 60 / 25) {
            app.state.clock.advance(25 * 60);
            assert!(again.call("admin/me", &[]).await.is_ok());
        }
        app.state.clock.advance(25 * 60);
        assert_eq!(again.call("admin/me", &[]).await.unwrap_err(), json!("Unauthenticated"));
    }

    async fn provider_sessions_end_when_idle_and_at_their_absolute_limit(app) {
        app.sign_up().await;
        for _ in 0..3 {
            app.state.clock.advance(100 * 60);
            assert_ne!(app.call("current_user", &[]).await.unwrap(), Value::Null, "100 minutes after the last request");
        }
        app.state.clock.advance(121 * 60);
        assert_eq!(app.call("current_user", &[]).await.unwrap(), Value::Null, "two idle hours");

        let again = app.another_browser();
        again.sign_up().await;
        for _ in 0..(12 * 60 / 100) {
            app.state.clock.advance(100 * 60);
            assert_ne!(again.call("current_user", &[]).await.unwrap(), Value::Null);
        }
        app.state.clock.advance(100 * 60);
        assert_eq!(again.call("current_user", &[]).await.unwrap(), Value::Null, "twelve hours in all");
    }
}

#[tokio::test]
async fn guessing_codes_is_braked_like_guessing_passwords() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let login = app.log_in_staff(StaffRole::Admin).await;
    app.call("staff/log_out", &[]).await.unwrap();
    app.call(
        "staff/log_in",
        &[("email", &login.email), ("password", PASSWORD)],
    )
    .await
    .unwrap();
    let mut limited = None;
    for guess in 0..10 {
        match app
            .call("staff/second_factor", &[("code", &format!("{guess:06}"))])
            .await
        {
            Err(error) if error.get("RateLimited").is_some() => {
                limited = Some(guess);
                break;
            }
            Err(_) => {}
            Ok(_) => panic!("a guess was taken"),
        }
    }
    assert_eq!(
        limited,
        Some(6),
        "five free guesses and one that starts the brake, then a wait before each"
    );
    // The right code has to wait too: the brake holds for everyone trying this account.
    let code = login.next_code(&app);
    let braked = app
        .call("staff/second_factor", &[("code", &code)])
        .await
        .unwrap_err();
    assert!(braked.get("RateLimited").is_some(), "{braked}");
}

#[tokio::test]
async fn a_support_login_needs_a_second_factor_unless_configured_otherwise() {
    let strict = TestApp::spawn(TestDb::Sqlite).await;
    let email = strict.add_staff(StaffRole::Support).await;
    strict
        .call("staff/log_in", &[("email", &email), ("password", PASSWORD)])
        .await
        .unwrap();
    assert_eq!(
        strict.call("admin/me", &[]).await.unwrap_err(),
        json!("SecondFactorNeeded")
    );

    let relaxed = TestApp::spawn_with(TestDb::Sqlite, &["--staff-second-factor", "admins"]).await;
    let email = relaxed.add_staff(StaffRole::Support).await;
    relaxed
        .call("staff/log_in", &[("email", &email), ("password", PASSWORD)])
        .await
        .unwrap();
    assert!(relaxed.call("admin/me", &[]).await.is_ok());
    // Admins need one whatever the setting.
    let admin = relaxed.add_staff(StaffRole::Admin).await;
    relaxed
        .call("staff/log_in", &[("email", &admin), ("password", PASSWORD)])
        .await
        .unwrap();
    assert_eq!(
        relaxed.call("admin/me", &[]).await.unwrap_err(),
        json!("SecondFactorNeeded")
    );
}

#[tokio::test]
async fn a_reset_from_the_command_line_ends_sessions_and_asks_for_a_new_authenticator() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let login = app.log_in_staff(StaffRole::Admin).await;
    practice_connect::server::staff::reset_second_factor(
        &app.db,
        &Email::parse(&login.email).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        app.call("admin/me", &[]).await.unwrap_err(),
        json!("Unauthenticated")
    );
    app.call(
        "staff/log_in",
        &[("email", &login.email), ("password", PASSWORD)],
    )
    .await
    .unwrap();
    assert!(app.call("staff/enrolment", &[]).await.is_ok());
    // The old authenticator's codes no longer count.
    let old = totp_code(&login.secret, app.state.clock.now() / 30);
    assert!(app
        .call("staff/second_factor", &[("code", &old)])
        .await
        .is_err());
}

#[tokio::test]
async fn the_staff_cookie_is_strict_host_only_and_apart_from_the_provider_cookie() {
    // Development mode with an https:// public address: cookies are Secure, so prefixed.
    let app = TestApp::spawn_with(
        TestDb::Sqlite,
        &["--public-base-url", "https://connect.partner.example"],
    )
    .await;
    let email = app.add_staff(StaffRole::Support).await;
    let response = app
        .client
        .post(format!("{}/api/staff/log_in", app.address))
        .header("accept", "application/json")
        .header("origin", "https://connect.partner.example")
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success() || response.status().is_redirection(),
        "{}",
        response.status()
    );
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect();
    let staff = cookies
        .iter()
        .find(|cookie| cookie.starts_with("__Host-pc_staff="))
        .unwrap_or_else(|| panic!("a prefixed staff cookie in {cookies:?}"));
    for attribute in ["Path=/", "HttpOnly", "SameSite=Strict", "Secure"] {
        assert!(staff.contains(attribute), "{attribute} in {staff}");
    }
    assert!(!staff.contains("Domain"), "host-only: {staff}");
    assert!(
        !cookies.iter().any(|cookie| cookie.starts_with("pc_staff=")),
        "{cookies:?}"
    );
}

#[tokio::test]
async fn a_reveal_without_javascript_shows_the_key_once_on_the_next_page() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let id = app.riverbend_connected().await;
    app.log_in_staff(StaffRole::Admin).await;
    // A plain form post, as a browser without JavaScript sends it.
    let posted = app
        .client
        .post(format!("{}/api/admin/action", app.address))
        .header("accept", "text/html")
        .header("referer", format!("{}/admin/connections/{id}", app.address))
        .form(&[("id", id.as_str()), ("action", "reveal")])
        .send()
        .await
        .unwrap();
    assert!(posted.status().is_redirection(), "{}", posted.status());
    assert_eq!(
        posted.headers()["location"],
        format!("/admin/connections/{id}").as_str()
    );
    let shown = app.call("admin/connection", &[("id", &id)]).await.unwrap();
    assert_eq!(shown["revealed_key"].as_str().unwrap().len(), 35);
    let again = app.call("admin/connection", &[("id", &id)]).await.unwrap();
    assert_eq!(again["revealed_key"], Value::Null, "shown once");
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'key_revealed' AND outcome = 'ok'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

/// A Hint that refuses everything, echoing the partner key it was sent in its error text.
async fn hint_echoing_secrets() -> String {
    let app = axum::Router::new().fallback(|headers: axum::http::HeaderMap| async move {
        let sent = headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({ "status": 422, "message": format!("bad request with {sent}") })),
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

#[tokio::test]
async fn hint_s_error_text_never_reaches_a_staff_page() {
    const PARTNER_KEY: &str = "pk_test_ECHOED_SECRET_4242";
    let hint = hint_echoing_secrets().await;
    let app = TestApp::spawn_with(
        TestDb::Sqlite,
        &[
            "--hint-api-base-url",
            &hint,
            "--hint-partner-api-key",
            PARTNER_KEY,
        ],
    )
    .await;
    let provider = app.another_browser().sign_up().await;
    let user_id: String = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(&provider)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let connection = practice_connect::server::connections::SeedConnection {
        id: "con_echo".into(),
        status: practice_connect::domain::connection::ConnectionStatus::Connected,
        practice_id: Some("pra-echo".into()),
        practice_name: "Echo Practice".into(),
        integration_id: Some("int-echo".into()),
        user_id,
        created_at: 0,
        connected_at: Some(0),
        verified_at: Some(0),
    };
    practice_connect::server::connections::insert_seeded(app.db.pool(), &[connection])
        .await
        .unwrap();
    app.log_in_staff(StaffRole::Admin).await;
    let answers = [
        app.call("admin/action", &[("id", "con_echo"), ("action", "refresh")])
            .await,
        app.call(
            "admin/action",
            &[("id", "con_echo"), ("action", "deactivate")],
        )
        .await,
        app.call(
            "admin/manual_connect",
            &[("code", "a-code-from-a-practice")],
        )
        .await,
    ];
    for answer in answers {
        let text = match answer {
            Ok(value) | Err(value) => value.to_string(),
        };
        assert!(text.contains("nothing") || text.contains("Hint"), "{text}");
        assert!(!text.contains("ECHOED_SECRET"), "{text}");
        assert!(!text.contains("bad request with"), "{text}");
    }
}

#[tokio::test]
async fn a_step_up_takes_a_new_session_token() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let login = app.log_in_staff(StaffRole::Admin).await;
    let before: Vec<String> = sqlx::query_scalar("SELECT id FROM staff_sessions")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    let code = login.next_code(&app);
    app.call("staff/step_up", &[("password", PASSWORD), ("code", &code)])
        .await
        .unwrap();
    let after: Vec<String> = sqlx::query_scalar("SELECT id FROM staff_sessions")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(before.len(), 1);
    assert_eq!(after.len(), 1);
    assert_ne!(before, after, "a new token after the re-authentication");
    assert!(
        app.call("admin/me", &[]).await.is_ok(),
        "the browser has the new one"
    );
}

#[tokio::test]
async fn a_strangers_guessed_staff_links_do_not_brake_a_real_invitation() {
    use practice_connect::domain::staff::StaffRole;
    use practice_connect::server::account_tokens::{self, TokenPurpose};

    let app = TestApp::spawn_with(
        crate::helpers::TestDb::Sqlite,
        &[
            "--trusted-proxies",
            "127.0.0.1/32",
            "--client-requests-per-minute",
            "100000",
        ],
    )
    .await;
    let email = app.add_staff(StaffRole::Support).await;
    let staff_id: String = sqlx::query_scalar("SELECT id FROM staff WHERE email = $1")
        .bind(&email)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let now = app.state.clock.now();
    let token = account_tokens::issue(
        &app.db,
        TokenPurpose::StaffInvite,
        &staff_id,
        &email,
        now,
        3600,
    )
    .await
    .unwrap();
    let welcome = |token: String, from: &'static str| {
        let (client, address) = (app.another_browser().client, app.address.clone());
        async move {
            client
                .post(format!("{address}/api/staff/welcome"))
                .header("accept", "application/json")
                .header("x-forwarded-for", from)
                .form(&[
                    ("token", token.as_str()),
                    ("password", "a-brand-new-passphrase"),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for i in 0..12 {
        let guess = format!("{i:0>43}");
        assert_ne!(welcome(guess, "203.0.113.66").await.as_u16(), 303);
    }
    let answer = welcome(token, "198.51.100.20").await;
    assert!(answer.is_success() || answer.is_redirection(), "{answer}");
}

#[tokio::test]
async fn a_support_session_without_a_second_factor_does_not_become_an_admin_session() {
    let app = TestApp::spawn_with(TestDb::Sqlite, &["--staff-second-factor", "admins"]).await;
    let email = app.add_staff(StaffRole::Support).await;
    app.call("staff/log_in", &[("email", &email), ("password", PASSWORD)])
        .await
        .unwrap();
    let me = app.call("admin/me", &[]).await.unwrap();
    assert_eq!(me["role"], "support", "{me}");
    practice_connect::server::staff::set_role(
        &app.db,
        &Email::parse(&email).unwrap(),
        StaffRole::Admin,
    )
    .await
    .unwrap();
    let after = app.call("admin/me", &[]).await;
    assert!(
        after.is_err(),
        "the session ended with the change of role: {after:?}"
    );
}
