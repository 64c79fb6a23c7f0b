//! Settings of the public listener: its address, the URL users reach, limits on clients, and the
//! built site it serves.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

/// The public listener and what it serves.
#[derive(Debug, Clone, Args)]
pub struct HttpSettings {
    /// Address the web app listens on.
    #[arg(
        long = "listen",
        env = "LEPTOS_SITE_ADDR",
        default_value = "127.0.0.1:3000"
    )]
    pub site_addr: SocketAddr,

    /// The URL users reach this app at; `https://` turns on Secure cookies. Defaults to
    /// `http://<listen address>`.
    #[arg(long, env = "PUBLIC_BASE_URL")]
    pub public_base_url: Option<String>,

    /// Folder with the built site (`pkg/` and public files), as cargo-leptos lays it out.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Base name of the built JavaScript, WebAssembly and CSS files under `pkg/`.
    #[arg(long, env = "LEPTOS_OUTPUT_NAME", default_value = "practice-connect")]
    pub output_name: String,

    /// Where Prometheus metrics are served (`GET /metrics`), apart from the public listener, e.g.
    /// `127.0.0.1:9100`. Unset: no metrics listener.
    #[arg(long, env = "METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Most client connections served at once; more wait to be accepted.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// Seconds a client has to send a request's headers; slower connections are closed.
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10)]
    pub header_read_timeout_seconds: u64,

    /// Seconds a request may take before it is answered 408 (an exchange it started goes on).
    #[arg(long, env = "REQUEST_TIMEOUT_SECONDS", default_value_t = 30)]
    pub request_timeout_seconds: u64,

    /// The reverse proxies in front of the app, as CIDRs (`10.0.0.0/8,192.0.2.1/32`). A request
    /// from one of them has its client address read from `X-Forwarded-For` (the right-most
    /// address that is not a trusted proxy); from anywhere else the TCP peer is the client.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Requests per minute one client address may make to each of sign-up, log-in, the
    /// landing and headless connect (bursts of a quarter of it are allowed).
    #[arg(long, env = "CLIENT_REQUESTS_PER_MINUTE", default_value_t = 60)]
    pub client_requests_per_minute: u32,
}

impl HttpSettings {
    /// The externally visible base URL, without a trailing slash.
    pub fn public_base_url(&self) -> String {
        match &self.public_base_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.site_addr),
        }
    }

    /// Whether cookies must carry `Secure` (the app is served over HTTPS).
    pub fn secure_cookies(&self) -> bool {
        self.public_base_url().starts_with("https://")
    }
}
