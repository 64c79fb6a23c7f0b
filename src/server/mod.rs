//! Everything that runs only on the server: configuration, state, storage, HTTP plumbing.

pub mod assets;
pub mod config;
pub mod db;
pub mod routes;
pub mod security;
pub mod state;
pub mod telemetry;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use axum::Router;
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;

use crate::domain::status::HintMode;
use assets::Assets;
use config::Config;
use db::{Db, DbError};
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
}

/// A server bound to its port, ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    /// Opens the database (running migrations), loads the built assets and binds the listener.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        let db = Db::connect(&config.database_url, config.database_max_connections).await?;
        db.migrate().await?;
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
            .timeout(Duration::from_secs(20))
            .user_agent(concat!("practice-connect/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let listener = TcpListener::bind(config.site_addr).await?;
        let hint_mode = match &config.hint_api_base_url {
            Some(base_url) => HintMode::Remote {
                base_url: base_url.clone(),
            },
            None => HintMode::BuiltInSandbox {
                marketplace_url: String::new(),
            },
        };
        let state = AppState {
            leptos_options,
            db,
            config: Arc::new(config),
            assets: Arc::new(assets),
            hint_mode,
            http,
        };
        let router = routes::router(state.clone());
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The shared state (tests reach the database through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // Without TCP_NODELAY, small streamed bodies wait on Nagle's algorithm (~40 ms each).
        let listener = self.listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "could not set TCP_NODELAY");
            }
        });
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let result = axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await;
        self.state.db.close().await;
        result
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
