-- A connection made by Hint's headless install has no owner. From the settings surface inside
-- Hint, a Hint user who may edit invites a provider by email: a one-time link bound to the
-- connection (`account_tokens.connection_id`). Opening it lets that browser claim the connection
-- on the binding page until `connections.claimable_until`, however old the install is.
ALTER TABLE account_tokens ADD COLUMN connection_id TEXT;
ALTER TABLE connections ADD COLUMN claimable_until BIGINT;
