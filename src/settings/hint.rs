//! Settings of how we reach Hint and how Hint reaches us: the API and its keys, webhooks, the
//! frame Hint's app shows our settings surface in, and the built-in sandbox that plays Hint.

use std::net::SocketAddr;

use clap::Args;
use secrecy::SecretString;

/// Hint's API and what Hint sends us.
#[derive(Debug, Clone, Args)]
pub struct HintSettings {
    /// Base URL of Hint's API, e.g. `https://api.hint.com`. Unset: the built-in sandbox is used.
    #[arg(long = "hint-api-base-url", env = "HINT_API_BASE_URL")]
    pub api_base_url: Option<String>,

    /// The partner-wide Hint API key (Bearer credential for `/api/oauth/tokens`).
    #[arg(
        long = "hint-partner-api-key",
        env = "HINT_PARTNER_API_KEY",
        hide_env_values = true
    )]
    pub partner_api_key: Option<SecretString>,

    /// The key Hint signs webhooks and handshakes with (HMAC-SHA256). During a rotation, the
    /// current and the next, separated by a comma: both are accepted.
    #[arg(
        long = "hint-webhook-secret",
        env = "HINT_WEBHOOK_SECRET",
        hide_env_values = true
    )]
    pub webhook_secret: Option<SecretString>,

    /// Seconds to wait for one Hint answer before giving up on it.
    #[arg(
        long = "hint-timeout-seconds",
        env = "HINT_TIMEOUT_SECONDS",
        default_value_t = 20
    )]
    pub timeout_seconds: u64,

    /// A handshake whose signed `timestamp` is further than this many seconds from now (either
    /// side) is refused, and a dated handshake's signature is remembered so it works once.
    /// Webhooks have no such window: Hint retries them for 72 hours with their first
    /// `created_at`, so their ids and order decide instead.
    #[arg(long, env = "HANDSHAKE_MAX_AGE_SECONDS", default_value_t = 300)]
    pub handshake_max_age_seconds: u64,

    /// The origins of Hint's web app allowed to frame our embedded settings surface
    /// (`/hint/settings`): a short list of bare origins separated by spaces or commas, e.g. Hint's
    /// provider portal and its sandbox (`https://app.hint.com https://app.staging.hint.com`).
    /// Required in production; in development on the built-in sandbox, the sandbox may frame it.
    #[arg(long = "hint-frame-ancestors", env = "HINT_FRAME_ANCESTORS")]
    pub frame_ancestors: Option<String>,

    /// Hint's partner id (`HINT_PARTNER_ID`, which Hint sets on apps it hosts); shown to staff.
    #[arg(long = "hint-partner-id", env = "HINT_PARTNER_ID")]
    pub partner_id: Option<String>,

    /// Address of the built-in Hint sandbox (used when `HINT_API_BASE_URL` is unset). The other
    /// sandbox settings are read from their `SANDBOX_*` variables (see `practice-connect sandbox --help`).
    #[arg(long, env = "SANDBOX_LISTEN", default_value = "127.0.0.1:3100")]
    pub sandbox_listen: SocketAddr,

    /// Which of Hint's APIs exchanges codes and (de)activates: `oauth` (`POST /api/oauth/tokens`,
    /// `/api/integrations/{id}/…`) or `installations` (Hint's newer marketplace endpoints,
    /// `POST /api/partner/installations/connect`, `/api/partner/installations/{id}/…`).
    #[arg(long = "hint-connect-api", env = "HINT_CONNECT_API", value_enum, default_value_t = ConnectApi::Oauth)]
    pub connect_api: ConnectApi,

    /// Our product's id at Hint (`HINT_PRODUCT_ID`). When set, an installation Hint answers for
    /// another product is refused and nothing of it is stored (`installations` mode).
    #[arg(long = "hint-product-id", env = "HINT_PRODUCT_ID")]
    pub product_id: Option<String>,

    /// Settings set twice, under Hint's reserved name and ours, to different values (filled in
    /// by [`HintSettings::with_aliases`]): the server refuses to start, naming both.
    #[arg(skip)]
    pub alias_conflicts: Vec<String>,
}

/// Which of Hint's APIs connects a practice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ConnectApi {
    /// `POST /api/oauth/tokens` (Hint's marketplace contract and its node template).
    Oauth,
    /// `POST /api/partner/installations/connect` with `Hint-Version: marketplace_endpoints`.
    Installations,
}

/// The most origins `HINT_FRAME_ANCESTORS` may name: Hint's portal and its sandbox, and a spare.
const FRAME_ANCESTORS_MAX: usize = 4;

impl HintSettings {
    /// Takes Hint's reserved names (`HINT_API_URL`, `HINT_API_KEY`; Hint sets them on apps it
    /// hosts) for settings ours leave unset: our own names win when both are set.
    /// `HINT_WEBHOOK_SECRET` and `HINT_PARTNER_ID` are the same name in both.
    pub fn with_aliases(mut self, env: impl Fn(&str) -> Option<String>) -> Self {
        let hint_url = env("HINT_API_URL").filter(|v| !v.is_empty());
        match (&self.api_base_url, hint_url) {
            (None, url) => self.api_base_url = url,
            (Some(ours), Some(theirs))
                if ours.trim_end_matches('/') != theirs.trim_end_matches('/') =>
            {
                self.alias_conflicts.push(
                    "HINT_API_BASE_URL and HINT_API_URL are both set, to different URLs: keep one"
                        .into(),
                )
            }
            _ => {}
        }
        let hint_key = env("HINT_API_KEY").filter(|v| !v.is_empty());
        match (&self.partner_api_key, hint_key) {
            (None, key) => self.partner_api_key = key.map(SecretString::from),
            (Some(ours), Some(theirs)) if secrecy::ExposeSecret::expose_secret(ours) != theirs => self
                .alias_conflicts
                .push("HINT_PARTNER_API_KEY and HINT_API_KEY are both set, to different keys: keep one".into()),
            _ => {}
        }
        self
    }

    /// The `frame-ancestors` sources for the embedded surface, if `HINT_FRAME_ANCESTORS` is a
    /// short list of plain origins (anything else could smuggle more policy into the header, and
    /// is refused whole).
    pub fn frame_ancestor_origins(&self) -> Option<String> {
        let origins: Vec<&str> = self
            .frame_ancestors
            .as_deref()?
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|part| !part.is_empty())
            .map(|origin| origin.trim_end_matches('/'))
            .collect();
        let plain = |origin: &&str| {
            origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .is_some_and(|rest| {
                    !rest.is_empty()
                        && rest.bytes().all(|b| {
                            b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':'
                        })
                })
        };
        let valid = !origins.is_empty()
            && origins.len() <= FRAME_ANCESTORS_MAX
            && origins.iter().all(plain);
        valid.then(|| origins.join(" "))
    }
}
