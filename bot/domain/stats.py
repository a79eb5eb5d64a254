"""The figures /stats shows: users, saved calls, pushes and broadcasts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ACTIVE_DAYS = 30


@dataclass(frozen=True, slots=True)
class UserCounts:
    total: int
    active: int  # not blocked and seen in the last ACTIVE_DAYS days
    blocked: int  # the bot was blocked (is_active = 0)


@dataclass(frozen=True, slots=True)
class Window:
    total: int
    last_7_days: int
    last_30_days: int


@dataclass(frozen=True, slots=True)
class JobOutcome:
    job_id: int
    created_at: datetime
    states: dict[str, int]  # outbox state -> recipients


@dataclass(frozen=True, slots=True)
class CallArrivals:
    """Students a call's shared link brought (users.came_via_call_id, migration 0011)."""

    call_id: int
    students: int
    titles: dict[str, str]  # lang -> title
