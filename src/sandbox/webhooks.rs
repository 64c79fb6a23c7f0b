//! Signed webhook deliveries to the partner, retried on Hint's schedule: one attempt at once,
//! then one an hour for 72 hours, with the same body (and so the same `created_at`); an endpoint
//! that fails 100 times in a row is muted and gets nothing more. The schedule runs on the
//! sandbox's clock, so a test moves the clock (`POST /sandbox/admin/clock`) instead of waiting.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use tokio::sync::Notify;

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

/// The sandbox's clock (unix seconds, moved by tests).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Sends events in the background.
#[derive(Clone)]
pub struct Webhooks {
    inner: Arc<Mutex<Inner>>,
    wake: Arc<Notify>,
}

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct DeliveryPolicy {
    pub url: Option<String>,
    pub signing_key: Vec<u8>,
    /// Seconds between retries (Hint: an hour).
    pub retry_every_seconds: i64,
    /// How long after the first attempt retries go on (Hint: 72 hours).
    pub retry_for_seconds: i64,
    /// Failed attempts in a row after which the endpoint is muted (Hint: 100).
    pub mute_after: u32,
}

/// An event waiting for an attempt.
struct Waiting {
    event: Event,
    /// Its line in the delivery log.
    index: usize,
    /// When it was first tried (`None`: not yet).
    first: Option<i64>,
    /// When the next attempt is due.
    next: i64,
}

#[derive(Default)]
struct Inner {
    log: Vec<Delivery>,
    waiting: Vec<Waiting>,
    failures_in_a_row: u32,
    muted: bool,
}

impl Webhooks {
    /// Starts the delivery task.
    pub fn start(policy: DeliveryPolicy, http: reqwest::Client, clock: Clock) -> Self {
        let webhooks = Self {
            inner: Arc::new(Mutex::new(Inner::default())),
            wake: Arc::new(Notify::new()),
        };
        tokio::spawn(run(webhooks.clone(), Arc::new(policy), http, clock));
        webhooks
    }

    /// Queues an event; its first attempt is at once.
    pub fn send(&self, event: Event) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.log.push(Delivery {
                event_id: event.id.clone(),
                kind: event.kind.clone(),
                attempts: 0,
                delivered: false,
                last_result: "queued".into(),
            });
            let index = inner.log.len() - 1;
            inner.waiting.push(Waiting {
                event,
                index,
                first: None,
                next: i64::MIN,
            });
        }
        self.wake.notify_one();
    }

    /// Looks for due retries now (after the clock moved).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Every delivery so far, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner
            .lock()
            .map(|inner| inner.log.clone())
            .unwrap_or_default()
    }
}

/// Delivers what is due, then sleeps until woken or a second has passed.
async fn run(webhooks: Webhooks, policy: Arc<DeliveryPolicy>, http: reqwest::Client, clock: Clock) {
    loop {
        let now = clock();
        let due: Vec<Waiting> = {
            let Ok(mut inner) = webhooks.inner.lock() else {
                return;
            };
            let (due, waiting) = std::mem::take(&mut inner.waiting)
                .into_iter()
                .partition(|waiting| waiting.next <= now);
            inner.waiting = waiting;
            due
        };
        for waiting in due {
            attempt(&webhooks, &policy, &http, waiting, clock()).await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), webhooks.wake.notified()).await;
    }
}

/// POSTs `event` once; the HTTP status, or why it failed.
async fn post(
    policy: &DeliveryPolicy,
    http: &reqwest::Client,
    url: &str,
    event: &Event,
) -> Result<String, String> {
    let outcome = http
        .post(url)
        .header("content-type", "application/json")
        .header(
            SIGNATURE_HEADER,
            signature(&policy.signing_key, &event.body),
        )
        .timeout(Duration::from_secs(10))
        .body(event.body.clone())
        .send()
        .await;
    match outcome {
        Ok(response) if response.status().is_success() => {
            Ok(response.status().as_u16().to_string())
        }
        Ok(response) => Err(response.status().as_u16().to_string()),
        Err(error) => Err(format!("error: {error}")),
    }
}

/// One attempt at an event; on failure the next is an hour later on the sandbox's clock, until
/// 72 hours after the first, unless the endpoint is muted by then.
async fn attempt(
    webhooks: &Webhooks,
    policy: &DeliveryPolicy,
    http: &reqwest::Client,
    waiting: Waiting,
    now: i64,
) {
    let muted = webhooks
        .inner
        .lock()
        .map(|inner| inner.muted)
        .unwrap_or(true);
    let Some(url) = policy.url.as_deref().filter(|_| !muted) else {
        let why = if muted {
            "muted after too many failures in a row"
        } else {
            "no webhook URL configured"
        };
        if let Ok(mut inner) = webhooks.inner.lock() {
            inner.log[waiting.index].last_result = why.into();
        }
        return;
    };
    let result = post(policy, http, url, &waiting.event).await;
    let Ok(mut inner) = webhooks.inner.lock() else {
        return;
    };
    let entry = &mut inner.log[waiting.index];
    entry.attempts += 1;
    match result {
        Ok(status) => {
            entry.delivered = true;
            entry.last_result = status;
            inner.failures_in_a_row = 0;
        }
        Err(why) => {
            entry.last_result = why;
            inner.failures_in_a_row += 1;
            if inner.failures_in_a_row >= policy.mute_after.max(1) {
                inner.muted = true;
                tracing::warn!(
                    failures = inner.failures_in_a_row,
                    "sandbox muted the webhook endpoint"
                );
                return;
            }
            // On the hour after the first attempt, whatever each attempt took.
            let first = waiting.first.unwrap_or(now);
            let every = policy.retry_every_seconds.max(1);
            let next = first + ((now - first) / every + 1) * every;
            if next <= first + policy.retry_for_seconds {
                inner.waiting.push(Waiting {
                    first: Some(first),
                    next,
                    ..waiting
                });
            } else {
                tracing::warn!(event_id = %waiting.event.id, "sandbox gave up delivering a webhook");
            }
        }
    }
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
