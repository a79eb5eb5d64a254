-- My applications: saved calls, document checklists, notification preferences, and the
-- outbox every push goes through (reminders, new-call pushes, digests, admin broadcasts).
-- Times are unix seconds (UTC).

-- Documents a call asks for, in the order the call lists them (keys: see bot/domain/checklist.py).
-- A call without rows falls back to its programme's defaults.
CREATE TABLE call_documents (
    call_id   INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    doc_key   TEXT NOT NULL,
    PRIMARY KEY (call_id, doc_key)
);

CREATE TABLE saved_calls (
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    call_id   INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    saved_at  INTEGER NOT NULL,
    muted     INTEGER NOT NULL DEFAULT 0,      -- 1: saved, but no reminders for it
    PRIMARY KEY (user_id, call_id)
);
CREATE INDEX saved_calls_by_call ON saved_calls (call_id);

CREATE TABLE checklist_ticks (
    user_id    INTEGER NOT NULL,
    call_id    INTEGER NOT NULL,
    doc_key    TEXT NOT NULL,
    ticked_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, call_id, doc_key),
    FOREIGN KEY (user_id, call_id) REFERENCES saved_calls (user_id, call_id) ON DELETE CASCADE
);

-- One row per user who changed a default (absent row: defaults from the settings).
CREATE TABLE notify_prefs (
    user_id          INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    reminder_days    TEXT NOT NULL,              -- e.g. '30,7,1,0'; '' turns reminders off
    send_hour        INTEGER NOT NULL CHECK (send_hour BETWEEN 0 AND 23),
    subscribed       INTEGER NOT NULL DEFAULT 0, -- 1: push new calls matching the profile filter
    digest           INTEGER NOT NULL DEFAULT 0  -- 1: weekly digest on Monday instead of instantly
);
CREATE INDEX notify_prefs_subscribers ON notify_prefs (subscribed) WHERE subscribed = 1;

-- New calls waiting for a subscriber's weekly digest.
CREATE TABLE digest_entries (
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    call_id   INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    added_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, call_id)
);
CREATE INDEX digest_entries_by_time ON digest_entries (added_at);

-- A mass sending (an admin broadcast, say) whose items share a job id.
CREATE TABLE delivery_jobs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    created_by  INTEGER,
    payload     TEXT NOT NULL DEFAULT '{}',    -- JSON the kind's send function reads
    created_at  INTEGER NOT NULL
);

-- The outbox: one row per push, ever. `slot` tells pushes of one kind apart: days before the
-- deadline for reminders, the ISO week for digests, the job id for broadcasts, 0 otherwise.
-- The UNIQUE key makes every push exist at most once, however often it is planned.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    call_id     INTEGER NOT NULL DEFAULT 0,
    kind        TEXT NOT NULL,
    slot        INTEGER NOT NULL DEFAULT 0,
    job_id      INTEGER REFERENCES delivery_jobs(id) ON DELETE CASCADE,
    due_at      INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled', 'skipped')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    reason      TEXT,
    payload     TEXT NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    sent_at     INTEGER,
    UNIQUE (user_id, call_id, kind, slot)
);
-- The dispatcher's only question: what is pending and due?
CREATE INDEX outbox_due ON outbox (due_at) WHERE state = 'pending';
CREATE INDEX outbox_by_call ON outbox (call_id, state) WHERE call_id != 0;
CREATE INDEX outbox_by_job ON outbox (job_id, state) WHERE job_id IS NOT NULL;
CREATE INDEX outbox_in_flight ON outbox (state) WHERE state = 'sending';
