//! `GET /dev/outbox`, development only: the email the app would have sent, newest first, with
//! its links clickable, so `make run` works offline and a newcomer can follow a verification or
//! reset link. In production the route does not exist.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::domain::dates::iso_date_time;
use crate::server::mail;
use crate::server::state::AppState;

/// How many messages the page lists.
const SHOWN: i64 = 50;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The text part with each link made clickable (links are whole lines in our templates).
fn with_links(text: &str) -> String {
    text.lines()
        .map(|line| {
            let escaped = escape(line);
            let trimmed = line.trim();
            let is_link = (trimmed.starts_with("http://") || trimmed.starts_with("https://"))
                && !trimmed.contains(char::is_whitespace);
            if is_link {
                format!("<a href=\"{escaped}\">{escaped}</a>")
            } else {
                escaped
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The outbox page.
pub async fn page(State(state): State<AppState>) -> Response {
    let entries = match mail::outbox(&state, SHOWN).await {
        Ok(entries) => entries,
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Development outbox</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
         <body><main><h1>Development outbox</h1>\
         <p>Email the app queued. With no <code>SMTP_URL</code> in development nothing is sent: it \
         waits here instead. <a href=\"/\">Back to the app</a></p>",
    );
    if entries.is_empty() {
        html.push_str("<p>Nothing yet.</p>");
    }
    for entry in entries {
        html.push_str(&format!(
            "<article><h2>{}</h2><p>To <strong>{}</strong> · {} · {} · {}</p>",
            escape(&entry.subject),
            escape(&entry.recipient),
            iso_date_time(entry.created_at),
            escape(&entry.kind),
            escape(&entry.status),
        ));
        match &entry.text {
            Some(text) => html.push_str(&format!("<pre>{}</pre>", with_links(text))),
            None => html.push_str("<p><em>Sent; its body is no longer kept.</em></p>"),
        }
        html.push_str("</article>");
    }
    html.push_str("</main></body></html>");
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_line_links_become_anchors_and_text_is_escaped() {
        let html =
            with_links("Hello <Ana>,\nhttps://x.example/r?token=a&b\nsee https://y and more");
        assert!(html.contains("Hello &lt;Ana&gt;,"));
        assert!(html.contains("<a href=\"https://x.example/r?token=a&amp;b\">"));
        assert!(!html.contains("<a href=\"https://y"));
    }
}
