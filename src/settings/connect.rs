//! Settings of the connect journey: where codes land, how long they live, how they are
//! exchanged (in the browser or headless), and how often a connected key is proved.

use clap::Args;

/// How codes land and are exchanged.
#[derive(Debug, Clone, Args)]
pub struct ConnectSettings {
    /// The path of the registered redirect URL, with the code appended by Hint:
    /// `/signup?code=` (query form) or `/connect/` (path form).
    #[arg(long, env = "REDIRECT_PATH", default_value = "/signup?code=")]
    pub redirect_path: String,

    /// How long a landed code can be claimed, in minutes: Hint's codes are short-lived, and a
    /// pending connection older than this is swept away.
    #[arg(long, env = "CODE_LIFETIME_MINUTES", default_value_t = 10)]
    pub code_lifetime_minutes: u64,

    /// An exchange still `exchanging` this many seconds after it started (its server died) is
    /// put back to `pending` with "no answer" by the sweeper.
    #[arg(long, env = "EXCHANGE_DEADLINE_SECONDS", default_value_t = 120)]
    pub exchange_deadline_seconds: u64,

    /// Exchange codes with `activate: true` (the integration is active at once). `false` leaves
    /// it pending at Hint until staff activate it from the dashboard.
    #[arg(long, env = "HINT_ACTIVATE_ON_EXCHANGE", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub activate_on_exchange: bool,

    /// Accept Hint's headless installs at `POST /hint/connect/{code}`.
    #[arg(long, env = "HEADLESS_CONNECT", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub headless_connect: bool,

    /// Calls to Hint's token endpoint that others can cause per minute, all callers together:
    /// headless installs and the confirmation page's preview of a landed code. Any one client
    /// (headless) or account (preview) gets a quarter of it, so strangers cannot spend the
    /// partner's rate limit at Hint, nor one of them all of it.
    #[arg(long, env = "HEADLESS_HINT_CALLS_PER_MINUTE", default_value_t = 60)]
    pub headless_hint_calls_per_minute: u32,

    /// How often each connected practice's key is proved against Hint, in hours (0: never).
    #[arg(long, env = "KEY_CHECK_HOURS", default_value_t = 24)]
    pub key_check_hours: u64,
    /// Calls to Hint the key-health job keeps in flight at once. Hint asks batch work to make at
    /// most one at a time; raise it only with Hint's agreement.
    #[arg(long, env = "KEY_CHECK_CONCURRENCY", default_value_t = 1)]
    pub key_check_concurrency: usize,
}
