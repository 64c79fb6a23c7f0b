-- The dashboard's substring search ("maple" anywhere in a practice name or a provider's email)
-- through trigram indexes instead of a scan of every row. FTS5 tables with the trigram
-- tokenizer, whose content stays in `connections` and `users` (external content) and follows
-- them through triggers.

CREATE VIRTUAL TABLE connections_search USING fts5(
    practice_name, content = 'connections', content_rowid = 'rowid', tokenize = 'trigram'
);
CREATE TRIGGER connections_search_insert AFTER INSERT ON connections BEGIN
    INSERT INTO connections_search (rowid, practice_name) VALUES (new.rowid, new.practice_name);
END;
CREATE TRIGGER connections_search_delete AFTER DELETE ON connections BEGIN
    INSERT INTO connections_search (connections_search, rowid, practice_name)
    VALUES ('delete', old.rowid, old.practice_name);
END;
CREATE TRIGGER connections_search_update AFTER UPDATE OF practice_name ON connections BEGIN
    INSERT INTO connections_search (connections_search, rowid, practice_name)
    VALUES ('delete', old.rowid, old.practice_name);
    INSERT INTO connections_search (rowid, practice_name) VALUES (new.rowid, new.practice_name);
END;
INSERT INTO connections_search (connections_search) VALUES ('rebuild');

CREATE VIRTUAL TABLE users_search USING fts5(
    email, content = 'users', content_rowid = 'rowid', tokenize = 'trigram'
);
CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, email) VALUES (new.rowid, new.email);
END;
CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, email) VALUES ('delete', old.rowid, old.email);
END;
CREATE TRIGGER users_search_update AFTER UPDATE OF email ON users BEGIN
    INSERT INTO users_search (users_search, rowid, email) VALUES ('delete', old.rowid, old.email);
    INSERT INTO users_search (rowid, email) VALUES (new.rowid, new.email);
END;
INSERT INTO users_search (users_search) VALUES ('rebuild');
