//! Signed webhook deliveries to the partner, retried with backoff, as Hint sends them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use tokio::sync::mpsc;

/// The signature header: `sha256=<hex HMAC-SHA256 of the raw body>`.
pub const SIGNATURE_HEADER: &str = "x-hint-signature";

/// `sha256=<hex>` of `body` under `key`.
pub fn signature(key: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length; the error case cannot happen.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// One event on its way to the partner.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    pub kind: String,
    pub body: Vec<u8>,
}

/// What happened to one event (the admin endpoint shows these).
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub attempts: u32,
    pub delivered: bool,
    /// The last HTTP status, or the last error in words.
    pub last_result: String,
}

/// Sends events in the background.
#[derive(Clone)]
pub struct Webhooks {
    queue: mpsc::UnboundedSender<Event>,
    log: Arc<Mutex<Vec<Delivery>>>,
}

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct DeliveryPolicy {
    pub url: Option<String>,
    pub signing_key: Vec<u8>,
    pub max_attempts: u32,
    pub first_retry: Duration,
}

impl Webhooks {
    /// Starts the delivery task.
    pub fn start(policy: DeliveryPolicy, http: reqwest::Client) -> Self {
        let (queue, mut events) = mpsc::unbounded_channel::<Event>();
        let log = Arc::new(Mutex::new(Vec::new()));
        let webhooks = Self {
            queue,
            log: log.clone(),
        };
        let policy = Arc::new(policy);
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                // Each event on its own task: one slow receiver does not hold up the rest.
                tokio::spawn(deliver(event, policy.clone(), http.clone(), log.clone()));
            }
        });
        webhooks
    }

    /// Queues an event.
    pub fn send(&self, event: Event) {
        if self.queue.send(event).is_err() {
            tracing::warn!("sandbox webhook queue is closed");
        }
    }

    /// Every delivery so far, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.log.lock().map(|log| log.clone()).unwrap_or_default()
    }
}

async fn deliver(
    event: Event,
    policy: Arc<DeliveryPolicy>,
    http: reqwest::Client,
    log: Arc<Mutex<Vec<Delivery>>>,
) {
    let index = {
        let Ok(mut log) = log.lock() else { return };
        log.push(Delivery {
            event_id: event.id.clone(),
            kind: event.kind.clone(),
            attempts: 0,
            delivered: false,
            last_result: "queued".into(),
        });
        log.len() - 1
    };
    let record = |attempts: u32, delivered: bool, result: String| {
        if let Ok(mut log) = log.lock() {
            let entry = &mut log[index];
            entry.attempts = attempts;
            entry.delivered = delivered;
            entry.last_result = result;
        }
    };
    let Some(url) = policy.url.as_deref() else {
        record(0, false, "no webhook URL configured".into());
        return;
    };
    let signature = signature(&policy.signing_key, &event.body);
    let mut wait = policy.first_retry;
    for attempt in 1..=policy.max_attempts {
        let outcome = http
            .post(url)
            .header("content-type", "application/json")
            .header(SIGNATURE_HEADER, &signature)
            .timeout(Duration::from_secs(10))
            .body(event.body.clone())
            .send()
            .await;
        match outcome {
            Ok(response) if response.status().is_success() => {
                record(attempt, true, response.status().as_u16().to_string());
                return;
            }
            Ok(response) => record(attempt, false, response.status().as_u16().to_string()),
            Err(error) => record(attempt, false, format!("error: {error}")),
        }
        if attempt < policy.max_attempts {
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    }
    tracing::warn!(event_id = %event.id, "sandbox gave up delivering a webhook");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_a_known_hmac_sha256() {
        // RFC 4231 test case 2.
        let sig = signature(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
