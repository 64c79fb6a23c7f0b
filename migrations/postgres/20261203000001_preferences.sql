-- A provider's email choices get columns of their own (0 or 1), instead of being read out of the
-- wizard's answers with LIKE: "email me if the connection needs attention" and "send me a weekly
-- summary".
-- Existing choices are carried over, then taken out of the answers so there is one copy.

ALTER TABLE connections ADD COLUMN alerts_by_email BIGINT NOT NULL DEFAULT 0;
ALTER TABLE connections ADD COLUMN weekly_summary BIGINT NOT NULL DEFAULT 0;

UPDATE connections
SET alerts_by_email = CASE WHEN wizard_data::jsonb #>> '{profile,alerts_by_email}' = 'true' THEN 1 ELSE 0 END,
    weekly_summary = CASE WHEN wizard_data::jsonb #>> '{profile,weekly_summary}' = 'true' THEN 1 ELSE 0 END,
    wizard_data = (wizard_data::jsonb #- '{profile,alerts_by_email}' #- '{profile,weekly_summary}')::text
WHERE wizard_data LIKE '{%';

-- The weekly summary finds its providers through this.
CREATE INDEX connections_weekly_summary ON connections (user_id) WHERE weekly_summary = 1;
