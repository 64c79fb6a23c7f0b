-- The dashboard's substring search ("maple" anywhere in a practice name or a provider's email)
-- through trigram indexes instead of a scan of every row. pg_trgm ships with PostgreSQL and is a
-- trusted extension: the database's owner may create it.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX connections_practice_name_trgm ON connections USING gin (practice_name gin_trgm_ops);
CREATE INDEX users_email_trgm ON users USING gin (email gin_trgm_ops);
