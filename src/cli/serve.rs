//! `serve` (the default command) and `migrate`.

use super::Outcome;
use crate::server::db::Db;
use crate::settings::Settings;
use crate::startup::{shutdown_signal, Application};

/// Runs the web app until Ctrl-C or SIGTERM.
pub async fn run(settings: Settings) -> Outcome {
    let absolute = |path: &std::path::Path| {
        std::path::absolute(path)
            .map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
    };
    tracing::info!(
        data_dir = %absolute(&settings.data_dir),
        site_root = %absolute(&settings.http.site_root),
        database = if settings.database.url.is_some() { "DATABASE_URL" } else { "app.db in DATA_DIR" },
        "starting"
    );
    let app = Application::build(settings)
        .await
        .map_err(|e| format!("could not start: {e}"))?;
    let address = app.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%address, "practice-connect is listening on http://{address}");
    app.run_until(shutdown_signal())
        .await
        .map_err(|e| format!("server stopped: {e}"))
}

/// Applies the database migrations and exits.
pub async fn migrate(settings: Settings) -> Outcome {
    let db = Db::connect(&settings.database_url(), 1)
        .await
        .map_err(|e| e.to_string())?;
    db.migrate()
        .await
        .map_err(|e| format!("migration failed: {e}"))?;
    tracing::info!(backend = db.backend().name(), "migrations applied");
    Ok(())
}
