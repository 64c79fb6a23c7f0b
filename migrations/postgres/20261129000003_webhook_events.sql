-- Hint webhook deliveries already handled: deliveries repeat, each event is applied once.
CREATE TABLE webhook_events (
    id          TEXT PRIMARY KEY,              -- Hint's event id (evt-…)
    type        TEXT NOT NULL,
    received_at BIGINT NOT NULL
);

-- When the key health job last claimed a connection's key for checking (one instance per check).
ALTER TABLE connections ADD COLUMN key_checked_at BIGINT;
CREATE INDEX connections_key_checked_at ON connections (status, key_checked_at);
