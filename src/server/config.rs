//! Configuration: command-line flags, each also read from an environment variable or `.env`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::SecretString;

/// The command line of the `practice-connect` binary.
#[derive(Debug, Parser)]
#[command(
    name = "practice-connect",
    version,
    about = "Connect Hint Health practices to a partner app (InstantOn)."
)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings shared by every command.
    #[command(flatten)]
    pub config: Config,
}

/// The binary's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web app (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Run the Hint sandbox alone (a local imitation of Hint's API and marketplace).
    Sandbox(crate::sandbox::SandboxArgs),
    /// Manage partner staff accounts for the dashboard.
    Staff {
        #[command(subcommand)]
        action: StaffCommand,
    },
    /// Manage the keys that encrypt practice keys at rest.
    Keys {
        #[command(subcommand)]
        action: KeysCommand,
    },
    /// Check the setup against Hint: print the URLs to register with Hint and whether redirects,
    /// webhooks and production settings will work. Exits non-zero when a check fails.
    Check,
    /// Print an example environment file with every setting, its meaning and its default (the
    /// repository's `.env.example` is this output).
    EnvExample,
    /// Fill the database with made-up connected practices (for trying the dashboard at scale).
    Seed {
        /// How many connections to add.
        #[arg(long, default_value_t = 1000)]
        connections: usize,
        /// Add them even outside development mode or to a database that has connections already
        /// (made-up rows never belong in a real database).
        #[arg(long)]
        force: bool,
    },
}

/// `keys …` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new random key as `id:base64key`, to put first in ENCRYPTION_KEYS.
    Generate {
        #[arg(long, default_value = "k1")]
        id: String,
    },
    /// Re-encrypt every stored secret under the first key of ENCRYPTION_KEYS; afterwards the
    /// older keys can be removed.
    Rotate,
}

/// `staff …` subcommands.
#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Add a staff member. The password is read from standard input (prompted without echo on a
    /// terminal).
    Add {
        /// Their email, which they log in with.
        #[arg(long)]
        email: String,
        /// Their name as the dashboard shows it (the email when omitted).
        #[arg(long)]
        name: Option<String>,
        /// `admin` (all actions) or `support` (read only).
        #[arg(long, value_parser = ["admin", "support"])]
        role: String,
    },
    /// Invite a staff member: they get an email with a one-time link to choose their password,
    /// and set up their authenticator at their first login.
    Invite {
        /// Their email, which they log in with and the invitation goes to.
        #[arg(long)]
        email: String,
        /// Their name as the dashboard shows it (the email when omitted).
        #[arg(long)]
        name: Option<String>,
        /// `admin` (all actions) or `support` (read only).
        #[arg(long, value_parser = ["admin", "support"])]
        role: String,
    },
    /// List staff members.
    List,
    /// Enable a disabled staff member again.
    Enable {
        /// The staff member's email.
        #[arg(long)]
        email: String,
    },
    /// Forget a staff member's password and end their sessions; they get an email with a
    /// one-time link to choose a new one.
    ResetPassword {
        /// The staff member's email.
        #[arg(long)]
        email: String,
    },
    /// Change a staff member's role (it applies to their next request).
    SetRole {
        /// The staff member's email.
        #[arg(long)]
        email: String,
        /// `admin` or `support`.
        #[arg(long, value_parser = ["admin", "support"])]
        role: String,
    },
    /// Disable a staff member; their sessions stop working at once.
    Disable {
        /// The staff member's email.
        #[arg(long)]
        email: String,
    },
    /// Forget a staff member's authenticator and recovery codes (they lost both) and end their
    /// sessions; they set up a new authenticator at their next login.
    ResetSecondFactor {
        /// The staff member's email.
        #[arg(long)]
        email: String,
    },
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Readable lines for a terminal.
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Where the app runs. Development allows the built-in Hint sandbox, a generated encryption key
/// and plain-HTTP cookies; production refuses to start without the real settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AppEnv {
    Development,
    Production,
}

/// Every setting of the app. Secrets are `SecretString`: never printed, never logged. Each flag
/// may come before or after the subcommand (`staff add --database-url …` works).
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// `development` (what `make run` and the tests use) or `production` (anything else: the
    /// server then refuses to start unless every production setting is there).
    #[arg(global = true, long, env = "APP_ENV", value_enum, default_value_t = AppEnv::Production)]
    pub app_env: AppEnv,

    /// Shorthand for `--app-env development`.
    #[arg(global = true, long)]
    pub dev: bool,

    /// Address the web app listens on.
    #[arg(
        global = true,
        long = "listen",
        env = "LEPTOS_SITE_ADDR",
        default_value = "127.0.0.1:3000"
    )]
    pub site_addr: SocketAddr,

    /// Folder with the built site (`pkg/` and public files), as cargo-leptos lays it out.
    #[arg(
        global = true,
        long,
        env = "LEPTOS_SITE_ROOT",
        default_value = "target/site"
    )]
    pub site_root: PathBuf,

    /// Base name of the built JavaScript, WebAssembly and CSS files under `pkg/`.
    #[arg(
        global = true,
        long,
        env = "LEPTOS_OUTPUT_NAME",
        default_value = "practice-connect"
    )]
    pub output_name: String,

    /// Database: `sqlite://path/to/file.db` or `postgres://user:pass@host/db`. Unset: the SQLite
    /// file `app.db` in `DATA_DIR`.
    #[arg(global = true, long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Most database connections held open at once.
    #[arg(
        global = true,
        long,
        env = "DATABASE_MAX_CONNECTIONS",
        default_value_t = 10
    )]
    pub database_max_connections: u32,

    /// Base URL of Hint's API, e.g. `https://api.hint.com`. Unset: the built-in sandbox is used.
    #[arg(global = true, long, env = "HINT_API_BASE_URL")]
    pub hint_api_base_url: Option<String>,

    /// The partner-wide Hint API key (Bearer credential for `/api/oauth/tokens`).
    #[arg(
        global = true,
        long,
        env = "HINT_PARTNER_API_KEY",
        hide_env_values = true
    )]
    pub hint_partner_api_key: Option<SecretString>,

    /// The key Hint signs webhooks with (HMAC-SHA256).
    #[arg(
        global = true,
        long,
        env = "HINT_WEBHOOK_SECRET",
        hide_env_values = true
    )]
    pub hint_webhook_secret: Option<SecretString>,

    /// Keys that encrypt practice API keys at rest: `id:base64key[,id:base64key…]`, 32-byte keys,
    /// the first one encrypts new data. Unset: a development key is kept in `data/`.
    #[arg(global = true, long, env = "ENCRYPTION_KEYS", hide_env_values = true)]
    pub encryption_keys: Option<SecretString>,

    /// The path of the registered redirect URL, with the code appended by Hint:
    /// `/signup?code=` (query form) or `/connect/` (path form).
    #[arg(
        global = true,
        long,
        env = "REDIRECT_PATH",
        default_value = "/signup?code="
    )]
    pub redirect_path: String,

    /// The URL users reach this app at; `https://` turns on Secure cookies. Defaults to
    /// `http://<listen address>`.
    #[arg(global = true, long, env = "PUBLIC_BASE_URL")]
    pub public_base_url: Option<String>,

    /// Log format.
    #[arg(global = true, long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,

    /// Seconds to wait for one Hint answer before giving up on it.
    #[arg(
        global = true,
        long,
        env = "HINT_TIMEOUT_SECONDS",
        default_value_t = 20
    )]
    pub hint_timeout_seconds: u64,

    /// Exchange codes with `activate: true` (the integration is active at once). `false` leaves
    /// it pending at Hint until staff activate it from the dashboard.
    #[arg(global = true, long, env = "HINT_ACTIVATE_ON_EXCHANGE", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub activate_on_exchange: bool,

    /// How often each connected practice's key is proved against Hint, in hours (0: never).
    #[arg(global = true, long, env = "KEY_CHECK_HOURS", default_value_t = 24)]
    pub key_check_hours: u64,

    /// Accept Hint's headless installs at `POST /hint/connect/{code}`.
    #[arg(global = true, long, env = "HEADLESS_CONNECT", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub headless_connect: bool,

    /// Address of the built-in Hint sandbox (used when `HINT_API_BASE_URL` is unset). The other
    /// sandbox settings are read from their `SANDBOX_*` variables (see `practice-connect sandbox --help`).
    #[arg(
        global = true,
        long,
        env = "SANDBOX_LISTEN",
        default_value = "127.0.0.1:3100"
    )]
    pub sandbox_listen: SocketAddr,

    /// Hint webhooks signed more than this many seconds before (or after) they arrive are
    /// refused, so a captured delivery cannot be replayed later; event ids are remembered this
    /// long.
    #[arg(
        global = true,
        long,
        env = "WEBHOOK_MAX_AGE_SECONDS",
        default_value_t = 300
    )]
    pub webhook_max_age_seconds: u64,

    /// How long a landed code can be claimed, in minutes: Hint's codes are short-lived, and a
    /// pending connection older than this is swept away.
    #[arg(
        global = true,
        long,
        env = "CODE_LIFETIME_MINUTES",
        default_value_t = 10
    )]
    pub code_lifetime_minutes: u64,

    /// An exchange still `exchanging` this many seconds after it started (its server died) is
    /// put back to `pending` with "no answer" by the sweeper.
    #[arg(
        global = true,
        long,
        env = "EXCHANGE_DEADLINE_SECONDS",
        default_value_t = 120
    )]
    pub exchange_deadline_seconds: u64,

    /// Seconds a request may take before it is answered 408 (an exchange it started goes on).
    #[arg(
        global = true,
        long,
        env = "REQUEST_TIMEOUT_SECONDS",
        default_value_t = 30
    )]
    pub request_timeout_seconds: u64,

    /// Seconds a client has to send a request's headers; slower connections are closed.
    #[arg(
        global = true,
        long,
        env = "HEADER_READ_TIMEOUT_SECONDS",
        default_value_t = 10
    )]
    pub header_read_timeout_seconds: u64,

    /// Most client connections served at once; more wait to be accepted.
    #[arg(global = true, long, env = "MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// The reverse proxies in front of the app, as CIDRs (`10.0.0.0/8,192.0.2.1/32`). A request
    /// from one of them has its client address read from `X-Forwarded-For` (the right-most
    /// address that is not a trusted proxy); from anywhere else the TCP peer is the client.
    #[arg(global = true, long, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Requests per minute one client address may make to each of sign-up, log-in, the
    /// landing and headless connect (bursts of a quarter of it are allowed).
    #[arg(
        global = true,
        long,
        env = "CLIENT_REQUESTS_PER_MINUTE",
        default_value_t = 60
    )]
    pub client_requests_per_minute: u32,

    /// Calls to Hint's token endpoint that headless connect may make per minute, all callers
    /// together, so strangers cannot spend the partner's rate limit at Hint.
    #[arg(
        global = true,
        long,
        env = "HEADLESS_HINT_CALLS_PER_MINUTE",
        default_value_t = 60
    )]
    pub headless_hint_calls_per_minute: u32,

    /// Folder for local state (the SQLite file by default, the development encryption key).
    #[arg(global = true, long, env = "DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Where Prometheus metrics are served (`GET /metrics`), apart from the public listener, e.g.
    /// `127.0.0.1:9100`. Unset: no metrics listener.
    #[arg(global = true, long, env = "METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Which staff must log in with an authenticator code: `everyone`, or only `admins` (support
    /// staff, who can only read, then may skip it). Admins always need one.
    #[arg(global = true, long, env = "STAFF_SECOND_FACTOR", value_enum, default_value_t = SecondFactorFor::Everyone)]
    pub staff_second_factor: SecondFactorFor,

    /// The origin of Hint's web app (e.g. `https://app.hint.com`), the one site allowed to frame
    /// our embedded settings surface (`/hint/settings`). Unset: nobody may frame it (in
    /// development on the built-in sandbox, the sandbox may).
    #[arg(global = true, long, env = "HINT_FRAME_ANCESTORS")]
    pub hint_frame_ancestors: Option<String>,

    /// Hint's partner id (`HINT_PARTNER_ID`, which Hint sets on apps it hosts); shown to staff.
    #[arg(global = true, long, env = "HINT_PARTNER_ID")]
    pub hint_partner_id: Option<String>,

    /// How long a password + code confirmation stays good for revealing a key, deactivating at
    /// Hint and a manual connect, in minutes.
    #[arg(global = true, long, env = "STEP_UP_MINUTES", default_value_t = 5)]
    pub step_up_minutes: u64,

    /// The mail server for outgoing email: `smtps://host:465` (TLS from the start),
    /// `smtp://host:587?tls=required` (STARTTLS, insisted on), or plain `smtp://host:25` (no TLS:
    /// only for a relay on this machine), with `user:password@` when it asks for a login.
    /// Unset in development: messages are kept and shown at `/dev/outbox` instead of being sent.
    #[arg(global = true, long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<SecretString>,

    /// The sender of outgoing email, e.g. `Practice Connect <connect@example.com>`.
    #[arg(
        global = true,
        long,
        env = "MAIL_FROM",
        default_value = "practice-connect <no-reply@localhost>"
    )]
    pub mail_from: String,

    /// How long a password reset link works, in minutes.
    #[arg(global = true, long, env = "RESET_LINK_MINUTES", default_value_t = 30)]
    pub reset_link_minutes: u64,

    /// How long an email verification (or change of email) link works, in hours.
    #[arg(global = true, long, env = "VERIFY_LINK_HOURS", default_value_t = 24)]
    pub verify_link_hours: u64,

    /// How long a staff invitation (or staff password) link works, in hours.
    #[arg(global = true, long, env = "INVITE_LINK_HOURS", default_value_t = 72)]
    pub invite_link_hours: u64,
}

/// Which staff need a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SecondFactorFor {
    /// Every staff member.
    Everyone,
    /// Admins only; support staff may log in with a password alone.
    Admins,
}

/// The example environment file: every setting of `serve` (and of the in-process sandbox) as a
/// commented-out line under its help text, with its default where it has one.
pub fn env_example() -> String {
    use clap::CommandFactory;

    let mut out = String::from(
        "# practice-connect settings. Copy to `.env` (read at start) and uncomment what you set.\n\
         # Made by `practice-connect env-example`; a test keeps this file in step with the code.\n\
         # Production refuses to start without the settings marked *production* in the README.\n",
    );
    let root = Cli::command();
    let sandbox = root
        .find_subcommand("sandbox")
        .expect("the sandbox subcommand")
        .clone();
    for (title, command) in [("The app", &root), ("The built-in Hint sandbox", &sandbox)] {
        out.push_str(&format!("\n## {title}\n"));
        for arg in command.get_arguments() {
            let Some(env) = arg.get_env() else { continue };
            let env = env.to_string_lossy();
            if out.contains(&format!("# {env}=")) {
                continue;
            }
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            for line in help.lines() {
                out.push_str(&format!("\n# {line}"));
            }
            let default = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(",");
            out.push_str(&format!("\n# {env}={default}\n"));
        }
    }
    for (name, meaning) in [
        (
            "HINT_API_URL",
            "Hint's name for HINT_API_BASE_URL (set by Hint on apps it hosts); ours wins.",
        ),
        (
            "HINT_API_KEY",
            "Hint's name for HINT_PARTNER_API_KEY (set by Hint on apps it hosts); ours wins.",
        ),
        ("RUST_LOG", "Log filter (tracing's EnvFilter syntax)."),
    ] {
        out.push_str(&format!("\n# {meaning}\n# {name}=\n"));
    }
    out
}

impl Config {
    /// The database to open: `DATABASE_URL`, or `app.db` in `DATA_DIR`.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}/app.db", self.data_dir.display()),
        }
    }

    /// Takes Hint's reserved names (`HINT_API_URL`, `HINT_API_KEY`; Hint sets them on apps it
    /// hosts) for settings ours leave unset: our own names win when both are set.
    /// `HINT_WEBHOOK_SECRET` and `HINT_PARTNER_ID` are the same name in both.
    pub fn with_hint_aliases(mut self, env: impl Fn(&str) -> Option<String>) -> Self {
        if self.hint_api_base_url.is_none() {
            self.hint_api_base_url = env("HINT_API_URL").filter(|v| !v.is_empty());
        }
        if self.hint_partner_api_key.is_none() {
            self.hint_partner_api_key = env("HINT_API_KEY")
                .filter(|v| !v.is_empty())
                .map(SecretString::from);
        }
        self
    }

    /// The `frame-ancestors` source for the embedded surface, if `HINT_FRAME_ANCESTORS` is a
    /// plain origin (anything else could smuggle more policy into the header, and is refused).
    pub fn frame_ancestor_origin(&self) -> Option<&str> {
        let origin = self.hint_frame_ancestors.as_deref()?.trim_end_matches('/');
        let rest = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))?;
        let valid = !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':');
        valid.then_some(origin)
    }

    /// Whether a staff member of `role` must set up and use an authenticator.
    pub fn second_factor_required(&self, role: crate::domain::admin::StaffRole) -> bool {
        role == crate::domain::admin::StaffRole::Admin
            || self.staff_second_factor == SecondFactorFor::Everyone
    }

    /// Whether the app runs in development mode.
    pub fn is_development(&self) -> bool {
        self.dev || self.app_env == AppEnv::Development
    }

    /// What production needs that is missing or unsafe, one line per setting (empty when all
    /// is well).
    pub fn production_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        match self.hint_api_base_url.as_deref() {
            None => problems.push(
                "HINT_API_BASE_URL is not set (Hint's API, e.g. https://api.hint.com)".to_owned(),
            ),
            Some(url) if !url.starts_with("https://") => {
                problems.push("HINT_API_BASE_URL must start with https://".to_owned())
            }
            Some(_) => {}
        }
        if self.hint_partner_api_key.is_none() {
            problems.push("HINT_PARTNER_API_KEY is not set".to_owned());
        }
        if self.hint_webhook_secret.is_none() {
            problems.push("HINT_WEBHOOK_SECRET is not set".to_owned());
        }
        if self.encryption_keys.is_none() {
            problems.push(
                "ENCRYPTION_KEYS is not set (`practice-connect keys generate --id k1` makes one)"
                    .to_owned(),
            );
        }
        if self.hint_frame_ancestors.is_some() && self.frame_ancestor_origin().is_none() {
            problems.push(
                "HINT_FRAME_ANCESTORS must be one origin, like https://app.hint.com".to_owned(),
            );
        }
        match self
            .smtp_url
            .as_ref()
            .map(secrecy::ExposeSecret::expose_secret)
        {
            None => problems.push(
                "SMTP_URL is not set (password resets and verification links go by email)"
                    .to_owned(),
            ),
            Some(url) if !crate::server::mail::transport_is_private(url) => problems.push(
                "SMTP_URL must use TLS off this machine: smtps://… or smtp://…?tls=required"
                    .to_owned(),
            ),
            Some(_) => {}
        }
        if self.mail_from.contains("@localhost") {
            problems.push("MAIL_FROM is not set (the sender of outgoing email)".to_owned());
        }
        match self.public_base_url.as_deref() {
            None => problems
                .push("PUBLIC_BASE_URL is not set (the https:// address users reach)".to_owned()),
            Some(url) if !url.starts_with("https://") => {
                problems.push("PUBLIC_BASE_URL must start with https://".to_owned())
            }
            Some(_) => {}
        }
        problems
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("practice-connect").chain(args.iter().copied()))
            .expect("arguments parse")
    }

    #[test]
    fn the_example_environment_file_lists_every_setting_as_the_code_has_it() {
        let file = include_str!("../../.env.example");
        assert!(
            file == env_example(),
            ".env.example is out of date: run `target/debug/practice-connect env-example > .env.example`"
        );
        for name in [
            "APP_ENV",
            "DATABASE_URL",
            "STEP_UP_MINUTES",
            "SANDBOX_APP_URL",
        ] {
            assert!(file.contains(&format!("# {name}=")), "{name}");
        }
    }

    #[test]
    fn hint_s_reserved_names_fill_in_only_what_ours_leave_unset() {
        use secrecy::ExposeSecret;

        let env = |name: &str| match name {
            "HINT_API_URL" => Some("https://api.hint.example".to_owned()),
            "HINT_API_KEY" => Some("from-hint".to_owned()),
            _ => None,
        };
        let plain = Cli::try_parse_from(["practice-connect"]).unwrap().config;
        let aliased = plain.with_hint_aliases(env);
        assert_eq!(
            aliased.hint_api_base_url.as_deref(),
            Some("https://api.hint.example")
        );
        assert_eq!(
            aliased.hint_partner_api_key.unwrap().expose_secret(),
            "from-hint"
        );
        let ours = Cli::try_parse_from([
            "practice-connect",
            "--hint-api-base-url",
            "https://ours.example",
        ])
        .unwrap()
        .config
        .with_hint_aliases(env);
        assert_eq!(
            ours.hint_api_base_url.as_deref(),
            Some("https://ours.example")
        );
    }

    #[test]
    fn only_a_plain_origin_may_frame_the_embedded_surface() {
        let with = |value: &str| {
            Cli::try_parse_from(["practice-connect", "--hint-frame-ancestors", value])
                .unwrap()
                .config
        };
        assert_eq!(
            with("https://app.hint.com/").frame_ancestor_origin(),
            Some("https://app.hint.com")
        );
        assert_eq!(
            with("https://a.example; script-src *").frame_ancestor_origin(),
            None
        );
        assert_eq!(with("*").frame_ancestor_origin(), None);
        assert_eq!(with("https://").frame_ancestor_origin(), None);
    }

    #[test]
    fn serve_is_the_default_command_with_local_defaults() {
        let cli = parse(&[]);
        assert!(cli.command.is_none());
        assert_eq!(
            cli.config.public_base_url(),
            format!("http://{}", cli.config.site_addr)
        );
        assert!(!cli.config.secure_cookies());
    }

    #[test]
    fn an_https_public_url_turns_on_secure_cookies() {
        let cli = parse(&["--public-base-url", "https://partner.example/"]);
        assert_eq!(cli.config.public_base_url(), "https://partner.example");
        assert!(cli.config.secure_cookies());
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let cli = parse(&["--hint-partner-api-key", "pk_live_very_secret"]);
        assert!(!format!("{:?}", cli.config).contains("pk_live_very_secret"));
    }
}
