//! Retiring audit entries past `AUDIT_RETENTION_DAYS`: the horizon row moves forward (the
//! database refuses one less than 30 days old), entries older than it are deleted in batches
//! with `RETURNING`, and each batch is written to `AUDIT_ARCHIVE_DIR` and synced before its
//! transaction commits. A crash between the two leaves the entries in the table and a file that
//! a later batch writes again; never an entry in neither.

use std::path::{Path, PathBuf};

use super::reading::{json_line, Row};
use super::{record, Entry};
use crate::domain::audit::{ActorKind, AuditAction, Outcome};
use crate::domain::audit_log::AuditRecord;
use crate::domain::dates::iso_date;
use crate::server::db::Db;

/// Entries removed per transaction.
const BATCH: i64 = 5_000;

/// Why retiring stopped.
#[derive(Debug, thiserror::Error)]
pub enum RetireError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("could not write the archive {path}: {source}")]
    Archive {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Retires every entry older than `days` before `now`; answers how many.
pub async fn retire(
    db: &Db,
    days: u32,
    archive_dir: Option<&Path>,
    now: i64,
) -> Result<u64, RetireError> {
    let horizon = now - i64::from(days) * 86_400;
    let any_old: Option<i64> = sqlx::query_scalar("SELECT id FROM audit_log WHERE at < $1 LIMIT 1")
        .bind(horizon)
        .fetch_optional(db.pool())
        .await?;
    if any_old.is_none() {
        return Ok(0);
    }
    let mut retired = 0;
    let mut files = Vec::new();
    loop {
        let mut transaction = db.pool().begin().await?;
        sqlx::query("UPDATE audit_retention SET horizon = $1 WHERE id = 1 AND horizon < $1")
            .bind(horizon)
            .execute(&mut *transaction)
            .await?;
        let rows: Vec<Row> = sqlx::query_as(
            "DELETE FROM audit_log WHERE id IN \
             (SELECT id FROM audit_log WHERE at < $1 ORDER BY id LIMIT $2) \
             RETURNING id, at, actor_kind, actor_id, action, connection_id, ip, outcome, detail",
        )
        .bind(horizon)
        .bind(BATCH)
        .fetch_all(&mut *transaction)
        .await?;
        if rows.is_empty() {
            break;
        }
        let mut entries: Vec<AuditRecord> = rows.into_iter().map(AuditRecord::from).collect();
        entries.sort_by_key(|entry| entry.id);
        if let Some(folder) = archive_dir {
            files.push(archive(folder, &entries).await?);
        }
        transaction.commit().await?;
        retired += entries.len() as u64;
        if (entries.len() as i64) < BATCH {
            break;
        }
    }
    if retired > 0 {
        let detail = match files.len() {
            0 => format!("{retired} entries before {} removed", iso_date(horizon)),
            _ => format!(
                "{retired} entries before {} archived to {} and removed",
                iso_date(horizon),
                files
                    .iter()
                    .map(|file| file.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let entry = Entry {
            actor_id: Some("retention"),
            detail: Some(&detail),
            ..Entry::new(ActorKind::System, AuditAction::AuditRetired, Outcome::Ok)
        };
        record(db, entry).await;
    }
    Ok(retired)
}

/// Writes a batch (oldest first) as JSON lines to `audit-<first id>-<last id>.jsonl` and syncs
/// it (the file and the folder) before the batch's removal commits.
async fn archive(folder: &Path, entries: &[AuditRecord]) -> Result<PathBuf, RetireError> {
    let (first, last) = (entries[0].id, entries[entries.len() - 1].id);
    let path = folder.join(format!("audit-{first:012}-{last:012}.jsonl"));
    let text: String = entries.iter().map(json_line).collect();
    let (folder, target) = (folder.to_path_buf(), path.clone());
    let written = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        use std::io::Write;
        std::fs::create_dir_all(&folder)?;
        let mut file = std::fs::File::create(&target)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::File::open(&folder)?.sync_all()
    })
    .await
    .unwrap_or_else(|panic| Err(std::io::Error::other(panic.to_string())));
    written.map_err(|source| RetireError::Archive {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}
