//! Accounts people can live with, against a real SMTP server (`mailbox::MailCatcher`): email
//! verification, password reset, sign-up that tells nobody which emails have accounts, changing
//! password and email, the sessions list, staff invitations, and the notices the wizard promises.

use std::time::Duration;

use practice_connect::domain::staff::StaffRole;
use serde_json::{json, Value};

use crate::helpers::{unique_name, TestApp, TestDb, PASSWORD, RIVERBEND, SANDBOX_PARTNER_KEY};
use crate::mailbox::MailCatcher;
use crate::on_both_databases;

const MAPLE: &str = "pra-sbxMaple0002";
const NEW_PASSWORD: &str = "a-whole-new-passphrase";

on_both_databases!(
    a_verification_link_works_once_and_expires,
    a_reset_link_works_once_within_its_time_and_ends_every_session,
    a_mail_server_that_is_down_then_up_delivers_the_message_exactly_once,
    sign_up_with_a_taken_email_looks_like_sign_up_with_a_new_one,
    ending_another_session_logs_that_browser_out,
    a_new_password_and_a_new_email_from_the_account_page,
    an_invited_staff_member_chooses_a_password_then_sets_up_an_authenticator,
    a_key_going_bad_tells_the_provider_who_asked_once_and_nobody_else,
    the_weekly_summary_goes_once_a_week_to_those_who_chose_it,
    a_change_of_email_asked_for_with_the_old_password_dies_with_it,
);

async fn app_with_mail(db: TestDb) -> (TestApp, MailCatcher) {
    let mail = MailCatcher::start().await;
    let app = TestApp::spawn_with(db, &["--smtp-url", &mail.url()]).await;
    (app, mail)
}

fn new_email() -> String {
    format!("{}@practice.example", unique_name("dr"))
}

async fn is_logged_in(app: &TestApp) -> bool {
    app.call("current_user", &[]).await.unwrap() != Value::Null
}

async fn verified(app: &TestApp, email: &str) -> bool {
    let at: Option<i64> =
        sqlx::query_scalar("SELECT email_verified_at FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    at.is_some()
}

fn invalid(answer: &Value) -> &str {
    answer["Invalid"].as_str().unwrap_or_default()
}

async fn a_verification_link_works_once_and_expires(db: TestDb) {
    let (app, mail) = app_with_mail(db).await;
    let email = new_email();
    assert!(app.sign_up_as(&email).await.status().is_success());
    let sent = mail.wait_for(&email, 1).await;
    assert!(
        sent[0].subject.contains("Confirm your email"),
        "{:?}",
        sent[0]
    );
    assert!(
        sent[0].raw.contains("multipart/alternative") && sent[0].raw.contains("text/html"),
        "a text and an HTML part"
    );
    let token = sent[0].token("/verify-email");
    assert!(!verified(&app, &email).await);

    // Opening the link shows a button; only pressing it confirms (a mail scanner's GET does not).
    let page = app.get(&format!("/verify-email?token={token}")).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Confirm my email"));
    assert!(!verified(&app, &email).await);

    app.call("verify_email", &[("token", &token)])
        .await
        .unwrap();
    assert!(verified(&app, &email).await);
    let again = app
        .call("verify_email", &[("token", &token)])
        .await
        .unwrap_err();
    assert!(
        invalid(&again).contains("expired or was already used"),
        "{again}"
    );

    // A second account's link, opened after it expired, confirms nothing.
    let late = new_email();
    app.sign_up_as(&late).await;
    let token = mail.wait_for(&late, 1).await[0].token("/verify-email");
    app.state.clock.advance(25 * 3600);
    let expired = app
        .call("verify_email", &[("token", &token)])
        .await
        .unwrap_err();
    assert!(invalid(&expired).contains("expired"), "{expired}");
    assert!(!verified(&app, &late).await);

    // A made-up token gets the same answer.
    let forged = app
        .call("verify_email", &[("token", &"A".repeat(43))])
        .await
        .unwrap_err();
    assert_eq!(invalid(&forged), invalid(&expired));
}

async fn a_reset_link_works_once_within_its_time_and_ends_every_session(db: TestDb) {
    let (app, mail) = app_with_mail(db).await;
    let email = app.sign_up().await;
    let laptop = app.another_browser();
    laptop
        .call("log_in", &[("email", &email), ("password", PASSWORD)])
        .await
        .unwrap();
    assert!(is_logged_in(&app).await && is_logged_in(&laptop).await);

    // Someone who forgot: a known and an unknown address get the same answer.
    let visitor = app.another_browser();
    let known = visitor.call("forgot_password", &[("email", &email)]).await;
    let unknown = visitor
        .call("forgot_password", &[("email", &new_email())])
        .await;
    assert_eq!(known, unknown);
    let sent = mail.wait_for(&email, 2).await;
    let reset = sent
        .iter()
        .find(|m| m.subject.contains("Reset"))
        .expect("a reset email");
    let token = reset.token("/reset-password");
    assert!(
        reset.text.contains("works once, for 30 minutes"),
        "{}",
        reset.text
    );

    let form = visitor
        .get(&format!("/reset-password?token={token}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        form.contains("Save my new password"),
        "the form is shown for a live link"
    );
    visitor
        .call(
            "reset_password",
            &[("token", &token), ("password", NEW_PASSWORD)],
        )
        .await
        .unwrap();
    assert!(
        !is_logged_in(&app).await,
        "the first browser was logged out"
    );
    assert!(!is_logged_in(&laptop).await, "the laptop was logged out");
    assert!(
        verified(&app, &email).await,
        "the link proved the address too"
    );
    let old = visitor
        .call("log_in", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert!(old.is_err(), "the old password no longer works");
    visitor
        .call("log_in", &[("email", &email), ("password", NEW_PASSWORD)])
        .await
        .unwrap();
    let notices = mail.wait_for(&email, 3).await;
    assert!(notices
        .iter()
        .any(|m| m.subject.contains("password was changed")));

    // Used: refused, and its page says so.
    let reused = app
        .call(
            "reset_password",
            &[("token", &token), ("password", "yet-another-password")],
        )
        .await
        .unwrap_err();
    assert!(
        invalid(&reused).contains("expired or was already used"),
        "{reused}"
    );
    let page = app
        .get(&format!("/reset-password?token={token}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("expired or was already used"));

    // Expired: a fresh link, 31 minutes later.
    visitor
        .call("forgot_password", &[("email", &email)])
        .await
        .unwrap();
    let fresh = mail.wait_for(&email, 4).await;
    let token = fresh
        .iter()
        .rev()
        .find(|m| m.subject.contains("Reset"))
        .unwrap()
        .token("/reset-password");
    app.state.clock.advance(31 * 60);
    let expired = app
        .call(
            "reset_password",
            &[("token", &token), ("password", "yet-another-password")],
        )
        .await
        .unwrap_err();
    assert!(invalid(&expired).contains("expired"), "{expired}");
    visitor
        .call("log_in", &[("email", &email), ("password", NEW_PASSWORD)])
        .await
        .unwrap();
}

async fn a_mail_server_that_is_down_then_up_delivers_the_message_exactly_once(db: TestDb) {
    let port = MailCatcher::unused_port();
    let app = TestApp::spawn_with(db, &["--smtp-url", &MailCatcher::url_for(port)]).await;
    let email = new_email();
    // Nothing listens yet: the sign-up still answers at once.
    assert!(app.sign_up_as(&email).await.status().is_success());
    let mut attempts = 0;
    for _ in 0..200 {
        let row: (String, i64) =
            sqlx::query_as("SELECT status, attempts FROM mail_outbox WHERE recipient = $1")
                .bind(&email)
                .fetch_one(app.db.pool())
                .await
                .unwrap();
        attempts = row.1;
        if row == ("queued".to_owned(), 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(attempts, 1, "one failed attempt, queued for a retry");

    let mail = MailCatcher::start_on(port).await;
    app.state
        .clock
        .advance(practice_connect::server::mail::worker::FIRST_RETRY_SECONDS + 1);
    app.state.mail.wake();
    mail.wait_for(&email, 1).await;
    // More wake-ups and a second worker pass find nothing left to send.
    for _ in 0..3 {
        app.state.mail.wake();
        practice_connect::server::mail::worker::send_due(&app.state)
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mail.to(&email).len(), 1, "delivered exactly once");
    let (status, body): (String, Option<Vec<u8>>) =
        sqlx::query_as("SELECT status, body_ciphertext FROM mail_outbox WHERE recipient = $1")
            .bind(&email)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(status, "sent");
    assert!(
        body.is_none(),
        "a sent message's body (and its link) is not kept"
    );
}

async fn sign_up_with_a_taken_email_looks_like_sign_up_with_a_new_one(db: TestDb) {
    let (app, mail) = app_with_mail(db).await;
    let owner = app.sign_up().await;
    let stranger = app.another_browser();
    // The log-in form is filled with the email each one typed: that echo aside, the answers
    // must be identical.
    let answer = |response: reqwest::Response, typed: String| async move {
        let typed = typed.replace('@', "%40");
        let status = response.status();
        let mut headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter(|(name, _)| {
                !["date", "set-cookie", "x-request-id", "content-length"].contains(&name.as_str())
            })
            .map(|(name, value)| {
                let value = value.to_str().unwrap_or("").replace(&typed, "<typed>");
                (name.to_string(), value)
            })
            .collect();
        headers.sort();
        (
            status,
            headers,
            response.text().await.unwrap().replace(&typed, "<typed>"),
        )
    };
    let fresh = new_email();
    let taken = stranger
        .client
        .post(format!("{}/api/sign_up", app.address))
        .header("accept", "application/json")
        .form(&[
            ("name", "Mallory"),
            ("email", owner.as_str()),
            ("password", "mallory-password"),
        ])
        .send()
        .await
        .unwrap();
    let taken = answer(taken, owner.to_string()).await;
    let new = answer(stranger.sign_up_as(&fresh).await, fresh.to_string()).await;
    assert!(
        taken
            .1
            .iter()
            .any(|(_, value)| value.contains("email=<typed>")),
        "the log-in form is filled with the email typed: {taken:?}"
    );
    assert_eq!(taken, new, "the same answer for a taken and a new email");
    assert!(!is_logged_in(&stranger).await, "sign-up logs nobody in");

    let told = mail.wait_for(&owner, 2).await;
    assert!(told.iter().any(|m| m
        .subject
        .contains("Someone tried to sign up with your email")));
    assert!(mail.wait_for(&fresh, 1).await[0]
        .subject
        .contains("Confirm your email"));
    // The attempt changed nothing: the owner's password still works, Mallory's does not.
    let other = app.another_browser();
    assert!(other
        .call(
            "log_in",
            &[("email", &owner), ("password", "mallory-password")]
        )
        .await
        .is_err());
    other
        .call("log_in", &[("email", &owner), ("password", PASSWORD)])
        .await
        .unwrap();
}

async fn sessions(app: &TestApp) -> Vec<Value> {
    let account = app.call("account", &[]).await.unwrap();
    account["sessions"].as_array().unwrap().clone()
}

async fn ending_another_session_logs_that_browser_out(db: TestDb) {
    let (app, _mail) = app_with_mail(db).await;
    let email = app.sign_up().await;
    let phone = app.another_browser();
    phone
        .call("log_in", &[("email", &email), ("password", PASSWORD)])
        .await
        .unwrap();
    let tablet = app.another_browser();
    tablet
        .call("log_in", &[("email", &email), ("password", PASSWORD)])
        .await
        .unwrap();

    let listed = sessions(&app).await;
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!(listed.iter().filter(|s| s["current"] == true).count(), 1);
    assert!(listed.iter().all(|s| s["ip"] == "127.0.0.1"));
    let mine = listed.iter().find(|s| s["current"] == true).unwrap()["handle"].clone();

    // A stranger cannot end them, even with a handle.
    let stranger = app.another_browser();
    stranger.sign_up().await;
    let handles: Vec<String> = listed
        .iter()
        .map(|s| s["handle"].as_str().unwrap().to_owned())
        .collect();
    for handle in &handles {
        stranger
            .call("account/end_sessions", &[("handle", handle)])
            .await
            .unwrap();
    }
    assert!(is_logged_in(&phone).await && is_logged_in(&tablet).await);

    // This browser cannot end itself here (that is what log out is for).
    let own = app
        .call(
            "account/end_sessions",
            &[("handle", mine.as_str().unwrap())],
        )
        .await
        .unwrap_err();
    assert!(invalid(&own).contains("log out"));

    // End the phone's: the phone is logged out at its next request; the tablet is not.
    let phone_handle = phone_session(&phone, &listed).await;
    app.call("account/end_sessions", &[("handle", &phone_handle)])
        .await
        .unwrap();
    assert!(
        !is_logged_in(&phone).await,
        "the ended browser is logged out"
    );
    assert!(is_logged_in(&tablet).await);
    assert_eq!(sessions(&app).await.len(), 2);

    // End all others.
    app.call("account/end_sessions", &[]).await.unwrap();
    assert!(!is_logged_in(&tablet).await);
    assert!(is_logged_in(&app).await, "this browser stays");
    assert_eq!(sessions(&app).await.len(), 1);
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'session_ended' AND outcome = 'ok'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert!(audited >= 2);
}

/// The handle `browser` sees as its own in the list.
async fn phone_session(browser: &TestApp, _listed: &[Value]) -> String {
    sessions(browser)
        .await
        .into_iter()
        .find(|s| s["current"] == true)
        .unwrap()["handle"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn a_new_password_and_a_new_email_from_the_account_page(db: TestDb) {
    let (app, mail) = app_with_mail(db).await;
    let email = app.sign_up().await;
    let other = app.another_browser();
    other
        .call("log_in", &[("email", &email), ("password", PASSWORD)])
        .await
        .unwrap();

    let wrong = app
        .call(
            "account/password",
            &[
                ("current_password", "not-my-password"),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await
        .unwrap_err();
    assert!(invalid(&wrong).contains("current password"));
    app.call(
        "account/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", NEW_PASSWORD),
        ],
    )
    .await
    .unwrap();
    assert!(is_logged_in(&app).await);
    assert!(!is_logged_in(&other).await, "the other session ended");
    assert!(mail
        .wait_for(&email, 2)
        .await
        .iter()
        .any(|m| m.subject.contains("password was changed")));

    // A new email: nothing changes until the link sent to it is opened.
    let moved = new_email();
    app.call(
        "account/email",
        &[("new_email", &moved), ("password", NEW_PASSWORD)],
    )
    .await
    .unwrap();
    let link = mail.wait_for(&moved, 1).await[0].token("/confirm-email");
    assert_eq!(
        app.call("current_user", &[]).await.unwrap()["email"],
        email.as_str()
    );
    other
        .call("confirm_email", &[("token", &link)])
        .await
        .unwrap();
    let now = app.call("current_user", &[]).await.unwrap();
    assert_eq!(now["email"], moved.as_str());
    assert_eq!(now["email_verified"], true);
    assert!(mail
        .wait_for(&email, 3)
        .await
        .iter()
        .any(|m| m.subject.contains("email was changed")));
    assert!(
        other
            .call("confirm_email", &[("token", &link)])
            .await
            .is_err(),
        "once only"
    );
    app.another_browser()
        .call("log_in", &[("email", &moved), ("password", NEW_PASSWORD)])
        .await
        .unwrap();
}

async fn an_invited_staff_member_chooses_a_password_then_sets_up_an_authenticator(db: TestDb) {
    use practice_connect::domain::account::{Email, PersonName};
    use practice_connect::server::mail::Outbox;
    use practice_connect::server::staff::links::{self, StaffLink};

    let (app, mail) = app_with_mail(db).await;
    let email = format!("{}@partner.example", unique_name("invitee"));
    let member = practice_connect::server::staff::invite(
        &app.db,
        &Email::parse(&email).unwrap(),
        &PersonName::parse("Ivy Invitee").unwrap(),
        StaffRole::Support,
    )
    .await
    .unwrap();
    let outbox = Outbox {
        db: &app.db,
        keys: &app.state.keys,
        now: app.state.clock.now(),
        sends: true,
    };
    links::send(&outbox, &app.address, &member, StaffLink::Invite, 72)
        .await
        .unwrap();
    app.state.mail.wake();
    let invitation = mail.wait_for(&email, 1).await;
    let token = invitation[0].token("/admin/welcome");

    // Before choosing, no password opens the account (not even an empty one).
    for guess in ["", "!", PASSWORD] {
        assert!(app
            .call("staff/log_in", &[("email", &email), ("password", guess)])
            .await
            .is_err());
    }
    let page = app
        .get(&format!("/admin/welcome?token={token}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Save my password"));
    app.call(
        "staff/welcome",
        &[("token", &token), ("password", PASSWORD)],
    )
    .await
    .unwrap();
    let again = app
        .call(
            "staff/welcome",
            &[("token", &token), ("password", "another-password")],
        )
        .await
        .unwrap_err();
    assert!(invalid(&again).contains("expired or was already used"));
    app.first_staff_login(&email).await;
    assert!(
        app.call("admin/me", &[]).await.is_ok(),
        "in, with an authenticator set up"
    );

    // Admins see the staff list; support staff do not.
    assert!(app.call("staff/list", &[]).await.is_err());
    let admin = app.another_browser();
    admin.log_in_staff(StaffRole::Admin).await;
    let listed = admin.call("staff/list", &[]).await.unwrap();
    let ivy = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["member"]["email"] == email.as_str())
        .unwrap()
        .clone();
    assert_eq!(ivy["second_factor"], true);
    assert_eq!(ivy["password_pending"], false);
    for action in ["staff_invited", "staff_password_set"] {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = $1 AND outcome = 'ok'",
        )
        .bind(action)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!(count, 1, "{action} audited");
    }
}

/// Connects `practice` for a new provider in a browser of its own; returns their email.
async fn provider_connects(app: &TestApp, practice: &str) -> String {
    let browser = app.another_browser();
    browser.ready_to_connect(practice).await;
    assert_eq!(browser.connect().await["status"], "connected");
    browser.call("current_user", &[]).await.unwrap()["email"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn a_key_going_bad_tells_the_provider_who_asked_once_and_nobody_else(db: TestDb) {
    use practice_connect::server::connections::health::check_due_keys;

    let (app, mail) = app_with_mail(db).await;
    let asked = provider_connects(&app, RIVERBEND).await;
    let silent = provider_connects(&app, MAPLE).await;
    sqlx::query("UPDATE connections SET alerts_by_email = 0 WHERE practice_id = $1")
        .bind(MAPLE)
        .execute(app.db.pool())
        .await
        .unwrap();
    // Both practices reconnect elsewhere: Hint issues new keys and the stored ones die.
    for practice in [RIVERBEND, MAPLE] {
        let code = app.mint_code(practice).await;
        let other = app
            .client
            .post(format!("{}/api/oauth/tokens", app.hint))
            .bearer_auth(SANDBOX_PARTNER_KEY)
            .json(&json!({ "grant_type": "authorization_code", "code": code }))
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 200);
    }
    for _ in 0..3 {
        check_due_keys(&app.state, Duration::ZERO).await.unwrap();
    }
    // The sign-up's confirmation first, then the notice.
    mail.wait_for(&asked, 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let notices = mail.to(&asked);
    let notice: Vec<_> = notices
        .iter()
        .filter(|m| m.subject.contains("needs to be reconnected"))
        .collect();
    assert_eq!(notice.len(), 1, "one notice, however many checks saw it");
    assert!(
        mail.to(&silent)
            .iter()
            .all(|m| !m.subject.contains("reconnected")),
        "nothing to the provider who did not ask"
    );
    assert!(notice[0].text.contains("Riverbend"), "{}", notice[0].text);

    // Its unsubscribe link turns the alerts off for that practice.
    let link = notice[0].link("/unsubscribe?");
    let query = link.split_once('?').unwrap().1;
    let field = |name: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_owned()
    };
    let (k, t) = (field("k"), field("t"));
    let stranger = app.another_browser();
    let mut tampered = t.clone();
    tampered.replace_range(10..11, if &t[10..11] == "A" { "B" } else { "A" });
    assert!(
        stranger
            .call("unsubscribe", &[("k", &k), ("t", &tampered)])
            .await
            .is_err(),
        "an altered link does nothing"
    );
    stranger
        .call("unsubscribe", &[("k", &k), ("t", &t)])
        .await
        .unwrap();
    let alerts: i64 =
        sqlx::query_scalar("SELECT alerts_by_email FROM connections WHERE practice_id = $1")
            .bind(RIVERBEND)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(
        alerts == 0,
        "the unsubscribe link turned the attention emails off"
    );
}

async fn the_weekly_summary_goes_once_a_week_to_those_who_chose_it(db: TestDb) {
    use practice_connect::server::notifications::send_weekly_summaries;

    let (app, mail) = app_with_mail(db).await;
    let weekly = provider_connects(&app, RIVERBEND).await;
    provider_connects(&app, MAPLE).await;
    sqlx::query("UPDATE connections SET weekly_summary = 1 WHERE practice_id = $1")
        .bind(RIVERBEND)
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        send_weekly_summaries(&app.state).await.unwrap(),
        0,
        "not before a week has passed"
    );
    app.state.clock.advance(8 * 24 * 3600);
    assert_eq!(
        send_weekly_summaries(&app.state).await.unwrap(),
        1,
        "only the provider who chose it"
    );
    assert_eq!(
        send_weekly_summaries(&app.state).await.unwrap(),
        0,
        "once a week"
    );
    // The sign-up's confirmation first, then the summary.
    let summary = mail.wait_for(&weekly, 2).await;
    let summary = summary
        .iter()
        .find(|m| m.subject.contains("weekly summary"))
        .unwrap();
    assert!(summary.text.contains("Riverbend"), "{}", summary.text);
    assert!(summary.text.contains("Stop these emails"));
}

#[tokio::test]
async fn without_a_mail_server_development_keeps_email_on_the_outbox_page() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let email = new_email();
    app.sign_up_as(&email).await;
    let page = app.get("/dev/outbox").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(&email));
    assert!(html.contains("Confirm your email for practice-connect"));
    assert!(
        html.contains("<a href=\"http://127.0.0.1:"),
        "its link can be clicked"
    );
}

/// Someone who once knew the password asks to move the account to their own address; the owner
/// resets the password (or changes it) before the link is opened: the link is dead.
async fn a_change_of_email_asked_for_with_the_old_password_dies_with_it(db: TestDb) {
    let (app, mail) = app_with_mail(db).await;
    let email = app.sign_up().await;
    let attacker = app.another_browser();
    attacker
        .call("log_in", &[("email", &email), ("password", PASSWORD)])
        .await
        .unwrap();
    let theirs = new_email();
    attacker
        .call(
            "account/email",
            &[("new_email", &theirs), ("password", PASSWORD)],
        )
        .await
        .unwrap();
    let stolen = mail.wait_for(&theirs, 1).await[0].token("/confirm-email");

    // The owner resets the password from the emailed link.
    let owner = app.another_browser();
    owner
        .call("forgot_password", &[("email", &email)])
        .await
        .unwrap();
    let reset = mail
        .wait_for(&email, 2)
        .await
        .into_iter()
        .find(|m| m.subject.contains("Reset"))
        .expect("a reset email")
        .token("/reset-password");
    owner
        .call(
            "reset_password",
            &[("token", &reset), ("password", NEW_PASSWORD)],
        )
        .await
        .unwrap();
    let notice = mail
        .wait_for(&email, 3)
        .await
        .into_iter()
        .find(|m| m.subject.contains("password was changed"))
        .expect("the notice");
    assert!(notice.text.contains("no longer"), "{}", notice.text);

    assert!(attacker
        .call("confirm_email", &[("token", &stolen)])
        .await
        .is_err());
    owner
        .call("log_in", &[("email", &email), ("password", NEW_PASSWORD)])
        .await
        .unwrap();
    let now = owner.call("current_user", &[]).await.unwrap();
    assert_eq!(
        now["email"],
        email.as_str(),
        "the account stayed the owner's"
    );

    // The same after a change of password from the account page.
    attacker
        .call("log_in", &[("email", &email), ("password", NEW_PASSWORD)])
        .await
        .unwrap();
    let again = new_email();
    attacker
        .call(
            "account/email",
            &[("new_email", &again), ("password", NEW_PASSWORD)],
        )
        .await
        .unwrap();
    let stolen = mail.wait_for(&again, 1).await[0].token("/confirm-email");
    owner
        .call(
            "account/password",
            &[
                ("current_password", NEW_PASSWORD),
                ("new_password", "a-third-passphrase"),
            ],
        )
        .await
        .unwrap();
    assert!(attacker
        .call("confirm_email", &[("token", &stolen)])
        .await
        .is_err());
}
