-- Source watch: the last check of every official/source URL of a published call, and the
-- admins' attention list of calls whose page changed, moved to another site or died.
-- Times are unix seconds (UTC).

-- One row per URL (several calls may share one). `text` is the page's visible text, cut to a
-- bound (bot/services/source_watch.py), kept only to show the next change as a diff;
-- `fingerprint` is the SHA-256 of the whole visible text (of the bytes, for non-HTML).
CREATE TABLE url_checks (
    url                   TEXT PRIMARY KEY,
    status                INTEGER,            -- HTTP status; NULL: no answer (timeout, refused)
    final_url             TEXT,               -- after redirects
    checked_at            INTEGER NOT NULL,
    etag                  TEXT,
    last_modified         TEXT,
    content_type          TEXT,
    fingerprint           TEXT,               -- NULL until a page was read once
    text                  TEXT,
    error                 TEXT,               -- what went wrong at the last check, if anything
    consecutive_failures  INTEGER NOT NULL DEFAULT 0
);

-- kind: changed (the page's text changed) | moved (redirects to another site) | gone (404/410,
-- or failing three checks in a row). detail: JSON (the URL, the diff lines, the error).
-- At most one open item per call and kind; resolved items stay as a record.
CREATE TABLE attention_items (
    id           INTEGER PRIMARY KEY,
    call_id      INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('changed', 'moved', 'gone')),
    detail       TEXT NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    resolved_at  INTEGER,
    resolved_by  INTEGER
);
CREATE UNIQUE INDEX attention_items_open ON attention_items (call_id, kind)
    WHERE resolved_at IS NULL;
CREATE INDEX attention_items_by_call ON attention_items (call_id, resolved_at);
