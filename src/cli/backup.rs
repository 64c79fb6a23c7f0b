//! `backup --to FILE`: a consistent copy of a SQLite database, taken while the app serves.

use std::path::{Path, PathBuf};

use clap::Args;

use super::Outcome;
use crate::server::db::{Backend, Db};
use crate::settings::Settings;

/// `backup …`: where to, and the settings naming the database.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new file (it must not exist yet).
    #[arg(long)]
    pub to: PathBuf,
    #[command(flatten)]
    pub settings: Settings,
}

/// Copies the database into `to` with SQLite's `VACUUM INTO`: one read transaction, so the copy
/// is the database as of one moment, whatever the app writes meanwhile (a file copy of a WAL
/// database can miss the log, or catch a page half written).
pub async fn run(settings: Settings, to: &Path) -> Outcome {
    let db = Db::connect(&settings.database_url(), 1)
        .await
        .map_err(|e| e.to_string())?;
    if db.backend() == Backend::Postgres {
        return Err(
            "this database is PostgreSQL: back it up with pg_dump (docs/operating.md, Backups)"
                .into(),
        );
    }
    if to.exists() {
        return Err(format!("{} exists already: name a new file", to.display()));
    }
    let copied = db.backup_to(to).await.map_err(|e| e.to_string())?;
    println!(
        "backed up to {} ({copied} bytes); keep ENCRYPTION_KEYS apart from it: the copy is useless without them, and safe without them",
        to.display()
    );
    Ok(())
}
