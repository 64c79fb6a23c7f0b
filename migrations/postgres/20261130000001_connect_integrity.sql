-- The browser session a code landed in: a SHA-256 of a random key only that session holds.
-- Only that session can bind the connection to an account, and only within the code's lifetime.
ALTER TABLE connections ADD COLUMN landing_key_hash TEXT;

-- Login attempts, counted per account and per client address (provider and staff apart), shared
-- by every instance: a slot is reserved before the password is checked, and repeated failures
-- make the next try wait longer.
CREATE TABLE login_attempts (
    key          TEXT PRIMARY KEY,   -- e.g. "account:staff:a@b.example", "client:provider:203.0.113.7"
    failures     BIGINT NOT NULL,    -- attempts in the current window that did not succeed
    window_start BIGINT NOT NULL,
    locked_until BIGINT NOT NULL     -- no attempt before this time (unix seconds)
);
