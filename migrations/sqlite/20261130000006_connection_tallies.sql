-- The dashboard's summary reads these tallies instead of counting every connection on each
-- view: how many connections have each status, by the day they connected (-1: not connected
-- yet). Triggers keep them in step with `connections`, in the same transaction as each change.
-- Rows merged into another are not counted. `slot` spreads PostgreSQL's concurrent writers over
-- several rows; SQLite has one writer at a time and uses slot 0 alone.

CREATE TABLE connection_tallies (
    status TEXT NOT NULL,
    day    BIGINT NOT NULL,
    slot   INTEGER NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (status, day, slot)
);

CREATE TRIGGER connection_tallies_insert AFTER INSERT ON connections
WHEN new.merged_into IS NULL BEGIN
    INSERT INTO connection_tallies (status, day, slot, n)
    VALUES (new.status, COALESCE(new.connected_at - new.connected_at % 86400, -1), 0, 1)
    ON CONFLICT (status, day, slot) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER connection_tallies_delete AFTER DELETE ON connections
WHEN old.merged_into IS NULL BEGIN
    UPDATE connection_tallies SET n = n - 1
    WHERE status = old.status AND day = COALESCE(old.connected_at - old.connected_at % 86400, -1)
      AND slot = 0;
END;

CREATE TRIGGER connection_tallies_update AFTER UPDATE OF status, connected_at, merged_into ON connections
WHEN old.status IS NOT new.status OR old.connected_at IS NOT new.connected_at
  OR old.merged_into IS NOT new.merged_into BEGIN
    UPDATE connection_tallies SET n = n - 1
    WHERE old.merged_into IS NULL AND status = old.status
      AND day = COALESCE(old.connected_at - old.connected_at % 86400, -1) AND slot = 0;
    INSERT INTO connection_tallies (status, day, slot, n)
    SELECT new.status, COALESCE(new.connected_at - new.connected_at % 86400, -1), 0, 1
    WHERE new.merged_into IS NULL
    ON CONFLICT (status, day, slot) DO UPDATE SET n = n + 1;
END;

INSERT INTO connection_tallies (status, day, slot, n)
SELECT status, COALESCE(connected_at - connected_at % 86400, -1), 0, COUNT(*)
FROM connections WHERE merged_into IS NULL
GROUP BY status, COALESCE(connected_at - connected_at % 86400, -1);
