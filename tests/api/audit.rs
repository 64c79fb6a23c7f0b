//! The audit log as an auditor takes it away: `/admin/audit`'s pages and filters, the CSV and
//! JSON-lines exports (every field round-trips, the export is itself audited, admins only), and
//! retention (only entries past the horizon go, archived first; everything newer stays
//! append-only, enforced by the database).

use practice_connect::domain::audit::{ActorKind, AuditAction, Outcome};
use practice_connect::domain::staff::StaffRole;
use practice_connect::server::audit::{self, Entry};

use crate::helpers::{unique_name, TestApp, TestDb, RIVERBEND};
use crate::on_both_databases;

on_both_databases!(
    the_exports_round_trip_every_field_and_are_audited_first,
    filters_narrow_the_page_and_the_export_alike,
    the_audit_log_is_for_admins_only,
    retention_removes_only_entries_past_it_archived_first,
);

/// An `audit_log` row, column by column.
type Stored = (
    i64,
    i64,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
);

/// Every stored entry, newest first, as the exports write them (absent fields `null`).
async fn stored(app: &TestApp) -> Vec<serde_json::Value> {
    let rows: Vec<Stored> = sqlx::query_as(
        "SELECT id, at, actor_kind, actor_id, action, connection_id, ip, outcome, detail \
             FROM audit_log ORDER BY id DESC",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    rows.into_iter()
        .map(|(id, at, kind, actor, action, connection, ip, outcome, detail)| {
            serde_json::json!({
                "id": id, "at_unix": at, "actor_kind": kind, "actor_id": actor, "action": action,
                "connection_id": connection, "ip": ip, "outcome": outcome, "detail": detail,
            })
        })
        .collect()
}

/// The JSON lines an export at `path` answers, parsed.
async fn exported(staff: &TestApp, path: &str) -> Vec<serde_json::Value> {
    let text = staff.get(path).await.text().await.unwrap();
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// A CSV document's records, fields unquoted (RFC 4180: quotes doubled, newlines inside quotes).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    records
}

/// Entries whose every field is set, with the characters an export must carry safely.
async fn awkward_entries(app: &TestApp, connection_id: &str) {
    for detail in [
        "plain",
        "comma, \"quotes\" and\na newline",
        "=HYPERLINK(\"http://evil.example\")",
        "ünïcödé – ✓",
    ] {
        audit::record(
            &app.db,
            Entry {
                actor_id: Some("staff-7, \"the auditor\""),
                connection_id: Some(connection_id),
                ip: Some("2001:db8::7"),
                detail: Some(detail),
                ..Entry::new(ActorKind::Staff, AuditAction::KeyVerified, Outcome::Denied)
            },
        )
        .await;
    }
}

async fn the_exports_round_trip_every_field_and_are_audited_first(db: TestDb) {
    let app = TestApp::spawn(db).await;
    app.ready_to_connect(RIVERBEND).await;
    let connected = app.connect().await;
    let connection_id = connected["id"].as_str().unwrap().to_owned();
    awkward_entries(&app, &connection_id).await;
    let staff = app.another_browser();
    staff.log_in_staff(StaffRole::Admin).await;

    let answer = staff.get("/admin/audit.jsonl").await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    assert!(answer.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/jsonl"));
    let text = answer.text().await.unwrap();
    let exported: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    let now = stored(&app).await;
    assert_eq!(exported.len(), now.len(), "every entry, none twice");
    for (line, row) in exported.iter().zip(&now) {
        for (field, value) in row.as_object().unwrap() {
            assert_eq!(&line[field], value, "{field} of entry {}", row["id"]);
        }
        let at = row["at_unix"].as_i64().unwrap();
        assert_eq!(line["at"], practice_connect::domain::dates::rfc3339(at));
    }
    // The export was recorded before it was sent: it is the newest line of its own output.
    assert_eq!(exported[0]["action"], "audit_exported");
    assert_eq!(exported[0]["actor_kind"], "staff");
    assert_eq!(exported[0]["detail"], "jsonl (everything)");

    let csv = staff.get("/admin/audit.csv").await.text().await.unwrap();
    let records = parse_csv(&csv);
    assert_eq!(
        records[0],
        [
            "id",
            "at",
            "actor_kind",
            "actor_id",
            "action",
            "connection_id",
            "ip",
            "outcome",
            "detail"
        ]
    );
    let now = stored(&app).await;
    assert_eq!(records.len() - 1, now.len());
    for (record, row) in records[1..].iter().zip(&now) {
        let text = |field: &str| row[field].as_str().unwrap_or_default().to_owned();
        // A value a spreadsheet would run as a formula is defused with a leading quote.
        let defused = |value: String| {
            if value.starts_with(['=', '+', '-', '@']) {
                format!("'{value}")
            } else {
                value
            }
        };
        assert_eq!(record[0], row["id"].to_string());
        assert_eq!(
            record[1],
            practice_connect::domain::dates::rfc3339(row["at_unix"].as_i64().unwrap())
        );
        let expected = [
            "actor_kind",
            "actor_id",
            "action",
            "connection_id",
            "ip",
            "outcome",
            "detail",
        ]
        .map(|field| defused(text(field)));
        assert_eq!(record[2..], expected[..], "entry {}", row["id"]);
    }
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert_eq!(now[0]["detail"], "csv (everything)");
}

async fn filters_narrow_the_page_and_the_export_alike(db: TestDb) {
    let app = TestApp::spawn(db).await;
    app.ready_to_connect(RIVERBEND).await;
    let connection_id = app.connect().await["id"].as_str().unwrap().to_owned();
    awkward_entries(&app, &connection_id).await;
    let staff = app.another_browser();
    staff.log_in_staff(StaffRole::Admin).await;

    let by_action = exported(&staff, "/admin/audit.jsonl?action=exchange_succeeded").await;
    assert_eq!(by_action.len(), 1);
    assert_eq!(by_action[0]["connection_id"], connection_id.as_str());
    let by_practice = exported(&staff, &format!("/admin/audit.jsonl?practice={RIVERBEND}")).await;
    assert!(
        by_practice.len() >= 6,
        "the journey's and the four awkward ones"
    );
    assert!(by_practice
        .iter()
        .all(|line| line["connection_id"] == connection_id.as_str()));
    let by_actor = exported(
        &staff,
        "/admin/audit.jsonl?actor=staff-7%2C%20%22the%20auditor%22",
    )
    .await;
    assert_eq!(by_actor.len(), 4);
    let today =
        practice_connect::domain::dates::iso_date(practice_connect::server::clock::system_now());
    let to_today = exported(
        &staff,
        &format!("/admin/audit.jsonl?from={today}&to={today}&action=key_verified"),
    )
    .await;
    assert_eq!(to_today.len(), 4);
    let long_ago = exported(&staff, "/admin/audit.jsonl?to=2001-01-01").await;
    assert!(long_ago.is_empty());
    for bad in ["from=2026-02-30", "action=drop%20table", "to=yesterday"] {
        let answer = staff.get(&format!("/admin/audit.csv?{bad}")).await;
        assert_eq!(answer.status(), 400, "{bad}");
    }
    // Every export asked for, and only those, is on record with its filters.
    let exports = exported(&staff, "/admin/audit.jsonl?action=audit_exported").await;
    assert_eq!(exports.len(), 6, "the five answered exports and this one");
    assert_eq!(exports[0]["detail"], "jsonl action=audit_exported");
    assert_eq!(exports[1]["detail"], "jsonl to=2001-01-01");

    // The page: newest first, 100 at a time, the next page strictly older.
    for n in 0..120 {
        audit::record(
            &app.db,
            Entry {
                detail: Some(&format!("filler {n}")),
                ..Entry::new(ActorKind::System, AuditAction::KeyCheck, Outcome::Ok)
            },
        )
        .await;
    }
    let first = staff
        .call("admin/audit_log", &[("filter[action]", "key_check")])
        .await
        .unwrap();
    let entries = first["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 100);
    assert_eq!(entries[0]["detail"], "filler 119");
    let older = first["older"].as_i64().expect("an older page");
    let second = staff
        .call(
            "admin/audit_log",
            &[
                ("filter[action]", "key_check"),
                ("filter[before]", &older.to_string()),
            ],
        )
        .await
        .unwrap();
    let rest = second["entries"].as_array().unwrap();
    assert_eq!(rest.len(), 20);
    assert_eq!(rest[19]["detail"], "filler 0");
    assert!(second["older"].is_null());
}

async fn the_audit_log_is_for_admins_only(db: TestDb) {
    let app = TestApp::spawn(db).await;
    assert_eq!(app.get("/admin/audit.csv").await.status(), 401);
    assert!(app
        .call("admin/audit_log", &[("filter[actor]", "")])
        .await
        .is_err());
    let support = app.another_browser();
    support.log_in_staff(StaffRole::Support).await;
    assert_eq!(support.get("/admin/audit.jsonl").await.status(), 403);
    let refused = support
        .call("admin/audit_log", &[("filter[actor]", "")])
        .await
        .unwrap_err();
    assert_eq!(refused, serde_json::json!("Forbidden"));
    let exports: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'audit_exported'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(exports, 0, "a refused export is no export");
}

async fn retention_removes_only_entries_past_it_archived_first(db: TestDb) {
    let archive = std::env::temp_dir().join(unique_name("pc-audit-archive"));
    let folder = archive.display().to_string();
    let app = TestApp::spawn_with(
        db,
        &[
            "--audit-retention-days",
            "90",
            "--audit-archive-dir",
            &folder,
        ],
    )
    .await;
    let now = practice_connect::server::clock::system_now();
    let day = 86_400;
    // Entries are only ever inserted; these are dated as if written long ago.
    for (age, detail) in [
        (400, "very old"),
        (91, "just past"),
        (89, "just inside"),
        (31, "recent"),
    ] {
        sqlx::query(
            "INSERT INTO audit_log (at, actor_kind, actor_id, action, connection_id, ip, outcome, detail) \
             VALUES ($1, 'staff', 'staff-1', 'key_revealed', 'con_x', '192.0.2.1', 'ok', $2)",
        )
        .bind(now - age * day)
        .bind(detail)
        .execute(app.db.pool())
        .await
        .unwrap();
    }
    let report = practice_connect::server::housekeeping::run_once(&app.state).await;
    assert_eq!(report.failed, 0);
    assert_eq!(report.retired_audit_entries, 2);
    let left: Vec<String> = sqlx::query_scalar(
        "SELECT detail FROM audit_log WHERE action = 'key_revealed' ORDER BY at",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(left, ["just inside", "recent"]);

    // The archive holds exactly what left the table, every field, synced before the removal.
    let files: Vec<_> = std::fs::read_dir(&archive)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    let archived: Vec<serde_json::Value> = std::fs::read_to_string(&files[0])
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let details: Vec<_> = archived
        .iter()
        .map(|line| line["detail"].as_str().unwrap())
        .collect();
    assert_eq!(details, ["very old", "just past"]);
    assert_eq!(archived[0]["ip"], "192.0.2.1");
    assert_eq!(archived[0]["at_unix"], now - 400 * day);
    let retired: String =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'audit_retired'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(retired.starts_with("2 entries before "), "{retired}");

    // Everything newer than the horizon is still append-only, whoever asks.
    for statement in [
        "DELETE FROM audit_log WHERE detail = 'just inside'",
        "DELETE FROM audit_log",
        "UPDATE audit_log SET detail = 'edited' WHERE detail = 'recent'",
        "DELETE FROM audit_retention",
    ] {
        let refused = sqlx::query(statement).execute(app.db.pool()).await;
        assert!(refused.is_err(), "{statement}");
    }
    // And the horizon cannot be moved closer than 30 days, not even by hand.
    let closer = sqlx::query("UPDATE audit_retention SET horizon = $1")
        .bind(now - 29 * day)
        .execute(app.db.pool())
        .await;
    assert!(
        closer.is_err(),
        "a horizon 29 days back is refused by the database"
    );
    let report = practice_connect::server::housekeeping::run_once(&app.state).await;
    assert_eq!(report.retired_audit_entries, 0, "nothing more is past it");
    let _ = std::fs::remove_dir_all(&archive);
}
