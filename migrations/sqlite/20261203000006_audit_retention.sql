-- The audit log stays append-only, except for entries older than a retention horizon. The
-- horizon is one row; the app moves it (AUDIT_RETENTION_DAYS) and the database itself refuses a
-- horizon less than 30 days behind its own clock, so no bug and no setting can remove a recent
-- entry, and every entry newer than the horizon keeps the old rule: no update, no delete.
CREATE TABLE audit_retention (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    horizon BIGINT NOT NULL
);
INSERT INTO audit_retention (id, horizon) VALUES (1, 0);

CREATE TRIGGER audit_retention_recent BEFORE UPDATE ON audit_retention
WHEN NEW.horizon > CAST(strftime('%s', 'now') AS INTEGER) - 30 * 86400 OR NEW.id <> 1
BEGIN SELECT RAISE(ABORT, 'the audit horizon stays at least 30 days in the past'); END;
CREATE TRIGGER audit_retention_no_delete BEFORE DELETE ON audit_retention
BEGIN SELECT RAISE(ABORT, 'the audit horizon cannot be removed'); END;

DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.at >= (SELECT horizon FROM audit_retention WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
