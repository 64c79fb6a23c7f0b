//! The `practice-connect` binary: the web app and its maintenance commands (`--help` lists
//! them). Everything happens in `practice_connect::cli`; this only reads `.env` and dispatches.

use std::process::ExitCode;

use clap::Parser;
use practice_connect::cli::Cli;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // A missing .env is normal; a broken one is worth a word.
    if let Err(error) = dotenvy::dotenv() {
        if !error.not_found() {
            eprintln!("could not read .env: {error}");
        }
    }
    Cli::parse().run().await
}
