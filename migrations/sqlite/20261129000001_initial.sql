-- Providers: practice users who sign up through Hint's redirect.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,     -- stored trimmed and lower-cased
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,            -- Argon2id PHC string
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- Browser sessions. The id column holds a SHA-256 of the cookie's value, never the value.
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- One row per practice connection, from the moment a code lands until it is disconnected.
CREATE TABLE connections (
    id                 TEXT PRIMARY KEY,
    status             TEXT NOT NULL,       -- pending, exchanging, connected, awaiting_activation, failed, disconnected, needs_reconnect
    code_hash          TEXT UNIQUE,         -- SHA-256 of the authorization code
    code_ciphertext    BLOB,                -- the code itself, encrypted, until it is exchanged
    code_key_id        TEXT,
    user_id            TEXT REFERENCES users (id),
    practice_id        TEXT,
    practice_name      TEXT,
    integration_id     TEXT,
    hint_status        TEXT,                -- Hint's own status word, shown as it is
    product_name       TEXT,
    activated_by_name  TEXT,
    activated_by_email TEXT,
    api_key_ciphertext BLOB,                -- practice API key, AEAD-encrypted
    api_key_key_id     TEXT,
    api_key_last4      TEXT,
    wizard_step        BIGINT NOT NULL DEFAULT 0,
    wizard_data        TEXT NOT NULL DEFAULT '{}',
    failure            TEXT,                -- why the last exchange failed (a kind, not a message)
    merged_into        TEXT,                -- set when a new code for an already stored practice updated that row instead
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    connected_at       BIGINT,
    last_verified_at   BIGINT
);
CREATE UNIQUE INDEX connections_practice_id ON connections (practice_id) WHERE practice_id IS NOT NULL;
CREATE INDEX connections_user_id ON connections (user_id);
-- Partial: most rows have no merge, and the list's "merged_into IS NULL" must not pick this index.
CREATE INDEX connections_merged_into ON connections (merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX connections_status_created ON connections (status, created_at);

-- Append-only record of who did what, when, from where, with what outcome. No secrets.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            BIGINT NOT NULL,
    actor_kind    TEXT NOT NULL,            -- anonymous, provider, staff, hint, system
    actor_id      TEXT,
    action        TEXT NOT NULL,
    connection_id TEXT,
    ip            TEXT,
    outcome       TEXT NOT NULL,            -- ok, denied, failed
    detail        TEXT
);
CREATE INDEX audit_log_connection_at ON audit_log (connection_id, at);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
