//! The `practice-connect` binary: the web app and its maintenance commands.

use std::process::ExitCode;

use clap::Parser;
use practice_connect::server::config::{Cli, Command};
use practice_connect::server::db::Db;
use practice_connect::server::{shutdown_signal, telemetry, Application};

#[tokio::main]
async fn main() -> ExitCode {
    // A missing .env is normal; a broken one is worth a word.
    if let Err(error) = dotenvy::dotenv() {
        if !error.not_found() {
            eprintln!("could not read .env: {error}");
        }
    }
    let cli = Cli::parse();
    telemetry::init(cli.config.log_format);
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::Migrate => migrate(cli.config).await,
        Command::Sandbox(args) => sandbox(args).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: practice_connect::server::config::Config) -> Result<(), String> {
    let app = Application::build(config)
        .await
        .map_err(|e| format!("could not start: {e}"))?;
    let address = app.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%address, "practice-connect is listening on http://{address}");
    app.run_until(shutdown_signal())
        .await
        .map_err(|e| format!("server stopped: {e}"))
}

async fn migrate(config: practice_connect::server::config::Config) -> Result<(), String> {
    let db = Db::connect(&config.database_url, 1)
        .await
        .map_err(|e| e.to_string())?;
    db.migrate()
        .await
        .map_err(|e| format!("migration failed: {e}"))?;
    tracing::info!(backend = db.backend().name(), "migrations applied");
    Ok(())
}

async fn sandbox(args: practice_connect::sandbox::SandboxArgs) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())?;
    let sandbox = practice_connect::sandbox::start(args, http)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(
        "Hint sandbox listening: API at {0}/api, marketplace at {0}/marketplace",
        sandbox.base_url
    );
    shutdown_signal().await;
    Ok(())
}
