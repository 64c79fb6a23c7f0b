//! Everything that runs only on the server. One home per feature, and each table has one module
//! that writes it:
//!
//! - `http`: axum only (router, landing, Hint's inbound calls, CSV export, security headers);
//!   no business rules;
//! - `auth`: sessions, the one login flow, login throttling; `passwords`: Argon2id hashing;
//! - `account` (`users`), `staff` (`staff`), `audit` (`audit_log`): one table each;
//! - `connections`: the `connections` table — onboarding, the exchange, keys, key health,
//!   Hint's webhooks;
//! - `admin`: the staff dashboard's queries and actions;
//! - `hint`: the client for Hint's API; `assets`: the built site held in memory; `config`,
//!   `state`, `db`, `crypto`, `telemetry`, `seed`, `housekeeping` (the timed chores).

pub mod account;
pub mod account_tokens;
pub mod admin;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod config;
pub mod connections;
pub mod crypto;
pub mod db;
pub mod hint;
pub mod hint_sessions;
pub mod housekeeping;
pub mod http;
pub mod mail;
pub mod metrics;
pub mod notifications;
pub mod passwords;
pub mod rate_limits;
pub mod seed;
pub mod setup_check;
pub mod staff;
pub mod state;
pub mod telemetry;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;

use crate::domain::status::HintMode;
use crate::sandbox::{RunningSandbox, SandboxArgs};
use assets::Assets;
use config::Config;
use crypto::{CryptoError, Keyring};
use db::{Db, DbError};
use hint::{HintClient, HintTarget, RetryPolicy};
use state::AppState;

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
    /// A Hint base URL is set without the partner key to call it with.
    #[error("HINT_API_BASE_URL is set but HINT_PARTNER_API_KEY is not")]
    MissingPartnerKey,
    /// `SMTP_URL` or `MAIL_FROM` cannot be used.
    #[error(transparent)]
    Mail(#[from] mail::MailConfigError),
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
    pub async fn build(config: Config) -> Result<Self, StartError> {
        let db = Db::connect(&config.database_url(), config.database_max_connections).await?;
        db.migrate().await?;
        let development = config.is_development();
        if !development {
            let problems = config.production_problems();
            if !problems.is_empty() {
                return Err(StartError::Unsafe(problems.join("; ")));
            }
        }
        let keys = Keyring::load(
            config.encryption_keys.as_ref(),
            &config.data_dir,
            development,
        )?;
        let assets = Assets::load(&config.site_root, "pkg", &config.output_name)?;
        if assets.is_empty() {
            tracing::warn!(site_root = %config.site_root.display(), "no built site found: pages render without their scripts and styles");
        }
        let leptos_options = LeptosOptions::builder()
            .output_name(assets.versioned_output_name())
            .site_root(config.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(config.site_addr)
            .build();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(config.hint_timeout_seconds))
            .user_agent(concat!("practice-connect/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let listener = TcpListener::bind(config.site_addr).await?;
        metrics::handle();
        let metrics_listener = match config.metrics_listen {
            Some(address) => Some(TcpListener::bind(address).await?),
            None => None,
        };
        let public_base_url = match &config.public_base_url {
            Some(_) => config.public_base_url(),
            None => format!("http://{}", listener.local_addr()?),
        };
        let (hint, sandbox, webhook_secret) = match (
            &config.hint_api_base_url,
            &config.hint_partner_api_key,
        ) {
            (Some(base_url), Some(partner_key)) => {
                let base_url = base_url.trim_end_matches('/').to_owned();
                let hint = HintTarget {
                    base_url,
                    partner_key: partner_key.clone(),
                };
                (hint, None, config.hint_webhook_secret.clone())
            }
            (Some(_), None) => return Err(StartError::MissingPartnerKey),
            (None, _) => {
                let mut args = SandboxArgs::from_env()?;
                args.listen = config.sandbox_listen;
                args.redirect_url = format!("{public_base_url}{}", config.redirect_path);
                args.webhook_url = format!("{public_base_url}/hint/webhooks");
                args.app_url = public_base_url.clone();
                if let Some(key) = &config.hint_partner_api_key {
                    args.partner_key = key.clone();
                }
                if let Some(secret) = &config.hint_webhook_secret {
                    args.signing_key = secret.clone();
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
                };
                (hint, Some(sandbox), Some(signing_key))
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
        let frame_ancestors = match (config.frame_ancestor_origin(), &sandbox) {
            (Some(origin), _) => origin.to_owned(),
            (None, Some(sandbox)) => sandbox.base_url.clone(),
            (None, None) => "'none'".to_owned(),
        };
        let limits = Arc::new(rate_limits::Limits::new(
            config.client_requests_per_minute,
            config.headless_hint_calls_per_minute,
        ));
        let mailer = mail::Mailer::new(config.smtp_url.as_ref(), &config.mail_from)?;
        if !mailer.sends() {
            tracing::warn!(
                "no SMTP_URL: outgoing email is kept at /dev/outbox instead of being sent"
            );
        }
        let state = AppState::new(state::Shared {
            mail: Arc::new(mailer),
            public_origin: origin_of(&public_base_url).into(),
            public_base_url: public_base_url.clone().into(),
            leptos_options,
            db,
            config: Arc::new(config),
            assets: Arc::new(assets),
            hint_mode,
            hint: HintClient::new(http.clone(), hint, RetryPolicy::default()),
            keys: Arc::new(keys),
            passwords: Arc::default(),
            limits,
            webhook_secret,
            clock: clock::Clock::default(),
            frame_ancestors: frame_ancestors.into(),
        });
        setup_check::log(&setup_check::run(
            &state.config,
            &state.public_base_url,
            state.hint_mode.is_sandbox(),
        ));
        let router = http::router(state.clone());
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

    /// Serves until `shutdown` completes, then lets requests in flight finish.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let sweeper = tokio::spawn(housekeeping::run(self.state.clone()));
        let mailer = tokio::spawn(mail::run(self.state.clone()));
        let key_checks = (self.state.config.key_check_hours > 0).then(|| {
            let every = Duration::from_secs(self.state.config.key_check_hours * 3600);
            tokio::spawn(connections::health::run(self.state.clone(), every))
        });
        let metrics = self.metrics_listener.map(|listener| {
            let router = metrics::router(self.state.clone());
            tokio::spawn(async move { axum::serve(listener, router).await })
        });
        let limits = http::listener::Limits {
            max_connections: self.state.config.max_connections.max(1),
            header_read_timeout: Duration::from_secs(self.state.config.header_read_timeout_seconds),
        };
        let result = http::listener::serve(self.listener, self.router, limits, shutdown).await;
        sweeper.abort();
        mailer.abort();
        if let Some(task) = key_checks {
            task.abort();
        }
        if let Some(task) = metrics {
            task.abort();
        }
        self.state.db.close().await;
        result
    }
}

/// The origin (`scheme://host[:port]`) of a base URL.
pub fn origin_of(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => url[..after_scheme + slash].to_owned(),
        None => url.to_owned(),
    }
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
