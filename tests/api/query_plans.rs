//! The dashboard's queries read through their indexes on both backends: the list and the
//! status filter walk an index in their order, and a substring search goes through the trigram
//! indexes (SQLite's FTS5 tables, PostgreSQL's `pg_trgm` GIN indexes) instead of reading every
//! row. Plans, not timings: the planner's choice is what a test can hold still.

use practice_connect::domain::dashboard::ListQuery;
use practice_connect::server::admin::queries::{count_sql, page_sql};
use practice_connect::server::db::Backend;
use sqlx::Row;

use crate::helpers::TestApp;
use crate::on_both_databases;

fn query(q: &str, status: &str) -> ListQuery {
    ListQuery {
        q: q.into(),
        status: status.into(),
        sort: String::new(),
        dir: String::new(),
        page: 1,
    }
}

/// Made-up rows and fresh statistics, so the planner weighs the indexes as it would in use
/// (on an empty table every plan costs nothing and any index will do).
async fn with_rows(app: &TestApp) {
    practice_connect::server::seed::connections(&app.db, 5_000)
        .await
        .unwrap();
    // On PostgreSQL, VACUUM also moves the rows out of each GIN index's pending list, which
    // the planner would otherwise count against the index.
    let statements: &[&str] = match app.db.backend() {
        Backend::Sqlite => &["ANALYZE"],
        Backend::Postgres => &["VACUUM ANALYZE connections", "VACUUM ANALYZE users"],
    };
    for statement in statements {
        sqlx::raw_sql(statement)
            .execute(app.db.pool())
            .await
            .unwrap();
    }
}

/// The plan of one dashboard page, one line per step.
async fn plan(app: &TestApp, list: &ListQuery) -> String {
    explain(app, page_sql(list, app.db.backend())).await
}

/// The plan of the count under a dashboard page.
async fn count_plan(app: &TestApp, list: &ListQuery) -> String {
    explain(app, count_sql(list, app.db.backend())).await
}

async fn explain(app: &TestApp, (sql, values): (String, Vec<String>)) -> String {
    let backend = app.db.backend();
    let mut connection = app.db.pool().acquire().await.unwrap();
    let explain = match backend {
        Backend::Sqlite => format!("EXPLAIN QUERY PLAN {sql}"),
        Backend::Postgres => {
            // On a few test rows a sequential scan is cheapest: ask whether the index can serve
            // the query, as it must at 100,000 rows.
            sqlx::query("SET enable_seqscan = off")
                .execute(&mut *connection)
                .await
                .unwrap();
            format!("EXPLAIN {sql}")
        }
    };
    let mut statement = sqlx::query(&explain);
    for value in &values {
        statement = statement.bind(value);
    }
    let rows = statement.fetch_all(&mut *connection).await.unwrap();
    let column = if backend == Backend::Sqlite { 3 } else { 0 };
    rows.iter()
        .map(|row| row.get::<String, _>(column))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether the plan reads the whole connections table row by row.
fn scans_every_connection(plan: &str, backend: Backend) -> bool {
    plan.lines().any(|line| match backend {
        Backend::Sqlite => line.trim() == "SCAN c",
        Backend::Postgres => line.contains("Seq Scan on connections"),
    })
}

on_both_databases! {
    async fn the_list_and_the_status_filter_walk_an_index(app) {
        with_rows(&app).await;
        let backend = app.db.backend();
        for list in [query("", ""), query("", "connected")] {
            let plan = plan(&app, &list).await;
            assert!(!scans_every_connection(&plan, backend), "{plan}");
            assert!(plan.contains("connections_"), "an index of ours: {plan}");
        }
    }

    async fn a_substring_search_goes_through_the_trigram_indexes(app) {
        with_rows(&app).await;
        let backend = app.db.backend();
        for term in ["maple", "dr-ana@"] {
            let page = plan(&app, &query(term, "")).await;
            assert!(!scans_every_connection(&page, backend), "{term}: {page}");
            // A page may walk the sort order and stop at its 50th match; the count reads every
            // match, so it is where the trigram indexes must show.
            let plan = count_plan(&app, &query(term, "")).await;
            assert!(!scans_every_connection(&plan, backend), "{term}: {plan}");
            match backend {
                Backend::Sqlite => assert!(plan.contains("VIRTUAL TABLE INDEX"), "{term}: {plan}"),
                Backend::Postgres if term.contains('@') => assert!(plan.contains("users_email_trgm"), "{term}: {plan}"),
                Backend::Postgres => {
                    assert!(plan.contains("connections_practice_name_trgm"), "{term}: {plan}");
                    assert!(plan.contains("users_email_trgm"), "{term}: {plan}");
                }
            }
        }
    }

    async fn an_id_is_found_through_its_own_index(app) {
        with_rows(&app).await;
        let backend = app.db.backend();
        let plan = plan(&app, &query("pra-sbxMaple0002", "")).await;
        assert!(!scans_every_connection(&plan, backend), "{plan}");
        assert!(plan.contains("connections_practice_id"), "{plan}");
    }
}
