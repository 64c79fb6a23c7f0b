//! The Hint sandbox: a faithful local imitation of Hint's partner API (see HINT_API.md), built
//! into the binary. `practice-connect sandbox` runs it alone; `serve` starts it in-process when no
//! Hint base URL is configured, so the whole journey works offline and every test plays Hint.
//!
//! It keeps its state in memory, issues single-use codes with a lifetime, checks the partner key,
//! answers with Hint's error bodies, signs and retries webhooks, and misbehaves on request
//! (`faults`). Sandbox-only controls live under `/sandbox/admin/`.

pub mod admin;
pub mod api;
pub mod args;
pub mod faults;
mod installations;
pub mod marketplace;
pub mod records;
pub mod seed;
pub mod store;
pub mod webhooks;

use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use hyper_util::rt::TokioIo;
use rand::distributions::{Alphanumeric, DistString};
use secrecy::SecretString;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower::ServiceExt;

pub use args::SandboxArgs;
use faults::{Decision, Faults};
use store::{Integration, Product, Store};
use webhooks::{DeliveryPolicy, Event, Webhooks};

/// Shared state of a running sandbox.
#[derive(Clone)]
pub struct SandboxState {
    store: Arc<Mutex<Store>>,
    faults: Arc<Mutex<Faults>>,
    webhooks: Webhooks,
    embedding: Arc<marketplace::Embedding>,
    partner_key: Arc<SecretString>,
    redirect_url: Arc<str>,
    product: Product,
    token_requests: Arc<AtomicU64>,
    api_requests: Arc<AtomicU64>,
    secrets_file: Option<Arc<Mutex<std::fs::File>>>,
}

impl SandboxState {
    /// Runs `f` on the store under its lock.
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        let mut store = self
            .store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut store)
    }

    fn faults(&self) -> Faults {
        self.faults.lock().map(|f| f.clone()).unwrap_or_default()
    }

    fn set_faults(&self, faults: Faults) {
        if let Ok(mut current) = self.faults.lock() {
            *current = faults;
        }
    }

    fn count_token_request(&self) {
        self.token_requests.fetch_add(1, Ordering::Relaxed);
    }

    fn token_requests(&self) -> u64 {
        self.token_requests.load(Ordering::Relaxed)
    }

    fn api_requests(&self) -> u64 {
        self.api_requests.load(Ordering::Relaxed)
    }

    fn record_secret(&self, secret: &str) {
        if let Some(file) = &self.secrets_file {
            if let Ok(mut file) = file.lock() {
                let _ = writeln!(file, "{secret}");
            }
        }
    }

    /// Queues a signed webhook about `integration`.
    fn emit(&self, kind: &str, integration: &Integration) {
        let name = self.with_store(|s| {
            s.practice(&integration.practice_id)
                .map(|p| p.name.clone())
                .unwrap_or_default()
        });
        let id = format!(
            "evt-{}",
            Alphanumeric.sample_string(&mut rand::thread_rng(), 16)
        );
        // Stamped with the real time, like Hint's: the sandbox's movable clock only ages codes.
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let envelope = serde_json::json!({
            "id": id,
            "type": kind,
            "practice_id": integration.practice_id,
            "created_at": time::OffsetDateTime::from_unix_timestamp(now).ok()
                .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
            "object": api::integration_json(self, integration, &name),
        });
        let body = serde_json::to_vec(&envelope).unwrap_or_default();
        self.webhooks.send(Event {
            id,
            kind: kind.to_owned(),
            body,
        });
    }
}

/// A sandbox serving on its port; stops when dropped.
pub struct RunningSandbox {
    /// `http://<address>`: the base URL to give the app as Hint's.
    pub base_url: String,
    /// The state, for tests that look inside.
    pub state: SandboxState,
    _stop: oneshot::Sender<()>,
}

/// Why the sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The port or the secrets file could not be opened.
    #[error("sandbox: {0}")]
    Io(#[from] std::io::Error),
}

/// Binds the sandbox's port and serves it in the background.
pub async fn start(
    args: SandboxArgs,
    http: reqwest::Client,
) -> Result<RunningSandbox, SandboxError> {
    let listener = TcpListener::bind(args.listen).await?;
    let address = listener.local_addr()?;
    let secrets_file = match &args.record_secrets {
        Some(path) => Some(Arc::new(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?,
        ))),
        None => None,
    };
    let store = Store::new(
        seed::practices(),
        Duration::from_secs(args.code_ttl_seconds),
    );
    let product = store.product().clone();
    let policy = DeliveryPolicy {
        url: Some(args.webhook_url.clone()).filter(|url| !url.is_empty()),
        signing_key: secrecy::ExposeSecret::expose_secret(&args.signing_key)
            .as_bytes()
            .to_vec(),
        retry_every_seconds: args.webhook_retry_every_seconds as i64,
        retry_for_seconds: args.webhook_retry_for_hours as i64 * 3600,
        mute_after: args.webhook_mute_after,
    };
    let faults = Faults {
        kind: args.fault,
        share: args.fault_share,
        latency_ms: args.latency_ms,
        ..Faults::default()
    };
    let store = Arc::new(Mutex::new(store));
    let clock: webhooks::Clock = {
        let store = Arc::clone(&store);
        Arc::new(move || store.lock().map(|store| store.now()).unwrap_or_default())
    };
    let state = SandboxState {
        store,
        faults: Arc::new(Mutex::new(faults)),
        embedding: Arc::new(marketplace::Embedding {
            app_url: args.app_url.trim_end_matches('/').to_owned(),
            signing_key: policy.signing_key.clone(),
            http: http.clone(),
        }),
        webhooks: Webhooks::start(policy, http, clock),
        partner_key: Arc::new(args.partner_key.clone()),
        redirect_url: args.redirect_url.clone().into(),
        product,
        token_requests: Arc::new(AtomicU64::new(0)),
        api_requests: Arc::new(AtomicU64::new(0)),
        secrets_file,
    };
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve(
        listener,
        router(state.clone()),
        Shared {
            faults: state.faults.clone(),
            api_requests: state.api_requests.clone(),
        },
        async {
            let _ = stopped.await;
        },
    ));
    Ok(RunningSandbox {
        base_url: format!("http://{address}"),
        state,
        _stop: stop,
    })
}

/// The sandbox's routes.
pub fn router(state: SandboxState) -> Router {
    Router::new()
        .route("/api/oauth/tokens", post(api::exchange_code))
        .route("/api/integrations", get(api::list_integrations))
        .route("/api/integrations/{id}", get(api::show_integration))
        .route("/api/integrations/{id}/activate", post(api::activate))
        .route("/api/integrations/{id}/deactivate", post(api::deactivate))
        .route("/api/provider/practice", get(api::provider_practice))
        .route(
            "/api/partner/installations/connect",
            post(installations::connect),
        )
        .route("/api/partner/installations/{id}", get(installations::show))
        .route(
            "/api/partner/installations/{id}/activate",
            post(installations::activate),
        )
        .route(
            "/api/partner/installations/{id}/deactivate",
            post(installations::deactivate),
        )
        .route("/api/{*rest}", get(api::not_found).post(api::not_found))
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/marketplace") }),
        )
        .route("/marketplace", get(marketplace::page))
        .route(
            "/marketplace/practices/{id}/connect",
            post(marketplace::connect),
        )
        .route(
            "/marketplace/integrations/{id}/deactivate",
            post(marketplace::disconnect),
        )
        .route(
            "/marketplace/practices/{id}/settings",
            get(marketplace::practice_settings),
        )
        .route(
            "/sandbox/admin/faults",
            get(admin::get_faults).put(admin::put_faults),
        )
        .route("/sandbox/admin/clock", post(admin::advance_clock))
        .route("/sandbox/admin/codes", post(admin::mint_code))
        .route("/sandbox/admin/practices", post(admin::add_practices))
        .route("/sandbox/admin/deliveries", get(admin::deliveries))
        .route("/sandbox/admin/stats", get(admin::stats))
        .with_state(state)
}

/// What the connection handler shares with the sandbox's state.
#[derive(Clone)]
struct Shared {
    faults: Arc<Mutex<Faults>>,
    api_requests: Arc<AtomicU64>,
}

/// A connection closed on purpose (the `drop` fault): hyper closes the socket unanswered.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
struct Dropped;

/// Serves `router` with faults applied to `/api/…`. Hand-rolled over hyper (rather than
/// `axum::serve`) because only a service error lets a connection close without an answer.
async fn serve(
    listener: TcpListener,
    router: Router,
    shared: Shared,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::debug!(%error, "sandbox accept failed");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                    handle(router.clone(), shared.clone(), request.map(Body::new))
                });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            if let Err(error) = connection.await {
                tracing::debug!(%error, "sandbox connection ended");
            }
        });
    }
}

async fn handle(
    router: Router,
    shared: Shared,
    request: Request<Body>,
) -> Result<Response, Dropped> {
    let (latency, decision) = if request.uri().path().starts_with("/api/") {
        shared.api_requests.fetch_add(1, Ordering::Relaxed);
        match shared.faults.lock() {
            Ok(mut faults) => (faults.latency_ms, faults.decide()),
            Err(_) => (0, Decision::Pass),
        }
    } else {
        (0, Decision::Pass)
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let answer = |request| async move {
        match router.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    };
    match decision {
        Decision::Pass => Ok(answer(request).await),
        Decision::Drop => Err(Dropped),
        Decision::Fail {
            status,
            retry_after_secs,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = status.canonical_reason().unwrap_or("Error");
            let mut response = api::hint_error(status, message);
            if let Some(seconds) = retry_after_secs {
                response
                    .headers_mut()
                    .insert("retry-after", HeaderValue::from(seconds));
            }
            Ok(response)
        }
        Decision::Delay(delay) => {
            let response = answer(request).await;
            tokio::time::sleep(delay).await;
            Ok(response)
        }
    }
}
