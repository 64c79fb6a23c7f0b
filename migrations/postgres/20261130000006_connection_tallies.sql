-- The dashboard's summary reads these tallies instead of counting every connection on each
-- view: how many connections have each status, by the day they connected (-1: not connected
-- yet). Triggers keep them in step with `connections`, in the same transaction as each change.
-- Rows merged into another are not counted. Each connection counts in one of 16 slots (from its
-- id), so concurrent transactions rarely wait on the same tally row.

CREATE TABLE connection_tallies (
    status TEXT NOT NULL,
    day    BIGINT NOT NULL,
    slot   INTEGER NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (status, day, slot)
);

CREATE FUNCTION connection_tallies_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    change RECORD;
BEGIN
    -- The row before the change leaves its tally, the row after it joins its own (a merged row
    -- counts in none). Two tally rows can change in one transaction: they are locked in key
    -- order, so two transactions moving connections in opposite directions cannot deadlock.
    FOR change IN
        SELECT moved.status, COALESCE(moved.connected_at - moved.connected_at % 86400, -1) AS day,
               moved.delta
        FROM (VALUES
            (CASE WHEN TG_OP <> 'INSERT' AND OLD.merged_into IS NULL THEN OLD.status END,
             OLD.connected_at, -1),
            (CASE WHEN TG_OP <> 'DELETE' AND NEW.merged_into IS NULL THEN NEW.status END,
             NEW.connected_at, 1)
        ) AS moved (status, connected_at, delta)
        WHERE moved.status IS NOT NULL
        ORDER BY 1, 2
    LOOP
        INSERT INTO connection_tallies (status, day, slot, n)
        VALUES (change.status, change.day, hashtext(COALESCE(NEW.id, OLD.id)) & 15, change.delta)
        ON CONFLICT (status, day, slot) DO UPDATE SET n = connection_tallies.n + change.delta;
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER connection_tallies_insert_delete AFTER INSERT OR DELETE ON connections
FOR EACH ROW EXECUTE FUNCTION connection_tallies_follow();

CREATE TRIGGER connection_tallies_update AFTER UPDATE OF status, connected_at, merged_into ON connections
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
    OR OLD.connected_at IS DISTINCT FROM NEW.connected_at
    OR OLD.merged_into IS DISTINCT FROM NEW.merged_into)
EXECUTE FUNCTION connection_tallies_follow();

INSERT INTO connection_tallies (status, day, slot, n)
SELECT status, COALESCE(connected_at - connected_at % 86400, -1), hashtext(id) & 15, COUNT(*)
FROM connections WHERE merged_into IS NULL
GROUP BY 1, 2, 3;
