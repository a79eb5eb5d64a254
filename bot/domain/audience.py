"""Who a broadcast reaches: a segment is (kind, value); recipients are always active users."""

from __future__ import annotations

# The kind of a broadcast's delivery job and of each of its pushes.
BROADCAST = "broadcast"
SEGMENTS = ("all", "lang", "level", "field", "prog", "subs", "active")
# "Active recently" means seen within one of these many days.
ACTIVE_WINDOWS = (7, 30, 90)
