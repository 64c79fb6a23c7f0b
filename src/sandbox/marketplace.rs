//! A small stand-in for Hint's marketplace: each practice with a Connect button that sends the
//! browser to the partner's redirect URL with a fresh code appended, exactly as Hint does; and
//! each practice's settings page in Hint, which signs a handshake to the partner app and frames
//! the app's settings surface with the session key it answers.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::SandboxState;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// `GET /marketplace`
pub async fn page(State(state): State<SandboxState>) -> Response {
    let rows: String = state.with_store(|store| {
        store
            .practices()
            .iter()
            .map(|practice| {
                let integration = store.integration_of(&practice.id);
                let status = integration.map_or("not connected", |i| i.status.as_str());
                let disconnect = match integration {
                    Some(i) if i.status != "inactive" => format!(
                        r#"<form method="post" action="/marketplace/integrations/{id}/deactivate">
                             <button class="secondary" type="submit">Disconnect</button></form>"#,
                        id = escape(&i.id)
                    ),
                    _ => String::new(),
                };
                format!(
                    r#"<li class="practice">
                        <div><h2>{name}</h2>
                          <p>{city}, {st} · <code>{id}</code></p>
                          <p>Admin: {admin} · Integration: <span class="status">{status}</span></p></div>
                        <div class="actions">
                          <form method="post" action="/marketplace/practices/{id}/connect">
                            <button type="submit" aria-label="Connect {name}">Connect</button></form>
                          {disconnect}
                          <a href="/marketplace/practices/{id}/settings" aria-label="Settings of {name} in Hint">Settings</a>
                        </div></li>"#,
                    name = escape(&practice.name),
                    city = escape(&practice.address_city),
                    st = escape(&practice.address_state),
                    id = escape(&practice.id),
                    admin = escape(&practice.admin.name),
                    status = escape(status),
                )
            })
            .collect()
    });
    let product = escape(&state.product.name);
    let html = format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hint sandbox marketplace</title>
<style>
body{{font-family:system-ui,sans-serif;margin:0;background:#f5f3ef;color:#222}}
header{{background:#2b2a5e;color:#fff;padding:1rem 2rem}} main{{max-width:52rem;margin:1.5rem auto;padding:0 1rem}}
.note{{background:#fff8db;padding:.75rem 1rem;border-radius:8px}} ul{{list-style:none;padding:0}}
.practice{{background:#fff;border-radius:10px;padding:1rem 1.25rem;margin:.75rem 0;display:flex;justify-content:space-between;gap:1rem;flex-wrap:wrap}}
h2{{margin:.1rem 0;font-size:1.15rem}} p{{margin:.2rem 0}} .actions{{display:flex;gap:.5rem;align-items:center}}
button{{font:inherit;font-weight:600;padding:.5rem 1rem;border-radius:8px;border:1px solid #2b2a5e;background:#2b2a5e;color:#fff;cursor:pointer}}
button.secondary{{background:#fff;color:#2b2a5e}}
</style></head><body>
<header><strong>Hint</strong> sandbox · Marketplace</header>
<main><h1>{product}</h1>
<p class="note">This is the Hint sandbox built into practice-connect. Clicking Connect sends you to the
partner's redirect URL with a fresh one-time code, as Hint's InstantOn does.</p>
<ul>{rows}</ul></main></body></html>"#
    );
    (
        [(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action *",
        )],
        Html(html),
    )
        .into_response()
}

/// `POST /marketplace/practices/{id}/connect`: 303 to the redirect URL with a fresh code appended.
pub async fn connect(
    State(state): State<SandboxState>,
    Path(practice_id): Path<String>,
) -> Response {
    let Some(code) = state.with_store(|store| store.mint_code(&practice_id, None)) else {
        return (StatusCode::NOT_FOUND, "No such practice in the sandbox").into_response();
    };
    state.record_secret(&code);
    // Appended to the end of the string, nothing else added: `…?code=` and `…/connect/` both work.
    Redirect::to(&format!("{}{code}", state.redirect_url)).into_response()
}

/// `POST /marketplace/integrations/{id}/deactivate`: the practice disconnects inside Hint.
pub async fn disconnect(
    State(state): State<SandboxState>,
    Path(integration_id): Path<String>,
) -> Response {
    let response = state.change_integration(&integration_id, false);
    if response.status().is_success() {
        Redirect::to("/marketplace").into_response()
    } else {
        response
    }
}

/// Where the partner app is, and the key Hint signs its handshakes with.
pub struct Embedding {
    /// The app's base URL, without a trailing slash.
    pub app_url: String,
    pub signing_key: Vec<u8>,
    pub http: reqwest::Client,
}

/// `GET /marketplace/practices/{id}/settings`: the practice's settings page in Hint. Signs a
/// handshake naming the practice's admin and the practice, sends it to the app, and frames the
/// app's settings surface with the session key it answers.
pub async fn practice_settings(
    State(state): State<SandboxState>,
    Path(practice_id): Path<String>,
) -> Response {
    let Some((payload, practice_name)) = state.with_store(|store| {
        let practice = store
            .practices()
            .iter()
            .find(|p| p.id == practice_id)?
            .clone();
        let integration = store
            .integration_of(&practice.id)
            .map(|i| serde_json::json!({ "id": i.id, "status": i.status }));
        let timestamp = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .ok()?;
        let payload = serde_json::json!({
            "user": {
                "id": practice.admin.id, "name": practice.admin.name, "email": practice.admin.email,
                "partner_roles": ["admin"],
            },
            "access_context": "practice",
            "practice": { "id": practice.id, "name": practice.name },
            "integration": integration,
            "timestamp": timestamp,
        });
        Some((payload, practice.name))
    }) else {
        return (StatusCode::NOT_FOUND, "No such practice in the sandbox").into_response();
    };
    let embedding = &state.embedding;
    let body = payload.to_string();
    let answer = embedding
        .http
        .post(format!("{}/hint/handshake", embedding.app_url))
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            "x-hint-signature",
            super::webhooks::signature(&embedding.signing_key, body.as_bytes()),
        )
        .body(body)
        .send()
        .await;
    let session_key = match answer {
        Ok(response) if response.status().is_success() => response
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|v| v["session_key"].as_str().map(str::to_owned)),
        Ok(response) => {
            tracing::warn!(status = %response.status(), "the app refused the sandbox's handshake");
            None
        }
        Err(error) => {
            tracing::warn!(error = %error.without_url(), "the sandbox could not reach the app for a handshake");
            None
        }
    };
    let content = match session_key {
        Some(key) => format!(
            r#"<iframe title="practice-connect settings" src="{app}/hint/settings?session_key={key}"></iframe>"#,
            app = escape(&embedding.app_url),
            key = escape(&key),
        ),
        None => "<p class=\"note\">The app refused the handshake or did not answer; its log says why.</p>".to_owned(),
    };
    let html = format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{name} · Settings · Hint sandbox</title>
<style>
body{{font-family:system-ui,sans-serif;margin:0;background:#f5f3ef;color:#222}}
header{{background:#2b2a5e;color:#fff;padding:1rem 2rem}} main{{max-width:60rem;margin:1.5rem auto;padding:0 1rem}}
.note{{background:#fff8db;padding:.75rem 1rem;border-radius:8px}} a{{color:#2b2a5e}}
iframe{{width:100%;height:40rem;border:1px solid #ccc;border-radius:10px;background:#fff}}
</style></head><body>
<header><strong>Hint</strong> sandbox · {name} · Settings</header>
<main><p><a href="/marketplace">← Marketplace</a></p>
<h1>Apps: practice-connect</h1>
{content}</main></body></html>"#,
        name = escape(&practice_name),
    );
    let policy = format!(
        "default-src 'none'; style-src 'unsafe-inline'; frame-src {}; form-action *",
        crate::domain::urls::origin_of(&embedding.app_url)
    );
    ([(header::CONTENT_SECURITY_POLICY, policy)], Html(html)).into_response()
}
