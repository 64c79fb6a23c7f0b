//! The client for Hint's partner API, with the retry rule: retry only what surely never reached
//! Hint (no connection, 429, 503), with jittered backoff inside a total deadline.

use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

mod answers;
mod error;

use crate::server::telemetry::trace_context;
pub use crate::settings::hint::ConnectApi;
use answers::ErrorBody;
use answers::Installation;
pub use answers::{HintPerson, IntegrationInfo, NamedRef, PracticeProfile, TokenResponse};
pub use error::HintError;

/// The Hint environment the app talks to.
#[derive(Clone)]
pub struct HintTarget {
    /// Base URL without a trailing slash, e.g. `https://api.hint.com`.
    pub base_url: String,
    /// The partner-wide API key.
    pub partner_key: secrecy::SecretString,
    /// Which of Hint's APIs connects a practice.
    pub api: ConnectApi,
    /// Our product's id at Hint, when known: another product's installation is refused.
    pub product_id: Option<String>,
}

/// The header Hint's newer marketplace endpoints want.
const MARKETPLACE_VERSION: (&str, &str) = ("Hint-Version", "marketplace_endpoints");

/// The longest `Retry-After` read as such (a day); larger values are clamped, never overflowed.
const MAX_RETRY_AFTER_SECONDS: u64 = 86_400;

/// Retry timing.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Wait before the first retry; doubles each time, with jitter.
    pub first_backoff: Duration,
    /// No retry starts after this much time has passed since the first attempt.
    pub deadline: Duration,
    /// The most attempts in all.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first_backoff: Duration::from_millis(250),
            deadline: Duration::from_secs(10),
            max_attempts: 4,
        }
    }
}

/// A client for one Hint environment.
#[derive(Clone)]
pub struct HintClient {
    http: reqwest::Client,
    target: HintTarget,
    retry: RetryPolicy,
}

enum Auth<'a> {
    Partner,
    Practice(&'a SecretString),
}

impl HintClient {
    /// A client for `target`.
    pub fn new(http: reqwest::Client, target: HintTarget, retry: RetryPolicy) -> Self {
        Self {
            http,
            target,
            retry,
        }
    }

    /// Exchanges an authorization code for the practice's key and integration (or installation).
    pub async fn exchange_code(
        &self,
        code: &str,
        activate: bool,
    ) -> Result<TokenResponse, HintError> {
        let answer = match self.target.api {
            ConnectApi::Oauth => {
                let body = json!({ "grant_type": "authorization_code", "code": code, "activate": activate });
                self.send(
                    reqwest::Method::POST,
                    "/api/oauth/tokens",
                    Auth::Partner,
                    Some(body),
                )
                .await
            }
            ConnectApi::Installations => {
                let body = json!({ "code": code, "activate": activate });
                self.send::<Installation>(
                    reqwest::Method::POST,
                    "/api/partner/installations/connect",
                    Auth::Partner,
                    Some(body),
                )
                .await
                .and_then(|installation| installation.into_token(self.target.product_id.as_deref()))
            }
        };
        // Hint's error text goes to the logs; never let an echo of the code go with it.
        answer.map_err(|error| error.scrubbed(code))
    }

    /// The path of integration (or installation) `id`, and of an action on it.
    fn integration_path(&self, id: &str, action: Option<&str>) -> String {
        let base = match self.target.api {
            ConnectApi::Oauth => "/api/integrations",
            ConnectApi::Installations => "/api/partner/installations",
        };
        match action {
            Some(action) => format!("{base}/{id}/{action}"),
            None => format!("{base}/{id}"),
        }
    }

    /// The practice profile, with the practice's own key: the cheap proof that the key works.
    pub async fn practice_profile(
        &self,
        practice_key: &SecretString,
    ) -> Result<PracticeProfile, HintError> {
        self.send(
            reqwest::Method::GET,
            "/api/provider/practice",
            Auth::Practice(practice_key),
            None,
        )
        .await
    }

    /// One integration's current state.
    pub async fn integration(&self, id: &str) -> Result<IntegrationInfo, HintError> {
        self.send(
            reqwest::Method::GET,
            &self.integration_path(id, None),
            Auth::Partner,
            None,
        )
        .await
    }

    /// Activates a pending integration.
    pub async fn activate(&self, id: &str) -> Result<IntegrationInfo, HintError> {
        self.send(
            reqwest::Method::POST,
            &self.integration_path(id, Some("activate")),
            Auth::Partner,
            None,
        )
        .await
    }

    /// Deactivates (disconnects) an integration.
    pub async fn deactivate(&self, id: &str) -> Result<IntegrationInfo, HintError> {
        self.send(
            reqwest::Method::POST,
            &self.integration_path(id, Some("deactivate")),
            Auth::Partner,
            None,
        )
        .await
    }

    /// Calls Hint with retries (`attempt`); whatever Hint's error text echoes of the key we
    /// sent is scrubbed before it can reach a log.
    async fn send<T: for<'de> Deserialize<'de>>(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: Auth<'_>,
        body: Option<serde_json::Value>,
    ) -> Result<T, HintError> {
        let token = match auth {
            Auth::Partner => &self.target.partner_key,
            Auth::Practice(key) => key,
        };
        self.attempt(method, path, token, body)
            .await
            .map_err(|error| error.scrubbed(token.expose_secret()))
    }

    async fn attempt<T: for<'de> Deserialize<'de>>(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &SecretString,
        body: Option<serde_json::Value>,
    ) -> Result<T, HintError> {
        let url = format!("{}{path}", self.target.base_url);
        let started = Instant::now();
        let mut backoff = self.retry.first_backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(token.expose_secret())
                .header(reqwest::header::ACCEPT, "application/json");
            if self.target.api == ConnectApi::Installations && path.starts_with("/api/partner/") {
                request = request.header(MARKETPLACE_VERSION.0, MARKETPLACE_VERSION.1);
            }
            if let Some(trace) = trace_context::current() {
                // Each attempt is a call of its own in the caller's trace.
                request = request.header("traceparent", trace.for_outgoing_call());
            }
            if let Some(body) = &body {
                request = request.json(body);
            }
            let sent_at = Instant::now();
            let answer = request.send().await;
            let status = match &answer {
                Ok(response) => response.status().as_u16().to_string(),
                Err(_) => "error".to_owned(),
            };
            crate::server::metrics::hint_call(endpoint_of(path), status, sent_at.elapsed());
            let retry_after = match answer {
                Ok(response) if response.status().is_success() => {
                    return response
                        .json::<T>()
                        .await
                        .map_err(|e| HintError::BadResponse(e.without_url().to_string()));
                }
                Ok(response) => {
                    let status = response.status();
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .map(|seconds| Duration::from_secs(seconds.min(MAX_RETRY_AFTER_SECONDS)));
                    let message = response
                        .json::<ErrorBody>()
                        .await
                        .ok()
                        .and_then(|b| b.message)
                        .unwrap_or_default();
                    match status {
                        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                            // Hint's own wait is honoured unless it runs past our deadline: then
                            // we give up at once rather than sleep through it.
                            let too_long = retry_after
                                .is_some_and(|wait| started.elapsed() + wait > self.retry.deadline);
                            if too_long || self.out_of_time(started, attempt, backoff) {
                                return Err(HintError::Unavailable {
                                    status: status.as_u16(),
                                    attempts: attempt,
                                });
                            }
                            retry_after
                        }
                        StatusCode::UNAUTHORIZED
                        | StatusCode::FORBIDDEN
                        | StatusCode::PRECONDITION_REQUIRED => {
                            return Err(HintError::Unauthorized {
                                status: status.as_u16(),
                                message,
                            });
                        }
                        status if status.is_client_error() => {
                            return Err(HintError::Rejected {
                                status: status.as_u16(),
                                message,
                            });
                        }
                        status => {
                            return Err(HintError::NoAnswer {
                                cause: format!("HTTP {}", status.as_u16()),
                            })
                        }
                    }
                }
                Err(error) if error.is_connect() => {
                    if self.out_of_time(started, attempt, backoff) {
                        return Err(HintError::Unreachable {
                            attempts: attempt,
                            cause: error.without_url().to_string(),
                        });
                    }
                    None
                }
                Err(error) => {
                    return Err(HintError::NoAnswer {
                        cause: error.without_url().to_string(),
                    })
                }
            };
            let jitter = rand::thread_rng().gen_range(0.5..1.5);
            let wait = retry_after.unwrap_or_else(|| backoff.mul_f64(jitter));
            tracing::info!(
                path,
                attempt,
                wait_ms = wait.as_millis() as u64,
                "Hint did not take the request; retrying"
            );
            tokio::time::sleep(wait).await;
            backoff *= 2;
        }
    }

    fn out_of_time(&self, started: Instant, attempt: u32, backoff: Duration) -> bool {
        attempt >= self.retry.max_attempts || started.elapsed() + backoff > self.retry.deadline
    }
}

/// The template of a Hint path, for metrics: ids are replaced by `{id}`.
fn endpoint_of(path: &str) -> &'static str {
    match path {
        "/api/oauth/tokens" => "/api/oauth/tokens",
        "/api/provider/practice" => "/api/provider/practice",
        "/api/integrations" => "/api/integrations",
        "/api/partner/installations/connect" => "/api/partner/installations/connect",
        p if p.starts_with("/api/partner/installations/") && p.ends_with("/deactivate") => {
            "/api/partner/installations/{id}/deactivate"
        }
        p if p.starts_with("/api/partner/installations/") && p.ends_with("/activate") => {
            "/api/partner/installations/{id}/activate"
        }
        p if p.starts_with("/api/partner/installations/") => "/api/partner/installations/{id}",
        p if p.ends_with("/activate") => "/api/integrations/{id}/activate",
        p if p.ends_with("/deactivate") => "/api/integrations/{id}/deactivate",
        p if p.starts_with("/api/integrations/") => "/api/integrations/{id}",
        _ => "other",
    }
}
