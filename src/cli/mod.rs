//! The `practice-connect` command line: its grammar, and one file per command's body.
//!
//! Each command takes the flags it needs and no others: the app's settings for the commands that
//! open the database or serve, the sandbox's own for `sandbox` (so `sandbox --listen` is the
//! sandbox's address, not the app's). Every flag is also read from its environment variable.

mod backup;
mod check;
pub mod env_example;
mod keys;
mod partner;
mod sandbox;
mod seed;
mod serve;
mod staff;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::settings::{LogFormat, Settings};
pub use keys::KeysCommand;
pub use partner::{EventEndpointsCommand, ServiceTokensCommand};
pub use staff::StaffCommand;

/// The command line of the `practice-connect` binary.
#[derive(Debug, Parser)]
#[command(
    name = "practice-connect",
    version,
    about = "Connect Hint Health practices to a partner app (InstantOn).",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The app's settings, for `serve` when no command is named.
    #[command(flatten)]
    pub settings: Settings,
}

/// The binary's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web app (the default).
    Serve(Settings),
    /// Apply database migrations and exit (production's one way to move the schema).
    Migrate(Settings),
    /// Copy a SQLite database, consistent while the app serves, into a new file (PostgreSQL:
    /// use pg_dump).
    Backup(backup::BackupArgs),
    /// Run the Hint sandbox alone (a local imitation of Hint's API and marketplace).
    Sandbox(sandbox::SandboxCommand),
    /// Manage partner staff accounts for the dashboard.
    Staff(StaffArgs),
    /// Manage the keys that encrypt practice keys at rest.
    Keys(KeysArgs),
    /// Check the setup against Hint: print the URLs to register with Hint and whether redirects,
    /// webhooks and production settings will work. Exits non-zero when a check fails.
    Check(Settings),
    /// Print an example environment file with every setting, its meaning and its default (the
    /// repository's `.env.example` is this output).
    EnvExample,
    /// Manage the tokens the partner's own services call the service API (`/v1`) with.
    ServiceTokens(ServiceTokensArgs),
    /// Manage where signed connection events are sent.
    EventEndpoints(EventEndpointsArgs),
    /// Print the service API's OpenAPI 3.1 document (what `/v1/openapi.json` serves).
    Openapi,
    /// Fill the database with made-up connected practices (for trying the dashboard at scale).
    Seed(seed::SeedArgs),
}

/// `staff …`: the action, and the settings it runs with.
#[derive(Debug, Args)]
pub struct StaffArgs {
    #[command(subcommand)]
    pub action: StaffCommand,
    #[command(flatten)]
    pub settings: Settings,
}

/// `keys …`: the action, and the settings it runs with.
#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub action: KeysCommand,
    #[command(flatten)]
    pub settings: Settings,
}

/// `service-tokens …`: the action, and the settings it runs with.
#[derive(Debug, Args)]
pub struct ServiceTokensArgs {
    #[command(subcommand)]
    pub action: ServiceTokensCommand,
    #[command(flatten)]
    pub settings: Settings,
}

/// `event-endpoints …`: the action, and the settings it runs with.
#[derive(Debug, Args)]
pub struct EventEndpointsArgs {
    #[command(subcommand)]
    pub action: EventEndpointsCommand,
    #[command(flatten)]
    pub settings: Settings,
}

/// What a command's body gives back: nothing, or the one line that says why it failed.
type Outcome = Result<(), String>;

impl Cli {
    /// How this command's log lines are written.
    fn log_format(&self) -> LogFormat {
        match &self.command {
            None => self.settings.log_format,
            Some(Command::Sandbox(args)) => args.log_format,
            Some(
                Command::Serve(settings) | Command::Migrate(settings) | Command::Check(settings),
            ) => settings.log_format,
            Some(Command::Staff(args)) => args.settings.log_format,
            Some(Command::Keys(args)) => args.settings.log_format,
            Some(Command::Seed(args)) => args.settings.log_format,
            Some(Command::Backup(args)) => args.settings.log_format,
            Some(Command::ServiceTokens(args)) => args.settings.log_format,
            Some(Command::EventEndpoints(args)) => args.settings.log_format,
            Some(Command::EnvExample | Command::Openapi) => LogFormat::Human,
        }
    }

    /// Runs the command (after reading `.env` and starting the logs) and says how it went.
    pub async fn run(self) -> ExitCode {
        crate::server::telemetry::init(self.log_format());
        let aliased =
            |settings: Settings| settings.with_hint_aliases(|name| std::env::var(name).ok());
        let outcome = match self.command {
            None => serve::run(aliased(self.settings)).await,
            Some(Command::Serve(settings)) => serve::run(aliased(settings)).await,
            Some(Command::Migrate(settings)) => serve::migrate(aliased(settings)).await,
            Some(Command::Sandbox(args)) => sandbox::run(args).await,
            Some(Command::Staff(args)) => staff::run(aliased(args.settings), args.action).await,
            Some(Command::Keys(args)) => keys::run(aliased(args.settings), args.action).await,
            Some(Command::Check(settings)) => check::run(&aliased(settings)),
            Some(Command::EnvExample) => {
                print!("{}", env_example::render());
                Ok(())
            }
            Some(Command::Backup(args)) => {
                let to = args.to.clone();
                backup::run(aliased(args.settings), &to).await
            }
            Some(Command::Openapi) => {
                println!("{}", crate::server::http::service_api::openapi_document());
                Ok(())
            }
            Some(Command::Seed(args)) => seed::run(args).await,
            Some(Command::ServiceTokens(args)) => {
                partner::tokens(aliased(args.settings), args.action).await
            }
            Some(Command::EventEndpoints(args)) => {
                partner::endpoints(aliased(args.settings), args.action).await
            }
        };
        match outcome {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                tracing::error!("{message}");
                ExitCode::FAILURE
            }
        }
    }
}

/// Opens the database named by `settings`: in development (or with `MIGRATE_ON_START`) brings
/// its schema up to date; in production, as `serve` does, refuses one that lacks a migration.
async fn open_db(settings: &Settings) -> Result<crate::server::db::Db, String> {
    let db = crate::server::db::Db::connect(&settings.database_url(), 2)
        .await
        .map_err(|e| e.to_string())?;
    if settings.is_development() || settings.database.migrate_on_start {
        db.migrate()
            .await
            .map_err(|e| format!("migration failed: {e}"))?;
    }
    let schema = db.schema_state().await.map_err(|e| e.to_string())?;
    if !schema.pending.is_empty() {
        return Err(format!(
            "the database lacks migrations {:?}: run `practice-connect migrate` first",
            schema.pending
        ));
    }
    Ok(db)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("practice-connect").chain(args.iter().copied()))
    }

    #[test]
    fn the_grammar_has_no_clashing_flags() {
        // clap checks every command's flags for clashes here (`--listen` twice was one).
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_answers_help() {
        let root = Cli::command();
        let mut paths: Vec<Vec<String>> = vec![vec![]];
        for command in root.get_subcommands() {
            paths.push(vec![command.get_name().to_owned()]);
            for inner in command.get_subcommands() {
                paths.push(vec![
                    command.get_name().to_owned(),
                    inner.get_name().to_owned(),
                ]);
            }
        }
        assert!(paths.len() > 15, "{paths:?}");
        for path in paths {
            let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
            args.push("--help");
            let error = parse(&args).expect_err("--help stops parsing");
            assert_eq!(
                error.kind(),
                clap::error::ErrorKind::DisplayHelp,
                "{path:?}"
            );
        }
    }

    #[test]
    fn serve_is_the_default_command() {
        let cli = parse(&["--listen", "127.0.0.1:4000"]).expect("parses");
        assert!(cli.command.is_none());
        assert_eq!(cli.settings.http.site_addr.port(), 4000);
    }

    #[test]
    fn the_sandbox_s_listen_flag_is_its_own() {
        let cli = parse(&["sandbox", "--listen", "127.0.0.1:4100"]).expect("parses");
        let Some(Command::Sandbox(args)) = cli.command else {
            panic!("the sandbox command");
        };
        assert_eq!(args.sandbox.listen.port(), 4100);
    }

    #[test]
    fn settings_before_a_command_are_refused_rather_than_ignored() {
        assert!(parse(&["--dev", "staff", "list"]).is_err());
        let cli = parse(&["staff", "--dev", "list"]).expect("parses");
        let Some(Command::Staff(args)) = cli.command else {
            panic!("the staff command");
        };
        assert!(args.settings.is_development());
    }
}
