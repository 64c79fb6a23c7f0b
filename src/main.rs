//! The `practice-connect` binary: the web app and its maintenance commands (`--help` lists
//! them). Everything happens in `practice_connect::cli`; this only reads `.env` and dispatches.

use std::process::ExitCode;

use clap::Parser;
use practice_connect::cli::Cli;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A missing .env is normal; a broken one is worth a word.
    if let Err(error) = dotenvy::dotenv() {
        if !error.not_found() {
            eprintln!("could not read .env: {error}");
        }
    }
    // Secrets from files (`NAME_FILE`, systemd credentials), set before any other thread
    // exists, so the settings read them like any variable.
    let read = |path: &std::path::Path| std::fs::read_to_string(path);
    match practice_connect::settings::secret_files::found(|name| std::env::var(name).ok(), read) {
        Ok(found) => {
            for (name, value) in found {
                std::env::set_var(name, value);
            }
        }
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    }
    let cli = Cli::parse();
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(cli.run()),
        Err(error) => {
            eprintln!("could not start the async runtime: {error}");
            ExitCode::FAILURE
        }
    }
}
