//! The twin migration folders (`migrations/sqlite`, `migrations/postgres`) say the same thing:
//! the same versions, and statement by statement the same schema, allowing only the known
//! dialect differences (binary and identity column types, and how an append-only trigger is
//! written).

use std::collections::BTreeSet;
use std::path::Path;

use crate::helpers::{fresh_postgres_database, unique_name, TestDb};
use crate::on_both_databases;

/// Spellings that differ between the dialects, PostgreSQL's first, each mapped to SQLite's.
const DIALECT: [(&str, &str); 2] = [
    ("bytea", "blob"),
    (
        "bigint generated always as identity primary key",
        "integer primary key autoincrement",
    ),
];

/// Migrations that differ by design, each under the same version on both backends:
/// - each backend's own substring index (SQLite's FTS5 trigram tables with their triggers,
///   PostgreSQL's `pg_trgm` GIN indexes), which the dashboard's query-plan test proves are used;
/// - the summary's tallies, kept by SQLite triggers and by a PL/pgSQL function that also spreads
///   PostgreSQL's writers over slots; the tally test proves both keep exact counts;
/// - the audit log's retention horizon, where SQLite replaces its delete trigger and PostgreSQL
///   its trigger function; the retention test proves both refuse recent deletes on either.
const BACKEND_SPECIFIC: [&str; 3] = [
    "20261130000005_search_index.sql",
    "20261130000006_connection_tallies.sql",
    "20261203000006_audit_retention.sql",
];

/// Statements that shape the schema; trigger and function bodies are compared apart.
const SCHEMA_STATEMENTS: [&str; 6] = [
    "create table",
    "create index",
    "create unique index",
    "alter table",
    "drop ",
    "insert into",
];

fn files(folder: &str) -> BTreeSet<String> {
    std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(folder))
        .expect("the migrations folder")
        .map(|entry| {
            entry
                .expect("a file")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// Comments gone, lower case, white space folded, PostgreSQL's spellings made SQLite's.
fn normalized(sql: &str) -> String {
    let without_comments: Vec<&str> = sql
        .lines()
        .map(|line| line.split("--").next().unwrap_or_default())
        .collect();
    let mut text = without_comments
        .join(" ")
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for (postgres, sqlite) in DIALECT {
        text = text.replace(postgres, sqlite);
    }
    text.replace("( ", "(").replace(" )", ")")
}

/// The schema statements of a migration, in order.
fn schema_statements(sql: &str) -> Vec<String> {
    normalized(sql)
        .split(';')
        .map(str::trim)
        .filter(|statement| {
            SCHEMA_STATEMENTS
                .iter()
                .any(|kind| statement.starts_with(kind))
        })
        .map(str::to_owned)
        .collect()
}

/// The tables that carry a trigger, whatever the dialect's way of writing it.
fn triggered_tables(sql: &str) -> BTreeSet<String> {
    let text = normalized(sql);
    text.split("create trigger ")
        .skip(1)
        .filter_map(|rest| {
            let head = rest.split(" on ").nth(1)?;
            Some(head.split_whitespace().next()?.to_owned())
        })
        .collect()
}

#[test]
fn both_backends_have_the_same_migration_versions() {
    assert_eq!(files("migrations/sqlite"), files("migrations/postgres"));
}

#[test]
fn each_migration_says_the_same_on_both_backends() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for name in files("migrations/sqlite") {
        if BACKEND_SPECIFIC.contains(&name.as_str()) {
            continue;
        }
        let sqlite = std::fs::read_to_string(root.join("sqlite").join(&name)).unwrap();
        let postgres = std::fs::read_to_string(root.join("postgres").join(&name)).unwrap();
        let (left, right) = (schema_statements(&sqlite), schema_statements(&postgres));
        assert!(!left.is_empty(), "{name}: no schema statements found");
        assert_eq!(left.len(), right.len(), "{name}: statement counts differ");
        for (a, b) in left.iter().zip(&right) {
            assert_eq!(a, b, "{name}: the backends differ");
        }
        assert_eq!(
            triggered_tables(&sqlite),
            triggered_tables(&postgres),
            "{name}: triggers guard different tables"
        );
    }
}

#[test]
fn the_parity_check_notices_a_drift() {
    let sqlite = "CREATE TABLE t (id TEXT PRIMARY KEY, data BLOB); -- note";
    let same = "create table t (\n  id TEXT PRIMARY KEY,\n  data BYTEA\n);";
    let drifted = "CREATE TABLE t (id TEXT PRIMARY KEY, data BYTEA, extra TEXT);";
    assert_eq!(schema_statements(sqlite), schema_statements(same));
    assert_ne!(schema_statements(sqlite), schema_statements(drifted));
}

on_both_databases!(email_choices_move_out_of_the_answers_into_their_columns);

/// A database made before the email choices had columns, with one provider who chose both, one
/// who chose neither and one who never reached that step, upgraded by the preferences migration.
async fn email_choices_move_out_of_the_answers_into_their_columns(db: TestDb) {
    use sqlx::Connection;

    const PREFERENCES: &str = "20261203000001_preferences.sql";
    sqlx::any::install_default_drivers();
    let (url, folder) = match db {
        TestDb::Sqlite => {
            let file = std::env::temp_dir().join(format!("{}.db", unique_name("pc_migrate")));
            (format!("sqlite://{}?mode=rwc", file.display()), "sqlite")
        }
        TestDb::Postgres => (fresh_postgres_database().await, "postgres"),
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(folder);
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    for name in files(&format!("migrations/{folder}")) {
        if name.as_str() >= PREFERENCES {
            break;
        }
        let sql = std::fs::read_to_string(root.join(&name)).unwrap();
        sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();
    }
    let stored = [
        (
            "con_both",
            r#"{"practice":null,"profile":{"role":"physician","contact_phone":"5550101","alerts_by_email":true,"weekly_summary":true}}"#,
        ),
        (
            "con_neither",
            r#"{"practice":null,"profile":{"role":"nurse","contact_phone":"5550102","alerts_by_email":false,"weekly_summary":false}}"#,
        ),
        ("con_no_profile", "{}"),
    ];
    for (id, data) in stored {
        sqlx::query(
            "INSERT INTO connections (id, status, wizard_data, created_at, updated_at) \
             VALUES ($1, 'pending', $2, 0, 0)",
        )
        .bind(id)
        .bind(data)
        .execute(&mut conn)
        .await
        .unwrap();
    }

    let sql = std::fs::read_to_string(root.join(PREFERENCES)).unwrap();
    sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();

    let rows: Vec<(String, i64, i64, String)> = sqlx::query_as(
        "SELECT id, alerts_by_email, weekly_summary, wizard_data FROM connections ORDER BY id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let choices: Vec<(&str, i64, i64)> = rows
        .iter()
        .map(|(id, alerts, weekly, _)| (id.as_str(), *alerts, *weekly))
        .collect();
    assert_eq!(
        choices,
        [
            ("con_both", 1, 1),
            ("con_neither", 0, 0),
            ("con_no_profile", 0, 0)
        ]
    );
    for (id, _, _, data) in &rows {
        let answers: serde_json::Value = serde_json::from_str(data).unwrap();
        let profile = &answers["profile"];
        assert!(
            profile.get("alerts_by_email").is_none() && profile.get("weekly_summary").is_none(),
            "{id}: one copy of each choice: {data}"
        );
    }
    assert!(rows[0].3.contains("physician"), "the other answers stay");
}
