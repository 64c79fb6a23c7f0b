//! The dashboard summary's tallies (migration `connection_tallies`) stay equal to a count of the
//! connections themselves through every kind of change, one at a time and concurrent, on both
//! backends.

use practice_connect::server::db::Backend;

use crate::helpers::TestApp;
use crate::on_both_databases;

type Counts = Vec<(String, i64, i64)>;

/// Connections not merged away, by status and by the day they connected (-1: not yet).
async fn counted(app: &TestApp) -> Counts {
    sqlx::query_as(
        "SELECT status, COALESCE(connected_at - connected_at % 86400, -1) AS day, COUNT(*) AS n \
         FROM connections WHERE merged_into IS NULL GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap()
}

/// The same, from the tallies.
async fn tallied(app: &TestApp) -> Counts {
    sqlx::query_as(
        "SELECT status, day, CAST(SUM(n) AS BIGINT) AS n FROM connection_tallies \
         GROUP BY status, day HAVING SUM(n) <> 0 ORDER BY 1, 2",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap()
}

async fn run(app: &TestApp, statement: &str) {
    sqlx::raw_sql(statement)
        .execute(app.db.pool())
        .await
        .unwrap_or_else(|error| panic!("{statement}: {error}"));
}

on_both_databases! {
    async fn the_tallies_follow_every_kind_of_change(app) {
        practice_connect::server::seed::connections(&app.db, 300).await.unwrap();
        let before = counted(&app).await;
        assert!(before.len() > 3, "the seed spreads statuses and days: {before:?}");
        assert_eq!(tallied(&app).await, before);

        // A status change, a connection (a day set), a re-dated connection, a merge, a delete,
        // and an update that changes nothing the tallies count.
        for statement in [
            "UPDATE connections SET status = 'disconnected' WHERE id IN \
             (SELECT id FROM connections WHERE status = 'connected' ORDER BY id LIMIT 20)",
            "UPDATE connections SET status = 'connected', connected_at = 1790000000 WHERE id IN \
             (SELECT id FROM connections WHERE status = 'pending' ORDER BY id LIMIT 5)",
            "UPDATE connections SET connected_at = connected_at - 3 * 86400 WHERE id IN \
             (SELECT id FROM connections WHERE connected_at IS NOT NULL ORDER BY id LIMIT 10)",
            "UPDATE connections SET merged_into = 'con-merged-elsewhere' WHERE id IN \
             (SELECT id FROM connections WHERE status = 'failed' ORDER BY id LIMIT 4)",
            "UPDATE connections SET merged_into = NULL WHERE id IN \
             (SELECT id FROM connections WHERE merged_into IS NOT NULL ORDER BY id LIMIT 1)",
            "DELETE FROM connections WHERE id IN \
             (SELECT id FROM connections WHERE merged_into IS NULL ORDER BY id DESC LIMIT 6)",
            "UPDATE connections SET practice_name = practice_name || ' (renamed)'",
        ] {
            run(&app, statement).await;
            assert_eq!(tallied(&app).await, counted(&app).await, "after {statement}");
        }
        assert_ne!(counted(&app).await, before, "the changes changed the counts");
    }

    async fn concurrent_transactions_keep_the_tallies_exact(app) {
        practice_connect::server::seed::connections(&app.db, 400).await.unwrap();
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM connections ORDER BY id")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
        // Eight writers at once, moving connections back and forth between statuses and days:
        // on PostgreSQL they meet on the same tally rows, in both directions.
        let writers = ids.chunks(ids.len() / 8).map(|chunk| {
            let db = app.db.clone();
            let chunk = chunk.to_vec();
            tokio::spawn(async move {
                for (i, id) in chunk.iter().enumerate() {
                    let (status, connected_at) = if i % 2 == 0 {
                        ("connected", Some(1_790_000_000_i64))
                    } else {
                        ("needs_reconnect", None)
                    };
                    let mut tx = db.begin_write().await.unwrap();
                    sqlx::query("UPDATE connections SET status = $1, connected_at = $2 WHERE id = $3")
                        .bind(status)
                        .bind(connected_at)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                }
            })
        });
        for writer in writers.collect::<Vec<_>>() {
            writer.await.unwrap();
        }
        assert_eq!(tallied(&app).await, counted(&app).await);
        if app.db.backend() == Backend::Postgres {
            let slots: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT slot) FROM connection_tallies")
                .fetch_one(app.db.pool())
                .await
                .unwrap();
            assert!(slots > 1, "PostgreSQL's writers are spread over slots");
        }
    }
}
