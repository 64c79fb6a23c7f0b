-- What a Hint session may do on the embedded surface, decided at the handshake from the Hint
-- user's `partner_roles` and the session's `access_context`: 'none', 'view' or 'edit'; whether it
-- is a Hint support session (Hint's own staff: a banner, never a write); and the integration the
-- handshake named.
ALTER TABLE hint_sessions ADD COLUMN access TEXT NOT NULL DEFAULT 'edit';
ALTER TABLE hint_sessions ADD COLUMN support BIGINT NOT NULL DEFAULT 0;
ALTER TABLE hint_sessions ADD COLUMN integration_id TEXT;
