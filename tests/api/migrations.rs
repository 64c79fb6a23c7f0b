//! The twin migration folders (`migrations/sqlite`, `migrations/postgres`) say the same thing:
//! the same versions, and statement by statement the same schema, allowing only the known
//! dialect differences (binary and identity column types, and how an append-only trigger is
//! written).

use std::collections::BTreeSet;
use std::path::Path;

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
///   PostgreSQL's writers over slots; the tally test proves both keep exact counts.
const BACKEND_SPECIFIC: [&str; 2] = [
    "20261130000005_search_index.sql",
    "20261130000006_connection_tallies.sql",
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
