-- The browser session a code landed in: a SHA-256 of a random key only that session holds.
-- Only that session can bind the connection to an account, and only within the code's lifetime.
ALTER TABLE connections ADD COLUMN landing_key_hash TEXT;
