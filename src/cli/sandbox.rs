//! `sandbox`: the Hint sandbox alone, on its own address.

use clap::Args;

use super::Outcome;
use crate::sandbox::SandboxArgs;
use crate::settings::LogFormat;
use crate::startup::shutdown_signal;

/// The sandbox's own flags, and how its logs are written.
#[derive(Debug, Args)]
pub struct SandboxCommand {
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    /// Log format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
}

/// Serves the sandbox until Ctrl-C or SIGTERM.
pub async fn run(args: SandboxCommand) -> Outcome {
    let http = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())?;
    let sandbox = crate::sandbox::start(args.sandbox, http)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(
        "Hint sandbox listening: API at {0}/api, marketplace at {0}/marketplace",
        sandbox.base_url
    );
    shutdown_signal().await;
    Ok(())
}
