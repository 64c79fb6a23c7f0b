//! A partner service receiving practice-connect's connection events: it checks each one's
//! signature and age, drops an id it has seen, and for a connected (or recovered) practice
//! fetches the key through the service API. It says what a real product would do instead of
//! doing it. How to run it beside `make run`: the README's "Partner API and events".
//!
//! Settings (environment): `EVENTS_SECRET` (the endpoint's `whsec_…`), `PRACTICE_CONNECT_TOKEN`
//! (a `pcs_…` token with `keys:read`), `PRACTICE_CONNECT_URL` (default `http://127.0.0.1:3000`),
//! `LISTEN` (default `127.0.0.1:4700`; events arrive at `/events`).

mod verify;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::Value;

struct Consumer {
    secret: String,
    token: Option<String>,
    base_url: String,
    http: reqwest::Client,
    seen: Mutex<HashSet<String>>,
}

#[tokio::main]
async fn main() {
    let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let Some(secret) = env("EVENTS_SECRET") else {
        eprintln!(
            "set EVENTS_SECRET to the endpoint's signing secret (event-endpoints add prints it)"
        );
        std::process::exit(2);
    };
    let listen = env("LISTEN").unwrap_or_else(|| "127.0.0.1:4700".into());
    let consumer = Arc::new(Consumer {
        secret,
        token: env("PRACTICE_CONNECT_TOKEN"),
        base_url: env("PRACTICE_CONNECT_URL").unwrap_or_else(|| "http://127.0.0.1:3000".into()),
        http: reqwest::Client::new(),
        seen: Mutex::default(),
    });
    let app = Router::new()
        .route("/events", post(receive))
        .with_state(consumer);
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .unwrap_or_else(|error| panic!("cannot listen on {listen}: {error}"));
    println!("listening for events on http://{listen}/events");
    axum::serve(listener, app).await.expect("serves");
}

async fn receive(
    State(consumer): State<Arc<Consumer>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64);
    let header = headers
        .get("practice-connect-signature")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if let Err(why) = verify::verify(&consumer.secret, header, &body, now) {
        println!("refused an event: {why:?}");
        return StatusCode::BAD_REQUEST;
    }
    let Ok(event) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let id = event["id"].as_str().unwrap_or_default().to_owned();
    if !consumer
        .seen
        .lock()
        .expect("not poisoned")
        .insert(id.clone())
    {
        println!("{id}: seen already (a redelivery), nothing to do");
        return StatusCode::OK;
    }
    let data = &event["data"];
    let connection = data["connection_id"].as_str().unwrap_or_default();
    let practice = data["practice_name"].as_str().unwrap_or("a practice");
    match event["type"].as_str().unwrap_or_default() {
        "connection.connected" | "connection.recovered" => {
            match fetch_key(&consumer, connection).await {
                Ok(key) => println!(
                    "{id}: {practice} is connected: would store its key (…{}) and start syncing",
                    &key[key.len().saturating_sub(4)..]
                ),
                Err(why) => {
                    println!(
                        "{id}: {practice} is connected, but the key could not be fetched: {why}"
                    );
                    // Not 2xx: practice-connect sends the event again later.
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
            }
        }
        "connection.needs_reconnect" => {
            println!("{id}: {practice} needs to reconnect: would pause syncing and tell them")
        }
        "connection.disconnected" => {
            println!("{id}: {practice} disconnected: would delete its key and stop syncing")
        }
        other => println!("{id}: {other} for {practice}: noted"),
    }
    StatusCode::OK
}

async fn fetch_key(consumer: &Consumer, connection: &str) -> Result<String, String> {
    let Some(token) = &consumer.token else {
        return Err("no PRACTICE_CONNECT_TOKEN".into());
    };
    let url = format!("{}/v1/connections/{connection}/key", consumer.base_url);
    let response = consumer
        .http
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|error| error.to_string())?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|error| error.to_string())?;
    match body["api_key"].as_str() {
        Some(key) if status.is_success() => Ok(key.to_owned()),
        _ => Err(format!(
            "{status}: {}",
            body["detail"].as_str().unwrap_or("no detail")
        )),
    }
}
