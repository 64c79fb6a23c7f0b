-- Staff second factor and staff sessions (apart from providers' sessions).

-- One authenticator (RFC 6238 TOTP) per staff member. The secret is encrypted like practice keys.
-- It is set when enrolment starts and proven when a first code is accepted (confirmed_at).
CREATE TABLE staff_factors (
    staff_id      TEXT PRIMARY KEY REFERENCES staff(id),
    secret_ciphertext BLOB NOT NULL,
    secret_key_id TEXT NOT NULL,
    confirmed_at  BIGINT,            -- NULL while enrolment is unfinished
    last_step     BIGINT             -- the newest 30-second step a code was accepted for: a code works once
);

-- Single-use recovery codes: a SHA-256 of each (120 random bits, so a fast hash is enough).
CREATE TABLE staff_recovery_codes (
    staff_id   TEXT NOT NULL REFERENCES staff(id),
    code_hash  TEXT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (staff_id, code_hash)
);

-- Staff sessions, on their own cookie. The id is a SHA-256 of the cookie's random token.
CREATE TABLE staff_sessions (
    id            TEXT PRIMARY KEY,
    staff_id      TEXT NOT NULL REFERENCES staff(id),
    stage         TEXT NOT NULL,     -- second_factor, enrol, signed_in
    created_at    BIGINT NOT NULL,   -- for the absolute timeout
    last_seen_at  BIGINT NOT NULL,   -- for the idle timeout
    stepped_up_at BIGINT,            -- the last password + code confirmation
    shown_key_for TEXT,              -- a key revealed without JavaScript: the connection whose
    shown_key_until BIGINT           --   detail page shows it once, until this time
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);
