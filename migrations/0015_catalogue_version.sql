-- Searches are answered from an in-memory index of the published calls (bot/db/search_index.py),
-- rebuilt whenever this counter has moved since it was built. Triggers move it on every write
-- that can change what a search finds or its order — a call added, deleted, published, closed,
-- its deadline moved, its texts rewritten — whoever writes (the bot, the importer, the admin
-- desk, another process on the same file), so no write path can forget to.
CREATE TABLE catalogue_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  INTEGER NOT NULL
);
INSERT INTO catalogue_version (id, version) VALUES (1, 0);

CREATE TRIGGER catalogue_version_call_inserted AFTER INSERT ON calls BEGIN
    UPDATE catalogue_version SET version = version + 1;
END;

CREATE TRIGGER catalogue_version_call_changed AFTER UPDATE OF status, deadline_at ON calls BEGIN
    UPDATE catalogue_version SET version = version + 1;
END;

CREATE TRIGGER catalogue_version_call_deleted AFTER DELETE ON calls BEGIN
    UPDATE catalogue_version SET version = version + 1;
END;

-- The search body (call_search, an FTS5 table, which takes no triggers) is written from the
-- texts, in the same transaction: a text written is a search body rewritten.
CREATE TRIGGER catalogue_version_text_inserted AFTER INSERT ON call_texts BEGIN
    UPDATE catalogue_version SET version = version + 1;
END;

CREATE TRIGGER catalogue_version_text_changed AFTER UPDATE ON call_texts BEGIN
    UPDATE catalogue_version SET version = version + 1;
END;

CREATE TRIGGER catalogue_version_text_deleted AFTER DELETE ON call_texts BEGIN
    UPDATE catalogue_version SET version = version + 1;
END;
