//! Built assets served from memory with versioned names, compression and cache headers.

use crate::helpers::TestApp;

/// Starts the app on a site folder holding a small fake bundle.
async fn app_with_site() -> TestApp {
    let css = "body { color: black; }\n".repeat(64);
    TestApp::spawn_with_site(&[
        ("pkg/practice-connect.css", css.as_bytes()),
        ("pkg/practice-connect.js", b"export default 1;\n"),
        ("pkg/practice-connect.wasm", &[0, 97, 115, 109, 1, 0, 0, 0]),
        ("favicon.svg", b"<svg/>"),
    ])
    .await
}

/// The stylesheet link the rendered home page points at.
async fn stylesheet_href(app: &TestApp) -> String {
    let body = app.get("/").await.text().await.unwrap();
    let start = body
        .find("/pkg/practice-connect.")
        .expect("a versioned bundle link");
    let end = body[start..].find(".css").expect("a stylesheet") + start + 4;
    body[start..end].to_owned()
}

#[tokio::test]
async fn pages_link_versioned_bundles_that_are_cached_forever_and_compressed() {
    let app = app_with_site().await;
    let href = stylesheet_href(&app).await;
    assert_ne!(
        href, "/pkg/practice-connect.css",
        "the link must carry the build id"
    );
    let response = app
        .client
        .get(format!("{}{href}", app.address))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert_eq!(response.headers()["content-type"], "text/css");
}

#[tokio::test]
async fn public_files_revalidate_with_an_etag() {
    let app = app_with_site().await;
    let first = app.get("/favicon.svg").await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].clone();
    let second = app
        .client
        .get(format!("{}/favicon.svg", app.address))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 304);
}
