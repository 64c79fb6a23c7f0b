//! Every setting of the app, grouped by what it configures. Each is a command-line flag that can
//! also come from an environment variable or `.env`; secrets are `SecretString`, never printed.
//!
//! The groups are flattened into one flag set (`--listen`, `--database-url`, …), so the names an
//! operator types stay flat while the code reads `settings.hint.api_base_url`. The rules that
//! production must meet live in `production.rs`.

pub mod connect;
pub mod database;
pub mod hint;
pub mod http;
pub mod mail;
pub mod production;
pub mod secret_files;
pub mod security;

use std::path::PathBuf;

use clap::{Args, ValueEnum};

pub use connect::ConnectSettings;
pub use database::DatabaseSettings;
pub use hint::HintSettings;
pub use http::HttpSettings;
pub use mail::MailSettings;
pub use security::{SecondFactorFor, SecuritySettings};

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

/// Every setting of the app.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// `development` (what `make run` and the tests use) or `production` (anything else: the
    /// server then refuses to start unless every production setting is there).
    #[arg(long, env = "APP_ENV", value_enum, default_value_t = AppEnv::Production)]
    pub app_env: AppEnv,

    /// Shorthand for `--app-env development`.
    #[arg(long)]
    pub dev: bool,

    /// Log format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,

    /// Folder for local state (the SQLite file by default, the development encryption key).
    #[arg(long, env = "DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Listeners, limits on clients, and where the built site is.
    #[command(flatten)]
    pub http: HttpSettings,

    /// The database.
    #[command(flatten)]
    pub database: DatabaseSettings,

    /// Hint's API, its webhooks and its framing of our pages.
    #[command(flatten)]
    pub hint: HintSettings,

    /// How codes land and are exchanged, and how connected keys are checked.
    #[command(flatten)]
    pub connect: ConnectSettings,

    /// Encryption at rest and the staff's second factor.
    #[command(flatten)]
    pub security: SecuritySettings,

    /// Outgoing email and the lifetimes of the links it carries.
    #[command(flatten)]
    pub mail: MailSettings,
}

impl Settings {
    /// Whether the app runs in development mode.
    pub fn is_development(&self) -> bool {
        self.dev || self.app_env == AppEnv::Development
    }

    /// The database to open: `DATABASE_URL`, or `app.db` in `DATA_DIR`.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}/app.db", self.data_dir.display()),
        }
    }

    /// Takes Hint's reserved names for settings ours leave unset (see
    /// [`HintSettings::with_aliases`]).
    pub fn with_hint_aliases(mut self, env: impl Fn(&str) -> Option<String>) -> Self {
        self.hint = self.hint.with_aliases(env);
        self
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Only {
        #[command(flatten)]
        settings: Settings,
    }

    /// Settings parsed from `args` alone (and the environment).
    pub(super) fn parse(args: &[&str]) -> Settings {
        Only::try_parse_from(std::iter::once("practice-connect").chain(args.iter().copied()))
            .expect("arguments parse")
            .settings
    }

    #[test]
    fn local_defaults_serve_plain_http_on_the_listen_address() {
        let settings = parse(&[]);
        assert_eq!(
            settings.http.public_base_url(),
            format!("http://{}", settings.http.site_addr)
        );
        assert!(!settings.http.secure_cookies());
        assert!(!settings.is_development());
    }

    #[test]
    fn an_https_public_url_turns_on_secure_cookies() {
        let settings = parse(&["--public-base-url", "https://partner.example/"]);
        assert_eq!(settings.http.public_base_url(), "https://partner.example");
        assert!(settings.http.secure_cookies());
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let settings = parse(&["--hint-partner-api-key", "pk_live_very_secret"]);
        assert!(!format!("{settings:?}").contains("pk_live_very_secret"));
    }

    #[test]
    fn the_database_defaults_to_a_file_in_the_data_folder() {
        let settings = parse(&["--data-dir", "/tmp/pc"]);
        assert_eq!(settings.database_url(), "sqlite:///tmp/pc/app.db");
        let settings = parse(&["--database-url", "postgres://db/x"]);
        assert_eq!(settings.database_url(), "postgres://db/x");
    }

    #[test]
    fn hint_s_reserved_names_fill_in_only_what_ours_leave_unset() {
        use secrecy::ExposeSecret;

        let env = |name: &str| match name {
            "HINT_API_URL" => Some("https://api.hint.example".to_owned()),
            "HINT_API_KEY" => Some("from-hint".to_owned()),
            _ => None,
        };
        let aliased = parse(&[]).with_hint_aliases(env);
        assert_eq!(
            aliased.hint.api_base_url.as_deref(),
            Some("https://api.hint.example")
        );
        assert_eq!(
            aliased.hint.partner_api_key.unwrap().expose_secret(),
            "from-hint"
        );
        assert!(aliased.hint.alias_conflicts.is_empty());
        let ours = parse(&["--hint-api-base-url", "https://ours.example"]).with_hint_aliases(env);
        assert_eq!(
            ours.hint.alias_conflicts,
            ["HINT_API_BASE_URL and HINT_API_URL are both set, to different URLs: keep one"],
            "both names, two values: refused"
        );
        let same =
            parse(&["--hint-api-base-url", "https://api.hint.example/"]).with_hint_aliases(env);
        assert!(
            same.hint.alias_conflicts.is_empty(),
            "the same URL twice is no conflict"
        );
        assert_eq!(
            ours.hint.api_base_url.as_deref(),
            Some("https://ours.example")
        );
    }

    #[test]
    fn only_a_plain_origin_may_frame_the_embedded_surface() {
        let with = |value: &str| parse(&["--hint-frame-ancestors", value]);
        assert_eq!(
            with("https://app.hint.com/")
                .hint
                .frame_ancestor_origins()
                .as_deref(),
            Some("https://app.hint.com")
        );
        assert_eq!(
            with("https://app.hint.com, https://app.staging.hint.com")
                .hint
                .frame_ancestor_origins()
                .as_deref(),
            Some("https://app.hint.com https://app.staging.hint.com"),
            "Hint's portal and its sandbox"
        );
        assert_eq!(
            with("https://a.example; script-src *")
                .hint
                .frame_ancestor_origins(),
            None
        );
        assert_eq!(
            with("https://a.example *").hint.frame_ancestor_origins(),
            None
        );
        assert_eq!(with("*").hint.frame_ancestor_origins(), None);
        assert_eq!(with("https://").hint.frame_ancestor_origins(), None);
        assert_eq!(
            with("https://a.example https://b.example https://c.example https://d.example https://e.example")
                .hint
                .frame_ancestor_origins(),
            None,
            "a short list"
        );
    }
}
