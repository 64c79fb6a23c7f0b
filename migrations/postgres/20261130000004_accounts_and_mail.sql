-- Accounts people can live with: verified emails, sessions that know their owner, one-time
-- links (verify, reset, change email, staff invitations), and the outgoing mail queue.

ALTER TABLE users ADD COLUMN email_verified_at BIGINT;
-- When this provider's last weekly summary was queued (NULL: never).
ALTER TABLE users ADD COLUMN summary_sent_at BIGINT;

-- The status a connection's provider was last told about (NULL once it is connected again), so
-- each fall into needs_reconnect or disconnected sends one notice, however many instances see it.
ALTER TABLE connections ADD COLUMN notified_status TEXT;

-- Which account owns a provider session, and what its owner sees in their sessions list.
ALTER TABLE sessions ADD COLUMN user_id TEXT;
ALTER TABLE sessions ADD COLUMN device TEXT;
ALTER TABLE sessions ADD COLUMN ip TEXT;
ALTER TABLE sessions ADD COLUMN created_at BIGINT;
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT;
CREATE INDEX sessions_user_id ON sessions (user_id) WHERE user_id IS NOT NULL;

-- One-time links. Only a SHA-256 of the token is kept; a row is used at most once.
CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,     -- verify_email, reset_password, change_email, staff_invite, staff_password
    user_id    TEXT,              -- a provider's tokens
    staff_id   TEXT,              -- a staff member's tokens
    email      TEXT NOT NULL,     -- the address the link was sent to (the new one for change_email)
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose) WHERE user_id IS NOT NULL;
CREATE INDEX account_tokens_staff ON account_tokens (staff_id, purpose) WHERE staff_id IS NOT NULL;
CREATE INDEX account_tokens_expires ON account_tokens (expires_at);

-- Outgoing mail, sent by a background worker with retries. The body (which may hold a one-time
-- link) is encrypted like practice keys and forgotten once the message is sent.
CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,    -- which template made it
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_ciphertext BYTEA,             -- JSON {text, html, unsubscribe}, AEAD-encrypted; NULL once sent
    body_key_id     TEXT,
    status          TEXT NOT NULL,    -- queued, sending, sent, failed (gave up)
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,             -- what kind of failure, never the server's words
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);
