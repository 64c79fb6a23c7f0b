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

CREATE FUNCTION connection_tally_add(tally_status TEXT, connected BIGINT, connection_id TEXT, delta BIGINT)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO connection_tallies (status, day, slot, n)
    VALUES (tally_status, COALESCE(connected - connected % 86400, -1), hashtext(connection_id) & 15, delta)
    ON CONFLICT (status, day, slot) DO UPDATE SET n = connection_tallies.n + delta;
$$;

CREATE FUNCTION connection_tallies_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    counted_before BOOLEAN := TG_OP <> 'INSERT' AND OLD.merged_into IS NULL;
    counted_after BOOLEAN := TG_OP <> 'DELETE' AND NEW.merged_into IS NULL;
BEGIN
    -- Two tally rows change in one transaction: always lock them in key order, so two
    -- transactions moving connections in opposite directions cannot deadlock.
    IF counted_before AND counted_after
       AND (NEW.status, COALESCE(NEW.connected_at, -1)) < (OLD.status, COALESCE(OLD.connected_at, -1)) THEN
        PERFORM connection_tally_add(NEW.status, NEW.connected_at, NEW.id, 1);
        PERFORM connection_tally_add(OLD.status, OLD.connected_at, OLD.id, -1);
    ELSE
        IF counted_before THEN
            PERFORM connection_tally_add(OLD.status, OLD.connected_at, OLD.id, -1);
        END IF;
        IF counted_after THEN
            PERFORM connection_tally_add(NEW.status, NEW.connected_at, NEW.id, 1);
        END IF;
    END IF;
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
