//! The sandbox's settings: its own flags (`practice-connect sandbox --help`), each also a
//! `SANDBOX_*` environment variable, which `serve` reads when it starts the sandbox in-process.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser};
use secrecy::SecretString;

use super::faults::FaultKind;

/// The sandbox's settings. Each flag is also an environment variable, which `serve` reads when
/// it starts the sandbox in-process.
#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// Address the sandbox listens on.
    #[arg(long, env = "SANDBOX_LISTEN", default_value = "127.0.0.1:3100")]
    pub listen: SocketAddr,
    /// The partner API key the sandbox accepts (a sandbox value, not a real key).
    #[arg(
        long,
        env = "SANDBOX_PARTNER_KEY",
        default_value = "sandbox-partner-key",
        hide_env_values = true
    )]
    pub partner_key: SecretString,
    /// The key webhooks are signed with.
    #[arg(
        long,
        env = "SANDBOX_SIGNING_KEY",
        default_value = "sandbox-webhook-secret",
        hide_env_values = true
    )]
    pub signing_key: SecretString,
    /// The partner's registered redirect URL; codes are appended to it.
    #[arg(
        long,
        env = "SANDBOX_REDIRECT_URL",
        default_value = "http://127.0.0.1:3000/signup?code="
    )]
    pub redirect_url: String,
    /// Where webhooks are delivered. Empty: events are recorded, not sent.
    #[arg(
        long,
        env = "SANDBOX_WEBHOOK_URL",
        default_value = "http://127.0.0.1:3000/hint/webhooks"
    )]
    pub webhook_url: String,
    /// The partner app's base URL: the sandbox's practice settings page signs a handshake to its
    /// `/hint/handshake` and frames its `/hint/settings`, as Hint does.
    #[arg(long, env = "SANDBOX_APP_URL", default_value = "http://127.0.0.1:3000")]
    pub app_url: String,
    /// How long a code lives, in seconds.
    #[arg(long, env = "SANDBOX_CODE_TTL_SECONDS", default_value_t = 600)]
    pub code_ttl_seconds: u64,
    /// Seconds between retries of a failed webhook, on the sandbox's clock (Hint: hourly).
    #[arg(
        long,
        env = "SANDBOX_WEBHOOK_RETRY_EVERY_SECONDS",
        default_value_t = 3600
    )]
    pub webhook_retry_every_seconds: u64,
    /// Hours after its first attempt a failed webhook is still retried (Hint: 72).
    #[arg(long, env = "SANDBOX_WEBHOOK_RETRY_FOR_HOURS", default_value_t = 72)]
    pub webhook_retry_for_hours: u64,
    /// Failed deliveries in a row after which the endpoint is muted (Hint: 100).
    #[arg(long, env = "SANDBOX_WEBHOOK_MUTE_AFTER", default_value_t = 100)]
    pub webhook_mute_after: u32,
    /// A fault to inject into API answers from the start.
    #[arg(long, env = "SANDBOX_FAULT", value_enum)]
    pub fault: Option<FaultKind>,
    /// Share of API requests that get the fault (0.0 to 1.0).
    #[arg(long, env = "SANDBOX_FAULT_SHARE", default_value_t = 1.0)]
    pub fault_share: f64,
    /// Milliseconds added before every API answer.
    #[arg(long, env = "SANDBOX_LATENCY_MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Tests only: append every code and key the sandbox issues to this file, so a test run can
    /// prove none of them reached a log.
    #[arg(long, env = "SANDBOX_RECORD_SECRETS")]
    pub record_secrets: Option<PathBuf>,
}

#[derive(Parser)]
struct EnvOnly {
    #[command(flatten)]
    args: SandboxArgs,
}

impl SandboxArgs {
    /// The settings from `SANDBOX_*` environment variables and defaults alone.
    pub fn from_env() -> Result<Self, clap::Error> {
        EnvOnly::try_parse_from(["sandbox"]).map(|parsed| parsed.args)
    }
}
