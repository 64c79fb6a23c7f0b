//! Server-rendered pages and the headers they carry.

use crate::helpers::{TestApp, TestDb};

#[tokio::test]
async fn the_home_page_renders_on_the_server() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let body = response.text().await.unwrap();
    assert!(body.contains("Connect your Hint practice"), "{body}");
    assert!(
        body.contains("<title>Connect your Hint practice · practice-connect</title>"),
        "{body}"
    );
}

#[tokio::test]
async fn after_sign_up_the_log_in_form_has_the_email_typed_and_waits_for_the_password() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let body = app
        .get("/login?account=created&email=dr.ruiz%40practice.example")
        .await
        .text()
        .await
        .unwrap();
    let email = body
        .split("<input")
        .find(|input| input.contains(r#"id="login-email""#))
        .expect("the email field");
    assert!(
        email.contains(r#"value="dr.ruiz@practice.example""#),
        "{email}"
    );
    let password = body
        .split("<input")
        .find(|input| input.contains(r#"id="login-password""#))
        .expect("the password field");
    assert!(password.contains("autofocus"), "{password}");

    let plain = app.get("/login").await.text().await.unwrap();
    let password = plain
        .split("<input")
        .find(|input| input.contains(r#"id="login-password""#))
        .expect("the password field");
    assert!(!password.contains("autofocus"), "{password}");
}

#[tokio::test]
async fn pages_carry_a_nonce_based_content_security_policy() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let response = app.get("/").await;
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("the policy names a nonce");
    assert!(!csp.contains("unsafe-inline"));
    let body = response.text().await.unwrap();
    assert!(
        body.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script must carry the nonce"
    );
}

#[tokio::test]
async fn every_response_keeps_referrers_on_our_origin_and_forbids_framing_and_sniffing() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    for path in ["/", "/healthz", "/no-such-page"] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert!(headers.contains_key("content-security-policy"), "{path}");
    }
}

#[tokio::test]
async fn an_unknown_address_gets_the_not_found_page_with_404() {
    let app = TestApp::spawn(TestDb::Sqlite).await;
    let response = app.get("/no-such-page").await;
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("Page not found"));
}

/// Every page reads who is signed in while it renders, and is sent only once that is known. Many
/// at once, from a signed-in and an anonymous browser, on a server with two worker threads: each
/// must arrive whole, header included (a page left waiting would end in the 408 of the request
/// timeout instead).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_pages_at_once_all_arrive_whole() {
    // Every browser here shares 127.0.0.1: more connections than one address may hold.
    let app = TestApp::spawn_with(TestDb::Sqlite, &["--max-connections-per-client", "1000"]).await;
    let email = app.sign_up().await;
    let stranger = app.another_browser();
    let paths = [
        "/",
        "/login",
        "/account",
        "/practices",
        "/verify-email?token=x",
        "/forgot-password",
    ];
    let mut pages = tokio::task::JoinSet::new();
    for round in 0..40 {
        for path in paths {
            let (client, signed_in) = if round % 2 == 0 {
                (app.client.clone(), true)
            } else {
                (stranger.client.clone(), false)
            };
            let url = format!("{}{path}", app.address);
            pages.spawn(async move {
                let response = client.get(&url).send().await.expect("answered");
                (
                    path,
                    signed_in,
                    response.status(),
                    response.text().await.unwrap_or_default(),
                )
            });
        }
    }
    let mut whole = 0;
    while let Some(page) = pages.join_next().await {
        let (path, signed_in, status, body) = page.unwrap();
        assert_eq!(status, 200, "{path}");
        assert!(body.contains("</html>"), "{path} ends: {body}");
        let header = if signed_in {
            email.as_str()
        } else {
            "Log in</a></nav>"
        };
        assert!(
            body.contains(header),
            "{path} header for signed_in={signed_in}: {body}"
        );
        whole += 1;
    }
    assert_eq!(whole, 40 * paths.len());
}
