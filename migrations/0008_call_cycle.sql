-- A call's life: it closes itself at its deadline, and a yearly call leaves a draft of its
-- next round for the admins to confirm.
-- deadline_tz is now required for a dated call (the organiser's zone, so the date is shown as
-- the organiser states it): existing dated calls without one get their programme's zone.

ALTER TABLE calls ADD COLUMN yearly INTEGER NOT NULL DEFAULT 0;          -- 1: runs every year
ALTER TABLE calls ADD COLUMN next_round_of INTEGER REFERENCES calls(id) ON DELETE SET NULL;
ALTER TABLE calls ADD COLUMN closed_at INTEGER;                          -- unix seconds
ALTER TABLE calls ADD COLUMN closed_reason TEXT;                         -- deadline | admin

-- One generated next round per call, however often the expiry job runs.
CREATE UNIQUE INDEX calls_next_round ON calls (next_round_of) WHERE next_round_of IS NOT NULL;

-- Who made a change that no person made: 'system' (the expiry job). NULL: actor_id tells.
ALTER TABLE call_history ADD COLUMN author TEXT;

UPDATE calls SET deadline_tz = CASE (SELECT code FROM programmes p WHERE p.id = calls.programme_id)
        WHEN 'erasmus'   THEN 'Europe/Brussels'
        WHEN 'daad'      THEN 'Europe/Berlin'
        WHEN 'fulbright' THEN 'America/New_York'
        ELSE 'Asia/Tashkent'
    END
WHERE deadline_at IS NOT NULL AND (deadline_tz IS NULL OR deadline_tz = '');
