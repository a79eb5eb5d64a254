-- The student's filter always names a level once they are onboarded. call_filter holds one row
-- per (level, call) with every filterable column, clustered by (level, status, deadline), so
-- counting a filter's matches reads only that level's open calls, from this b-tree alone.
-- Triggers keep it in step with calls whoever writes them (bot, importer, admin desk).
-- Rolling calls (no deadline) get the largest integer as deadline_key: they sort last.

CREATE TABLE level_bits (bit INTEGER PRIMARY KEY);  -- one row per bot.domain.profile.Level
INSERT INTO level_bits (bit) VALUES (1), (2), (4), (8), (16), (32);

CREATE TABLE call_filter (
    level_bit     INTEGER NOT NULL,
    status        TEXT NOT NULL,
    deadline_key  INTEGER NOT NULL,
    call_id       INTEGER NOT NULL,
    fields_mask   INTEGER NOT NULL,
    funding       TEXT NOT NULL,
    programme_id  INTEGER NOT NULL,
    PRIMARY KEY (level_bit, status, deadline_key, call_id)
) WITHOUT ROWID;

INSERT INTO call_filter
SELECT b.bit, c.status, COALESCE(c.deadline_at, 9223372036854775807), c.id, c.fields_mask,
       c.funding, c.programme_id
FROM calls c JOIN level_bits b ON (c.levels_mask & b.bit) != 0;

CREATE TRIGGER call_filter_on_insert AFTER INSERT ON calls BEGIN
    INSERT INTO call_filter
    SELECT b.bit, NEW.status, COALESCE(NEW.deadline_at, 9223372036854775807), NEW.id,
           NEW.fields_mask, NEW.funding, NEW.programme_id
    FROM level_bits b WHERE (NEW.levels_mask & b.bit) != 0;
END;

CREATE TRIGGER call_filter_on_update
AFTER UPDATE OF status, deadline_at, levels_mask, fields_mask, funding, programme_id ON calls
BEGIN
    DELETE FROM call_filter
    WHERE level_bit IN (SELECT bit FROM level_bits WHERE (OLD.levels_mask & bit) != 0)
      AND status = OLD.status
      AND deadline_key = COALESCE(OLD.deadline_at, 9223372036854775807)
      AND call_id = OLD.id;
    INSERT INTO call_filter
    SELECT b.bit, NEW.status, COALESCE(NEW.deadline_at, 9223372036854775807), NEW.id,
           NEW.fields_mask, NEW.funding, NEW.programme_id
    FROM level_bits b WHERE (NEW.levels_mask & b.bit) != 0;
END;

CREATE TRIGGER call_filter_on_delete AFTER DELETE ON calls BEGIN
    DELETE FROM call_filter
    WHERE level_bit IN (SELECT bit FROM level_bits WHERE (OLD.levels_mask & bit) != 0)
      AND status = OLD.status
      AND deadline_key = COALESCE(OLD.deadline_at, 9223372036854775807)
      AND call_id = OLD.id;
END;
