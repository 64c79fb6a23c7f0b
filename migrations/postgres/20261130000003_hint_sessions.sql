-- Sessions Hint opens for its embedded surfaces (POST /hint/handshake), one per signed handshake.
CREATE TABLE hint_sessions (
    id             TEXT PRIMARY KEY,     -- SHA-256 of the session key handed to Hint
    signature_hash TEXT NOT NULL UNIQUE, -- SHA-256 of the handshake's signature: a replay is refused
    practice_id    TEXT NOT NULL,        -- every read and write of the surface is scoped to it
    user_id        TEXT,                 -- the Hint user who opened it
    user_name      TEXT,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL       -- the key works until then; the row stays a week for replays
);
CREATE INDEX hint_sessions_created ON hint_sessions (created_at);
