//! Start-up: the one bridge between the server and the pages. It builds the state, mounts the
//! Leptos app (`App`, `shell`) and its server functions on the server's router, hands the pages
//! their security policy as a context value, starts the built-in Hint sandbox when no Hint is
//! configured, and runs the listeners and the background chores.
//!
//! Nothing under `server/` imports `app/`, and the sandbox imports nothing of `server/`: this
//! module is the only one that knows all three.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tokio::net::TcpListener;

use crate::app::{shell, App, PagePolicy};
use crate::domain::status::HintMode;
use crate::domain::urls::{origin_of, WEBHOOKS_PATH};
use crate::sandbox::{RunningSandbox, SandboxArgs};
use crate::server::assets::Assets;
use crate::server::crypto::{CryptoError, Keyring};
use crate::server::db::{Db, DbError};
use crate::server::hint::{HintClient, HintTarget, RetryPolicy};
use crate::server::state::{self, AppState};
use crate::server::{connections, housekeeping, http, mail, metrics, rate_limits, setup_check};
use crate::settings::Settings;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Db(#[from] DbError),
    /// A file or socket could not be opened.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The outbound HTTP client could not be built.
    #[error("http client: {0}")]
    Http(#[from] reqwest::Error),
    /// The built-in Hint sandbox could not start.
    #[error(transparent)]
    Sandbox(#[from] crate::sandbox::SandboxError),
    /// The encryption keys could not be loaded.
    #[error("encryption keys: {0}")]
    Keys(#[from] CryptoError),
    /// Production mode without the settings production needs (each one named).
    #[error("refusing to start in production mode: {0}. For a local run, set APP_ENV=development")]
    Unsafe(String),
    /// The database lacks migrations this binary needs (production migrates as its own step).
    #[error("the database lacks migrations {0}: run `practice-connect migrate` first (the service unit's ExecStartPre does), or set MIGRATE_ON_START=true")]
    Unmigrated(String),
    /// A setting given under Hint's reserved name and ours, with two values.
    #[error("settings given twice: {0}")]
    Conflicting(String),
    /// A Hint base URL is set without the partner key to call it with.
    #[error("HINT_API_BASE_URL is set but HINT_PARTNER_API_KEY is not")]
    MissingPartnerKey,
    /// `SMTP_URL` or `MAIL_FROM` cannot be used.
    #[error(transparent)]
    Mail(#[from] crate::server::smtp::MailConfigError),
    /// The built-in Hint sandbox's settings are wrong.
    #[error("sandbox settings: {0}")]
    SandboxSettings(#[from] clap::Error),
}

/// A server bound to its port, ready to run.
pub struct Application {
    listener: TcpListener,
    /// Where `/metrics` is served, when `METRICS_LISTEN` is set.
    metrics_listener: Option<TcpListener>,
    router: Router,
    state: AppState,
    /// The built-in Hint sandbox, when no Hint base URL is configured. Lives as long as the app.
    sandbox: Option<RunningSandbox>,
}

impl Application {
    /// Opens the database (running migrations), loads the built assets and binds the listener.
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        let patience = Duration::from_secs(settings.database.connect_retry_seconds);
        let db = Db::connect_patiently(
            &settings.database_url(),
            settings.database.pool_size,
            patience,
        )
        .await?;
        let development = settings.is_development();
        if !settings.hint.alias_conflicts.is_empty() {
            return Err(StartError::Conflicting(
                settings.hint.alias_conflicts.join("; "),
            ));
        }
        if !development {
            let problems = settings.production_problems();
            if !problems.is_empty() {
                return Err(StartError::Unsafe(problems.join("; ")));
            }
        }
        if development || settings.database.migrate_on_start {
            db.migrate().await?;
        }
        let schema = db.schema_state().await?;
        if !schema.pending.is_empty() {
            return Err(StartError::Unmigrated(format!("{:?}", schema.pending)));
        }
        if !schema.newer.is_empty() {
            tracing::warn!(migrations = ?schema.newer, "the database holds migrations of a newer release: serving on it (expand/contract keeps that safe for one release)");
        }
        let keys = Keyring::load(
            settings.security.encryption_keys.as_ref(),
            &settings.data_dir,
            development,
        )?;
        let assets = Assets::load(&settings.http.site_root, "pkg", &settings.http.output_name)?;
        if assets.is_empty() {
            tracing::warn!(site_root = %settings.http.site_root.display(), "no built site found: pages render without their scripts and styles");
        }
        let leptos_options = LeptosOptions::builder()
            .output_name(assets.versioned_output_name())
            .site_root(settings.http.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(settings.http.site_addr)
            .build();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(settings.hint.timeout_seconds))
            .user_agent(concat!("practice-connect/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let listener = TcpListener::bind(settings.http.site_addr).await?;
        // The recorder exists only where metrics are served: without it nothing is kept.
        let metrics_listener = match settings.http.metrics_listen {
            Some(address) => {
                metrics::handle();
                Some(TcpListener::bind(address).await?)
            }
            None => None,
        };
        let public_base_url = match &settings.http.public_base_url {
            Some(_) => settings.http.public_base_url(),
            None => format!("http://{}", listener.local_addr()?),
        };
        let (hint, sandbox, webhook_secret) = match (
            &settings.hint.api_base_url,
            &settings.hint.partner_api_key,
        ) {
            (Some(base_url), Some(partner_key)) => {
                let base_url = base_url.trim_end_matches('/').to_owned();
                let hint = HintTarget {
                    base_url,
                    partner_key: partner_key.clone(),
                    api: settings.hint.connect_api,
                    product_id: settings.hint.product_id.clone(),
                };
                (hint, None, settings.hint.webhook_secret.clone())
            }
            (Some(_), None) => return Err(StartError::MissingPartnerKey),
            (None, _) => {
                let mut args = SandboxArgs::from_env()?;
                args.listen = settings.hint.sandbox_listen;
                args.redirect_url = format!("{public_base_url}{}", settings.connect.redirect_path);
                args.webhook_url = format!("{public_base_url}{WEBHOOKS_PATH}");
                args.app_url = public_base_url.clone();
                if let Some(key) = &settings.hint.partner_api_key {
                    args.partner_key = key.clone();
                }
                // The sandbox signs as Hint does after a rotation: with the newest (last) one.
                if let Some(secret) = &settings.hint.webhook_secret {
                    let configured = secrecy::ExposeSecret::expose_secret(secret);
                    if let Some(newest) = http::webhooks::secrets(configured).last() {
                        args.signing_key = newest.to_owned().into();
                    }
                }
                let partner_key = args.partner_key.clone();
                let signing_key = args.signing_key.clone();
                let sandbox = crate::sandbox::start(args, http.clone()).await?;
                tracing::warn!(
                    "no HINT_API_BASE_URL: using the built-in Hint sandbox; its marketplace is at {}/marketplace",
                    sandbox.base_url
                );
                let hint = HintTarget {
                    base_url: sandbox.base_url.clone(),
                    partner_key,
                    api: settings.hint.connect_api,
                    product_id: settings.hint.product_id.clone(),
                };
                // Every configured secret is accepted (a rotation); the sandbox signs with one.
                let accepted = settings.hint.webhook_secret.clone().unwrap_or(signing_key);
                (hint, Some(sandbox), Some(accepted))
            }
        };
        let hint_mode = match &sandbox {
            Some(sandbox) => HintMode::BuiltInSandbox {
                marketplace_url: format!("{}/marketplace", sandbox.base_url),
            },
            None => HintMode::Remote {
                base_url: hint.base_url.clone(),
            },
        };
        // Hint's app may frame the settings surface; on the built-in sandbox, the sandbox plays it.
        let frame_ancestors = match (settings.hint.frame_ancestor_origins(), &sandbox) {
            (Some(origins), _) => origins,
            (None, Some(sandbox)) => sandbox.base_url.clone(),
            (None, None) => "'none'".to_owned(),
        };
        let limits = Arc::new(rate_limits::Limits::new(
            settings.http.client_requests_per_minute,
            settings.connect.headless_hint_calls_per_minute,
            settings.http.service_api_requests_per_minute,
        ));
        let mailer =
            crate::server::smtp::Mailer::new(settings.mail.smtp_url.as_ref(), &settings.mail.from)?;
        if !mailer.sends() {
            tracing::warn!(
                "no SMTP_URL: outgoing email is kept at /dev/outbox instead of being sent"
            );
        }
        // One clock for the whole app: the state's and the database handle's are the same.
        let db_clock = db.clock().clone();
        let state = AppState::new(state::Shared {
            mail: Arc::new(mailer),
            events: Arc::new(crate::server::events::delivery::Sender::new()?),
            in_flight: Arc::default(),
            public_origin: origin_of(&public_base_url).into(),
            public_base_url: public_base_url.clone().into(),
            leptos_options,
            db,
            settings: Arc::new(settings),
            assets: Arc::new(assets),
            hint_mode,
            hint: HintClient::new(http.clone(), hint, RetryPolicy::default()),
            keys: Arc::new(keys),
            passwords: Arc::default(),
            limits,
            webhook_secret,
            clock: db_clock,
            frame_ancestors: frame_ancestors.into(),
        });
        setup_check::log(&setup_check::run(
            &state.settings,
            &state.public_base_url,
            state.hint_mode.is_sandbox(),
        ));
        let router = http::router(state.clone(), pages(&state));
        Ok(Self {
            listener,
            metrics_listener,
            router,
            state,
            sandbox,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where `/metrics` is served, when it is.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|listener| listener.local_addr().ok())
    }

    /// The shared state (tests reach the database through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The built-in Hint sandbox, when the app runs on it.
    pub fn sandbox(&self) -> Option<&RunningSandbox> {
        self.sandbox.as_ref()
    }

    /// Serves until `shutdown` completes, then lets requests and exchanges in flight finish.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let sweeper = tokio::spawn(housekeeping::run(self.state.clone()));
        let mailer = tokio::spawn(mail::run(self.state.clone()));
        let events = tokio::spawn(crate::server::events::delivery::run(self.state.clone()));
        let key_checks = (self.state.settings.connect.key_check_hours > 0).then(|| {
            let every = Duration::from_secs(self.state.settings.connect.key_check_hours * 3600);
            tokio::spawn(connections::health::run(self.state.clone(), every))
        });
        let metrics = self.metrics_listener.map(|listener| {
            let router = http::metrics::router(self.state.clone());
            let serving = tokio::spawn(async move { axum::serve(listener, router).await });
            (serving, tokio::spawn(metrics::run_upkeep()))
        });
        let limits = http::listener::Limits {
            max_connections: self.state.settings.http.max_connections.max(1),
            max_connections_per_client: self.state.settings.http.max_connections_per_client,
            exempt: self.state.settings.http.trusted_proxies().to_vec(),
            header_read_timeout: Duration::from_secs(
                self.state.settings.http.header_read_timeout_seconds,
            ),
        };
        let result = http::listener::serve(self.listener, self.router, limits, shutdown).await;
        // Requests are drained; exchanges whose caller went away may still be storing a key.
        self.state.in_flight.let_finish().await;
        for task in [sweeper, mailer, events].into_iter().chain(key_checks) {
            task.abort();
        }
        if let Some((serving, upkeep)) = metrics {
            serving.abort();
            upkeep.abort();
        }
        self.state.db.close().await;
        result
    }
}

/// The app's routes, listed once per process. Listing them renders the app with every
/// resource's loading suspended process-wide (a global flag in `leptos_server`), and a page
/// whose resource first polled in that window on another thread waited forever: the tests,
/// which build many apps in one process, saw pages end in the request timeout. Listed once,
/// before the first router exists, no page can be rendering while it happens.
fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// What every page and server function can read: the state, and the page policy.
fn page_context(state: &AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    let state = state.clone();
    let policy = PagePolicy {
        frame_ancestors: state.frame_ancestors.clone(),
        live_reload: state.settings.is_development() && std::env::var_os("LEPTOS_WATCH").is_some(),
    };
    move || {
        provide_context(state.clone());
        provide_context(policy.clone());
    }
}

/// The Leptos app and its server functions as a router, answering every path no other route
/// takes with a built asset or the app's "not found" page.
fn pages(state: &AppState) -> Router<AppState> {
    let app = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    Router::new()
        .leptos_routes_with_context(state, routes(), page_context(state), app)
        .fallback(asset_or_not_found)
}

/// A built asset when one exists at this path; otherwise the app's own "not found" page.
async fn asset_or_not_found(State(state): State<AppState>, request: Request<Body>) -> Response {
    if let Some(response) = state
        .assets
        .respond(request.uri().path(), request.headers())
    {
        return response;
    }
    let options = state.leptos_options.clone();
    // Rendered whole before answering, like the app's other pages (`SsrMode::Async`): the page
    // waits for its data (who is signed in, the reference) instead of streaming around it.
    let render = leptos_axum::render_app_async_with_context(page_context(&state), move || {
        shell(options.clone())
    });
    let mut response = render(request).await;
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
