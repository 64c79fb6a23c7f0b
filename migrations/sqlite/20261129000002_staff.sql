-- Partner staff who use the dashboard. Separate from providers.
CREATE TABLE staff (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,            -- admin, support
    password_hash TEXT NOT NULL,
    disabled_at   BIGINT,
    created_at    BIGINT NOT NULL
);

-- The dashboard sorts by these; the row id breaks ties, so each index matches its ORDER BY and a
-- page is read straight off the index.
CREATE INDEX connections_created_at ON connections (created_at, id);
CREATE INDEX connections_connected_at ON connections (connected_at, id);
CREATE INDEX connections_practice_name ON connections (practice_name, id);
CREATE INDEX connections_integration_id ON connections (integration_id, id);
CREATE INDEX connections_last_verified_at ON connections (last_verified_at, id);
CREATE INDEX audit_log_action_at ON audit_log (action, at);
