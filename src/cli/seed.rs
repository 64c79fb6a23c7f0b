//! `seed`: made-up connected practices, for trying the dashboard at scale.

use clap::Args;

use super::{open_db, Outcome};
use crate::settings::Settings;

/// `seed`'s flags.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// How many connections to add.
    #[arg(long, default_value_t = 1000)]
    pub connections: usize,
    /// Add them even outside development mode or to a database that has connections already
    /// (made-up rows never belong in a real database).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub settings: Settings,
}

/// Adds the connections, refusing a real database unless forced.
pub async fn run(args: SeedArgs) -> Outcome {
    if !args.settings.is_development() && !args.force {
        return Err(
            "seed adds made-up practices: run it with APP_ENV=development (or --force)".into(),
        );
    }
    let db = open_db(&args.settings).await?;
    let existing = crate::server::connections::count(&db)
        .await
        .map_err(|e| e.to_string())?;
    if existing > 0 && !args.force {
        return Err(format!(
            "the database has {existing} connections already; seed only an empty one (or pass --force)"
        ));
    }
    let started = std::time::Instant::now();
    let added = crate::server::seed::connections(&db, args.connections)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "added {added} connections in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
