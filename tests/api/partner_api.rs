//! The service API (`/v1`) against the real server: tokens made with the real command line,
//! scopes, revocation, problem+json errors, the audit of every key read, pagination, and the
//! OpenAPI document compared with real answers.

use practice_connect::domain::partner::TOKEN_PREFIX;
use serde_json::Value;

use crate::helpers::{TestApp, RIVERBEND, SANDBOX_PARTNER_KEY};
use crate::on_both_databases;

const MAPLE: &str = "pra-sbxMaple0002";

impl TestApp {
    /// `service-tokens create` through the binary; the token is the last line of its output.
    pub async fn service_token(&self, name: &str, scopes: &str) -> String {
        let (ok, printed) = self
            .cli(
                "service-tokens",
                &["create", "--name", name, "--scopes", scopes],
            )
            .await;
        assert!(ok, "{printed}");
        let token = printed.lines().last().expect("a last line").to_owned();
        assert!(token.starts_with(TOKEN_PREFIX), "{printed}");
        assert_eq!(token.trim(), token, "nothing else on the token's line");
        token
    }

    /// `GET` a service API path with a bearer token (and no cookie jar).
    pub async fn v1(&self, path: &str, token: Option<&str>) -> (u16, String, Value) {
        let mut request = reqwest::Client::new().get(format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the API answers");
        let status = response.status().as_u16();
        let kind = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, kind, body)
    }
}

/// A provider's whole journey for `practice`; answers the connection's id.
async fn journey(app: &TestApp, practice: &str) -> String {
    let browser = app.another_browser();
    browser.ready_to_connect(practice).await;
    let done = browser.connect().await;
    assert_eq!(done["status"], "connected", "{done}");
    done["id"].as_str().expect("an id").to_owned()
}

on_both_databases! {
    async fn a_read_token_lists_the_journey_s_connection_and_cannot_read_its_key(app) {
        let id = journey(&app, RIVERBEND).await;
        let token = app.service_token("billing-sync", "connections:read").await;

        let (status, _, list) = app.v1("/v1/connections", Some(&token)).await;
        assert_eq!(status, 200, "{list}");
        let item = &list["data"][0];
        assert_eq!(item["id"], id.as_str());
        assert_eq!(item["practice_id"], RIVERBEND);
        assert_eq!(item["status"], "connected");
        assert!(item["integration_id"].as_str().unwrap().starts_with("int-"), "{item}");
        assert!(item["connected_at"].as_str().unwrap().ends_with('Z'), "{item}");
        assert_eq!(list["next_cursor"], Value::Null);
        let (status, _, one) = app.v1(&format!("/v1/connections/{id}"), Some(&token)).await;
        assert_eq!((status, &one), (200, item));

        let (status, kind, problem) = app.v1(&format!("/v1/connections/{id}/key"), Some(&token)).await;
        assert_eq!(status, 403, "{problem}");
        assert_eq!(kind, "application/problem+json");
        assert_eq!(problem["status"], 403);
        assert!(problem["detail"].as_str().unwrap().contains("keys:read"), "{problem}");
        assert_eq!(app.v1("/v1/connections/con_nope", Some(&token)).await.0, 404);
    }

    async fn a_key_token_gets_the_key_hint_issued_and_the_audit_names_it(app) {
        let id = journey(&app, RIVERBEND).await;
        let token = app.service_token("ehr-bridge", "keys:read").await;
        let response = reqwest::Client::new()
            .get(format!("{}/v1/connections/{id}/key", app.address))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert!(response.headers().get("set-cookie").is_none());
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["practice_id"], RIVERBEND);
        let key = body["api_key"].as_str().expect("a key");
        // What Hint issued: the sandbox's practice endpoint takes it as Riverbend's live key.
        let practice: Value = reqwest::Client::new()
            .get(format!("{}/api/provider/practice", app.hint))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(practice["id"], RIVERBEND, "{practice}");

        let audited: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT actor_kind, detail, connection_id FROM audit_log WHERE action = 'service_key_read'",
        )
        .fetch_all(app.db.pool())
        .await
        .unwrap();
        assert_eq!(audited, vec![("service".into(), Some("ehr-bridge".into()), Some(id.clone()))]);
        // A token with only keys:read may not list.
        assert_eq!(app.v1("/v1/connections", Some(&token)).await.0, 403);
    }

    async fn missing_wrong_and_revoked_tokens_get_401_as_problems(app) {
        let token = app.service_token("short-lived", "connections:read").await;
        assert_eq!(app.v1("/v1/connections", Some(&token)).await.0, 200);
        let (status, kind, problem) = app.v1("/v1/connections", None).await;
        assert_eq!((status, kind.as_str()), (401, "application/problem+json"), "{problem}");
        let forged = format!("{TOKEN_PREFIX}{}", "A".repeat(43));
        assert_eq!(app.v1("/v1/connections", Some(&forged)).await.0, 401);

        let (ok, printed) = app.cli("service-tokens", &["list"]).await;
        assert!(ok && printed.contains("short-lived") && printed.contains("connections:read"), "{printed}");
        assert!(!printed.contains(&token), "the list never shows a token");
        let (ok, printed) = app.cli("service-tokens", &["revoke", "--name", "short-lived"]).await;
        assert!(ok, "{printed}");
        let (status, _, problem) = app.v1("/v1/connections", Some(&token)).await;
        assert_eq!(status, 401);
        assert!(problem["detail"].as_str().unwrap().contains("revoked"), "{problem}");
        let actions: Vec<String> = sqlx::query_scalar(
            "SELECT action FROM audit_log WHERE detail = 'short-lived' ORDER BY id",
        )
        .fetch_all(app.db.pool())
        .await
        .unwrap();
        assert_eq!(actions, ["service_token_created", "service_token_revoked"]);
        // A staff member's cookie is no way in: the API reads only the bearer token.
        let staff = app.add_staff(practice_connect::domain::staff::StaffRole::Admin).await;
        app.first_staff_login(&staff).await;
        let with_cookie = app.client.get(format!("{}/v1/connections", app.address)).send().await.unwrap();
        assert_eq!(with_cookie.status(), 401);
    }

    async fn pages_follow_the_order_of_change_and_filters_narrow_them(app) {
        let first = journey(&app, RIVERBEND).await;
        let second = journey(&app, MAPLE).await;
        let token = app.service_token("pager", "connections:read").await;
        let (_, _, page) = app.v1("/v1/connections?limit=1", Some(&token)).await;
        assert_eq!(page["data"].as_array().unwrap().len(), 1);
        let cursor = page["next_cursor"].as_str().expect("a next page").to_owned();
        let (_, _, rest) = app.v1(&format!("/v1/connections?limit=1&cursor={cursor}"), Some(&token)).await;
        let ids = [page["data"][0]["id"].clone(), rest["data"][0]["id"].clone()];
        let mut expected = [Value::from(first), Value::from(second.clone())];
        expected.sort_by_key(|id| id.as_str().unwrap().to_owned());
        let mut seen = ids.clone();
        seen.sort_by_key(|id| id.as_str().unwrap().to_owned());
        assert_eq!(seen, expected, "each once across the pages");
        assert_eq!(rest["next_cursor"], Value::Null);

        let (_, _, maple) = app.v1(&format!("/v1/connections?practice_id={MAPLE}"), Some(&token)).await;
        assert_eq!(maple["data"].as_array().unwrap().len(), 1);
        assert_eq!(maple["data"][0]["id"], second.as_str());
        let (_, _, none) = app.v1("/v1/connections?status=disconnected", Some(&token)).await;
        assert_eq!(none["data"], Value::Array(vec![]));
        let (_, _, later) = app.v1("/v1/connections?updated_since=2999-01-01T00:00:00Z", Some(&token)).await;
        assert_eq!(later["data"], Value::Array(vec![]));
        for bad in ["status=sleeping", "updated_since=yesterday", "cursor=%21%21", "limit=0", "limit=201"] {
            let (status, kind, problem) = app.v1(&format!("/v1/connections?{bad}"), Some(&token)).await;
            assert_eq!((status, kind.as_str()), (400, "application/problem+json"), "{bad}: {problem}");
        }
    }

    async fn no_answer_of_the_list_holds_a_key(app) {
        let id = journey(&app, RIVERBEND).await;
        journey(&app, MAPLE).await;
        let both = app.service_token("both", "connections:read,keys:read").await;
        let (_, _, key) = app.v1(&format!("/v1/connections/{id}/key"), Some(&both)).await;
        let key = key["api_key"].as_str().unwrap().to_owned();
        for path in ["/v1/connections", "/v1/connections?limit=1", &format!("/v1/connections/{id}")] {
            let text = reqwest::Client::new()
                .get(format!("{}{path}", app.address))
                .bearer_auth(&both)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(!text.contains(&key), "{path} holds the key");
            assert!(!text.contains("api_key"), "{path}");
        }
    }

    async fn a_connection_that_is_not_connected_answers_409_with_its_status(app) {
        let id = journey(&app, RIVERBEND).await;
        // The practice connects elsewhere: Hint issues a new key, and the key job finds ours dead.
        assert!(app.key_proved(RIVERBEND).await);
        let code = app.mint_code(RIVERBEND).await;
        let other = app.client.post(format!("{}/api/oauth/tokens", app.hint)).bearer_auth(SANDBOX_PARTNER_KEY)
            .json(&serde_json::json!({ "grant_type": "authorization_code", "code": code })).send().await.unwrap();
        assert_eq!(other.status(), 200);
        let every = std::time::Duration::ZERO;
        let report = practice_connect::server::connections::health::check_due_keys(&app.state, every).await.unwrap();
        assert_eq!(report.needs_reconnect, 1);
        let token = app.service_token("waiter", "keys:read").await;
        let (status, kind, problem) = app.v1(&format!("/v1/connections/{id}/key"), Some(&token)).await;
        assert_eq!((status, kind.as_str()), (409, "application/problem+json"));
        assert_eq!(problem["connection_status"], "needs_reconnect", "{problem}");
        let reads: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'service_key_read'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(reads, 0, "no key given, so no read is recorded");
    }

    async fn admins_manage_tokens_on_the_dashboard_with_a_fresh_confirmation(app) {
        use practice_connect::domain::staff::StaffRole;

        // Support staff may not see or make tokens.
        let support = app.another_browser();
        support.log_in_staff(StaffRole::Support).await;
        assert_eq!(support.call("admin/partner_api", &[]).await.unwrap_err(), "Forbidden");
        assert_eq!(
            support.call("admin/service_token", &[("name", "x"), ("connections_read", "on")]).await.unwrap_err(),
            "Forbidden"
        );

        let login = app.log_in_staff(StaffRole::Admin).await;
        // Right after the login, which was a confirmation.
        let made = app.call("admin/service_token", &[("name", "from-dashboard"), ("connections_read", "on")]).await.unwrap();
        let token = made.as_str().unwrap().to_owned();
        assert_eq!(app.v1("/v1/connections", Some(&token)).await.0, 200);
        // Ten minutes on, a new token needs the password and a code again.
        app.state.clock.advance(10 * 60);
        let fields = [("name", "second"), ("keys_read", "on")];
        assert_eq!(app.call("admin/service_token", &fields).await.unwrap_err(), "StepUpNeeded");
        let code = login.next_code(&app);
        let confirmed = [("name", "second"), ("keys_read", "on"), ("password", crate::helpers::PASSWORD), ("code", code.as_str())];
        let second = app.call("admin/service_token", &confirmed).await.unwrap();
        assert!(second.as_str().unwrap().starts_with(TOKEN_PREFIX));
        // No scope, or a name in use, is refused with a message.
        assert!(app.call("admin/service_token", &[("name", "none")]).await.is_err());

        let page = app.call("admin/partner_api", &[]).await.unwrap();
        let names: Vec<&str> = page["tokens"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["from-dashboard", "second"]);
        assert!(!page.to_string().contains(&token), "the page never shows a token");

        app.call("admin/revoke_service_token", &[("name", "from-dashboard")]).await.unwrap();
        assert_eq!(app.v1("/v1/connections", Some(&token)).await.0, 401);
        let by: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT action, actor_kind FROM audit_log WHERE detail = 'from-dashboard' ORDER BY id",
        )
        .fetch_all(app.db.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|(action, kind): (String, String)| (action, Some(kind)))
        .collect();
        assert_eq!(by, [("service_token_created".into(), Some("staff".into())), ("service_token_revoked".into(), Some("staff".into()))]);
    }
}

/// A token's own limit: past it, 429 with Retry-After, as a problem.
#[tokio::test]
async fn a_token_over_its_limit_gets_429() {
    let app = TestApp::spawn_with(
        crate::helpers::TestDb::Sqlite,
        &["--service-api-requests-per-minute", "4"],
    )
    .await;
    let token = app.service_token("busy", "connections:read").await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(app.v1("/v1/connections", Some(&token)).await.0);
    }
    assert_eq!(statuses.first(), Some(&200));
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    // Another token is not held back by this one.
    let other = app.service_token("quiet", "connections:read").await;
    assert_eq!(app.v1("/v1/connections", Some(&other)).await.0, 200);
}
