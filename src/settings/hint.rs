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

    /// The origin of Hint's web app (e.g. `https://app.hint.com`), the one site allowed to frame
    /// our embedded settings surface (`/hint/settings`). Unset: nobody may frame it (in
    /// development on the built-in sandbox, the sandbox may).
    #[arg(long = "hint-frame-ancestors", env = "HINT_FRAME_ANCESTORS")]
    pub frame_ancestors: Option<String>,

    /// Hint's partner id (`HINT_PARTNER_ID`, which Hint sets on apps it hosts); shown to staff.
    #[arg(long = "hint-partner-id", env = "HINT_PARTNER_ID")]
    pub partner_id: Option<String>,

    /// Address of the built-in Hint sandbox (used when `HINT_API_BASE_URL` is unset). The other
    /// sandbox settings are read from their `SANDBOX_*` variables (see `practice-connect sandbox --help`).
    #[arg(long, env = "SANDBOX_LISTEN", default_value = "127.0.0.1:3100")]
    pub sandbox_listen: SocketAddr,
}

impl HintSettings {
    /// Takes Hint's reserved names (`HINT_API_URL`, `HINT_API_KEY`; Hint sets them on apps it
    /// hosts) for settings ours leave unset: our own names win when both are set.
    /// `HINT_WEBHOOK_SECRET` and `HINT_PARTNER_ID` are the same name in both.
    pub fn with_aliases(mut self, env: impl Fn(&str) -> Option<String>) -> Self {
        if self.api_base_url.is_none() {
            self.api_base_url = env("HINT_API_URL").filter(|v| !v.is_empty());
        }
        if self.partner_api_key.is_none() {
            self.partner_api_key = env("HINT_API_KEY")
                .filter(|v| !v.is_empty())
                .map(SecretString::from);
        }
        self
    }

    /// The `frame-ancestors` source for the embedded surface, if `HINT_FRAME_ANCESTORS` is a
    /// plain origin (anything else could smuggle more policy into the header, and is refused).
    pub fn frame_ancestor_origin(&self) -> Option<&str> {
        let origin = self.frame_ancestors.as_deref()?.trim_end_matches('/');
        let rest = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))?;
        let valid = !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':');
        valid.then_some(origin)
    }
}
