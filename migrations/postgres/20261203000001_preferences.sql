-- A provider's email choices get columns of their own, instead of being read out of the wizard's
-- answers with LIKE: "email me if the connection needs attention" and "send a weekly summary".
-- Existing choices are carried over, then taken out of the answers so there is one copy.

ALTER TABLE connections ADD COLUMN alerts_by_email BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE connections ADD COLUMN weekly_summary BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE connections
SET alerts_by_email = COALESCE((wizard_data::jsonb #>> '{profile,alerts_by_email}')::boolean, FALSE),
    weekly_summary = COALESCE((wizard_data::jsonb #>> '{profile,weekly_summary}')::boolean, FALSE),
    wizard_data = (wizard_data::jsonb #- '{profile,alerts_by_email}' #- '{profile,weekly_summary}')::text
WHERE wizard_data LIKE '{%';

-- The weekly summary finds its providers through this.
CREATE INDEX connections_weekly_summary ON connections (user_id) WHERE weekly_summary;
