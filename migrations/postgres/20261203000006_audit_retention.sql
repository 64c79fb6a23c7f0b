-- The audit log stays append-only, except for entries older than a retention horizon. The
-- horizon is one row; the app moves it (AUDIT_RETENTION_DAYS) and the database itself refuses a
-- horizon less than 30 days behind its own clock, so no bug and no setting can remove a recent
-- entry, and every entry newer than the horizon keeps the old rule: no update, no delete.
CREATE TABLE audit_retention (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    horizon BIGINT NOT NULL
);
INSERT INTO audit_retention (id, horizon) VALUES (1, 0);

CREATE FUNCTION audit_retention_recent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit horizon cannot be removed';
    END IF;
    IF NEW.id <> 1 OR NEW.horizon > extract(epoch FROM now())::BIGINT - 30 * 86400 THEN
        RAISE EXCEPTION 'the audit horizon stays at least 30 days in the past';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_retention_recent BEFORE UPDATE OR DELETE ON audit_retention
    FOR EACH ROW EXECUTE FUNCTION audit_retention_recent();

CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.at < (SELECT horizon FROM audit_retention WHERE id = 1) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
