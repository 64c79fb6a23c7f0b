-- Hint webhook deliveries already handled: deliveries repeat, each event is applied once.
CREATE TABLE webhook_events (
    id          TEXT PRIMARY KEY,              -- Hint's event id (evt-…)
    type        TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
