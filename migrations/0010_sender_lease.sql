-- One sender per database: the process holding the 'sender' lease runs the scheduler and the
-- delivery of pushes; another process on the same file only serves updates until the lease
-- expires (bot/services/lease.py). Times are unix seconds (UTC).
CREATE TABLE leases (
    name         TEXT PRIMARY KEY,
    holder       TEXT NOT NULL,      -- host:pid:random of the holding process
    acquired_at  INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL    -- renewed every few seconds while the holder lives
);
