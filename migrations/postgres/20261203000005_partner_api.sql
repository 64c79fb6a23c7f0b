-- The partner's own product reads connections and keys through the service API (`/v1`, bearer
-- tokens) and hears of every change to a connection through signed events.

-- A connection's status before its latest change, and whether it was in a reconnect then (it
-- needed one, and has not been connected or disconnected since: a reconnect passes through
-- awaiting activation). Set in the same UPDATE as the new status, from the row before it, so
-- the events say "recovered" when a practice that needed a reconnect is connected again.
ALTER TABLE connections ADD COLUMN previous_status TEXT;
ALTER TABLE connections ADD COLUMN reconnecting BIGINT NOT NULL DEFAULT 0;
-- The service API lists connections in the order they changed (keyset pagination).
CREATE INDEX connections_changes ON connections (updated_at, id);

-- Service tokens: only a SHA-256 of the token is kept (it carries 256 random bits, so a fast
-- hash is enough). A revoked token stays, so its calls answer "revoked" and the audit reads.
CREATE TABLE service_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    scopes       TEXT NOT NULL,           -- comma-separated: connections:read, keys:read
    token_hash   TEXT NOT NULL UNIQUE,    -- hex SHA-256 of the whole token
    created_at   BIGINT NOT NULL,
    created_by   TEXT NOT NULL,           -- "cli" or the staff member's id
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE UNIQUE INDEX service_tokens_live_name ON service_tokens (name) WHERE revoked_at IS NULL;

-- Where events go. The signing secret is encrypted at rest; during a rotation the previous one
-- signs too, until `previous_until`. One instance at a time delivers to an endpoint (its lease).
CREATE TABLE event_endpoints (
    id                         TEXT PRIMARY KEY,
    url                        TEXT NOT NULL,
    secret_ciphertext          BYTEA NOT NULL,
    secret_key_id              TEXT NOT NULL,
    previous_secret_ciphertext BYTEA,
    previous_secret_key_id     TEXT,
    previous_until             BIGINT,
    created_at                 BIGINT NOT NULL,
    removed_at                 BIGINT,
    lease_holder               TEXT,
    lease_until                BIGINT
);
CREATE UNIQUE INDEX event_endpoints_live_url ON event_endpoints (url) WHERE removed_at IS NULL;

-- The events, written in the transaction that changed the connection. `body` is the JSON sent,
-- byte for byte the same on every attempt; it never holds a key.
CREATE TABLE connection_events (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    connection_id   TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX connection_events_created ON connection_events (created_at);

-- The outbox: one row per event and endpoint, until a 2xx (delivered) or the retry window ends
-- (gave_up); an endpoint removed cancels what it had pending.
CREATE TABLE event_deliveries (
    endpoint_id     TEXT NOT NULL,
    event_seq       BIGINT NOT NULL,
    status          TEXT NOT NULL,            -- pending, delivered, gave_up, cancelled
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    retry_until     BIGINT NOT NULL,          -- attempts stop after this (3 days; again from a resend)
    last_status     BIGINT,                   -- the receiver's HTTP status, when it answered
    last_error      TEXT,                     -- what kind of failure, never the receiver's words
    delivered_at    BIGINT,
    PRIMARY KEY (endpoint_id, event_seq)
);
CREATE INDEX event_deliveries_due ON event_deliveries (status, next_attempt_at);
