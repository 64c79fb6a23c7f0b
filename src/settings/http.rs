//! Settings of the public listener: its address, the URL users reach, limits on clients, and the
//! built site it serves.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::Args;
use ipnet::IpNet;

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

    /// Most connections one client address (IPv6: one /64) may hold at once; more are closed
    /// as they arrive. The trusted proxies are exempt.
    #[arg(long, env = "MAX_CONNECTIONS_PER_CLIENT", default_value_t = 64)]
    pub max_connections_per_client: usize,
    /// Seconds a client has to send a request's headers; slower connections are closed.
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10)]
    pub header_read_timeout_seconds: u64,

    /// Seconds a request may take before it is answered 408 (an exchange it started goes on).
    #[arg(long, env = "REQUEST_TIMEOUT_SECONDS", default_value_t = 30)]
    pub request_timeout_seconds: u64,

    /// The reverse proxies in front of the app, as CIDRs (`10.0.0.0/8,192.0.2.1/32`), or `none`
    /// when clients reach the app directly. A request from one of them has its client address
    /// read from `X-Forwarded-For` (the right-most address that is not a trusted proxy); from
    /// anywhere else the TCP peer is the client. Production requires it to be set: the app has
    /// no TLS of its own, so it is almost always behind a proxy, and without this every client
    /// would share the proxy's limits.
    #[arg(long, env = "TRUSTED_PROXIES", value_parser = TrustedProxies::parse)]
    pub trusted_proxies: Option<TrustedProxies>,

    /// Requests per minute one client address (IPv6: one /64) may make to each of sign-up (and
    /// the other doors that send mail or hash without a login), every password check (log-in,
    /// changes of password and email, step-up), the landing and headless connect (bursts of a
    /// quarter of it are allowed).
    #[arg(long, env = "CLIENT_REQUESTS_PER_MINUTE", default_value_t = 60)]
    pub client_requests_per_minute: u32,

    /// Requests per minute each service token may make to the service API (`/v1`; bursts of a
    /// quarter of it are allowed). Calls with a wrong or revoked token count against the
    /// client address's CLIENT_REQUESTS_PER_MINUTE instead.
    #[arg(long, env = "SERVICE_API_REQUESTS_PER_MINUTE", default_value_t = 600)]
    pub service_api_requests_per_minute: u32,
}

/// `TRUSTED_PROXIES`: the networks whose `X-Forwarded-For` is believed (empty for `none`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(pub Vec<IpNet>);

impl TrustedProxies {
    /// `none`, or CIDRs (or bare addresses) separated by commas.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.trim().eq_ignore_ascii_case("none") {
            return Ok(Self::default());
        }
        text.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.parse::<IpNet>()
                    .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{part:?} is not a CIDR like 10.0.0.0/8 (or `none`)"))
            })
            .collect::<Result<Vec<_>, _>>()
            .and_then(|nets| {
                if nets.is_empty() {
                    Err("name the proxies' CIDRs, or `none`".to_owned())
                } else {
                    Ok(Self(nets))
                }
            })
    }
}

impl HttpSettings {
    /// The trusted proxies' networks (none when unset or `none`).
    pub fn trusted_proxies(&self) -> &[IpNet] {
        self.trusted_proxies
            .as_ref()
            .map_or(&[], |proxies| &proxies.0)
    }

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
