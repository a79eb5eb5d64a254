-- Students abroad: their own time zone (an IANA name such as Europe/Berlin) and their own
-- quiet hours (local hours; start = end means none). NULL: the bot's TIMEZONE and
-- QUIET_HOURS_START/END settings. Only the zone is stored, never a shared location.
ALTER TABLE users ADD COLUMN time_zone TEXT;
ALTER TABLE users ADD COLUMN quiet_start INTEGER;
ALTER TABLE users ADD COLUMN quiet_end INTEGER;
