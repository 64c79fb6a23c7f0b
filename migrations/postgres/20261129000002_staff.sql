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

-- The dashboard sorts and filters by these.
CREATE INDEX connections_connected_at ON connections (connected_at);
CREATE INDEX connections_practice_name ON connections (practice_name);
CREATE INDEX connections_updated_at ON connections (updated_at);
CREATE INDEX audit_log_action_at ON audit_log (action, at);
