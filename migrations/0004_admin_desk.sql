-- Admin desk: who changed which call and how, role changes, and imports waiting for a confirm.

-- One row per change of a call. changes: JSON object {field: [before, after]}.
CREATE TABLE call_history (
    id        INTEGER PRIMARY KEY,
    call_id   INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    actor_id  INTEGER,                  -- NULL: the command line (python -m bot import)
    at        INTEGER NOT NULL,
    action    TEXT NOT NULL,            -- created | edited | published | closed | reopened | imported
    changes   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX call_history_by_call ON call_history (call_id, at);

-- Grants and revocations of staff roles and coordinator programmes.
CREATE TABLE role_changes (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    actor_id   INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    change     TEXT NOT NULL            -- e.g. "grant admin", "revoke coordinator", "programme +daad"
);

-- A validated import waiting for the admin's confirm: only valid rows are kept (JSON list).
CREATE TABLE pending_imports (
    id          INTEGER PRIMARY KEY,
    admin_id    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    filename    TEXT NOT NULL,
    rows        TEXT NOT NULL,
    applied_at  INTEGER
);
